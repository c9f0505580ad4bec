"""Decoding bytes to text (encoding detection), mojibake repair, and plain-text pages.

Order of decoding: a byte-order mark; strict UTF-8; BOM-less UTF-16; any declared charset (HTTP
header, HTML meta); UTF-8 with a few stray single-byte characters; then charset-normalizer, whose
candidates are re-ranked with a small character-plausibility score, because on short Western
European text it often prefers cp1250/cp1257/cp775 over cp1252 ("naïve" -> "naļve").
"""
from __future__ import annotations

import codecs
import re
import unicodedata

from functools import cache

from newsfold.stages.ingest.files import InputError, utf16_guess

# ftfy: repair mojibake, but keep curly quotes, ligatures, full-width characters and HTML-looking
# text as they are; only normalise line breaks and drop terminal escapes / control characters.
_FTFY_TOUCHES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r\x80-\x9f\u2028\u2029\x85\ud800-\udfff\ufffd]")


@cache
def _ftfy_config():
    import ftfy  # here, not at import: ftfy (and wcwidth) cost ~0.05 s to load, and most text never needs it

    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=True,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=True,
        fix_surrogates=True,
        remove_control_chars=True,
        normalization="NFC",
        explain=False,
    )


def __getattr__(name: str):
    if name == "FTFY_CONFIG":  # the settings above, made when first asked for
        return _ftfy_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels as browsers read them (WHATWG): latin-1/ascii mean windows-1252, gb2312 means gb18030, ...
_ALIASES = {
    "latin_1": "cp1252", "iso8859_1": "cp1252", "ascii": "cp1252", "iso8859_9": "cp1254",
    "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932", "euc_kr": "cp949",
    "ks_c_5601_1987": "cp949", "big5": "big5hkscs", "tis_620": "cp874", "iso8859_11": "cp874",
}

DETECT_SAMPLE = 1 << 16  # bytes handed to charset-normalizer


def fix_text(text: str) -> str:
    """Repair mojibake and normalise line breaks without touching normal text.

    Plain ASCII with no escape or carriage-return characters has nothing ftfy would change under
    FTFY_CONFIG (no mojibake, no C1 controls, no surrogates), so it skips the per-line work;
    tests/test_readers.py checks the shortcut against ftfy on real text."""
    if text.isascii() and "\x1b" not in text and "\r" not in text:
        return text
    # ftfy leaves text alone that has no mojibake (its own badness test), no control or line-break
    # characters it rewrites, and is already in NFC: skip it for such text, which is most text
    import ftfy
    from ftfy.badness import is_bad

    if not _FTFY_TOUCHES.search(text) and unicodedata.is_normalized("NFC", text) and not is_bad(text):
        return text
    return ftfy.fix_text(text, _ftfy_config())


def codec_name(label: str | None) -> str | None:
    """A Python codec for a charset label (``None`` when unknown), with browser-style aliases."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    name = _ALIASES.get(name, name)
    if name in ("utf_16", "utf_32"):  # a declared UTF-16 without BOM is nearly always wrong in HTML
        return None
    return codecs.lookup(name).name


def sniff_bom(data: bytes) -> tuple[str, int] | None:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc, len(bom)
    return None


def decode_bytes(data: bytes, declared: tuple[str | None, ...] = ()) -> tuple[str, str]:
    """``(text, encoding)``; raises ``InputError("undecodable")`` when no encoding fits."""
    bom = sniff_bom(data)
    if bom:
        enc, n = bom
        body = data[n:]
        try:
            return body.decode(enc), enc
        except UnicodeDecodeError:
            text = body.decode(enc, "replace")
            if text.count("\ufffd") <= max(3, len(text) // 1000):
                return text, enc + "+replace"
            raise InputError("undecodable", f"invalid {enc} after a {enc} byte-order mark") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = utf16_guess(data[:8192])
    if guess:
        try:
            return data.decode(guess), guess
        except UnicodeDecodeError:
            pass
    for label in declared:
        enc = codec_name(label)
        if not enc or enc == "utf-8":
            continue
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            text = data.decode(enc, "replace")
            if text.count("\ufffd") <= max(3, len(text) // 1000):
                return text, enc + "+replace"
    mixed = _mostly_utf8(data)
    if mixed is not None:
        return mixed, "utf-8+cp1252"
    lines = _per_line(data)
    if lines is not None:
        return lines, "utf-8+cp1252 per line"
    return _detect(data)


# --- UTF-8 with a few stray single-byte characters --------------------------------------------

def _mostly_utf8(data: bytes) -> str | None:
    """Decode as UTF-8, taking invalid bytes as cp1252, when that is clearly what the file is."""
    replaced = data.decode("utf-8", "replace")
    errors = replaced.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if errors <= 0 or errors > max(4, len(data) // 200):
        return None
    multibyte = len(replaced) - len(replaced.encode("ascii", "ignore")) - errors
    if multibyte < 2 * errors:
        return None
    return data.decode("utf-8", "newsfold-cp1252")


def _per_line(data: bytes) -> str | None:
    """A file whose lines are UTF-8 or cp1252 (Latin-1), each line whole: decode line by line.

    Taken when some lines hold UTF-8 multi-byte characters, the others are not UTF-8 but make
    plausible cp1252 text, and no line mixes both."""
    utf8 = other = 0
    out: list[str] = []
    bad: list[str] = []
    for line in data.split(b"\n"):
        try:
            text = line.decode("utf-8")
            utf8 += not text.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                return None
            if re.search("[\u00c2-\u00f4][\u0080-\u00bf\u0152-\u2122]", text):
                return None  # UTF-8 sequences inside a line that is not UTF-8: not a per-line mix
            other += 1
            bad.append(text)
        out.append(text)
    if not utf8 or not other or plausibility("\n".join(bad)) < 3:
        return None
    return "\n".join(out)


def _cp1252_fallback(exc: UnicodeDecodeError):
    bad = exc.object[exc.start:exc.end]
    return bad.decode("cp1252", "replace"), exc.end


codecs.register_error("newsfold-cp1252", _cp1252_fallback)


# --- charset detection --------------------------------------------------------------------------

_WEIGHTS: dict[str, float] = {}


def _tier(chars: str, weight: float) -> None:
    for ch in chars:
        _WEIGHTS.setdefault(ch, weight)


# How plausible a non-ASCII character is in running text (higher = more common on the web).
_tier("é’“”–—…", 10)
_tier("üäößáíóñçàèÜÄÖÉ€£«»™", 8)
_tier("åøêâôúãõÅØÁÍÓÚÑÇÀÈëïîûÊÂÔ°©®´·½", 6)
_tier("łąęśżćčšžřěýőşığățșŁŚŻČŠŽŘÝŐŞİĞĂȚȘìòùÌÒÙæÆ", 4)
_tier("ńźůťďňűėįųūēāīĄĘĆŃŹŮŤĎŇŰĖĮŲŪĒĀĪ", 3)
_OTHER_SCRIPTS = {"CYRILLIC", "GREEK", "HEBREW", "ARABIC", "CJK", "THAI",
                  "DEVANAGARI", "BENGALI", "TAMIL", "GEORGIAN", "ARMENIAN"}


_CJK = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "HALFWIDTH", "IDEOGRAPHIC", "BOPOMOFO"}


def _script(ch: str) -> str | None:
    """The script of a letter (CJK scripts as one: they share words); None for non-letters."""
    if ch.isascii():
        return "LATIN" if ch.isalpha() else None
    if not ch.isalpha():
        return None
    script = unicodedata.name(ch, "X").split(" ", 1)[0]
    return "CJK" if script in _CJK else script


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# punctuation that normally touches letters: quotes, apostrophes, dashes, soft hyphen, ellipsis, ...
_NEAR_LETTERS = set("’‘“”«»„‚‹›…–—‐‑\xad·¿¡°²³½™®©")


def plausibility(text: str) -> float:
    """Average plausibility of the non-ASCII characters of ``text`` (letters mixed with letters of
    another script, and symbols inside words, count against it)."""
    total = 0.0
    n = 0
    length = len(text)
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        ch = m.group()
        n += 1
        prev = text[i - 1] if i > 0 else " "
        nxt = text[i + 1] if i + 1 < length else " "
        if ch.isalpha():
            script = _script(ch)
            before, after = _script(prev), _script(nxt)
            if script == "CJK":
                mixed = before not in (None, "CJK") and after not in (None, "CJK")  # inside a Latin word
            else:
                mixed = before not in (None, script, "CJK") or after not in (None, script, "CJK")
            if mixed:
                total -= 5  # letters of two scripts in one word
                continue
            if ch.isupper() and prev.islower():
                total -= 5  # "ðÒÉ×ÅÔ": capitals inside a lower-case word
                continue
        elif ch not in _NEAR_LETTERS and not ch.isspace() and (prev.isalpha() or nxt.isalpha()):
            total -= 2  # a symbol stuck to a word ("погодн€")
            continue
        weight = _WEIGHTS.get(ch)
        if weight is None:
            cat = unicodedata.category(ch)
            if cat[0] == "L":
                weight = 8 if _script(ch) in _OTHER_SCRIPTS else 1
            elif ch in "\xa0\xad":
                weight = 2
            elif "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef":
                weight = 8  # CJK and full-width punctuation
            elif cat[0] in "PZ":
                weight = 1
            else:
                weight = -5
        total += weight
    return total / n if n else 10.0


def _sample(data: bytes) -> bytes:
    if len(data) <= DETECT_SAMPLE:
        return data
    cut = data.rfind(b"\n", 0, DETECT_SAMPLE)
    return data[: cut + 1] if cut > DETECT_SAMPLE // 2 else data[:DETECT_SAMPLE]


def _detect(data: bytes) -> tuple[str, str]:
    import charset_normalizer  # here, not at import: only text that is not UTF-8 needs it

    sample = _sample(data)
    results = list(charset_normalizer.from_bytes(sample))
    candidates: dict[str, str] = {}
    for match in results[:6]:
        if not match.encoding.startswith(("utf_16", "utf_32")):  # BOM-less UTF-16 is handled before
            candidates[match.encoding] = str(match)
    if "cp1252" not in candidates:
        try:
            candidates["cp1252"] = sample.decode("cp1252")
        except UnicodeDecodeError:
            pass
    high = sum(1 for b in sample if b > 127)
    if not candidates or (not results and high > 0.3 * len(sample)):
        raise InputError("undecodable", "no text encoding fits (tried UTF-8, UTF-16 and charset detection)")
    first = results[0].encoding if results else "cp1252"
    scores = {enc: plausibility(text) for enc, text in candidates.items()}
    best = max(candidates, key=lambda enc: (scores[enc], enc == first, enc == "cp1252"))
    if scores[best] < 0 and high > 0.01 * len(sample):
        # a few odd bytes in otherwise ASCII text are still text (the binary check came earlier)
        raise InputError("undecodable", f"bytes make no sense as text (best guess {best})")
    try:
        return data.decode(best), best
    except UnicodeDecodeError:
        text = data.decode(best, "replace")
        if text.count("\ufffd") > max(3, len(text) // 100):
            raise InputError("undecodable", f"too many bytes invalid in {best}") from None
        return text, best + "+replace"


# --- plain-text pages ---------------------------------------------------------------------------

_LONG_LINE = re.compile(r"[^\n]+")


def text_page_text(data: bytes, max_line_bytes: int) -> tuple[str, dict]:
    """Decode and repair a plain-text page: ``(text, info)``; ``info`` records encoding and fixes."""
    raw, encoding = decode_bytes(data)
    text = fix_text(raw)
    info: dict = {"encoding": encoding}
    if text != raw.replace("\r\n", "\n").replace("\r", "\n"):
        info["fixed"] = True
    if len(text) > max_line_bytes // 4:
        lines = text.split("\n")
        kept = [line for line in lines if len(line) <= max_line_bytes // 4 or len(line.encode("utf-8")) <= max_line_bytes]
        if len(kept) != len(lines):
            info["long_lines_dropped"] = len(lines) - len(kept)
            text = "\n".join(kept)
    return text.strip(), info

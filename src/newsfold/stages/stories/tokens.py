"""What counts as a feature in a text, one word, name or number at a time (``features.py`` hashes
and counts them):

- words: lower-case content words (``word``): no stop words (``stop_words``: English's, plus the
  article's language's), no one-letter words, possessives and the Arabic article "al-" dropped;
- capitalised runs ("Muqtada al-Sadr", "Philadelphia 76ers"): each kept whole and as its single
  words (``entity_words``, ``entity_features``), a sentence's common first word dropped;
- numbers ("5.6", "2005"): ``number``.

Each rule takes one token or one run, so that a caller can work out each distinct one once.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterator


def _english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (``ENGLISH_STOP_WORDS``), read from the module that holds
    them without importing scikit-learn itself, whose import takes seconds of every run's start."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # finds the package; imports nothing
    path = Path(spec.origin).parent / "feature_extraction" / "_stop_words.py" if spec and spec.origin else None
    if path is None or not path.exists():  # another layout: the public import
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    words = importlib.util.spec_from_file_location("newsfold_english_stop_words", path)
    module = importlib.util.module_from_spec(words)
    words.loader.exec_module(module)
    return frozenset(module.ENGLISH_STOP_WORDS)


_EXTRA_STOP = {
    "said", "says", "say", "told", "according", "also", "just", "like", "new", "year", "years",
    "time", "people", "would", "could", "one", "two", "http", "https", "www", "com", "html",
    "htm", "php", "aspx", "read", "image", "photo", "caption", "copyright", "getty", "images",
    "reuters", "ap", "afp", "video", "click", "share", "advertisement", "mr", "ms", "mrs",
}
STOP = frozenset(_english_stop_words() | _EXTRA_STOP)
_LANG_STOP: dict[str, frozenset] = {}  # a read-only cache: the stop words of each language, loaded once


def stop_words(language: str | None) -> frozenset:
    """The stop words of an article's language: English's (``STOP``), plus spaCy's list for that
    language where spaCy has one (``spacy.lang.XX.stop_words``: data, no model), so that "der", "und",
    "في" count as little in German or Arabic as "the" does in English."""
    if not language or language in ("en", "und"):
        return STOP
    if language not in _LANG_STOP:
        import importlib
        import importlib.util

        code = {'no': 'nb'}.get(language, language)
        spacy = importlib.util.find_spec("spacy")  # finds the package; imports nothing
        extra = frozenset()
        # spaCy has no list for most codes ("zxx", "und"): looked up by path, not by importing spaCy
        if spacy is None or spacy.origin is None or (Path(spacy.origin).parent / "lang" / code / "stop_words.py").exists():
            try:
                mod = importlib.import_module(f"spacy.lang.{code}.stop_words")
                extra = frozenset(w.lower() for w in mod.STOP_WORDS)
            except Exception:
                pass
        _LANG_STOP[language] = STOP | extra
    return _LANG_STOP[language]


# --- words
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def raw_words(text: str) -> list[str]:
    """A text's word tokens (``_WORD``), lower-cased, "’" written "'" (``_WORD`` treats the two
    alike).  No token holds a space, and a piece between spaces that is all letters and digits
    (``str.isalnum`` is ``[^\\W_]``) is one token: the regex runs on the other pieces only."""
    out: list[str] = []
    for piece in text.lower().replace("’", "'").split():
        if piece.isalnum():
            out.append(piece)
        else:
            out += _WORD.findall(piece)
    return out


def word(token: str, stop: frozenset = STOP) -> str | None:
    """The content word of one ``raw_words`` token, or None: "al-sadr" -> "sadr" (the Arabic
    article), "obama's" -> "obama", no stop words, no one-letter words."""
    if token.startswith(("al-", "el-")):
        token = token[3:]
    if token.endswith("'s"):
        token = token[:-2]
    return None if len(token) < 2 or token in stop else token


def words(text: str, stop: frozenset = STOP) -> list[str]:
    """A text's content words (``word``), in order."""
    return [w for t in raw_words(text) if (w := word(t, stop)) is not None]


# --- capitalised runs
# a capitalised word, possibly behind a lower-case particle ("al-Sadr"; "bin Salman" is two words),
# and the words that may join two of them into one run ("Bank of England")
_PARTICLES = ("al", "el", "ad", "as", "ash", "ibn", "bin", "de", "van", "von", "da", "di", "du", "la", "le")
_CAP = rf"(?:(?:{'|'.join(_PARTICLES)})[-’'])?[A-Z][\w’'.&-]*"
# a run begins at its first capital; a particle before it is taken in by ``entity_spans``
# (a regex that began with the optional particle would be tried at every letter of the text)
_RUN = re.compile(rf"[A-Z][\w’'.&-]*(?:\s+(?:of|the|de|del|da|al|bin|van|von|la|for|and|&)?\s*{_CAP})*")
_PARTICLE_BEFORE = {n: frozenset(p for p in _PARTICLES if len(p) == n) for n in (2, 3)}
_SENT_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n\s*)$")
_PARTICLE = re.compile(rf"^(?:{'|'.join(_PARTICLES)})[-’']", re.I)
_TRAILING = frozenset({"of", "the", "and", "for", "&"})


def capital_runs(text: str) -> Iterator[re.Match]:
    """The capitalised runs of a text, left to right, each from its first capital (``run_start``)."""
    return _RUN.finditer(text)


def run_start(text: str, capital: int) -> int:
    """Where a run whose first capital is at ``capital`` starts: "al-Sadr" at its particle."""
    if capital > 2 and text[capital - 1] in "-’'":
        if capital > 3 and text[capital - 4: capital - 1] in _PARTICLE_BEFORE[3]:
            return capital - 4
        if text[capital - 3: capital - 1] in _PARTICLE_BEFORE[2]:
            return capital - 3
    return capital


def entity_spans(text: str) -> Iterator[tuple[int, str]]:
    """The capitalised runs of a text and where each starts, left to right (runs do not overlap)."""
    for m in capital_runs(text):
        start = run_start(text, capital := m.start())
        yield start, m.group() if start == capital else text[start: m.end()]


def sentence_start(text: str, start: int) -> bool:
    """Whether a run at ``start`` begins a sentence, judged on the three characters before it."""
    return start == 0 or _SENT_START.search(text, max(0, start - 3), start) is not None


def entity_words(span: str) -> tuple[list[str], list[str]]:
    """The words of a run that make its features, inside a sentence and at a sentence's start
    (``sentence_start``), where a sentence's first word is capitalised anyway: there leading
    common words are dropped too.  Trailing joining words are dropped."""
    parts = span.split()
    while parts and parts[-1].lower() in _TRAILING:
        parts = parts[:-1]
    first = parts  # (dropping the leading words first would leave the same)
    while first and first[0].lower().strip(".'’") in STOP:
        first = first[1:]
    return parts, first


def entity_key(span: str) -> str:
    """A name as a feature: its words lower-cased, outer punctuation stripped."""
    return " ".join([w.strip(".'’-&").lower() for w in span.split()]).strip()


def entity_single(part: str) -> str | None:
    """The feature of one word of a run ("al-Sadr" -> "E:sadr"), or None for a common word."""
    s = entity_key(_PARTICLE.sub("", part))
    return "E:" + s if len(s) > 1 and s not in STOP else None


def entity_part(part: str) -> tuple[str, str | None]:
    """One word of a run: its part of the run's key (``entity_key``) and its own feature."""
    return part.strip(".'’-&").lower(), entity_single(part)


def entity_features(parts: list[str], part: Callable[[str], tuple[str, str | None]] = entity_part) -> list[str]:
    """The features of a run's words (``entity_words``): the run whole (of two words or more) and
    its single words (``entity_part``, which a caller may remember)."""
    if len(parts) == 1:
        key, single = part(parts[0])
        return [single] if single is not None and key and key not in STOP else []
    done = list(map(part, parts))
    key = " ".join([k for k, _ in done]).strip()  # entity_key(" ".join(parts))
    if not key or key in STOP:
        return []
    return ["E:" + key] + [s for _, s in done if s is not None]


# --- numbers
_NUMBER = re.compile(r"\d\d*(?:[.,:]\s?\d+)*")  # "\d\d*", not "\d+": the regex engine then skips to digits


def raw_numbers(text: str) -> list[str]:
    """The numbers in a text as written ("5. 6", "2005")."""
    return _NUMBER.findall(text)


def number(raw: str) -> str:
    """A number as a feature: "5. 6" -> "5.6"."""
    return re.sub(r"\s", "", raw)

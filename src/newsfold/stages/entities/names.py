"""Name normalisation: folding, transliteration keys and name parts.

A surface form is reduced in three steps:

1. ``fold``: accents stripped, lower case, typographic apostrophes straightened, a possessive
   ``'s`` dropped.
2. ``name_parts``: whitespace tokens, with Arabic article prefixes (``al-``, ``el-``, ``Al ``…)
   and other particles removed, and for people honorifics (``President``, ``Lt-Gen``…) too.
3. ``skeleton``: one token's transliteration key.  Spelling variants of one Arabic name written
   in Latin letters share a skeleton: ``Muqtada``/``Moqtada``, ``Dhiaa``/``Diaa``,
   ``Asadi``/``Assadi``, ``Sairoun``/``Sairoon``, ``Jubouri``/``Jubuori``.

``token_match`` grades two tokens: ``EXACT`` (same fold), ``VARIANT`` (same skeleton) or ``TYPO``
(skeletons one edit or one transposition apart, both at least 5 letters long, with the same first
letter, neither a prefix of the other: ``Nauert``/``Nauret`` but not ``Iraq``/``Iraqi``; or the
same ``translit`` key, which folds the alternations of Cyrillic romanisation:
``Yevgeny``/``Evgeniy``, ``Dorofeyev``/``Dorofeev``, ``Dmitry``/``Dmitriy``).
Exact and variant matches are safe on their own; a typo match is only taken where the context
supports it (see ``canon``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

NONE, TYPO, VARIANT, EXACT = 0, 1, 2, 3

# Words that join a name without being part of its identity (Arabic articles are also written
# as hyphenated prefixes, below).
PARTICLES = frozenset(
    "al el ul bin ibn bint de del della di da dos du la le van von der den ter".split()
)
# Prefixes written with a hyphen ("al-Sadr", "el-Sisi", "ad-Din").
_PREFIX = re.compile(r"^(?:al|el|ul|ad|ar|as|ash|at|az|an)-(?=\w)", re.IGNORECASE)
# Honorifics and ranks that may open a PERSON span; trimmed from names.
TITLES = frozenset(
    """mr mrs ms miss dr prof sir dame lord lady sheikh shaikh sheik sayyed sayyid imam ayatollah
    grand cleric president vice prime minister premier chancellor king queen prince princess
    emir senator sen rep gov governor mayor gen general lt lt-gen maj maj-gen col colonel capt
    captain sgt adm admiral cmdr commander judge justice pope father rev reverend saint st
    secretary ambassador envoy speaker spokesman spokeswoman spokesperson officer chief coach
    former late gm ceo cfo chairman chairwoman quarterback host anchor mk mp""".split()
)
SUFFIXES = frozenset("jr sr ii iii iv".split())
# Generic heads of organisation names ("Sairoun alliance" ~ "Sairoun").
ORG_HEADS = frozenset(
    """movement party alliance coalition bloc list front council union league organization
    organisation group army brigades brigade militia committee trend current department ministry
    office commission bureau agency company corporation corp inc ltd llc co""".split()
)
# A capitalised "Group" names a holding company ("American Airlines Group"), not the company:
# it is a generic head only in lower case ("the Islamic State group").
PROPER_HEADS = frozenset({"group"})
# Honorifics that tell a person's gender: "Lady Starmer" is not "Sir Keir Starmer".
_GENDERED = {**dict.fromkeys("mr sir lord king prince duke".split(), "m"),
             **dict.fromkeys("mrs ms miss lady dame queen princess duchess madam".split(), "f")}
_HONORIFIC_BEFORE = re.compile(r"\b([A-Z][a-z]{1,7})\.?\s+$")
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})
_POSSESSIVE = re.compile(r"'s?$")
_NONLETTER = re.compile(r"[^a-z]")
_NONALNUM = re.compile(r"[^a-z0-9]")
_H_AFTER = re.compile(r"(?<=[dtkg])h")
_QO = str.maketrans("qo", "ku")
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_DOUBLE = re.compile(r"(.)\1+")
# Cyrillic romanisation alternations: an initial "ye"/"e" (Yevgeny/Evgeniy), a "y" between
# vowels (Dorofeyev/Dorofeev), a final "iy"/"ii"/"y" (Dmitriy/Dmitrii/Dmitry).
_YE = re.compile(r"^ye(?=[^aeiouy])")
_GLIDE = re.compile(r"(?<=[aeiou])y(?=[aeiou])")
_FINAL_Y = re.compile(r"(?:iy|yi|y)$")


@lru_cache(maxsize=1 << 17)  # pure, and called for the same few thousand names again and again
def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, no possessive, single spaces."""
    text = unicodedata.normalize("NFKD", text.translate(_APOS))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = [_POSSESSIVE.sub("", w) if w.endswith(("'s", "'")) else w for w in text.split()]
    return " ".join(words)


@lru_cache(maxsize=1 << 17)
def skeleton(token: str) -> str:
    """A transliteration key for one (folded) token: shared by spelling variants of a name.

    Letters and digits only.  From 4 characters on: "h" after d/t/k/g dropped (Dhiaa/Diaa),
    ph -> f, ck -> k, q -> k, o -> u (Muqtada/Moqtada, Sairoun/Sairoon, Jubouri/Jubuori),
    doubled letters single (Asadi/Assadi), a final "h" after a vowel dropped (Fatimah/Fatima).
    """
    s = _NONALNUM.sub("", token)
    if len(s) < 4:  # short words and acronyms stay as they are ("OK" is not "UK")
        return s
    if "h" in s:
        s = _H_AFTER.sub("", s.replace("ph", "f"))
    s = _DOUBLE.sub(r"\1", s.replace("ck", "k").translate(_QO))
    return s[:-1] if len(s) > 4 and s[-1] == "h" and s[-2] in "aeiu" else s


def translit(skel: str) -> str:
    """A looser key over a skeleton, for Cyrillic romanisation variants; only a TYPO-grade match
    (context must support it), since it also folds some unrelated names together."""
    if len(skel) < 4:
        return skel
    s = _FINAL_Y.sub("i", _GLIDE.sub("", _YE.sub("e", skel)))
    return _DOUBLE.sub(r"\1", s)


def _strip_prefix(token: str) -> str:
    return _PREFIX.sub("", token)


def name_parts(surface: str, person: bool = False) -> list[str]:
    """Folded tokens that carry a name's identity, without particles (and titles for people).

    Hyphens separate tokens ("Times-News" = "Times News"), except inside a person's given name
    or surname ("Abdul-Amir", "Hennis-Plasschaert"), where only an article prefix is cut off.
    A particle is dropped when written in lower case ("bin", "de") or as "Al"/"El"; a
    capitalised "La" or "De" stays ("La Liga"), and so do abbreviations ("L.A." -> "la").
    """
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), surface).replace(".", " ")
    tokens, kept = [], []
    for raw in text.split():
        raw = _PREFIX.sub("", raw)
        for orig in ([raw] if person else raw.split("-")):
            tok = fold(orig).strip("-'\"()[],;:")
            if not tok or not any(c.isalnum() for c in tok):
                continue
            tokens.append(tok)
            if not (tok in PARTICLES and (orig[:1].islower() or tok in ("al", "el"))):
                kept.append(tok)
    tokens = kept or tokens
    if person:
        while len(tokens) > 1 and tokens[0] in TITLES:
            tokens.pop(0)
        while len(tokens) > 1 and tokens[-1] in SUFFIXES:
            tokens.pop()
    return tokens


def damerau1(a: str, b: str) -> bool:
    """True when a and b differ by at most one edit (insert, delete, substitute, transpose)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1:] == b[i + 1:]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]
    return a[i + 1:] == b[i:] if la > lb else a[i:] == b[i + 1:]


def token_match(a: str, b: str, min_typo_len: int = 5) -> int:
    """How closely two folded name tokens match: EXACT, VARIANT, TYPO or NONE."""
    if a == b:
        return EXACT
    sa, sb = skeleton(a), skeleton(b)
    if sa and sa == sb:
        return VARIANT
    ta, tb = translit(sa), translit(sb)
    if min(len(sa), len(sb)) >= 4 and ta == tb:
        return TYPO
    for x, y in ((sa, sb), (ta, tb)):
        if (min(len(x), len(y)) >= min_typo_len and x[0] == y[0] and damerau1(x, y)
                and not (x.startswith(y) or y.startswith(x))):  # Iraq/Iraqi is no typo
            return TYPO
    return NONE


def is_initial(token: str) -> bool:
    return len(_NONLETTER.sub("", token)) == 1


@dataclass(frozen=True, slots=True)
class Name:
    """A parsed surface form: its identity tokens and their skeleton key."""

    parts: tuple[str, ...]
    key: str  # skeletons of the parts, space-separated; "" when nothing is left
    acro: bool = False  # written as an acronym ("NORAD", "U.S.")
    suffix: str = ""  # a person's generational suffix ("jr", "sr", "ii"…): another person
    proper_heads: tuple[str, ...] = ()  # heads written capitalised that stay in the core

    @property
    def given(self) -> str | None:
        return self.parts[0] if len(self.parts) >= 2 else None

    @property
    def last(self) -> str | None:
        return self.parts[-1] if self.parts else None

    @property
    def is_full(self) -> bool:
        return len(self.parts) >= 2


def generational_suffix(surface: str) -> str:
    """"jr" for "Donald Trump Jr." (also "Sr", "II", "III", "IV"), else ""."""
    words = surface.replace(",", " ").split()
    last = fold(words[-1]).strip(".") if len(words) >= 2 else ""
    return last if last in SUFFIXES else ""


def parse_name(surface: str, etype: str) -> Name:
    person = etype == "PERSON"
    parts = name_parts(surface, person=person)
    letters = re.sub(r"[\s.&]", "", surface)
    acro = 2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper()
    key = " ".join(skeleton(p) or p for p in parts)
    suffix = generational_suffix(surface) if person else ""
    proper = () if person else tuple(w.lower() for w in surface.split() if w.lower() in PROPER_HEADS
                                     and w[:1].isupper())
    # the suffix stays in the key: "Donald Trump Jr" is not "Donald Trump"
    return Name(tuple(parts), f"{key} {suffix}" if suffix else key, acro, suffix, proper)


def honorific_gender(text: str, start: int) -> set[str]:
    """{"m"} or {"f"} when a gendered honorific ("Sir", "Lady", "Mrs") stands right before
    ``start``, else an empty set."""
    m = _HONORIFIC_BEFORE.search(text, max(0, start - 10), start)
    g = _GENDERED.get(m.group(1).lower()) if m else None
    return {g} if g else set()


def org_core(name: Name) -> str:
    """An organisation key without its generic head ("sairun alians" -> "sairun"), or ""."""
    parts = [p for p in name.parts if p not in ORG_HEADS or p in name.proper_heads]
    if not parts or len(parts) == len(name.parts):
        return ""
    return " ".join(skeleton(p) or p for p in parts)


def acronym(name: Name) -> str:
    """The initials of a multi-word name ("united nations" -> "un"), or ""."""
    words = [p for p in name.parts if p not in {"of", "for", "and", "the", "on", "in"}]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def person_match(a: Name, b: Name) -> int:
    """Grade two full person names: the weaker of their given-name and surname matches.

    Different given names mean different people, however close the surnames are
    (Bashar al-Assad vs Dhiaa al-Asadi).  An initial is compatible with a given name that starts
    with it, but only as a TYPO-grade match (it needs context).
    """
    if not (a.is_full and b.is_full) or a.suffix != b.suffix:
        return NONE  # a generational suffix names another person (Donald Trump Jr)
    last = token_match(a.last, b.last)
    if last == NONE:
        return NONE
    ga, gb = a.given, b.given
    if is_initial(ga) or is_initial(gb):
        given = TYPO if ga[0] == gb[0] else NONE
    else:
        given = token_match(ga, gb)
    if given and not _middles_agree(a.parts[1:-1], b.parts[1:-1]):
        return NONE
    return min(last, given)


def _middles_agree(ma: tuple[str, ...], mb: tuple[str, ...]) -> bool:
    """Middle names agree when the shorter list appears, in order, inside the longer one."""
    if not ma or not mb:
        return True
    short, long_ = (ma, mb) if len(ma) <= len(mb) else (mb, ma)
    it = iter(long_)
    return all(any(_same_middle(s, t) for t in it) for s in short)


def _same_middle(a: str, b: str) -> bool:
    if is_initial(a) or is_initial(b):
        return a[0] == b[0]
    return token_match(a, b) >= VARIANT

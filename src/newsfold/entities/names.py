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
(one edit or one transposition apart, both at least 5 letters long: ``Nauert``/``Nauret``).
Exact and variant matches are safe on their own; a typo match is only taken where the context
supports it (see ``canon``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NONE, TYPO, VARIANT, EXACT = 0, 1, 2, 3

# Words that join a name without being part of its identity (Arabic articles are also written
# as hyphenated prefixes, below).
PARTICLES = frozenset("al el ul bin ibn bint de del della di da dos du la le van von der den ter".split())
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
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})
_POSSESSIVE = re.compile(r"'s?$")
_NONLETTER = re.compile(r"[^a-z]")
_DIGRAPHS = (("dh", "d"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("ph", "f"), ("ck", "k"),
             ("q", "k"), ("ou", "u"), ("uo", "u"), ("oo", "u"), ("ee", "i"), ("o", "u"))
_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")
_DOUBLE = re.compile(r"(.)\1+")
_TRAILING_H = re.compile(r"(?<=[aeiu])h$")


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, no possessive, single spaces."""
    text = unicodedata.normalize("NFKD", text.translate(_APOS))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = [_POSSESSIVE.sub("", w) if w.endswith(("'s", "'")) else w for w in text.split()]
    return " ".join(words)


def skeleton(token: str) -> str:
    """A transliteration key for one (folded) token: shared by spelling variants of a name."""
    s = _NONLETTER.sub("", token)
    for a, b in _DIGRAPHS:
        s = s.replace(a, b)
    s = _DOUBLE.sub(r"\1", s)
    return _TRAILING_H.sub("", s) if len(s) > 3 else s


def _strip_prefix(token: str) -> str:
    return _PREFIX.sub("", token)


def name_parts(surface: str, person: bool = False) -> list[str]:
    """Folded tokens that carry a name's identity, without particles (and titles for people).

    Hyphens separate tokens ("Times-News" = "Times News"), except inside a person's given name
    or surname ("Abdul-Amir", "Hennis-Plasschaert"), where only an article prefix is cut off.
    """
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), fold(surface)).replace(".", " ")
    raw_tokens = []
    for raw in text.split():
        raw = _strip_prefix(raw)
        raw_tokens.extend([raw] if person else raw.split("-"))
    tokens = [t.strip("-'\"()[],;:") for t in raw_tokens]
    tokens = [t for t in tokens if t and any(c.isalnum() for c in t)]
    kept = [t for t in tokens if t not in PARTICLES]
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
    if min(len(sa), len(sb)) >= min_typo_len and sa[0] == sb[0] and damerau1(sa, sb):
        return TYPO
    return NONE


def is_initial(token: str) -> bool:
    return len(_NONLETTER.sub("", token)) == 1


@dataclass(frozen=True, slots=True)
class Name:
    """A parsed surface form: its identity tokens and their skeleton key."""

    parts: tuple[str, ...]
    key: str  # skeletons of the parts, space-separated; "" when nothing is left

    @property
    def given(self) -> str | None:
        return self.parts[0] if len(self.parts) >= 2 else None

    @property
    def last(self) -> str | None:
        return self.parts[-1] if self.parts else None

    @property
    def is_full(self) -> bool:
        return len(self.parts) >= 2


def parse_name(surface: str, etype: str) -> Name:
    parts = name_parts(surface, person=etype == "PERSON")
    return Name(tuple(parts), " ".join(skeleton(p) or p for p in parts))


def org_core(name: Name) -> str:
    """An organisation key without its generic head ("sairun alians" -> "sairun"), or ""."""
    parts = [p for p in name.parts if p not in ORG_HEADS]
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
    if not (a.is_full and b.is_full):
        return NONE
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

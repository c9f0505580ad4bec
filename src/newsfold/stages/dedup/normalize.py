"""Text normalisation and exact keys: the word tokens every signature is built from."""
from __future__ import annotations

import re
import unicodedata

import xxhash

from newsfold.stages.dedup.scripts import fold_scripts

WORD_RE = re.compile(r"\w+")


def nfkc_fold(text: str) -> str:
    if text.isascii():
        return text.lower()  # NFKC is the identity on ASCII and casefold is lower()
    text = fold_scripts(text)  # Arabic folded, CJK/Thai characters set apart (see scripts.py)
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def normalize_text(text: str) -> str:
    """Unicode NFKC, casefold, and keep only the ``\\w+`` runs joined by single spaces.

    Case, whitespace, unicode compatibility forms and punctuation-only differences all vanish:
    ``"Hello,  WORLD!"`` and ``"hello world"`` normalise to the same string.  Arabic diacritics,
    tatweel and letter variants are folded, and each character of a script written without spaces
    (Chinese, Japanese, Thai) is a word of its own (:mod:`.scripts`).  The words of the
    result (``str.split()``) are exactly the tokens used for shingles.
    """
    return " ".join(WORD_RE.findall(nfkc_fold(text)))


def tokens(text: str) -> list[str]:
    """The word tokens used for shingles: the ``\\w+`` runs of the normalised text."""
    return WORD_RE.findall(nfkc_fold(text))


def exact_key(text: str) -> str:
    """16-hex xxh3-64 of :func:`normalize_text`; equal keys mean exact duplicates."""
    return xxhash.xxh3_64_hexdigest(normalize_text(text).encode("utf-8"))


"""The vectorised tokenizer behind :class:`newsfold.stages.dedup.minhash.MinHasher`.

A chunk of documents is encoded into one byte buffer in which word bytes are lower-cased (as in
:func:`newsfold.stages.dedup.normalize.normalize_text`) and every other byte is 0; token boundaries are
then the edges of the non-zero runs.
"""
from __future__ import annotations

import unicodedata

import numpy as np

from newsfold.stages.dedup.normalize import WORD_RE, nfkc_fold
from newsfold.stages.dedup.scripts import fold_scripts

# byte lookup: ASCII word chars -> lower-case byte, other ASCII -> 0, bytes >= 0x80 kept
_LUT = np.zeros(256, dtype=np.uint8)
for _c in range(256):
    _ch = chr(_c)
    if _c >= 0x80:
        _LUT[_c] = _c
    elif _ch.isalnum() or _ch == "_":
        _LUT[_c] = ord(_ch.lower())
del _c, _ch

# \w-ness of non-ASCII code points, filled lazily (known[cp] says whether word[cp] is valid)
_CP_WORD = np.zeros(0x110000, dtype=bool)
_CP_KNOWN = np.zeros(0x110000, dtype=bool)


def _classify(cps: np.ndarray) -> np.ndarray:
    unknown = cps[~_CP_KNOWN[cps]]
    if len(unknown):
        for cp in np.unique(unknown).tolist():
            _CP_WORD[cp] = WORD_RE.match(chr(cp)) is not None
            _CP_KNOWN[cp] = True
    return _CP_WORD[cps]


def _blank_nonword_utf8(low: np.ndarray) -> None:
    """Set the bytes of every non-ASCII, non-word character of the UTF-8 buffer to 0."""
    hi = np.flatnonzero(low >= 0x80)
    if not len(hi):
        return
    b0 = low[hi]
    lead = b0 >= 0xC0
    pos = hi[lead]
    b0 = b0[lead].astype(np.int64)
    n = len(low)
    b1 = low[np.minimum(pos + 1, n - 1)].astype(np.int64) & 0x3F
    b2 = low[np.minimum(pos + 2, n - 1)].astype(np.int64) & 0x3F
    b3 = low[np.minimum(pos + 3, n - 1)].astype(np.int64) & 0x3F
    nbytes = np.where(b0 >= 0xF0, 4, np.where(b0 >= 0xE0, 3, 2))
    cp = np.where(
        nbytes == 2,
        ((b0 & 0x1F) << 6) | b1,
        np.where(nbytes == 3, ((b0 & 0x0F) << 12) | (b1 << 6) | b2, ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3),
    )
    cp = np.minimum(cp, 0x10FFFF)
    bad = ~_classify(cp)
    if not bad.any():
        return
    pos = pos[bad]
    nb = nbytes[bad]
    off = np.arange(int(nb.sum())) - np.repeat(np.cumsum(nb) - nb, nb)
    low[np.repeat(pos, nb) + off] = 0


_FOLD_CHANGES = np.zeros(0x110000, dtype=bool)
_FOLD_KNOWN = np.zeros(0x110000, dtype=bool)


def _folds(cps: np.ndarray) -> np.ndarray:
    unknown = cps[~_FOLD_KNOWN[cps]]
    if len(unknown):
        for cp in np.unique(unknown).tolist():
            ch = chr(cp)
            _FOLD_CHANGES[cp] = unicodedata.normalize("NFKC", ch.casefold()) != ch
            _FOLD_KNOWN[cp] = True
    return _FOLD_CHANGES[cps]


def tokenize(docs: list[str]):
    """(buffer, token starts, token ends, first token of each doc + sentinel) for one chunk.

    In the buffer, word bytes are lower-cased (non-ASCII ones as in :func:`normalize_text`)
    and every other byte is 0.
    """
    docs = [fold_scripts(d) for d in docs]  # the identity on text without Arabic, CJK or Thai
    nd = len(docs)
    ascii_all = True
    enc = []
    for d in docs:
        if d.isascii():
            enc.append(d.encode("ascii"))
        else:
            ascii_all = False
            enc.append(unicodedata.normalize("NFKC", d).encode("utf-8", "surrogatepass"))
    lens = np.fromiter((len(e) for e in enc), dtype=np.int64, count=nd)
    buf = b"\x20" + b"\x20".join(enc) + b"\x20" * 9
    low = _LUT[np.frombuffer(buf, dtype=np.uint8)]
    if not ascii_all:
        folded = fold_if_needed(docs, enc, low, lens)
        if folded is not None:
            enc, lens, low = folded
        _blank_nonword_utf8(low)
    # document byte offsets inside buf (doc d occupies [doff[d], doff[d] + lens[d]))
    doff = np.empty(nd + 1, dtype=np.int64)
    doff[0] = 1
    np.cumsum(lens + 1, out=doff[1:])
    doff[1:] += 1
    word = low != 0
    edges = np.flatnonzero(word[1:] != word[:-1])
    edges += 1
    starts = edges[0::2]
    ends = edges[1::2]
    first = np.searchsorted(starts, doff)  # first token index of each doc (and sentinel)
    return low, starts, ends, first


def fold_if_needed(docs, enc, low, lens):
    """Casefold non-ASCII documents whose non-ASCII characters change under casefold.

    ASCII letters are lower-cased by the byte table; only documents with a non-ASCII cased
    character (rare in English news) need Python's full ``casefold`` (plus NFKC again).
    """
    hi = np.flatnonzero(low >= 0xC0)
    if not len(hi):
        return None
    b0 = low[hi].astype(np.int64)
    n = len(low)
    b1 = low[np.minimum(hi + 1, n - 1)].astype(np.int64) & 0x3F
    b2 = low[np.minimum(hi + 2, n - 1)].astype(np.int64) & 0x3F
    b3 = low[np.minimum(hi + 3, n - 1)].astype(np.int64) & 0x3F
    cp = np.where(
        b0 < 0xE0,
        ((b0 & 0x1F) << 6) | b1,
        np.where(b0 < 0xF0, ((b0 & 0x0F) << 12) | (b1 << 6) | b2, ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3),
    )
    cp = np.minimum(cp, 0x10FFFF)
    changes = _folds(cp)
    if not changes.any():
        return None
    doff = np.concatenate([[1], np.cumsum(lens + 1) + 1])
    which = np.unique(np.searchsorted(doff, hi[changes], side="right") - 1)
    enc = list(enc)
    for d in which.tolist():
        enc[d] = nfkc_fold(docs[d]).encode("utf-8", "surrogatepass")
    lens = np.fromiter((len(e) for e in enc), dtype=np.int64, count=len(enc))
    buf = b"\x20" + b"\x20".join(enc) + b"\x20" * 9
    return enc, lens, _LUT[np.frombuffer(buf, dtype=np.uint8)]

"""Pure-Python reference signatures (slow; the tests check the vectorised path against it)."""
from __future__ import annotations

import numpy as np

from newsfold.config import DedupConfig
from newsfold.stages.dedup.hashing import (C_TOKLEN, C_TOKMUL, M64, MAXVAL, fmix64, offsets, shingle_mul,
    splitmix64, layout)
from newsfold.stages.dedup.normalize import tokens


def _token_hash_ref(tok: bytes) -> int:
    h = (len(tok) * C_TOKLEN) & M64
    for k in range(0, len(tok), 8):
        chunk = int.from_bytes(tok[k : k + 8], "little")
        h = fmix64(((h ^ chunk) * C_TOKMUL) & M64)
    return h


def shingle_hashes_ref(text: str, shingle: int, seed: int) -> list[int]:
    """64-bit hashes of the word shingles of one text (reference implementation)."""
    toks = [_token_hash_ref(t.encode("utf-8")) for t in tokens(text)]
    if not toks:
        return []
    seedmix = splitmix64(seed)
    width = min(shingle, len(toks))
    out = []
    for i in range(len(toks) - width + 1):
        s = 0
        for t in range(width):
            s = (s + toks[i + t] * shingle_mul(t)) & M64
        out.append(fmix64(s ^ seedmix))
    return out


def signature_ref(text: str, cfg: DedupConfig) -> np.ndarray:
    """One document's signature computed with plain Python loops (reference implementation)."""
    K = cfg.num_perm
    lay = layout(cfg)
    hashes = shingle_hashes_ref(text, cfg.shingle, cfg.seed)
    mins = [None] * K
    for h in hashes:
        b = ((h >> 32) * K) >> 32
        v = min(h & 0xFFFFFFFF, int(MAXVAL))
        if mins[b] is None or v < mins[b]:
            mins[b] = v
    sig = np.full(K, lay.empty, dtype=lay.dtype)
    if not hashes:
        return sig
    starts = offsets(K, cfg.seed)
    dense = min(K, max(1, cfg.bands * cfg.rows))
    for i in range(K):
        if mins[i] is not None:
            sig[i] = mins[i] & lay.mask
        elif i >= dense:
            sig[i] = lay.flag
        else:
            j = int(starts[i])
            while mins[j] is None:
                j = (j + 1) % K
            sig[i] = min(lay.flag | (mins[j] & lay.mask), lay.empty - 1)
    return sig

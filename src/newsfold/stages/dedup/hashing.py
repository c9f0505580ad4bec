"""The hashing that MinHash signatures and LSH bands share: fixed constants, murmur3's fmix64,
splitmix64, the slot layout.  Changing any constant here changes every signature."""
from __future__ import annotations

import numpy as np

from newsfold.config import DedupConfig

EMPTY32 = np.uint32(0xFFFFFFFF)  # marks an empty bin while minima are taken
MAXVAL = np.uint32(0xFFFFFFFE)  # 32-bit bin minima are clipped to this, so EMPTY32 stays free

DTYPES = {8: np.uint8, 16: np.uint16, 32: np.uint32}


class SlotLayout:
    """How a signature slot of ``bits`` bits is laid out.

    * top bit (``flag``): set when the bin was empty and densification borrowed the slot;
    * other bits (``mask``): the low ``bits - 1`` bits of the bin's minimum 32-bit hash value
      (the minimum is taken on all 32 bits; its low bits are uniform).  Two different minima
      agree there with probability ``1 / 2**(bits-1)``, which the estimator corrects for;
    * ``empty`` (all ones, the dtype's maximum) fills every slot of an empty document.  A
      borrowed slot that would equal it is stored as ``empty - 1``, so no other signature
      contains ``empty`` and ``sig[:, 0] == empty`` tells empty rows.
    """

    def __init__(self, bits: int):
        if bits not in DTYPES:
            raise ValueError(f"slot_bits must be 8, 16 or 32, not {bits}")
        self.bits = bits
        self.dtype = np.dtype(DTYPES[bits])
        self.flag = 1 << (bits - 1)
        self.mask = (1 << (bits - 1)) - 1
        self.empty = (1 << bits) - 1

    def __repr__(self) -> str:
        return f"SlotLayout({self.bits})"


def layout(cfg: DedupConfig | int) -> SlotLayout:
    bits = cfg if isinstance(cfg, int) else int(getattr(cfg, "slot_bits", 32))
    return SlotLayout(bits)


def empty_rows(sigs: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows that are empty documents' signatures."""
    return sigs[:, 0] == np.iinfo(sigs.dtype).max

U64 = np.uint64
M64 = (1 << 64) - 1

# Fixed odd constants (from splitmix64 of small integers); changing any changes every signature.
C_FMIX1 = 0xFF51AFD7ED558CCD
C_FMIX2 = 0xC4CEB9FE1A85EC53
C_TOKLEN = 0x9E3779B97F4A7C15
C_TOKMUL = 0xD6E8FEB86659FD93
SHINGLE_MULS = (
    0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3,
    0x1D8E4E27C47D124F, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x2545F4914F6CDD1D,
    0x9FB21C651E98DF25, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
    0x85EBCA77C2B2AE63, 0xCC9E2D51E6546B8F, 0x1B87359343AC5FD9, 0x4CF5AD432745937F,
)


# --------------------------------------------------------------------------------------------
# scalar reference helpers (also used to derive constants)


def fmix64(h: int) -> int:
    h &= M64
    h ^= h >> 33
    h = (h * C_FMIX1) & M64
    h ^= h >> 33
    h = (h * C_FMIX2) & M64
    h ^= h >> 33
    return h


def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def shingle_mul(t: int) -> int:
    if t < len(SHINGLE_MULS):
        return SHINGLE_MULS[t]
    return splitmix64(0x5EED0000 + t) | 1


FMIX_C1 = U64(C_FMIX1)
FMIX_C2 = U64(C_FMIX2)
S33 = U64(33)
S32 = U64(32)


def fmix64_np(h: np.ndarray) -> np.ndarray:
    """murmur3 fmix64 in place on a uint64 array (wrapping arithmetic); returns h."""
    t = h >> S33
    h ^= t
    h *= FMIX_C1
    np.right_shift(h, S33, out=t)
    h ^= t
    h *= FMIX_C2
    np.right_shift(h, S33, out=t)
    h ^= t
    return h


def offsets(K: int, seed: int) -> np.ndarray:
    """Densification start bins: empty slot i borrows from the first non-empty bin at or after
    ``offsets[i]`` (cyclically).  Pseudo-random, fixed by (K, seed), the same for every document."""
    x = np.arange(K, dtype=np.uint64) + U64(splitmix64(seed ^ 0xD3A5E1F1))
    return (((fmix64_np(x) >> S32) * U64(K)) >> S32).astype(np.intp)



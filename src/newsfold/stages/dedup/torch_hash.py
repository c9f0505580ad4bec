"""MinHash signatures on a torch device (CUDA when present): the GPU path of
:class:`newsfold.stages.dedup.minhash.MinHasher`.

Tokenization stays on the CPU (:func:`newsfold.stages.dedup.tokenize.tokenize`, numpy); the byte
buffer and the token boundaries go to the device, where the token hashes, the shingle hashes, the
per-(document, bin) minima (``scatter_reduce`` "amin") and the densification and slot packing of
:meth:`MinHasher._finish` are computed.  The result is bit-identical to the numpy path
(``tests/test_dedup_torch.py``), so the device is a setting that changes no result
(``DedupConfig.device``).

torch has no general-purpose uint64, so the 64-bit hashing runs on int64 with two's-complement
wrapping: additions, multiplications and xors give the same bits as on uint64; a logical right shift
is an arithmetic shift with the sign-extended bits masked off (``_lsr``); the constants are the
uint64 constants read as int64.  An unaligned 8-byte little-endian word (numpy reads it through a
strided view) is put together from the two aligned words it straddles, by a masked right shift
and a wrapping multiplication by a power of two.

torch is imported only here, and only when a signature is asked of the torch path (or when
``device = "auto"`` looks for CUDA).
"""
from __future__ import annotations

import numpy as np

from newsfold.stages.dedup.hashing import C_FMIX1, C_FMIX2, C_TOKLEN, C_TOKMUL, EMPTY32, MAXVAL, M64

# how DedupConfig.device is read: "auto" (CUDA when torch sees it, else numpy), "cpu" (numpy),
# "cuda" (required); constructor-only (tests, benchmarks): "torch-cpu" (the torch path on the CPU)
DEVICES = ("auto", "cpu", "cuda")


def _s64(x: int) -> int:
    """A uint64 constant as the int64 with the same bits."""
    x &= M64
    return x - (1 << 64) if x >= 1 << 63 else x


def _torch():
    import torch

    return torch


def torch_available() -> bool:
    try:
        _torch()
    except Exception:
        return False
    return True


def cuda_available() -> bool:
    """Whether torch is installed and sees a CUDA device (False, without error, when torch is absent)."""
    try:
        return bool(_torch().cuda.is_available())
    except Exception:
        return False


def resolve(device: str) -> str | None:
    """The torch device the signatures run on for a ``device`` setting, or None for the numpy path.

    Raises RuntimeError when ``"cuda"`` is asked for and torch or CUDA is missing, ValueError for an
    unknown setting."""
    if device == "cpu":
        return None
    if device == "auto":
        return "cuda" if cuda_available() else None
    if device == "torch-cpu":
        if not torch_available():
            raise RuntimeError("dedup device 'torch-cpu' needs torch, which is not installed")
        return "cpu"
    if device == "cuda" or device.startswith("cuda:"):
        if not torch_available():
            raise RuntimeError(f"dedup.device = {device!r}, but torch is not installed; install torch with CUDA "
                               "or set dedup.device to 'auto' or 'cpu'")
        if not cuda_available():
            raise RuntimeError(f"dedup.device = {device!r}, but torch sees no CUDA device; set dedup.device to "
                               "'auto' or 'cpu'")
        return device
    raise ValueError(f"dedup.device must be one of {', '.join(map(repr, DEVICES))}, not {device!r}")


class TorchSigner:
    """The torch half of :class:`MinHasher`: ``sign(low, starts, ends, first)`` -> slots (numpy).

    Takes what the CPU tokenizer returns for one chunk and gives what ``MinHasher._sign_chunk``
    gives for it."""

    def __init__(self, hasher, device: str):
        torch = _torch()
        self.torch = torch
        self.device = torch.device(device)
        self.K = hasher.K
        self.k = hasher.k
        self.layout = hasher.layout
        self.B = hasher._dense_width
        t = lambda v: torch.tensor(v, dtype=torch.int64, device=self.device)  # noqa: E731
        self.muls = [_s64(int(m)) for m in hasher._muls]
        self.seedmix = _s64(int(hasher._seedmix))
        self.offsets = t(np.asarray(hasher.offsets[: self.B], np.int64))
        self.masks = t([_s64((1 << (8 * n)) - 1) for n in range(8)] + [-1])  # by bytes left (0..8)
        # an unaligned word from two aligned ones (byte offset r = 0..7 within the first):
        # (lo >> 8r, logical) | (hi * 2**(64 - 8r)), the product wrapping (2**64 -> 0 when r = 0)
        self.lo_mask = t([_s64((1 << (64 - 8 * r)) - 1) for r in range(8)])
        self.hi_mul = t([_s64(1 << (64 - 8 * r)) for r in range(8)])
        self.arange_k = torch.arange(self.K, dtype=torch.int64, device=self.device)

    # -- 64-bit arithmetic on int64
    def _lsr(self, x, s: int):
        """Logical right shift of int64 ``x`` read as uint64."""
        return (x >> s) & ((1 << (64 - s)) - 1)

    def _fmix(self, h):
        h = h ^ self._lsr(h, 33)
        h = h * _s64(C_FMIX1)
        h = h ^ self._lsr(h, 33)
        h = h * _s64(C_FMIX2)
        return h ^ self._lsr(h, 33)

    def _words(self, words, pos):
        """The 8-byte little-endian words at byte offsets ``pos`` of the buffer, as int64
        (``words``: the buffer as aligned little-endian int64)."""
        q = pos >> 3
        r = pos & 7
        return ((words[q] >> (8 * r)) & self.lo_mask[r]) | (words[q + 1] * self.hi_mul[r])

    # -- one chunk
    def sign(self, low: np.ndarray, starts: np.ndarray, ends: np.ndarray, first: np.ndarray) -> np.ndarray:
        torch, dev, K, k = self.torch, self.device, self.K, self.k
        nd = len(first) - 1
        T = len(starts)
        first_t = torch.from_numpy(np.ascontiguousarray(first, np.int64)).to(dev)
        ntok = first_t[1:] - first_t[:-1]
        has_words = ntok > 0
        mins = torch.full((nd * K,), int(EMPTY32), dtype=torch.int64, device=dev)
        if T == 0:
            return self._finish(mins.view(nd, K), has_words)
        aligned = np.zeros(((len(low) + 7) // 8 + 1) * 8, np.uint8)  # + a word past the end
        aligned[: len(low)] = low
        words = torch.from_numpy(aligned.view("<i8")).to(dev)
        st = torch.from_numpy(np.ascontiguousarray(starts, np.int64)).to(dev)
        L = torch.from_numpy(np.ascontiguousarray(ends, np.int64)).to(dev) - st
        # token hashes: 8 bytes at a time, as MinHasher._sign_chunk
        h = L * _s64(C_TOKLEN)
        h = h ^ (self._words(words, st) & self.masks[torch.clamp(L, max=8)])
        h = self._fmix(h * _s64(C_TOKMUL))
        long_idx = torch.nonzero(L > 8).flatten()
        off = 8
        while len(long_idx):
            rem = L[long_idx] - off
            c = self._words(words, st[long_idx] + off) & self.masks[torch.clamp(rem, max=8)]
            h[long_idx] = self._fmix((h[long_idx] ^ c) * _s64(C_TOKMUL))
            long_idx = long_idx[rem > 8]
            off += 8
        # k-word shingles over the chunk, then those within one document
        parts_h, parts_d = [], []
        docs = torch.arange(nd, dtype=torch.int64, device=dev)
        if T >= k:
            S = h[: T - k + 1] * self.muls[0]
            for t in range(1, k):
                S = S + h[t: T - k + 1 + t] * self.muls[t]
            nsh = torch.clamp(ntok - k + 1, min=0)
            if int(nsh.sum()) != len(S):
                has = torch.nonzero(nsh).flatten()
                cnt = nsh[has]
                sel = torch.arange(int(cnt.sum()), dtype=torch.int64, device=dev)
                sel = sel + torch.repeat_interleave(first_t[has] - (torch.cumsum(cnt, 0) - cnt), cnt)
                S = S[sel]
            parts_h.append(S)
            parts_d.append(torch.repeat_interleave(docs, nsh))
        short = torch.nonzero(has_words & (ntok < k)).flatten()
        if len(short):
            f = first_t[short]
            m = ntok[short]
            S2 = h[f] * self.muls[0]
            for t in range(1, k - 1):
                sel = m > t
                S2 = torch.where(sel, S2 + h[torch.clamp(f + t, max=T - 1)] * self.muls[t], S2)
            parts_h.append(S2)
            parts_d.append(short)
        S = torch.cat(parts_h) if len(parts_h) > 1 else parts_h[0]
        dd = torch.cat(parts_d) if len(parts_d) > 1 else parts_d[0]
        if len(S):
            S = self._fmix(S ^ self.seedmix)
            binx = self._lsr(self._lsr(S, 32) * K, 32)  # (S >> 32) * K < 2**48: no overflow
            val = torch.clamp(S & 0xFFFFFFFF, max=int(MAXVAL))
            mins.scatter_reduce_(0, dd * K + binx, val, reduce="amin", include_self=True)
        return self._finish(mins.view(nd, K), has_words)

    def _finish(self, mins, has_words) -> np.ndarray:
        """:meth:`MinHasher._finish` on the device (the suffix minimum is a flipped ``cummin``)."""
        torch, lay, K, B = self.torch, self.layout, self.K, self.B
        empty = mins == int(EMPTY32)
        sig = torch.where(empty, lay.flag, mins & lay.mask)
        no_words = ~has_words
        if bool(no_words.any()):
            empty = empty & has_words[:, None]
            sig = torch.where(no_words[:, None], lay.empty, sig)
        if bool(empty[:, :B].any()):
            nxt = torch.where(empty, 2 * K, self.arange_k)
            nxt = torch.flip(torch.cummin(torch.flip(nxt, [1]), 1).values, [1])
            donor = nxt[:, self.offsets]
            donor = torch.where(donor >= K, nxt[:, :1], donor)
            donor = torch.where(no_words[:, None], 0, donor)
            borrowed = torch.clamp(torch.gather(sig, 1, donor) | lay.flag, max=lay.empty - 1)
            sig[:, :B] = torch.where(empty[:, :B], borrowed, sig[:, :B])
        if lay.bits == 8:
            return sig.to(torch.uint8).cpu().numpy()
        if lay.bits == 16:
            return sig.to(torch.int32).cpu().numpy().astype(np.uint16)
        return sig.cpu().numpy().astype(np.uint32)

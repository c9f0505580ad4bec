"""One-permutation MinHash signatures (normalisation and exact keys: :mod:`.normalize`; the
byte tokenizer: :mod:`.tokenize`; the shared hashing: :mod:`.hashing`; the pure-Python reference:
:mod:`.reference_hash`).

Signatures use one-permutation hashing (OPH, Li, Owen & Zhang 2012) with b-bit slots: every word
shingle is hashed once to 64 bits; the high 32 bits pick one of ``num_perm`` bins, the low 32 bits
are the value, and each bin keeps its minimum, of which the slot stores the low
``slot_bits - 1`` bits.  The slot's top bit flags a bin that was empty; empty bins read by LSH
bands borrow the slot of a non-empty bin (densification, see :meth:`MinHasher._finish`), so that
short documents still get full band keys.  Similarity is estimated on the non-borrowed slots only
(``newsfold.stages.dedup.lsh.similarity_from_slots``), which keeps the estimate unbiased.

All hashing is batch-wide numpy: the batch is encoded into one byte buffer, token boundaries are
found by a byte lookup table, each token is hashed from 8-byte little-endian chunks read straight
from the buffer, ``k`` consecutive token hashes are combined into shingle hashes, and per-(doc,
bin) minima are taken with ``np.minimum.at``.  Nothing depends on Python's ``hash()``, so
signatures are identical across runs, processes and batch compositions.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import xxhash

from newsfold.config import DedupConfig
from newsfold.stages.dedup.hashing import (C_TOKLEN, C_TOKMUL, EMPTY32, M64, MAXVAL, S32, S33, U64, SlotLayout,
    empty_rows, fmix64_np, layout, offsets, shingle_mul, splitmix64)
from newsfold.stages.dedup.tokenize import tokenize

def exact_keys(texts: Sequence[str] | Iterable[str]) -> list[str]:
    """``[exact_key(t) for t in texts]``, computed batch-wide (several times faster)."""
    return MinHasher(DedupConfig(num_perm=1, bands=1, rows=1, slot_bits=32)).exact_keys(texts)


# --------------------------------------------------------------------------------------------
# vectorised hashing

def _group_positions(counts: np.ndarray) -> np.ndarray:
    """For counts [2, 3] return [0, 1, 0, 1, 2]."""
    tot = int(counts.sum())
    return np.arange(tot, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [M64], dtype=np.uint64)


class MinHasher:
    """Deterministic OPH MinHash signatures for batches of texts.

    ``signatures(texts)`` returns a ``(len(texts), cfg.num_perm)`` array of ``cfg.slot_bits``-bit
    unsigned slots (``self.dtype``: uint8, uint16 or uint32; see :class:`SlotLayout`).  A
    document with no word at all gets a signature whose every slot is the dtype's maximum
    (``self.empty``); no other signature contains that value, and :func:`near_duplicate_pairs`
    never pairs an empty document with anything (empty documents are exact duplicates of each
    other: use :func:`exact_key`).

    One process: an engine that wants more splits the batches over its workers.

    ``device`` (default ``cfg.device``) picks where the hashing runs: ``"cpu"`` numpy, ``"cuda"``
    the torch path on CUDA (:mod:`.torch_hash`; RuntimeError here when there is none), ``"auto"``
    CUDA when torch sees it (decided at the first signature), else numpy; ``"torch-cpu"`` (not a
    setting: tests and benchmarks) the torch path on the CPU.  Every path gives the same slots.
    """

    def __init__(self, cfg: DedupConfig | None = None, device: str | None = None):
        self.cfg = cfg or DedupConfig()
        self.device = device or getattr(self.cfg, "device", "auto")
        self._signer = None  # the torch path, once resolved (never pickled)
        self._resolved = False
        if self.cfg.shingle < 1 or self.cfg.num_perm < 1:
            raise ValueError("shingle and num_perm must be positive")
        self.K = int(self.cfg.num_perm)
        self.layout = layout(self.cfg)
        self.dtype = self.layout.dtype
        self.empty = self.layout.empty
        self.k = int(self.cfg.shingle)
        self._seedmix = U64(splitmix64(int(self.cfg.seed)))
        self._muls = [U64(shingle_mul(t)) for t in range(self.k)]
        self.offsets = offsets(self.K, int(self.cfg.seed))
        # slots that LSH bands read are densified; the others only keep the borrowed flag
        self._dense_width = min(self.K, max(1, int(self.cfg.bands) * int(self.cfg.rows)))
        self._chunk_bytes = 1 << 18  # ~256 KB of text per vectorised pass keeps temporaries in cache
        if self.device not in ("auto", "cpu"):  # "cuda" fails here, not in the middle of a run
            self._resolve()

    def __getstate__(self):
        return {**self.__dict__, "_signer": None, "_resolved": False}

    def _resolve(self):
        """The torch signer for this hasher's device, or None for the numpy path (decided once)."""
        if not self._resolved:
            from newsfold.stages.dedup import torch_hash

            where = torch_hash.resolve(self.device)
            self._signer = torch_hash.TorchSigner(self, where) if where is not None else None
            self._resolved = True
        return self._signer

    @property
    def backend(self) -> str:
        """Where signatures are computed: ``"numpy"`` or ``"torch:<device>"``."""
        signer = self._resolve()
        return "numpy" if signer is None else f"torch:{signer.device}"

    # -- public
    def signatures(self, texts: Sequence[str] | Iterable[str]) -> np.ndarray:
        return self._signatures_local(list(texts))

    def _signatures_local(self, texts: list[str]) -> np.ndarray:
        n = len(texts)
        out = np.empty((n, self.K), dtype=self.dtype)
        i = 0
        signer = self._resolve()
        sign = self._sign_chunk if signer is None else (lambda docs: signer.sign(*self._tokenize(docs)))
        budget = self._chunk_bytes if signer is None else self._chunk_bytes * 16  # fewer, larger device passes
        while i < n:
            j = i
            size = 0
            while j < n and (size < budget or j == i):
                size += len(texts[j]) + 1
                j += 1
            out[i:j] = sign(texts[i:j])
            i = j
        return out

    # -- the vectorised core, for one chunk of documents (~1 MB of text)
    def _tokenize(self, docs: list[str]):
        """See :func:`newsfold.stages.dedup.tokenize.tokenize`."""
        return tokenize(docs)

    def exact_keys(self, texts: Sequence[str] | Iterable[str]) -> list[str]:
        """``[exact_key(t) for t in texts]``, from the vectorised tokenizer (faster)."""
        texts = list(texts)
        out: list[str] = []
        i, n = 0, len(texts)
        while i < n:
            j, size = i, 0
            while j < n and (size < self._chunk_bytes or j == i):
                size += len(texts[j]) + 1
                j += 1
            out.extend(self._keys_chunk(texts[i:j]))
            i = j
        return out

    def _keys_chunk(self, docs: list[str]) -> list[str]:
        low, starts, ends, first = self._tokenize(docs)
        L = ends - starts
        dst = np.cumsum(L + 1) - (L + 1)  # tokens joined by one space
        norm = np.full(int((L + 1).sum()), 0x20, dtype=np.uint8)
        pos = _group_positions(L)
        norm[np.repeat(dst, L) + pos] = low[np.repeat(starts, L) + pos]
        b = norm.tobytes()
        a_off = np.append(dst, len(b)).tolist()  # start of each token, then the end
        f = first.tolist()
        h = xxhash.xxh3_64_hexdigest
        return [h(b[a_off[f[d]] : a_off[f[d + 1]] - 1]) if f[d + 1] > f[d] else h(b"") for d in range(len(docs))]

    def _sign_chunk(self, docs: list[str]) -> np.ndarray:
        K, k = self.K, self.k
        nd = len(docs)
        low, starts, ends, first = self._tokenize(docs)
        T = len(starts)
        sig = np.full((nd, K), EMPTY32, dtype=np.uint32)
        if T == 0:
            return self._finish(sig, np.zeros(nd, dtype=bool))
        L = (ends - starts).astype(np.uint64)
        # token hashes from 8-byte chunks of the buffer (unaligned little-endian view)
        view = np.ndarray(shape=(len(low) - 7,), dtype="<u8", buffer=low, strides=(1,))
        h = L * U64(C_TOKLEN)
        c = view[starts]
        c &= _MASKS[np.minimum(L, 8).astype(np.intp)]
        h ^= c
        h *= U64(C_TOKMUL)
        fmix64_np(h)
        long_idx = np.flatnonzero(L > 8)
        off = 8
        while len(long_idx):
            rem = L[long_idx] - U64(off)
            c = view[starts[long_idx] + off] & _MASKS[np.minimum(rem, 8).astype(np.intp)]
            hh = h[long_idx] ^ c
            hh *= U64(C_TOKMUL)
            h[long_idx] = fmix64_np(hh)
            keep = rem > 8
            long_idx = long_idx[keep]
            off += 8
        ntok = np.diff(first)
        # k-word shingles over the whole chunk, then drop those crossing a document boundary
        parts_h = []
        parts_d = []
        if T >= k:
            S = h[: T - k + 1] * self._muls[0]
            for t in range(1, k):
                S += h[t : T - k + 1 + t] * self._muls[t]
            nsh = np.maximum(ntok - k + 1, 0)
            if int(nsh.sum()) != len(S):
                has = np.flatnonzero(nsh)
                cnt = nsh[has]
                tot = int(cnt.sum())
                sel = np.arange(tot, dtype=np.int64)
                sel += np.repeat(first[has] - (np.cumsum(cnt) - cnt), cnt)
                S = S[sel]
            parts_h.append(S)
            parts_d.append(np.repeat(np.arange(nd, dtype=np.int64), nsh))
        short = np.flatnonzero((ntok > 0) & (ntok < k))
        if len(short):
            f = first[short]
            m = ntok[short]
            S2 = h[f] * self._muls[0]
            for t in range(1, k - 1):
                sel = m > t
                S2[sel] += h[f[sel] + t] * self._muls[t]
            parts_h.append(S2)
            parts_d.append(short.astype(np.int64))
        S = np.concatenate(parts_h) if len(parts_h) > 1 else parts_h[0]
        dd = np.concatenate(parts_d) if len(parts_d) > 1 else parts_d[0]
        if len(S) == 0:
            return self._finish(sig, ntok > 0)
        S ^= self._seedmix
        fmix64_np(S)
        binx = S >> S32
        binx *= U64(K)
        binx >>= S32
        val = S.astype(np.uint32)  # low 32 bits
        np.minimum(val, MAXVAL, out=val)
        idx = dd * K
        idx += binx.astype(np.int64)
        flat = sig.reshape(-1)
        np.minimum.at(flat, idx, val)
        return self._finish(sig, ntok > 0)

    def _finish(self, mins: np.ndarray, has_words: np.ndarray) -> np.ndarray:
        """Turn the (docs, K) uint32 bin minima into slots and densify the empty bins.

        Slot = low ``bits - 1`` bits of the bin minimum.  An empty bin i within the first
        ``bands * rows`` slots (the ones LSH bands read) borrows the slot of the first non-empty
        bin at or after ``offsets[i]`` (cyclically), with the flag bit set: a fixed,
        document-independent choice, so two similar documents borrow from the same bin and agree
        there with probability ~J, which keeps LSH recall for short documents.  The estimator
        never uses borrowed values (only the flag: Li, Owen & Zhang's estimator over the bins
        non-empty in either document), so the other empty slots just get the flag.
        """
        lay = self.layout
        K, B = self.K, self._dense_width
        flag = lay.dtype.type(lay.flag)
        empty = mins == EMPTY32
        sig = (mins & np.uint32(lay.mask)).astype(lay.dtype)
        # an empty bin's minimum is all ones, so its slot is ``mask``; xor-ing ``empty`` (all
        # ones) turns it into ``flag`` (value 0), the final slot of empty bins beyond the bands
        sig ^= empty.view(np.uint8).astype(lay.dtype, copy=False) * lay.dtype.type(lay.empty)
        if not has_words.all():
            empty[~has_words] = False
            sig[~has_words] = lay.empty
        if not empty[:, :B].any():
            return sig
        # nxt[d, x] = first non-empty bin of document d at or after x (2K if none): a suffix
        # minimum, computed by log2(K) shifted minima over the whole chunk
        it = np.int16 if 2 * K < 1 << 15 else np.int32
        nxt = np.where(empty, it(2 * K), np.arange(K, dtype=it))
        step = 1
        while step < K:
            np.minimum(nxt[:, :-step], nxt[:, step:], out=nxt[:, :-step])
            step *= 2
        donor = nxt[:, self.offsets[:B]]
        wrap = donor >= K
        if wrap.any():
            donor = np.where(wrap, nxt[:, :1], donor)
        donor[~has_words] = 0
        donor = donor.astype(np.intp)
        donor += np.arange(0, len(sig) * K, K, dtype=np.intp)[:, None]
        borrowed = sig.reshape(-1)[donor]
        borrowed |= flag
        np.minimum(borrowed, lay.dtype.type(lay.empty - 1), out=borrowed)
        np.copyto(sig[:, :B], borrowed, where=empty[:, :B])
        return sig

"""LSH banding over MinHash signatures, with verification, one-shot and incremental.

Band ``b`` covers signature slots ``[b*rows, (b+1)*rows)``; its key is a 64-bit hash of those
``rows`` slots.  Two rows are *candidates* when they share a key in at least one band;
candidates are found by sorting each band's keys (never Python dicts), and are then *verified*:
a pair is reported when its estimated Jaccard over all ``num_perm`` slots (also those not
covered by bands) is at least ``cfg.threshold``.

The estimate is Li, Owen & Zhang's one-permutation estimator, which ignores the bins empty in
both documents (both slots carry the densification flag): ``matches / (K - both_borrowed)``,
where matches count equal unflagged slots, corrected for the chance ``c = 2**-(slot_bits-1)``
that two different bin minima agree in the ``slot_bits - 1`` bits kept.

Rows whose signature is empty (see :func:`empty_rows`) are never paired.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from newsfold.config import DedupConfig
from newsfold.stages.dedup.hashing import empty_rows, fmix64_np, splitmix64

_U64 = np.uint64
_BAND_MUL = _U64(0x9FB21C651E98DF25)
_ROW_CHUNK = 1 << 16
_PAIR_CHUNK = 1 << 15


def check_signatures(sigs: np.ndarray, cfg: DedupConfig) -> None:
    if sigs.ndim != 2:
        raise ValueError("signatures must be a 2-D array (documents x num_perm)")
    if sigs.shape[1] != cfg.num_perm:
        raise ValueError(f"signatures have {sigs.shape[1]} slots, cfg.num_perm is {cfg.num_perm}")
    if cfg.bands * cfg.rows > cfg.num_perm:
        raise ValueError(f"bands*rows = {cfg.bands * cfg.rows} exceeds num_perm = {cfg.num_perm}")
    if sigs.dtype.kind != "u" or sigs.dtype.itemsize * 8 != getattr(cfg, "slot_bits", 32):
        raise ValueError(f"signatures are {sigs.dtype}, cfg.slot_bits is {getattr(cfg, 'slot_bits', 32)}")


def band_keys(sigs: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """(n, bands) uint64 band keys of the signatures."""
    check_signatures(sigs, cfg)
    n = len(sigs)
    b, r = cfg.bands, cfg.rows
    seeds = np.array([splitmix64(0xBA0D0000 + 7919 * cfg.seed + j) for j in range(b)], dtype=np.uint64)
    out = np.empty((n, b), dtype=np.uint64)
    width = sigs.dtype.itemsize * r
    for s in range(0, n, _ROW_CHUNK):
        x = np.ascontiguousarray(sigs[s : s + _ROW_CHUNK, : b * r]).reshape(-1, b, r)
        if width == 8:  # a band is exactly one uint64: use its bytes as they are
            acc = x.view(np.uint64).reshape(-1, b) ^ seeds
        else:
            acc = np.broadcast_to(seeds, (len(x), b)).copy()
            for t in range(r):
                acc ^= x[:, :, t]
                acc *= _BAND_MUL
                acc ^= acc >> _U64(29)
        out[s : s + _ROW_CHUNK] = fmix64_np(acc)
    return out


def similarity_from_slots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of row pairs ``(a[k], b[k])`` (two equal-shape slot arrays), float64.

    ``(matches - c * both_original) / (1 - c) / (K - both_borrowed)`` with ``c = 2**-(bits-1)``;
    0 where either row is an empty document.
    """
    bits = a.dtype.itemsize * 8
    flag = a.dtype.type(1 << (bits - 1))
    c = 1.0 / (1 << (bits - 1))
    K = a.shape[1]
    fa = a >= flag
    fb = b >= flag
    eq = a == b
    eq &= ~fa
    mat = np.count_nonzero(eq, axis=1)
    np.logical_and(fa, fb, out=eq)
    borrowed = np.count_nonzero(eq, axis=1)
    np.logical_or(fa, fb, out=eq)
    original = K - np.count_nonzero(eq, axis=1)
    den = K - borrowed
    est = (mat - c * original) / (1.0 - c) / np.maximum(den, 1)
    est = np.clip(est, 0.0, 1.0)
    est[(den == 0) | (a[:, 0] == np.iinfo(a.dtype).max) | (b[:, 0] == np.iinfo(b.dtype).max)] = 0.0
    return est


def pair_similarity(sigs: np.ndarray, pairs: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """Estimated Jaccard of each pair (rows of ``sigs``; second member from ``other`` if given)."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    other = sigs if other is None else other
    out = np.empty(len(pairs), dtype=np.float64)
    for s in range(0, len(pairs), _PAIR_CHUNK):
        p = pairs[s : s + _PAIR_CHUNK]
        out[s : s + _PAIR_CHUNK] = similarity_from_slots(sigs[p[:, 0]], other[p[:, 1]])
    return out


def verify_pairs(sigs: np.ndarray, pairs: np.ndarray, cfg: DedupConfig, other: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask: estimated Jaccard of each pair >= cfg.threshold."""
    return pair_similarity(sigs, pairs, other) >= cfg.threshold - 1e-9


def _expand(counts: np.ndarray) -> np.ndarray:
    """For counts [2, 3] return [0, 1, 0, 1, 2] (position inside each group)."""
    tot = int(counts.sum())
    return np.arange(tot, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)


def pairs_in_runs(sorted_keys: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (row, row) pairs of equal keys; ``sorted_keys = keys[order]``."""
    m = len(sorted_keys)
    if m < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    brk = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    rstart = np.concatenate(([0], brk))
    rsize = np.diff(np.concatenate((rstart, [m])))
    multi = rsize >= 2
    if not multi.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rstart = rstart[multi]
    rsize = rsize[multi]
    pos = np.repeat(rstart, rsize) + _expand(rsize)  # positions of members of multi-runs
    off = pos - np.repeat(rstart, rsize)
    cnt = np.repeat(rsize, rsize) - 1 - off  # partners after this member
    left = np.repeat(pos, cnt)
    right = left + 1 + _expand(cnt)
    return order[left], order[right]


SAMPLE = 512  # a stored sorted array keeps every SAMPLE-th key in memory (see sorted_search)


def sorted_search(sk: np.ndarray, q: np.ndarray, side: str = "left", sample: np.ndarray | None = None) -> np.ndarray:
    """``np.searchsorted(sk, q, side)``; with ``sample = sk[::SAMPLE]`` (kept in memory) each query reads
    one window of SAMPLE keys of ``sk`` (one page when ``sk`` is memory-mapped) instead of ~log2(n)
    scattered pages."""
    if sample is None or len(sk) <= 4 * SAMPLE or not len(q):
        return np.searchsorted(sk, q, side=side)
    b = np.searchsorted(sample, q, side=side)
    lo = np.maximum(b - 1, 0) * SAMPLE
    idx = lo[:, None] + np.arange(SAMPLE)
    valid = idx < len(sk)
    win = np.asarray(sk[np.minimum(idx, len(sk) - 1)])
    below = win < q[:, None] if side == "left" else win <= q[:, None]
    return lo + (below & valid).sum(axis=1)


def band_hits(sk: np.ndarray, sids: np.ndarray, qk: np.ndarray, qr: np.ndarray,
              sample: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows sharing a band key: (query row, stored id) for every stored key in ``sk`` (sorted,
    ids ``sids``; ``sample``: see :func:`sorted_search`) equal to a query key ``qk`` (sorted, rows ``qr``)."""
    if not len(sk):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lo = sorted_search(sk, qk, "left", sample)
    hit = np.flatnonzero(sk[np.minimum(lo, len(sk) - 1)] == qk)
    lo = lo[hit]
    cnt = sorted_search(sk, qk[hit], "right", sample) - lo
    q = np.repeat(qr[hit], cnt).astype(np.int64)
    return q, np.asarray(sids[np.repeat(lo, cnt) + _expand(cnt)]).astype(np.int64)


def pair_codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    return lo * n + hi


class CodeSet:
    """Accumulates pair codes (lo * n + hi), deduplicating as it grows."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list[np.ndarray] = []
        self.size = 0
        self.limit = 1 << 22

    def add(self, codes: np.ndarray) -> None:
        if len(codes):
            self.parts.append(codes)
            self.size += len(codes)
            if self.size > self.limit:
                u = np.unique(np.concatenate(self.parts))
                self.parts = [u]
                self.size = len(u)
                self.limit = max(self.limit, 2 * len(u))

    def pairs(self) -> np.ndarray:
        if not self.parts:
            return np.empty((0, 2), dtype=np.int64)
        u = np.unique(np.concatenate(self.parts))
        return np.stack((u // self.n, u % self.n), axis=1)


def candidate_pairs(sigs: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """(m, 2) int64 unique pairs i<j sharing at least one band key (before verification)."""
    check_signatures(sigs, cfg)
    n = len(sigs)
    live = np.flatnonzero(~empty_rows(sigs)) if n else np.empty(0, np.int64)
    acc = CodeSet(max(n, 1))
    if len(live) < 2:
        return acc.pairs()
    keys = band_keys(sigs[live] if len(live) < n else sigs, cfg)
    for j in range(cfg.bands):
        kj = keys[:, j]
        order = np.argsort(kj)
        a, b = pairs_in_runs(kj[order], order)
        acc.add(pair_codes(live[a], live[b], n))
    return acc.pairs()


def near_duplicate_pairs(sigs: np.ndarray, cfg: DedupConfig | None = None, candidates=None) -> np.ndarray:
    """(m, 2) int64 row pairs i<j (sorted) whose estimated Jaccard >= cfg.threshold.

    LSH banding (cfg.bands x cfg.rows) proposes candidates; each is verified on all slots.
    ``candidates(sigs, cfg)``: another way to the same candidates (an engine's shuffle over its
    workers: ``shuffle.py``); default ``candidate_pairs``.
    """
    cfg = cfg or DedupConfig()
    sigs = np.asarray(sigs)
    cand = (candidates or candidate_pairs)(sigs, cfg)
    if not len(cand):
        return cand
    return cand[verify_pairs(sigs, cand, cfg)]


# ------------------------------------------------------------------------------------------
# incremental index


class LshSegment:
    """Rows sorted by key, separately for each band: keys (bands, m) uint64, ids (bands, m) uint32."""

    __slots__ = ("keys", "ids")

    def __init__(self, keys: np.ndarray, ids: np.ndarray):
        self.keys = keys
        self.ids = ids

    @property
    def size(self) -> int:
        return self.keys.shape[1]

    @classmethod
    def build(cls, keys_rows: np.ndarray, ids: np.ndarray) -> "LshSegment":
        """keys_rows: (m, bands) band keys of rows ``ids``."""
        kt = np.ascontiguousarray(keys_rows.T)
        order = np.argsort(kt, axis=1, kind="stable")
        return cls(np.take_along_axis(kt, order, axis=1), ids.astype(np.uint32)[order])

    def merge(self, other: "LshSegment") -> "LshSegment":
        """Linear merge of two segments (``other``'s rows after ``self``'s among equal keys)."""
        b, na, nb = self.keys.shape[0], self.size, other.size
        keys = np.empty((b, na + nb), dtype=np.uint64)
        ids = np.empty((b, na + nb), dtype=np.uint32)
        at_b = np.zeros(na + nb, dtype=bool)
        for j in range(b):
            pos = np.searchsorted(self.keys[j], other.keys[j], side="right")
            pos += np.arange(nb)
            at_b[:] = False
            at_b[pos] = True
            keys[j, pos] = other.keys[j]
            ids[j, pos] = other.ids[j]
            keys[j, ~at_b] = self.keys[j]
            ids[j, ~at_b] = self.ids[j]
        return LshSegment(keys, ids)


class LSHIndex:
    """An incremental near-duplicate index whose results equal :func:`near_duplicate_pairs`.

    ``add(sigs)`` stores the new rows (they get the next row numbers) and returns the verified
    pairs ``(i, j)``, ``i < j``, that involve at least one new row; the union of everything
    ``add`` returned equals the one-shot ``near_duplicate_pairs`` over all rows.

    Memory: the signatures (n x num_perm x slot_bits/8 bytes, grown by half when full) plus, per
    band, a sorted uint64 key and a uint32 row id per non-empty row (12 bytes x bands per row):
    at 1,000,000 rows with the defaults (512 8-bit slots, 32 bands) 488 MB + 366 MB.  Keys live in
    a few sorted segments of geometrically decreasing size (merged like a binary counter), so
    adding a batch costs O(batch x bands x log n) searches plus amortised linear merges.
    """

    def __init__(self, cfg: DedupConfig | None = None):
        self.cfg = cfg or DedupConfig()
        if self.cfg.bands * self.cfg.rows > self.cfg.num_perm:
            raise ValueError("bands*rows exceeds num_perm")
        self._dtype = np.dtype({8: np.uint8, 16: np.uint16, 32: np.uint32}[getattr(self.cfg, "slot_bits", 32)])
        self._sigs = np.empty((0, self.cfg.num_perm), dtype=self._dtype)
        self.n = 0
        self._segments: list[LshSegment] = []

    # -- storage
    @property
    def signatures(self) -> np.ndarray:
        return self._sigs[: self.n]

    def __len__(self) -> int:
        return self.n

    def _append(self, sigs: np.ndarray) -> None:
        need = self.n + len(sigs)
        if need > len(self._sigs):
            cap = max(need, len(self._sigs) + len(self._sigs) // 2, 1024)
            grown = np.empty((cap, self.cfg.num_perm), dtype=self._dtype)
            grown[: self.n] = self._sigs[: self.n]
            self._sigs = grown
        self._sigs[self.n : need] = sigs
        self.n = need

    # -- queries
    def _against_segments(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Codes of candidate pairs between query rows (band keys ``keys``) and indexed rows."""
        acc = CodeSet(1 << 32)
        if not self._segments:
            return acc.pairs()
        for j in range(self.cfg.bands):
            order = np.argsort(keys[:, j])  # sorted needles: searchsorted walks forward
            qk = keys[order, j]
            qr = rows[order]
            for seg in self._segments:
                q, other = band_hits(seg.keys[j], seg.ids[j], qk, qr)
                if len(q):
                    acc.add(pair_codes(q, other, 1 << 32))
        return acc.pairs()

    def query(self, sigs: np.ndarray) -> np.ndarray:
        """Verified pairs (query row, indexed row) between ``sigs`` and the index; adds nothing."""
        sigs = np.asarray(sigs)
        check_signatures(sigs, self.cfg)
        live = np.flatnonzero(~empty_rows(sigs))
        if not len(live) or not self.n:
            return np.empty((0, 2), dtype=np.int64)
        keys = band_keys(sigs[live], self.cfg)
        # query rows are numbered after the index, so each pair comes out as (indexed, query)
        raw = self._against_segments(keys, live + self.n)
        q = raw[:, 1] - self.n
        other = raw[:, 0]
        keep = verify_pairs(sigs, np.stack((q, other), axis=1), self.cfg, other=self._sigs)
        out = np.stack((q[keep], other[keep]), axis=1)
        return out[np.lexsort((out[:, 1], out[:, 0]))]

    def add(self, sigs: np.ndarray) -> np.ndarray:
        """Index new rows; return verified pairs (i < j) that involve at least one of them."""
        sigs = np.asarray(sigs)
        check_signatures(sigs, self.cfg)
        base = self.n
        if self.n + 2 * len(sigs) >= 1 << 31:
            raise ValueError("LSHIndex holds fewer than 2**31 rows")
        self._append(sigs)
        live = np.flatnonzero(~empty_rows(sigs))
        if not len(live):
            return np.empty((0, 2), dtype=np.int64)
        rows = live + base
        keys = band_keys(sigs[live], self.cfg)
        parts = [self._against_segments(keys, rows)]
        acc = CodeSet(1 << 32)
        for j in range(self.cfg.bands):
            kj = keys[:, j]
            order = np.argsort(kj)
            a, b = pairs_in_runs(kj[order], order)
            acc.add(pair_codes(rows[a], rows[b], 1 << 32))
        parts.append(acc.pairs())
        cand = np.concatenate(parts)
        if len(cand):
            cand = cand[verify_pairs(self._sigs, cand, self.cfg)]
            cand = cand[np.lexsort((cand[:, 1], cand[:, 0]))]
        self._segments.append(LshSegment.build(keys, rows))
        while len(self._segments) >= 2 and self._segments[-2].size <= 2 * self._segments[-1].size:
            last = self._segments.pop()
            self._segments[-1] = self._segments[-1].merge(last)
        return cand

    # -- persistence
    def _consolidate(self) -> LshSegment | None:
        while len(self._segments) >= 2:
            last = self._segments.pop()
            self._segments[-1] = self._segments[-1].merge(last)
        return self._segments[0] if self._segments else None

    def save(self, path: str | Path) -> Path:
        """Write the index into folder ``path``: sigs.npy, band_keys.npy, band_ids.npy, meta.json."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        seg = self._consolidate()
        np.save(path / "sigs.npy", self.signatures)
        b = self.cfg.bands
        np.save(path / "band_keys.npy", seg.keys if seg else np.empty((b, 0), np.uint64))
        np.save(path / "band_ids.npy", seg.ids if seg else np.empty((b, 0), np.uint32))
        meta = {"format": 1, "n": self.n, "cfg": {k: getattr(self.cfg, k) for k in self.cfg.__dataclass_fields__}}
        (path / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        return path

    @classmethod
    def load(cls, path: str | Path, mmap: bool = False) -> "LSHIndex":
        """Read an index written by :meth:`save` (with ``mmap`` the arrays stay on disk, read-only)."""
        path = Path(path)
        meta = json.loads((path / "meta.json").read_text())
        cfg = DedupConfig(**{k: v for k, v in meta["cfg"].items() if k in DedupConfig.__dataclass_fields__})
        idx = cls(cfg)
        mode = "r" if mmap else None
        sigs = np.load(path / "sigs.npy", mmap_mode=mode)
        if len(sigs) != meta["n"]:
            raise ValueError(f"{path}: sigs.npy has {len(sigs)} rows, meta.json says {meta['n']}")
        idx._sigs = sigs if mmap else np.ascontiguousarray(sigs)
        idx.n = len(sigs)
        keys = np.load(path / "band_keys.npy", mmap_mode=mode)
        ids = np.load(path / "band_ids.npy", mmap_mode=mode)
        if keys.shape[1]:
            idx._segments = [LshSegment(keys, ids)]
        return idx


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard of two signatures (see :func:`newsfold.stages.dedup.lsh.pair_similarity`)."""
    return float(similarity_from_slots(np.asarray(a)[None, :], np.asarray(b)[None, :])[0])

"""LSH candidates as a shuffle, for an engine that spreads them over workers (the Ray engine).

``band_buckets`` (map: a slice of the rows -> their (band, key, row) triples, split by key into ``parts``
buckets), then ``bucket_codes`` (reduce: one bucket from every map -> the pairs sharing a band key), then
``codes_to_pairs``.  Every (band, key) lands in one bucket, so the union is ``lsh.candidate_pairs``.
"""
from __future__ import annotations

import numpy as np

from newsfold.config import DedupConfig
from newsfold.stages.dedup.hashing import empty_rows
from newsfold.stages.dedup.lsh import CodeSet, band_keys, check_signatures, pair_codes, pairs_in_runs


def band_buckets(sigs: np.ndarray, first: int, cfg: DedupConfig, parts: int) -> list[np.ndarray]:
    """Map side: the (band, key, row) of every band of the non-empty rows of ``sigs`` (rows
    numbered from ``first``), as ``parts`` (k, 3) uint64 arrays; bucket ``key % parts``."""
    check_signatures(sigs, cfg)
    live = np.flatnonzero(~empty_rows(sigs)) if len(sigs) else np.empty(0, np.int64)
    keys = band_keys(sigs[live], cfg).ravel()  # row-major: (row, band)
    bands = np.tile(np.arange(cfg.bands, dtype=np.uint64), len(live))
    rows = np.repeat((live + first).astype(np.uint64), cfg.bands)
    triples = np.stack((bands, keys, rows), axis=1)
    bucket = keys % np.uint64(parts)
    return [triples[bucket == p] for p in range(parts)]


def bucket_codes(buckets: list[np.ndarray], n: int) -> np.ndarray:
    """Reduce side: the unique codes (``lo * n + hi``) of the row pairs that share a band key among
    the triples of one bucket (gathered from every map)."""
    t = np.concatenate([b for b in buckets if len(b)] or [np.empty((0, 3), np.uint64)])
    order = np.lexsort((t[:, 2], t[:, 1], t[:, 0]))  # by band, then key (rows in order within a run)
    t = t[order]
    group = np.empty(len(t), np.uint64)  # one id per (band, key) run: equal ids are one run
    if len(t):
        group[0] = 0
        group[1:] = np.cumsum((t[1:, 0] != t[:-1, 0]) | (t[1:, 1] != t[:-1, 1]))
    a, b = pairs_in_runs(group, np.arange(len(t)))
    return np.unique(pair_codes(t[a, 2].astype(np.int64), t[b, 2].astype(np.int64), max(n, 1)))


def codes_to_pairs(codes: list[np.ndarray], n: int) -> np.ndarray:
    """The (m, 2) unique pairs i < j of the codes the reducers gave, as ``candidate_pairs`` gives them."""
    acc = CodeSet(max(n, 1))
    for c in codes:
        acc.add(c)
    return acc.pairs()

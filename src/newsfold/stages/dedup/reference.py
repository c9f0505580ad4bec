"""Exact (brute-force) Jaccard over word shingles, the yardstick for the LSH output.

Shingles are the same as the signatures' (``tokens()`` of the normalised text, ``k`` words, one
shingle of all words for shorter documents) but kept as strings, so nothing here is estimated.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse

from newsfold.stages.dedup.normalize import tokens


def shingle_set(text: str, k: int) -> set[str]:
    w = tokens(text)
    if not w:
        return set()
    if len(w) < k:
        return {" ".join(w)}
    return set(map(" ".join, zip(*[w[i:] for i in range(k)])))


def shingle_matrix(texts: Sequence[str], k: int) -> sparse.csr_matrix:
    """Binary documents x distinct-shingles matrix (int32 data)."""
    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for t in texts:
        ids = [vocab.setdefault(s, len(vocab)) for s in shingle_set(t, k)]
        ids.sort()
        indices.extend(ids)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int32)
    return sparse.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)), shape=(len(texts), max(len(vocab), 1))
    )


def exact_pairs(X: sparse.csr_matrix, min_jaccard: float, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """All pairs i<j with exact Jaccard >= min_jaccard: ((m, 2) int64 pairs, (m,) float64 J).

    X @ X.T in row blocks gives intersections; J = inter / (|A| + |B| - inter).  Empty rows pair
    with nothing.
    """
    n = X.shape[0]
    size = np.diff(X.indptr).astype(np.int64)
    XT = X.T.tocsr()
    out_p, out_j = [], []
    for s in range(0, n, block):
        G = (X[s : s + block] @ XT).tocoo()
        i = G.row.astype(np.int64) + s
        j = G.col.astype(np.int64)
        keep = i < j
        i, j, inter = i[keep], j[keep], G.data[keep].astype(np.int64)
        jac = inter / (size[i] + size[j] - inter)
        ok = jac >= min_jaccard - 1e-12
        out_p.append(np.stack((i[ok], j[ok]), axis=1))
        out_j.append(jac[ok])
    if not out_p:
        return np.empty((0, 2), np.int64), np.empty(0)
    p = np.concatenate(out_p)
    jac = np.concatenate(out_j)
    order = np.lexsort((p[:, 1], p[:, 0]))
    return p[order], jac[order]


def precision_recall(found: np.ndarray, truth: np.ndarray, n: int) -> tuple[float, float, int, int]:
    """(precision, recall, true positives, |found|) of pair sets given as (m, 2) arrays."""
    f = np.unique(found[:, 0].astype(np.int64) * n + found[:, 1]) if len(found) else np.empty(0, np.int64)
    t = np.unique(truth[:, 0].astype(np.int64) * n + truth[:, 1]) if len(truth) else np.empty(0, np.int64)
    tp = int(np.isin(f, t, assume_unique=True).sum())
    p = tp / len(f) if len(f) else 1.0
    r = tp / len(t) if len(t) else 1.0
    return p, r, tp, len(f)

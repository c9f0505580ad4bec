"""Folding new copies into the corpus's duplicate groups, with numpy over per-copy arrays.

Rows are copies numbered in ingestion order over the whole corpus: ``0..n_old-1`` are stored
(``DedupState``), ``n_old..`` are this run's.  A group's label is its smallest row, so merging
keeps old labels stable where it can.  Only *affected* groups (those that gained a copy) get new
canonical copies and rewritten rows; the cost follows the new copies, apart from a few O(corpus)
numpy passes over 8-byte arrays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from newsfold.stages.dedup import UnionFind, near_duplicate_pairs
from newsfold.stages.dedup.state import DedupState
from newsfold.records import DROPPED, DUPLICATE, KEPT
from newsfold.stages.base import Sink
from newsfold.stages.dedup.minhash import layout
from newsfold.stages.dedup.signatures import Signed


@dataclass
class Folded:
    n_old: int
    key: np.ndarray  # all rows
    length: np.ndarray
    label: np.ndarray  # after this run (-1: empty copy)
    old_label: np.ndarray  # rows < n_old, before this run
    affected: np.ndarray  # sorted labels of groups that gained copies
    canon: np.ndarray  # canonical row of each affected group (aligned with ``affected``)
    size: np.ndarray  # live copies in each affected group
    old_canon: dict[int, list[int]]  # affected label -> canonical rows of the old groups it absorbed
    is_canon: np.ndarray  # all rows: canonical copy of its group

    def group_of(self, rows: np.ndarray) -> np.ndarray:
        """Index into ``affected`` for rows of affected groups."""
        return np.searchsorted(self.affected, self.label[rows])

    def article_id(self, row: int) -> str:
        return f"a{int(self.key[row]):016x}"


def _canonicals(rows: np.ndarray, label: np.ndarray, length: np.ndarray, content: tuple[np.ndarray, ...]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, canonical rows and sizes of the groups of ``rows``.

    The canonical copy is the longest; among equally long ones, the smallest by ``content`` (the
    exact key of the text, then the hash of title and text, then the copy id), so that neither the
    order of arrival nor the file names decide which copy (and so which title) an article shows."""
    if not len(rows):
        e = np.zeros(0, np.int64)
        return e, e, e
    order = rows[np.lexsort((*(c[rows] for c in reversed(content)), -length[rows], label[rows]))]
    first = np.ones(len(order), bool)
    first[1:] = label[order][1:] != label[order][:-1]
    labels = label[order[first]]
    sizes = np.diff(np.append(np.flatnonzero(first), len(order)))
    return labels, order[first], sizes


def fold(state: DedupState, key: np.ndarray, length: np.ndarray, sigs: np.ndarray, cfg,
         tie: np.ndarray, cid: np.ndarray, candidates: Callable | None = None) -> Folded:
    """``tie`` (hash of title and text) and ``cid`` (copy id) of the new rows break canonical ties.
    ``candidates(sigs, cfg)``: how the LSH candidates among the new rows are found (default
    ``lsh.candidate_pairs`` here; an engine may shuffle band keys over its workers instead)."""
    n_old, n_new = state.n, len(key)
    all_key = np.concatenate([state.arrays["key"], key])
    all_len = np.concatenate([state.arrays["length"], length])
    content = (all_key, np.concatenate([state.arrays["tie"], tie]), np.concatenate([state.arrays["cid"], cid]))
    old_label = state.arrays["label"]
    live_new = np.flatnonzero(length >= 0)
    pairs = []
    # exact: new rows with equal keys, and new rows equal to an old row
    order = live_new[np.argsort(key[live_new], kind="stable")]
    same = key[order][1:] == key[order][:-1]
    pairs.append(np.stack([order[:-1][same], order[1:][same]], axis=1) + n_old)
    ex = state.exact_pairs(key, live_new)
    pairs.append(np.stack([ex[:, 0] + n_old, ex[:, 1]], axis=1))
    # near: among new rows, and new against stored
    if len(live_new) > 1:
        sub = near_duplicate_pairs(sigs[live_new], cfg, candidates)
        if len(sub):
            pairs.append(live_new[sub] + n_old)
    near = state.near_pairs(sigs)
    if len(near):
        pairs.append(np.stack([near[:, 0] + n_old, near[:, 1]], axis=1))
    p = np.concatenate(pairs).astype(np.int64) if pairs else np.empty((0, 2), np.int64)
    # union-find over the new rows and the old groups they touch (nodes: old labels, new rows)
    old_side = p < n_old
    p_nodes = p.copy()
    p_nodes[old_side] = old_label[p[old_side]]
    nodes = np.unique(np.concatenate([p_nodes.ravel(), live_new + n_old]))
    uf = UnionFind(len(nodes))
    uf.union_pairs(np.searchsorted(nodes, p_nodes))
    comp_min = nodes[uf.labels()]  # smallest node of each component = smallest row (old labels < new rows)
    label = np.concatenate([old_label, np.full(n_new, -1, np.int64)])
    label[live_new + n_old] = comp_min[np.searchsorted(nodes, live_new + n_old)]
    merged_old = nodes[(nodes < n_old) & (comp_min != nodes)]
    if len(merged_old):
        remap = dict(zip(nodes.tolist(), comp_min.tolist()))
        hit = np.flatnonzero(np.isin(old_label, merged_old))
        label[hit] = np.array([remap[v] for v in old_label[hit].tolist()], np.int64)
    affected = np.unique(label[live_new + n_old])
    aff_rows = np.flatnonzero(np.isin(label, affected)) if n_old else live_new + n_old
    labels, canon, size = _canonicals(aff_rows, label, all_len, content)
    old_rows = aff_rows[aff_rows < n_old]
    old_canon: dict[int, list[int]] = {}
    if len(old_rows):
        _, oc, _ = _canonicals(old_rows, old_label, all_len, content)
        for r in oc.tolist():
            old_canon.setdefault(int(label[r]), []).append(r)
    is_canon = np.concatenate([state.arrays["canon"], np.zeros(n_new, bool)])
    is_canon[aff_rows] = False
    is_canon[canon] = True
    return Folded(n_old, all_key, all_len, label, old_label, labels, canon, size, old_canon, is_canon)


def page_status(rows: np.ndarray, folded: Folded) -> tuple[str, int, int]:
    """(status, kept, duplicates) of a page from the rows of its copies."""
    kept = int(folded.is_canon[rows].sum())
    dup = int((folded.label[rows] >= 0).sum()) - kept
    return (KEPT if kept else DUPLICATE if dup else DROPPED), kept, dup


class FoldDuplicates:
    """Barrier: the signed copies of a run (``Signed`` batches, in input order) folded into the
    stored duplicate groups; ``finish`` gives the ``Folded`` result and the run's copies as one batch.
    ``candidates``: see ``fold``."""

    name = "fold"

    def __init__(self, state: DedupState, cfg, candidates: Callable | None = None):
        self.state = state
        self.cfg = cfg
        self.candidates = candidates
        self.parts: list[Signed] = []

    def observe(self, batches: Iterable[Signed], sink: Sink) -> None:
        self.parts.extend(batches)

    def merge(self, other: "FoldDuplicates") -> None:
        self.parts.extend(other.parts)

    def finish(self, sink: Sink) -> tuple[Folded, Signed]:
        new = Signed.concat(self.parts, self.cfg.num_perm, layout(self.cfg).dtype)
        self.parts = []
        return fold(self.state, new.key, new.length, new.sigs, self.cfg, new.tie, new.cid, self.candidates), new

"""Splitting a story whose members form two groups far apart (the last step of refinement)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.score import vector_arrays

if TYPE_CHECKING:
    from newsfold.stages.stories.packed import PackedVectors
    from newsfold.stages.stories.scope import Scope
    from newsfold.stages.stories.score import Vector


def member_similarities(config, vs: list["Vector"]) -> np.ndarray:
    """The article-to-article score matrix of a story's members: the weighted mean of the block
    cosines both sides have (the ``combine`` of ``score.py``, without the time factor).  One story
    at a time: the reference form of ``similarities_many``, which ``split`` uses (kept for the tests)."""
    import scipy.sparse as sp

    n = len(vs)
    num, den = np.zeros((n, n)), np.zeros((n, n))
    for b, w in config.weights.items():
        if w <= 0 or b not in BLOCKS:
            continue
        rows, cols, vals = [], [], []
        has = np.zeros(n)
        for i, v in enumerate(vs):
            ids, ws = vector_arrays(v)[b]
            if ids.size:
                has[i] = 1.0
                rows.append(np.full(ids.size, i, np.int64))
                cols.append(ids)
                vals.append(ws)
        if not vals:
            continue
        # the columns renumbered in their order (a monotone map onto 0..u-1): the very same
        # matrix product, term for term and in the same order, without a 2**hash_bits-wide shape
        uniq, inv = np.unique(np.concatenate(cols).astype(np.int64), return_inverse=True)
        x = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), inv.ravel())), shape=(n, uniq.size))
        both = np.outer(has, has)
        num += w * (x @ x.T).toarray() * both
        den += w * both
    return np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)


def similarities_many(config, groups: list[list["Vector"]]) -> list[np.ndarray]:
    """``member_similarities`` of many stories at once, to the bit: per block, one sparse product
    of all their members, each story's terms renumbered in its own column range (the same
    monotone renumbering, shifted), so that the product is block-diagonal and each story's block
    holds the very sums of its own product; the blocks are then cut out and combined."""
    import scipy.sparse as sp

    sizes = [len(vs) for vs in groups]
    rows_at = np.cumsum([0, *sizes])  # each story's first row among all members
    cells_at = np.cumsum([0, *(n * n for n in sizes)])  # each story's first cell in the flat output
    total = int(rows_at[-1])
    if not total:
        return [np.zeros((0, 0)) for _ in groups]
    story = np.repeat(np.arange(len(groups)), sizes)  # the story of each row
    n_sizes = np.asarray(sizes, np.int64)
    # each cell of the flat output: its row and column among all members
    cell_story = np.repeat(np.arange(len(groups)), [n * n for n in sizes])
    local = np.arange(int(cells_at[-1])) - cells_at[cell_story]
    n_of = n_sizes[cell_story]
    cell_i = rows_at[cell_story] + local // n_of
    cell_k = rows_at[cell_story] + local % n_of
    vs_all = [v for vs in groups for v in vs]
    num, den = np.zeros(cells_at[-1]), np.zeros(cells_at[-1])
    for b, w in config.weights.items():
        if w <= 0 or b not in BLOCKS:
            continue
        parts = [vector_arrays(v)[b] for v in vs_all]
        counts = np.fromiter((p[0].size for p in parts), np.int64, total)
        if not counts.any():
            continue
        has = (counts > 0).astype(np.float64)
        ids = np.concatenate([p[0] for p in parts]).astype(np.int64)
        row = np.repeat(np.arange(total), counts)
        # (story, term) renumbered in order: per story, the same order as its own np.unique
        uniq, inv = np.unique((story[row] << 40) | ids, return_inverse=True)
        x = sp.csr_matrix((np.concatenate([p[1] for p in parts]), (row, inv.ravel())), shape=(total, uniq.size))
        prod = (x @ x.T).tocoo()  # block-diagonal: a row's entries lie in its story's columns
        st = story[prod.row]
        dense = np.zeros(cells_at[-1])
        dense[cells_at[st] + (prod.row - rows_at[st]) * n_sizes[st] + (prod.col - rows_at[st])] = prod.data
        both = has[cell_i] * has[cell_k]
        num += w * dense * both
        den += w * both
    flat = np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)
    return [flat[cells_at[i]:cells_at[i + 1]].reshape(n, n) for i, n in enumerate(sizes)]


def split(scope: "Scope", vecs: "PackedVectors", order: dict[str, int]) -> bool:
    """Split a core story in two where its members form two groups that are far apart.

    The members are bisected by average linkage on their pairwise scores.  The story splits when
    both halves hold at least ``split_min`` articles and the mean score across the halves is
    below ``split_ratio`` times the mean score within the looser half: two events of one kind
    (the same kind of crime, in two different years) that the single pass joined.  The half
    that moves out gets a temporary story id; the caller re-keys (``refine._rekey``).
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    cfg = scope.config
    changed = False
    todo = [sid for sid in sorted(scope.stories)
            if len(scope.stories[sid].members) >= 2 * cfg.split_min and scope.is_core(sid)]
    all_sims = similarities_many(cfg, [[vecs[a] for a in scope.stories[sid].members] for sid in todo])
    for sid, sims in zip(todo, all_sims):
        aids = scope.stories[sid].members
        np.fill_diagonal(sims, 1.0)
        dist = squareform((1.0 - sims).clip(0.0), checks=False)
        lab = fcluster(linkage(dist, "average"), 2, "maxclust")
        a, b = lab == lab[0], lab != lab[0]
        na, nb = int(a.sum()), int(b.sum())
        if na < cfg.split_min or nb < cfg.split_min:
            continue
        cross = float(sims[np.ix_(a, b)].mean())
        within = min((sims[np.ix_(x, x)].sum() - n) / (n * (n - 1)) for x, n in ((a, na), (b, nb)))
        if within > 0 and cross < cfg.split_ratio * within:
            moved = [aid for aid, keep in zip(aids, a) if not keep]
            for aid in moved:
                scope.members[aid].story_id = "\0" + moved[0]
            changed = True
    return changed

"""An article's vector (``Vector``) and its dot products with story centroids.

``Vector`` is one article (or one story's centroid) as unit TF-IDF vectors per block; a story's
centroid is the sum of its members' vectors (``model.Story``).  ``dots_pairs`` gives the raw dot
products per block of many (vector, story) pairs in a few numpy calls, summed in the vector's
term order: the very floats of the term-by-term form (``_block_dots_loop``, kept for the tests).
Split from ``score.py``, which uses them (and gives them to its callers as before).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate
from typing import Sequence

import numpy as np

from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import Story


@dataclass(slots=True)
class Vector:
    """Unit TF-IDF vectors per block (term ids and weights: uint32 and float64 numpy arrays, or
    lists), a day, a dense part."""

    terms: dict[str, tuple[list[int], list[float]]]
    day: int | None
    dense: np.ndarray | None = None
    keys: list[int] = field(default_factory=list)  # index keys: strongest terms per block
    arrays: dict | None = None  # ``terms`` as numpy arrays (uint32 ids, float64 weights), made when needed
    flat: tuple | None = None  # all blocks as block-tagged int64 keys and weights, in term order (``vector_flat``)


def vector_arrays(vec: Vector) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``vec.terms`` as numpy arrays per block (built once, then kept on the vector)."""
    if vec.arrays is None:
        vec.arrays = {b: (np.asarray(i, np.uint32), np.asarray(w, np.float64)) for b, (i, w) in vec.terms.items()}
    return vec.arrays


_NB = len(BLOCKS)
BLOCK_TAGS = np.arange(_NB, dtype=np.int64) << 32
_SIFT = (1 << 14) - 1  # ``_dots_one``: the low bits of a key that index its bit table
_PAIR_SHIFT = 35  # ``dots_pairs``: a pair's number above the block-tagged keys (blocks < 8)


def vector_flat(vec: Vector) -> tuple[np.ndarray, np.ndarray]:
    """All of ``vec``'s blocks as one array of keys (block number << 32 | term id, int64) and
    one of weights, each block in the vector's own term order (built once, kept on the vector)."""
    if vec.flat is None:
        arrs = vector_arrays(vec)
        parts = [arrs[b] for b in BLOCKS]
        keys = np.concatenate([p[0] for p in parts]).astype(np.int64) | np.repeat(BLOCK_TAGS, [p[0].size for p in parts])
        vec.flat = (keys, np.concatenate([p[1] for p in parts]))
    return vec.flat


def story_keys(story: Story) -> np.ndarray:
    """A story's centroid as block-tagged int64 keys (sorted: block-major, ids sorted within a
    block), aligned with ``story.cen_w``; cached on the story while its centroid stands."""
    c = story.flat
    if c is None or c[0] is not story.cen_ids:
        sizes = np.diff(np.asarray(story.cen_off, np.int64))
        keys = story.cen_ids.astype(np.int64) | np.repeat(BLOCK_TAGS, sizes)
        c = story.flat = (story.cen_ids, keys)
    return c[1]


def dots_pairs(pairs: Sequence[tuple[Vector, Story]]) -> list[dict[str, float]]:
    """``block_dots`` of many (article vector, story) pairs at once, in one pass of numpy calls.

    Pair ``p``'s keys (vector and centroid, block-tagged) get ``p`` in their high bits, so the
    centroid keys of all pairs, concatenated, stay sorted: one ``searchsorted`` looks up every
    vector term in its own pair's centroid.  The products of all pairs are then summed by one
    ``np.bincount`` (a bin per pair and block), which adds them one by one in the vector's term
    order, as plain float64: the very sums ``block_dots`` made term by term (the same products,
    in the same order)."""
    n = len(pairs)
    if not n:
        return []
    v0 = pairs[0][0]
    if all(v is v0 for v, _ in pairs):
        rows = _dots_one(v0, [s for _, s in pairs])
        return [dict(zip(BLOCKS, r)) for r in rows]
    vks, vws, sks, sws = [], [], [], []
    last = None
    for v, s in pairs:
        if v is not last:
            vk, vw = vector_flat(v)
            last = v
        vks.append(vk)
        vws.append(vw)
        sks.append(story_keys(s))
        sws.append(s.cen_w)
    tags = np.arange(n, dtype=np.int64) << _PAIR_SHIFT
    vk = np.concatenate(vks)
    sk = np.concatenate(sks)
    if not vk.size or not sk.size:
        return [dict.fromkeys(BLOCKS, 0.0) for _ in range(n)]
    vk |= np.repeat(tags, [a.size for a in vks])
    sk |= np.repeat(tags, [a.size for a in sks])
    # the two sorted runs merged (stable: a centroid key before the equal vector key); a vector
    # term found in its pair's centroid is the element right after that centroid key
    pos = sk.searchsorted(vk)
    pos[pos == sk.size] = 0
    x = np.concatenate(sws)[pos]
    x[sk[pos] != vk] = 0.0
    sums = np.bincount(vk >> 32, np.concatenate(vws) * x, minlength=n << (_PAIR_SHIFT - 32))
    rows = sums.reshape(n, 1 << (_PAIR_SHIFT - 32))[:, :_NB].tolist()
    return [dict(zip(BLOCKS, r)) for r in rows]


def _dots_one(vec: Vector, stories: Sequence[Story]) -> list[list[float]]:
    """``dots_pairs`` of one vector with many stories: rows of the block dots, in ``BLOCKS`` order.

    The centroids' keys are first sifted through a small bit table of the vector's keys (their
    low bits: hashed ids, spread evenly); only the few that pass are looked up in the vector's
    sorted keys.  The products of the terms found are put in (story, vector term) order and
    summed by one ``np.bincount``: the sums of ``dots_pairs`` without their zero products, which
    change no sum (a running sum from +0.0 of finite products is never -0.0, and s + 0.0 == s)."""
    n = len(stories)
    vk, vw = vector_flat(vec)
    nv = vk.size
    sks = [story_keys(s) for s in stories]
    sizes = [k.size for k in sks]
    zero = [[0.0] * _NB for _ in range(n)]
    if not nv or not sum(sizes):
        return zero
    sk = np.concatenate(sks)
    table = np.zeros(_SIFT + 1, np.bool_)
    table[vk & _SIFT] = True
    at = np.flatnonzero(table[sk & _SIFT])
    if not at.size:
        return zero
    order = None if (vk[1:] > vk[:-1]).all() else vk.argsort(kind="stable")
    vs = vk if order is None else vk[order]
    cand = sk[at]
    pos = vs.searchsorted(cand)
    pos[pos == nv] = 0
    hit = vs[pos] == cand
    at, vi = at[hit], pos[hit]
    pair = np.asarray(list(accumulate(sizes[:-1], initial=0))).searchsorted(at, side="right") - 1
    if order is not None:  # story by story, each in the vector's term order
        vi = order[vi]
        o = (pair * nv + vi).argsort()
        at, vi, pair = at[o], vi[o], pair[o]
    prod = vw[vi] * np.concatenate([s.cen_w for s in stories])[at]
    sums = np.bincount(pair * 8 + (vk[vi] >> 32), prod, minlength=n * 8)
    return sums.reshape(n, 8)[:, :_NB].tolist()


def block_dots(vec: Vector, story: Story) -> dict[str, float]:
    """Raw dot products of an article's unit vectors with a story's (unnormalised) centroid."""
    return dots_pairs(((vec, story),))[0]


def _block_dots_loop(vec: Vector, story: Story) -> dict[str, float]:
    """The reference form of ``block_dots``, block by block (kept for the tests)."""
    out = {}
    arrs = vector_arrays(vec)
    off, all_ids, all_w = story.cen_off, story.cen_ids, story.cen_w
    for i, b in enumerate(BLOCKS):
        ids, ws = arrs[b]
        lo, hi = off[i], off[i + 1]
        if not ids.size or lo == hi:
            out[b] = 0.0
            continue
        cids = all_ids[lo:hi]
        pos = cids.searchsorted(ids)
        pos[pos == hi - lo] = 0
        vals = all_w[lo:hi][pos]
        vals[cids[pos] != ids] = 0.0
        # the products summed in the article's term order, one by one, as plain floats: the very
        # sum of the per-term products (numpy's pairwise sum would round differently)
        out[b] = sum((ws * vals).tolist())
    return out

"""Scores of many (vector, story) pairs at once, to the bit those of the per-pair functions.

Refinement scores thousands of pairs a round: each core story's centroid against its candidate
stories (``refine._pair_score``), each core member against its own story without it
(``refine._leave_one_out``) and against its candidates (``score.score``).  Here they are made in a
few numpy calls per batch instead of several per pair, with the very same floating-point
operations in the same order:

- the dot products (``dots_many``): every story of the batch gets a number ``j``; its
  block-tagged centroid keys, offset by ``j << 35``, are concatenated into one sorted array, and
  each pair's vector keys (offset by its story's number) are looked up in it with one
  ``searchsorted``; one ``np.bincount`` then adds each pair's products one by one in the vector's
  term order, as ``score.dots_pairs`` does;
- the cosines and their weighted mean (``combine_many``): the elementwise float64 operations of
  ``score.spread_cosine`` and ``score.combine``, applied block after block in the order of the
  weights; the powers (``** spread_penalty``) and time factors stay Python scalars, made once a
  story (or a day gap).

``rough_dots`` makes the dot products by sparse products instead (scipy, another order of adding):
off by rounding only, for sorting out the pairs far below a bar before scoring the rest exactly.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import Story
from newsfold.stages.stories.score import Vector, story_keys, time_factor, vector_arrays, vector_flat

_NB = len(BLOCKS)
_SHIFT = 35  # block-tagged keys are below len(BLOCKS) << 32 <= 2 ** 35


CHUNK = 2048  # pairs scored in one batch: each pair's scores are its own, so batches bound the
# temporaries (every term of every pair, several arrays of them) and change no result


def _chunked(n: int, score: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """``score(lo, hi)`` of the pairs ``lo:hi``, ``CHUNK`` pairs at a time, as one array."""
    if n <= CHUNK:
        return score(0, n)
    return np.concatenate([score(lo, min(n, lo + CHUNK)) for lo in range(0, n, CHUNK)])


def dots_many(pairs: Sequence[tuple[Vector, Story]]) -> tuple[np.ndarray, np.ndarray, list[Story], np.ndarray]:
    """The ``block_dots`` of every (vector, story) pair, as one ``(pairs, len(BLOCKS))`` array,
    with whether each pair's vector has terms in each block (same shape, bool), the distinct
    stories and each pair's number among them."""
    n = len(pairs)
    num: dict[int, int] = {}
    uniq: list[Story] = []
    js, ks, ws, sizes = [], [], [], []
    for v, s in pairs:
        j = num.get(id(s))
        if j is None:
            j = num[id(s)] = len(uniq)
            uniq.append(s)
        vk, vw = vector_flat(v)
        js.append(j)
        ks.append(vk)
        ws.append(vw)
        sizes.append(vk.size)
    sj = np.array(js, np.int64)
    if not n:
        return np.zeros((0, _NB)), np.zeros((0, _NB), bool), uniq, sj
    q0 = np.concatenate(ks)
    grp = (q0 >> 32) + np.repeat(np.arange(n, dtype=np.int64) * _NB, sizes)
    has = np.bincount(grp, minlength=n * _NB).reshape(n, _NB) > 0
    keys = np.concatenate([story_keys(s) | (j << _SHIFT) for j, s in enumerate(uniq)])
    if not keys.size or not q0.size:
        return np.zeros((n, _NB)), has, uniq, sj
    q = q0 | np.repeat(sj << _SHIFT, sizes)
    pos = keys.searchsorted(q)
    pos[pos == keys.size] = 0
    x = np.concatenate([s.cen_w for s in uniq])[pos]
    x[keys[pos] != q] = 0.0
    # one by one in each pair's term order, as score.dots_pairs adds them
    dots = np.bincount(grp, np.concatenate(ws) * x, minlength=n * _NB).reshape(n, _NB)
    return dots, has, uniq, sj


def rough_dots(pairs: Sequence[tuple[Vector, Story]], blocks: Sequence[str], chunk: int = 512) -> np.ndarray:
    """The dot products of ``dots_many`` for the ``blocks`` given (0 for the others), up to
    rounding: per block, one sparse product of the distinct vectors by the distinct stories
    (``scipy.sparse``, which may add in another order or fuse operations).  Only for sorting out
    pairs far from a bar; the pairs near it are scored again with ``dots_many``."""
    import scipy.sparse as sp

    n = len(pairs)
    out = np.zeros((n, _NB))
    if not n:
        return out
    vnum: dict[int, int] = {}
    snum: dict[int, int] = {}
    vs: list[Vector] = []
    ss: list[Story] = []
    rows, cols = [], []
    for v, s in pairs:
        r = vnum.get(id(v))
        if r is None:
            r = vnum[id(v)] = len(vs)
            vs.append(v)
        c = snum.get(id(s))
        if c is None:
            c = snum[id(s)] = len(ss)
            ss.append(s)
        rows.append(r)
        cols.append(c)
    row, col = np.array(rows, np.int64), np.array(cols, np.int64)
    for b in blocks:
        i = BLOCKS.index(b)
        va = [vector_arrays(v)[b] for v in vs]
        vi = np.concatenate([a[0] for a in va]).astype(np.int64)
        if not vi.size:
            continue
        # the columns: the vectors' terms only (the stories' other terms add nothing)
        terms = np.unique(vi)
        sa = [s.block(b) for s in ss]
        si = np.concatenate([a[0] for a in sa]).astype(np.int64)
        pos = terms.searchsorted(si)
        pos[pos == terms.size] = 0
        keep = terms[pos] == si
        s_rows = np.repeat(np.arange(len(ss)), [a[0].size for a in sa])[keep]
        y = sp.csr_matrix((np.concatenate([a[1] for a in sa])[keep], (pos[keep], s_rows)), shape=(terms.size, len(ss)))
        x = sp.csr_matrix((np.concatenate([a[1] for a in va]), terms.searchsorted(vi),
                           np.cumsum([0, *(a[0].size for a in va)])), shape=(len(vs), terms.size))
        for lo in range(0, len(vs), chunk):  # a chunk of vectors at a time: a dense (chunk, stories) block
            prod = (x[lo:lo + chunk] @ y).toarray()
            at = (row >= lo) & (row < lo + chunk)
            out[at, i] = prod[row[at] - lo, col[at]]
    return out


def combine_many(config: StoryConfig, cos: np.ndarray, ok: np.ndarray, factor: np.ndarray | None,
                 dense: list[float | None] | None = None) -> np.ndarray:
    """``score.combine`` of many pairs: ``cos`` and ``ok`` (the cosine is present) per pair and
    block, ``dense`` cosines (None: absent), times ``factor`` per pair (None: 1)."""
    n = cos.shape[0]
    num, den = np.zeros(n), np.zeros(n)
    dc = dok = None
    if dense is not None:
        dok = np.array([c is not None for c in dense], bool)
        dc = np.array([0.0 if c is None else c for c in dense], np.float64)
    for b, w in config.weights.items():
        if w <= 0:
            continue
        if b in BLOCKS:
            c, present = cos[:, BLOCKS.index(b)], ok[:, BLOCKS.index(b)]
        elif b == "dense" and dense is not None:
            c, present = dc, dok
        else:
            continue
        num = np.where(present, num + w * c, num)
        den = np.where(present, den + w, den)
    if config.embedding_weight > 0 and dense is not None:
        ew = config.embedding_weight
        num = np.where(dok, num + ew * dc, num)
        den = np.where(dok, den + ew, den)
    base = np.where(den != 0, num / np.where(den != 0, den, 1.0), 0.0)
    if config.quote_bonus:
        q = BLOCKS.index("quotes")
        c = cos[:, q]
        base = np.where(ok[:, q] & (c != 0), base + config.quote_bonus * c, base)
    return base if factor is None else factor * base


def _norms(config: StoryConfig, stories: Sequence[Story], spread: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per story and block: sqrt(norm2) (1 where norm2 <= 0), whether norm2 > 0, and the
    ``spread_cosine`` factor, min(1, norm / members) ** spread_penalty (1 without ``spread``)."""
    n2 = np.array([[s.norm2[b] for b in BLOCKS] for s in stories], np.float64).reshape(len(stories), _NB)
    valid = n2 > 0
    norm = np.sqrt(np.where(valid, n2, 1.0))
    fac = np.ones_like(norm)
    if spread and config.spread_penalty:
        p = config.spread_penalty
        for i, s in enumerate(stories):
            m = len(s.members)
            if m > 1:
                fac[i] = [min(1.0, x / m) ** p for x in norm[i].tolist()]
    return norm, valid, fac


def _time_factors(config: StoryConfig, days: Sequence[tuple], memo: dict) -> np.ndarray:
    """``score.time_factor`` of many (day, first, last) triples, each distinct one made once."""
    out = []
    for d in days:
        f = memo.get(d)
        if f is None:
            f = memo[d] = time_factor(config, *d)
        out.append(f)
    return np.array(out, np.float64)


def score_many(config: StoryConfig, pairs: Sequence[tuple[Vector, Story]], memo: dict) -> np.ndarray:
    """``score.score(config, v, s)`` of every (v, s) pair (``memo``: time factors, kept by the caller)."""
    return _chunked(len(pairs), lambda lo, hi: _score_many(config, pairs[lo:hi], memo))


def _score_many(config: StoryConfig, pairs: Sequence[tuple[Vector, Story]], memo: dict) -> np.ndarray:
    if not pairs:
        return np.zeros(0)
    dots, has, uniq, sj = dots_many(pairs)
    norm, valid, fac = _norms(config, uniq, True)
    ok = has & valid[sj]
    cos = dots / norm[sj] * fac[sj]
    dense = _dense_cosines(pairs, _dense_cosine)
    factor = _time_factors(config, [(v.day, s.first_day, s.last_day) for v, s in pairs], memo)
    return combine_many(config, cos, ok, factor, dense)


def centroid_scores(config: StoryConfig, pairs: Sequence[tuple[Story, Vector, Story]], memo: dict,
                    rough: bool = False) -> np.ndarray:
    """``refine._pair_score(config, a, av, b)`` of every (a, av, b): ``av``, a's centroid vector,
    against b's centroid (plain cosines), times the time factor of the gap between their days.
    ``rough``: with ``rough_dots`` (up to rounding; the blocks that count only)."""
    return _chunked(len(pairs), lambda lo, hi: _centroid_scores(config, pairs[lo:hi], memo, rough))


def _centroid_scores(config: StoryConfig, pairs: Sequence[tuple[Story, Vector, Story]], memo: dict,
                     rough: bool) -> np.ndarray:
    if not pairs:
        return np.zeros(0)
    if rough:
        used = [b for b in BLOCKS if config.weights.get(b, 0) > 0 or (b == "quotes" and config.quote_bonus)]
        dots = rough_dots([(av, b) for _, av, b in pairs], used)
        has_of: dict[int, np.ndarray] = {}
        uniq, num, js, hs = [], {}, [], []
        for _, av, b in pairs:
            j = num.get(id(b))
            if j is None:
                j = num[id(b)] = len(uniq)
                uniq.append(b)
            js.append(j)
            h = has_of.get(id(av))
            if h is None:
                h = has_of[id(av)] = has_blocks([av])[0]
            hs.append(h)
        sj = np.array(js, np.int64)
        has = np.array(hs, bool).reshape(len(pairs), _NB)
    else:
        dots, has, uniq, sj = dots_many([(av, b) for _, av, b in pairs])
    norm, valid, _ = _norms(config, uniq, False)
    cos = dots / norm[sj]
    factor = []
    for a, _, b in pairs:
        f = 1.0
        if a.first_day is not None and b.first_day is not None:
            gap = max(0, a.first_day - b.last_day, b.first_day - a.last_day)
            if gap:
                f = memo.get(("gap", gap))
                if f is None:
                    f = memo[("gap", gap)] = time_factor(config, 0, -gap, -gap)
        factor.append(f)
    return combine_many(config, cos, has & valid[sj], np.array(factor, np.float64))


def leave_one_out_many(config: StoryConfig, pairs: Sequence[tuple[Vector, Story]], self_dot: np.ndarray) -> np.ndarray:
    """``refine._leave_one_out(config, v, s)`` of every (v, s) pair: v against its own story s
    with v taken out of the centroid; ``self_dot``: each v's squared norm per block (``self_dots``)."""
    return _chunked(len(pairs), lambda lo, hi: _leave_one_out_many(config, pairs[lo:hi], self_dot[lo:hi]))


def _leave_one_out_many(config: StoryConfig, pairs: Sequence[tuple[Vector, Story]], self_dot: np.ndarray) -> np.ndarray:
    if not pairs:
        return np.zeros(0)
    dots, has, uniq, sj = dots_many(pairs)
    n2s = np.array([[s.norm2[b] for b in BLOCKS] for s in uniq], np.float64).reshape(len(uniq), _NB)[sj]
    n2 = n2s - 2.0 * dots + self_dot
    ok = has & ~(n2 <= 1e-9)
    norm = np.sqrt(np.where(ok, n2, 1.0))
    cos = (dots - self_dot) / norm
    if config.spread_penalty:
        p = config.spread_penalty
        rest = [len(s.members) - 1 for _, s in pairs]
        for i, (m, row, good) in enumerate(zip(rest, norm.tolist(), ok.tolist())):
            if m > 1:
                cos[i] *= [min(1.0, x / m) ** p if g else 1.0 for x, g in zip(row, good)]
    return combine_many(config, cos, ok, None, _dense_cosines(pairs, _dense_cosine_without))


def _dense_cosines(pairs: Sequence[tuple[Vector, Story]], cosine) -> list[float | None] | None:
    """``cosine(v.dense, s.dense)`` of each pair where both have an embedding (else None); None
    when no pair has both (embeddings off)."""
    if not any(v.dense is not None and s.dense is not None for v, s in pairs):
        return None
    return [cosine(v.dense, s.dense) if v.dense is not None and s.dense is not None else None for v, s in pairs]


def _dense_cosine(v: np.ndarray, s: np.ndarray) -> float | None:
    """The article's embedding against the story's summed one (``score.score``)."""
    n = float(np.linalg.norm(s))
    return float(np.dot(v, s) / n) if n else None


def _dense_cosine_without(v: np.ndarray, s: np.ndarray) -> float | None:
    """The article's embedding against its story's without it (``refine._leave_one_out``)."""
    r = s - v
    n = float((r @ r) ** 0.5)
    return float(v @ r / n) if n > 1e-9 else None


def has_blocks(vs: Sequence[Vector]) -> np.ndarray:
    """Per vector and block: whether it has terms there (``(len(vs), len(BLOCKS))``, bool)."""
    return np.array([[len(v.terms[b][0]) > 0 for b in BLOCKS] for v in vs], bool).reshape(len(vs), _NB)


def self_dots(v: Vector) -> list[float]:
    """An article's squared norm per block, summed exactly (``math.fsum``), as ``refine`` does."""
    arrs = vector_arrays(v)
    return [math.fsum((arrs[b][1] * arrs[b][1]).tolist()) for b in BLOCKS]

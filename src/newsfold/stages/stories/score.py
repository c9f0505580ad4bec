"""How well an article fits a story, and where to look for candidate stories.

``Vector`` is one article (or one story's centroid) as unit TF-IDF vectors per block.  The score
of an article against a story is the weighted mean, over the blocks both sides have, of the
cosine between the article's vector and the story's centroid, times a time factor where both
are dated (see ``StoryConfig``).  Candidates come from an inverted index over the strongest
terms of each story's members, limited to stories active around the article's date, so the
search never scans every story.
"""
from __future__ import annotations

import math
from array import array
from itertools import accumulate
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import NO_KEYS, BLOCK_NO, Story


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


def time_factor(config: StoryConfig, day: int | None, first: int | None, last: int | None) -> float:
    """1 within the window around a story's dates (``time_window_days``, or ``time_span_ratio``
    times the story's span when that is wider), then halving every half-life, down to the floor."""
    if day is None or first is None or last is None:
        return 1.0
    window = config.time_window_days
    if config.time_span_ratio > 0:
        window = max(window, config.time_span_ratio * (last - first))
    gap = max(0, first - day, day - last) - window
    if gap <= 0:
        return 1.0
    return max(config.time_floor, 0.5 ** (gap / config.time_half_life_days))


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


def combine(config: StoryConfig, cosines: dict[str, float | None], factor: float) -> float:
    """Weighted mean of the block cosines present (None: a side lacks the block), times ``factor``."""
    num = den = 0.0
    for b, w in config.weights.items():
        c = cosines.get(b)
        if c is None or w <= 0:
            continue
        num += w * c
        den += w
    if config.embedding_weight > 0 and cosines.get("dense") is not None:
        num += config.embedding_weight * cosines["dense"]  # type: ignore[operator]
        den += config.embedding_weight
    base = num / den if den else 0.0
    if config.quote_bonus and cosines.get("quotes"):
        base += config.quote_bonus * cosines["quotes"]  # type: ignore[operator]
    return factor * base


def spread_cosine(config: StoryConfig, dot: float, norm2: float, n: int) -> float:
    """Cosine to a story's centroid, scaled by (centroid norm / members) ** ``spread_penalty``.

    With 0 it is the plain centroid cosine; with 1 it is the mean cosine to the members (as
    average linkage): a loose story, whose members point in many directions, attracts less.
    """
    norm = math.sqrt(norm2)
    c = dot / norm
    if config.spread_penalty and n > 1:
        c *= min(1.0, norm / n) ** config.spread_penalty
    return c


def score(config: StoryConfig, vec: Vector, story: Story, dots: dict[str, float] | None = None) -> float:
    """The combined score of an article against a story (``dots`` from ``block_dots``)."""
    dots = block_dots(vec, story) if dots is None else dots
    cos: dict[str, float | None] = {}
    for b in BLOCKS:
        if not len(vec.terms[b][0]) or story.norm2[b] <= 0:
            cos[b] = None
        else:
            cos[b] = spread_cosine(config, dots[b], story.norm2[b], len(story.members))
    if vec.dense is not None and story.dense is not None:
        n = float(np.linalg.norm(story.dense))
        cos["dense"] = float(np.dot(vec.dense, story.dense) / n) if n else None
    return combine(config, cos, time_factor(config, vec.day, story.first_day, story.last_day))


def _scale(config: StoryConfig, story: Story) -> list:
    """Per block of a story, what ``spread_cosine`` makes of its norm and size: None where the
    norm is 0, else (norm, spread factor or None); kept on the story while norms and size stand."""
    n, sp = len(story.members), config.spread_penalty
    key = (sp, n, *story.norm2.values())
    c = story.scale
    if c is not None and c[0] == key:
        return c[1]
    vals: list = []
    for b in BLOCKS:
        n2 = story.norm2[b]
        if n2 <= 0:
            vals.append(None)
            continue
        norm = math.sqrt(n2)
        vals.append((norm, min(1.0, norm / n) ** sp if sp and n > 1 else None))
    story.scale = (key, vals)
    return vals


def scores(config: StoryConfig, vec: Vector, stories: Sequence[Story], dots: Sequence[dict[str, float]]) -> list[float]:
    """``score`` of ``vec`` against each of ``stories`` (``dots`` from ``dots_pairs``): the very
    floats, made by the same operations in the same order, without a dict per story."""
    if vec.dense is not None:
        return [score(config, vec, s, d) for s, d in zip(stories, dots)]
    has = [b for b in BLOCKS if len(vec.terms[b][0])]
    weighted = [(BLOCK_NO[b], b, w) for b, w in config.weights.items() if w > 0 and b in has]
    bonus = config.quote_bonus if "quotes" in has else 0.0
    q = BLOCK_NO["quotes"]
    day = vec.day
    window0, ratio, half, floor = (config.time_window_days, config.time_span_ratio, config.time_half_life_days,
                                   config.time_floor)
    out = []
    for story, d in zip(stories, dots):
        scale = _scale(config, story)
        num = den = 0.0
        for i, b, w in weighted:  # combine(): the weighted mean of the cosines present
            nf = scale[i]
            if nf is None:
                continue
            c = d[b] / nf[0]  # spread_cosine()
            if nf[1] is not None:
                c *= nf[1]
            num += w * c
            den += w
        base = num / den if den else 0.0
        if bonus and scale[q] is not None:
            c = d["quotes"] / scale[q][0]
            if scale[q][1] is not None:
                c *= scale[q][1]
            if c:
                base += bonus * c
        first, last = story.first_day, story.last_day
        factor = 1.0  # time_factor()
        if day is not None and first is not None and last is not None:
            window = window0
            if ratio > 0:
                window = max(window, ratio * (last - first))
            gap = max(0, first - day, day - last) - window
            if gap > 0:
                factor = max(floor, 0.5 ** (gap / half))
        out.append(factor * base)
    return out


def add_to_story(config: StoryConfig, story: Story, vec: Vector, dots: dict[str, float] | None = None) -> None:
    """Add an article's vectors to a story's centroid, keeping the norms exact and the size bounded.

    All blocks at once, on block-tagged keys: the union of the centroid's keys and the article's
    (each side distinct), a term's weight the centroid's plus the article's; a block whose union
    exceeds ``2 * centroid_terms`` keeps its ``centroid_terms`` strongest (ties by term id)."""
    vk, vw = vector_flat(vec)
    if vk.size:
        dots = block_dots(vec, story) if dots is None else dots
        sk = story_keys(story)
        u = np.concatenate((sk, vk))
        u.sort()
        if u.size > 1:  # the union: keys repeat at most twice (each side is distinct)
            u = u[np.concatenate(((True,), u[1:] != u[:-1]))]
        uw = np.zeros(u.size, np.float64)
        uw[u.searchsorted(sk)] = story.cen_w
        uw[u.searchsorted(vk)] += vw
        off = u.searchsorted(BLOCK_TAGS).tolist() + [u.size]
        voff = vk.searchsorted(BLOCK_TAGS).tolist() + [vk.size]
        sq = (vw * vw).tolist()
        cut = []
        for i, b in enumerate(BLOCKS):
            if voff[i] == voff[i + 1]:
                continue
            story.norm2[b] += 2.0 * dots[b] + math.fsum(sq[voff[i]:voff[i + 1]])
            if off[i + 1] - off[i] > 2 * config.centroid_terms:
                cut.append((i, b))
        if cut:
            parts = []
            for i, b in enumerate(BLOCKS):
                bu, bw = u[off[i]:off[i + 1]], uw[off[i]:off[i + 1]]
                if cut and cut[0][0] == i:
                    cut.pop(0)
                    top = np.lexsort((bu, -bw))[: config.centroid_terms]  # strongest, ties by term id
                    top.sort()  # bu is sorted: back to term order
                    bu, bw = bu[top], bw[top]
                    story.norm2[b] = math.fsum(v * v for v in bw.tolist())
                parts.append((bu, bw))
            u = np.concatenate([p[0] for p in parts])
            uw = np.concatenate([p[1] for p in parts])
            off = u.searchsorted(BLOCK_TAGS).tolist() + [u.size]
        story.cen_off = tuple(off)
        story.cen_ids = (u & 0xFFFFFFFF).astype(np.uint32)
        story.cen_w = uw
        story.flat = (story.cen_ids, u)
    if vec.dense is not None:
        story.dense = vec.dense.copy() if story.dense is None else story.dense + vec.dense
    story.add_day(vec.day)


def build_story(config: StoryConfig, story: Story, vecs: Sequence[Vector]) -> None:
    """Add ``vecs`` to an empty ``story`` in their order: the very centroid, norms and days that
    ``add_to_story`` gives one vector at a time, in a few numpy calls per block.

    A term's weight is the sum of its members' weights in member order (each occurrence's
    running sum is made one rank at a time, as the one-by-one adds make it); each member's dot
    product with the centroid before it is summed in its own term order (``np.bincount``, one by
    one), and the norms follow as ``add_to_story`` updates them.  Where a block's terms would
    exceed ``2 * centroid_terms`` (the one-by-one adds would cut the centroid on the way), the
    story is built one vector at a time instead."""
    if not vecs:
        return
    blocks = []
    for b in BLOCKS:
        parts = [vector_arrays(v)[b] for v in vecs]
        sizes = np.fromiter((p[0].size for p in parts), np.int64, len(parts))
        if not sizes.any():
            continue
        ids = np.concatenate([p[0] for p in parts])
        uniq, inv = np.unique(ids, return_inverse=True)
        if uniq.size > 2 * config.centroid_terms:
            for v in vecs:
                add_to_story(config, story, v)
            return
        blocks.append((b, parts, sizes, uniq, inv.ravel()))
    new = {}
    for b, parts, sizes, uniq, inv in blocks:
        ws = np.concatenate([p[1] for p in parts])
        order = np.argsort(inv, kind="stable")  # by term, members in order within a term
        sinv, sw = inv[order], ws[order]
        starts = np.flatnonzero(np.concatenate(((True,), sinv[1:] != sinv[:-1])))
        ends = np.append(starts[1:], sinv.size)
        rank = np.arange(sinv.size) - np.repeat(starts, ends - starts)
        before = np.zeros(sinv.size)  # a term's weight in the centroid before this member's add
        for r in range(1, int(rank.max()) + 1 if rank.size else 0):
            at = np.flatnonzero(rank == r)
            before[at] = before[at - 1] + sw[at - 1]
        last = ends - 1
        uw = before[last] + sw[last]
        prior = np.empty(sinv.size)
        prior[order] = before
        member = np.repeat(np.arange(len(parts)), sizes)
        dots = np.bincount(member, ws * prior, minlength=len(parts)).tolist()
        n2 = story.norm2[b]
        for j, (ia, wa) in enumerate(parts):
            if ia.size:
                n2 += 2.0 * dots[j] + math.fsum((wa * wa).tolist())
        story.norm2[b] = n2
        new[b] = (uniq, uw)
    if new:
        story.set_blocks(new)
    for v in vecs:
        if v.dense is not None:
            story.dense = v.dense.copy() if story.dense is None else story.dense + v.dense
        story.add_day(v.day)


class CandidateIndex:
    """Inverted index: index key (block and hashed term) -> the stories it points at.

    Stories are numbered in the index (``_sids``); a posting is one story's number (an ``int``)
    or, for a key shared by several stories, an ``array('I')`` of numbers.
    """

    def __init__(self, config: StoryConfig):
        self.config = config
        self.postings: dict[int, int | array] = {}
        self.compacted: dict[int, int] = {}  # key -> the day its posting list was last compacted
        self._sids: list[str | None] = []
        self._num: dict[str, int] = {}
        self._free: list[int] = []  # numbers of removed stories, to reuse

    def clear(self) -> None:
        self.postings.clear()
        self.compacted.clear()
        self._sids.clear()
        self._num.clear()
        self._free.clear()

    def __len__(self) -> int:
        """The number of stories indexed."""
        return len(self._num)

    def _number(self, sid: str) -> int:
        n = self._num.get(sid)
        if n is None:
            if self._free:
                n = self._free.pop()
                self._sids[n] = sid
            else:
                n = len(self._sids)
                self._sids.append(sid)
            self._num[sid] = n
        return n

    def add(self, story: Story, keys) -> None:
        if not len(keys):
            return
        ks = np.asarray(sorted(set(keys)), np.int64)
        old = story.keys
        if old.size:
            pos = old.searchsorted(ks)
            pos[pos == old.size] = 0
            ks = ks[old[pos] != ks]
            if not ks.size:
                return
            merged = np.concatenate((old, ks))
            merged.sort()
            story.keys = merged
        else:
            story.keys = ks
        n = self._number(story.story_id)
        postings = self.postings
        for k in ks.tolist():
            cur = postings.get(k)
            if cur is None:
                postings[k] = n
            elif type(cur) is int:
                postings[k] = array("I", (cur, n))
            else:
                cur.append(n)

    def remove(self, story: Story) -> None:
        """Take a story out of the index (its number is reused by a later story)."""
        n = self._num.pop(story.story_id, None)
        if n is not None:
            postings = self.postings
            for k in story.keys.tolist():
                cur = postings.get(k)
                if cur is None:
                    continue
                if type(cur) is int:
                    if cur == n:
                        del postings[k]
                        self.compacted.pop(k, None)
                elif n in cur:
                    cur.remove(n)
                    if not cur:
                        del postings[k]
                        self.compacted.pop(k, None)
            self._sids[n] = None
            self._free.append(n)
        story.keys = NO_KEYS

    def candidates(self, vec: Vector, stories: dict[str, Story], exclude: str | None = None) -> list[Story]:
        """The stories sharing most index keys with ``vec`` and active around its date: the first
        ``max_candidates`` by (most keys shared, story id)."""
        cfg = self.config
        hits: list[int] = []
        postings, cap = self.postings, cfg.max_postings
        for k in vec.keys:
            lst = postings.get(k)
            if lst is None:
                continue
            if type(lst) is int:
                hits.append(lst)
                continue
            if len(lst) > cap:
                self._compact(k, vec.day, stories)
                lst = postings[k]
                if len(lst) > cap:
                    continue  # too common to point anywhere
            hits.extend(lst)
        if not hits:
            return []
        # walk the counts from the highest down, a level at a time, taking the eligible stories of
        # a level by id: the head of the list sorted by (-count, id), without sorting every hit
        ranked = Counter(hits).most_common()
        sids = self._sids
        day = vec.day
        want, active = cfg.max_candidates, cfg.active_days
        out: list[Story] = []
        i, n = 0, len(ranked)
        while i < n and len(out) < want:
            c = ranked[i][1]
            level = []
            while i < n and ranked[i][1] == c:
                sid = sids[ranked[i][0]]
                i += 1
                if sid == exclude:
                    continue
                s = stories[sid]
                if day is not None:
                    first, last = s.first_day, s.last_day
                    if first is not None and last is not None and max(first - day, day - last) > active:
                        continue
                level.append((sid, s))
            level.sort()
            out.extend(s for _, s in level)
        return out[: cfg.max_candidates]

    def _compact(self, key: int, day: int | None, stories: dict[str, Story]) -> None:
        """Drop from one posting list the dated stories inactive at ``day``."""
        if day is None or self.compacted.get(key, day - self.config.active_days) > day - 7:
            return  # compacted within the last week: nothing much could have expired since
        self.compacted[key] = day
        keep = array("I")
        for n in self.postings[key]:
            s = stories[self._sids[n]]
            if s.last_day is None or day - s.last_day <= self.config.active_days:
                keep.append(n)
            else:
                s.keys = s.keys[s.keys != key]
        self.postings[key] = keep


def index_keys(vec_terms: dict[str, tuple], n: int) -> list[int]:
    """An article's index keys: its ``n`` strongest terms per block, tagged with the block
    (strongest first, ties by term id)."""
    keys, ws = [], []
    for b in BLOCKS:
        if b == "quotes":
            continue
        ids, w = vec_terms[b]
        if len(ids):
            keys.append(np.asarray(ids, np.int64) | (BLOCK_NO[b] << 32))
            ws.append(np.asarray(w, np.float64))
    return top_keys(np.concatenate(keys), np.concatenate(ws), n) if keys else []


def top_keys(keys: np.ndarray, ws: np.ndarray, n: int) -> list[int]:
    """``index_keys`` from block-tagged keys and their weights (blocks in order, as
    ``vector_flat`` gives them): per block but quotes (a random sample of shingles: no use for
    finding candidates), the ``n`` strongest keys, strongest first, ties by key."""
    if BLOCKS[-1] == "quotes":  # the last block: cut it off
        end = keys.searchsorted(BLOCK_TAGS[-1])
        keys, ws = keys[:end], ws[:end]
        blk = keys >> 32
    else:
        blk = keys >> 32
        keep = blk != BLOCK_NO["quotes"]
        keys, ws, blk = keys[keep], ws[keep], blk[keep]
    order = np.lexsort((keys, -ws, blk))
    keys, blk = keys[order], blk[order]
    rank = np.arange(keys.size) - blk.searchsorted(blk)
    return keys[rank < n].tolist()

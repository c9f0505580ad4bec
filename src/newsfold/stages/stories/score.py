"""How well an article fits a story.

The score of an article (``dots.Vector``) against a story is the weighted mean, over the blocks
both sides have, of the cosine between the article's vector and the story's centroid, times a
time factor where both are dated (see ``StoryConfig``).  ``add_to_story``/``build_story`` add
articles to a centroid.  The vectors and their dot products are in ``dots.py``, the candidate
index in ``candidates.py``; both are importable from here as before.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from newsfold.stages.stories.candidates import CandidateIndex, index_keys, top_keys
from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.dots import (BLOCK_TAGS, Vector, block_dots, dots_pairs, story_keys, vector_arrays,
    vector_flat)
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import BLOCK_NO, Story

__all__ = ["Vector", "vector_arrays", "vector_flat", "story_keys", "dots_pairs", "block_dots", "BLOCK_TAGS",
           "CandidateIndex", "index_keys", "top_keys", "time_factor", "combine", "spread_cosine", "score", "scores",
           "add_to_story", "build_story"]


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

"""Batch refinement on top of the single pass, deterministic whatever the arrival order was.

A round: (1) rebuild every story's centroid from its members under the final document
frequencies; (2) merge stories whose centroids score at least ``merge_threshold``, best pair
first, each story at most once per round; (3) move each article to the story that fits it best,
scoring its own story without it (leave-one-out): it moves when another story scores higher and
at least ``threshold``, and it leaves to a story of its own when nothing, its own story included,
reaches ``threshold``; an article whose own story scores ``settled`` times the threshold or more
stays without a search.  Rounds repeat until nothing changes or ``refine_rounds`` is reached.

Story ids after refinement: a story keeps its id while the article that opened it (its seed)
stays in it; a story that lost its seed takes the id of its earliest remaining member.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .features import BLOCKS
from .score import Vector, add_to_story, block_dots, combine, index_keys, score, spread_cosine, time_factor
from .state import Member, Story, member_order, story_id_for

if TYPE_CHECKING:
    from .stream import StoryGrouper


def refine(grouper: "StoryGrouper") -> None:
    st, cfg = grouper.state, grouper.config
    members = sorted(st.members.values(), key=member_order)
    if not members:
        return
    vecs = PackedVectors()
    for m in members:
        vecs[m.article_id] = grouper.vector(m.ids, m.tf, m.day, m.dense)
    order = {m.article_id: i for i, m in enumerate(members)}
    for _ in range(cfg.refine_rounds):
        _rebuild(grouper, vecs, order)
        changed = _merge(grouper, vecs, order)
        if changed:
            _rebuild(grouper, vecs, order)
        changed = _reassign(grouper, vecs, order) or changed
        if not changed:
            break
    if cfg.split_ratio > 0:
        _rebuild(grouper, vecs, order)
        _split(grouper, vecs, order)
    _rebuild(grouper, vecs, order)


class PackedVectors:
    """Article id -> its unit vectors, held compactly: one ``uint32`` buffer of term ids, one
    ``float64`` buffer of weights (the very values of the ``Vector``), block offsets and the index
    keys as ``int64``.  About 5 KB an article instead of the ~25 KB of Python lists; ``[aid]``
    gives back an exact ``Vector`` (lists), built when needed."""

    __slots__ = ("_packed",)

    def __init__(self) -> None:
        self._packed: dict[str, tuple] = {}

    def __setitem__(self, aid: str, v: Vector) -> None:
        self._packed[aid] = pack(v)

    def __getitem__(self, aid: str) -> Vector:
        return unpack(self._packed[aid])

    def __len__(self) -> int:
        return len(self._packed)


def pack(v: Vector) -> tuple:
    ids: list[int] = []
    ws: list[float] = []
    offsets = [0]
    for b in BLOCKS:
        i, w = v.terms[b]
        ids.extend(i)
        ws.extend(w)
        offsets.append(len(ids))
    return (np.asarray(ids, np.uint32), np.asarray(ws, np.float64), tuple(offsets), v.day, v.dense,
            np.asarray(v.keys, np.int64))


def unpack(p: tuple) -> Vector:
    ids_a, ws_a, o, day, dense, keys = p
    ids, ws = ids_a.tolist(), ws_a.tolist()
    terms = {b: (ids[o[i]: o[i + 1]], ws[o[i]: o[i + 1]]) for i, b in enumerate(BLOCKS)}
    arrays = {b: (ids_a[o[i]: o[i + 1]], ws_a[o[i]: o[i + 1]]) for i, b in enumerate(BLOCKS)}
    return Vector(terms, day, dense, keys.tolist(), arrays)


def _rebuild(grouper: "StoryGrouper", vecs: PackedVectors, order: dict[str, int]) -> None:
    """Recompute every story from its members (in stream order) and re-index it."""
    st = grouper.state
    groups: dict[str, list[str]] = {}
    for aid in sorted(st.members, key=order.__getitem__):
        groups.setdefault(st.members[aid].story_id, []).append(aid)
    seeds = {sid: s.seed for sid, s in st.stories.items()}
    joins: dict[str, list[float]] = {}  # join statistics carried over, by the members' old stories
    for old in st.stories.values():
        target = st.members[old.members[0]].story_id if old.members else old.story_id
        j = joins.setdefault(target, [0.0, 0])
        j[0] += old.join_sum
        j[1] += old.joins
    grouper.index.clear()
    st.stories = {}
    for sid, aids in sorted(groups.items(), key=lambda kv: order[kv[1][0]]):
        story = Story(sid, seeds.get(sid, aids[0]))
        story.join_sum, story.joins = joins.get(sid, (0.0, 0))
        keys = []
        for aid in aids:
            v = vecs[aid]
            add_to_story(grouper.config, story, v)
            story.members.append(aid)
            keys.append(v.keys)
        st.stories[sid] = story
        for k in keys:
            grouper.index.add(story, k)


def _centroid_vector(story: Story, n_terms: int, index_n: int) -> Vector:
    terms = {}
    for b in BLOCKS:
        ids, ws = story.block(b)
        top = np.lexsort((ids, -ws))[:n_terms]  # strongest first, ties by term id
        tw = ws[top].tolist()
        norm = math.sqrt(math.fsum(w * w for w in tw)) or 1.0
        terms[b] = (ids[top].tolist(), [w / norm for w in tw])
    return Vector(terms, None, story.dense, index_keys(terms, index_n))


def _pair_score(grouper: "StoryGrouper", a: Story, av: Vector, b: Story) -> float:
    cfg = grouper.config
    dots = block_dots(av, b)
    cos: dict[str, float | None] = {}
    for blk in BLOCKS:
        cos[blk] = None if not av.terms[blk][0] or b.norm2[blk] <= 0 else dots[blk] / math.sqrt(b.norm2[blk])
    factor = 1.0
    if a.first_day is not None and b.first_day is not None:
        gap_days = max(0, a.first_day - b.last_day, b.first_day - a.last_day)  # type: ignore[operator]
        factor = time_factor(cfg, 0, -gap_days, -gap_days) if gap_days else 1.0
    return combine(cfg, cos, factor)


def _merge(grouper: "StoryGrouper", vecs: PackedVectors, order: dict[str, int]) -> bool:
    st, cfg = grouper.state, grouper.config
    pairs = []
    cvs = {sid: pack(_centroid_vector(s, cfg.max_terms, cfg.index_terms)) for sid, s in st.stories.items()}
    for sid in sorted(st.stories):
        a = st.stories[sid]
        av = unpack(cvs[sid])
        av.day = a.first_day
        for b in grouper.index.candidates(av, st.stories, exclude=sid):
            if b.story_id <= sid:
                continue
            s = min(_pair_score(grouper, a, av, b), _pair_score(grouper, b, unpack(cvs[b.story_id]), a))
            if s >= cfg.merge_threshold:
                pairs.append((-s, sid, b.story_id))
    if not pairs:
        return False
    pairs.sort()
    used: set[str] = set()
    for _, x, y in pairs:
        if x in used or y in used:
            continue
        used.update((x, y))
        sx, sy = st.stories[x], st.stories[y]
        keep, gone = (sx, sy) if order.get(sx.seed, 0) <= order.get(sy.seed, 0) else (sy, sx)
        for aid in gone.members:
            st.members[aid].story_id = keep.story_id
    return True


def _reassign(grouper: "StoryGrouper", vecs: PackedVectors, order: dict[str, int]) -> bool:
    st, cfg = grouper.state, grouper.config
    moves: dict[str, str | None] = {}  # article id -> new story id (None: a story of its own)
    for aid in sorted(st.members, key=order.__getitem__):
        m = st.members[aid]
        v = vecs[aid]
        own = st.stories[m.story_id]
        own_score = _leave_one_out(grouper, v, own) if len(own.members) > 1 else -1.0
        if own_score >= cfg.settled * cfg.threshold:
            continue  # fits its story well: not reconsidered
        best, best_score = None, -1.0
        for s in grouper.index.candidates(v, st.stories, exclude=own.story_id):
            sc = score(cfg, v, s)
            if sc > best_score:
                best, best_score = s, sc
        if best is not None and best_score >= cfg.threshold and best_score > own_score:
            moves[aid] = best.story_id
        elif len(own.members) > 1 and own_score < cfg.threshold:
            moves[aid] = None
    if not moves:
        return False
    seeds = {sid: s.seed for sid, s in st.stories.items()}
    for aid, target in moves.items():
        st.members[aid].story_id = target if target is not None else "\0" + aid
    _rekey(st.members, seeds, order, st)
    return True


def _leave_one_out(grouper: "StoryGrouper", v: Vector, story: Story) -> float:
    """Score of an article against its own story with the article taken out of the centroid."""
    dots = block_dots(v, story)
    cos: dict[str, float | None] = {}
    for b in BLOCKS:
        self_dot = math.fsum(w * w for w in v.terms[b][1])
        n2 = story.norm2[b] - 2.0 * dots[b] + self_dot
        if not v.terms[b][0] or n2 <= 1e-9:
            cos[b] = None
        else:
            cos[b] = spread_cosine(grouper.config, dots[b] - self_dot, n2, len(story.members) - 1)
    if v.dense is not None and story.dense is not None:
        rest = story.dense - v.dense
        n = float((rest @ rest) ** 0.5)
        cos["dense"] = float(v.dense @ rest / n) if n > 1e-9 else None
    return combine(grouper.config, cos, 1.0)


def _rekey(members: dict[str, Member], seeds: dict[str, str], order: dict[str, int], st) -> None:
    """Give each group of members a story id: its old one while its seed is in it, else from
    its earliest member."""
    groups: dict[str, list[str]] = {}
    for aid in sorted(members, key=order.__getitem__):
        groups.setdefault(members[aid].story_id, []).append(aid)
    taken: set[str] = set()
    final: dict[str, str] = {}
    for key, aids in groups.items():
        if key in seeds and seeds[key] in aids:
            final[key] = key
            taken.add(key)
    for key, aids in sorted(groups.items(), key=lambda kv: order[kv[1][0]]):
        if key in final:
            continue
        for aid in aids:
            sid = story_id_for(aid)
            if sid not in taken:
                final[key] = sid
                taken.add(sid)
                break
        else:  # every member's id is taken (cannot happen with distinct seeds); fall back
            final[key] = story_id_for(aids[0]) + "-" + str(len(taken))
            taken.add(final[key])
    new_seeds = {}
    for key, aids in groups.items():
        sid = final[key]
        new_seeds[sid] = seeds[key] if key in seeds and seeds[key] in aids else (
            next(a for a in aids if story_id_for(a) == sid) if any(story_id_for(a) == sid for a in aids) else aids[0])
        for aid in aids:
            members[aid].story_id = sid
    stats = {final[k]: (st.stories[k].join_sum, st.stories[k].joins) for k in groups if k in st.stories}
    st.stories = {sid: Story(sid, seed) for sid, seed in new_seeds.items()}
    for sid, (total, n) in stats.items():
        st.stories[sid].join_sum, st.stories[sid].joins = total, n


def member_similarities(config, vs: list[Vector]) -> "np.ndarray":
    """The article-to-article score matrix of a story's members: the weighted mean of the block
    cosines both sides have (the ``combine`` of ``score.py``, without the time factor)."""
    import numpy as np
    import scipy.sparse as sp

    n = len(vs)
    num, den = np.zeros((n, n)), np.zeros((n, n))
    for b, w in config.weights.items():
        if w <= 0 or b not in BLOCKS:
            continue
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        has = np.zeros(n)
        for i, v in enumerate(vs):
            ids, ws = v.terms[b]
            if ids:
                has[i] = 1.0
                rows.extend([i] * len(ids))
                cols.extend(ids)
                vals.extend(ws)
        if not vals:
            continue
        x = sp.csr_matrix((vals, (rows, cols)), shape=(n, max(cols) + 1))
        both = np.outer(has, has)
        num += w * (x @ x.T).toarray() * both
        den += w * both
    return np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)


def _split(grouper: "StoryGrouper", vecs: PackedVectors, order: dict[str, int]) -> bool:
    """Split a story in two where its members form two groups that are far apart.

    The members are bisected by average linkage on their pairwise scores.  The story splits when
    both halves hold at least ``split_min`` articles and the mean score across the halves is
    below ``split_ratio`` times the mean score within the looser half: two events of one kind
    (the same kind of crime, in two different years) that the single pass joined.
    """
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    st, cfg = grouper.state, grouper.config
    changed = False
    for sid in sorted(st.stories):
        aids = st.stories[sid].members
        if len(aids) < 2 * cfg.split_min:
            continue
        sims = member_similarities(cfg, [vecs[a] for a in aids])
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
                st.members[aid].story_id = "\0" + moved[0]
            changed = True
    if changed:
        seeds = {sid: s.seed for sid, s in st.stories.items()}
        _rekey(st.members, seeds, order, st)
    return changed

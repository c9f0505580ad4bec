"""Batch refinement on top of the single pass, deterministic whatever the arrival order was.

A round: (1) rebuild every story's centroid from its members under the final document
frequencies; (2) merge stories whose centroids score at least ``merge_threshold``, best pair
first, each story at most once per round; (3) move each article to the story that fits it best,
scoring its own story without it (leave-one-out): it moves when another story scores higher and
at least ``threshold``, and it leaves to a story of its own when nothing, its own story included,
reaches its *lone bar*, and a lone article (a story of one) joins the best story reaching it.
The lone bar is the threshold for a full article (``max_terms`` body terms or more) and less for
a short one, down to ``lone_ratio`` times the threshold: the threshold times
max(``lone_ratio``, (body terms / ``max_terms``) ** ``lone_power``).  A short article's cosines
with a story's centroid are smaller for want of words (the centroid's weight is spread over the
vocabulary of full articles, of which the short one holds a part), and refinement, seeing every
story whole under the final document frequencies, can take in a short follow-up that the single
pass left alone; moves between stories still need the threshold.  An article whose own story
scores ``settled`` times the threshold or more stays without a search.  Rounds repeat until
nothing changes or ``refine_rounds`` is reached.
Then stories made of two far-apart groups are split (``split.py``).

What it works on (``Scope``): every open story, or, with ``only``, those stories (the *core*)
and their neighbours, the candidates of the core's centroids.  Then only pairs with a core story
merge, only the core's members move (to stories of the scope), only core stories split, and the
neighbours are rebuilt and may receive members; the cost follows the core, not the state.
Closed stories are never refined again.

Story ids after refinement: a story keeps its id while the article that opened it (its seed)
stays in it; a story that lost its seed takes the id of its earliest remaining member.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Iterable

import numpy as np

from newsfold.stages.stories.batch import centroid_scores, leave_one_out_many, score_many, self_dots
from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import Member, Story, NO_KEYS, member_order, story_id_for
from newsfold.stages.stories.packed import PackedVectors
from newsfold.stages.stories.scope import Scope, ScopeVectors, remembered
from newsfold.stages.stories.score import (CandidateIndex, Vector, block_dots, combine, index_keys,
    spread_cosine, time_factor, build_story, vector_arrays)



@dataclass
class Refined:
    """What a refinement changed: the story ids before and after, and the articles that moved."""

    before: set[str]
    after: set[str]
    moved: dict[str, tuple[str, str]]  # article id -> (story before, story after)


def refine(grouper: Any, only: Iterable[str] | None = None) -> Refined:
    """Refine every open story, or (``only``) those stories and their neighbours."""
    st, cfg = grouper.state, grouper.config
    live, live_members = st.stories.live, st.members.live
    clones: dict[str, Story] = {}
    if only is None:
        scope = Scope(cfg, live, live_members, grouper.index, None, lambda sid: sid in st.closed.stories)
        vecs = PackedVectors()
        for m in sorted(live_members.values(), key=member_order):
            vecs[m.article_id] = grouper.vector(m.ids, m.tf, m.day, m.dense)
    else:
        core_sids = sorted(sid for sid in set(only) if sid in live)
        ids = set(core_sids)
        for sid in core_sids:  # the neighbours: the candidates of the core's centroids
            story = live[sid]
            cv = _centroid_vector(story, cfg.max_terms, cfg.index_terms)
            cv.day = story.first_day
            ids.update(s.story_id for s in grouper.index.candidates(cv, live))
        # core stories start bare (rebuilt under the current IDF at once); neighbours start as
        # copies, as they are, and are rebuilt only when their members change
        index = CandidateIndex(cfg)
        stories = {}
        for sid in sorted(ids):
            s = live[sid]
            if sid in core_sids:
                stories[sid] = Story(sid, s.seed, join_sum=s.join_sum, joins=s.joins, last_seq=s.last_seq,
                                     doubt=s.doubt)
            else:
                stories[sid] = clones[sid] = replace(s, members=list(s.members), norm2=dict(s.norm2), keys=NO_KEYS)
                index.add(clones[sid], s.keys.tolist())
        scope = Scope(cfg, stories, {aid: live_members[aid] for sid in ids for aid in live[sid].members}, index,
                      {aid for sid in core_sids for aid in live[sid].members},
                      lambda sid: (sid in live and sid not in ids) or sid in st.closed.stories)
        # the scope is small (the core and its neighbours): its vectors are kept whole, not packed
        vecs = ScopeVectors(lambda aid: grouper.vector(*_features(live_members[aid])))
    members = sorted(scope.members.values(), key=member_order)
    before = {m.article_id: m.story_id for m in members}
    before_ids = set(scope.stories)
    if not members:
        return Refined(before_ids, before_ids, {})
    order = {m.article_id: i for i, m in enumerate(members)}
    memo: dict = {}  # what stays true within this refinement (see _merge, _reassign, batch.py)
    for round_no in range(cfg.refine_rounds):
        _rebuild(scope, vecs, order, fresh=round_no == 0 and only is None)
        changed = _merge(scope, vecs, order, memo)
        if changed:
            _rebuild(scope, vecs, order)
        changed = _reassign(scope, vecs, order, memo) or changed
        if not changed:
            break
    if cfg.split_ratio > 0:
        from newsfold.stages.stories.split import split

        _rebuild(scope, vecs, order)
        if split(scope, vecs, order):
            _rekey(scope, order)
    _rebuild(scope, vecs, order)
    if only is None:
        st.stories.live = scope.stories
    else:  # put the scope's stories back in the state and the main index
        for sid in before_ids:
            if sid not in clones or scope.stories.get(sid) is not clones[sid]:
                grouper.index.remove(live.pop(sid))
        for sid, story in scope.stories.items():
            if sid not in clones or story is not clones[sid]:
                keys, story.keys = story.keys.tolist(), NO_KEYS
                live[sid] = story
                grouper.index.add(story, keys)
    moved = {aid: (sid, scope.members[aid].story_id) for aid, sid in before.items()
             if scope.members[aid].story_id != sid}
    return Refined(before_ids, set(scope.stories), moved)


def _features(m: Member) -> tuple:
    return m.ids, m.tf, m.day, m.dense


def _rebuild(scope: Scope, vecs: PackedVectors, order: dict[str, int], fresh: bool = False) -> None:
    """Recompute the scope's stories from their members (in stream order) and re-index them:
    all of them when ``fresh``, else those whose members changed since the last rebuild (the
    others would come out the same, to the bit)."""
    groups: dict[str, list[str]] = {}
    for aid in sorted(scope.members, key=order.__getitem__):
        groups.setdefault(scope.members[aid].story_id, []).append(aid)
    seeds = {sid: s.seed for sid, s in scope.stories.items()}
    joins: dict[str, list] = {}  # join statistics carried over, by the members' old stories
    for old in scope.stories.values():
        target = scope.members[old.members[0]].story_id if old.members else old.story_id
        j = joins.setdefault(target, [0.0, 0, 0])
        j[0] += old.join_sum
        j[1] += old.joins
        j[2] = max(j[2], old.last_seq)
    if fresh:
        scope.index.clear()
        built: dict[str, Story] = {}
    else:
        built = scope.stories
    stories: dict[str, Story] = {}
    for sid, aids in sorted(groups.items(), key=lambda kv: order[kv[1][0]]):
        prev = built.get(sid)
        if prev is not None and prev.members == aids:
            stories[sid] = prev  # unchanged: its centroid and index entries stand
            continue
        if prev is not None:
            scope.index.remove(prev)
        story = Story(sid, seeds.get(sid, aids[0]), doubt=_doubt(scope, sid))
        story.join_sum, story.joins, story.last_seq = joins.get(sid, (0.0, 0, 0))
        vs = [vecs[aid] for aid in aids]
        build_story(scope.config, story, vs)  # = add_to_story one member at a time, in order
        story.members.extend(aids)
        stories[sid] = story
        scope.index.add(story, [k for v in vs for k in v.keys])  # = their keys added one member at a time
    for sid, prev in built.items():
        if sid not in stories:
            scope.index.remove(prev)
    scope.stories = stories
    if scope.core is not None:
        scope.core_sids = {scope.members[a].story_id for a in scope.core}


def _doubt(scope: Scope, sid: str) -> bool:
    """``Story.doubt`` of a story a refinement (re)makes: its old flag where it keeps its id, else
    True (a story the refinement made)."""
    old = scope.stories.get(sid)
    return True if old is None else old.doubt


def _centroid_vector(story: Story, n_terms: int, index_n: int) -> Vector:
    """A story's centroid as an article-like vector: its ``n_terms`` strongest terms per block
    (strongest first, ties by term id), unit length.  The terms are numpy arrays, not lists."""
    terms = {}
    for b in BLOCKS:
        ids, ws = story.block(b)
        top = np.lexsort((ids, -ws))[:n_terms]  # strongest first, ties by term id
        tw = ws[top]
        norm = math.sqrt(math.fsum((tw * tw).tolist())) or 1.0
        terms[b] = (ids[top].astype(np.uint32, copy=False), tw / norm)
    return Vector(terms, None, story.dense, index_keys(terms, index_n), terms)


def _pair_score(config: StoryConfig, a: Story, av: Vector, b: Story, dots: dict[str, float] | None = None) -> float:
    """The score of story ``a`` (its centroid vector ``av``) against story ``b``, one pair at a
    time: the reference form of ``batch.centroid_scores``, which ``_merge`` uses (kept for the tests)."""
    dots = block_dots(av, b) if dots is None else dots
    cos: dict[str, float | None] = {}
    for blk in BLOCKS:
        cos[blk] = None if not len(av.terms[blk][0]) or b.norm2[blk] <= 0 else dots[blk] / math.sqrt(b.norm2[blk])
    factor = 1.0
    if a.first_day is not None and b.first_day is not None:
        gap_days = max(0, a.first_day - b.last_day, b.first_day - a.last_day)  # type: ignore[operator]
        factor = time_factor(config, 0, -gap_days, -gap_days) if gap_days else 1.0
    return combine(config, cos, factor)


_MARGIN = 1e-6  # far more than rounding can move a score (sums of a few hundred products below 1)


def _merge(scope: Scope, vecs: PackedVectors, order: dict[str, int], memo: dict) -> bool:
    cfg, stories = scope.config, scope.stories
    cvs = memo.setdefault("centroids", {})  # story id -> (the story, its centroid vector): kept
    # across rounds while the story stands (arrays, not lists: about as small as packed)

    def cv(sid: str) -> Vector:
        s = stories[sid]
        hit = cvs.get(sid)
        if hit is None or hit[0] is not s:
            hit = cvs[sid] = (s, _centroid_vector(s, cfg.max_terms, cfg.index_terms))
        return hit[1]

    seen: set[tuple[str, str]] = set()
    found = []  # (a, its centroid vector, b): the pairs to score, both ways
    for sid in sorted(stories if scope.core is None else scope.core_sids):
        a = stories[sid]
        av = cv(sid)
        av.day = a.first_day
        for b in scope.index.candidates(av, stories, exclude=sid):
            if scope.core is None:  # every story: each pair from its smaller id
                if b.story_id <= sid:
                    continue
            else:  # the core's stories: each pair once, from either side
                pair = (min(sid, b.story_id), max(sid, b.story_id))
                if pair in seen:
                    continue
                seen.add(pair)
            found.append((a, av, b))
    if not found:
        return False

    def scored(todo: list[int]) -> list[float | None]:
        # most pairs score far below the bar one way already (a pair's score is the lower of its
        # two ways): sorted out (None) on rough scores (off by rounding at most), the others
        # scored exactly
        some = [found[i] for i in todo]
        rough = centroid_scores(cfg, some, memo, rough=True)
        near = np.flatnonzero(~(rough < cfg.merge_threshold - _MARGIN)).tolist()
        near_pairs = [some[i] for i in near]
        ab = centroid_scores(cfg, near_pairs, memo)
        ba = centroid_scores(cfg, [(b, cv(b.story_id), a) for a, _, b in near_pairs], memo)
        out: list[float | None] = [None] * len(todo)
        for i, x in zip(near, np.minimum(ab, ba).tolist()):
            out[i] = x
        return out

    rows: list[tuple[str, Story, list[Story]]] = []  # found is grouped by a: one row per a
    for a, _, b in found:
        if not rows or rows[-1][1] is not a:
            rows.append((a.story_id, a, []))
        rows[-1][2].append(b)
    scores = remembered(memo.setdefault("pairs", {}), rows, scored)
    pairs = []
    for (a, _, b), s in zip(found, scores):
        if s is not None and s >= cfg.merge_threshold:
            pairs.append((-s, min(a.story_id, b.story_id), max(a.story_id, b.story_id)))
    if not pairs:
        return False
    pairs.sort()
    used: set[str] = set()
    for _, x, y in pairs:
        if x in used or y in used:
            continue
        used.update((x, y))
        sx, sy = stories[x], stories[y]
        keep, gone = (sx, sy) if order.get(sx.seed, 0) <= order.get(sy.seed, 0) else (sy, sx)
        for aid in gone.members:
            scope.members[aid].story_id = keep.story_id
    return True


def _reassign(scope: Scope, vecs: PackedVectors, order: dict[str, int], memo: dict) -> bool:
    cfg, stories = scope.config, scope.stories
    sdots = memo.setdefault("self_dots", {})  # article id -> its squared norm per block
    aids = [aid for aid in sorted(scope.members, key=order.__getitem__) if scope.is_core(scope.members[aid].story_id)]
    vs = [vecs[aid] for aid in aids]
    owns = [stories[scope.members[aid].story_id] for aid in aids]
    loo = [i for i, own in enumerate(owns) if len(own.members) > 1]

    def leave_one_out(todo: list[int]) -> list[float]:
        for i in todo:
            if aids[loo[i]] not in sdots:
                sdots[aids[loo[i]]] = self_dots(vs[loo[i]])
        sd = np.array([sdots[aids[loo[i]]] for i in todo], np.float64).reshape(len(todo), len(BLOCKS))
        return leave_one_out_many(cfg, [(vs[loo[i]], owns[loo[i]]) for i in todo], sd).tolist()

    own_scores = [-1.0] * len(aids)
    for i, x in zip(loo, remembered(memo.setdefault("own", {}), [(aids[i], None, [owns[i]]) for i in loo], leave_one_out)):
        own_scores[i] = x
    # those that do not fit their story well enough to stay without a search
    search = [i for i in range(len(aids)) if own_scores[i] < cfg.settled * cfg.threshold]
    cands = [scope.index.candidates(vs[i], stories, exclude=owns[i].story_id) for i in search]
    flat = [(vs[i], c) for i, cs in zip(search, cands) for c in cs]
    scores = remembered(memo.setdefault("scores", {}), [(aids[i], None, cs) for i, cs in zip(search, cands)],
                             lambda todo: score_many(cfg, [flat[j] for j in todo], memo).tolist())
    moves: dict[str, str | None] = {}  # article id -> new story id (None: a story of its own)
    at = 0
    for i, cs in zip(search, cands):
        v, own, own_score = vs[i], owns[i], own_scores[i]
        best, best_score = None, -1.0
        for s, sc in zip(cs, scores[at:at + len(cs)]):
            if sc > best_score:
                best, best_score = s, sc
        at += len(cs)
        # to another story at the threshold; to be alone only when nothing reaches the lone bar
        lone_bar = cfg.threshold * max(cfg.lone_ratio, evidence(cfg, v))
        bar = cfg.threshold if own_score >= lone_bar else lone_bar
        if best is not None and best_score >= bar and best_score > own_score:
            moves[aids[i]] = best.story_id
        elif len(own.members) > 1 and own_score < lone_bar:
            moves[aids[i]] = None
    if not moves:
        return False
    for aid, target in moves.items():
        scope.members[aid].story_id = target if target is not None else "\0" + aid
    _rekey(scope, order)
    return True


def evidence(config: StoryConfig, v: Vector) -> float:
    """How much of a full article's evidence ``v`` holds: (body terms / ``max_terms``) ** ``lone_power``."""
    n = len(v.terms["body"][0])
    return 1.0 if n >= config.max_terms else (n / config.max_terms) ** config.lone_power


def _leave_one_out(config: StoryConfig, v: Vector, story: Story) -> float:
    """Score of an article against its own story with the article taken out of the centroid, one
    pair at a time: the reference form of ``batch.leave_one_out_many`` (kept for the tests)."""
    dots = block_dots(v, story)
    cos: dict[str, float | None] = {}
    for b in BLOCKS:
        wa = vector_arrays(v)[b][1]
        self_dot = math.fsum((wa * wa).tolist())
        n2 = story.norm2[b] - 2.0 * dots[b] + self_dot
        if not len(v.terms[b][0]) or n2 <= 1e-9:
            cos[b] = None
        else:
            cos[b] = spread_cosine(config, dots[b] - self_dot, n2, len(story.members) - 1)
    if v.dense is not None and story.dense is not None:
        rest = story.dense - v.dense
        n = float((rest @ rest) ** 0.5)
        cos["dense"] = float(v.dense @ rest / n) if n > 1e-9 else None
    return combine(config, cos, 1.0)


def _rekey(scope: Scope, order: dict[str, int]) -> None:
    """Give each group of members a story id: its old one while its seed is in it, else from
    its earliest member (an id not taken inside or outside the scope)."""
    members = scope.members
    seeds = {sid: s.seed for sid, s in scope.stories.items()}
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
            if sid not in taken and not scope.exists(sid):
                final[key] = sid
                taken.add(sid)
                break
        else:  # every member's id is taken (a renamed seed); fall back
            n = len(taken)
            while (sid := f"{story_id_for(aids[0])}-{n}") in taken or scope.exists(sid):
                n += 1
            final[key] = sid
            taken.add(sid)
    new_seeds = {}
    for key, aids in groups.items():
        sid = final[key]
        new_seeds[sid] = seeds[key] if key in seeds and seeds[key] in aids else (
            next(a for a in aids if story_id_for(a) == sid) if any(story_id_for(a) == sid for a in aids) else aids[0])
        for aid in aids:
            members[aid].story_id = sid
    stats = {final[k]: scope.stories[k] for k in groups if k in scope.stories}
    stories = {}
    for key, aids in groups.items():
        sid = final[key]
        old = scope.stories.get(key)
        if old is not None and sid == key and old.members == aids:
            stories[sid] = old  # unchanged: kept whole, centroid and index entries
            continue
        stories[sid] = s = Story(sid, new_seeds[sid], doubt=_doubt(scope, sid))
        if sid in stats:
            s.join_sum, s.joins, s.last_seq = stats[sid].join_sum, stats[sid].joins, stats[sid].last_seq
    for sid, old in scope.stories.items():
        if stories.get(sid) is not old:
            scope.index.remove(old)
    scope.stories = stories

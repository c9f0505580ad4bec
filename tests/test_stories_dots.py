"""The batched dot products of story scoring give the very sums of the term-by-term form."""
from __future__ import annotations

import random

import pytest

from newsfold.records import Article
from newsfold.stages.stories import StoryConfig, StoryGrouper
from newsfold.stages.stories import dots as dt
from newsfold.stages.stories import score as sc
from newsfold.stages.stories.refine import _centroid_vector

WORDS = ("storm flood river bridge council vote budget minister election court trial verdict "
         "fire forest drought harvest market shares bank rates strike union talks port ship").split()


def _articles(n: int) -> list[Article]:
    rng = random.Random(3)
    out = []
    for i in range(n):
        ev = i // 4
        words = [WORDS[(ev * 7 + k) % len(WORDS)] for k in range(8)] + rng.sample(WORDS, 6)
        text = " ".join(words) + f". Mayor Kelo{ev} said {ev * 3 + 1} people were there."
        out.append(Article(source="t", page_id=f"p{i}", span=(0, 0), raw="", title=" ".join(words[:4]),
                           text=text, outlet=f"o{i % 5}", published=f"2020-01-{1 + (ev % 28):02d}",
                           article_id=f"a{i:04d}"))
    return out


def test_dots_pairs_equal_block_dots_to_the_bit():
    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    stories = sorted(g.state.stories.live.values(), key=lambda s: s.story_id)
    members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
    pairs = [(g.vector(m.ids, m.tf, m.day), s) for m in members[:40] for s in stories[:8]]
    pairs += [(_centroid_vector(s, 100, 12), t) for s in stories[:10] for t in stories[:6]]
    got = sc.dots_pairs(pairs)
    want = [dt._block_dots_loop(v, s) for v, s in pairs]
    assert got == want
    assert any(any(d.values()) for d in got)
    assert sc.dots_pairs([]) == []


def test_dots_of_one_vector_with_many_stories_equal_the_loop_to_the_bit():
    """The path of ``dots_pairs`` where every pair holds the same vector (sifted lookups, zero
    products left out) gives the reference sums, for articles, centroids and an empty story."""
    from newsfold.stages.stories.model import Story

    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    stories = sorted(g.state.stories.live.values(), key=lambda s: s.story_id)
    members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
    vecs = [g.vector(m.ids, m.tf, m.day) for m in members[:30]] + [_centroid_vector(s, 100, 12) for s in stories[:5]]
    rng = random.Random(5)
    for v in vecs[:5]:  # the same terms in another order: the sums follow the vector's term order
        terms = {}
        for b, (ids, w) in v.terms.items():
            perm = rng.sample(range(len(ids)), len(ids))
            terms[b] = ([int(ids[i]) for i in perm], [float(w[i]) for i in perm])
        vecs.append(sc.Vector(terms, v.day))
    found = 0
    for v in vecs:
        pairs = [(v, s) for s in stories[:12]] + [(v, Story("s0", "a0"))]
        got = sc.dots_pairs(pairs)
        assert got == [dt._block_dots_loop(v, s) for _, s in pairs]
        found += sum(1 for d in got if any(d.values()))
    assert found > len(vecs)  # most vectors meet several of the stories


def test_scores_of_many_stories_equal_score_to_the_bit():
    """``scores`` (all candidates at once, norms and spread factors kept on the story) gives the
    very floats of ``score``, under several settings, and after a story changes."""
    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    stories = sorted(g.state.stories.live.values(), key=lambda s: s.story_id)
    members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
    vecs = [g.vector(m.ids, m.tf, m.day) for m in members[:25]]
    vecs += [sc.Vector(v.terms, v.day + 40) for v in vecs[:5]]  # far from the stories: the time factor bites
    vecs += [sc.Vector(v.terms, None) for v in vecs[:3]]
    configs = [StoryConfig(), StoryConfig(spread_penalty=0.0), StoryConfig(spread_penalty=1.0, quote_bonus=0.3),
               StoryConfig(weights={"body": 1.0, "title": 0.0}, time_span_ratio=0.0)]
    got_any = set()
    for cfg in configs:
        for v in vecs:
            dots = sc.dots_pairs([(v, s) for s in stories])
            got = sc.scores(cfg, v, stories, dots)
            assert got == [sc.score(cfg, v, s, d) for s, d in zip(stories, dots)]
            got_any.update(x for x in got if x > 0)
    assert len(got_any) > 50
    s = stories[0]  # a story that grows: what was kept for it is made again
    before = sc.scores(configs[0], vecs[0], [s], sc.dots_pairs([(vecs[0], s)]))
    sc.add_to_story(configs[0], s, vecs[1])
    s.members.append("a-new")
    dots = sc.dots_pairs([(vecs[0], s)])
    after = sc.scores(configs[0], vecs[0], [s], dots)
    assert after == [sc.score(configs[0], vecs[0], s, dots[0])] and after != before


def test_build_story_equals_adding_one_by_one_to_the_bit():
    from newsfold.stages.stories.model import Story

    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
    vecs = [g.vector(m.ids, m.tf, m.day) for m in members]
    for cfg in (StoryConfig(), StoryConfig(centroid_terms=20)):  # the second cuts centroids on the way
        for lo, hi in ((0, 1), (0, 5), (7, 19), (0, 60), (30, 120)):
            one, many = Story("s1", "a"), Story("s1", "a")
            for v in vecs[lo:hi]:
                sc.add_to_story(cfg, one, v)
            sc.build_story(cfg, many, vecs[lo:hi])
            assert one.cen_off == many.cen_off
            assert one.cen_ids.tolist() == many.cen_ids.tolist()
            assert one.cen_w.tolist() == many.cen_w.tolist()
            assert one.norm2 == many.norm2
            assert (one.first_day, one.last_day) == (many.first_day, many.last_day)


def _add_to_story_blockwise(config, story, vec, dots):
    """The block-by-block form ``add_to_story`` had before it worked on block-tagged keys."""
    import math

    import numpy as np

    arrs = sc.vector_arrays(vec)
    new = {}
    for b in sc.BLOCKS:
        ia, wa = arrs[b]
        if not ia.size:
            continue
        cids, cw = story.block(b)
        u = np.unique(np.concatenate((cids, ia)))
        uw = np.zeros(u.size, np.float64)
        uw[u.searchsorted(cids)] = cw
        uw[u.searchsorted(ia)] += wa
        story.norm2[b] += 2.0 * dots[b] + math.fsum((wa * wa).tolist())
        if u.size > 2 * config.centroid_terms:
            top = np.lexsort((u, -uw))[: config.centroid_terms]
            top.sort()
            u, uw = u[top], uw[top]
            story.norm2[b] = math.fsum(v * v for v in uw.tolist())
        new[b] = (u, uw)
    if new:
        story.set_blocks(new)
    story.add_day(vec.day)


def _index_keys_blockwise(vec_terms, n):
    """The block-by-block form of ``index_keys``."""
    import numpy as np

    keys = []
    for b in sc.BLOCKS:
        ids, ws = vec_terms[b]
        if b == "quotes" or not len(ids):
            continue
        ia = np.asarray(ids, np.int64)
        order = np.lexsort((ia, -np.asarray(ws, np.float64)))[:n]
        keys.extend((ia[order] | (sc.BLOCK_NO[b] << 32)).tolist())
    return keys


def test_add_to_story_and_index_keys_equal_the_blockwise_forms_to_the_bit():
    from newsfold.stages.stories.model import Story

    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
    vecs = [g.vector(m.ids, m.tf, m.day) for m in members]
    for n in (1, 3, 12, 500):
        assert all(sc.index_keys(v.terms, n) == _index_keys_blockwise(v.terms, n) for v in vecs)
    assert sc.index_keys(vecs[0].terms, 12) == vecs[0].keys
    for cfg in (StoryConfig(), StoryConfig(centroid_terms=15)):  # the second cuts centroids on the way
        one, ref = Story("s1", "a"), Story("s1", "a")
        cut = False
        for v in vecs[:80]:
            dots = sc.block_dots(v, one)
            sc.add_to_story(cfg, one, v, dots)
            _add_to_story_blockwise(cfg, ref, v, dots)
            assert one.cen_off == ref.cen_off and one.norm2 == ref.norm2
            assert one.cen_ids.tolist() == ref.cen_ids.tolist() and one.cen_w.tolist() == ref.cen_w.tolist()
            assert sc.story_keys(one).tolist() == sc.story_keys(ref).tolist()  # the keys kept = the keys made
            cut = cut or one.cen_off[1] == cfg.centroid_terms
        assert cut == (cfg.centroid_terms == 15)


def test_candidates_are_the_head_of_all_stories_by_shared_keys_then_id():
    """``candidates`` walks the counts a level at a time and stops at the last story needed: the
    same list as sorting every story that shares a key by (-keys shared, id), the excluded and
    inactive ones left out."""
    from collections import Counter

    for cfg in (StoryConfig(max_candidates=3, active_days=2), StoryConfig()):
        g = StoryGrouper(cfg)
        g.add_many(_articles(120))
        live = g.state.stories.live
        members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
        longer = 0
        for m in members[::3]:
            v = g.vector(m.ids, m.tf, m.day)
            counts = Counter()
            for k in v.keys:
                post = g.index.postings.get(k)
                nums = [] if post is None else [post] if type(post) is int else list(post)
                counts.update(g.index._sids[n] for n in nums)
            ok = [sid for sid in counts if sid != m.story_id
                  and max(live[sid].first_day - v.day, v.day - live[sid].last_day) <= cfg.active_days]
            want = sorted(ok, key=lambda sid: (-counts[sid], sid))[: cfg.max_candidates]
            assert [s.story_id for s in g.index.candidates(v, live, exclude=m.story_id)] == want
            longer += len(ok) > cfg.max_candidates
        assert longer  # some articles had more candidates than were kept


@pytest.mark.parametrize("chunk", [None, 7])
def test_batched_refinement_scores_equal_the_per_pair_forms_to_the_bit(chunk, monkeypatch):
    """Also in batches of 7 pairs (``batch.CHUNK``, which bounds the temporaries): the same scores."""
    import numpy as np

    from newsfold.stages.stories import batch
    from newsfold.stages.stories.refine import _leave_one_out, _pair_score

    if chunk:
        monkeypatch.setattr(batch, "CHUNK", chunk)

    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    stories = sorted(g.state.stories.live.values(), key=lambda s: s.story_id)
    members = sorted(g.state.members.live.values(), key=lambda m: m.article_id)
    vecs = {m.article_id: g.vector(m.ids, m.tf, m.day) for m in members}
    pairs = [(vecs[m.article_id], s) for m in members[:40] for s in stories[:8]]
    dots, has, _, _ = batch.dots_many(pairs)
    assert [dict(zip(sc.BLOCKS, row)) for row in dots.tolist()] == sc.dots_pairs(pairs)
    assert has.tolist() == [[len(v.terms[b][0]) > 0 for b in sc.BLOCKS] for v, _ in pairs]
    live = g.state.stories.live
    own = [(vecs[m.article_id], live[m.story_id]) for m in members if len(live[m.story_id].members) > 1]
    for cfg in (StoryConfig(), StoryConfig(quote_bonus=0.2, spread_penalty=0.0, time_window_days=0.5)):
        assert batch.score_many(cfg, pairs, {}).tolist() == [sc.score(cfg, v, s) for v, s in pairs]
        trip = [(a, _centroid_vector(a, 100, 12), b) for a in stories[:12] for b in stories[:9] if a is not b]
        want = [_pair_score(cfg, a, av, b) for a, av, b in trip]
        assert batch.centroid_scores(cfg, trip, {}).tolist() == want
        rough = batch.centroid_scores(cfg, trip, {}, rough=True)
        assert np.abs(rough - np.array(want)).max() < 1e-12 and len(set(want)) > 5
        sd = np.array([batch.self_dots(v) for v, _ in own])
        assert batch.leave_one_out_many(cfg, own, sd).tolist() == [_leave_one_out(cfg, v, s) for v, s in own]
    assert len(own) > 20 and batch.score_many(StoryConfig(), [], {}).size == 0
    # with embeddings: the dense cosine joins the blocks' (a story without one, and one article without)
    rng = np.random.default_rng(3)
    for k, s in enumerate(stories[:8]):
        s.dense = None if k == 2 else rng.normal(size=16)
    for k, m in enumerate(members):
        vecs[m.article_id].dense = None if k == 1 else rng.normal(size=16)
    for s in live.values():
        if s.dense is None and s in [o for _, o in own]:
            s.dense = rng.normal(size=16)
    cfg = StoryConfig(embedding_weight=0.3)
    assert batch.score_many(cfg, pairs, {}).tolist() == [sc.score(cfg, v, s) for v, s in pairs]
    sd = np.array([batch.self_dots(v) for v, _ in own])
    assert batch.leave_one_out_many(cfg, own, sd).tolist() == [_leave_one_out(cfg, v, s) for v, s in own]


def test_split_similarities_of_many_stories_equal_one_by_one_to_the_bit():
    from newsfold.stages.stories.split import member_similarities, similarities_many

    g = StoryGrouper(StoryConfig())
    g.add_many(_articles(120))
    live = g.state.members.live
    groups = [[g.vector(live[a].ids, live[a].tf, live[a].day) for a in s.members]
              for s in sorted(g.state.stories.live.values(), key=lambda s: s.story_id)]
    groups = [vs for vs in groups if len(vs) > 1][:12] + [groups[0][:1]]
    for cfg in (StoryConfig(), StoryConfig(weights={"body": 1.0, "title": 0.5})):
        many = similarities_many(cfg, groups)
        assert [m.tolist() for m in many] == [member_similarities(cfg, vs).tolist() for vs in groups]
    assert len(groups) > 5 and similarities_many(StoryConfig(), []) == []


def test_remembered_reuses_values_of_the_same_objects_only():
    """The refinement's memo of candidate scores: a value comes back only for the very object it was
    made with, in a row kept with the very same row object; None is a value; one entry per row."""
    from newsfold.stages.stories.scope import remembered

    class Obj:
        def __init__(self, name):
            self.name = name

    a, b, c, d = Obj("a"), Obj("b"), Obj("c"), Obj("d")
    own, other = Obj("own"), Obj("other")
    calls: list[list[str]] = []

    def compute(flat):
        def run(todo):
            calls.append([flat[i].name for i in todo])
            return [None if flat[i] is d else ord(flat[i].name) for i in todo]
        return run

    table: dict = {}
    rows = [("k1", own, [a, b]), ("k2", None, [c, d])]
    flat = [a, b, c, d]
    assert remembered(table, rows, compute(flat)) == [97, 98, 99, None]
    assert calls == [["a", "b", "c", "d"]] and len(table) == 2
    b2 = Obj("b")  # b made again (a story rebuilt): a new object under the same name
    rows = [("k1", own, [b2, a]), ("k2", None, [d, c]), ("k3", None, [a])]
    assert remembered(table, rows, compute([b2, a, d, c, a])) == [98, 97, None, 99, 97]
    assert calls[-1] == ["b", "a"]  # b2 and k3's a (a new row); d's None was kept
    rows = [("k1", other, [a])]  # the row's own object changed: nothing of k1 holds
    assert remembered(table, rows, compute([a])) == [97] and calls[-1] == ["a"]
    assert remembered(table, [("k1", other, [a])], compute([a])) == [97] and calls[-1] == ["a"]
    assert len(calls) == 3 and len(table) == 3

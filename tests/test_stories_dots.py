"""The batched dot products of story scoring give the very sums of the term-by-term form."""
from __future__ import annotations

import random

from newsfold.records import Article
from newsfold.stages.stories import StoryConfig, StoryGrouper
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
    want = [sc._block_dots_loop(v, s) for v, s in pairs]
    assert got == want
    assert any(any(d.values()) for d in got)
    assert sc.dots_pairs([]) == []


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


def test_batched_refinement_scores_equal_the_per_pair_forms_to_the_bit():
    import numpy as np

    from newsfold.stages.stories import batch
    from newsfold.stages.stories.refine import _leave_one_out, _pair_score

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

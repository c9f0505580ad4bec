"""Runs that add to saved stories make the features of their new articles only: the pending
articles (the reorder window, clustered again by every run) keep theirs in the saved state, with
their language, and the stories still equal one run's."""
from __future__ import annotations

import dataclasses

import pyarrow.parquet as pq
import pytest

from newsfold.stages.stories import StoryConfig, StoryGrouper
from newsfold.stages.stories.order import article_order
from newsfold.stages.stories.stream import publish
from storysets import load_story_set, runs_in_time


@pytest.fixture(scope="module")
def articles(shared_data):
    arts, _ = load_story_set(shared_data / "stories-giveme5w1h-dev")
    assert len(arts) > 200
    # a third of them as the language step would mark articles it read as German: their features
    # are hashed apart (``language_seed``), so a language lost between runs changes the stories
    return [dataclasses.replace(a, language="de" if i % 3 == 0 else "en") for i, a in enumerate(arts)]


def _counting(grouper: StoryGrouper, made: list[str]) -> None:
    featurize = grouper.featurizer.featurize

    def counted(arts):
        made.extend(a.article_id for a in arts)
        return featurize(arts)

    grouper.featurizer.featurize = counted


def test_runs_featurize_their_new_articles_only_and_equal_one_run(articles, tmp_path):
    cfg = StoryConfig(chunk_size=16, reorder_window=24)
    one = StoryGrouper(cfg)
    one.commit(articles)
    one.flush()
    want = publish(one, ())

    state, seen = None, set()
    for i, run in enumerate(runs_in_time(articles, 5, seed=11)):
        seen |= {a.article_id for a in run}
        g = StoryGrouper.load(state) if state else StoryGrouper(cfg)
        if state is not None:
            assert {a.language for a in g.state.pending.values()} == {"de", "en"}  # kept through save and load
            assert set(g.state.features) == set(g.state.pending)
        made: list[str] = []
        _counting(g, made)
        g.commit(run)
        state = tmp_path / f"state{i}"
        g.save(state)
        assert pq.read_table(state / "pending_features.parquet").num_rows == len(g.state.pending) >= 24
        g.flush()
        got = publish(g, ())
        # the window is clustered again, but only this run's articles were featurized
        assert sorted(made) == sorted(a.article_id for a in run)
        assert set(got.assignments) == seen
    assert got.assignments == want.assignments
    rows = lambda r: sorted(dataclasses.astuple(s) for s in r.stories)  # noqa: E731
    assert rows(got) == rows(want)


def test_a_pending_article_whose_text_changed_is_featurized_again(articles, tmp_path):
    cfg = StoryConfig(chunk_size=16, reorder_window=24)
    first = sorted(articles, key=article_order)[:30]  # fewer than a chunk and the window: all wait
    g = StoryGrouper(cfg)
    g.commit(first)
    g.save(tmp_path / "s")
    g = StoryGrouper.load(tmp_path / "s")
    made: list[str] = []
    _counting(g, made)
    changed = dataclasses.replace(first[3], text=first[3].text + "\n\nThe story was updated with new details.")
    g.commit([changed])
    g.flush()
    assert made == [changed.article_id]  # the others' features are reused
    fresh = StoryGrouper(cfg)
    fresh.commit(first[:3] + [changed] + first[4:])
    fresh.flush()
    assert publish(g, ()).assignments == publish(fresh, ()).assignments

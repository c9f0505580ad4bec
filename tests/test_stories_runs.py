"""A stream of articles split into runs (save, load, add) groups exactly as one run does: only full
chunks are clustered and the rest waits (``StoryGrouper.commit``), so document frequencies, closing
points and the refinement at closing fall where they fall in one run."""
from __future__ import annotations

import datetime as dt

import pytest

from newsfold.records import Article
from newsfold.stages.stories import StoryConfig, StoryGrouper
from newsfold.stages.stories.order import article_order
from newsfold.stages.stories.stream import publish
from storysets import load_story_set, runs_in_time


def _partition(assignments: dict[str, str]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for aid, sid in assignments.items():
        groups.setdefault(sid, []).append(aid)
    return sorted(sorted(g) for g in groups.values())


@pytest.fixture(scope="module")
def giveme(shared_data):
    arts, _ = load_story_set(shared_data / "stories-giveme5w1h-dev")
    assert len(arts) > 200
    return arts


def _runs(arts: list[Article], n: int) -> list[list[Article]]:
    """``n`` runs that follow each other in time, each shuffled."""
    return runs_in_time(arts, n, seed=7)


def _one_run(cfg: StoryConfig, arts: list[Article]):
    """What a run over everything makes (the pipeline's path: commit, then flush the rest)."""
    one = StoryGrouper(cfg)
    one.commit(arts)
    one.flush()
    return one, publish(one, ())


def test_runs_give_the_stories_of_one_run(giveme, tmp_path):
    cfg = StoryConfig(chunk_size=16, reorder_window=24)
    one, want = _one_run(cfg, giveme)
    assert one.state.closed.stories, "the stream must close stories for this test to mean anything"

    state, seen = None, set()
    for i, run in enumerate(_runs(giveme, 5)):
        seen |= {a.article_id for a in run}
        g = StoryGrouper.load(state) if state else StoryGrouper(cfg)
        clustered = g.commit(run)
        assert clustered % 16 == 0
        waiting = sorted(g.state.pending.values(), key=article_order)
        if len(waiting) >= 16 + 24:  # a full chunk with enough after it waits only for articles of its days
            newest = max(dt.date.fromisoformat(a.published) for a in waiting if a.published)
            assert dt.date.fromisoformat(waiting[15].published) >= newest - dt.timedelta(days=cfg.commit_lag_days)
        state = tmp_path / f"state{i}"
        g.save(state)
        g.flush()  # this run's own result: clustered and refined, but not saved
        got = publish(g, ())
        assert set(got.assignments) == seen
    assert _partition(got.assignments) == _partition(want.assignments)
    assert got.assignments == want.assignments  # the same story ids too


def test_adding_whole_runs_depends_on_where_runs_start(giveme):
    """Why ``commit`` exists: clustering each run at once (``add_many``) makes chunks start at run
    boundaries, and the stories differ from one run's."""
    cfg = StoryConfig(chunk_size=16, reorder_window=24)
    _, want = _one_run(cfg, giveme)
    g = StoryGrouper(cfg)
    for run in _runs(giveme, 5):
        g.add_many(run)
    assert _partition(g.result(refine=True).assignments) != _partition(want.assignments)


def test_pending_articles_are_saved_and_renamed(tmp_path, giveme):
    cfg = StoryConfig(chunk_size=1000)
    g = StoryGrouper(cfg)
    assert g.commit(giveme[:10]) == 0
    g.save(tmp_path / "s")
    back = StoryGrouper.load(tmp_path / "s")
    assert sorted(back.state.pending) == sorted(a.article_id for a in giveme[:10])
    a = back.state.pending[giveme[3].article_id]
    assert (a.title, a.text, a.published, a.outlet) == (giveme[3].title, giveme[3].text, giveme[3].published,
                                                        giveme[3].outlet)
    back.commit(giveme[:3])  # already pending: not twice
    assert len(back.state.pending) == 10
    assert sorted(back.flush()) == sorted(a.article_id for a in giveme[:10])
    assert back.state.pending == {} and back.state.n_docs == 10


def test_publish_skips_the_stories_that_stand_as_stored(giveme, tmp_path):
    """``publish(stands=...)`` builds every story but those the caller knows as stored; the pipeline's
    predicate (``enrich.as_stored``) holds for a story stored with the same members in order, none
    edited, labelled by a headline, and for no other."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from newsfold.engine.enrich import as_stored, stored_members
    from newsfold.stages.stories import story_tables

    cfg = StoryConfig(chunk_size=16, reorder_window=24)
    one, full = _one_run(cfg, giveme)
    infos = {s.story_id: s for s in full.stories}
    big = max(infos.values(), key=lambda s: s.n_articles)
    assert big.n_articles > 2
    again = StoryGrouper(cfg)
    again.commit(giveme)
    again.flush()
    part = publish(again, (), lambda sid, ms: sid == big.story_id)
    assert part.standing == {big.story_id} and big.story_id not in {s.story_id for s in part.stories}
    assert len(part.stories) == len(full.stories) - 1 and set(part.replaced) == set(full.replaced) - {big.story_id}
    assert all(s == infos[s.story_id] for s in part.stories)
    # the predicate, on the members of the big story
    ms = [m for m in one.state.members.live.values() if m.story_id == big.story_id] or \
        list(one.state.closed.story_members(big.story_id))
    ids = tuple(m.article_id for m in ms)
    assert ids == tuple(big.article_ids)
    stands = as_stored({big.story_id: ids}, set())
    assert stands(big.story_id, ms)
    assert not stands("s-other", ms)
    assert not as_stored({big.story_id: ids[::-1]}, set())(big.story_id, ms)  # another order
    assert not as_stored({big.story_id: ids[:-1]}, set())(big.story_id, ms)  # a member more
    assert not as_stored({big.story_id: ids}, {ids[1]})(big.story_id, ms)  # an edited member
    untitled = [type(m)(m.article_id, m.story_id, m.day, m.outlet, None, m.ids, m.tf, m.sentences) for m in ms]
    assert not stands(big.story_id, untitled)  # a keyphrase label follows the document frequencies
    # the stored members, read back from a stories table (a story stored twice is left out)
    table = story_tables(full)["stories"]
    path = tmp_path / "stories.parquet"
    pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), path)
    twice = table.column("story_id")[0].as_py()
    got = stored_members(path, set(infos) | {"s-none"})
    assert got[big.story_id] == ids and twice not in got and "s-none" not in got
    assert len(got) == len(infos) - 1

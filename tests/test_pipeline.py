"""The library entry point: progress reporting and per-stage timing."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

import newsfold
from newsfold.config import Config

REPO = Path(__file__).resolve().parents[1]


def test_progress_reports_every_stage_in_order(tmp_path):
    """Each stage reports (stage, done, total) as it goes: the stages in order, each from 0 to its
    total without going back, in its own unit (files, copies, articles, rows)."""
    seen: list[tuple[str, int, int | None]] = []
    cfg = Config(progress=False)
    summary = newsfold.run([REPO / "examples" / "corpus"], tmp_path / "out", cfg,
                           progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = list(dict.fromkeys(s for s, _, _ in seen))
    assert stages == ["read", "learn boilerplate", "dedup", "write", "stories", "refine stories", "entities",
                      "merge entities", "store"]
    by_stage = {st: [(d, t) for s, d, t in seen if s == st] for st in stages}
    for st, ticks in by_stage.items():
        done = [d for d, _ in ticks]
        assert done[0] == 0 and done == sorted(done), (st, ticks)
        assert ticks[-1][0] == ticks[-1][1], (st, ticks)  # ends at its total
    assert by_stage["read"][-1] == (18, 18) and len(by_stage["read"]) == 19  # 18 files, one tick each
    assert all(t == 18 for _, t in by_stage["read"])  # the total is known before the first file is read
    for st in ("dedup", "write"):
        assert by_stage[st][-1] == (summary.copies, summary.copies)
    assert by_stage["stories"][-1] == (23, 23) and len(by_stage["stories"]) > 10  # article by article
    assert by_stage["entities"][-1] == (summary.new_articles, summary.new_articles) and len(by_stage["entities"]) > 10
    # refinement counts the clusterer's stories: those that joined a story of another language are among them
    clustered = summary.stories + summary.stories_across_languages
    assert summary.stories_across_languages == 2  # the German and Arabic dam articles join the dam story
    assert by_stage["refine stories"][0] == (0, clustered) and by_stage["merge entities"][0][1] > summary.entities
    rows = sum(pq.read_table(tmp_path / "out" / f"{t}.parquet").num_rows for t in
               ("articles", "copies", "removals", "ledger", "boilerplate", "stories", "story_sentences", "entities", "mentions"))
    assert by_stage["store"][-1] == (rows, rows)
    assert set(summary.seconds) >= {"read", "segment", "clean", "dedup", "write", "stories", "entities", "store"}


def test_progress_of_a_run_with_entities_off_and_nothing_new(tmp_path):
    cfg = Config(progress=False)
    cfg.steps.entities = False
    newsfold.run([REPO / "examples" / "corpus" / "wire"], tmp_path / "out", cfg)
    seen: list[tuple[str, int, int | None]] = []
    summary = newsfold.run([REPO / "examples" / "corpus" / "wire"], tmp_path / "out", cfg,
                           progress=lambda *a: seen.append(a))
    assert summary.nothing_new and seen[0] == ("read", 0, 2) and seen[-1] == ("read", 2, 2)
    assert {s for s, _, _ in seen} == {"read"}

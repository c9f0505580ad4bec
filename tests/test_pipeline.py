"""The library entry point: progress reporting and per-stage timing."""
from __future__ import annotations

from pathlib import Path

import newsfold
from newsfold.config import Config

REPO = Path(__file__).resolve().parents[1]


def test_progress_reports_every_stage_in_order(tmp_path):
    seen: list[tuple[str, int, int]] = []
    cfg = Config(progress=False)
    cfg.steps.entities = False
    summary = newsfold.run([REPO / "examples" / "corpus"], tmp_path / "out", cfg,
                           progress=lambda stage, pages, copies: seen.append((stage, pages, copies)))
    stages = [s for s, _, _ in seen]
    order = ["read", "learn boilerplate", "dedup", "write", "stories", "store"]
    assert [s for s in dict.fromkeys(stages)] == order
    reads = [(p, c) for s, p, c in seen if s == "read"]
    assert reads == sorted(reads) and reads[-1] == (summary.pages, summary.copies)
    assert set(summary.seconds) >= {"read", "segment", "clean", "dedup", "write", "stories", "store"}
    assert "entities" not in summary.seconds and summary.entities == 0 and summary.stories > 0

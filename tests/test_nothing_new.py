"""A run with nothing new makes no new generation, is fast, and counts nothing twice."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq

import newsfold
from newsfold.config import Config
from newsfold.corpus import db_generation

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "corpus"


def test_a_second_run_on_the_example_corpus_changes_nothing_and_takes_under_a_second(tmp_path):
    out = tmp_path / "out"
    first = newsfold.run([EXAMPLE], out, Config(progress=False))
    assert first.dropped == {"bad_json": 1} and first.generation == 1
    before = _files(out)
    t = time.perf_counter()
    again = newsfold.run([EXAMPLE], out, Config(progress=False))
    seconds = time.perf_counter() - t
    assert seconds < 1.0, seconds
    assert again.nothing_new and again.generation == 1 and db_generation(out) == 1
    assert sorted(p.name for p in (out / ".gens").iterdir()) == ["00000001"]
    assert (again.pages, again.skipped_pages, again.dropped, again.skipped_files) == (0, 22, {}, {})
    assert (again.articles, again.duplicate_groups, again.stories, again.entities) == (
        first.articles, first.duplicate_groups, first.stories, first.entities)
    assert "entities" not in again.seconds and "stories" not in again.seconds  # nothing enriched again
    assert _files(out) == before


def _files(out: Path) -> dict:
    """Every file of the corpus with its modification time (not the lock, nor SQLite's shared-memory files)."""
    return {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*")
            if p.is_file() and p.name not in (".newsfold.lock", "newsfold.db-shm", "newsfold.db-wal")}


def test_inputs_read_again_beside_a_new_page_are_not_counted_twice(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(EXAMPLE / "wire", src / "wire")
    cfg = Config(progress=False)
    cfg.steps.entities = False
    out = tmp_path / "out"
    newsfold.run([src], out, cfg)
    (src / "wire" / "extra.txt").write_text("Harbour Reopens After Repairs\n\n" + (
        "The harbour reopened on Monday after a week of repairs to the northern quay, the port said. ") * 4)
    warnings: list[str] = []
    s = newsfold.run([src], out, cfg, warn=warnings.append)
    assert s.generation == 2 and s.pages == 1 and s.dropped == {}  # the bad JSONL line was counted in run 1
    assert warnings == []  # and warned about there
    ledger = pq.read_table(out / "ledger.parquet").to_pylist()
    assert [r["source"] for r in ledger if r["reason"] == "bad_json"] == ["in/wire/northline-export.jsonl#3"]
    files = [r["source"] for r in ledger if r["level"] == "file"]
    assert sorted(files) == ["in/wire/extra.txt", "in/wire/feed.warc.gz", "in/wire/northline-export.jsonl"]

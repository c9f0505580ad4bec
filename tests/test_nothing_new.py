"""A run with nothing new makes no new generation, is fast, and counts nothing twice."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

import newsfold
from newsfold.config import Config
from newsfold.corpus.generation import db_generation

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


def test_a_second_run_reads_no_file_again_and_loads_no_extractor(tmp_path, monkeypatch):
    """Files the corpus has read in full are recognised by their bytes (state/files.npy) and not read
    again; a run that reads no HTML never imports trafilatura (nor scipy, pandas or ftfy)."""
    import newsfold.stages.ingest as readers

    calls: list[str] = []
    real = readers._read_file

    def counting(found, cfg, rep):
        calls.append(found.source)
        return real(found, cfg, rep)

    monkeypatch.setattr(readers, "_read_file", counting)
    out = tmp_path / "out"
    cfg = Config(progress=False)
    cfg.steps.entities = False
    first = newsfold.run([EXAMPLE], out, cfg)
    assert len(calls) == first.files - sum(first.skipped_files.values()) > 0
    assert (out / "current" / "state" / "files.npy").is_file()
    calls.clear()
    again = newsfold.run([EXAMPLE], out, cfg)
    assert calls == [] and again.nothing_new and again.files == first.files
    assert again.skipped_pages == first.pages
    code = ("import sys, newsfold\nfrom newsfold.config import Config\ncfg = Config(progress=False)\n"
            "cfg.steps.entities = False\n"
            f"s = newsfold.run([{str(EXAMPLE)!r}], {str(out)!r}, cfg)\n"
            "assert s.nothing_new, s\n"
            "print(sorted(m for m in ('trafilatura', 'scipy', 'pandas', 'ftfy') if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
    # a changed file is read again (and only that one)
    changed = tmp_path / "in"
    shutil.copytree(EXAMPLE, changed)
    out2 = tmp_path / "out2"
    newsfold.run([changed], out2, cfg)
    page = next(p for p in sorted(changed.rglob("*.html")))
    page.write_bytes(page.read_bytes() + b"\n")
    calls.clear()
    newsfold.run([changed], out2, cfg)
    assert calls == [f"in/{page.relative_to(changed).as_posix()}"]


def test_the_command_line_starts_without_the_engine():
    """`newsfold --version` loads neither numpy, pyarrow nor the readers."""
    code = ("import sys\nfrom newsfold.cli import main\nsys.argv = ['newsfold', '--version']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'pyarrow', 'trafilatura', 'newsfold.engine.local') if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [f"newsfold {newsfold.__version__}", "[]"]

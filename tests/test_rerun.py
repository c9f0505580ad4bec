"""Crashes and concurrency: a run killed at any point leaves a valid corpus, and the next run
reaches the same result as an uninterrupted one; a second run at once refuses."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from newsfold.read.verify import verify

TABLES = ("articles", "copies", "ledger", "removals", "boilerplate")


def _corpus(folder: Path, n: int = 4000, seed: int = 3, overlap: Path | None = None) -> Path:
    """Generated JSONL pages with exact repeats; with ``overlap``, also longer copies of some of
    the records in that folder (near duplicates that become their groups' canonical copies)."""
    rng = random.Random(seed)
    words = [f"word{i}" for i in range(3000)]
    folder.mkdir()
    older = [json.loads(line) for f in sorted(overlap.glob("*.jsonl")) for line in open(f)] if overlap else []
    for shard in range(4):
        with open(folder / f"part-{shard}.jsonl", "w") as fh:
            for i in range(n // 4):
                body = "\n\n".join(" ".join(rng.choice(words) for _ in range(30)).capitalize() + "." for _ in range(6))
                rec = {"id": f"{shard}-{i}", "title": f"Story {shard} {i}", "text": body + "\n\nAdvertisement", "outlet": f"o{i % 5}"}
                fh.write(json.dumps(rec) + "\n")
                if i % 50 == 0:
                    fh.write(json.dumps(dict(rec, id=f"{shard}-{i}-again")) + "\n")
                if older and i % 40 == 7:
                    old = older[rng.randrange(len(older))]
                    fh.write(json.dumps(dict(old, id=f"{shard}-{i}-update", text=old["text"] + "\n\nUpdated with one more line.")) + "\n")
    return folder


def _run_cmd(src: Path, out: Path) -> list[str]:
    cfg = src.parent / "no-entities.toml"  # NER and stories over 4,000 generated articles only cost time here
    cfg.write_text("[steps]\nentities = false\nstories = false\n")
    return [sys.executable, "-m", "newsfold.cli", "run", str(src), "--out", str(out), "--no-progress", "--config", str(cfg)]


def _rows(out: Path) -> dict[str, list]:
    """Every table's rows, in a canonical order (parts may hold rows in any order).  A run over
    inputs already in the corpus logs its files again and each page as already_ingested: the
    ledger is compared as the set of its other rows."""
    rows = {t: sorted(pq.read_table(out / f"{t}.parquet").to_pylist(), key=repr) for t in TABLES}
    rows["ledger"] = sorted({repr(r) for r in rows["ledger"] if r["reason"] != "already_ingested"})
    return rows


def _run_to_end(src: Path, out: Path) -> float:
    t = time.perf_counter()
    res = subprocess.run(_run_cmd(src, out), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return time.perf_counter() - t


def test_run_killed_at_random_points_leaves_a_valid_corpus_and_redoes_to_the_same_result(tmp_path):
    """Add batch B to a corpus of batch A; SIGKILL that run at random moments.  After each kill the
    corpus passes verify and is either the old one or the finished one; running again completes
    with the same tables as an uninterrupted run."""
    src_a = _corpus(tmp_path / "a", seed=3)
    src_b = _corpus(tmp_path / "b", seed=4, overlap=src_a)
    base = tmp_path / "base"
    _run_to_end(src_a, base)
    before = _rows(base)
    clean = tmp_path / "clean"
    shutil.copytree(base, clean, symlinks=True)
    took = _run_to_end(src_b, clean)
    expected = _rows(clean)
    assert len(expected["articles"]) > len(before["articles"])
    assert any(c["match"] != "canonical" and c["source"].startswith("b/") for c in expected["copies"])  # B folds into A
    rng = random.Random(20261122)
    delays = sorted(rng.uniform(0.3, took) for _ in range(4))
    outcomes = []
    for k, delay in enumerate(delays):
        out = tmp_path / f"killed{k}"
        shutil.copytree(base, out, symlinks=True)
        proc = subprocess.Popen(_run_cmd(src_b, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rep = verify(out)
        assert rep.ok, (delay, rep.problems)
        state = _rows(out)
        assert state in (before, expected), f"killed after {delay:.2f}s: a state that is neither the old nor the new corpus"
        outcomes.append("old" if state == before else "new")
        _run_to_end(src_b, out)
        assert _rows(out) == expected, f"killed after {delay:.2f}s, then run again: another result"
        assert verify(out).ok
    assert "old" in outcomes  # at least one kill landed before the commit


def test_config_and_summary_are_written(tmp_path):
    src = _corpus(tmp_path / "in", n=40)
    out = tmp_path / "out"
    subprocess.run(_run_cmd(src, out), check=True, capture_output=True)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["dedup"]["threshold"] > 0 and "jsonl" in cfg["reader"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["copies"] == len(pq.read_table(out / "copies.parquet"))


def test_second_run_on_the_same_corpus_refuses(tmp_path):
    """While a run holds the corpus (here: this test process, through the same lock a run takes),
    another run refuses at once with a clear message; once it is released, a run goes through."""
    from newsfold.engine.local import RunLock

    src = _corpus(tmp_path / "in", n=40)
    out = tmp_path / "out"
    out.mkdir()
    with RunLock(out):
        second = subprocess.run(_run_cmd(src, out), capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert "another newsfold run" in second.stderr and f"pid {os.getpid()}" in second.stderr
        assert not (out / "articles.parquet").exists() and not (out / ".gens").exists()
    third = subprocess.run(_run_cmd(src, out), capture_output=True, text=True, timeout=120)
    assert third.returncode == 0, third.stderr
    assert (out / "articles.parquet").exists()

"""Rerunning: the same input gives the same rows and ids, and a run killed halfway, started again,
completes with the same result as an uninterrupted run."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from newsfold.pipeline import WORK

TABLES = ("articles", "copies", "ledger", "removals", "boilerplate")


def _corpus(folder: Path, n: int = 4000) -> Path:
    rng = random.Random(3)
    words = [f"word{i}" for i in range(3000)]
    folder.mkdir()
    for shard in range(4):
        with open(folder / f"part-{shard}.jsonl", "w") as fh:
            for i in range(n // 4):
                body = "\n\n".join(" ".join(rng.choice(words) for _ in range(30)).capitalize() + "." for _ in range(6))
                rec = {"id": f"{shard}-{i}", "title": f"Story {shard} {i}", "text": body + "\n\nAdvertisement", "outlet": f"o{i % 5}"}
                fh.write(json.dumps(rec) + "\n")
                if i % 50 == 0:
                    fh.write(json.dumps(dict(rec, id=f"{shard}-{i}-again")) + "\n")
    return folder


def _run_cmd(src: Path, out: Path) -> list[str]:
    cfg = src.parent / "no-entities.toml"  # NER and stories over 4,000 generated articles only cost time here
    cfg.write_text("[steps]\nentities = false\nstories = false\n")
    return [sys.executable, "-m", "newsfold.cli", "run", str(src), "--out", str(out), "--no-progress", "--config", str(cfg)]


def _rows(out: Path) -> dict[str, list[dict]]:
    return {t: pq.read_table(out / f"{t}.parquet").to_pylist() for t in TABLES}


def test_killed_run_restarts_to_the_same_result(tmp_path):
    src = _corpus(tmp_path / "in")
    clean = tmp_path / "clean"
    subprocess.run(_run_cmd(src, clean), check=True, capture_output=True)
    expected = _rows(clean)
    assert len(expected["articles"]) < len(expected["copies"])  # it has duplicates to fold

    out = tmp_path / "killed"
    for delay in (0.8, 1.6):
        proc = subprocess.Popen(_run_cmd(src, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_midway = (out / WORK).exists()
    res = subprocess.run(_run_cmd(src, out), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    if killed_midway:
        assert "unfinished earlier run" in res.stderr
    assert not (out / WORK).exists()
    assert _rows(out) == expected


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
    from newsfold.pipeline import RunLock

    src = _corpus(tmp_path / "in", n=40)
    out = tmp_path / "out"
    out.mkdir()
    with RunLock(out):
        second = subprocess.run(_run_cmd(src, out), capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert "another newsfold run" in second.stderr and f"pid {os.getpid()}" in second.stderr
        assert not (out / "articles.parquet").exists() and not (out / WORK).exists()
    third = subprocess.run(_run_cmd(src, out), capture_output=True, text=True, timeout=120)
    assert third.returncode == 0, third.stderr
    assert (out / "articles.parquet").exists()

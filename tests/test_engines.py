"""The Ray engine gives the local engine's corpus: on the example corpus and on real pages, the same
articles, duplicate groups, stories and entities (every table, as sorted rows); and a batch added with
either engine to a corpus the other built gives what one run gives.

A local Ray cluster of 2 CPUs is started once for the module.  Chunks are made small so that the page
stages and the signatures really run on Ray actors (asserted)."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config

from test_incremental import snapshot

EXAMPLES = Path(__file__).parent.parent / "examples"
TABLES = ("articles", "copies", "ledger", "removals", "boilerplate", "stories", "story_sentences", "entities", "mentions")
FUNDUS = ("us/APNews_2023_04_28.html.gz", "us/APNews_2024_09_03.html.gz", "uk/BBC_2024_08_01.html.gz",
          "uk/BBC_2026_04_25.html.gz")


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("ray", reason="the Ray engine's tests need Ray: pip install -e '.[dev]' (or 'newsfold[ray]')")
    import ray

    from newsfold.engine import ray as ray_engine

    started = ray_engine.connect(None, 2)
    assert ray.cluster_resources().get("CPU") == 2
    yield ray_engine
    if started:
        ray.shutdown()


@pytest.fixture
def engines(cluster, monkeypatch):
    """``run(engine, inputs, out)``; small tasks so that the page stages, the signatures and NER go
    to workers, the LSH candidates to a shuffle and the new copies' parts to Ray tasks; ``ran`` lists the items each Ray executor's
    maps sent to the cluster."""
    from newsfold.engine import local, write
    from newsfold.stages.entities import extract

    monkeypatch.setattr(local, "PAGES_PER_TASK", 2)
    monkeypatch.setattr(local, "POOL_MIN_TASKS", 1)
    monkeypatch.setattr(extract, "PARALLEL_MIN_CHARS", 1)  # NER on the actors whatever the text
    monkeypatch.setattr(cluster, "LSH_MIN_ROWS", 2)  # the candidates by a shuffle whatever the copies
    monkeypatch.setattr(cluster, "PARTS_MIN_ROWS", 2)  # the new copies' parts written by Ray tasks ...
    monkeypatch.setattr(write, "SPOOL_CHUNK", 7)  # ... several of them (the local runs too: in chunks of 7)
    ran: list = []
    made: list = []  # the Ray executors of the runs
    real = cluster.RayExecutor

    class Counted(real):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)

        def map(self, task, items, min_items=2):
            before = self.tasks
            yield from super().map(task, items, min_items)
            ran.append((type(task).__name__ if not hasattr(task, "__self__") else task.__name__, self.tasks - before))

    monkeypatch.setattr(cluster, "RayExecutor", Counted)

    def run(engine: str, inputs: list[Path], out: Path):
        cfg = Config(progress=False, workers=1 if engine == "local" else 2)
        cfg.dedup.batch = 5  # signatures in many batches
        cfg.entities.batch_size = 8  # NER in many batches
        if engine == "local":
            return newsfold.run(inputs, out, cfg)
        return cluster.run(inputs, out, cfg)

    run.ran = ran
    run.made = made
    return run


def test_the_ray_executor_keeps_the_order_and_runs_on_the_cluster(cluster):
    import os

    def _square(x: int) -> tuple[int, int]:  # nested: shipped by value (tests/ is not importable on workers)
        import os

        if x == 13:
            raise ValueError("thirteen")
        return x * x, os.getpid()

    ex = cluster.RayExecutor()
    assert ex.workers == 2
    got = list(ex.map(_square, range(12), min_items=1))
    assert [r for r, _ in got] == [x * x for x in range(12)] and ex.tasks == 12
    assert os.getpid() not in {pid for _, pid in got} and len({pid for _, pid in got}) == 2  # one actor per CPU
    assert [r for r, _ in ex.map(_square, range(3), min_items=4)] == [0, 1, 4] and ex.tasks == 12  # few: here
    with pytest.raises(Exception, match="thirteen"):
        list(ex.map(_square, range(20), min_items=1))


def _tables(out: Path) -> dict[str, list]:
    return {t: sorted(map(repr, pq.read_table(out / f"{t}.parquet").to_pylist())) for t in TABLES}


def _real_pages(shared_data: Path, seeds_dir: Path, dest: Path, articles: int = 60) -> Path:
    """The seeds, ``articles`` articles of giveme5w1h (JSONL) and four fundus pages (.html.gz) in one folder."""
    shutil.copytree(seeds_dir, dest / "seeds")
    lines = (shared_data / "stories-giveme5w1h-dev" / "articles.jsonl").read_text().splitlines(keepends=True)
    (dest / "giveme5w1h.jsonl").write_text("".join(lines[:articles]))
    for rel in FUNDUS:
        (dest / "fundus").mkdir(exist_ok=True)
        shutil.copy(shared_data / "fundus/tests/resources/parser/test_data" / rel, dest / "fundus" / Path(rel).name)
    return dest


@pytest.fixture(scope="module")
def local_examples(tmp_path_factory) -> tuple[Path, object]:
    """The example corpus built once by the local engine (one worker)."""
    out = tmp_path_factory.mktemp("local") / "examples"
    return out, newsfold.run([EXAMPLES], out, Config(progress=False, workers=1))


def test_ray_and_local_give_the_same_corpus_on_the_examples(engines, local_examples, tmp_path):
    local_out, s1 = local_examples
    s2 = engines("ray", [EXAMPLES], tmp_path / "ray")
    assert (s1.engine, s2.engine, s2.workers) == ("local", "ray", 2)
    assert dict(engines.ran)["PageWork"] > 5 and dict(engines.ran)["sign"] > 3  # the work ran on Ray
    assert dict(engines.ran)["PieceNer"] > 3  # NER too, in batches, on the actors
    ray_ex = engines.made[-1]
    assert ray_ex.reads > 3  # the files were read by Ray tasks
    assert ray_ex.shuffles == 1 and ray_ex.shuffled > s2.articles  # the LSH candidates by a shuffle on Ray
    assert ray_ex.part_tasks == -(-ray_ex.shuffled // 7) > 3  # every chunk's parts written by a Ray task ...
    written = sorted(p.name for p in (tmp_path / "ray" / "copies.parquet").iterdir())
    assert written[0].startswith("part-00000001-w000000-") and len(written) == ray_ex.part_tasks  # ... in order
    same = lambda s: {k: v for k, v in s.to_dict().items() if k not in ("seconds", "workers", "engine", "out")}  # noqa: E731
    assert same(s1) == same(s2)  # the same summary
    assert s1.articles == s2.articles > 15 and s1.stories == s2.stories and s1.entities == s2.entities > 0
    assert s1.duplicate_groups == s2.duplicate_groups > 0
    assert _tables(local_out) == _tables(tmp_path / "ray")
    assert _db(local_out) == _db(tmp_path / "ray")  # the tasks' parts went into newsfold.db as the driver's do


def _db(out: Path) -> dict[str, list]:
    """Every table of newsfold.db (full-text index included) as sorted rows."""
    con = sqlite3.connect(out / "newsfold.db")
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                           "'articles_fts_%' ORDER BY name")]
        return {n: sorted(map(repr, con.execute(f'SELECT * FROM "{n}"'))) for n in names}
    finally:
        con.close()


def test_the_command_line_joins_a_running_cluster(cluster, local_examples, tmp_path):
    """`newsfold run --engine ray --address ADDR --no-db` from another process joins the cluster (as a
    driver on a multi-node cluster does) and gives the local engine's Parquet tables and no database;
    `newsfold db DIR` then builds the very database the local run wrote."""
    import ray

    address = ray.get_runtime_context().gcs_address
    out = tmp_path / "cli"
    cli = [sys.executable, "-c", "from newsfold.cli import app; app()"]
    proc = subprocess.run([*cli, "run", str(EXAMPLES), "--out", str(out), "--no-progress", "--no-db",
                           "--engine", "ray", "--address", address], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["engine"], summary["db"]) == ("ray", False) and not (out / "newsfold.db").exists()
    assert _tables(local_examples[0]) == _tables(out)
    proc = subprocess.run([*cli, "stories", "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "no database (built with --no-db); run `newsfold db" in " ".join(proc.stderr.split())
    proc = subprocess.run([*cli, "db", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _db(out) == _db(local_examples[0]) and len(_db(out)["articles"]) > 15


def test_ray_and_local_give_the_same_corpus_on_real_pages(engines, shared_data, seeds_dir, tmp_path):
    src = _real_pages(shared_data, seeds_dir, tmp_path / "src")
    s1 = engines("local", [src], tmp_path / "local")
    s2 = engines("ray", [src], tmp_path / "ray")
    assert dict(engines.ran)["PageWork"] > 10 and engines.made[-1].reads == 10  # every file read by a Ray task
    assert engines.made[-1].part_tasks > 10  # the new copies' parts written by Ray tasks
    assert s1.articles == s2.articles > 60 and s1.stories == s2.stories > 1 and s1.entities == s2.entities > 0
    assert _tables(tmp_path / "local") == _tables(tmp_path / "ray")


def test_a_batch_added_with_either_engine_equals_one_run(engines, shared_data, seeds_dir, tmp_path):
    real = _real_pages(shared_data, seeds_dir, tmp_path / "src", articles=12)
    one = tmp_path / "one"
    engines("local", [EXAMPLES, real], one)
    for first, second in (("local", "ray"), ("ray", "local")):
        out = tmp_path / f"{first}-{second}"
        engines(first, [EXAMPLES], out)
        s = engines(second, [EXAMPLES, real], out)  # the examples again: skipped as pages the corpus holds
        assert s.engine == second and s.generation == 2 and s.skipped_pages > 0
        assert snapshot(out) == snapshot(one)
    used = [n for n, k in engines.ran if k]  # both ray runs used the cluster: page stages, signatures, NER, LSH
    assert used.count("PageWork") == used.count("sign") == 2 and used.count("PieceNer") >= 1, used
    assert [ex.shuffles for ex in engines.made] == [1, 1]
    assert all(ex.part_tasks > 1 for ex in engines.made)  # and the new copies' parts written by Ray tasks
    assert _tables(tmp_path / "local-ray") == _tables(tmp_path / "ray-local")
    assert _db(tmp_path / "local-ray") == _db(tmp_path / "ray-local")


def test_only_the_ray_engine_imports_ray():
    import ast

    src = Path(newsfold.__file__).parent
    found = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            if any(n == "ray" or n.startswith("ray.") for n in names):
                found.add(path.relative_to(src).as_posix())
    assert found == {"engine/ray.py"}

"""Engines give the same corpus (issue 12).

``snapshot`` reduces a corpus to what every engine must agree on: the articles (id, title, text), the
duplicate groups (the copy ids of each article), the stories (which articles go together) and the
entities (canonical name, type and the articles that mention them).  Two inputs: the example corpus, and
the seed pages with real pages from ``../shared/data`` (every giveme5w1h-dev record, English fundus pages,
and copies of a seed page and of a few records under other names, so that there are groups to fold);
the second is large enough that a second worker really runs: the MinHash pool (``dedup.workers``: a batch of
at least 2 x workers x 64 texts) and the NER processes (``entities.workers``: at least
``PARALLEL_MIN_CHARS`` x workers characters).

Today: the local engine with 1 and with 2 workers gives the same snapshot.  The Ray engine
(``newsfold run --engine ray --address ADDR``, on a local cluster of 2 CPUs started here) is compared with
the local engine, for one run and for a batch added by one engine to a corpus built by the other; those
tests skip where ray is not installed or ``newsfold run`` has no ``--engine`` yet.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config
from newsfold.entities.extract import PARALLEL_MIN_CHARS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from memtree import matching, stop  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"
FUNDUS_PAGES = 40  # English fundus pages in the real-data input (of 84)


# --- what engines must agree on --------------------------------------------------------------------
def snapshot(out: Path) -> dict:
    """A corpus as plain sorted data, comparable across engines and runs."""
    arts = pq.read_table(out / "articles.parquet", columns=["article_id", "title", "text", "story_id"]).to_pylist()
    copies = pq.read_table(out / "copies.parquet", columns=["copy_id", "article_id"]).to_pylist()
    groups: dict[str, list[str]] = {}
    for c in copies:
        groups.setdefault(c["article_id"], []).append(c["copy_id"])
    snap = {
        "articles": sorted((a["article_id"], a["title"] or "", a["text"]) for a in arts),
        "groups": {aid: sorted(cids) for aid, cids in sorted(groups.items())},
    }
    if (out / "stories.parquet").exists():
        members: dict[str, list[str]] = {}
        for a in arts:
            if a["story_id"]:
                members.setdefault(a["story_id"], []).append(a["article_id"])
        snap["stories"] = sorted(tuple(sorted(m)) for m in members.values())
    if (out / "entities.parquet").exists():
        ents = {e["entity_id"]: (e["name"], e["type"])
                for e in pq.read_table(out / "entities.parquet", columns=["entity_id", "name", "type"]).to_pylist()}
        mentioned: dict[str, set[str]] = {}
        for m in pq.read_table(out / "mentions.parquet", columns=["entity_id", "article_id"]).to_pylist():
            mentioned.setdefault(m["entity_id"], set()).add(m["article_id"])
        snap["entities"] = sorted((*ents[eid], tuple(sorted(mentioned.get(eid, ())))) for eid in ents)
    return snap


def differences(a: dict, b: dict) -> list[str]:
    """What differs between two snapshots, one short line per part (for an assertion message)."""
    out = []
    for part in sorted(set(a) | set(b)):
        x, y = a.get(part), b.get(part)
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            keys = {k for k in set(x) | set(y) if x.get(k) != y.get(k)}
            out.append(f"{part}: {len(keys)} differ, e.g. {sorted(keys)[:3]}")
        elif isinstance(x, list) and isinstance(y, list):
            sx, sy = set(x), set(y)
            out.append(f"{part}: {len(sx - sy)} only in the first, {len(sy - sx)} only in the second, "
                       f"e.g. {sorted(sx ^ sy, key=str)[:2]}")
        else:
            out.append(f"{part}: {x!r:.80} != {y!r:.80}")
    return out


# --- building a corpus with an engine ---------------------------------------------------------------
def config(workers: int) -> Config:
    cfg = Config(progress=False)
    cfg.dedup.workers = workers
    cfg.entities.workers = workers
    if hasattr(cfg, "workers"):  # one setting for every stage (issue 12), once there is one
        cfg.workers = workers
    return cfg


def _toml(cfg: Config, path: Path) -> Path:
    lines = [f"workers = {cfg.workers}"] if hasattr(cfg, "workers") else []
    lines += ["[dedup]", f"workers = {cfg.dedup.workers}", "[entities]", f"workers = {cfg.entities.workers}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def build(inputs: list[Path], out: Path, engine: str = "local", workers: int = 1, address: str | None = None) -> Path:
    """Add ``inputs`` to the corpus in ``out`` with ``engine`` ("local": in this process; another: the
    command line, ``newsfold run --engine ENGINE``)."""
    cfg = config(workers)
    if engine == "local":
        newsfold.run(inputs, out, cfg, warn=lambda m: None)
        return out
    cmd = [_cli(), "run", "--engine", engine, *(["--address", address] if address else []), *map(str, inputs),
           "--out", str(out), "--config", str(_toml(cfg, out.parent / f"{out.name}.toml")), "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **RAY_ENV})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _cli() -> str:
    exe = Path(sys.executable).parent / "newsfold"
    return str(exe) if exe.exists() else shutil.which("newsfold") or "newsfold"


# --- the inputs ---------------------------------------------------------------------------------------
def real_inputs(seeds_dir: Path, shared_data: Path, root: Path) -> Path:
    """The seed pages, every giveme5w1h-dev record, the first English fundus pages, and copies under
    other names (a seed page, three records with another title) for duplicate groups across inputs."""
    src = root / "real"
    shutil.copytree(seeds_dir, src / "seeds")
    shutil.copy(seeds_dir / sorted(p.name for p in seeds_dir.iterdir())[0], src / "seed-copy.txt")
    fields = ("id", "title", "text", "outlet", "date", "url")
    records = [json.loads(line) for line in (shared_data / "stories-giveme5w1h-dev" / "articles.jsonl").open()]
    with open(src / "giveme5w1h.jsonl", "w") as fh:
        for r in records:
            fh.write(json.dumps({k: r.get(k) for k in fields}) + "\n")
        for r in [r for r in records if r.get("text")][:3]:
            fh.write(json.dumps({**{k: r.get(k) for k in fields}, "id": f"{r['id']}-again",
                                 "title": f"{r['title']} (updated)", "url": None}) + "\n")
    index = shared_data / "fundus" / "fundus_index.jsonl"
    english = []
    for line in index.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        words = (row.get("body_text") or "").split()
        if sum(w in ("the", "and", "of", "to") for w in words) > 0.06 * max(1, len(words)):
            english.append(row["file"])
    for rel in sorted(english)[:FUNDUS_PAGES]:
        dest = src / "fundus" / Path(rel).parent.name / Path(rel).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_data / "fundus" / rel, dest)
    return src


@pytest.fixture(scope="module")
def real(seeds_dir, shared_data, tmp_path_factory) -> Path:
    return real_inputs(seeds_dir, shared_data, tmp_path_factory.mktemp("engines-real"))


@pytest.fixture(scope="module")
def local_runs(tmp_path_factory):
    """Corpora built by the local engine, once per (input, workers) in this module."""
    made: dict[tuple[str, int], Path] = {}

    def get(src: Path, workers: int) -> Path:
        key = (str(src), workers)
        if key not in made:
            made[key] = build([src], tmp_path_factory.mktemp(f"local-w{workers}") / "out", "local", workers)
        return made[key]

    return get


def _source(name: str, request) -> Path:
    return EXAMPLES if name == "example" else request.getfixturevalue("real")


# --- the local engine: workers change nothing -------------------------------------------------------
@pytest.mark.parametrize("name", ["example", "real"])
def test_local_engine_one_and_two_workers_give_the_same_corpus(name, request, local_runs):
    src = _source(name, request)
    one, two = snapshot(local_runs(src, 1)), snapshot(local_runs(src, 2))
    assert one["articles"] and one["stories"] and one["entities"]
    assert any(len(c) > 1 for c in one["groups"].values())  # there are duplicates to fold
    assert one == two, differences(one, two)


def test_real_input_is_large_enough_for_a_second_worker(request, local_runs):
    """The real-data input takes the parallel paths: the MinHash pool and NER processes (else the test
    above would compare one path with itself)."""
    out = local_runs(_source("real", request), 2)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["copies"] >= 2 * 2 * 64  # MinHasher: a pool of 2 for a batch this large
    texts = pq.read_table(out / "articles.parquet", columns=["title", "text"]).to_pylist()
    assert sum(len(a["text"]) + len(a["title"] or "") for a in texts) >= 2 * PARALLEL_MIN_CHARS


def test_snapshot_sees_a_difference(tmp_path):
    """The comparison is not vacuous: one page less changes the snapshot, and says where."""
    src = tmp_path / "src"
    shutil.copytree(EXAMPLES, src)
    full = snapshot(build([src], tmp_path / "full", workers=1))
    victim = next(p for p in sorted(src.rglob("*.txt")))
    victim.unlink()
    less = snapshot(build([src], tmp_path / "less", workers=1))
    assert full != less
    assert {line.split(":")[0] for line in differences(full, less)} & {"articles", "groups"}


# --- the Ray engine -------------------------------------------------------------------------------
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0",
           # Ray 2.60: the first local ray.init() writes ~/.ray/auth_token, after which `ray start --head`
           # turns token authentication on and a driver with RAY_AUTH_MODE unset cannot connect; say it
           "RAY_AUTH_MODE": "token"}


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray cluster with 2 CPUs (``ray start --head``), stopped afterwards by its own process
    ids (never ``ray stop``, which stops every Ray on the machine)."""
    pytest.importorskip("ray")
    help_text = subprocess.run([_cli(), "run", "--help"], capture_output=True, text=True,
                               env={**os.environ, "COLUMNS": "200"}).stdout
    if "--engine" not in help_text:
        pytest.skip("`newsfold run` has no --engine yet (issue 12)")
    temp = tempfile.mkdtemp(prefix="nfray-", dir="/tmp")  # short: Ray's socket paths live under it
    env = {**os.environ, **RAY_ENV}
    proc = subprocess.run(["ray", "start", "--head", "--num-cpus", "2", "--include-dashboard", "false",
                           "--disable-usage-stats", "--temp-dir", temp], capture_output=True, text=True, env=env)
    try:
        assert proc.returncode == 0, proc.stderr[-3000:]
        address = next((ln.split("'")[1] for ln in proc.stdout.splitlines() if "ray start --address=" in ln), None)
        assert address, proc.stdout[-2000:]
        yield address
    finally:
        stop(matching(lambda cmd: temp in cmd))  # our cluster's processes: they name its temp dir
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.parametrize("name", ["example", "real"])
def test_ray_engine_gives_the_local_engines_corpus(name, request, local_runs, ray_address, tmp_path):
    src = _source(name, request)
    local = snapshot(local_runs(src, 1))
    ray = snapshot(build([src], tmp_path / "ray", "ray", 2, ray_address))
    assert ray == local, differences(ray, local)


def _halves(root: Path) -> tuple[Path, Path]:
    """The example corpus in two batches, by outlet folder."""
    first, second = root / "a", root / "b"
    outlets = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())
    for i, p in enumerate(outlets):
        shutil.copytree(p, (first if i % 2 else second) / p.name)
    return first, second


@pytest.mark.parametrize("engines", [("local", "ray"), ("ray", "local")], ids=["local-then-ray", "ray-then-local"])
def test_a_batch_added_by_one_engine_to_the_others_corpus(engines, ray_address, tmp_path):
    """Adding works across engines: the same corpus as the local engine adding the same batches."""
    a, b = _halves(tmp_path / "src")
    want = tmp_path / "local"
    build([a], want)
    build([b], want)
    got = tmp_path / "mixed"
    build([a], got, engines[0], 2, ray_address)
    build([b], got, engines[1], 2, ray_address)
    assert snapshot(got) == snapshot(want), differences(snapshot(got), snapshot(want))

"""Engines on the same generated articles: newsfold's local engine (1 and 2 workers), the Ray engine,
and datatrove's MinHash dedup pipeline (its peer), in one run (issue 12).

    python bench/engines.py [--articles 200000] [--workers 1,2] [--workdir /tmp/newsfold-engines]
    python bench/engines.py --articles 20000        # a quick check

The corpus: JSONL.gz shards of generated wire-style articles (bench/scale.py's Zipf vocabulary, in syllables
since datatrove normalises digits away, and its outlet footers; 10 to 24 sentences, about 370 words), of
which a known share are copies of an earlier article anywhere in the corpus (so across shards): ``--exact``
re-scrapes (the same record under another id) and ``--near`` edited copies (one or two words changed, or one
and a sentence added: Jaccard of 5-word shingles 0.85 or more, above both engines' thresholds).  ``truth.json`` maps every record id to its original's id.

Each engine runs in a child process; wall seconds, articles/s and the peak RSS summed over the child and
all its descendants (bench/memtree.py, sampled every 0.2 s) are measured from outside.  "Duplicates" is
how many records an engine drops as copies of another (newsfold: ``duplicate_copies``; datatrove: what its
filter removes); precision and recall are over pairs of records put together, against the truth.

* datatrove: its four MinHash stages, each a ``LocalPipelineExecutor`` with ``workers`` processes:
  signatures (one task per shard), buckets (one task per bucket, as it requires), cluster (one task, as
  it requires) and filter (one task per shard, writing the kept and the removed records as JSONL); its
  MinhashConfig defaults (5-grams, 14 buckets x 8 hashes, 64-bit), English word tokenizer (spaCy's blank
  "en").  It does nothing but dedup: no reading of pages, cleaning, boilerplate, or store.
* newsfold: ``newsfold run SHARDS --out DIR --config C`` with stories and entities off, and
  ``workers`` = N (every parallel stage: the page stages, signatures, NER).  Per-stage seconds come
  from its summary.json.
* Ray: ``newsfold run --engine ray`` on a local 2-CPU cluster, when ``newsfold run --help`` offers
  ``--engine`` (else the row is skipped with a note).  ``--ray-address`` passes ``--address``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from memtree import run_measured  # noqa: E402
from scale import outlet_footers, vocabulary  # noqa: E402

REPO = HERE.parent
GiB = 1024**3


# --- the corpus ---------------------------------------------------------------------------------
def _sentences(words: np.ndarray, lengths: np.ndarray) -> list[str]:
    cuts = np.cumsum(lengths)[:-1]
    return [" ".join(part).capitalize() + "." for part in np.split(words, cuts)]


def generate(folder: Path, n: int, shards: int = 8, exact: float = 0.05, near: float = 0.05, seed: int = 12) -> dict:
    """``n`` records in ``shards`` JSONL.gz files; returns (and writes to ``truth.json``) record id → original id."""
    rng = np.random.default_rng(seed)
    vocab, p = vocabulary(letters=True)
    footer = outlet_footers()
    outlets = list(footer)
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    originals: list[dict] = []  # every record that is not a copy (copies are made of these only)
    per = -(-n // shards)
    made = 0
    for k in range(shards):
        m = min(per, n - made)
        with gzip.open(folder / f"shard-{k:03d}.jsonl.gz", "wt", compresslevel=1) as fh:
            for _ in range(m):
                rid = f"r{made:07d}"
                r = rng.random()
                if originals and r < exact + near:
                    src = originals[int(rng.integers(len(originals)))]
                    rec = dict(src, id=rid)
                    if r >= exact:  # near duplicate: a word or two changed, or one changed and an update line
                        sents = src["_sents"][:]
                        edits = int(rng.integers(1, 3))
                        for _ in range(edits):
                            i = int(rng.integers(len(sents)))
                            ws = sents[i][:-1].split(" ")
                            ws[int(rng.integers(len(ws)))] = str(vocab[int(rng.integers(len(vocab)))])
                            sents[i] = " ".join(ws) + "."
                        if edits == 1 and rng.random() < 0.5:
                            sents.append(_sentences(rng.choice(vocab, size=12, p=p), np.array([12]))[0])
                        rec["_sents"] = sents
                        rec["text"] = "\n\n".join([*sents, *footer[src["outlet"]]])
                    truth[rid] = src["id"]
                else:
                    lengths = rng.integers(14, 31, size=int(rng.integers(10, 25)))
                    sents = _sentences(rng.choice(vocab, size=int(lengths.sum()), p=p), lengths)
                    outlet = outlets[int(rng.integers(len(outlets)))]
                    paras = ["  ".join(sents[i:i + 2]) for i in range(0, len(sents), 2)]  # two sentences a paragraph
                    rec = {"id": rid, "title": " ".join(rng.choice(vocab, size=8, p=p)).title(),
                           "text": "\n\n".join([*paras, *footer[outlet]]), "outlet": outlet,
                           "date": f"2026-{1 + made % 12:02d}-{1 + made % 28:02d}", "_sents": paras}
                    originals.append(rec)
                    truth[rid] = rid
                fh.write(json.dumps({key: v for key, v in rec.items() if key != "_sents"}) + "\n")
                made += 1
    (folder / "truth.json").write_text(json.dumps(truth))
    return truth


def pairs(groups: dict[str, str]) -> set[tuple[str, str]]:
    """Record pairs that share a group (record id → group id)."""
    by: dict[str, list[str]] = {}
    for rid, g in groups.items():
        by.setdefault(g, []).append(rid)
    return {pair for members in by.values() if len(members) > 1 for pair in combinations(sorted(members), 2)}


def score(found: dict[str, str], truth: dict[str, str]) -> dict:
    """Pair precision and recall of an engine's groups against the truth; groups of records not in
    ``found`` are singletons."""
    want, got = pairs(truth), pairs(found)
    hit = len(want & got)
    return {"pairs_true": len(want), "pairs_found": len(got),
            "precision": hit / len(got) if got else 1.0, "recall": hit / len(want) if want else 1.0}


# --- datatrove ----------------------------------------------------------------------------------
def _xxhash_str_shim() -> None:
    """datatrove 0.10.1 hashes shingles with ``xxhash.xxh64_intdigest(str)``, which xxhash 4 (newsfold pins
    4.1.0) refuses ("Strings must be encoded before hashing"; its own ``processing`` extra asks for
    xxhash<4).  Encode to UTF-8 first, as xxhash 3 did; lambdas, so that dill sends them by value to the
    executor's forkserver workers."""
    import xxhash
    from datatrove.utils.hashes import xxhash as dt_xxhash

    dt_xxhash.xxhash32 = lambda data: xxhash.xxh32_intdigest(data.encode() if isinstance(data, str) else data)
    dt_xxhash.xxhash64 = lambda data: xxhash.xxh64_intdigest(data.encode() if isinstance(data, str) else data)


def datatrove_child(corpus: Path, work: Path, workers: int) -> None:
    """The four stages of datatrove's MinHash dedup, timed one by one; prints a JSON line."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    _xxhash_str_shim()
    cfg = MinhashConfig()
    shards = len(list(corpus.glob("*.jsonl.gz")))

    def reader():
        return JsonlReader(str(corpus), glob_pattern="*.jsonl.gz")

    def ex(name, pipeline, tasks, n=workers):
        return name, LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(n, tasks),
                                           logging_dir=str(work / "logs" / name))

    stages = [
        ex("signatures", [reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg)], shards),
        ex("buckets", [MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"),
                                           config=cfg)], cfg.num_buckets),
        ex("cluster", [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"),
                                           config=cfg, save_cluster_id=True)], 1),
        ex("filter", [reader(), MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                                                   exclusion_writer=JsonlWriter(str(work / "removed"))),
                      JsonlWriter(str(work / "kept"))], shards),
    ]
    seconds = {}
    for name, executor in stages:
        t = time.perf_counter()
        executor.run()
        seconds[name] = round(time.perf_counter() - t, 3)
    print(json.dumps({"seconds": seconds}))


def datatrove_groups(work: Path) -> tuple[int, dict[str, str]]:
    """(records removed, record id → group) from the filter's outputs (cluster id -1: a group of its own)."""
    groups, removed = {}, 0
    for sub in ("kept", "removed"):
        for f in sorted((work / sub).glob("*.jsonl*")):
            with (gzip.open(f, "rt") if f.suffix == ".gz" else open(f)) as fh:
                for line in fh:
                    d = json.loads(line)
                    c = d.get("metadata", {}).get("minhash_cluster_id", -1)
                    groups[d["id"]] = f"c{c}" if c != -1 else d["id"]
                    removed += sub == "removed"
    return removed, groups


# --- newsfold ------------------------------------------------------------------------------------
def newsfold_cli() -> str:
    exe = Path(sys.executable).parent / "newsfold"
    return str(exe) if exe.exists() else shutil.which("newsfold") or "newsfold"


def run_help() -> str:
    return subprocess.run([newsfold_cli(), "run", "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}).stdout


def newsfold_config(path: Path, workers: int) -> Path:
    from newsfold.config import Config

    assert "workers" in Config().to_dict()  # one setting for every parallel stage
    lines = [f"workers = {workers}", "", "[steps]", "stories = false", "entities = false", ""]
    path.write_text("\n".join(lines))
    return path


def newsfold_groups(out: Path) -> tuple[int, dict[str, str]]:
    import pyarrow.parquet as pq

    copies = pq.read_table(out / "copies.parquet", columns=["record_id", "article_id"]).to_pylist()
    groups = {c["record_id"]: c["article_id"] for c in copies}
    return len(copies) - len(set(groups.values())), groups


# --- the run -------------------------------------------------------------------------------------
def measure(name: str, workers: int, cmd: list[str], env: dict | None = None) -> dict:
    print(f"… {name}, {workers} worker(s): {' '.join(cmd[-8:])}", flush=True)
    started, load = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), os.getloadavg()
    res = run_measured(cmd, env=env, cwd=str(REPO))
    if res["rc"]:
        print(f"  failed (exit {res['rc']}):\n{res['stderr'][-3000:]}", flush=True)
    return {"engine": name, "workers": workers, "started_utc": started, "load_before": load,
            "load_after": os.getloadavg(), **res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--exact", type=float, default=0.05, help="share of records that are exact re-scrapes")
    ap.add_argument("--near", type=float, default=0.05, help="share of records that are edited copies")
    ap.add_argument("--workers", default="1,2", help="newsfold's local engine: worker counts to run")
    ap.add_argument("--datatrove-workers", default="2", help="datatrove: worker counts to run")
    ap.add_argument("--engine", action="append", choices=("datatrove", "local", "ray"),
                    help="run only these engines (repeat; default all)")
    ap.add_argument("--ray-address", help="newsfold --engine ray: an existing cluster's address")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newsfold-engines"))
    ap.add_argument("--results", type=Path, help="write the results here (default bench/results/engines_N.json)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the rows of that file for the engines not run now (each row says when it ran)")
    ap.add_argument("--datatrove-child", nargs=3, metavar=("CORPUS", "WORK", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.datatrove_child:
        c, w, n = args.datatrove_child
        datatrove_child(Path(c), Path(w), int(n))
        return
    engines = set(args.engine or ("datatrove", "local", "ray"))
    corpus = args.workdir / f"corpus-{args.articles}"
    if not (corpus / "truth.json").exists():
        t = time.perf_counter()
        generate(corpus, args.articles, args.shards, args.exact, args.near)
        print(f"generated {args.articles:,} articles in {time.perf_counter() - t:.0f}s → {corpus}", flush=True)
    truth = json.loads((corpus / "truth.json").read_text())
    n = len(truth)
    known = n - len(set(truth.values()))
    print(f"{n:,} records, {known:,} of them copies of another ({len(set(truth.values())):,} originals)", flush=True)
    rows: list[dict] = []
    path = args.results or HERE / "results" / f"engines_{args.articles}.json"
    if args.keep and path.exists():  # every row but those of an engine and worker count run now
        now = {("datatrove", w) for w in map(int, args.datatrove_workers.split(",")) if "datatrove" in engines}
        now |= {("local", w) for w in map(int, args.workers.split(",")) if "local" in engines}
        now |= {("ray", 2)} if "ray" in engines else set()
        rows = [r for r in json.loads(path.read_text())["rows"] if (r["engine"].split()[-1], r["workers"]) not in now]
    load_before = os.getloadavg()

    def done(row: dict) -> None:
        """Keep a finished row, print it and save what is there so far."""
        row.pop("stdout", None)
        row["stderr"] = row.get("stderr", "")[-2000:] if row["rc"] else ""
        rows.append(row)
        report([row], n, known, header=False)
        path.write_text(json.dumps({"articles": n, "known_duplicates": known, "exact": args.exact, "near": args.near,
                                    "shards": args.shards, "cpus": os.cpu_count(), "load_before": load_before,
                                    "load_after": os.getloadavg(), "rows": rows}, indent=2))

    def newsfold_row(engine: str, w: int, extra: list[str]) -> None:
        out = args.workdir / f"out-{engine}-{args.articles}-w{w}"
        shutil.rmtree(out, ignore_errors=True)
        conf = newsfold_config(args.workdir / f"newsfold-w{w}.toml", w)
        row = measure(f"newsfold {engine}", w, [newsfold_cli(), "run", *extra, str(corpus), "--out", str(out),
                                                "--config", str(conf), "--no-progress"])
        if row["rc"] == 0:
            summary = json.loads((out / "summary.json").read_text())
            row["seconds"] = summary["seconds"]
            row["summary"] = {k: summary[k] for k in ("pages", "copies", "articles", "duplicate_groups",
                                                       "duplicate_copies", "learned_boilerplate")}
            row["duplicates"], groups = newsfold_groups(out)
            row.update(score(groups, truth))
        done(row)

    if "local" in engines:
        for w in map(int, args.workers.split(",")):
            newsfold_row("local", w, [])
    if "ray" in engines:
        if "--engine" not in run_help():
            print("note: `newsfold run --help` has no --engine yet: the Ray row is skipped", flush=True)
        else:
            newsfold_row("ray", 2, ["--engine", "ray", *(["--address", args.ray_address] if args.ray_address else [])])

    if "datatrove" in engines:  # last: the slowest
        for w in map(int, args.datatrove_workers.split(",")):
            work = args.workdir / f"datatrove-{args.articles}-w{w}"
            shutil.rmtree(work, ignore_errors=True)
            row = measure("datatrove", w, [sys.executable, __file__, "--datatrove-child", str(corpus), str(work), str(w)])
            if row["rc"] == 0:
                row["seconds"] = json.loads(row["stdout"].strip().splitlines()[-1])["seconds"]
                row["duplicates"], groups = datatrove_groups(work)
                row.update(score(groups, truth))
            done(row)
    report(rows, n, known)
    print(f"→ {path}")


def report(rows: list[dict], n: int, known: int, header: bool = True) -> None:
    ref = next((r for r in rows if r["engine"] == "datatrove" and r["rc"] == 0), None)
    ref_rate = n / ref["wall_s"] if ref else None
    if header:
        print(f"\n{n:,} articles, {known:,} known duplicates")
    print(f"{'engine':<18}{'workers':>8}{'seconds':>9}{'articles/s':>12}{'peak RSS':>10}{'duplicates':>12}"
          f"{'precision':>10}{'recall':>8}{'ratio to datatrove':>20}")
    for r in rows:
        if r["rc"]:
            print(f"{r['engine']:<18}{r['workers']:>8}   failed (exit {r['rc']})")
            continue
        rate = n / r["wall_s"]
        ratio = f"{rate / ref_rate:.2f}" if ref_rate else "–"
        print(f"{r['engine']:<18}{r['workers']:>8}{r['wall_s']:9.1f}{rate:12,.0f}{r['peak_tree_bytes'] / GiB:8.2f} G"
              f"{r['duplicates']:12,}{r['precision']:10.3f}{r['recall']:8.3f}{ratio:>20}")
    for r in rows:
        if r["rc"] == 0 and r.get("seconds"):
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["seconds"].items())
            rest = r["wall_s"] - sum(r["seconds"].values())  # start-up, and newsfold's store (not in summary.json)
            when = f"; started {r['started_utc']} UTC, load {r['load_before'][0]:.1f}" if "started_utc" in r else ""
            print(f"  {r['engine']} w{r['workers']} seconds per stage: {stages}; rest {rest:.1f}{when}")


if __name__ == "__main__":
    main()

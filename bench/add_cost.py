"""Cost of adding 1,000 pages to corpora of 10k, 100k and 1M articles.

    python bench/add_cost.py --sizes 10000 100000 1000000 [--workdir /tmp/newsfold-add]

Each base corpus is the generated wire corpus of ``bench/scale.py`` (Zipf vocabulary, 3% exact
re-scrapes, 2% near duplicates, outlet footers), built with one run.  Then two batches of 1,000
new pages are added, one run each.  A batch is 85% new articles, 10% updated versions of recent
articles (a sentence added, so the new copy is longer and becomes its group's canonical copy: the
article is renamed and its rows rewritten) and 5% exact re-scrapes of recent articles.

The peer is what a tool without incremental adding must do: rebuild the corpus from all its
inputs (base + batch), measured in the same run (at 1M, the base build stands in for the rebuild,
which can only be slower).  Each run is a child process; its wall time, CPU seconds (its own and its
workers': on a shared machine less noisy than wall time) and max RSS are reported.
Stories and entities are off by default (``--stories`` turns story grouping on, ``--entities`` entity
extraction; building a 1M corpus with stories takes over an hour on 2 cores, so those modes are measured
at 10k and 100k).  ``--reuse-build`` keeps each built base corpus (``built-N-MODE``) and adds to a copy of
it, so that a second invocation measures the adds without building again.
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from scale import generate  # noqa: E402

def config_text(stories: bool, entities: bool = False) -> str:
    on = lambda b: "true" if b else "false"  # noqa: E731
    return f"[steps]\nstories = {on(stories)}\nentities = {on(entities)}\n"


def recent_records(base: Path, k: int = 2000) -> list[dict]:
    last = sorted(base.glob("*.jsonl.gz"))[-1]
    with gzip.open(last, "rt") as fh:
        recs = [json.loads(line) for line in fh]
    return recs[-k:]


def make_batch(base: Path, folder: Path, n: int, seed: int) -> None:
    """n pages: 85% new articles, 10% longer updates of recent ones, 5% exact re-scrapes."""
    tmp = folder.with_name(folder.name + "-gen")
    if tmp.exists():
        shutil.rmtree(tmp)
    generate(tmp, int(n * 0.85), seed=seed)
    rng = np.random.default_rng(seed)
    recent = recent_records(base)
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "batch.jsonl.gz", "wt") as out:
        for f in sorted(tmp.glob("*.jsonl.gz")):
            with gzip.open(f, "rt") as fh:
                for line in fh:
                    rec = json.loads(line)
                    out.write(json.dumps(dict(rec, id=f"{folder.name}-{rec['id']}")) + "\n")
        for i in range(int(n * 0.10)):
            rec = recent[int(rng.integers(len(recent)))]
            out.write(json.dumps(dict(rec, id=f"{folder.name}-u{i}", text=rec["text"] + "\n\nThe story was updated with new details.")) + "\n")
        for i in range(n - int(n * 0.85) - int(n * 0.10)):
            rec = recent[int(rng.integers(len(recent)))]
            out.write(json.dumps(dict(rec, id=f"{folder.name}-x{i}")) + "\n")
    shutil.rmtree(tmp)


def child(inputs: list[str], out: str, config: str) -> None:
    import newsfold
    from newsfold.config import Config

    t = time.perf_counter()
    s = newsfold.run(inputs, out, Config.load(config), warn=lambda m: None)
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds of the run and its worker processes: less sensitive than wall time to a shared machine
    cpu = sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
    print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "max_rss_mb": round(rss), "pages": s.pages, "skipped": s.skipped_pages,
                      "articles": s.articles, "new_articles": s.new_articles, "stages": s.seconds}))


def run(inputs: list[Path], out: Path, config: Path) -> dict:
    res = subprocess.run([sys.executable, __file__, "--child", str(out), str(config), *map(str, inputs)],
                         capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newsfold-add"))
    ap.add_argument("--rebuild-max", type=int, default=100_000, help="measure the rebuild peer up to this size")
    ap.add_argument("--keep", action="store_true", help="keep the corpora (for profiling)")
    ap.add_argument("--stories", action="store_true", help="with story grouping on")
    ap.add_argument("--entities", action="store_true", help="with entity extraction on")
    ap.add_argument("--reuse-build", action="store_true", help="keep the built base and add to a copy of it")
    ap.add_argument("--no-rebuild", action="store_true", help="skip the rebuild peer")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "add_cost.json")
    args = ap.parse_args()
    if args.child:
        out, config, *inputs = args.child
        return child(inputs, out, config)
    args.workdir.mkdir(parents=True, exist_ok=True)
    mode = "-".join(m for m, on in (("stories", args.stories), ("entities", args.entities)) if on)
    config = args.workdir / f"config{'-' + mode if mode else ''}.toml"
    config.write_text(config_text(args.stories, args.entities))
    rows = []
    for n in args.sizes:
        base = args.workdir / f"base-{n}" / "wire"
        if not base.exists():
            generate(base, n)
        batches = []
        for b in range(2):
            folder = args.workdir / f"batch-{n}-{b}" / "wire"
            if not folder.exists():
                make_batch(base, folder, args.batch, seed=100 + b)
            batches.append(folder)
        out = args.workdir / f"out-{n}{'-' + mode if mode else ''}"
        if out.exists():
            shutil.rmtree(out)
        built = args.workdir / f"built-{n}{'-' + mode if mode else ''}"
        if args.reuse_build and built.with_name(built.name + ".json").exists():
            build = json.loads(built.with_name(built.name + ".json").read_text())
        else:
            build = run([base], built if args.reuse_build else out, config)
            if args.reuse_build:
                built.with_name(built.name + ".json").write_text(json.dumps(build))
        if args.reuse_build:
            shutil.copytree(built, out, symlinks=True)
        adds = [run([b], out, config) for b in batches]
        row = {"articles": n, "build": build, "adds": adds}
        if n <= args.rebuild_max and not args.no_rebuild:
            rb = args.workdir / f"rebuild-{n}"
            if rb.exists():
                shutil.rmtree(rb)
            both = args.workdir / f"both-{n}"
            if both.exists():
                shutil.rmtree(both)
            shutil.copytree(base, both / "wire")
            shutil.copy(batches[0] / "batch.jsonl.gz", both / "wire" / "zz-batch.jsonl.gz")
            row["rebuild"] = run([both / "wire"], rb, config)
            shutil.rmtree(both)
            shutil.rmtree(rb)
        rows.append(row)
        peer = row.get("rebuild", build)
        add = adds[0]
        print(f"{n:>9,} articles: build {build['wall_s']:8.1f} s {build['max_rss_mb']:6} MB | "
              f"add {args.batch} pages: {add['wall_s']:6.2f} s {add['max_rss_mb']:5} MB, again {adds[1]['wall_s']:6.2f} s | "
              f"peer rebuild {'(= build)' if 'rebuild' not in row else ''} {peer['wall_s']:8.1f} s | "
              f"rebuild/add {peer['wall_s'] / add['wall_s']:7.1f}x", flush=True)
        if not args.keep:
            shutil.rmtree(out)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

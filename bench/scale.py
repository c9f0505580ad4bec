"""End-to-end run on a generated corpus: articles/s per stage and peak memory.

    python bench/scale.py --articles 1000000 [--workdir /tmp/newsfold-scale]

The corpus is JSONL.gz shards of generated wire-style articles (~250 words, Zipf-distributed vocabulary),
with 3% exact re-scrapes, 2% near duplicates (a sentence changed) and outlet boilerplate lines, so that
every stage does real work.  The peer is a plain `gzip | json.loads` read of the same shards, which bounds
what any reader of this corpus can do.  Peak memory is the run's max RSS, measured in a child process.
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70


def vocabulary(size: int = 50_000, zipf: float = 1.05, letters: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Words and their Zipf probabilities (the generated corpora's vocabulary): ``w0`` …, or with
    ``letters`` made of syllables (``ba``, ``bako`` …), for tools that normalise digits away."""
    def word(i: int) -> str:
        out = SYLLABLES[i % 70]
        while i := i // 70:
            out += SYLLABLES[i % 70]
        return out

    vocab = np.array([word(i) if letters else f"w{i}" for i in range(size)])
    p = 1 / np.arange(1, size + 1) ** zipf
    return vocab, p / p.sum()


def outlet_footers(n: int = 200) -> dict[str, list[str]]:
    """``n`` outlets, each with the two boilerplate lines it ends every article with."""
    outlets = [f"outlet-{i:03d}" for i in range(n)]
    return {o: [f"© 2026 {o}. All rights reserved.", f"Follow {o} on social media for updates."] for o in outlets}


def generate(folder: Path, n: int, shard: int = 50_000, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    vocab, p = vocabulary()
    footer = outlet_footers()
    outlets = list(footer)
    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    k = 0
    while made < n:
        m = min(shard, n - made)
        words = vocab[rng.choice(len(vocab), size=(m, 250), p=p)]
        with gzip.open(folder / f"shard-{k:04d}.jsonl.gz", "wt", compresslevel=1) as fh:
            prev = None
            for i in range(m):
                sents = [" ".join(words[i, j : j + 25]).capitalize() + "." for j in range(0, 250, 25)]
                outlet = outlets[(made + i) % len(outlets)]
                r = rng.random()
                if prev is not None and r < 0.03:
                    rec = dict(prev, id=f"r{made + i}")  # an exact re-scrape
                else:
                    if prev is not None and r < 0.05:
                        sents = prev["_sents"][:]
                        sents[3] = " ".join(words[i, :25]).capitalize() + "."  # near duplicate
                    body = "\n\n".join([*sents[:5], *sents[5:], *footer[outlet]])
                    rec = {"id": f"r{made + i}", "title": " ".join(words[i, 200:208]).title(), "text": body,
                           "outlet": outlet, "date": f"2026-{1 + (i % 12):02d}-{1 + (i % 28):02d}", "_sents": sents}
                prev = rec
                fh.write(json.dumps({k2: v for k2, v in rec.items() if k2 != "_sents"}) + "\n")
        made += m
        k += 1


def peer_read(folder: Path) -> tuple[int, float]:
    t = time.perf_counter()
    n = 0
    for f in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(f, "rt") as fh:
            for line in fh:
                json.loads(line)
                n += 1
    return n, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newsfold-scale"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    corpus = args.workdir / f"corpus-{args.articles}"
    out = args.workdir / f"out-{args.articles}"
    if args.child:
        sys.path.insert(0, str(REPO / "src"))
        import newsfold
        from newsfold.config import Config

        t = time.perf_counter()
        cfg = Config(progress=False)
        cfg.steps.stories = "--stories" in sys.argv
        cfg.steps.entities = False
        s = newsfold.run([corpus], out, cfg, warn=lambda m: None)
        print(json.dumps({"summary": s.to_dict(), "wall": time.perf_counter() - t}))
        return
    if not corpus.exists():
        t = time.perf_counter()
        generate(corpus, args.articles)
        print(f"generated {args.articles:,} articles in {time.perf_counter() - t:.0f}s → {corpus}")
    n, peer_s = peer_read(corpus)
    proc = subprocess.run([sys.executable, __file__, "--child", "--articles", str(args.articles), "--workdir", str(args.workdir)],
                          capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(proc.returncode)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024  # GiB (ru_maxrss is KiB on Linux)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    s, wall = res["summary"], res["wall"]
    print(f"\n{n:,} input records, {s['copies']:,} copies, {s['articles']:,} distinct articles, "
          f"{s['duplicate_groups']:,} duplicate groups, {s['learned_boilerplate']} learned boilerplate lines")
    print(f"{'stage':<20}{'seconds':>10}{'articles/s':>14}")
    for stage, sec in s["seconds"].items():
        print(f"{stage:<20}{sec:10.1f}{s['copies'] / max(sec, 1e-9):14,.0f}")
    print(f"{'end to end':<20}{wall:10.1f}{s['copies'] / wall:14,.0f}")
    print(f"{'peer: gzip+json read':<20}{peer_s:10.1f}{n / peer_s:14,.0f}   (newsfold end-to-end / peer = {(s['copies'] / wall) / (n / peer_s):.3f})")
    print(f"peak memory (max RSS of the run): {peak:.2f} GiB")
    result = {"articles": args.articles, "summary": s, "wall_s": wall, "peak_rss_gib": peak, "peer_read_s": peer_s}
    (REPO / "bench" / "results" / f"scale_{args.articles}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

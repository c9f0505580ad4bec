"""Near-duplicate detection benchmark: newsfold vs datasketch vs rensa, on Reuters-21578.

    python bench/dedup_reuters.py                      # all 21,578 Reuters records
    python bench/dedup_reuters.py --limit 5000         # the first 5,000 records
    python bench/dedup_reuters.py --synthetic 50000    # + 50k synthetic ~500-word documents
    python bench/dedup_reuters.py --synthetic 50000 --no-reuters

For Reuters (bodies; empty bodies are skipped and counted) it reports, on the same texts:
  * pair precision / recall of every tool against an exact all-pairs Jaccard reference (scipy
    sparse binary doc x shingle matrix, X @ X.T in row blocks) at the same threshold;
  * end-to-end throughput (text in -> signatures + verified pairs out) and peak RSS, each tool in a
    fresh subprocess (ru_maxrss of that process, so native allocations count), next to the RSS of
    a process that only loads the texts;
  * newsfold's precision/recall curve over thresholds 0.5 ... 0.95.
The synthetic run measures throughput (and how many planted near-duplicate pairs each tool finds).
Every tool gets the same word shingles (newsfold's tokens, ``shingle`` words), the same number of
hash values and the same threshold; newsfold is also run with its default layout (512 8-bit
slots = the bytes of 128 32-bit slots).  All tools run on one core unless a row says otherwise.
Results go to bench/results/dedup_reuters.json.
"""
from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsfold.config import DedupConfig  # noqa: E402
from newsfold.stages.dedup import MinHasher, near_duplicate_pairs, tokens  # noqa: E402

DATA = Path(os.environ.get("NEWSFOLD_SHARED", REPO.parent / "shared")) / "data" / "reuters21578"
RESULTS = REPO / "bench" / "results" / "dedup_reuters.json"

NUM_PERM = 128  # what datasketch and rensa use (and newsfold's "same hashes" run)
SHINGLE = DedupConfig().shingle
THRESHOLD = DedupConfig().threshold
SEED = 1
REPEAT = 3


# ------------------------------------------------------------------------------------------
# data


def load_reuters(limit: int | None = None) -> tuple[list[str], int, int]:
    """(non-empty bodies, records read, empty bodies) in file order."""
    files = sorted(glob.glob(str(DATA / "reut2-*.json")))
    if not files:
        raise SystemExit(f"Reuters-21578 not found under {DATA}")
    texts, seen, empty = [], 0, 0
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for rec in json.load(fh):
                if limit is not None and seen >= limit:
                    return texts, seen, empty
                seen += 1
                body = rec.get("body") or ""
                if body.strip():
                    texts.append(body)
                else:
                    empty += 1
    return texts, seen, empty


def load_reuters_titles(limit: int | None = None) -> list[str]:
    out, seen = [], 0
    for f in sorted(glob.glob(str(DATA / "reut2-*.json"))):
        with open(f, encoding="utf-8") as fh:
            for rec in json.load(fh):
                if limit is not None and seen >= limit:
                    return out
                seen += 1
                if (rec.get("body") or "").strip():
                    out.append(f"{rec.get('date', '')[:20].strip()} | {rec.get('title') or ''}")
    return out


def synthetic(n: int, words: int = 500, seed: int = 7, dup_fraction: float = 0.1) -> tuple[list[str], np.ndarray]:
    """n documents of ~``words`` Zipf-distributed words; a ``dup_fraction`` of them are edited
    copies (0.2-2% of the words replaced) of an earlier document.  Returns (texts, planted pairs)."""
    rng = np.random.default_rng(seed)
    vocab_size = 50_000
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    lens = rng.integers(2, 12, vocab_size)
    vocab = np.array(
        [bytes(letters[rng.integers(0, 26, k)]).decode() for k in lens.tolist()], dtype=object
    )
    p = 1.0 / np.arange(1, vocab_size + 1) ** 1.05
    p /= p.sum()
    lengths = rng.integers(words - 100, words + 101, n)
    ids = rng.choice(vocab_size, size=int(lengths.sum()), p=p)
    offs = np.concatenate(([0], np.cumsum(lengths)))
    docs = [ids[offs[i] : offs[i + 1]] for i in range(n)]
    planted = []
    is_dup = rng.random(n) < dup_fraction
    is_dup[0] = False
    for i in np.flatnonzero(is_dup).tolist():
        src = int(rng.integers(0, i))
        d = docs[src].copy()
        k = max(1, int(len(d) * rng.uniform(0.002, 0.02)))
        d[rng.integers(0, len(d), k)] = rng.integers(0, vocab_size, k)
        docs[i] = d
        planted.append((src, i))
    texts = []
    for i, d in enumerate(docs):
        w = vocab[d]
        sentence_ends = rng.random(len(w)) < 0.06
        text = " ".join(x + "." if e else x for x, e in zip(w.tolist(), sentence_ends.tolist()))
        texts.append(text[0].upper() + text[1:])
    return texts, np.array(planted, dtype=np.int64).reshape(-1, 2)


def shingle_strings(text: str, k: int = SHINGLE) -> list[str]:
    """The same shingles newsfold hashes, as strings (for datasketch and rensa)."""
    w = tokens(text)
    if not w:
        return []
    if len(w) < k:
        return [" ".join(w)]
    return list(map(" ".join, zip(*[w[i:] for i in range(k)])))


# ------------------------------------------------------------------------------------------
# tools (each runs in its own process; timing covers text in -> verified pairs out)


def run_newsfold(texts: list[str], cfg: DedupConfig, workers: int = 1) -> np.ndarray:
    """Signatures in batches (over ``workers`` processes, as the local engine runs them), then LSH pairs."""
    from newsfold.engine.executor import LocalExecutor, chunked

    mh = MinHasher(cfg)
    parts = list(LocalExecutor(workers).map(mh.signatures, chunked(texts, cfg.batch)))
    sigs = np.concatenate(parts) if parts else np.empty((0, cfg.num_perm), np.uint32)
    return near_duplicate_pairs(sigs, cfg)


def _verified_pairs(lsh, mhs, threshold: float) -> np.ndarray:
    """The LSH candidates of each document, kept where the tool's own Jaccard estimate passes."""
    pairs = []
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j > i and m.jaccard(mhs[j]) >= threshold:
                pairs.append((i, j))
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def run_datasketch(texts: list[str], threshold: float) -> np.ndarray:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    mhs = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch([s.encode("utf-8") for s in shingle_strings(t)])
        lsh.insert(i, m, check_duplication=False)
        mhs.append(m)
    return _verified_pairs(lsh, mhs, threshold)


def run_rensa(texts: list[str], threshold: float) -> np.ndarray:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=threshold, num_perm=NUM_PERM, num_bands=32)
    mhs = []
    for i, t in enumerate(texts):
        m = RMinHash(num_perm=NUM_PERM, seed=SEED)
        m.update(shingle_strings(t))
        lsh.insert(i, m)
        mhs.append(m)
    return _verified_pairs(lsh, mhs, threshold)


def run_rensa_bulk_sigs(texts: list[str], threshold: float) -> np.ndarray:
    """rensa's bulk digest API (signatures only: it has no bulk pair query)."""
    from rensa import RMinHash

    RMinHash.digest_matrix_from_token_sets([shingle_strings(t) for t in texts], NUM_PERM, SEED)
    return np.empty((0, 2), dtype=np.int64)


def _cfg_from(spec: dict) -> DedupConfig:
    return dataclasses.replace(DedupConfig(), **{k: v for k, v in spec.items() if k != "workers"})


TOOLS = {
    "newsfold": lambda texts, spec: run_newsfold(texts, _cfg_from(spec), spec.get("workers", 1)),
    "datasketch": lambda texts, spec: run_datasketch(texts, spec["threshold"]),
    "rensa": lambda texts, spec: run_rensa(texts, spec["threshold"]),
    "rensa-bulk-sigs": lambda texts, spec: run_rensa_bulk_sigs(texts, spec["threshold"]),
    "load-only": lambda texts, spec: np.empty((0, 2), dtype=np.int64),
}


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def worker(args: argparse.Namespace) -> None:
    spec = json.loads(args.spec)
    if args.dataset == "reuters":
        texts, _, _ = load_reuters(args.limit)
    else:
        texts, _ = synthetic(args.synthetic)
    import gc

    gc.collect()
    rss_loaded = _status_mb("VmRSS")
    reset = _reset_peak()  # so the peak below is the tool's, not the loader's
    walls, cpus = [], []
    while True:  # best of a few runs: the machine is shared, the best run is the least disturbed
        c0 = os.times()
        t0 = time.perf_counter()
        pairs = TOOLS[args.worker](texts, spec)
        walls.append(time.perf_counter() - t0)
        c1 = os.times()
        cpus.append(sum(c1[:4]) - sum(c0[:4]))  # user + system, own and (pool) children
        if len(walls) >= args.repeat or sum(walls) > 30:
            break
    np.save(args.out + ".npy", pairs)
    wall = min(walls)
    info = {
        "docs": len(texts),
        "runs": len(walls),
        "seconds": wall,
        "seconds_all_runs": walls,
        "cpu_seconds": cpus[walls.index(wall)],
        "docs_per_s": len(texts) / wall if wall > 0 else None,
        "docs_per_cpu_s": len(texts) / min(cpus) if min(cpus) > 0 else None,
        "rss_after_load_mb": rss_loaded,
        # peak RSS while the tool ran (texts included); without clear_refs, the process's peak
        "peak_rss_mb": _status_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_is_tool_only": reset,
        "pairs": int(len(pairs)),
    }
    Path(args.out + ".json").write_text(json.dumps(info))


def spawn(tool: str, dataset: str, spec: dict, tmp: str, limit: int | None, synth: int | None) -> tuple[dict, np.ndarray]:
    out = os.path.join(tmp, f"{tool}-{dataset}-{abs(hash(json.dumps(spec, sort_keys=True)))}")
    cmd = [sys.executable, __file__, "--worker", tool, "--dataset", dataset, "--spec", json.dumps(spec), "--out", out]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    if synth is not None:
        cmd += ["--synthetic", str(synth)]
    cmd += ["--repeat", str(REPEAT)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", RAYON_NUM_THREADS="1")
    subprocess.run(cmd, check=True, env=env)
    info = json.loads(Path(out + ".json").read_text())
    return info, np.load(out + ".npy")


# ------------------------------------------------------------------------------------------
# evaluation


def pr(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    f = {tuple(x) for x in found.tolist()}
    t = {tuple(x) for x in truth.tolist()}
    tp = len(f & t)
    return (tp / len(f) if f else 1.0), (tp / len(t) if t else 1.0)


def table(rows: list[dict], cols: list[tuple[str, str, str]]) -> str:
    head = [c[1] for c in cols]
    body = []
    for r in rows:
        line = []
        for key, _, fmt in cols:
            v = r.get(key)
            line.append("-" if v is None else format(v, fmt) if fmt else str(v))
        body.append(line)
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    out = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    out.append("  ".join("-" * w for w in widths))
    for b in body:
        out.append("  ".join(x.rjust(w) if i else x.ljust(w) for i, (x, w) in enumerate(zip(b, widths))))
    return "\n".join(out)


RUNS = [
    # (label, tool, spec)
    ("newsfold (default: 512 x 8-bit)", "newsfold", {}),
    ("newsfold (128 x 32-bit)", "newsfold", {"num_perm": 128, "slot_bits": 32, "bands": 32, "rows": 4}),
    ("rensa 0.5 RMinHash+RMinHashLSH", "rensa", {"threshold": THRESHOLD}),
    ("datasketch 2.0 MinHash+MinHashLSH", "datasketch", {"threshold": THRESHOLD}),
]


def compare(dataset: str, tmp: str, limit: int | None, synth: int | None, extra: list) -> dict:
    results: dict = {"runs": {}}
    base, _ = spawn("load-only", dataset, {}, tmp, limit, synth)
    results["load_only_rss_mb"] = base["rss_after_load_mb"]
    outputs = {}
    for label, tool, spec in RUNS + extra:
        info, pairs = spawn(tool, dataset, spec, tmp, limit, synth)
        info["tool"] = tool
        info["spec"] = spec
        results["runs"][label] = info
        outputs[label] = pairs
        info["extra_rss_mb"] = info["peak_rss_mb"] - info["rss_after_load_mb"]
        print(f"  {label}: {info['docs_per_s']:.0f} docs/s, peak RSS {info['peak_rss_mb']:.0f} MB "
              f"({info['extra_rss_mb']:+.0f} MB over the loaded texts)", flush=True)
    return results, outputs


def _ratios(res: dict) -> None:
    """newsfold (default) throughput over each tool's: wall clock, and per CPU-second (steadier
    when other work shares the machine)."""
    nf = res["runs"][RUNS[0][0]]
    for info in res["runs"].values():
        info["newsfold_speedup"] = nf["docs_per_s"] / info["docs_per_s"]
        info["newsfold_speedup_cpu"] = nf["docs_per_cpu_s"] / info["docs_per_cpu_s"]


def reuters(args: argparse.Namespace, tmp: str) -> dict:
    from newsfold.stages.dedup.lsh import pair_similarity
    from newsfold.stages.dedup.reference import exact_pairs, shingle_matrix

    texts, seen, empty = load_reuters(args.limit)
    print(f"Reuters-21578: {seen} records, {empty} empty bodies skipped, {len(texts)} documents")
    t0 = time.perf_counter()
    X = shingle_matrix(texts, SHINGLE)
    ref_pairs, ref_j = exact_pairs(X, 0.3)
    ref_s = time.perf_counter() - t0
    print(f"  exact all-pairs reference: {len(ref_pairs)} pairs with J >= 0.3 ({ref_s:.1f} s)")
    truth = ref_pairs[ref_j >= THRESHOLD - 1e-12]
    extra = [("rensa 0.5 bulk digests (signatures only)", "rensa-bulk-sigs", {"threshold": THRESHOLD})]
    res, outs = compare("reuters", tmp, args.limit, None, extra)
    for label, info in res["runs"].items():
        if info["tool"] == "rensa-bulk-sigs":
            continue
        p, r = pr(outs[label], truth)
        info["precision"], info["recall"] = p, r
    _ratios(res)
    # threshold curve for the default configuration (signatures computed once)
    cfg = DedupConfig()
    sigs = MinHasher(cfg).signatures(texts)
    curve = []
    for th in (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        c = dataclasses.replace(cfg, threshold=th)
        found = near_duplicate_pairs(sigs, c)
        t = ref_pairs[ref_j >= th - 1e-12]
        p, r = pr(found, t)
        curve.append({"threshold": th, "exact_pairs": int(len(t)), "found": int(len(found)), "precision": p, "recall": r})
    est = pair_similarity(sigs, ref_pairs)
    err = est - ref_j
    band = {f"{lo:.1f}-{hi:.1f}": (lo, hi) for lo, hi in ((0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))}
    accuracy = {
        k: {"pairs": int(m.sum()), "bias": float(err[m].mean()), "rmse": float(np.sqrt((err[m] ** 2).mean()))}
        for k, (lo, hi) in band.items()
        for m in [(ref_j >= lo) & (ref_j < hi)]
        if m.any()
    }
    res.update(
        {
            "records": seen,
            "empty_bodies_skipped": empty,
            "documents": len(texts),
            "threshold": THRESHOLD,
            "shingle": SHINGLE,
            "num_perm_compared": NUM_PERM,
            "exact_pairs_at_threshold": int(len(truth)),
            "reference_seconds": ref_s,
            "threshold_curve": curve,
            "estimate_error_by_true_jaccard": accuracy,
            "default_config": dataclasses.asdict(cfg),
        }
    )
    print()
    print(f"Reuters-21578, {len(texts)} documents, {SHINGLE}-word shingles, threshold {THRESHOLD}, "
          f"{len(truth)} exact pairs (texts loaded: {res['load_only_rss_mb']:.0f} MB RSS)")
    rows = [dict(name=k, **v) for k, v in res["runs"].items()]
    print(table(rows, [("name", "tool", ""), ("docs_per_s", "docs/s", ".0f"), ("docs_per_cpu_s", "docs/cpu-s", ".0f"),
                       ("peak_rss_mb", "peak MB", ".0f"), ("extra_rss_mb", "+MB", ".0f"), ("pairs", "pairs", "d"), ("precision", "P", ".4f"),
                       ("recall", "R", ".4f"), ("newsfold_speedup", "newsfold x", ".2f"), ("newsfold_speedup_cpu", "x (cpu)", ".2f")]))
    print()
    print("newsfold default configuration, LSH output vs exact pairs at each threshold:")
    print(table(curve, [("threshold", "threshold", ".2f"), ("exact_pairs", "exact pairs", "d"), ("found", "found", "d"),
                        ("precision", "P", ".4f"), ("recall", "R", ".4f")]))
    if args.examples:
        titles = load_reuters_titles(args.limit)
        print()
        print("exact pairs around the cut (J, then the two titles):")
        for lo, hi in ((0.6, 0.7), (0.7, 0.8), (0.8, 0.9)):
            sel = np.flatnonzero((ref_j >= lo) & (ref_j < hi))[: args.examples]
            for k in sel.tolist():
                i, j = ref_pairs[k]
                print(f"  J={ref_j[k]:.3f}  [{titles[i]}]  ~  [{titles[j]}]")
    return res


def synth_run(args: argparse.Namespace, tmp: str) -> dict:
    texts, planted = synthetic(args.synthetic)
    words = np.mean([len(t.split()) for t in texts[:2000]])
    print(f"synthetic: {len(texts)} documents, ~{words:.0f} words each, {len(planted)} planted near-duplicates")
    extra = [
        ("newsfold (default, 2 processes)", "newsfold", {"workers": 2}),
        ("rensa 0.5 bulk digests (signatures only)", "rensa-bulk-sigs", {"threshold": THRESHOLD}),
    ]
    res, outs = compare("synthetic", tmp, None, args.synthetic, extra)
    pl = {tuple(x) for x in planted.tolist()}
    _ratios(res)
    for label, info in res["runs"].items():
        if info["tool"] != "rensa-bulk-sigs":
            found = {tuple(x) for x in outs[label].tolist()}
            info["planted_found"] = len(found & pl)
    res.update({"documents": len(texts), "mean_words": float(words), "planted_pairs": int(len(planted))})
    print()
    print(f"synthetic, {len(texts)} documents of ~{words:.0f} words, threshold {THRESHOLD} "
          f"(texts loaded: {res['load_only_rss_mb']:.0f} MB RSS)")
    rows = [dict(name=k, **v) for k, v in res["runs"].items()]
    print(table(rows, [("name", "tool", ""), ("docs_per_s", "docs/s", ".0f"), ("docs_per_cpu_s", "docs/cpu-s", ".0f"),
                       ("peak_rss_mb", "peak MB", ".0f"), ("extra_rss_mb", "+MB", ".0f"), ("pairs", "pairs", "d"), ("planted_found", "planted found", "d"),
                       ("newsfold_speedup", "newsfold x", ".2f"), ("newsfold_speedup_cpu", "x (cpu)", ".2f")]))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="read only the first N Reuters records")
    ap.add_argument("--synthetic", type=int, default=None, help="also run N synthetic ~500-word documents")
    ap.add_argument("--no-reuters", action="store_true", help="skip the Reuters comparison")
    ap.add_argument("--examples", type=int, default=0, help="print N exact pairs per J band around the cut")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool (best counts; stops after 30 s)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    global REPEAT
    REPEAT = args.repeat
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    with tempfile.TemporaryDirectory(prefix="newsfold-bench-") as tmp:
        if not args.no_reuters:
            results["reuters"] = reuters(args, tmp)
            results["reuters"]["limit"] = args.limit
        if args.synthetic:
            results["synthetic"] = synth_run(args, tmp)
    RESULTS.write_text(json.dumps(results, indent=1))
    print(f"\nwrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()

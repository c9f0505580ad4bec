"""Peak memory and time of one very long article, beside ordinary pages of the same total size.

    python bench/long_texts.py                    # 5 MB JSONL article and 30 MB text page
    python bench/long_texts.py --sizes 5          # only the 5 MB case
    python bench/long_texts.py --only long        # skip the ordinary-pages peers

Each case runs ``newsfold run`` with every step on (stories and entities included) in a child
process; peak memory is that child's max RSS (``os.wait4``), time its wall seconds.

The data is built from Reuters-21578 bodies (``../shared/data/reuters21578``, never copied into
the repo): the distinct bodies, in order and cycled, joined by single newlines (no blank-line
run, so the segmenter keeps one article) up to the size asked.  The long case holds them as one
text: a JSONL record (5 MB) or a .txt page (30 MB).  The peer holds the very same bytes as
ordinary articles of three consecutive bodies each (about 2.5 KB; a cycle after the first groups
them at another offset, so they are distinct articles, not duplicates), in the same kind of file:
JSONL records, or one .txt file per article.  Results go to bench/results/long_texts.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MB = 1_000_000


def bodies(shared: Path) -> list[str]:
    seen, out = set(), []
    for f in sorted((shared / "data" / "reuters21578").glob("reut2-*.json")):
        for r in json.loads(f.read_text(encoding="utf-8")):
            t = (r.get("body") or "").strip()
            if t and t not in seen:
                seen.add(t)
                out.append("\n".join(ln.strip() for ln in t.splitlines() if ln.strip()))
    return out


def stream(src: list[str], size: int) -> list[str]:
    """Bodies in order, cycled, until their bytes reach ``size``."""
    out, n, i = [], 0, 0
    while n < size:
        b = src[i % len(src)]
        out.append(b)
        n += len(b.encode()) + 1
        i += 1
    return out


def write_case(folder: Path, parts: list[str], kind: str, long: bool) -> Path:
    folder.mkdir(parents=True)
    if long:
        text = "\n".join(parts)
        if kind == "jsonl":
            (folder / "long.jsonl").write_text(json.dumps({"id": "long", "title": "One very long article",
                                                          "outlet": "bench", "text": text}) + "\n")
        else:
            (folder / "long.txt").write_text("One very long article\n\n" + text + "\n")
        return folder
    groups = ["\n".join(parts[i:i + 3]) for i in range(0, len(parts), 3)]
    if kind == "jsonl":
        with open(folder / "ordinary.jsonl", "w") as fh:
            for i, g in enumerate(groups):
                fh.write(json.dumps({"id": f"o{i}", "title": f"Ordinary article {i}", "outlet": "bench",
                                     "text": g}) + "\n")
    else:
        for i, g in enumerate(groups):
            (folder / f"{i:06d}.txt").write_text(f"Ordinary article {i}\n\n{g}\n")
    return folder


def measure(inputs: Path, out: Path) -> dict:
    """Run ``newsfold run`` in a child; its wall seconds and max RSS."""
    cmd = [sys.executable, "-m", "newsfold.cli", "run", str(inputs), "--out", str(out), "--no-progress"]
    t0 = time.perf_counter()
    with open(out.parent / (out.name + ".log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: its max RSS
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"newsfold run failed ({code}): {(out.parent / (out.name + '.log')).read_text()[-2000:]}")
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    return {"seconds": round(wall, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024), "articles": summary.get("articles"),
            "seconds_by_stage": summary.get("seconds")}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("NEWSFOLD_SHARED", REPO.parent / "shared")))
    ap.add_argument("--sizes", type=float, nargs="*", default=[5, 30], help="MB; 5 is a JSONL record, more a .txt page")
    ap.add_argument("--only", choices=("long", "ordinary"), default=None)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "long_texts.json")
    args = ap.parse_args(argv)

    src = bodies(args.shared)
    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                       cwd=REPO).stdout.strip(), "cases": []}
    tmp = Path(tempfile.mkdtemp(prefix="newsfold-long-"))
    try:
        for mb in args.sizes:
            kind = "jsonl" if mb <= 10 else "txt"
            parts = stream(src, int(mb * MB))
            case = {"size_mb": mb, "kind": kind}
            for which in ("long", "ordinary"):
                if args.only and which != args.only:
                    continue
                inputs = write_case(tmp / f"{mb}-{which}-in", parts, kind, which == "long")
                case[which] = measure(inputs, tmp / f"{mb}-{which}-out")
                shutil.rmtree(inputs)
                shutil.rmtree(tmp / f"{mb}-{which}-out")
                print(f"{mb:g} MB {which:8s} {case[which]['seconds']:8.1f} s  {case[which]['peak_rss_mb']:6d} MB peak",
                      flush=True)
                if "long" in case and "ordinary" in case:
                    case["ratio_rss"] = round(case["long"]["peak_rss_mb"] / case["ordinary"]["peak_rss_mb"], 2)
                    case["ratio_seconds"] = round(case["long"]["seconds"] / case["ordinary"]["seconds"], 2)
                    print(f"{mb:g} MB long / ordinary: memory {case['ratio_rss']}x, time {case['ratio_seconds']}x")
                report["cases"] = [c for c in report["cases"] if c is not case] + [case]
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(report, indent=2) + "\n")  # after each run: a long bench keeps what it has
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()

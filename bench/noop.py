"""Wall time of a run with nothing new and of `newsfold --version`, beside Python's own start-up.

    python bench/noop.py              # 5 rounds (median), the example corpus
    python bench/noop.py --rounds 9

Every figure is a child process's wall seconds, measured from this process (start-up, imports, the
run and its summary table, exit). The corpus is built once from ``examples/corpus`` in a temporary
folder; each round then runs, interleaved so that load on a shared machine falls on all alike:

- ``python -c pass``: the interpreter's start-up (the floor of any command);
- ``python -c "import pyarrow.parquet"``: start-up plus the one library every run needs;
- ``newsfold --version``;
- ``newsfold run examples/corpus --out W --no-progress``, the second and later times (nothing new:
  no file is read again, no generation is made).

Printed: the median and the spread of each, the ratio of each newsfold figure to each peer, and the
machine's load average before and after. Results go to ``bench/results/noop.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "corpus"


def _newsfold() -> list[str]:
    exe = Path(sys.executable).with_name("newsfold")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "newsfold.cli"]


def _wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.strip()}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    nf = _newsfold()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "corpus"
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import pyarrow.parquet'": [sys.executable, "-c", "import pyarrow.parquet"],
            "newsfold --version": [*nf, "--version"],
            "newsfold run (nothing new)": [*nf, "run", str(EXAMPLE), "--out", str(out), "--no-progress"],
        }
        first = _wall(cases["newsfold run (nothing new)"])  # builds the corpus
        gens = sorted(p.name for p in (out / ".gens").iterdir())
        load_before = os.getloadavg()
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.rounds):
            for name, cmd in cases.items():
                times[name].append(_wall(cmd))
        load_after = os.getloadavg()
        assert sorted(p.name for p in (out / ".gens").iterdir()) == gens, "a run with nothing new made a generation"
        shutil.rmtree(out)
    med = {k: statistics.median(v) for k, v in times.items()}
    peers = ("python -c pass", "python -c 'import pyarrow.parquet'")
    print(f"first run (builds the corpus): {first:.2f} s; rounds: {args.rounds}; "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} cores)")
    print(f"{'command':<38} {'median s':>9} {'min':>6} {'max':>6}  ratio to: " + ", ".join(peers))
    for name, v in times.items():
        ratios = "" if name in peers else "  " + ", ".join(f"{med[name] / med[p]:.1f}x" for p in peers)
        print(f"{name:<38} {med[name]:>9.3f} {min(v):>6.3f} {max(v):>6.3f}{ratios}")
    result = {"python": platform.python_version(), "cores": os.cpu_count(), "rounds": args.rounds,
              "load_before": load_before, "load_after": load_after, "first_run_s": round(first, 3),
              "median_s": {k: round(v, 3) for k, v in med.items()},
              "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()}}
    path = REPO / "bench" / "results" / "noop.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()

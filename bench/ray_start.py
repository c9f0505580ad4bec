"""Can a local Ray cluster start here, how fast, how much memory, and does it need the network?

    python bench/ray_start.py                  # both ways of starting, with the network as it is
    unshare -n sh -c 'ip link set lo up && python bench/ray_start.py'   # no network but loopback (root)

1. in the process: ``ray.init(num_cpus=2, include_dashboard=False)``;
2. a head node: ``ray start --head --num-cpus 2``, then ``ray.init(address=...)`` from a driver.

For each: seconds to start (init / ``ray start``), to the first task's result (a worker process starts),
to a small Ray Data job (JSONL → map_batches → count), and to shut down; memory summed over the driver and
every Ray process (gcs_server, raylet, workers, agents) when idle and after the Data job.  Each way runs in
its own child process so that one cannot warm the other.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memtree import cmdline, descendants, matching, rss, stop  # noqa: E402

ENV = {"RAY_USAGE_STATS_ENABLED": "0"}  # no usage report is ever attempted
MiB = 1024 * 1024


def _ray_tree(temp: str) -> set[int]:
    """This driver and its children, plus every process that names our Ray temp dir (gcs, raylet, agents)
    and theirs (workers are the raylet's children)."""
    return descendants([os.getpid()]) | matching(lambda c: temp in c)


def _workload(ray, folder: Path) -> dict:
    t = time.perf_counter()
    assert ray.get(ray.remote(lambda: os.getpid()).remote()) != os.getpid()
    first_task = time.perf_counter() - t
    rows = folder / "rows.jsonl"
    rows.write_text("".join(json.dumps({"id": i, "text": f"word{i % 97} " * 40}) + "\n" for i in range(20_000)))
    t = time.perf_counter()
    ds = ray.data.read_json(str(rows)).map_batches(lambda b: {"n": [len(x.split()) for x in b["text"]]},
                                                   batch_format="pandas")
    n = ds.count()
    data_s = time.perf_counter() - t
    assert n == 20_000, n
    return {"first_task_s": round(first_task, 2), "data_job_s": round(data_s, 2)}


def child(mode: str) -> None:
    os.environ.update(ENV)
    temp = tempfile.mkdtemp(prefix="nf-ray-", dir="/tmp")
    folder = Path(temp) / "work"
    folder.mkdir()
    res: dict = {"mode": mode, "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "(unset)"),
                 "token_file": Path("~/.ray/auth_token").expanduser().exists()}
    t = time.perf_counter()
    import ray

    res["import_s"] = round(time.perf_counter() - t, 2)
    res["ray"] = ray.__version__
    base = rss(descendants([os.getpid()]))
    if mode == "init":
        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp, log_to_driver=False)
        res["start_s"] = round(time.perf_counter() - t, 2)
    else:
        t = time.perf_counter()
        p = subprocess.run(["ray", "start", "--head", "--num-cpus", "2", "--include-dashboard", "false",
                            "--temp-dir", temp, "--disable-usage-stats"], capture_output=True, text=True)
        res["ray_start_s"] = round(time.perf_counter() - t, 2)
        if p.returncode:
            res["error"] = p.stderr[-2000:]
            print(json.dumps(res))
            return
        addr = next((ln.split("'")[1] for ln in p.stdout.splitlines() if "ray start --address=" in ln), "auto")
        res["address"] = addr
        t = time.perf_counter()
        try:
            ray.init(address=addr, log_to_driver=False)
        except Exception as exc:  # noqa: BLE001 - reported, and our head node stopped
            res["error"] = f"{type(exc).__name__}: {str(exc)[:600]}"
            stop(matching(lambda c: temp in c))
            print(json.dumps(res))
            return
        res["connect_s"] = round(time.perf_counter() - t, 2)
        res["start_s"] = round(res["ray_start_s"] + res["connect_s"], 2)
    time.sleep(1)
    res["idle_tree_mib"] = round(rss(_ray_tree(temp)) / MiB)
    res["driver_mib"] = round(rss([os.getpid()]) / MiB)
    res["driver_before_init_mib"] = round(base / MiB)
    res.update(_workload(ray, folder))
    tree = _ray_tree(temp)
    res["after_job_tree_mib"] = round(rss(tree) / MiB)
    res["processes"] = sorted({(cmdline(p).split() or ["?"])[0].rsplit("/", 1)[-1][:40] for p in tree})
    t = time.perf_counter()
    ray.shutdown()
    if mode == "head":  # never `ray stop`: it stops every Ray on the machine; only the processes we started
        stop(matching(lambda c: temp in c))
    res["shutdown_s"] = round(time.perf_counter() - t, 2)
    time.sleep(1)
    res["left_running"] = len(matching(lambda c: temp in c))
    print(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=("init", "head"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    ap.add_argument("--modes", default="init,head", help="which ways of starting, comma-separated (init, head)")
    ap.add_argument("--auth", choices=("default", "token", "disabled"), default="default",
                    help="RAY_AUTH_MODE for the cluster and the driver (default: leave it unset)")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    results = []
    auth = {} if args.auth == "default" else {"RAY_AUTH_MODE": args.auth}
    for mode in args.modes.split(","):
        p = subprocess.run([sys.executable, __file__, "--child", mode], capture_output=True, text=True,
                           env={**os.environ, **ENV, **auth}, timeout=600)
        line = next((ln for ln in reversed(p.stdout.splitlines()) if ln.startswith("{")), None)
        res = json.loads(line) if line else {"mode": mode, "error": p.stderr[-3000:]}
        results.append(res)
        print(json.dumps(res, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

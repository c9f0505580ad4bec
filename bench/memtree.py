"""Memory of a whole process tree, from /proc (Linux; no psutil needed).

``Sampler(pid)`` sums the resident memory of a process and all its descendants every ``interval``
seconds in a thread and keeps the peak: the figure for engines that fork workers (a pool, datatrove's
local executor, Ray's raylet and its workers), where the max RSS of any one process says too little.
Sampling can miss a peak shorter than the interval; ``ru_maxrss`` of the children is printed beside it.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d.name))
    return kids


def descendants(roots: Iterable[int]) -> set[int]:
    """The processes in ``roots`` and all below them."""
    kids = _children()
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, ()))
    return seen


def rss(pids: Iterable[int]) -> int:
    """Bytes resident, summed over ``pids`` (processes that are gone count 0)."""
    total = 0
    for p in pids:
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def matching(pred: Callable[[str], bool]) -> set[int]:
    """Processes whose command line satisfies ``pred``, and their descendants."""
    return descendants(int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and pred(cmdline(int(d.name))))


def stop(pids: set[int], wait: float = 10.0) -> None:
    """End these processes (ones we started, by id): SIGTERM, then SIGKILL for those still there."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        end = time.time() + wait
        while time.time() < end and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.1)


class Sampler:
    """Peak summed RSS of a process tree (``roots()`` gives its roots at each sample)."""

    def __init__(self, roots: Callable[[], Iterable[int]], interval: float = 0.2):
        self.roots = roots
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        now = rss(descendants(self.roots()))
        self.peak = max(self.peak, now)
        return now

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(cmd: list[str], env: dict | None = None, cwd: str | None = None, interval: float = 0.5) -> dict:
    """Run ``cmd`` as a child; its wall seconds, exit code, output and the peak RSS of its whole tree
    (sampled every ``interval`` seconds: each sample reads /proc whole, a few % of a core at 0.2 s)."""
    import subprocess

    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    with Sampler(lambda: [proc.pid], interval) as s:
        out, err = proc.communicate()
    return {"rc": proc.returncode, "wall_s": time.perf_counter() - t, "peak_tree_bytes": s.peak,
            "stdout": out, "stderr": err}

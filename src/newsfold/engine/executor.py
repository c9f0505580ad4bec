"""How the local engine runs a parallel stage: in this process (one worker), or over a pool of
processes, with the results given back in input order either way.

The pool's processes are spawned, not forked: a forked worker would inherit the run's lock on the
corpus and outlive a killed run holding it.  A spawned worker imports only what its task needs."""
from __future__ import annotations

import multiprocessing as mp
from collections import deque
from itertools import chain
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Inside a pool worker only: the task that worker runs, set once by the pool's initializer (so a task
# that loads a model or rules does it once per worker, not once per item).  Empty in the main process.
_WORKER_TASK: dict[str, Callable] = {}


def _init(task: Callable) -> None:
    _WORKER_TASK["task"] = task


def _call(item):
    return _WORKER_TASK["task"](item)


class LocalExecutor:
    """``map(task, items)``: ``task(item)`` for each item, in order.  With ``workers`` > 1 and at least
    ``min_items`` items, the items go to a pool of that many processes, at most ``2 x workers`` in
    flight; with fewer (starting a worker costs about a second) they run in this process."""

    def __init__(self, workers: int = 1):
        self.workers = max(1, int(workers))

    def map(self, task: Callable[[T], R], items: Iterable[T], min_items: int = 2) -> Iterator[R]:
        items, parallel = worth_workers(items, self.workers, min_items)
        if not parallel:
            yield from map(task, items)
            return
        with ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                 initializer=_init, initargs=(task,)) as pool:
            pending: deque = deque()
            for item in items:
                pending.append(pool.submit(_call, item))
                if len(pending) >= 2 * self.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()


def worth_workers(items: Iterable[T], workers: int, min_items: int) -> tuple[Iterator[T], bool]:
    """``(the same items, whether to send them to workers)``: yes with more than one worker and at
    least ``min_items`` items (looked ahead, not consumed)."""
    it = iter(items)
    head: list[T] = []
    if workers > 1:
        for item in it:
            head.append(item)
            if len(head) >= max(1, min_items):
                break
    return chain(head, it), workers > 1 and len(head) >= max(1, min_items)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last one shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

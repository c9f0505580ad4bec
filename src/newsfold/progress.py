"""Timing and progress of a run's stages.

Stages report what they have done through a plain callback, ``report(stage, done, total)``
(``total`` None while unknown); they know nothing of terminals (the CLI draws the bars).
Units per stage: ``read`` input files, ``learn boilerplate``/``dedup``/``write`` article copies,
``stories``/``entities`` articles, ``store`` table rows written to ``newsfold.db``.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TypeVar

Report = Callable[[str, int, "int | None"], None]
T = TypeVar("T")


class Clock:
    """Seconds spent per stage."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()

    @contextmanager
    def __call__(self, stage: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - t

    def iterate(self, stage: str, items: Iterable[T]) -> Iterator[T]:
        it = iter(items)
        while True:
            t = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                self.seconds[stage] += time.perf_counter() - t
                return
            self.seconds[stage] += time.perf_counter() - t
            yield item


class StageProgress:
    """One stage's count of items done, reported as ``report(stage, done, total)`` on every change."""

    def __init__(self, report: Report | None, stage: str, total: int | None = None) -> None:
        self.report = report
        self.stage = stage
        self.total = total
        self.done = 0
        self._say()

    def _say(self) -> None:
        if self.report is not None:
            self.report(self.stage, self.done, self.total)

    def set_total(self, total: int) -> None:
        self.total = total
        self._say()

    def add(self, n: int = 1) -> None:
        if n:
            self.done += n
            self._say()

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, counting each one as done once the stage has taken it."""
        for item in items:
            yield item
            self.add()

    def finish(self) -> None:
        """The stage is over: done equals the total (the total is what was done when it was unknown)."""
        if self.total is None or self.done != self.total:
            self.total = max(self.done, self.total or 0)
            self.done = self.total
            self._say()

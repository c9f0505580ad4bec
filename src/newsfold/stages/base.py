"""The two shapes of a stage, and the sink it reports to.

A **stage** is records in, records out: ``stage(records, sink) -> records``.  It looks at one
record (or the records of one page) at a time, so an engine may run it on many workers at once
(``parallel = True``) and put the results back in input order.

A **barrier** must see all its input before it can say anything (learned boilerplate, duplicate
folding, stories): ``observe`` what comes, ``merge`` the partial state another worker observed, and
``finish`` with the result the stages after it need.

Stages report ledger rows, counts and warnings to the ``Sink`` the engine hands them.  They never
import an engine, the corpus storage or a framework; what a later stage relies on is a typed field
of ``Page`` or ``Article`` (``newsfold.records``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Iterable, Iterator, Protocol, TypeVar, runtime_checkable

from newsfold.records import Article, LedgerEntry

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
Result = TypeVar("Result", covariant=True)


class Sink(Protocol):
    """Where a stage reports: the engine decides what a row or a count becomes."""

    def ledger(self, entry: LedgerEntry) -> None: ...

    def count(self, name: str, n: int = 1) -> None: ...

    def warn(self, message: str) -> None: ...


@runtime_checkable
class Stage(Protocol[In, Out]):
    name: str
    parallel: bool  # records are independent: an engine may split them over workers

    def __call__(self, records: Iterable[In], sink: Sink) -> Iterator[Out]: ...


@runtime_checkable
class Barrier(Protocol[In, Result]):
    name: str

    def observe(self, records: Iterable[In], sink: Sink) -> None: ...

    def merge(self, other: "Barrier[In, Result]") -> None: ...

    def finish(self, sink: Sink) -> Result: ...


@dataclass
class Collected:
    """A sink that keeps what it is told, in order: a worker's reports, replayed by the engine
    into its own sink (``replay``) so that a run on many workers reports what one would."""

    events: list[tuple[str, object]] = field(default_factory=list)

    def ledger(self, entry: LedgerEntry) -> None:
        self.events.append(("ledger", entry))

    def count(self, name: str, n: int = 1) -> None:
        self.events.append(("count", (name, n)))

    def warn(self, message: str) -> None:
        self.events.append(("warn", message))

    def replay(self, sink: Sink) -> None:
        for kind, value in self.events:
            if kind == "ledger":
                sink.ledger(value)  # type: ignore[arg-type]
            elif kind == "count":
                sink.count(*value)  # type: ignore[misc]
            else:
                sink.warn(value)  # type: ignore[arg-type]
        self.events.clear()


def by_page(articles: Iterable[Article]) -> Iterator[list[Article]]:
    """The articles of one page at a time (a page's articles come together)."""
    for _, group in groupby(articles, key=lambda a: a.page_id):
        yield list(group)


def chain(stages: Iterable[Stage], records: Iterable, sink: Sink) -> Iterator:
    """Records through the stages, one after another (lazily)."""
    for stage in stages:
        records = stage(records, sink)
    return iter(records)

"""The sink a run hands its stages: ledger rows into the generation's ledger, counts into the
run's summary, warnings to the caller."""
from __future__ import annotations

from dataclasses import asdict
from typing import Callable

import numpy as np
import xxhash

from newsfold.progress import StageProgress
from newsfold.records import DROPPED, SKIPPED, LedgerEntry
from newsfold.stages.ingest.known import ALREADY


def row_hash(entry: LedgerEntry) -> int:
    return xxhash.xxh3_64_intdigest("\x1f".join((entry.source, entry.level, entry.status, entry.reason,
                                                 entry.detail, entry.ref)).encode())


class RunSink:
    """Writes a ledger row and counts it, unless the corpus's ledger has this very row already (an
    input read again): then it is neither written nor counted (nor warned about) again."""

    def __init__(self, summary, writer, warn: Callable[[str], None], known_rows: np.ndarray | None = None):
        self.summary = summary  # newsfold.engine.local.RunSummary
        self.writer = writer
        self.warn = warn
        self.known_rows = known_rows if known_rows is not None else np.zeros(0, np.uint64)  # sorted
        self.new_rows: set[int] = set()  # this run's rows not in the corpus yet
        self.news = 0  # of those, rows that say more than "this page is already in the corpus"
        self.stage = StageProgress(None, "")  # the stage running now (counts files while reading)

    def ledger(self, entry: LedgerEntry) -> None:
        if entry.level == "file":
            self.summary.files += 1
            if self.stage.stage == "read":
                self.stage.add()
        h = row_hash(entry)
        pos = np.searchsorted(self.known_rows, np.uint64(h))
        if h in self.new_rows or (pos < len(self.known_rows) and self.known_rows[pos] == h):
            return
        self.new_rows.add(h)
        self.news += entry.reason != ALREADY
        self.writer.write(asdict(entry))
        if entry.status == DROPPED:
            self.summary.dropped[entry.reason] = self.summary.dropped.get(entry.reason, 0) + 1
        elif entry.status == SKIPPED:
            self.summary.skipped_files[entry.reason] = self.summary.skipped_files.get(entry.reason, 0) + 1

    def count(self, name: str, n: int = 1) -> None:
        setattr(self.summary, name, getattr(self.summary, name) + n)

    def known_file(self, source: str, pages: int) -> None:
        """A file the corpus has read in full, unchanged: not read again, its pages counted as skipped."""
        self.summary.files += 1
        self.summary.skipped_pages += pages
        if self.stage.stage == "read":
            self.stage.add()

    def row_hashes(self) -> np.ndarray:
        """The corpus's ledger rows and this run's, sorted (saved for the next run)."""
        return np.union1d(self.known_rows, np.fromiter(self.new_rows, np.uint64))

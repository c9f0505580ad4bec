"""Stage: pages the corpus already holds (same source and content) are not processed again."""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from newsfold.records import DUPLICATE, LedgerEntry, Page
from newsfold.stages.base import Sink

ALREADY = "already_ingested"


def page_number(page_id: str) -> int:
    """A page id ("p" + 16 hex digits) as the uint64 the corpus stores."""
    return int(page_id[1:], 16)


class SkipKnownPages:
    """Passes the pages that are new to the corpus and to this run; the others get a ledger row
    (``duplicate``, ``already_ingested``) and count as ``skipped_pages``.  ``seen``: the new pages' ids."""

    name = "skip known pages"
    parallel = False  # it remembers the pages it has passed

    def __init__(self, known: np.ndarray):
        self.known = known  # sorted uint64 page ids of the corpus
        self.seen: list[int] = []
        self._seen: set[int] = set()

    def is_known(self, u: int) -> bool:
        if u in self._seen:
            return True
        if not len(self.known):
            return False
        pos = np.searchsorted(self.known, np.uint64(u))
        return bool(pos < len(self.known) and self.known[pos] == u)

    def __call__(self, pages: Iterable[Page], sink: Sink) -> Iterator[Page]:
        for page in pages:
            pid = page.page_id
            u = page_number(pid)
            if self.is_known(u):
                sink.count("skipped_pages")
                sink.ledger(LedgerEntry(page.source, "page", DUPLICATE, ALREADY,
                                        "this page (same source and content) is already in the corpus", pid))
                continue
            self.seen.append(u)
            self._seen.add(u)
            sink.count("pages")
            yield page

"""The per-page work of a run: the plan's page stages over a chunk of pages, in any process."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from newsfold.config import Config
from newsfold.records import DROPPED, Article, LedgerEntry, Page
from newsfold.stages.base import Collected, Stage


@dataclass
class PageDone:
    """One page after its stages: its article copies (None when it could not be processed), what the
    stages reported (replayed by the engine in page order), and the seconds each stage took."""

    articles: list[Article] | None
    reports: Collected
    seconds: dict[str, float] = field(default_factory=dict)


class PageWork:
    """``work(pages) -> [PageDone]``.  Builds its stages on first use, so each worker process builds
    its own; a page that raises gets an ``error`` ledger row and a warning: a bad page never stops
    the run."""

    def __init__(self, cfg: Config, stages: list[Stage] | None = None):
        self.cfg = cfg
        self._stages = stages

    @property
    def stages(self) -> list[Stage]:
        if self._stages is None:
            from newsfold.engine.plan import page_stages

            self._stages = page_stages(self.cfg)
        return self._stages

    def __getstate__(self):  # a worker builds its own stages
        return {"cfg": self.cfg, "_stages": None}

    def __call__(self, pages: list[Page]) -> list[PageDone]:
        return [self.one(page) for page in pages]

    def one(self, page: Page) -> PageDone:
        reports = Collected()
        seconds: dict[str, float] = {}
        records: list = [page]
        try:
            for stage in self.stages:
                t = time.perf_counter()
                records = list(stage(records, reports))
                seconds[stage.name] = seconds.get(stage.name, 0.0) + time.perf_counter() - t
        except Exception as exc:
            reports = Collected()
            reports.warn(f"{page.source}: could not be processed ({type(exc).__name__}: {exc})")
            reports.ledger(LedgerEntry(page.source, "page", DROPPED, "error", f"{type(exc).__name__}: {exc}", page.page_id))
            return PageDone(None, reports, seconds)
        return PageDone(records, reports, seconds)

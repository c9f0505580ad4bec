"""The local engine: inputs -> segmented, cleaned, deduplicated corpus in an output folder.

Three passes, so that memory does not grow with the corpus (apart from the dedup index):

1. read -> segment -> clean (rules) -> spool every copy to Parquet, and observe lines for
   boilerplate learning;
2. spool -> learned boilerplate -> exact keys and MinHash signatures -> duplicate groups;
3. spool -> articles, copies, removals, ledger (Parquet) -> newsfold.db.

Everything is written into ``OUT/.newsfold-work`` and moved into ``OUT`` at the end; a run that was
killed leaves that folder behind, and the next run starts it again from scratch.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow.parquet as pq

from . import enrich
from .boilerplate import BoilerplateLearner, LearnedBoilerplate
from .clean import Cleaner
from .config import Config
from .dedup import MinHasher, UnionFind, near_duplicate_pairs
from .readers import read_inputs
from .records import DROPPED, DUPLICATE, KEPT, Article, LedgerEntry, Removal
from .rules import Rules
from .segment import Segmenter
from .store import TableWriter, build_sqlite

log = logging.getLogger("newsfold")
WORK = ".newsfold-work"
TABLES = ("articles", "copies", "removals", "ledger", "boilerplate")
STORY_TABLES = ("stories", "story_sentences")
ENTITY_TABLES = ("entities", "mentions")


@dataclass
class RunSummary:
    files: int = 0
    pages: int = 0
    copies: int = 0
    articles: int = 0
    duplicate_groups: int = 0
    duplicate_copies: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    learned_boilerplate: int = 0
    stories: int = 0
    entities: int = 0
    out: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


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

    def iterate(self, stage: str, items: Iterator):
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


def _spool_row(a: Article) -> dict:
    return {
        "source": a.source, "page_id": a.page_id, "span_start": a.span[0], "span_end": a.span[1], "raw": a.raw,
        "title": a.title, "text": a.text, "outlet": a.outlet, "url": a.url, "published": a.published,
        "authors": a.authors, "record_id": a.record_id, "captions": a.captions,
        "removals": json.dumps([[r.line, r.text, r.rule, r.detail] for r in a.removals], ensure_ascii=False),
        "kept_lines": a.extra.get("kept_lines", []),
    }


def _article(row: dict) -> Article:
    a = Article(
        source=row["source"], page_id=row["page_id"], span=(row["span_start"], row["span_end"]), raw=row["raw"],
        title=row["title"], text=row["text"], outlet=row["outlet"], url=row["url"], published=row["published"],
        authors=row["authors"], record_id=row["record_id"], captions=list(row["captions"] or []),
        removals=[Removal(*r) for r in json.loads(row["removals"])],
    )
    a.extra["kept_lines"] = list(row["kept_lines"] or [])
    return a


def _spool_articles(path: Path, learned: LearnedBoilerplate, batch: int) -> Iterator[list[Article]]:
    for rb in pq.ParquetFile(path).iter_batches(batch_size=batch):
        yield [learned.apply(_article(r)) for r in rb.to_pylist()]


class Runner:
    """Runs the stages over the inputs; holds the per-run state (nothing lives at module level)."""

    def __init__(self, config: Config, warn: Callable[[str], None] | None = None, progress=None):
        self.cfg = config
        self.warn = warn or log.warning
        self.progress = progress
        self.rules = Rules.load(config.clean.rules)
        self.clock = Clock()
        self.summary = RunSummary()

    def notify(self, stage: str) -> None:
        """Tell the progress callback which stage runs, with the pages and copies so far."""
        if self.progress:
            self.progress(stage, self.summary.pages, self.summary.copies)

    def _ledger(self, writer: TableWriter, entry: LedgerEntry) -> None:
        writer.write(asdict(entry))
        if entry.level == "file":
            self.summary.files += 1
        if entry.status == DROPPED:
            self.summary.dropped[entry.reason] = self.summary.dropped.get(entry.reason, 0) + 1

    def pass1(self, inputs: Sequence[str | Path], work: Path, ledger: TableWriter) -> BoilerplateLearner:
        segmenter = Segmenter(self.cfg.segment, self.rules)
        cleaner = Cleaner(self.rules, self.cfg.segment)
        learner = BoilerplateLearner(self.cfg.clean)
        spool = TableWriter(work / "spool.parquet", "spool", batch=2000)
        pages = read_inputs(inputs, self.cfg.reader, lambda e: self._ledger(ledger, e), self.warn)
        for page in self.clock.iterate("read", pages):
            self.summary.pages += 1
            try:
                with self.clock("segment"):
                    arts = list(segmenter(page))
                with self.clock("clean"):
                    arts = [cleaner(a) for a in arts]
            except Exception as exc:  # a bad page never stops the run
                self.warn(f"{page.source}: could not be processed ({type(exc).__name__}: {exc})")
                self._ledger(ledger, LedgerEntry(page.source, "page", DROPPED, "error", f"{type(exc).__name__}: {exc}", page.page_id))
                continue
            if not arts:
                self._ledger(ledger, LedgerEntry(page.source, "page", DROPPED, "no_article", "no article text found", page.page_id))
                continue
            found = {a.outlet for a in arts if a.outlet}
            if len(found) == 1:  # a logo or "Support X" line names the page's outlet, for all its articles
                outlet = found.pop()
                for a in arts:
                    a.outlet = a.outlet or outlet
            with self.clock("learn_boilerplate"):
                for a in arts:
                    learner.observe(a)
            with self.clock("spool"):
                for a in arts:
                    spool.write(_spool_row(a))
            self.summary.copies += len(arts)
            self.notify("read")
        with self.clock("spool"):
            spool.close()
        return learner

    def pass2(self, work: Path, learned: LearnedBoilerplate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keys, lengths and duplicate-group labels for every spooled copy (-1: empty, dropped)."""
        hasher = MinHasher(self.cfg.dedup)
        keys: list[int] = []
        lengths: list[int] = []
        sigs = []
        for arts in self.clock.iterate("spool", _spool_articles(work / "spool.parquet", learned, self.cfg.dedup.batch)):
            with self.clock("dedup"):
                texts = [a.text for a in arts]
                keys.extend(int(k, 16) if t.strip() else 0 for k, t in zip(hasher.exact_keys(texts), texts))
                lengths.extend(len(t) if t.strip() else -1 for t in texts)
                sigs.append(hasher.signatures(texts))
        with self.clock("dedup"):
            n = len(keys)
            key_arr = np.array(keys, dtype=np.uint64)
            len_arr = np.array(lengths, dtype=np.int64)
            live = np.flatnonzero(len_arr >= 0)
            uf = UnionFind(n)
            order = live[np.argsort(key_arr[live], kind="stable")]
            same = key_arr[order][1:] == key_arr[order][:-1]
            uf.union_pairs(np.stack([order[:-1][same], order[1:][same]], axis=1))
            if len(live) > 1:
                allsig = np.concatenate(sigs)
                sigs.clear()
                if len(live) < n:
                    allsig = allsig[live]
                pairs = near_duplicate_pairs(allsig, self.cfg.dedup)
                del allsig
                if len(pairs):
                    uf.union_pairs(live[pairs])
            labels = uf.labels().astype(np.int64)
            labels[len_arr < 0] = -1
        return key_arr, len_arr, labels

    def pass3(self, work: Path, learned: LearnedBoilerplate, key_arr, len_arr, labels, ledger: TableWriter) -> None:
        n = len(labels)
        live = np.flatnonzero(labels >= 0)
        # canonical copy per group: the longest text, then the earliest copy (all in numpy: no per-row dicts)
        order = live[np.lexsort((live, -len_arr[live], labels[live]))]
        first = np.ones(len(order), bool)
        first[1:] = labels[order][1:] != labels[order][:-1]
        canon_by_label = np.full(n, -1, np.int64)
        canon_by_label[labels[order[first]]] = order[first]
        canon_row = np.where(labels >= 0, canon_by_label[np.maximum(labels, 0)], -1)
        size_by_label = np.bincount(labels[live], minlength=n) if len(live) else np.zeros(n, np.int64)
        self.summary.articles = int(first.sum())
        self.summary.duplicate_groups = int((size_by_label > 1).sum())
        self.summary.duplicate_copies = len(live) - self.summary.articles

        w = {name: TableWriter(work / f"{name}.parquet", name) for name in ("articles", "copies", "removals")}
        page: list = [None, None, []]  # source, page id, statuses of its copies (a page's copies are contiguous)

        def close_page() -> None:
            source, pid, st = page
            if source is None:
                return
            if KEPT in st:
                entry = LedgerEntry(source, "page", KEPT, "", f"{st.count(KEPT)} article(s) kept, {st.count(DUPLICATE)} duplicate copies", pid)
            elif DUPLICATE in st:
                entry = LedgerEntry(source, "page", DUPLICATE, "duplicate", "every article on it is a copy of one kept elsewhere", pid)
            else:
                entry = LedgerEntry(source, "page", DROPPED, "no_article_text", "nothing left after cleaning", pid)
            self._ledger(ledger, entry)

        idx = 0
        for arts in self.clock.iterate("spool", _spool_articles(work / "spool.parquet", learned, 2000)):
            with self.clock("write"):
                for a in arts:
                    i, lab = idx, int(labels[idx])
                    idx += 1
                    cid = a.copy_id
                    if a.source != page[0]:
                        close_page()
                        page[:] = [a.source, a.page_id, []]
                    for r in a.removals:
                        w["removals"].write({"copy_id": cid, "line": r.line, "text": r.text, "rule": r.rule, "detail": r.detail})
                    if lab < 0:
                        page[2].append(DROPPED)
                        self._ledger(ledger, LedgerEntry(f"{a.source}@{a.span[0]}-{a.span[1]}", "copy", DROPPED,
                                                         "empty_after_cleaning", "every line was boilerplate", cid))
                        continue
                    canon = int(canon_row[i])
                    aid = f"a{int(key_arr[canon]):016x}"
                    match = "canonical" if i == canon else ("exact" if key_arr[i] == key_arr[canon] else "near")
                    page[2].append(KEPT if i == canon else DUPLICATE)
                    w["copies"].write({"copy_id": cid, "article_id": aid, "source": a.source, "page_id": a.page_id,
                                       "span_start": a.span[0], "span_end": a.span[1], "record_id": a.record_id,
                                       "url": a.url, "outlet": a.outlet, "match": match, "raw": a.raw})
                    if i == canon:
                        w["articles"].write({"article_id": aid, "title": a.title, "text": a.text, "outlet": a.outlet,
                                             "url": a.url, "published": a.published, "authors": a.authors,
                                             "captions": a.captions, "source": a.source, "copy_id": cid,
                                             "dup_group": aid, "n_copies": int(size_by_label[lab]), "n_words": len(a.text.split())})
        close_page()
        with self.clock("write"):
            for t in w.values():
                t.close()


def run(inputs: Sequence[str | Path], out: str | Path, config: Config | None = None, *,
        warn: Callable[[str], None] | None = None, progress: Callable[[str, int, int], None] | None = None) -> RunSummary:
    """Read INPUTS and write the corpus into OUT (articles, copies, removals, ledger, newsfold.db)."""
    cfg = config or Config()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with RunLock(out):
        return _run(inputs, out, cfg, warn, progress)


class RunLock:
    """One run at a time per output folder: a second run refuses at once with a clear message."""

    def __init__(self, out: Path):
        self.path = out / ".newsfold.lock"
        self.fh = None

    def __enter__(self) -> "RunLock":
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise CorpusLocked(f"{self.path.parent}: another newsfold run ({holder}) is writing to this corpus; "
                               "wait for it to finish") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


class CorpusLocked(RuntimeError):
    pass


def _run(inputs, out: Path, cfg: Config, warn, progress) -> RunSummary:
    work = out / WORK
    if work.exists():
        (warn or log.warning)(f"{work}: an unfinished earlier run left this behind; starting again")
        shutil.rmtree(work)
    work.mkdir()
    runner = Runner(cfg, warn, progress)
    ledger = TableWriter(work / "ledger.parquet", "ledger")
    learner = runner.pass1(inputs, work, ledger)
    runner.notify("learn boilerplate")
    with runner.clock("learn_boilerplate"):
        learned = learner.finish()
    runner.notify("dedup")
    key_arr, len_arr, labels = runner.pass2(work, learned)
    runner.notify("write")
    runner.pass3(work, learned, key_arr, len_arr, labels, ledger)
    ledger.close()
    bp = TableWriter(work / "boilerplate.parquet", "boilerplate")
    bp.write_many(learned.rows())
    bp.close()
    runner.summary.learned_boilerplate = len(learned.texts)
    tables = list(TABLES)
    if cfg.steps.stories:
        runner.notify("stories")
        with runner.clock("stories"):
            assignments = enrich.group_stories(work, cfg.stories, work / "state" / "stories")
            enrich.add_story_ids(work / "articles.parquet", assignments)
        runner.summary.stories = len(set(assignments.values()))
        tables += STORY_TABLES
    if cfg.steps.entities:
        runner.notify("entities")
        with runner.clock("entities"):
            runner.summary.entities = enrich.extract_entities(work, cfg.entities)
        tables += ENTITY_TABLES
    runner.notify("store")
    with runner.clock("store"):
        build_sqlite(work / "newsfold.db", {t: work / f"{t}.parquet" for t in tables})
    runner.summary.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
    runner.summary.out = str(out)
    (work / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    (work / "summary.json").write_text(json.dumps(runner.summary.to_dict(), indent=2))
    (work / "spool.parquet").unlink()
    for f in sorted(work.iterdir(), key=lambda p: p.name == "summary.json"):  # summary.json last
        if f.is_dir():
            if (out / f.name).exists():
                shutil.rmtree(out / f.name)
        os.replace(f, out / f.name)
    work.rmdir()
    return runner.summary

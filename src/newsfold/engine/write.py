"""Pass 3: the rows a run writes into the next generation.

New copies get their rows; an affected duplicate group (one that gained a copy) gets a new article row
(its canonical copy, size and maybe id changed) and its old copies' rows rewritten (article id,
match); pages whose copies changed role (canonical <-> duplicate) get a new ledger row.  Old rows are
removed with ``Generation.take``, which rewrites only the parts that hold them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from newsfold.corpus import generation as corpus
from newsfold.stages.boilerplate.learn import LearnedBoilerplate
from newsfold.stages.dedup.fold import Folded, page_status
from newsfold.records import DROPPED, DUPLICATE, KEPT, Article, LedgerEntry
from newsfold.engine.spool import articles_of, spooled_articles
from newsfold.corpus.generation import iter_batches
from newsfold.corpus.sqlite import SCHEMAS
from newsfold.engine.sink import RunSink
from newsfold.progress import Clock
from newsfold.stages.ingest.known import ALREADY



@dataclass
class Changes:
    """What this run did to the articles, for the steps after dedup."""

    renamed: dict[str, str] = field(default_factory=dict)  # old article id -> the id its group has now
    fresh: list[str] = field(default_factory=list)  # articles whose text is new (new groups, new canonical copies)
    removed: set[str] = field(default_factory=set)  # article ids that no longer exist
    # old article id -> its row before this run, for each article whose canonical copy changed (renamed, or
    # the same id with a new canonical copy): what the story clusterer took in, to take it out again
    before: dict[str, dict] = field(default_factory=dict)


def write_rows(gen: corpus.Generation, spool_path: Path, learned: LearnedBoilerplate, f: Folded,
               all_page: np.ndarray, all_cid: np.ndarray, ledger, sink: RunSink, clock: Clock,
               part_writers: Callable | None = None) -> Changes:
    """Write this generation's rows: new copies, new and changed articles, changed pages.  New ledger
    rows go through ``sink``; a page's changed status replaces its row in ``ledger``.  ``part_writers``:
    see ``_write_new``."""
    ch = Changes()
    n_old = f.n_old
    aids = [f.article_id(int(c)) for c in f.canon]
    for gi, label in enumerate(f.affected.tolist()):
        for r in f.old_canon.get(label, []):
            old = f.article_id(r)
            if old != aids[gi]:
                ch.renamed[old] = aids[gi]
                ch.removed.add(old)
    # old rows of affected groups: their article rows and copy rows change
    old_ids = {f.article_id(r) for rs in f.old_canon.values() for r in rs}
    taken = gen.take("articles", "article_id", old_ids)
    old_articles = {r["article_id"]: r for r in taken.to_pylist()} if taken is not None else {}
    wa = gen.writer("articles", SCHEMAS["articles"])
    for gi, label in enumerate(f.affected.tolist()):
        for r in f.old_canon.get(label, []):
            old = f.article_id(r)
            if (old != aids[gi] or f.canon[gi] >= n_old) and old in old_articles:
                ch.before[old] = old_articles[old]
    for gi in np.flatnonzero(f.canon < n_old).tolist():
        row = dict(old_articles[aids[gi]])
        row["n_copies"] = int(f.size[gi])
        wa.write(row)
    old_rows = np.flatnonzero(np.isin(f.label[:n_old], f.affected)) if n_old else np.zeros(0, np.int64)
    if len(old_rows):
        taken = gen.take("copies", "copy_id", [f"c{int(c):016x}" for c in all_cid[old_rows]])
        row_of = {f"c{int(all_cid[r]):016x}": int(r) for r in old_rows}
        wc = gen.writer("copies", SCHEMAS["copies"])
        for row in taken.to_pylist() if taken is not None else []:
            r = row_of[row["copy_id"]]
            gi = int(f.group_of(np.array([r]))[0])
            c = int(f.canon[gi])
            row["article_id"] = aids[gi]
            row["match"] = "canonical" if r == c else ("exact" if f.key[r] == f.key[c] else "near")
            wc.write(row)
        _restatus_pages(gen, f, all_page, old_rows, ledger)
    _write_new(gen, spool_path, learned, f, aids, sink, clock, ch, part_writers)
    return ch

def _restatus_pages(gen, f: Folded, all_page, old_rows, ledger) -> None:
    """Old pages whose copies changed role (canonical <-> duplicate) get a new ledger row."""
    pages = np.unique(all_page[old_rows])
    rows = np.flatnonzero(np.isin(all_page[: f.n_old], pages))
    by_page: dict[int, list[int]] = {}
    for r in rows.tolist():
        by_page.setdefault(int(all_page[r]), []).append(r)
    changed = {}
    for p, rs in by_page.items():
        idx = np.array(rs)
        status, kept, dup = page_status(idx, f)
        changed[f"p{p:016x}"] = (status, kept, dup)
    if not changed:
        return
    is_page = lambda t: pc.and_(pc.equal(t.column("level"), "page"), pc.not_equal(t.column("reason"), ALREADY))  # noqa: E731
    taken = gen.take("ledger", "ref", list(changed), where=is_page, where_sql=" AND level = 'page' AND reason != 'already_ingested'")
    for row in taken.to_pylist() if taken is not None else []:
        status, kept, dup = changed[row["ref"]]
        entry = _page_entry(row["source"], row["ref"], status, kept, dup)
        ledger.write(asdict(entry))

# spool rows per chunk of pass 3 (a Ray task's share when the engine writes the new copies' parts)
SPOOL_CHUNK = 2000
NEW_TABLES = ("articles", "copies", "removals")  # the tables a new copy adds rows to


@dataclass(frozen=True)
class NewGroups:
    """What a new copy's rows are built from: the fold's ``label`` and ``key`` of every row, the
    ``affected`` groups' canonical rows and sizes, and each affected group's article id."""

    label: np.ndarray
    key: np.ndarray
    affected: np.ndarray
    canon: np.ndarray
    size: np.ndarray
    aids: list[str]


@dataclass
class NewRows:
    """What a chunk of new copies adds: rows per table (in order), the page ledger's ``events`` in order
    (``(source, page id, row)`` where a copy's source is not the previous copy's in the chunk; a
    ``LedgerEntry`` for a copy dropped), and the ids of the articles whose text is new."""

    rows: dict[str, list[dict]]
    events: list
    fresh: list[str]


def new_rows(arts: list[Article], first: int, g: NewGroups) -> NewRows:
    """The rows of the new copies ``arts`` (rows ``first``, ``first + 1``, ... of the fold): each copy's
    row and removals, and an article row for each canonical copy."""
    out = NewRows({name: [] for name in NEW_TABLES}, [], [])
    source = None
    for row, a in enumerate(arts, first):
        cid = a.copy_id
        if a.source != source:
            source = a.source
            out.events.append((a.source, a.page_id, row))
        out.rows["removals"].extend({"copy_id": cid, "line": r.line, "text": r.text, "rule": r.rule, "detail": r.detail}
                                    for r in a.removals)
        if g.label[row] < 0:
            out.events.append(LedgerEntry(f"{a.source}@{a.span[0]}-{a.span[1]}", "copy", DROPPED,
                                          "empty_after_cleaning", "every line was boilerplate", cid))
            continue
        gi = int(np.searchsorted(g.affected, g.label[row]))
        canon = int(g.canon[gi])
        aid = g.aids[gi]
        match = "canonical" if row == canon else ("exact" if g.key[row] == g.key[canon] else "near")
        out.rows["copies"].append({"copy_id": cid, "article_id": aid, "source": a.source, "page_id": a.page_id,
                                   "span_start": a.span[0], "span_end": a.span[1], "record_id": a.record_id,
                                   "url": a.url, "outlet": a.outlet, "match": match, "raw": a.raw})
        if row == canon:
            out.fresh.append(aid)
            out.rows["articles"].append({"article_id": aid, "title": a.title, "text": a.text, "outlet": a.outlet,
                                         "url": a.url, "published": a.published, "authors": a.authors,
                                         "captions": a.captions, "source": a.source, "copy_id": cid,
                                         "dup_group": aid, "n_copies": int(g.size[gi]), "n_words": len(a.text.split()),
                                         "language": a.language, "story_id": None})
    return out


@dataclass
class ChunkParts:
    """Pass 3 over one chunk of the spool, where the engine runs it (a Ray task): the chunk's copies
    (``learned`` applied) -> ``new_rows`` -> written by the unopened ``writers`` it is given (one per
    table, ``Generation.part_writer``) and closed.  Returns (copies, ledger events, fresh ids)."""

    learned: LearnedBoilerplate
    groups: NewGroups

    def __call__(self, item: tuple[int, pa.RecordBatch, dict[str, corpus.PartWriter]]) -> tuple[int, list, list[str]]:
        first, rb, writers = item
        new = new_rows(articles_of(rb, self.learned), first, self.groups)
        for name, rows in new.rows.items():
            for row in rows:
                writers[name].write(row)
            writers[name].close()
        return rb.num_rows, new.events, new.fresh


class _PageLedger:
    """Replays ``NewRows.events`` in row order into ``sink``: a page's ledger row once its last copy is
    seen (a page's copies are contiguous rows), a dropped copy's row as it comes."""

    def __init__(self, f: Folded, sink: RunSink):
        self.f, self.sink = f, sink
        self.page: tuple = (None, None, 0)  # source, page id, first row

    def replay(self, events: list) -> None:
        for e in events:
            if isinstance(e, LedgerEntry):
                self.sink.ledger(e)
            elif e[0] != self.page[0]:
                self.close(e[2])
                self.page = e

    def close(self, end: int) -> None:
        source, pid, first = self.page
        if source is not None:
            status, kept, dup = page_status(np.arange(first, end, dtype=np.int64), self.f)
            self.sink.ledger(_page_entry(source, pid, status, kept, dup))


def _write_new(gen, spool_path, learned, f: Folded, aids, sink: RunSink, clock: Clock, ch: Changes,
               part_writers: Callable | None = None) -> None:
    """The new copies' rows.  ``part_writers(new copies)``: an engine's way to run ``ChunkParts`` over the
    spool's chunks on its workers (in order), or None: then they are written here."""
    groups = NewGroups(f.label, f.key, f.affected, f.canon, f.size, aids)
    pages = _PageLedger(f, sink)
    remote = part_writers(len(f.label) - f.n_old) if part_writers is not None else None
    i = f.n_old
    if remote is None:
        w = {name: gen.writer(name, SCHEMAS[name]) for name in NEW_TABLES}
        for arts in clock.iterate("spool", spooled_articles(spool_path, learned, SPOOL_CHUNK)):
            sink.stage.add(len(arts))
            with clock("write"):
                new = new_rows(arts, i, groups)
                i += len(arts)
                for name, rows in new.rows.items():
                    for row in rows:
                        w[name].write(row)
                pages.replay(new.events)
                ch.fresh.extend(new.fresh)
    else:
        def chunks():
            first = f.n_old
            for k, rb in enumerate(iter_batches(spool_path, SPOOL_CHUNK)):
                yield first, rb, {name: gen.part_writer(name, SCHEMAS[name], f"-w{k:06d}") for name in NEW_TABLES}
                first += rb.num_rows

        for n, events, fresh in remote(ChunkParts(learned, groups), chunks()):  # timed as "write" by the caller
            sink.stage.add(n)
            i += n
            pages.replay(events)
            ch.fresh.extend(fresh)
    pages.close(i)


def _page_entry(source: str, pid: str, status: str, kept: int, dup: int) -> LedgerEntry:
    if status == KEPT:
        return LedgerEntry(source, "page", KEPT, "", f"{kept} article(s) kept, {dup} duplicate copies", pid)
    if status == DUPLICATE:
        return LedgerEntry(source, "page", DUPLICATE, "duplicate", "every article on it is a copy of one kept elsewhere", pid)
    return LedgerEntry(source, "page", DROPPED, "no_article_text", "nothing left after cleaning", pid)

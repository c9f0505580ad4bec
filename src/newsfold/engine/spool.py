"""The spool: every new copy after rule cleaning, written in pass 1 and read again by passes 2 and 3
(with the learned boilerplate applied on the way)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from newsfold.stages.boilerplate.learn import LearnedBoilerplate
from newsfold.corpus.generation import iter_batches
from newsfold.records import Article, Removal


def spool_row(a: Article) -> dict:
    return {
        "source": a.source, "page_id": a.page_id, "span_start": a.span[0], "span_end": a.span[1], "raw": a.raw,
        "title": a.title, "text": a.text, "outlet": a.outlet, "url": a.url, "published": a.published,
        "authors": a.authors, "record_id": a.record_id, "captions": a.captions,
        "removals": json.dumps([[r.line, r.text, r.rule, r.detail] for r in a.removals], ensure_ascii=False),
        "kept_lines": a.kept_lines, "language": a.language,
    }


def _article(row: dict) -> Article:
    a = Article(
        source=row["source"], page_id=row["page_id"], span=(row["span_start"], row["span_end"]), raw=row["raw"],
        title=row["title"], text=row["text"], outlet=row["outlet"], url=row["url"], published=row["published"],
        authors=row["authors"], record_id=row["record_id"], captions=list(row["captions"] or []),
        removals=[Removal(*r) for r in json.loads(row["removals"])], language=row.get("language"),
        kept_lines=list(row["kept_lines"] or []),
    )
    return a


def spooled_articles(path: Path, learned: LearnedBoilerplate, batch: int) -> Iterator[list[Article]]:
    for rb in iter_batches(path, batch):
        yield articles_of(rb, learned)


def articles_of(rb: pa.RecordBatch, learned: LearnedBoilerplate) -> list[Article]:
    """The copies of a batch of spool rows, the learned boilerplate applied."""
    return [learned.apply(_article(r)) for r in rb.to_pylist()]

"""After dedup: group the distinct articles into stories, then find their entities.

Both read ``articles.parquet`` from the run's work folder in batches.  Stories come first, so that
entity canonicalisation can use each article's story as context; ``articles.parquet`` is then
rewritten with its ``story_id`` column.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .records import Article

ARTICLE_COLUMNS = ["article_id", "title", "text", "outlet", "url", "published", "captions", "source"]


def iter_articles(path: Path, batch: int = 2000) -> Iterator[Article]:
    """Distinct articles from an ``articles.parquet``, as records."""
    pf = pq.ParquetFile(path)
    cols = [c for c in ARTICLE_COLUMNS + ["story_id"] if c in pf.schema_arrow.names]
    for rb in pf.iter_batches(batch_size=batch, columns=cols):
        for r in rb.to_pylist():
            yield Article(source=r["source"], page_id="", span=(0, 0), raw="", title=r["title"], text=r["text"],
                          outlet=r["outlet"], url=r["url"], published=r["published"], captions=list(r["captions"] or []),
                          article_id=r["article_id"], story_id=r.get("story_id"))


def group_stories(work: Path, cfg, state_dir: Path | None = None) -> dict[str, str]:
    """Write stories.parquet and story_sentences.parquet; return article_id -> story_id."""
    from .stories import StoryGrouper, story_tables

    grouper = StoryGrouper(cfg)
    grouper.add_many(iter_articles(work / "articles.parquet"))
    result = grouper.result(refine=True)
    if state_dir is not None:
        grouper.save(state_dir)
    for name, table in story_tables(result).items():
        pq.write_table(table, work / f"{name}.parquet", compression="zstd")
    return dict(result.assignments)


def add_story_ids(path: Path, assignments: dict[str, str]) -> None:
    """Rewrite articles.parquet with a story_id column, batch by batch."""
    tmp = path.with_suffix(".tmp.parquet")
    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    if "story_id" in schema.names:
        schema = schema.remove(schema.get_field_index("story_id"))
    schema = schema.append(pa.field("story_id", pa.string()))
    with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
        for rb in pf.iter_batches(batch_size=5000):
            t = pa.Table.from_batches([rb])
            if "story_id" in t.column_names:
                t = t.drop_columns(["story_id"])
            ids = [assignments.get(a) for a in t.column("article_id").to_pylist()]
            w.write_table(t.append_column("story_id", pa.array(ids, pa.string())).cast(schema))
    tmp.replace(path)


def extract_entities(work: Path, cfg) -> int:
    """Write entities.parquet and mentions.parquet; return the number of entities."""
    from .entities import EntityExtractor, article_contexts, canonicalize, entity_tables

    extractor = EntityExtractor(cfg)
    mentions = list(extractor.extract(iter_articles(work / "articles.parquet")))
    result = canonicalize(mentions, article_contexts(iter_articles(work / "articles.parquet")))
    tables = entity_tables(result)
    for name, table in tables.items():
        pq.write_table(table, work / f"{name}.parquet", compression="zstd")
    return tables["entities"].num_rows

"""Outputs: Parquet tables and the SQLite database with its full-text index.

The Parquet files are written first; ``newsfold.db`` is then built from them, so the two agree.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

_str = pa.string()
SCHEMAS: dict[str, pa.Schema] = {
    "articles": pa.schema([
        ("article_id", _str), ("title", _str), ("text", _str), ("outlet", _str), ("url", _str),
        ("published", _str), ("authors", _str), ("captions", pa.list_(_str)), ("source", _str),
        ("copy_id", _str), ("dup_group", _str), ("n_copies", pa.int32()), ("n_words", pa.int32()),
    ]),
    "copies": pa.schema([
        ("copy_id", _str), ("article_id", _str), ("source", _str), ("page_id", _str),
        ("span_start", pa.int64()), ("span_end", pa.int64()), ("record_id", _str), ("url", _str),
        ("outlet", _str), ("match", _str), ("raw", _str),
    ]),
    "ledger": pa.schema([
        ("source", _str), ("level", _str), ("status", _str), ("reason", _str), ("detail", _str), ("ref", _str),
    ]),
    "removals": pa.schema([
        ("copy_id", _str), ("line", pa.int32()), ("text", _str), ("rule", _str), ("detail", _str),
    ]),
    # pass-1 spool: every article copy after rule cleaning, before learned boilerplate and dedup
    "spool": pa.schema([
        ("source", _str), ("page_id", _str), ("span_start", pa.int64()), ("span_end", pa.int64()),
        ("raw", _str), ("title", _str), ("text", _str), ("outlet", _str), ("url", _str), ("published", _str),
        ("authors", _str), ("record_id", _str), ("captions", pa.list_(_str)), ("removals", _str),
        ("kept_lines", pa.list_(pa.int32())),
    ]),
    "boilerplate": pa.schema([("outlet", _str), ("line", _str), ("n_articles", pa.int32())]),
}


class TableWriter:
    """Buffered, streaming Parquet writer for one of the SCHEMAS."""

    def __init__(self, path: Path, name: str, batch: int = 5000):
        self.schema = SCHEMAS[name]
        self.path = path
        self.batch = batch
        self.rows: list[dict[str, Any]] = []
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def write_many(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


_SQL_TYPES = {pa.string(): "TEXT", pa.int32(): "INTEGER", pa.int64(): "INTEGER", pa.bool_(): "INTEGER",
              pa.float32(): "REAL", pa.float64(): "REAL"}


def _sql_type(t: pa.DataType) -> str:
    return _SQL_TYPES.get(t, "TEXT")  # lists and structs are stored as JSON text


def _to_sql(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def load_parquet_into(con: sqlite3.Connection, name: str, path: Path) -> int:
    """Create table ``name`` from a Parquet file, streaming its batches."""
    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    cols = ", ".join(f'"{f.name}" {_sql_type(f.type)}' for f in schema)
    con.execute(f'DROP TABLE IF EXISTS "{name}"')
    con.execute(f'CREATE TABLE "{name}" ({cols})')
    marks = ", ".join("?" for _ in schema)
    n = 0
    for batch in pf.iter_batches(batch_size=5000):
        rows = batch.to_pylist()
        con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', ([_to_sql(r[f.name]) for f in schema] for r in rows))
        n += len(rows)
    return n


_INDEXES = {
    "articles": ["article_id"],
    "copies": ["copy_id", "article_id", "record_id"],
    "ledger": ["source"],
    "removals": ["copy_id"],
    "stories": ["story_id"],
    "story_sentences": ["story_id", "article_id"],
    "entities": ["entity_id"],
    "mentions": ["entity_id", "article_id"],
}


def build_sqlite(db_path: Path, tables: dict[str, Path]) -> None:
    """Build ``newsfold.db`` from the Parquet files, with an FTS5 index on articles(title, text)."""
    if db_path.exists():
        db_path.unlink()
    con = sqlite3.connect(db_path)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        for name, path in tables.items():
            load_parquet_into(con, name, path)
            for col in _INDEXES.get(name, []):
                con.execute(f'CREATE INDEX "ix_{name}_{col}" ON "{name}"("{col}")')
        con.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='rowid',"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        con.execute("INSERT INTO articles_fts(rowid, title, text) SELECT rowid, title, text FROM articles")
        con.commit()
    finally:
        con.close()


def _fts_query(query: str) -> str:
    """Quote each term so that punctuation in a user's query cannot break FTS5 syntax."""
    terms = [t for t in query.replace('"', " ").split() if t]
    return " ".join(f'"{t}"' for t in terms)


def search(db_path: Path, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Full-text search over titles and texts, best first (bm25)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    sql = (
        "SELECT a.article_id, a.title, a.outlet, a.published, a.n_copies,"
        " snippet(articles_fts, 1, '[', ']', ' … ', 16) AS snippet, bm25(articles_fts) AS score"
        " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        " WHERE articles_fts MATCH ? ORDER BY score LIMIT ?"
    )
    try:
        try:
            rows = con.execute(sql, (query, limit)).fetchall()
        except sqlite3.OperationalError:
            rows = con.execute(sql, (_fts_query(query), limit)).fetchall()
        return [dict(r) for r in rows]
    finally:
        con.close()

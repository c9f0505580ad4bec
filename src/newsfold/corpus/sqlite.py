"""Outputs: Parquet tables and the SQLite database with its full-text index.

The Parquet parts are written first; ``newsfold.db`` is then built from them (first run) or
updated from this run's new parts in one transaction (later runs), so the two agree.  The
database is in WAL mode, so readers keep reading while a run writes.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa

from newsfold.config import QueryLimits

_str = pa.string()
SCHEMAS: dict[str, pa.Schema] = {
    "articles": pa.schema([
        ("article_id", _str), ("title", _str), ("text", _str), ("outlet", _str), ("url", _str),
        ("published", _str), ("authors", _str), ("captions", pa.list_(_str)), ("source", _str),
        ("copy_id", _str), ("dup_group", _str), ("n_copies", pa.int32()), ("n_words", pa.int32()),
        ("language", _str), ("story_id", _str),
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
        ("kept_lines", pa.list_(pa.int32())), ("language", _str),
    ]),
    "boilerplate": pa.schema([("outlet", _str), ("line", _str), ("n_articles", pa.int32())]),
}


_SQL_TYPES = {pa.string(): "TEXT", pa.int32(): "INTEGER", pa.int64(): "INTEGER", pa.bool_(): "INTEGER",
              pa.float32(): "REAL", pa.float64(): "REAL"}


def _sql_type(t: pa.DataType) -> str:
    return _SQL_TYPES.get(t, "TEXT")  # lists and structs are stored as JSON text


def _to_sql(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _insert(con: sqlite3.Connection, name: str, schema: pa.Schema, batches, progress=None) -> int:
    """Insert the rows of ``batches``; ``progress(n)`` is told of every ``n`` rows written."""
    marks = ", ".join("?" for _ in schema)
    cols = ", ".join(f'"{f.name}"' for f in schema)
    n = 0
    for batch in batches:
        rows = batch.to_pylist()
        con.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks})',
                        ([_to_sql(r[f.name]) for f in schema] for r in rows))
        n += len(rows)
        if progress is not None:
            progress(len(rows))
    return n


def load_parquet_into(con: sqlite3.Connection, name: str, path: Path, progress=None) -> int:
    """Create table ``name`` from a Parquet table (a file or a folder of parts), streaming its batches."""
    from newsfold.corpus.generation import iter_batches, schema_of

    schema = schema_of(path)
    cols = ", ".join(f'"{f.name}" {_sql_type(f.type)}' for f in schema)
    con.execute(f'DROP TABLE IF EXISTS "{name}"')
    con.execute(f'CREATE TABLE "{name}" ({cols})')
    return _insert(con, name, schema, iter_batches(path), progress)


_INDEXES = {
    "articles": ["article_id"],
    "copies": ["copy_id", "article_id", "record_id", "page_id"],
    "ledger": ["source", "ref"],
    "removals": ["copy_id"],
    "stories": ["story_id"],
    "story_sentences": ["story_id", "article_id"],
    "entities": ["entity_id"],
    "mentions": ["entity_id", "article_id"],
}
# The orders the story list is read in (read/stories.py sorts by these very expressions), each with an
# index on exactly that expression, so a page of the list reads its rows instead of sorting every story.
STORY_ORDERS = {
    "newest": "last_seen IS NULL, last_seen DESC, n_articles DESC, story_id",
    "biggest": "n_articles DESC, last_seen IS NULL, last_seen DESC, story_id",
}


def _create_indexes(con: sqlite3.Connection, name: str) -> None:
    for col in _INDEXES.get(name, []):
        con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{name}_{col}" ON "{name}"("{col}")')
    if name == "stories":
        for order, expr in STORY_ORDERS.items():
            con.execute(f'CREATE INDEX IF NOT EXISTS "ix_stories_{order}" ON stories({expr})')


def ensure_indexes(db_path: Path) -> None:
    """Give a database made by an older version today's indexes (a run adds them as it goes too)."""
    con = sqlite3.connect(db_path)
    try:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            _create_indexes(con, name)
        con.commit()
    finally:
        con.close()


_FTS = ("CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='rowid',"
        " tokenize='unicode61 remove_diacritics 2')")


def build_sqlite(db_path: Path, tables: dict[str, Path], generation: int = 0, progress=None) -> None:
    """Build ``newsfold.db`` from the Parquet tables, with an FTS5 index on articles(title, text);
    ``progress(n)`` is told of every ``n`` rows written."""
    if db_path.exists():
        db_path.unlink()
    con = sqlite3.connect(db_path)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        for name, path in tables.items():
            load_parquet_into(con, name, path, progress)
            _create_indexes(con, name)
        con.execute(_FTS)
        con.execute("INSERT INTO articles_fts(rowid, title, text) SELECT rowid, title, text FROM articles")
        con.execute("CREATE TABLE newsfold_meta (key TEXT PRIMARY KEY, value TEXT)")
        con.execute("INSERT INTO newsfold_meta VALUES ('generation', ?)", (str(generation),))
        con.commit()
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def apply_delta(db_path: Path, generation: int, deleted: dict[str, list[tuple[str, list[str], str]]],
                added: dict[str, list[Path]], replaced: dict[str, Path], progress=None) -> None:
    """Update ``newsfold.db`` in one transaction: delete rows by key, insert this run's new parts,
    replace whole tables, keep the full-text index in step, and record the generation
    (``progress(n)``: told of every ``n`` rows inserted)."""
    from newsfold.corpus.generation import schema_of

    con = sqlite3.connect(db_path, timeout=60)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("BEGIN IMMEDIATE")
        con.execute("CREATE TEMP TABLE _keys (k TEXT)")
        for name, dels in deleted.items():
            for col, keys, extra in dels:
                con.execute("DELETE FROM _keys")
                con.executemany("INSERT INTO _keys VALUES (?)", ((k,) for k in keys))
                where = f'"{col}" IN (SELECT k FROM _keys){extra}'
                if name == "articles":
                    con.execute("INSERT INTO articles_fts(articles_fts, rowid, title, text)"
                                f" SELECT 'delete', rowid, title, text FROM articles WHERE {where}")
                con.execute(f'DELETE FROM "{name}" WHERE {where}')
        for name, path in replaced.items():
            exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
            if exists:
                con.execute(f'DELETE FROM "{name}"')
                _insert(con, name, schema_of(path), _batches([path]), progress)
            else:
                load_parquet_into(con, name, path, progress)
        for name, parts in added.items():
            if not parts:
                continue
            top = con.execute(f'SELECT coalesce(max(rowid), 0) FROM "{name}"').fetchone()[0]
            _insert(con, name, schema_of(parts[0]), _batches(parts), progress)
            if name == "articles":
                con.execute("INSERT INTO articles_fts(rowid, title, text) SELECT rowid, title, text FROM articles"
                            " WHERE rowid > ?", (top,))
        for name in {*replaced, *(n for n, parts in added.items() if parts)}:
            _create_indexes(con, name)  # also gives a database made by an older version the newer indexes
        con.execute("UPDATE newsfold_meta SET value = ? WHERE key = 'generation'", (str(generation),))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()


def _batches(paths: list[Path]):
    from newsfold.corpus.generation import iter_batches

    for p in paths:
        yield from iter_batches(p)


class QueryError(ValueError):
    """A query that cannot be run as given (empty, too long, a bad limit); the message is one line
    meant for the user."""


_TERM = re.compile(r"\w+")


def _fts_query(query: str) -> str:
    """Quote each term so that punctuation in a user's query cannot break FTS5 syntax."""
    terms = [t for t in query.replace('"', " ").split() if t]
    return " ".join(f'"{t}"' for t in terms)


def check_query(query: object, limit: object, bounds: QueryLimits | None = None) -> str:
    """The query, stripped, once it is within ``bounds``; else ``QueryError``."""
    b = bounds or QueryLimits()
    if not isinstance(query, str):
        raise QueryError(f"the query must be text, not {type(query).__name__}")
    q = query.strip()
    if not _TERM.search(q):
        raise QueryError("the query is empty: give at least one word to search for")
    n_terms = len(_TERM.findall(q))
    if n_terms > b.max_terms:
        raise QueryError(f"the query has too many words ({n_terms:,}; at most {b.max_terms})")
    if len(q) > b.max_chars:
        raise QueryError(f"the query is too long ({len(q):,} characters; at most {b.max_chars:,})")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= b.max_results:
        raise QueryError(f"the limit must be a whole number from 1 to {b.max_results:,}, not {limit!r}")
    return q


def search(db_path: Path, query: str, limit: int = 10, language: str | None = None, *,
           bounds: QueryLimits | None = None) -> list[dict[str, Any]]:
    """Full-text search over titles and texts, best first (bm25).  FTS5 syntax is accepted; a
    query it cannot parse is searched as plain words.  ``QueryError`` for an empty query, one
    beyond ``bounds`` (length, words) or a limit out of range.  Only articles in ``language``
    (ISO 639-1, or "und") when given."""
    query = check_query(query, limit, bounds)
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    # a corpus made before articles had a language has no such column: its articles' language is unknown
    has_lang = any(r[1] == "language" for r in con.execute("PRAGMA table_info(articles)"))
    lang_col = "a.language" if has_lang else "NULL AS language"
    if language and not has_lang:
        con.close()
        return []
    sql = (
        f"SELECT a.article_id, a.title, a.outlet, a.published, a.n_copies, {lang_col},"
        " snippet(articles_fts, 1, '[', ']', ' … ', 16) AS snippet, bm25(articles_fts) AS score"
        " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        " WHERE articles_fts MATCH ?" + (" AND a.language = ?" if language else "") + " ORDER BY score LIMIT ?"
    )
    lang = (language,) if language else ()
    try:
        try:
            rows = con.execute(sql, (query, *lang, limit)).fetchall()
        except sqlite3.OperationalError:
            try:
                rows = con.execute(sql, (_fts_query(query), *lang, limit)).fetchall()
            except sqlite3.OperationalError as exc:
                if "fts5" not in str(exc):
                    raise
                raise QueryError(f"cannot search for {query!r}: {exc}") from None
        return [dict(r) for r in rows]
    finally:
        con.close()

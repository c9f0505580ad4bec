"""``Corpus``: a read-only handle on a corpus folder.  No connection is held between calls: each
call opens ``newsfold.db`` read-only, so a long-lived reader (the web server) sees every generation a
concurrent ``newsfold run`` publishes, as soon as it is committed."""
from __future__ import annotations

import json
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from newsfold.corpus.generation import dbless_generation
from newsfold.corpus.sqlite import QueryError

# ids are content hashes with a one-letter kind (a, c, s, e, p); anything else from a URL is refused
_ID = re.compile(r"[A-Za-z0-9]{1,64}")


class NotFound(KeyError):
    """No such article, copy, story, entity or input (or an ambiguous prefix)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


def check_id(value: str, kind: str) -> str:
    if value == "":
        raise QueryError(f"an {kind} id (or a prefix of one) is needed")
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise NotFound(f"no {kind} {value!r}")
    return value


def page_of(items: list[Any], page: int, per_page: int, total: int | None) -> dict[str, Any]:
    """A page of results: ``items`` holds up to ``per_page + 1`` rows (the extra one says there is more)."""
    return {"items": items[:per_page], "page": page, "per_page": per_page, "total": total,
            "has_next": len(items) > per_page, "has_prev": page > 1}


def loads(value: Any, default: Any) -> Any:
    """A list or object stored as JSON text in SQLite."""
    if value is None or value == "":
        return default
    if isinstance(value, (list, dict)):
        return value
    return json.loads(value)


def missing_db(path: Path) -> str:
    """What to do about a folder without newsfold.db: build it (a corpus made with --no-db), or run."""
    if dbless_generation(path):
        return f"this corpus has no database (built with --no-db); run `newsfold db {path}` to build it"
    return f"{Path(path) / 'newsfold.db'} not found: run `newsfold run INPUT --out {path}` first"


class Corpus:
    """A corpus folder, opened read-only: ``Corpus("out/example").stories()``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = self.path / "newsfold.db"

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"

    def check(self) -> None:
        """Raise FileNotFoundError, with what to do, when there is no corpus here."""
        if not self.path.is_dir():
            raise FileNotFoundError(f"{self.path} is not a folder: no corpus there")
        if not self.db.is_file():
            raise FileNotFoundError(missing_db(self.path))

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        self.check()
        con = sqlite3.connect(self.db.resolve().as_uri() + "?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        try:
            yield con
        finally:
            con.close()

    def generation(self) -> int:
        with self.connect() as con:
            row = con.execute("SELECT value FROM newsfold_meta WHERE key = 'generation'").fetchone()
            return int(row[0]) if row else 0

    @staticmethod
    def tables(con: sqlite3.Connection) -> set[str]:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    @staticmethod
    def columns(con: sqlite3.Connection, table: str) -> set[str]:
        return {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}

    # one method per resource, each a thin call into its module
    def stories(self, **kw: Any) -> dict[str, Any]:
        from newsfold.read import stories
        return stories.list_stories(self, **kw)

    def story(self, story_id: str) -> dict[str, Any]:
        from newsfold.read import stories
        return stories.story(self, story_id)

    def article(self, article_id: str) -> dict[str, Any]:
        from newsfold.read import articles
        return articles.article(self, article_id)

    def duplicates(self, article_id: str, a: str | None = None, b: str | None = None) -> dict[str, Any]:
        from newsfold.read import copies
        return copies.compare(self, article_id, a, b)

    def entities(self, **kw: Any) -> dict[str, Any]:
        from newsfold.read import entities
        return entities.list_entities(self, **kw)

    def entity(self, entity: str, **kw: Any) -> dict[str, Any]:
        from newsfold.read import entities
        return entities.entity(self, entity, **kw)

    def search(self, query: str, **kw: Any) -> dict[str, Any]:
        from newsfold.read import search
        return search.search(self, query, **kw)

    def ledger(self, **kw: Any) -> dict[str, Any]:
        from newsfold.read import ledger
        return ledger.ledger(self, **kw)

    def ledger_input(self, source: str) -> dict[str, Any]:
        from newsfold.read import ledger
        return ledger.input_rows(self, source)

"""Read-side views over an output folder: explain an article, look up ids.  Plain dicts, so the CLI,
the web UI and tests share them."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from newsfold.stages.segment import split_lines
from newsfold.corpus.sqlite import QueryError
from newsfold.read.handle import missing_db

# the largest code point: every id that starts with a prefix sorts below prefix + _TOP
_TOP = "\U0010ffff"
MAX_ID_CHARS = 200


def _connect(out: Path) -> sqlite3.Connection:
    db = Path(out) / "newsfold.db"
    if not db.exists():
        raise FileNotFoundError(missing_db(Path(out)))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def explain(out: Path, article_id: str) -> dict[str, Any]:
    """The article, and for each of its copies every raw line: kept, or removed with its rule.

    ``article_id`` may also be a copy id; a unique prefix is accepted, taken literally (``%`` and
    ``_`` are characters, not wildcards).  ``KeyError`` when no article or several match;
    ``QueryError`` for an empty or overlong id.
    """
    if not isinstance(article_id, str) or not article_id.strip():
        raise QueryError("an article or copy id is needed (a unique prefix is enough)")
    if len(article_id) > MAX_ID_CHARS:
        raise QueryError(f"an id is at most {MAX_ID_CHARS} characters, not {len(article_id):,}")
    con = _connect(out)
    try:
        copies = con.execute("SELECT DISTINCT article_id FROM copies WHERE copy_id >= ? AND copy_id < ? LIMIT 2",
                             (article_id, article_id + _TOP)).fetchall()
        if len(copies) > 1:
            raise KeyError(f"{article_id!r} is ambiguous (copies of several articles)")
        aid = copies[0]["article_id"] if copies else article_id
        arts = con.execute("SELECT * FROM articles WHERE article_id >= ? AND article_id < ? LIMIT 2",
                           (aid, aid + _TOP)).fetchall()
        if len(arts) != 1:
            raise KeyError(f"no article {article_id!r}" if not arts else f"{article_id!r} is ambiguous (several articles)")
        art = dict(arts[0])
        copies = []
        for c in con.execute("SELECT * FROM copies WHERE article_id = ? ORDER BY match = 'canonical' DESC, source", (art["article_id"],)):
            removed = {r["line"]: dict(r) for r in con.execute("SELECT * FROM removals WHERE copy_id = ?", (c["copy_id"],))}
            lines = []
            for n, ln in enumerate(split_lines(c["raw"] or "")):
                if ln.blank:
                    continue
                r = removed.get(n)
                lines.append({"line": n, "text": ln.text, "status": "removed" if r else "kept",
                              "rule": r["rule"] if r else None, "detail": r["detail"] if r else None})
            copy = {k: c[k] for k in c.keys() if k != "raw"}
            copy["lines"] = lines
            copies.append(copy)
        art["copies"] = copies
        return art
    finally:
        con.close()

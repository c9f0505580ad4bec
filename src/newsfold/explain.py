"""Read-side views over an output folder: explain an article, look up ids.  Plain dicts, so the CLI,
the web UI and tests share them."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .segment import split_lines


def _connect(out: Path) -> sqlite3.Connection:
    db = Path(out) / "newsfold.db"
    if not db.exists():
        raise FileNotFoundError(f"{db} not found: run `newsfold run INPUT --out {out}` first")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    return con


def explain(out: Path, article_id: str) -> dict[str, Any]:
    """The article, and for each of its copies every raw line: kept, or removed with its rule.

    ``article_id`` may also be a copy id; a unique prefix is accepted.
    """
    con = _connect(out)
    try:
        row = con.execute("SELECT article_id FROM copies WHERE copy_id = ? OR copy_id LIKE ?", (article_id, article_id + "%")).fetchone()
        aid = row["article_id"] if row else article_id
        arts = con.execute("SELECT * FROM articles WHERE article_id = ? OR article_id LIKE ?", (aid, aid + "%")).fetchall()
        if len(arts) != 1:
            raise KeyError(f"no article {article_id!r}" if not arts else f"{article_id!r} is ambiguous ({len(arts)} articles)")
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

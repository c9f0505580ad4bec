"""The ledger: what was read, kept, folded and dropped, by reason, down to the single input."""
from __future__ import annotations

from typing import Any

from newsfold.read.handle import Corpus, NotFound, page_of

LEVELS = ("file", "record", "page", "copy")


def ledger(c: Corpus, *, level: str | None = None, status: str | None = None, reason: str | None = None,
           match: str | None = None, page: int = 1, per_page: int = 100) -> dict[str, Any]:
    """Counts by level, status and reason, and copies by how they matched (canonical, exact, near:
folded); with any of them given, the ledger rows (or copies) that have them."""
    page, per_page = max(1, int(page)), max(1, min(int(per_page), 1000))
    with c.connect() as con:
        summary = [dict(r) for r in con.execute(
            "SELECT level, status, coalesce(reason, '') AS reason, count(*) AS n FROM ledger"
            " GROUP BY 1, 2, 3 ORDER BY CASE level WHEN 'file' THEN 0 WHEN 'record' THEN 1 WHEN 'page' THEN 2"
            " ELSE 3 END, level, status, n DESC")]
        out: dict[str, Any] = {"summary": summary, "filters": {"level": level, "status": status, "reason": reason, "match": match},
                               "rows": None, "copies": None}
        out["matches"] = [dict(r) for r in con.execute(
            "SELECT match, count(*) AS n FROM copies GROUP BY match ORDER BY n DESC")]
        if match:
            rows = [dict(r) for r in con.execute(
                "SELECT copy_id, article_id, source, match, record_id FROM copies WHERE match = ?"
                " ORDER BY source, span_start LIMIT ? OFFSET ?", (match, per_page + 1, (page - 1) * per_page))]
            total = con.execute("SELECT count(*) FROM copies WHERE match = ?", (match,)).fetchone()[0]
            out["copies"] = page_of(rows, page, per_page, total)
        if level or status or reason is not None:
            where, args = [], []
            for col, val in (("level", level), ("status", status)):
                if val:
                    where.append(f"{col} = ?")
                    args.append(val)
            if reason is not None:
                where.append("coalesce(reason, '') = ?")
                args.append(reason)
            w = " AND ".join(where) or "1 = 1"
            rows = [dict(r) for r in con.execute(f"SELECT * FROM ledger WHERE {w} ORDER BY source, level LIMIT ? OFFSET ?",
                                                 [*args, per_page + 1, (page - 1) * per_page])]
            total = con.execute(f"SELECT count(*) FROM ledger WHERE {w}", args).fetchone()[0]
            out["rows"] = page_of(rows, page, per_page, total)
    return out


def input_rows(c: Corpus, source: str) -> dict[str, Any]:
    """Everything the ledger says about one input (a file, or a record or page in it), and the article
    copies it gave."""
    with c.connect() as con:
        rows = [dict(r) for r in con.execute("SELECT * FROM ledger WHERE source = ? ORDER BY rowid", (source,))]
        if not rows:
            raise NotFound(f"no input {source!r} in the ledger")
        pages = [r["ref"] for r in rows if r["level"] == "page" and r["ref"]]
        marks = ",".join("?" for _ in pages)
        copies = [dict(r) for r in con.execute(
            "SELECT c.copy_id, c.article_id, c.match, c.span_start, c.span_end, c.record_id, a.title FROM copies c"
            f" LEFT JOIN articles a ON a.article_id = c.article_id WHERE c.page_id IN ({marks})"
            " ORDER BY c.page_id, c.span_start", pages)] if pages else []
    return {"source": source, "rows": rows, "copies": copies}

"""Articles: the clean text and captions, every copy with its source and how it matched, the removed
lines with their rules (``explain.explain`` builds that part), the story and the entities."""
from __future__ import annotations

from typing import Any

from newsfold.read.explain import explain
from newsfold.read.handle import Corpus, NotFound, check_id, loads


def article(c: Corpus, article_id: str) -> dict[str, Any]:
    """One article by id, copy id or unique prefix (what ``newsfold explain`` prints)."""
    check_id(article_id, "article")
    c.check()
    try:
        art = explain(c.path, article_id)
    except KeyError as exc:
        raise NotFound(exc.args[0] if exc.args else f"no article {article_id!r}") from None
    art["captions"] = loads(art.get("captions"), [])
    with c.connect() as con:
        tables = c.tables(con)
        art["story"] = None
        if art.get("story_id") and "stories" in tables:
            row = con.execute("SELECT story_id, label, n_articles, outlets FROM stories WHERE story_id = ?",
                              (art["story_id"],)).fetchone()
            if row:
                art["story"] = dict(row, outlets=loads(row["outlets"], []))
        art["entities"] = []
        if "mentions" in tables and "entities" in tables:
            art["entities"] = [dict(r) for r in con.execute(
                "SELECT e.entity_id, e.name, e.type, count(*) AS n_mentions FROM mentions m"
                " JOIN entities e ON e.entity_id = m.entity_id WHERE m.article_id = ?"
                " GROUP BY e.entity_id ORDER BY n_mentions DESC, e.name", (art["article_id"],))]
    art["removed"] = [dict(ln, copy_id=cp["copy_id"]) for cp in art["copies"] for ln in cp["lines"]
                      if ln["status"] == "removed"]
    return art

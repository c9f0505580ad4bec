"""Entities: the list (by type, by name) and one entity with its spellings, articles, stories and the
entities seen with it."""
from __future__ import annotations

from typing import Any

from ..entities.config import TYPES
from .handle import Corpus, NotFound, check_id, loads, page_of

COOCCUR_ARTICLES = 5000  # co-occurrence is counted over an entity's newest 5,000 articles at most


def entity_type(value: str | None) -> str | None:
    """A type as the user wrote it (any case) → PERSON, ORG or PLACE; anything else is refused."""
    if value is None or value == "":
        return None
    up = value.strip().upper()
    if up not in TYPES:
        raise ValueError(f"unknown entity type {value!r}: choose one of {', '.join(TYPES)}")
    return up


def _row(r: Any) -> dict[str, Any]:
    return dict(r, surface_forms=loads(r["surface_forms"], []))


def _need(c: Corpus, con: Any) -> None:
    if "entities" not in c.tables(con) or "mentions" not in c.tables(con):
        raise NotFound("this corpus was built without entities")


def list_entities(c: Corpus, *, etype: str | None = None, query: str | None = None, page: int = 1,
                  per_page: int = 50) -> dict[str, Any]:
    """Entities, most mentioned first; ``query`` matches the name or a surface form (any case)."""
    from ..entities import find_entities

    etype = entity_type(etype)
    page, per_page = max(1, int(page)), max(1, min(int(per_page), 500))
    with c.connect() as con:
        _need(c, con)
        where, args = ("type = ?", [etype]) if etype else ("1 = 1", [])
        if query:
            rows = [_row(r) for r in con.execute(f"SELECT * FROM entities WHERE {where}", args)]
            hits = find_entities(rows, query, etype)
            hits.sort(key=lambda e: (-e["n_mentions"], e["name"]))
            out = page_of(hits[(page - 1) * per_page:page * per_page + 1], page, per_page, len(hits))
        else:
            rows = con.execute(f"SELECT * FROM entities WHERE {where} ORDER BY n_mentions DESC, name LIMIT ? OFFSET ?",
                               [*args, per_page + 1, (page - 1) * per_page]).fetchall()
            total = con.execute(f"SELECT count(*) FROM entities WHERE {where}", args).fetchone()[0]
            out = page_of([_row(r) for r in rows], page, per_page, total)
    out["filters"] = {"type": etype, "query": query}
    out["types"] = list(TYPES)
    return out


def _find(c: Corpus, con: Any, entity: str) -> dict[str, Any]:
    row = con.execute("SELECT * FROM entities WHERE entity_id = ?", (entity,)).fetchone()
    if row:
        return _row(row)
    from ..entities import find_entities

    cand = [_row(r) for r in con.execute("SELECT * FROM entities WHERE name = ? COLLATE NOCASE OR surface_forms LIKE ?",
                                         (entity, f"%{entity}%"))]
    hits = find_entities(cand, entity) or find_entities([_row(r) for r in con.execute("SELECT * FROM entities")], entity)
    if not hits:
        raise NotFound(f"no entity {entity!r}")
    return hits[0]


def entity(c: Corpus, entity: str, *, page: int = 1, per_page: int = 50, top: int = 20) -> dict[str, Any]:
    """One entity (by id, name or surface form): its surface forms with counts, its articles (with
    its mentions there), its stories and the entities that occur in the same articles."""
    page, per_page = max(1, int(page)), max(1, min(int(per_page), 500))
    with c.connect() as con:
        _need(c, con)
        e = _find(c, con, entity)
        eid = e["entity_id"]
        arts = [dict(r) for r in con.execute(
            "SELECT m.article_id, count(*) AS n_mentions, a.title, a.outlet, a.published, a.story_id"
            " FROM mentions m JOIN articles a ON a.article_id = m.article_id WHERE m.entity_id = ?"
            " GROUP BY m.article_id ORDER BY n_mentions DESC, a.published DESC, m.article_id LIMIT ? OFFSET ?",
            (eid, per_page + 1, (page - 1) * per_page))]
        total = con.execute("SELECT count(DISTINCT article_id) FROM mentions WHERE entity_id = ?", (eid,)).fetchone()[0]
        ids = [a["article_id"] for a in arts[:per_page]]
        marks = ",".join("?" for _ in ids)
        mentions: dict[str, list[dict[str, Any]]] = {}
        for m in con.execute(f"SELECT article_id, field, start, \"end\", surface FROM mentions WHERE entity_id = ?"
                             f" AND article_id IN ({marks}) ORDER BY article_id, field, start", [eid, *ids]):
            mentions.setdefault(m["article_id"], []).append({k: m[k] for k in ("field", "start", "end", "surface")})
        for a in arts:
            a["mentions"] = mentions.get(a["article_id"], [])
        stories = [dict(r, outlets=loads(r["outlets"], [])) for r in con.execute(
            "SELECT s.story_id, s.label, s.n_articles, s.outlets, s.first_seen, s.last_seen, x.n AS n_with_entity FROM"
            " (SELECT a.story_id, count(DISTINCT a.article_id) AS n FROM mentions m JOIN articles a"
            "  ON a.article_id = m.article_id WHERE m.entity_id = ? AND a.story_id IS NOT NULL GROUP BY a.story_id) x"
            " JOIN stories s ON s.story_id = x.story_id ORDER BY x.n DESC, s.last_seen DESC LIMIT ?", (eid, top))] \
            if "stories" in c.tables(con) else []
        co = [dict(r) for r in con.execute(
            "WITH mine AS (SELECT DISTINCT m.article_id FROM mentions m JOIN articles a ON a.article_id = m.article_id"
            "  WHERE m.entity_id = ? ORDER BY a.published DESC LIMIT ?)"
            " SELECT m.entity_id, e.name, e.type, count(DISTINCT m.article_id) AS n_articles FROM mine"
            " JOIN mentions m ON m.article_id = mine.article_id JOIN entities e ON e.entity_id = m.entity_id"
            " WHERE m.entity_id != ? GROUP BY m.entity_id ORDER BY n_articles DESC, e.name LIMIT ?",
            (eid, COOCCUR_ARTICLES, eid, top))]
    out = {"entity": e, "articles": page_of(arts, page, per_page, total), "stories": stories, "cooccurring": co,
           "cooccurring_over": min(total, COOCCUR_ARTICLES)}
    return out

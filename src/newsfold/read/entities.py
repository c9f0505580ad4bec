"""Entities: the list (by type, by name) and one entity with its spellings, articles, stories and the
entities seen with it."""
from __future__ import annotations

from collections import Counter
from typing import Any

from newsfold.stages.entities.config import TYPES
from newsfold.read.handle import Corpus, NotFound, loads, page_of

WINDOW = 3000  # an entity page reads its 3,000 most recently added mentions


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
    from newsfold.stages.entities import find_entities

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
    from newsfold.stages.entities import find_entities

    cand = [_row(r) for r in con.execute("SELECT * FROM entities WHERE name = ? COLLATE NOCASE OR surface_forms LIKE ?",
                                         (entity, f"%{entity}%"))]
    hits = find_entities(cand, entity) or find_entities([_row(r) for r in con.execute("SELECT * FROM entities")], entity)
    if not hits:
        raise NotFound(f"no entity {entity!r}")
    return hits[0]


def entity(c: Corpus, entity: str, *, page: int = 1, per_page: int = 50, top: int = 20) -> dict[str, Any]:
    """One entity (by id, name or surface form): its surface forms with counts, its articles (with
    its mentions there), its stories and the entities that occur in the same articles.

    Articles, stories and co-occurring entities are read from its ``WINDOW`` most recently added
    mentions (all of them for most entities), so that a page costs the same for an entity named in
    ten articles or in forty thousand; ``window_full`` says when there are more.
    """
    page, per_page = max(1, int(page)), max(1, min(int(per_page), 500))
    with c.connect() as con:
        _need(c, con)
        e = _find(c, con, entity)
        eid = e["entity_id"]
        rows = con.execute("SELECT article_id, field, start, \"end\", surface FROM mentions WHERE entity_id = ?"
                           " ORDER BY rowid DESC LIMIT ?", (eid, WINDOW)).fetchall()
        mentions: dict[str, list[dict[str, Any]]] = {}
        for m in rows:  # articles in the order their newest mention was added, newest first
            mentions.setdefault(m["article_id"], []).append({k: m[k] for k in ("field", "start", "end", "surface")})
        ids = list(mentions)
        chosen = ids[(page - 1) * per_page:page * per_page + 1]
        meta = _articles(con, chosen, "article_id, title, outlet, published, story_id")
        arts = [dict(meta.get(a, {"article_id": a}), n_mentions=len(mentions[a]),
                     mentions=sorted(mentions[a], key=lambda m: (m["field"], m["start"]))) for a in chosen]
        stories: list[dict[str, Any]] = []
        if "stories" in c.tables(con):
            per_story = Counter(r["story_id"] for r in _articles(con, ids, "article_id, story_id").values() if r["story_id"])
            best = [sid for sid, _ in sorted(per_story.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
            marks = ",".join("?" for _ in best)
            found = {r["story_id"]: dict(r, outlets=loads(r["outlets"], [])) for r in con.execute(
                "SELECT story_id, label, n_articles, outlets, first_seen, last_seen FROM stories"
                f" WHERE story_id IN ({marks})", best)}
            stories = [dict(found[sid], n_with_entity=per_story[sid]) for sid in best if sid in found]
        marks = ",".join("?" for _ in ids)
        co = [dict(r) for r in con.execute(
            "SELECT x.entity_id, e.name, e.type, x.n AS n_articles FROM (SELECT entity_id, count(DISTINCT article_id) AS n"
            f" FROM mentions WHERE article_id IN ({marks}) AND entity_id != ? GROUP BY entity_id) x"
            " JOIN entities e ON e.entity_id = x.entity_id ORDER BY x.n DESC, e.name LIMIT ?", [*ids, eid, top])]
    total = e["n_articles"] if len(rows) < WINDOW else len(ids)
    return {"entity": e, "articles": page_of(arts, page, per_page, total), "stories": stories, "cooccurring": co,
            "window": WINDOW, "window_full": len(rows) >= WINDOW}


def _articles(con: Any, ids: list[str], cols: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k in range(0, len(ids), 30000):  # under SQLite's limit on parameters
        part = ids[k:k + 30000]
        marks = ",".join("?" for _ in part)
        out.update((r["article_id"], dict(r)) for r in con.execute(
            f"SELECT {cols} FROM articles WHERE article_id IN ({marks})", part))
    return out

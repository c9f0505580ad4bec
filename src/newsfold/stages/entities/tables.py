"""Entity outputs as Arrow tables, and the one-entity view the CLI and the web pages show.

``entity_tables`` gives ``entities`` (one row per entity) and ``mentions`` (one row per
mention).  ``entity_view`` and ``find_entities`` work on those tables, or on plain lists of
dicts, so that they serve a parquet file, a SQLite query or an in-memory result alike.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa

from newsfold.records import Article
from newsfold.stages.entities.canon import EntityResult
from newsfold.stages.entities.names import fold

ENTITIES_SCHEMA = pa.schema([
    ("entity_id", pa.string()),
    ("name", pa.string()),
    ("type", pa.string()),
    ("surface_forms", pa.list_(pa.struct([("form", pa.string()), ("count", pa.int64())]))),
    ("n_mentions", pa.int64()),
    ("n_articles", pa.int64()),
])
MENTIONS_SCHEMA = pa.schema([
    ("entity_id", pa.string()),
    ("article_id", pa.string()),
    ("field", pa.string()),  # "title", "text" or "captions[i]"
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("surface", pa.string()),
    ("type", pa.string()),
    ("label", pa.string()),  # the NER label, or "GAZETTEER", or "SCRIPT"
    ("source", pa.string()),  # "ner", "split", "gazetteer" or "script" (found across scripts)
])


def entity_tables(result: EntityResult) -> dict[str, pa.Table]:
    """``{"entities": ..., "mentions": ...}`` as Arrow tables."""
    entities = pa.Table.from_pylist([
        {"entity_id": e.entity_id, "name": e.name, "type": e.type,
         "surface_forms": [{"form": f, "count": c} for f, c in e.surface_forms],
         "n_mentions": e.n_mentions, "n_articles": e.n_articles}
        for e in result.entities
    ], schema=ENTITIES_SCHEMA)
    mentions = pa.Table.from_pylist([
        {"entity_id": eid, "article_id": m.article_id, "field": m.field, "start": m.start,
         "end": m.end, "surface": m.surface, "type": m.type, "label": m.label, "source": m.source}
        for m, eid in zip(result.mentions, result.entity_of)
    ], schema=MENTIONS_SCHEMA)
    return {"entities": entities, "mentions": mentions}


def _rows(data: Any) -> list[dict[str, Any]]:
    if data is None:
        return []
    if hasattr(data, "to_pylist"):
        return data.to_pylist()
    rows = []
    for row in data:
        if isinstance(row, Article):
            row = {"article_id": row.article_id, "title": row.title, "outlet": row.outlet,
                   "published": row.published, "story_id": row.story_id, "url": row.url}
        rows.append(dict(row))
    return rows


def find_entities(entities: Any, query: str, etype: str | None = None) -> list[dict[str, Any]]:
    """Entities whose name or one of whose surface forms equals ``query`` (case-insensitive),
    most mentioned first; an entity_id matches too."""
    q = fold(query)
    hits = []
    for e in _rows(entities):
        if etype and e["type"] != etype:
            continue
        forms = {fold(e["name"])} | {fold(f["form"]) for f in e.get("surface_forms") or []}
        if q in forms or query == e["entity_id"]:
            hits.append(e)
    return sorted(hits, key=lambda e: -e["n_mentions"])


def entity_view(entities: Any, mentions: Any, articles: Any, entity_id: str,
                top: int = 20) -> dict[str, Any]:
    """One entity: its row, its articles (with its mentions there), its stories and the
    entities that co-occur with it in the same articles."""
    ents = {e["entity_id"]: e for e in _rows(entities)}
    if entity_id not in ents:
        raise KeyError(f"no entity {entity_id!r}")
    meta = {a["article_id"]: a for a in _rows(articles) if a.get("article_id")}
    mine: dict[str, list[dict]] = defaultdict(list)
    by_article: dict[str, set[str]] = defaultdict(set)
    for m in _rows(mentions):
        by_article[m["article_id"]].add(m["entity_id"])
        if m["entity_id"] == entity_id:
            mine[m["article_id"]].append({k: m[k] for k in ("field", "start", "end", "surface")})
    arts = []
    for aid, ms in mine.items():
        a = meta.get(aid, {})
        arts.append({"article_id": aid, "title": a.get("title"), "outlet": a.get("outlet"),
                     "published": a.get("published"), "story_id": a.get("story_id"),
                     "n_mentions": len(ms), "mentions": ms})
    arts.sort(key=lambda a: (-a["n_mentions"], a["published"] or "", a["article_id"]))
    stories = Counter(a["story_id"] for a in arts if a["story_id"])
    co = Counter(e for aid in mine for e in by_article[aid] if e != entity_id)
    cooc = [{"entity_id": e, "name": ents[e]["name"] if e in ents else None,
             "type": ents[e]["type"] if e in ents else None, "n_articles": n}
            for e, n in sorted(co.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return {
        "entity": ents[entity_id],
        "articles": arts,
        "stories": [{"story_id": s, "n_articles": n}
                    for s, n in sorted(stories.items(), key=lambda kv: (-kv[1], kv[0]))],
        "cooccurring": cooc,
    }

"""Read-side views of stories and entities, as plain dicts: the CLI prints them, `--json` dumps them,
and a web page would render the same dicts."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .corpus import schema_of
from .explain import _connect


def _need(out: Path, name: str) -> Path:
    path = Path(out) / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: this corpus was built without that step")
    return path


def list_stories(out: Path, limit: int = 50, min_articles: int = 1) -> list[dict[str, Any]]:
    """Stories, largest first."""
    _need(out, "stories")
    con = _connect(out)
    try:
        rows = con.execute(
            "SELECT story_id, label, first_seen, last_seen, outlets, n_articles FROM stories"
            " WHERE n_articles >= ? ORDER BY n_articles DESC, last_seen DESC, story_id LIMIT ?", (min_articles, limit)).fetchall()
        return [dict(r, outlets=json.loads(r["outlets"] or "[]")) for r in rows]
    finally:
        con.close()


def story_view(out: Path, story_id: str) -> dict[str, Any]:
    """One story: its articles, the sentences several outlets share, and what each outlet alone says."""
    _need(out, "stories")
    con = _connect(out)
    try:
        row = con.execute("SELECT * FROM stories WHERE story_id = ? OR story_id LIKE ?", (story_id, story_id + "%")).fetchall()
        if len(row) != 1:
            raise KeyError(f"no story {story_id!r}" if not row else f"{story_id!r} is ambiguous")
        story = dict(row[0])
        for k in ("outlets", "article_ids"):
            story[k] = json.loads(story[k] or "[]")
        marks = ",".join("?" for _ in story["article_ids"])
        story["articles"] = [dict(r) for r in con.execute(
            f"SELECT article_id, title, outlet, published, url, n_copies FROM articles WHERE article_id IN ({marks})"
            " ORDER BY published, article_id", story["article_ids"])]
        shared: dict[int, dict[str, Any]] = {}
        alone: dict[str, list[str]] = {}
        for r in con.execute("SELECT * FROM story_sentences WHERE story_id = ? ORDER BY article_id, sentence_no", (story["story_id"],)):
            if r["shared"]:
                g = shared.setdefault(r["group"], {"sentence": r["sentence"], "outlets": set(), "articles": set()})
                g["outlets"].add(r["outlet"] or r["article_id"])
                g["articles"].add(r["article_id"])
            else:
                alone.setdefault(r["outlet"] or r["article_id"], []).append(r["sentence"])
        story["shared"] = [{"sentence": g["sentence"], "outlets": sorted(g["outlets"]), "articles": sorted(g["articles"])}
                           for g in shared.values()]
        story["alone"] = alone
        return story
    finally:
        con.close()


def list_entities(out: Path, etype: str | None = None, query: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Entities, most mentioned first; ``query`` matches the name or any surface form."""
    from .entities import find_entities

    rows = pq.read_table(_need(out, "entities")).to_pylist()
    if query:
        rows = find_entities(rows, query, etype)
    elif etype:
        rows = [r for r in rows if r["type"] == etype]
    rows.sort(key=lambda e: (-e["n_mentions"], e["name"]))
    return rows[:limit]


def entity_page(out: Path, entity: str) -> dict[str, Any]:
    """One entity (by id, or by a name or surface form): its articles, stories and co-occurring entities."""
    from .entities import entity_view, find_entities

    entities = pq.read_table(_need(out, "entities")).to_pylist()
    ids = {e["entity_id"] for e in entities}
    if entity not in ids:
        hits = find_entities(entities, entity)
        if not hits:
            raise KeyError(f"no entity {entity!r}")
        entity = hits[0]["entity_id"]
    mentions = pq.read_table(_need(out, "mentions")).to_pylist()
    cols = [c for c in ("article_id", "title", "outlet", "published", "story_id", "url")
            if c in schema_of(Path(out) / "articles.parquet").names]
    articles = pq.read_table(Path(out) / "articles.parquet", columns=cols).to_pylist()
    return entity_view(entities, mentions, articles, entity)

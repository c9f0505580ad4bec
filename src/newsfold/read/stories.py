"""Stories: the list (filtered, paginated) and one story told by its outlets."""
from __future__ import annotations

from datetime import date
from typing import Any

from newsfold.corpus import sqlite as store
from newsfold.read.handle import Corpus, NotFound, check_id, loads, page_of

SORTS = store.STORY_ORDERS  # each has an index on exactly its expression


def span_days(first: str | None, last: str | None) -> int | None:
    """Days between a story's first and last article (None when undated)."""
    try:
        return (date.fromisoformat(last[:10]) - date.fromisoformat(first[:10])).days  # type: ignore[index]
    except (TypeError, ValueError):
        return None


def _row(r: Any) -> dict[str, Any]:
    s = dict(r)
    s["outlets"] = loads(s.get("outlets"), [])
    s.pop("article_ids", None)
    s["span_days"] = span_days(s.get("first_seen"), s.get("last_seen"))
    return s


def _filters(c: Corpus, con: Any, outlet: str | None, entity: str | None, language: str | None,
             date_from: str | None, date_to: str | None) -> tuple[str, list[Any]]:
    where, args = ["1 = 1"], []
    if outlet:
        where.append("EXISTS (SELECT 1 FROM json_each(stories.outlets) WHERE value = ?)")
        args.append(outlet)
    if entity:
        if "mentions" not in c.tables(con):
            raise NotFound("this corpus was built without entities")
        where.append("story_id IN (SELECT a.story_id FROM mentions m JOIN articles a ON a.article_id = m.article_id"
                     " WHERE m.entity_id = ?)")
        args.append(entity)
    if language and "language" in c.columns(con, "articles"):
        where.append("story_id IN (SELECT story_id FROM articles WHERE language = ?)")
        args.append(language)
    if date_from:
        where.append("last_seen >= ?")
        args.append(date_from)
    if date_to:
        where.append("first_seen <= ?")
        args.append(date_to + "\uffff")  # a date includes every time on that day
    return " AND ".join(where), args


def list_stories(c: Corpus, *, outlet: str | None = None, entity: str | None = None, language: str | None = None,
                 date_from: str | None = None, date_to: str | None = None, sort: str = "newest",
                 min_articles: int = 1, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """Stories, newest (or biggest) first, each with its outlets, size and time span."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}: choose {' or '.join(SORTS)}")
    page, per_page = max(1, int(page)), max(1, min(int(per_page), 500))
    with c.connect() as con:
        if "stories" not in c.tables(con):
            raise NotFound("this corpus was built without stories")
        where, args = _filters(c, con, outlet, entity, language, date_from, date_to)
        where += " AND n_articles >= ?"
        args.append(min_articles)
        rows = con.execute(f"SELECT story_id, label, first_seen, last_seen, outlets, n_articles FROM stories WHERE {where}"
                           f" ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
                           [*args, per_page + 1, (page - 1) * per_page]).fetchall()
        total = con.execute(f"SELECT count(*) FROM stories WHERE {where}", args).fetchone()[0]
    out = page_of([_row(r) for r in rows], page, per_page, total)
    out["filters"] = {"outlet": outlet, "entity": entity, "language": language, "date_from": date_from,
                      "date_to": date_to, "sort": sort}
    return out


def _find(con: Any, story_id: str) -> dict[str, Any]:
    check_id(story_id, "story")
    rows = con.execute("SELECT * FROM stories WHERE story_id = ?", (story_id,)).fetchall()
    if not rows:
        rows = con.execute("SELECT * FROM stories WHERE substr(story_id, 1, ?) = ? LIMIT 2",
                           (len(story_id), story_id)).fetchall()
    if len(rows) != 1:
        raise NotFound(f"no story {story_id!r}" if not rows else f"{story_id!r} is ambiguous")
    return dict(rows[0])


def story(c: Corpus, story_id: str) -> dict[str, Any]:
    """One story: its articles on a timeline grouped by outlet, the sentences several outlets share
    (with which outlets), and, outlet by outlet, what each alone says."""
    with c.connect() as con:
        if "stories" not in c.tables(con):
            raise NotFound("this corpus was built without stories")
        s = _find(con, story_id)
        s["outlets"] = loads(s["outlets"], [])
        s["article_ids"] = loads(s["article_ids"], [])
        s["span_days"] = span_days(s.get("first_seen"), s.get("last_seen"))
        marks = ",".join("?" for _ in s["article_ids"])
        s["articles"] = [dict(r) for r in con.execute(
            "SELECT article_id, title, outlet, published, url, n_copies, n_words FROM articles"
            f" WHERE article_id IN ({marks}) ORDER BY published IS NULL, published, article_id", s["article_ids"])]
        sents = con.execute("SELECT article_id, outlet, sentence_no, sentence, shared, \"group\" FROM story_sentences"
                            " WHERE story_id = ? ORDER BY article_id, sentence_no", (s["story_id"],)).fetchall()
    by_outlet: dict[str, dict[str, Any]] = {}
    for a in s["articles"]:
        name = a["outlet"] or "(no outlet)"
        by_outlet.setdefault(name, {"outlet": name, "articles": []})["articles"].append(a)
    s["timeline"] = list(by_outlet.values())
    first, span = s.get("first_seen"), s["span_days"]
    for a in s["articles"]:  # where each article sits on the story's time axis, 0 (first) to 1 (last)
        d = span_days(first, a.get("published")) if span else None
        a["at"] = round(d / span, 4) if d is not None and span else (0.0 if a.get("published") else None)
    shared: dict[int, dict[str, Any]] = {}
    alone: dict[str, list[dict[str, Any]]] = {}
    for r in sents:
        name = r["outlet"] or r["article_id"]
        if r["shared"]:
            g = shared.setdefault(r["group"], {"sentence": r["sentence"], "outlets": set(), "articles": set()})
            g["outlets"].add(name)
            g["articles"].add(r["article_id"])
        else:
            alone.setdefault(name, []).append({"article_id": r["article_id"], "sentence": r["sentence"]})
    s["shared"] = [{"group": k, "sentence": g["sentence"], "outlets": sorted(g["outlets"]),
                    "articles": sorted(g["articles"])} for k, g in sorted(shared.items())]
    s["alone"] = [{"outlet": o, "sentences": v} for o, v in sorted(alone.items())]
    return s

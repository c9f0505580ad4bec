"""Search: full-text matches (``store.search``, SQLite FTS5) with the stories' filters, snippets cut
into plain and matched runs so that every renderer can mark the matches without parsing markup."""
from __future__ import annotations

import re
import sqlite3
from typing import Any

from newsfold.corpus import sqlite as store
from newsfold.read.handle import Corpus, page_of

MAX_HITS = 1000  # filters and pages apply to the best 1,000 matches
# store.search marks matches in snippets with [ and ]; a bracketed run is a match only when it is
# one of the query's words, so brackets in the text itself stay text
_MARKED = re.compile(r"\[([^\[\]]{1,200})\]")
QueryError = store.QueryError


def _terms(query: str) -> set[str]:
    return {t.casefold() for t in re.findall(r"\w+", query)}


def snippet_parts(snippet: str | None, query: str) -> list[dict[str, Any]]:
    """``[{"text": ..., "match": bool}, ...]`` from an FTS5 snippet."""
    terms, parts, at = _terms(query), [], 0
    s = snippet or ""
    for m in _MARKED.finditer(s):
        words = {w.casefold() for w in re.findall(r"\w+", m.group(1))}
        if not words or not any(w in terms or any(w.startswith(t) for t in terms) for w in words):
            continue
        if m.start() > at:
            parts.append({"text": s[at:m.start()], "match": False})
        parts.append({"text": m.group(1), "match": True})
        at = m.end()
    if at < len(s):
        parts.append({"text": s[at:], "match": False})
    return parts


def search(c: Corpus, query: str, *, outlet: str | None = None, entity: str | None = None,
           language: str | None = None, date_from: str | None = None, date_to: str | None = None,
           page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """Articles matching ``query``, best first, with the same filters as the story list (``language``:
    ISO 639-1 or "und", applied inside the full-text query)."""
    page, per_page = max(1, int(page)), max(1, min(int(per_page), MAX_HITS))
    filtered = bool(outlet or entity or date_from or date_to)
    want = MAX_HITS if filtered else min(MAX_HITS, page * per_page + 1)
    c.check()
    try:
        # nothing asked yet (an empty search form) is no match; anything else goes to store.search,
        # which raises QueryError for a query it cannot run (unparsable, too long, too many words)
        hits = store.search(c.db, query, want, language or None) if query.strip() else []
    except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse
        raise QueryError(f"cannot search for {query!r}: {exc}") from None
    with c.connect() as con:
        ids = [h["article_id"] for h in hits]
        marks = ",".join("?" for _ in ids)
        extra = {r["article_id"]: dict(r) for r in con.execute(
            f"SELECT article_id, story_id, url FROM articles WHERE article_id IN ({marks})", ids)} if ids else {}
        with_entity = None
        if entity and ids and "mentions" in c.tables(con):
            with_entity = {r[0] for r in con.execute(
                f"SELECT DISTINCT article_id FROM mentions WHERE entity_id = ? AND article_id IN ({marks})", [entity, *ids])}
    rows = []
    for h in hits:
        pub = (h.get("published") or "")
        if outlet and h.get("outlet") != outlet:
            continue
        if date_from and (not pub or pub < date_from):
            continue
        if date_to and (not pub or pub[:len(date_to)] > date_to):
            continue
        if entity and (with_entity is None or h["article_id"] not in with_entity):
            continue
        rows.append(dict(h, **extra.get(h["article_id"], {}), snippet_parts=snippet_parts(h.get("snippet"), query)))
    total = len(rows) if (filtered or len(hits) < want) else None
    out = page_of(rows[(page - 1) * per_page:page * per_page + 1], page, per_page, total)
    out["query"] = query
    out["filters"] = {"outlet": outlet, "entity": entity, "language": language, "date_from": date_from,
                      "date_to": date_to}
    out["capped"] = len(hits) >= MAX_HITS
    return out

"""Reading the story benchmark sets of ``../shared/data`` (``stories-*``) in tests."""
from __future__ import annotations

import json
from pathlib import Path

from newsfold.records import Article


def load_story_set(folder: Path) -> tuple[list[Article], list[str]]:
    """The set's articles (as ``bench/stories.py`` feeds them) and their gold events."""
    arts, gold = [], []
    for line in (folder / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        date = r.get("date")
        arts.append(Article(
            source=folder.name, page_id=str(r["id"]), span=(0, 0), raw="", title=r.get("title"),
            text=r.get("text") or r.get("description") or "", outlet=r.get("outlet") or r.get("source"),
            url=r.get("url"), published=date[:10] if date else None, article_id=str(r["id"]),
        ))
        gold.append(str(r["cluster"]))
    return arts, gold

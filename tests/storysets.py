"""Reading the story benchmark sets of ``../shared/data`` (``stories-*``) in tests."""
from __future__ import annotations

import json
from pathlib import Path

from newsfold.records import Article
from newsfold.stages.stories.order import article_order


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


def load_wikiref(folder: Path) -> tuple[list[Article], list[str]]:
    """WikiRef220 (``wikiref220/``) as ``bench/stories.py`` feeds it: the first line is the headline;
    the gold labels are *topics* (several events each), not events."""
    import csv

    arts, gold = [], []
    with open(folder / "wikiref220_labels.csv", encoding="utf-8") as fh:
        rows = sorted((r["file"], r["topic"]) for r in csv.DictReader(fh))
    for file, topic in rows:
        raw = (folder / "wikiref" / "WikiRef220" / file).read_bytes().decode("cp1252", "replace")
        lines = [x.strip() for x in raw.replace("\r", "").split("\n") if x.strip()]
        title = lines[0] if lines and len(lines[0]) < 200 else None
        arts.append(Article(source="wikiref220", page_id=file, span=(0, 0), raw="", title=title,
                            text="\n\n".join(lines[1:] if title else lines), outlet=None, url=None,
                            published=None, article_id=file))
        gold.append(topic)
    return arts, gold


def runs_in_time(arts: list[Article], n: int, seed: int = 7) -> list[list[Article]]:
    """``n`` runs that follow each other in time (cut at random places), each shuffled."""
    import random

    ordered = sorted(arts, key=article_order)
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(ordered)), n - 1))
    runs = [ordered[a:b] for a, b in zip([0] + cuts, cuts + [len(ordered)])]
    for r in runs:
        rng.shuffle(r)
    return runs

"""Integrity check of a corpus folder: the database can be read and records a generation that is
there (a corpus built with --no-db has none: its newest sealed generation is checked, Parquet alone),
``current`` and the fixed names link to it, every file of the generation matches the checksum
written when it was sealed, the state the next run needs is there, every ledger entry leads to an
article or a reason, every copy leads to an article, and the Parquet files and the database agree."""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from newsfold.corpus import guard
from newsfold.corpus.generation import GENS, dbless_generation, gen_name

REQUIRED = ("articles", "copies", "ledger", "removals")
OPTIONAL = ("boilerplate", "stories", "story_sentences", "entities", "mentions")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    database: bool = True  # False: a corpus kept without newsfold.db (--no-db); the Parquet tables alone are checked

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"ok": self.ok, "problems": self.problems, "checked": self.checked, "database": self.database}


def verify(out: Path, max_listed: int = 20) -> Report:
    out = Path(out)
    rep = Report()

    def problem(msg: str) -> None:
        if len(rep.problems) < max_listed:
            rep.problems.append(msg)
        elif len(rep.problems) == max_listed:
            rep.problems.append("… more problems not listed")

    base, db_ok = _generation(out, problem)
    if base is None:
        return rep
    rep.database = not dbless_generation(out)
    for p in guard.link_problems(out, base) + guard.generation_problems(base, full=True):
        problem(p)
    tables: dict[str, list[dict]] = {}
    for name in REQUIRED + OPTIONAL:
        path = base / f"{name}.parquet"
        if not path.exists():
            if name in REQUIRED:
                problem(f"{path.name} is missing")
            continue
        try:
            tables[name] = pq.read_table(path).to_pylist()
        except Exception as exc:
            problem(f"{path.name} cannot be read: {exc}")
    rep.checked = {k: len(v) for k, v in tables.items()}
    if any(name not in tables for name in REQUIRED):
        return rep

    arts = {a["article_id"]: a for a in tables["articles"]}
    if len(arts) != len(tables["articles"]):
        problem("articles.parquet has duplicate article ids")
    copies = tables["copies"]
    if len({c["copy_id"] for c in copies}) != len(copies):
        problem("copies.parquet has duplicate copy ids")
    per_article = Counter(c["article_id"] for c in copies)
    for c in copies:
        if c["article_id"] not in arts:
            problem(f"copy {c['copy_id']} ({c['source']}) points to a missing article {c['article_id']}")
    copy_ids = {c["copy_id"]: c for c in copies}
    for aid, a in arts.items():
        if per_article[aid] != a["n_copies"]:
            problem(f"article {aid} says {a['n_copies']} copies, copies.parquet has {per_article[aid]}")
        canon = copy_ids.get(a["copy_id"])
        if canon is None or canon["article_id"] != aid:
            problem(f"article {aid}: its canonical copy {a['copy_id']} is not one of its copies")
    sources = {c["source"] for c in copies}
    page_rows = {r["source"]: r for r in tables["ledger"] if r["level"] == "page"}
    for r in tables["ledger"]:
        if r["status"] not in ("kept", "duplicate", "dropped", "skipped"):
            problem(f"ledger row for {r['source']} has an unknown status {r['status']!r}")
        elif r["status"] in ("dropped", "skipped") and not r["reason"]:
            problem(f"ledger: {r['level']} {r['source']} was dropped without a reason")
        elif r["level"] == "page" and r["status"] in ("kept", "duplicate") and r["source"] not in sources:
            problem(f"ledger: page {r['source']} is {r['status']} but has no copy")
    for s in sources - set(page_rows):
        problem(f"copy source {s} has no page row in the ledger")
    if "stories" in tables:
        story_ids = {s["story_id"] for s in tables["stories"]}
        for aid, a in arts.items():
            if a.get("story_id") not in story_ids:
                problem(f"article {aid} has story {a.get('story_id')!r}, which stories.parquet does not hold")
        for s in tables["stories"]:
            if any(arts.get(x, {}).get("story_id") != s["story_id"] for x in s["article_ids"]):
                problem(f"story {s['story_id']} lists articles that are not in it")
    if "mentions" in tables:
        entity_ids = {e["entity_id"] for e in tables.get("entities", [])}
        bad = {m["article_id"] for m in tables["mentions"] if m["article_id"] not in arts or m["entity_id"] not in entity_ids}
        if bad:
            problem(f"{len(bad)} articles' mentions point to a missing article or entity")
    removal_copies = {r["copy_id"] for r in tables["removals"]}
    dropped_copies = {r["ref"] for r in tables["ledger"] if r["level"] == "copy"}
    if removal_copies - set(copy_ids) - dropped_copies:
        problem(f"{len(removal_copies - set(copy_ids) - dropped_copies)} removal rows point to unknown copies")

    if db_ok:
        _check_db(out / "newsfold.db", tables, arts, problem)

    summary = base / "summary.json"
    if summary.exists():
        try:
            s = json.loads(summary.read_text())
        except ValueError:
            s = {}
            problem("summary.json cannot be read")
        if isinstance(s, dict) and s.get("articles") is not None and s["articles"] != len(arts):
            problem(f"summary.json says {s['articles']} articles, articles.parquet has {len(arts)}")
    return rep


def _check_db(db: Path, tables: dict[str, list[dict]], arts: dict, problem) -> None:
    """The database against the Parquet tables: integrity, row counts, article ids, the full-text index."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                problem("newsfold.db fails SQLite's integrity check")
            for name, rows in tables.items():
                n = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                if n != len(rows):
                    problem(f"{name}: {len(rows)} rows in Parquet, {n} in newsfold.db")
            db_ids = {r[0] for r in con.execute("SELECT article_id FROM articles")}
            if db_ids != set(arts):
                problem("article ids differ between articles.parquet and newsfold.db")
            n_fts = con.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
            if n_fts != len(arts):
                problem(f"the full-text index holds {n_fts} rows for {len(arts)} articles")
        finally:
            con.close()
    except sqlite3.Error as exc:
        problem(f"newsfold.db cannot be read: {exc}")


def _generation(out: Path, problem) -> tuple[Path | None, bool]:
    """The generation to check (the one newsfold.db records; where the database cannot say, the one
    ``current`` points to, else the newest sealed one) and whether the database can be read."""
    if not guard.is_corpus(out):
        problem(f"{out} is not a newsfold corpus" if out.is_dir() else f"{out} does not exist")
        return None, False
    g, wrong = guard.read_db(out)
    if wrong == "is missing" and dbless_generation(out):  # built with --no-db: its newest sealed generation
        return out / GENS / gen_name(dbless_generation(out)), False
    if wrong is not None:
        problem(f"newsfold.db {wrong}")
    elif not (out / GENS / gen_name(g)).is_dir():  # type: ignore[arg-type]
        problem(f"newsfold.db records generation {g}, but {GENS}/{gen_name(g)} is missing")  # type: ignore[arg-type]
        g = None
    if g is None:
        g = guard.current_target(out)
        gens = guard.sealed(out)
        if g not in gens:
            g = gens[-1] if gens else None
        if g is None:
            problem(f"{out} holds no sealed generation")
            return None, False
    return out / GENS / gen_name(g), wrong is None

"""Read-side queries that cannot be run as given are refused with one clear line (store.QueryError
in the data layer, exit 2 in the CLI), and ids are literal prefixes, never LIKE patterns."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import newsfold
from newsfold.corpus import sqlite as store
from newsfold.cli import app
from newsfold.config import Config, QueryLimits
from newsfold.read.explain import explain

BODY = ("The harbor council voted on Tuesday to open a new ferry route between the old port and the "
        "northern islands, ending a two-year dispute over funding and docking rights. ")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("q")
    (root / "in").mkdir()
    with open(root / "in" / "feed.jsonl", "w") as fh:
        for i in range(12):
            words = " ".join(f"topic{i}word{j}" for j in range(40))
            fh.write(json.dumps({"id": f"r{i}", "title": f"Ferry story {i}", "outlet": "x",
                                 "text": f"{BODY} {words}. {BODY}"}) + "\n")
    cfg = Config()
    cfg.steps.stories = cfg.steps.entities = False
    cfg.progress = False
    newsfold.run([root / "in"], root / "out", cfg)
    return root / "out"


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def _one_line_error(res, code: int = 2) -> str:
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    return lines[0]


def test_search_a_lone_double_quote_is_a_clear_error(out):
    with pytest.raises(store.QueryError, match="empty"):
        store.search(out / "newsfold.db", '"')
    _one_line_error(_cli("search", '"', "--out", str(out)))


@pytest.mark.parametrize("query", ["", "   ", "()", '" "'])
def test_search_an_empty_query_is_a_clear_error(out, query):
    with pytest.raises(store.QueryError):
        store.search(out / "newsfold.db", query)
    _one_line_error(_cli("search", query, "--out", str(out)))


def test_search_limit_1e20_is_a_clear_error(out):
    with pytest.raises(store.QueryError, match="limit"):
        store.search(out / "newsfold.db", "ferry", 10 ** 20)
    assert "limit" in _one_line_error(_cli("search", "ferry", "--out", str(out), "--limit", str(10 ** 20)))
    res = _cli("search", "ferry", "--out", str(out), "--limit", "1e20")
    assert res.exit_code == 2 and "Traceback" not in res.output and "--limit" in res.output


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_search_limit_out_of_range_is_refused(out, limit):
    with pytest.raises(store.QueryError, match="limit"):  # LIMIT -1 would return every article
        store.search(out / "newsfold.db", "ferry", limit)


def test_search_8000_repeated_terms_is_refused(out):
    with pytest.raises(store.QueryError, match="too many words"):
        store.search(out / "newsfold.db", " ".join(["ferry"] * 8000))
    assert "too many words" in _one_line_error(_cli("search", "ferry " * 8000, "--out", str(out)))


def test_search_overlong_query_is_refused(out):
    with pytest.raises(store.QueryError, match="too long"):
        store.search(out / "newsfold.db", "f" * 5000)


def test_search_within_bounds_still_answers(out):
    db = out / "newsfold.db"
    assert len(store.search(db, " ".join(["ferry"] * 64), 5)) == 5
    hits = store.search(db, "topic3word7", 10)
    assert [h["title"] for h in hits] == ["Ferry story 3"]
    assert set(hits[0]) == {"article_id", "title", "outlet", "published", "n_copies", "snippet", "score", "language"}
    with pytest.raises(store.QueryError, match="at most 3"):
        store.search(db, "ferry harbor council route", 5, bounds=QueryLimits(max_terms=3))


@pytest.mark.parametrize("pattern", ["%", "_", "a%", "a_", "c%", "%a", "_"*17])
def test_explain_percent_and_underscore_are_literal(out, pattern):
    with pytest.raises(KeyError, match="no article"):
        explain(out, pattern)
    assert "no article" in _one_line_error(_cli("explain", pattern, "--out", str(out)), code=1)


def test_explain_an_ambiguous_copy_prefix_is_refused(out):
    with pytest.raises(KeyError, match="ambiguous"):
        explain(out, "c")
    with pytest.raises(KeyError, match="ambiguous"):
        explain(out, "a")


def test_explain_a_unique_prefix_of_an_article_or_copy_still_works(out):
    hit = store.search(out / "newsfold.db", "topic5word1")[0]
    full = explain(out, hit["article_id"])
    assert explain(out, hit["article_id"][:10])["article_id"] == hit["article_id"]
    copy_id = full["copies"][0]["copy_id"]
    assert explain(out, copy_id[:12])["article_id"] == hit["article_id"]


def test_explain_an_empty_id_is_a_clear_error(out):
    with pytest.raises(store.QueryError):
        explain(out, "")
    _one_line_error(_cli("explain", "", "--out", str(out)))


def test_search_in_a_corpus_made_before_articles_had_a_language(out, tmp_path):
    """An older corpus's database has no `language` column: search still answers (language unknown),
    and a language filter finds nothing rather than failing."""
    import shutil
    import sqlite3

    db = tmp_path / "old.db"
    shutil.copy(out / "newsfold.db", db)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE articles DROP COLUMN language")
    con.commit()
    con.close()
    hits = store.search(db, "topic3word7", 10)
    assert [h["title"] for h in hits] == ["Ferry story 3"] and hits[0]["language"] is None
    assert store.search(db, "topic3word7", 10, "en") == []

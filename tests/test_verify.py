"""`newsfold verify` passes on a fresh corpus and names what is wrong in a damaged one."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import newsfold
from newsfold.cli import app
from newsfold.config import Config
from newsfold.corpus.generation import committed, parts_of, schema_of
from newsfold.read.verify import verify

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def corpus(tmp_path) -> Path:
    out = tmp_path / "out"
    newsfold.run([REPO / "examples" / "corpus"], out, Config(progress=False))
    return out


def _overwrite(corpus: Path, name: str, rows: list[dict]) -> None:
    """Damage a table of the committed generation: replace its parts with one part holding ``rows``."""
    folder = committed(corpus) / f"{name}.parquet"
    schema = schema_of(folder)
    for part in parts_of(folder):
        part.unlink()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-damaged.parquet")


def test_fresh_corpus_verifies(corpus):
    rep = verify(corpus)
    assert rep.ok, rep.problems
    assert rep.checked["articles"] > 0 and rep.checked["copies"] >= rep.checked["articles"]
    res = CliRunner().invoke(app, ["verify", "--out", str(corpus)])
    assert res.exit_code == 0 and "ok" in res.output


def test_copy_pointing_nowhere_is_reported(corpus):
    t = pq.read_table(corpus / "copies.parquet").to_pylist()
    t[0]["article_id"] = "a-missing"
    _overwrite(corpus, "copies", t)
    rep = verify(corpus)
    assert any("missing article a-missing" in p for p in rep.problems)
    res = CliRunner().invoke(app, ["verify", "--out", str(corpus)])
    assert res.exit_code == 1


def test_database_out_of_step_with_parquet_is_reported(corpus):
    con = sqlite3.connect(corpus / "newsfold.db")
    con.execute("DELETE FROM articles WHERE rowid = (SELECT min(rowid) FROM articles)")
    con.commit()
    con.close()
    problems = verify(corpus).problems
    assert any(p.startswith("articles:") and "newsfold.db" in p for p in problems)


def test_dropped_without_reason_and_missing_file_are_reported(corpus):
    t = pq.read_table(corpus / "ledger.parquet").to_pylist()
    bad = next(r for r in t if r["status"] == "dropped")
    bad["reason"] = ""
    _overwrite(corpus, "ledger", t)
    assert any("was dropped without a reason" in p for p in verify(corpus).problems)
    shutil.rmtree(committed(corpus) / "removals.parquet")
    assert "removals.parquet is missing" in verify(corpus).problems


def test_article_in_a_missing_story_is_reported(corpus):
    t = pq.read_table(corpus / "articles.parquet").to_pylist()
    t[0]["story_id"] = "s-missing"
    _overwrite(corpus, "articles", t)
    problems = verify(corpus).problems
    assert any("'s-missing', which stories.parquet does not hold" in p for p in problems)
    assert any("lists articles that are not in it" in p for p in problems)

"""A corpus kept without a database (`newsfold run --no-db`, ``Config.db = False``): Parquet only.

It is recognised as a corpus by its marker and its sealed generations, never by newsfold.db: a run adds to
it (and it stays without a database), a lost marker or ``current`` link deletes nothing, the read side
says what to do, ``verify`` checks the Parquet alone, and ``build_db`` (`newsfold db DIR`) gives it the
database a normal run keeps, which every later run then keeps up to date.  (The engines' tables with and
without a database, and the `newsfold db` command, are compared in tests/test_engines.py.)"""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import newsfold
from newsfold.config import Config, StepsConfig
from newsfold.corpus import guard
from newsfold.corpus.generation import db_generation
from newsfold.read import Corpus
from newsfold.read.verify import verify

from test_incremental import snapshot

CORPUS = Path(__file__).parent.parent / "examples" / "corpus"
FIRST = [CORPUS / n for n in ("wire", "harbor-times", "coastal-observer")]
SECOND = [CORPUS / n for n in ("eastwind-report", "meridian-ledger")]


def _cfg(db: bool) -> Config:  # no stories or entities: this is about the store, not the stages
    return Config(progress=False, workers=1, db=db, steps=StepsConfig(stories=False, entities=False))


def _db_rows(out: Path, table: str) -> list:
    con = sqlite3.connect(out / "newsfold.db")
    try:
        return sorted(map(repr, con.execute(f'SELECT * FROM "{table}"').fetchall()))
    finally:
        con.close()


def _gens(out: Path) -> list[str]:
    return sorted(p.name for p in (out / ".gens").iterdir())


def test_a_corpus_without_a_database_is_added_to_checked_and_given_one_when_asked(tmp_path):
    out, one = tmp_path / "nodb", tmp_path / "one"
    s = newsfold.run(FIRST, out, _cfg(False))
    assert not s.db and s.articles > 3 and not (out / "newsfold.db").exists()
    assert json.loads((out / "config.json").read_text())["db"] is False and guard.is_corpus(out)
    with pytest.raises(FileNotFoundError, match=r"no database \(built with --no-db\); run `newsfold db .*nodb` to build it"):
        Corpus(out).stories()
    rep = verify(out)
    assert rep.ok and not rep.database and rep.checked["articles"] == s.articles, rep.problems

    # the marker and `current` lost: still a corpus (its sealed generation), nothing deleted, rolled back in place
    (out / ".newsfold-corpus").unlink()
    (out / "current").unlink()
    assert guard.is_corpus(out)
    warned: list[str] = []
    s2 = newsfold.run(FIRST + SECOND, out, _cfg(True), warn=warned.append)  # db=True (the default) does not add one
    assert not s2.db and s2.generation == 2 and s2.skipped_pages > 0 and s2.articles > s.articles
    assert not (out / "newsfold.db").exists() and _gens(out) == ["00000001", "00000002"]
    assert any("has no database (built with --no-db)" in w for w in warned)
    assert verify(out).ok and (out / "current").resolve().name == "00000002"
    newsfold.run(FIRST + SECOND, one, _cfg(True))
    assert snapshot(out, stories=False) == snapshot(one, stories=False)  # adding equals one run

    # asked for: the database from the committed generation, as the one-run corpus's
    assert guard.build_db(out, warned.append) == 2 and db_generation(out) == 2
    rep = verify(out)
    assert rep.ok and rep.database, rep.problems
    assert _db_rows(out, "articles") == _db_rows(one, "articles") and _db_rows(out, "copies") == _db_rows(one, "copies")
    assert Corpus(out).search("the")["total"] > 0
    with pytest.raises(Exception, match="has a database already"):
        guard.build_db(out, warned.append)

    # from then on every run keeps it up to date, --no-db or not
    shutil.copytree(CORPUS / "rheinblick", tmp_path / "third" / "rheinblick")
    s3 = newsfold.run([tmp_path / "third"], out, _cfg(False), warn=warned.append)
    assert s3.db and db_generation(out) == 3 and verify(out).ok
    assert any("is kept up to date" in w for w in warned)


def test_a_lost_database_of_a_corpus_that_had_one_is_rebuilt_not_taken_for_no_db(tmp_path):
    out = tmp_path / "db"
    newsfold.run(FIRST, out, _cfg(True))
    (out / "newsfold.db").unlink()
    warned: list[str] = []
    s = newsfold.run(FIRST + SECOND, out, _cfg(False), warn=warned.append)  # --no-db: the corpus has a database
    assert s.db and db_generation(out) == 2 and verify(out).ok
    assert any("rebuilt it from generation 1" in w for w in warned)

"""Fault injection on the example corpus: for each kind of damage, ``verify`` reports it, and the next
run either completes with no article lost (and leaves a corpus that verifies) or refuses with a
one-line message and changes nothing.  ``CASES`` is the table: case, what the next run does, what
verify says."""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Callable

import pytest

import newsfold

from corpus_damage import (MORE, article_ids, build_base, copy_corpus, delete_db, delete_db_rows,
                           edit_ledger_keeping_counts, first_part, garbage_header, generation, more_pages,
                           run_more, tree, truncate, verify_cli)
from newsfold.config import Config
from newsfold.read.verify import verify

COMPLETES, REFUSES = "completes, no article lost", "refuses"


def _overwrite_db_middle(out: Path) -> None:
    db = out / "newsfold.db"
    with open(db, "r+b") as fh:
        fh.seek(db.stat().st_size // 2 // 4096 * 4096)
        fh.write(b"\xa5" * 8192)


def _user_db(out: Path) -> None:
    con = sqlite3.connect(out / "newsfold.db")
    con.execute("CREATE TABLE precious (x TEXT)")
    con.commit()
    con.close()


def _stale_db(out: Path) -> None:
    """newsfold.db put back from before a later run that was committed and published."""
    shutil.copy(out / "newsfold.db", out.parent / "old.db")
    other = out.parent / "other"
    other.mkdir()
    (other / "one.txt").write_text("Harbour crane back in service\n\nThe crane at berth four lifted its first "
                                   "container in a month on Tuesday, after a new gearbox arrived from the maker.\n")
    newsfold.run([other], out, Config(progress=False))
    delete_db(out)
    shutil.copy(out.parent / "old.db", out / "newsfold.db")


def _replace_link(out: Path, name: str) -> None:
    (out / name).unlink()
    (out / name).write_text("mine")


# case: (damage to a copy of the corpus, or to an empty folder for the "user files" cases;
#        what the next run does; words verify's report must hold)
CASES: dict[str, tuple[Callable[[Path], None], bool, str, str]] = {
    "database missing": (delete_db, True, COMPLETES, "newsfold.db is missing"),
    "database empty": (lambda o: (o / "newsfold.db").write_bytes(b""), True, COMPLETES, "newsfold.db is empty"),
    "database garbage header": (lambda o: garbage_header(o / "newsfold.db"), True, COMPLETES, "not a SQLite database"),
    "database truncated": (lambda o: truncate(o / "newsfold.db", 0.3), True, COMPLETES, "newsfold.db is truncated"),
    "database pages overwritten": (_overwrite_db_middle, True, COMPLETES, "malformed"),
    "database rows deleted": (delete_db_rows, True, REFUSES, "rows in Parquet"),
    "database older than the corpus": (_stale_db, True, REFUSES, "current points to"),
    "generation missing": (lambda o: shutil.rmtree(generation(o)), True, REFUSES, "is missing"),
    "articles part missing": (lambda o: first_part(o, "articles").unlink(), True, REFUSES, "is missing"),
    "articles part truncated": (lambda o: truncate(first_part(o, "articles")), True, REFUSES, "is truncated"),
    "copies part garbage": (lambda o: garbage_header(first_part(o, "copies")), True, REFUSES, "changed since"),
    "ledger rows edited (same count)": (edit_ledger_keeping_counts, True, REFUSES, "changed since"),
    "manifest missing": (lambda o: (generation(o) / "manifest.json").unlink(), True, REFUSES, "manifest.json is missing"),
    "current missing": (lambda o: (o / "current").unlink(), True, COMPLETES, "current is missing"),
    "table link missing": (lambda o: (o / "articles.parquet").unlink(), True, COMPLETES, "articles.parquet is missing"),
    "state missing": (lambda o: shutil.rmtree(generation(o) / "state"), True, REFUSES, "state/dedup/meta.json is missing"),
    "state truncated": (lambda o: truncate(generation(o) / "state" / "dedup" / "label.npy"), True, REFUSES,
                        "label.npy is truncated"),
    "story state missing": (lambda o: shutil.rmtree(generation(o) / "state" / "stories"), True, REFUSES,
                            "state/stories/meta.json is missing"),
    "entity state truncated": (lambda o: truncate(generation(o) / "state" / "entities" / "mentions.parquet"), True,
                               REFUSES, "mentions.parquet is truncated"),
    "user file replacing a corpus link": (lambda o: _replace_link(o, "config.json"), True, REFUSES,
                                          "config.json is not a link"),
    "user newsfold.db in --out": (_user_db, False, REFUSES, "is not a newsfold corpus"),
    "user file named current in --out": (lambda o: (o / "current").write_text("mine"), False, REFUSES,
                                         "is not a newsfold corpus"),
    "user config.json in --out": (lambda o: (o / "config.json").write_text("{}"), False, REFUSES,
                                  "is not a newsfold corpus"),
}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_base(tmp_path_factory.mktemp("faults"))


@pytest.mark.parametrize("case", list(CASES))
def test_fault(case, base, tmp_path):
    damage, on_corpus, expected, reported = CASES[case]
    out = copy_corpus(base, tmp_path / "W") if on_corpus else tmp_path / "W"
    out.mkdir(exist_ok=True)
    before = article_ids(out) if on_corpus else set()
    damage(out)

    problems = verify(out).problems
    assert any(reported in p for p in problems), problems
    res = verify_cli(out)
    assert res.code == 1 and not res.traceback, res.output

    was = tree(out)
    res = run_more(more_pages(tmp_path), out)
    assert not res.traceback, res.output
    if expected == COMPLETES:
        assert res.code == 0, res.output
        after = article_ids(out)
        assert before <= after and len(after) == len(before) + len(MORE)
        assert verify(out).ok, verify(out).problems
    else:
        assert res.code == 2 and res.message, res.output
        assert len(res.message.splitlines()) == 1
        assert tree(out) == was, "a refused run changed the folder"


def test_foreign_folders_under_gens_survive_and_are_not_damage(base, tmp_path):
    out = copy_corpus(base, tmp_path / "W")
    (out / ".gens" / "notes").mkdir()
    (out / ".gens" / "notes" / "keep.txt").write_text("mine")
    assert verify(out).ok
    res = run_more(more_pages(tmp_path), out)
    assert res.code == 0, res.output
    assert (out / ".gens" / "notes" / "keep.txt").read_text() == "mine" and verify(out).ok
    assert os.path.exists(out / "current")


def test_a_part_newsfold_did_not_write_is_refused(base, tmp_path):
    """A stray Parquet file in a table's folder is read as part of the table: damage like any other."""
    out = copy_corpus(base, tmp_path / "W")
    shutil.copy(first_part(out, "articles"), generation(out) / "articles.parquet" / "part-extra.parquet")
    assert any("part-extra.parquet was not written by newsfold" in p for p in verify(out).problems)
    was = tree(out)
    res = run_more(more_pages(tmp_path), out)
    assert res.code == 2 and "part-extra.parquet" in res.message and tree(out) == was, res.output

"""Issue 15: nothing is lost.  A damaged or missing database never wipes the corpus, a user's files
in --out are never overwritten, a damaged corpus is not built on, verify sees the damage, and each
of these is a one-line message, never a traceback.  One test per case of the issue."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from corpus_damage import (MORE, article_ids, build_base, copy_corpus, delete_db, delete_db_rows,
                           edit_ledger_keeping_counts, first_part, garbage_header, generation, more_pages,
                           run_more, tree, truncate, verify_cli)
from newsfold.read.verify import verify


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build_base(tmp_path_factory.mktemp("safety"))


@pytest.fixture()
def corpus(base, tmp_path) -> Path:
    return copy_corpus(base, tmp_path / "W")


@pytest.fixture()
def more(tmp_path) -> Path:
    return more_pages(tmp_path)


def _completes_without_loss(out: Path, before: set[str], res) -> None:
    assert res.code == 0 and not res.traceback, res.output
    after = article_ids(out)
    assert before <= after and len(after) == len(before) + len(MORE)
    assert verify(out).ok, verify(out).problems


def _refuses(res, *words: str) -> None:
    assert res.code == 2 and not res.traceback, res.output
    assert res.message and all(w in res.message for w in words), res.output


def _user_folder(tmp_path: Path, name: str, make) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    make(folder / name)
    return folder


# 1. a missing or empty database never wipes the corpus

def test_missing_database_does_not_wipe_the_corpus(corpus, more):
    before = article_ids(corpus)
    delete_db(corpus)
    _completes_without_loss(corpus, before, run_more(more, corpus))


def test_empty_database_does_not_wipe_the_corpus(corpus, more):
    before = article_ids(corpus)
    (corpus / "newsfold.db").write_bytes(b"")
    _completes_without_loss(corpus, before, run_more(more, corpus))


# 2. a user's files in --out are never overwritten

def _precious_db(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE precious (x TEXT)")
    con.execute("INSERT INTO precious VALUES ('mine')")
    con.commit()
    con.close()


def test_user_database_in_out_is_not_overwritten(tmp_path, more):
    mine = _user_folder(tmp_path, "newsfold.db", _precious_db)
    was = tree(mine)
    _refuses(run_more(more, mine), "newsfold.db", "not a newsfold corpus")
    assert tree(mine) == was
    con = sqlite3.connect(mine / "newsfold.db")
    assert con.execute("SELECT x FROM precious").fetchall() == [("mine",)]
    con.close()


def test_user_file_named_current_is_not_replaced(tmp_path, more):
    mine = _user_folder(tmp_path, "current", lambda p: p.write_text("my notes"))
    was = tree(mine)
    _refuses(run_more(more, mine), "current")
    assert tree(mine) == was and not (mine / "current").is_symlink()
    assert (mine / "current").read_text() == "my notes"


def test_user_config_json_is_refused_before_anything_is_written(tmp_path, more):
    mine = _user_folder(tmp_path, "config.json", lambda p: p.write_text('{"mine": true}'))
    was = tree(mine)
    _refuses(run_more(more, mine), "config.json")
    assert tree(mine) == was  # no generation, no database, no half-published corpus
    assert (mine / "config.json").read_text() == '{"mine": true}'


def test_folders_under_gens_newsfold_did_not_make_are_kept(corpus, more):
    before = article_ids(corpus)
    (corpus / ".gens" / "my-notes").mkdir()
    (corpus / ".gens" / "my-notes" / "todo.txt").write_text("keep me")
    (corpus / ".gens" / "backup.tmp").mkdir()
    _completes_without_loss(corpus, before, run_more(more, corpus))
    assert (corpus / ".gens" / "my-notes" / "todo.txt").read_text() == "keep me"
    assert (corpus / ".gens" / "backup.tmp").is_dir()


# 4. a damaged corpus is not carried forward

def _refuses_unchanged(corpus: Path, more: Path) -> None:
    was = tree(corpus)
    _refuses(run_more(more, corpus), "newsfold verify")
    assert tree(corpus) == was


def test_run_refuses_after_a_deleted_articles_part(corpus, more):
    first_part(corpus, "articles").unlink()
    _refuses_unchanged(corpus, more)


def test_run_refuses_after_a_truncated_articles_part(corpus, more):
    truncate(first_part(corpus, "articles"))
    _refuses_unchanged(corpus, more)


def test_run_refuses_when_the_database_disagrees_with_the_parquet(corpus, more):
    delete_db_rows(corpus)
    _refuses_unchanged(corpus, more)


def test_run_refuses_after_ledger_rows_were_edited(corpus, more):
    edit_ledger_keeping_counts(corpus)
    _refuses_unchanged(corpus, more)


# 5. verify sees the breakage

def _reports(corpus: Path, *words: str) -> None:
    problems = verify(corpus).problems
    assert any(all(w in p for w in words) for p in problems), problems
    res = verify_cli(corpus)
    assert res.code == 1 and not res.traceback, res.output


def test_verify_reports_a_missing_current(corpus):
    (corpus / "current").unlink()
    _reports(corpus, "current", "missing")


def test_verify_reports_missing_state(corpus):
    shutil.rmtree(generation(corpus) / "state")
    _reports(corpus, "state/", "missing")


def test_verify_reports_truncated_state(corpus):
    truncate(generation(corpus) / "state" / "dedup" / "label.npy")
    _reports(corpus, "state/dedup/label.npy", "truncated")


def test_verify_reports_ledger_edits_that_keep_counts(corpus):
    edit_ledger_keeping_counts(corpus)
    _reports(corpus, "ledger.parquet/", "changed since it was written")


# 8. messages, not tracebacks

def test_bad_database_header_is_a_message_not_a_traceback(corpus, more):
    before = article_ids(corpus)
    garbage_header(corpus / "newsfold.db")
    _reports(corpus, "newsfold.db", "not a SQLite database")
    _completes_without_loss(corpus, before, run_more(more, corpus))


def test_truncated_database_is_a_message_not_a_traceback(corpus, more):
    before = article_ids(corpus)
    truncate(corpus / "newsfold.db", 0.3)
    _reports(corpus, "newsfold.db", "truncated")
    _completes_without_loss(corpus, before, run_more(more, corpus))


def test_missing_generation_is_a_message_not_a_traceback(corpus, more):
    shutil.rmtree(generation(corpus))
    _reports(corpus, "generation", "missing")
    _refuses(run_more(more, corpus), "missing", "newsfold verify")


def test_missing_state_is_a_message_not_a_traceback(corpus, more):
    shutil.rmtree(generation(corpus) / "state" / "dedup")
    _refuses_unchanged(corpus, more)


def _read_only(folder: Path):
    """Make ``folder`` read-only for this process (root ignores permissions: the immutable flag)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("running as root without chattr: cannot make a folder read-only")
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_read_only_out_is_a_message_not_a_traceback(corpus, more, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (corpus, empty):
        undo = _read_only(out)
        try:
            _refuses(run_more(more, out), "cannot write")
        finally:
            undo()


# what the checks cost, and corpora made before them

def test_corpus_made_before_the_marker_and_manifests_is_still_added_to(corpus, more):
    (corpus / ".newsfold-corpus").unlink()
    (generation(corpus) / "manifest.json").unlink()
    before = article_ids(corpus)
    assert verify(corpus).ok, verify(corpus).problems
    _completes_without_loss(corpus, before, run_more(more, corpus))
    assert (generation(corpus) / "manifest.json").is_file()


def test_a_run_hashes_only_the_files_it_changed(corpus, more, monkeypatch):
    """Sealing reuses the previous manifest's entries for hard-linked files, and the check before a
    run rehashes only files whose size or time moved: a run does not cost the whole corpus."""
    import newsfold.corpus.manifest as manifest

    hashed: list[str] = []
    real = manifest.digest
    monkeypatch.setattr(manifest, "digest", lambda p: hashed.append(str(p)) or real(p))
    res = run_more(more, corpus)
    assert res.code == 0, res.output
    files = [p for p in generation(corpus).rglob("*") if p.is_file()]
    assert any("/state/dedup/seg-00000001/" in str(p) for p in files)  # linked from generation 1
    assert hashed and not any("seg-00000001" in h or "part-00000001-" in h for h in hashed), hashed
    assert len(hashed) < len(files)


def test_database_older_than_the_corpus_does_not_delete_the_newer_generation(corpus, more, tmp_path):
    """A newsfold.db restored from before the last run records an older generation: today's newer
    one was committed, so it is not an unfinished run's to remove."""
    shutil.copy(corpus / "newsfold.db", tmp_path / "old.db")
    assert run_more(more, corpus).code == 0
    published = article_ids(corpus)
    delete_db(corpus)
    shutil.copy(tmp_path / "old.db", corpus / "newsfold.db")
    assert any("current points to" in p for p in verify(corpus).problems)
    _refuses(run_more(more, corpus), "older than the published", "newsfold verify")
    assert article_ids(corpus) == published

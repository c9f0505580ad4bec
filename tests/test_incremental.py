"""Adding to an existing corpus: batches give what one run over everything gives, pages already in
the corpus are skipped, a bad file among the new inputs harms nothing, and readers keep reading."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config
from newsfold.corpus.generation import CorpusError, committed
from newsfold.read.verify import verify


def snapshot(out: Path, stories: bool = True) -> dict:
    """What must be equal between a corpus built in batches and one built in one run."""
    arts = pq.read_table(out / "articles.parquet").to_pylist()
    copies = pq.read_table(out / "copies.parquet").to_pylist()
    groups: dict[str, set] = {}
    for c in copies:
        groups.setdefault(c["article_id"], set()).add(c["copy_id"])
    snap = {
        "articles": {a["article_id"]: (a["title"], a["text"], a["n_copies"], a["copy_id"]) for a in arts},
        "groups": sorted(sorted(g) for g in groups.values()),
        "copies": sorted((c["copy_id"], c["article_id"], c["match"]) for c in copies),
    }
    if stories:
        members: dict[str, set] = {}
        for a in arts:
            members.setdefault(a["story_id"], set()).add(a["article_id"])
        snap["stories"] = sorted(sorted(m) for m in members.values())
        snap["story_ids"] = sorted((a["article_id"], a["story_id"]) for a in arts)
        snap["story_rows"] = sorted((s["story_id"], tuple(s["article_ids"]), s["n_articles"], tuple(s["outlets"]),
                                     s["first_seen"], s["last_seen"], s["label"])
                                    for s in pq.read_table(out / "stories.parquet").to_pylist())
        snap["story_sentences"] = sorted(
            (r["story_id"], r["article_id"], r["sentence_no"], r["sentence"], r["outlet"], r["shared"],
             tuple(r["shared_with"]), r["group"])
            for r in pq.read_table(out / "story_sentences.parquet").to_pylist())
    return snap


def agreement(want: list[tuple[str, str]], got: list[tuple[str, str]]) -> tuple[float, float]:
    """Pair F1 and BCubed F1 of two story assignments ``(article_id, story_id)`` of the same articles."""
    from collections import Counter

    a, b = dict(want), dict(got)
    assert a.keys() == b.keys()
    joint, ca, cb = Counter((a[k], b[k]) for k in a), Counter(a.values()), Counter(b.values())
    pairs = [sum(n * (n - 1) // 2 for n in c.values()) for c in (joint, ca, cb)]
    p, r = pairs[0] / max(pairs[2], 1), pairs[0] / max(pairs[1], 1)
    bp = sum(joint[(a[k], b[k])] / cb[b[k]] for k in a) / len(a)
    br = sum(joint[(a[k], b[k])] / ca[a[k]] for k in a) / len(a)
    return 2 * p * r / max(p + r, 1e-12), 2 * bp * br / max(bp + br, 1e-12)


def batches(src: Path, root: Path, n: int) -> list[Path]:
    """Split the files of folder ``src`` into ``n`` folders (same relative paths, so same sources)."""
    files = sorted(p for p in src.rglob("*") if p.is_file())
    out = []
    for b in range(n):
        dest = root / f"batch{b}" / src.name
        for f in files[b * len(files) // n:(b + 1) * len(files) // n]:
            (dest / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest / f.relative_to(src))
        out.append(dest)
    return out


def _cfg(entities: bool = False, stories: bool = True) -> Config:
    cfg = Config(progress=False)
    cfg.steps.entities = entities
    cfg.steps.stories = stories
    return cfg


def one_and_batched(src: Path, tmp_path: Path, n: int, cfg: Config) -> tuple[Path, Path]:
    """The corpus of one run over ``src``, and the corpus of ``n`` runs over its files in batches
    (each run's corpus must verify)."""
    one, inc = tmp_path / "one", tmp_path / "inc"
    newsfold.run([src], one, cfg)
    for b in batches(src, tmp_path, n):
        newsfold.run([b], inc, cfg)
        assert verify(inc).ok, verify(inc).problems
    return one, inc


def test_seeds_in_three_batches_equal_one_run(seeds_dir, tmp_path):
    one, inc = one_and_batched(seeds_dir, tmp_path, 3, _cfg())
    assert snapshot(inc) == snapshot(one)
    assert len(snapshot(inc)["stories"]) == 6


def test_rerun_skips_pages_already_in_the_corpus(seeds_dir, tmp_path):
    cfg = _cfg()
    out = tmp_path / "out"
    newsfold.run([seeds_dir], out, cfg)
    before = snapshot(out)
    s = newsfold.run([seeds_dir], out, cfg)
    assert s.pages == 0 and s.skipped_pages == 5 and s.copies == 0 and s.nothing_new and s.generation == 1
    assert snapshot(out) == before
    # beside a new page, the files read in full before, unchanged, are not read again: their pages
    # count as already in the corpus, and the ledger gains no row for them (as one run over all)
    new = tmp_path / "new"
    new.mkdir()
    (new / "p.txt").write_text(_page("Council Votes on Harbour Levy", "The council voted on Tuesday to raise the harbour levy. " * 6))
    s = newsfold.run([seeds_dir, new], out, cfg)
    assert s.pages == 1 and s.skipped_pages == 5 and s.generation == 2
    ledger = pq.read_table(out / "ledger.parquet").to_pylist()
    assert not [r for r in ledger if r["reason"] == "already_ingested"]
    files = [r["source"] for r in ledger if r["level"] == "file"]
    assert len(files) == len(set(files)) == 6 and "new/p.txt" in files
    # read again with other reading settings, the same files are read: their pages are skipped by id
    cfg.reader.max_line_bytes //= 2
    s = newsfold.run([seeds_dir, new], out, cfg)
    assert s.pages == 0 and s.skipped_pages == 6 and s.nothing_new and s.generation == 2
    cfg.reader.max_line_bytes *= 2
    (new / "q.txt").write_text(_page("Ferry Timetable Changes", "The ferry timetable changes on Monday for the winter months. " * 6))
    cfg.reader.max_line_bytes //= 2
    s = newsfold.run([seeds_dir, new], out, cfg)
    assert s.pages == 1 and s.skipped_pages == 6 and s.generation == 3
    skipped = [r for r in pq.read_table(out / "ledger.parquet").to_pylist() if r["reason"] == "already_ingested"]
    assert len(skipped) == 6 and all(r["status"] == "duplicate" and r["ref"].startswith("p") for r in skipped)
    assert verify(out).ok


def _page(title: str, body: str, extra: str = "") -> str:
    return f"{title}\n\n{body}{extra}\n"


BODY = " ".join(f"The council voted on measure {i} after a long debate about roads, schools and water." for i in range(12))


def test_longer_copy_added_later_becomes_canonical_and_renames_the_article(tmp_path):
    cfg = _cfg()
    src1, src2 = tmp_path / "a" / "site", tmp_path / "b" / "site"
    src1.mkdir(parents=True)
    src2.mkdir(parents=True)
    (src1 / "short.txt").write_text(_page("Council votes on measures", BODY))
    (src2 / "long.txt").write_text(_page("Council votes on measures", BODY, " The mayor said the vote was close."))
    (src2 / "other.txt").write_text(_page("Harbour reopens", " ".join(f"Ships returned to berth {i} today." for i in range(30))))
    inc = tmp_path / "inc"
    newsfold.run([src1], inc, cfg)
    first_id = pq.read_table(inc / "articles.parquet").column("article_id").to_pylist()
    newsfold.run([src2], inc, cfg)
    arts = {a["title"]: a for a in pq.read_table(inc / "articles.parquet").to_pylist()}
    council = arts["Council votes on measures"]
    assert council["n_copies"] == 2 and council["article_id"] not in first_id
    assert council["text"].endswith("the vote was close.")
    copies = pq.read_table(inc / "copies.parquet").to_pylist()
    assert {c["match"] for c in copies if c["article_id"] == council["article_id"]} == {"canonical", "near"}
    pages = {r["source"]: r["status"] for r in pq.read_table(inc / "ledger.parquet").to_pylist() if r["level"] == "page"}
    assert pages["site/short.txt"] == "duplicate" and pages["site/long.txt"] == "kept"
    assert verify(inc).ok, verify(inc).problems
    # the same as one run over both folders
    both = tmp_path / "both" / "site"
    shutil.copytree(src1, both)
    shutil.copytree(src2, both, dirs_exist_ok=True)
    one = tmp_path / "one"
    newsfold.run([both], one, cfg)
    assert snapshot(inc) == snapshot(one)
    con = sqlite3.connect(inc / "newsfold.db")
    assert con.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'mayor'").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM articles WHERE article_id IN (?)", (first_id[0],)).fetchone()[0] == 0


def test_bad_file_among_new_inputs_is_recorded_and_harms_nothing(seeds_dir, tmp_path):
    cfg = _cfg()
    out = tmp_path / "out"
    newsfold.run([seeds_dir], out, cfg)
    before = snapshot(out)
    bad = tmp_path / "new" / "seeds"
    bad.mkdir(parents=True)
    (bad / "broken.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 8)
    newsfold.run([bad], out, cfg)
    assert snapshot(out) == before
    ledger = [r for r in pq.read_table(out / "ledger.parquet").to_pylist() if r["level"] == "file"]
    reasons = {r["source"].rsplit("/", 1)[-1]: r["reason"] for r in ledger if r["status"] == "dropped"}
    assert set(reasons) == {"broken.txt.gz", "binary.txt"} and all(reasons.values())
    assert verify(out).ok


def test_other_settings_are_refused(seeds_dir, tmp_path):
    cfg = _cfg()
    out = tmp_path / "out"
    newsfold.run([seeds_dir], out, cfg)
    cfg.dedup.threshold = 0.5
    with pytest.raises(CorpusError, match="dedup"):
        newsfold.run([seeds_dir], out, cfg)


def test_readers_keep_their_generation_while_a_run_adds(seeds_dir, tmp_path):
    """A reader holding the published generation (and a read transaction on the database) sees one
    consistent state while a run adds to the corpus; new readers see the new state."""
    cfg = _cfg()
    out = tmp_path / "out"
    parts = batches(seeds_dir, tmp_path, 2)
    newsfold.run([parts[0]], out, cfg)
    gen1 = (out / "current").resolve()
    con = sqlite3.connect(f"file:{out / 'newsfold.db'}?mode=ro", uri=True)
    con.execute("BEGIN")
    n1 = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    newsfold.run([parts[1]], out, cfg)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == n1  # its snapshot
    assert pq.read_table(gen1 / "articles.parquet").num_rows == n1  # the old generation is still there
    con.rollback()
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
    assert pq.read_table(out / "articles.parquet").num_rows == 7
    assert committed(out) == (out / "current").resolve() != gen1


def test_reuters_in_five_batches_equals_one_run(shared_data, tmp_path):
    """19,043 Reuters bodies: the same articles, copies, duplicate groups, page statuses and stories
    (members, ids and rows) whether the 22 files come in one run or in five.  Batches share their
    boundary days, and the fifth holds an article dated 31 March that sorts about 4,300 articles
    before the end of the fourth: both fall inside the articles not clustered yet
    (``StoryGrouper.commit``'s reorder window), so the stream is one run's."""
    src = shared_data / "reuters21578"
    cfg = _cfg()
    cfg.reader.jsonl.text = "body"
    one, inc = one_and_batched(src, tmp_path, 5, cfg)
    got, want = snapshot(inc), snapshot(one)
    assert len(want["articles"]) > 18_000 and len(want["groups"]) < len(want["copies"])
    for key in ("articles", "groups", "copies"):
        assert got[key] == want[key], key
    assert len(want["stories"]) > 3000
    # Stories: two articles clustered for good get a canonical copy from a later batch (identical
    # text, dated three and four weeks later: the tie by content, issue 10).  Their new dates sort
    # after every clustered article, so they leave their stories and wait with the pending ones, as
    # in one run (``StoryGrouper.drop``); but the chunks clustered between their old dates and the
    # end of the clustered part saw them there, are not clustered again, and the stream drifts
    # from there.  Pinned just under what this split measures (pair F1 0.934, BCubed F1 0.976): a
    # regression gate and an open issue (exact would need the stream replayed from a checkpoint
    # taken before those chunks), not a claim.
    pair, b3 = agreement(want["story_ids"], got["story_ids"])
    assert pair >= 0.925 and b3 >= 0.97, (pair, b3)

    def pages(out):
        return sorted((r["ref"], r["status"]) for r in pq.read_table(out / "ledger.parquet").to_pylist() if r["level"] == "page")
    assert pages(inc) == pages(one)


def test_entities_after_three_batches_equal_one_run(seeds_dir, tmp_path):
    """NER runs on each batch's new articles only; canonicalisation over all stored mentions gives
    the entities one run gives."""
    one, inc = one_and_batched(seeds_dir, tmp_path, 3, _cfg(entities=True))

    def entities(out):
        return sorted((e["entity_id"], e["name"], e["type"], e["n_mentions"], e["n_articles"],
                       tuple(sorted((f["form"], f["count"]) for f in e["surface_forms"])))
                      for e in pq.read_table(out / "entities.parquet").to_pylist())

    def mentions(out):
        return sorted((m["entity_id"], m["article_id"], m["field"], m["start"], m["end"])
                      for m in pq.read_table(out / "mentions.parquet").to_pylist())
    assert entities(inc) == entities(one) and len(entities(one)) > 50
    assert mentions(inc) == mentions(one)
    names = {e[1] for e in entities(inc)}
    assert {"Muqtada al-Sadr", "Heather Nauert"} <= names


def test_story_rows_that_stand_are_not_written_again(seeds_dir, tmp_path):
    """An add keeps the stored rows of a story that comes out the same (its row equal, none of its
    articles edited) rather than deleting and writing them again; a changed row, an edited member, or
    a story stored twice is written anew."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from newsfold.engine.enrich import standing_stories

    out = tmp_path / "out"
    newsfold.run([seeds_dir], out, _cfg())
    table = out / "stories.parquet"
    stored = pq.read_table(table)
    rows = sorted(stored.to_pylist(), key=lambda r: r["story_id"])
    a, b, c = rows[0], rows[1], rows[2]
    new = pa.Table.from_pylist([a, dict(b, label=b["label"] + " (new)"), c], schema=stored.schema)
    ids = {a["story_id"], b["story_id"], c["story_id"]}
    assert standing_stories(table, new, ids, set()) == {a["story_id"], c["story_id"]}
    assert standing_stories(table, new, ids, {c["article_ids"][0]}) == {a["story_id"]}
    assert standing_stories(table, new, {a["story_id"]}, set()) == {a["story_id"]}
    assert standing_stories(table, new, set(), set()) == set()
    twice = tmp_path / "twice.parquet"
    pq.write_table(pa.concat_tables([stored, stored.filter(pc.equal(stored.column("story_id"), a["story_id"]))]), twice)
    assert standing_stories(twice, new, ids, set()) == {c["story_id"]}
    # end to end: a page on another subject leaves the seeds' stories as they were, and their part stands
    parts = {p.name for p in table.resolve().glob("*.parquet")}
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    (new_dir / "p.txt").write_text(_page("Council Votes on Harbour Levy", "The council voted on Tuesday to raise the harbour levy. " * 6))
    newsfold.run([new_dir], out, _cfg())
    assert parts <= {p.name for p in table.resolve().glob("*.parquet")}
    assert len(pq.read_table(table)) == len(stored) + 1
    assert verify(out).ok, verify(out).problems

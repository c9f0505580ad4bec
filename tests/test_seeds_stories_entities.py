"""The seeds through the whole run: the stories and the entity table of ../shared/guide/seeds.md."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config

from seeds_expected import TITLES as A

ENTITIES = {
    "Muqtada al-Sadr": {"Muqtada al-Sadr", "al-Sadr", "Sadr", "Moqtada al-Sadr"},
    "Dhiaa al-Asadi": {"Dhiaa al-Asadi", "Al-Asadi", "Diaa al-Assadi", "al-Assadi"},
    "Sairoun": {"Sairoun", "Sairoon"},
    "Heather Nauert": {"Heather Nauert", "Heather Nauret", "Nauert"},
    "Maan al-Jubouri": {"Maan al-Jubouri", "Jubouri", "Jubuori"},
}
NEVER_MERGE = [("Bashar al-Assad", "Dhiaa al-Asadi"), ("Muqtada al-Sadr", "Sadrist movement"),
               ("Hadi al-Amiri", "Haider al-Abadi")]


@pytest.fixture(scope="module")
def out(seeds_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seeds-full") / "out"
    newsfold.run([seeds_dir], out, Config(progress=False))
    return out


def test_stories(out):
    arts = pq.read_table(out / "articles.parquet").to_pylist()
    story = {a["title"]: a["story_id"] for a in arts}
    ids = {a["title"]: a["article_id"] for a in arts}
    assert ids[A["A1"]] != ids[A["A4"]] and story[A["A1"]] == story[A["A4"]]  # two articles, one story
    others = [story[A[k]] for k in ("A2", "A3", "A5", "A6", "A7")]
    assert len(set(others)) == 5 and story[A["A1"]] not in others
    stories = pq.read_table(out / "stories.parquet").to_pylist()
    assert len(stories) == 6
    s1 = next(s for s in stories if s["story_id"] == story[A["A1"]])
    assert set(s1["outlets"]) == {"Asharq Al-Awsat", "SouthFront"}


def test_shared_sentences(out):
    arts = {a["title"]: a for a in pq.read_table(out / "articles.parquet").to_pylist()}
    sid = arts[A["A1"]]["story_id"]
    rows = [r for r in pq.read_table(out / "story_sentences.parquet").to_pylist() if r["story_id"] == sid and r["shared"]]
    shared = " ".join(r["sentence"] for r in rows)
    assert "They asked what the position of the Sadrist movement will be when they come to power" in shared
    assert "We will work with whoever the Iraqi Government and the people of Iraq decide to elect" in shared
    assert {r["outlet"] for r in rows} == {"Asharq Al-Awsat", "SouthFront"}


def test_entity_table(out):
    ents = pq.read_table(out / "entities.parquet").to_pylist()
    by_form: dict[str, set[str]] = {}
    for e in ents:
        for f in e["surface_forms"]:
            by_form.setdefault(f["form"], set()).add(e["entity_id"])
    names = {e["entity_id"]: e["name"] for e in ents}
    for canonical, forms in ENTITIES.items():
        owners = {eid for f in forms for eid in by_form.get(f, ())}
        assert len(owners) == 1, (canonical, [names[o] for o in owners])
        assert names[owners.pop()] == canonical
    for a, b in NEVER_MERGE:
        ea, eb = by_form.get(a, set()), by_form.get(b, set())
        assert ea and eb, (a, b)
        assert not ea & eb, (a, b)


def test_record_to_story_traceability(tmp_path):
    """For JSONL input: record id → copy → article → story, from the outputs alone."""
    import json

    src = tmp_path / "in"
    src.mkdir()
    body = ("The harbour authority said on Monday that the northern breakwater would close for repairs "
            "after storm damage, and that ferries would dock at the old pier until the work was done. ") * 3
    other = ("Ferries will use the old pier while the northern breakwater is closed for repairs, the harbour "
             "authority said on Monday, after a storm damaged the breakwater last week. The repairs are expected to "
             "take a month, and the authority said ferries would return once the work was done. ") * 2
    recs = [{"id": "r1", "title": "Breakwater to close for repairs", "text": body, "outlet": "Harbour Post"},
            {"id": "r2", "title": "Storm-hit breakwater shut, ferries move to old pier", "text": other,
             "outlet": "Coast Daily"},
            {"id": "r3", "title": "Council elects new chair", "text": "The council elected a new chair on Tuesday " * 8,
             "outlet": "City Desk"}]
    (src / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    out = tmp_path / "out"
    cfg = Config(progress=False)
    cfg.steps.entities = False
    newsfold.run([src], out, cfg)
    copies = {c["record_id"]: c for c in pq.read_table(out / "copies.parquet").to_pylist()}
    arts = {a["article_id"]: a for a in pq.read_table(out / "articles.parquet").to_pylist()}
    stories = {s["story_id"]: s for s in pq.read_table(out / "stories.parquet").to_pylist()}
    s1 = arts[copies["r1"]["article_id"]]["story_id"]
    assert copies["r1"]["article_id"] != copies["r2"]["article_id"]  # two articles, not two copies of one
    assert s1 == arts[copies["r2"]["article_id"]]["story_id"]
    assert copies["r1"]["article_id"] in stories[s1]["article_ids"]
    assert arts[copies["r3"]["article_id"]]["story_id"] != s1

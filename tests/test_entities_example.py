"""Entities a reader sees on the example corpus and on fundus's English pages (issue 14, item 5).

The example corpus is run through the whole pipeline (stories give the story ids); fundus pages
go through extraction and canonicalisation, each page a story of its own."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.stages.entities import EntityConfig, EntityExtractor, article_contexts, canonicalize
from newsfold.eval.entities import FUNDUS_PREFIX, fundus_articles

CORPUS = Path(__file__).resolve().parents[1] / "examples" / "corpus"


@pytest.fixture(scope="module")
def example_entities(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("example-entities") / "out"
    newsfold.run([str(CORPUS)], out)
    return pq.read_table(out / "entities.parquet").to_pylist()


def _forms(entity: dict) -> set[str]:
    return {f["form"] for f in entity["surface_forms"]}


def test_example_transliterated_minister_is_one_person(example_entities):
    """examples/README.md: Yevgeny Dorofeyev, Evgeniy Dorofeev and the typo Dorofayev are one."""
    holding = [e for e in example_entities if _forms(e) & {"Yevgeny Dorofeyev", "Evgeniy Dorofeev",
                                                            "Yevgeny Dorofayev"}]
    assert len(holding) == 1 and holding[0]["type"] == "PERSON"
    assert {"Yevgeny Dorofeyev", "Evgeniy Dorofeev", "Yevgeny Dorofayev"} <= _forms(holding[0])
    hashimi = [e for e in example_entities if "Khalid al-Hashimi" in _forms(e)]
    assert {"Khaled al-Hashemi", "Al-Hashmi"} <= _forms(hashimi[0])


def test_example_places_are_places(example_entities):
    types: dict[str, set[str]] = {}
    for e in example_entities:
        for form in _forms(e):
            types.setdefault(form, set()).add(e["type"])
    assert types["Port Selwyn"] == {"PLACE"}  # one name, one type in one corpus
    for place in ("Saltmarsh", "Umm Tarif", "Khirbat Salma", "Fetlar Sound", "Carrow Mouth"):
        assert types[place] == {"PLACE"}, place
    assert types["Skyreach"] == {"ORG"}  # "Skyreach chief executive Moira Fenwick"


def test_example_headline_fragments_are_not_entities(example_entities):
    forms = set().union(*(_forms(e) for e in example_entities))
    for fragment in ("Waters Recede", "Everyone Read and Nobody Acted", "Draws Record Bids",
                     "Port Selwyn Council Votes", "Halted", "Reopens", "Hourly"):
        assert fragment not in forms, fragment


@pytest.fixture(scope="module")
def fundus_result(shared_data):
    index = shared_data / "fundus" / "fundus_index.jsonl"
    refs = []
    for line in index.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        words = (row.get("body_text") or "").split()
        english = sum(w in ("the", "and", "of", "to") for w in words) > 0.06 * max(1, len(words))
        if english and "Trump" in row["body_text"]:
            refs.append(row["file"].removeprefix(FUNDUS_PREFIX))
    articles = fundus_articles(index, refs)
    assert len(articles) >= 10
    ex = EntityExtractor(EntityConfig())
    return canonicalize(ex.extract(articles), article_contexts(articles))


def test_fundus_trump_is_one_person_and_his_son_another(fundus_result):
    res = fundus_result
    of = {}
    for m, eid in zip(res.mentions, res.entity_of):
        of.setdefault(m.surface, set()).add(eid)
    by_id = {e.entity_id: e for e in res.entities}
    trump = {by_id[e].name for e in of["Trump"]}
    assert trump == {"Donald Trump"} and {by_id[e].type for e in of["Trump"]} == {"PERSON"}
    assert of["Donald Trump Jr"] and not of["Donald Trump Jr"] & of["Donald Trump"]

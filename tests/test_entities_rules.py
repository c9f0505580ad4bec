"""The entity rules added for the errors a reader saw (issue 14): transliterated names, generational
suffixes, one type per name, place cues, headline fragments, names written alike but meaning
different things.  Hand-made mentions, no spaCy; the example corpus and fundus checks are in
tests/test_entities_example.py."""
from __future__ import annotations

from newsfold.stages.entities import ArticleContext, Mention, canonicalize
from newsfold.stages.entities.names import (NONE, TYPO, honorific_gender, org_core, parse_name, person_match,
    token_match, translit, skeleton)
from newsfold.stages.entities.votes import geographic_shape, place_cue


def _corpus(docs, fields=None):
    """docs: [(article_id, story_id, text, spans)], spans: (surface, label, type) in order; a
    surface "title:X" is looked up in the title (``fields`` gives titles by article id)."""
    ms, ctx = [], {}
    for aid, story, text, spans in docs:
        texts = {"text": text, **({"title": fields[aid]} if fields and aid in fields else {})}
        pos = {"text": 0, "title": 0}
        for surface, label, etype in spans:
            field = "title" if surface.startswith("title:") else "text"
            surface = surface.removeprefix("title:")
            start = texts[field].index(surface, pos[field])
            ms.append(Mention(aid, field, start, start + len(surface), surface, label, etype))
            pos[field] = start + len(surface)
        ctx[aid] = ArticleContext(story, texts)
    return ms, ctx


def _entities(result):
    return {(e.name, e.type): {f for f, _ in e.surface_forms} for e in result.entities}


def _type_of(result, surface):
    return {m.type for m in result.mentions if m.surface == surface}


# --- transliteration -----------------------------------------------------------------------
def test_cyrillic_romanisations_are_a_typo_grade_match():
    for a, b in [("yevgeny", "evgeniy"), ("dorofeyev", "dorofeev"), ("dmitry", "dmitriy"),
                 ("dorofayev", "dorofeev")]:
        assert token_match(a, b) == TYPO, (a, b)
    assert translit(skeleton("yevgeny")) == translit(skeleton("evgeniy"))
    assert token_match("yevgeny", "eugene") == NONE  # a translation is no transliteration
    p = lambda s: parse_name(s, "PERSON")  # noqa: E731
    assert person_match(p("Yevgeny Dorofeyev"), p("Evgeniy Dorofeev")) == TYPO
    assert person_match(p("Yevgeny Dorofeyev"), p("Dmitry Dorofeyev")) == NONE


def test_transliterated_names_merge_with_story_support_only():
    docs = [("a1", "s1", "Deputy minister Yevgeny Dorofeyev signed. Dorofeyev smiled.",
             [("Yevgeny Dorofeyev", "PERSON", "PERSON"), ("Dorofeyev", "PERSON", "PERSON")]),
            ("a2", "s1", "At the signing, Evgeniy Dorofeev spoke. Dorofeev left.",
             [("Evgeniy Dorofeev", "PERSON", "PERSON"), ("Dorofeev", "PERSON", "PERSON")])]
    ms, ctx = _corpus(docs)
    assert _entities(canonicalize(ms, ctx)) == {
        ("Yevgeny Dorofeyev", "PERSON"): {"Yevgeny Dorofeyev", "Dorofeyev", "Evgeniy Dorofeev", "Dorofeev"}}
    apart = {aid: ArticleContext(f"s-{aid}", c.fields) for aid, c in ctx.items()}
    assert len(canonicalize(ms, apart).entities) == 2  # no shared story, no shared neighbours


# --- generational suffixes -----------------------------------------------------------------------
def test_a_generational_suffix_is_another_person():
    p = lambda s: parse_name(s, "PERSON")  # noqa: E731
    assert p("Donald Trump Jr").key != p("Donald Trump").key
    assert p("Donald Trump Jr.").suffix == "jr" and p("Trump Jr.").suffix == "jr"
    assert person_match(p("Donald Trump Jr"), p("Donald Trump")) == NONE
    assert person_match(p("Donald Trump Jr"), p("Donald Trump Jr.")) > NONE
    text = ("Donald Trump spoke. Donald Trump Jr wrote on X. Trump said more. "
            "Trump Jr. answered.")
    ms, ctx = _corpus([("a1", "s1", text, [
        ("Donald Trump", "PERSON", "PERSON"), ("Donald Trump Jr", "PERSON", "PERSON"),
        ("Trump", "ORG", "ORG"), ("Trump Jr.", "PERSON", "PERSON")])])
    ents = _entities(canonicalize(ms, ctx))
    assert ents[("Donald Trump", "PERSON")] == {"Donald Trump", "Trump"}
    assert ents[("Donald Trump Jr", "PERSON")] == {"Donald Trump Jr", "Trump Jr."}


# --- one name, one type --------------------------------------------------------------------------
def test_a_surname_takes_its_full_names_type_across_the_corpus():
    """NER calls "Trump" an ORG in most articles; beside "Donald Trump" it is his, and the
    corpus majority carries that to an article without the full name."""
    docs = [(f"a{i}", f"s{i}", "Donald Trump spoke. The Trump administration and Trump agreed.",
             [("Donald Trump", "PERSON", "PERSON"), ("Trump", "ORG", "ORG"), ("Trump", "ORG", "ORG")])
            for i in range(3)]
    docs.append(("b", "sb", "Trump and Trump again.", [("Trump", "ORG", "ORG"), ("Trump", "ORG", "ORG")]))
    ms, ctx = _corpus(docs)
    res = canonicalize(ms, ctx)
    assert _type_of(res, "Trump") == {"PERSON"}
    assert {e.type for e in res.entities} == {"PERSON"}


def test_the_corpus_majority_types_a_name_everywhere():
    docs = [(f"a{i}", f"s{i}", "Ships reached Port Selwyn on Monday.", [("Port Selwyn", "GPE", "PLACE")])
            for i in range(3)]
    docs.append(("b", "sb", "Selwyn Port Selwyn said nothing.", [("Port Selwyn", "PERSON", "PERSON")]))
    res = canonicalize(*_corpus(docs))
    assert _type_of(res, "Port Selwyn") == {"PLACE"}


def test_place_cues_and_shape_type_a_person_tagged_place():
    def cue(text, name, weak=False):
        start = text.index(name)
        return place_cue(text, start, start + len(name), weak)

    assert cue("families in Umm Tarif and Khirbat Salma", "Khirbat Salma")  # "in X and Y"
    assert cue("the village of Umm Tarif", "Umm Tarif")
    assert not cue("in Trump's view", "Trump")  # a possessive
    assert not cue("leader of the movement in Iraq, Muqtada al-Sadr, said", "Muqtada al-Sadr")
    assert not cue("aimed at Trump", "Trump")  # "at" is a weak cue
    assert cue("aimed at Saltmarsh", "Saltmarsh", weak=True)
    assert geographic_shape("Fetlar Sound") and geographic_shape("Port Selwyn")
    assert not geographic_shape("Selwyn") and not geographic_shape("Sound Bites Ltd")
    text = "In Umm Tarif, the village closest to the dam, Umm Tarif residents fled to Khirbat Salma."
    ms, ctx = _corpus([("a1", "s1", text, [("Umm Tarif", "PERSON", "PERSON"), ("Umm Tarif", "PERSON", "PERSON"),
                                           ("Khirbat Salma", "PERSON", "PERSON")])])
    res = canonicalize(ms, ctx)
    assert _type_of(res, "Umm Tarif") == {"PLACE"}


def test_a_word_no_person_holds_takes_its_cue_type():
    docs = [("a1", "s1", "Boats working out of Saltmarsh landed. Saltmarsh skippers agreed.",
             [("Saltmarsh", "PERSON", "PERSON"), ("Saltmarsh", "PERSON", "PERSON")]),
            ("a2", "s2", "Skyreach chief executive Moira Fenwick said Skyreach will grow.",
             [("Skyreach", "PERSON", "PERSON"), ("Moira Fenwick", "PERSON", "PERSON"),
              ("Skyreach", "PERSON", "PERSON")])]
    res = canonicalize(*_corpus(docs))
    assert _type_of(res, "Saltmarsh") == {"PLACE"}
    assert _type_of(res, "Skyreach") == {"ORG"}
    assert _type_of(res, "Moira Fenwick") == {"PERSON"}


# --- headlines -----------------------------------------------------------------------------------
def test_headline_fragments_are_cut_to_attested_words_or_dropped():
    titles = {"a1": "Evacuees Face Weeks in Shelters as Waters Recede",
              "a2": "Port Selwyn Council Votes to Raise Ferry Levy"}
    docs = [("a1", "s1", "Evacuees from the villages waited as the waters receded in Wadi Sarim.",
             [("title:Waters Recede", "ORG", "ORG"), ("Wadi Sarim", "GPE", "PLACE")]),
            ("a2", "s2", "The council in Port Selwyn voted on Tuesday. Port Selwyn Council members agreed.",
             [("title:Port Selwyn Council Votes", "ORG", "ORG"), ("Port Selwyn", "GPE", "PLACE"),
              ("Port Selwyn Council", "ORG", "ORG")])]
    res = canonicalize(*_corpus(docs, titles))
    title_forms = {m.surface for m in res.mentions if m.field == "title"}
    assert "Waters Recede" not in title_forms and "Port Selwyn Council Votes" not in title_forms
    assert "Port Selwyn Council" in title_forms


def test_a_span_cut_short_grows_to_the_name_around_it():
    """Truecasing lower-cased "Port" in a headline copy, so NER saw only "Selwyn"."""
    text = "Ships left Port Selwyn. In Port Selwyn harbour, Port Selwyn workers waited."
    ms, ctx = _corpus([("a1", "s1", text, [("Port Selwyn", "GPE", "PLACE"), ("Selwyn", "PERSON", "PERSON"),
                                           ("Port Selwyn", "GPE", "PLACE")])])
    res = canonicalize(ms, ctx)
    assert [(m.start, m.surface) for m in res.mentions] == [(11, "Port Selwyn"), (27, "Port Selwyn"),
                                                             (48, "Port Selwyn")]
    assert _type_of(res, "Port Selwyn") == {"PLACE"}


# --- names written alike ---------------------------------------------------------------------------
def test_differently_written_or_common_word_names_need_context_across_stories():
    docs = [("a1", "s1", "The flight returned to Los Angeles. LA police met it.",
             [("Los Angeles", "GPE", "PLACE"), ("LA", "GPE", "PLACE")]),
            ("a2", "s2", "Police in Slidell, La. arrested him.", [("Slidell", "GPE", "PLACE"), ("La.", "GPE", "PLACE")]),
            ("a3", "s3", "The House voted. A house is a home.", [("House", "ORG", "ORG")]),
            ("a4", "s4", "The House and Senate passed it.", [("House", "ORG", "ORG"), ("Senate", "ORG", "ORG")]),
            ("a5", "s5", "Reuters reported it.", [("Reuters", "ORG", "ORG")]),
            ("a6", "s6", "REUTERS said so.", [("REUTERS", "ORG", "ORG")])]
    res = canonicalize(*_corpus(docs))
    ents = _entities(res)
    assert ents[("Los Angeles", "PLACE")] == {"Los Angeles", "LA"}
    assert ("La.", "PLACE") in ents  # Louisiana stays apart
    assert sum(1 for e in res.entities if e.name == "House") == 2  # two houses, no shared context
    assert ents[("Reuters", "ORG")] == {"Reuters", "REUTERS"}  # written alike, not a common word


def test_a_capitalised_group_is_a_holding_company():
    assert org_core(parse_name("American Airlines Group", "ORG")) == ""
    assert org_core(parse_name("Islamic State group", "ORG")) == "islamic state"


def test_honorifics_of_the_other_gender_keep_partial_names_apart():
    assert honorific_gender("said Sir Keir", 9) == {"m"}
    assert honorific_gender("that Lady Starmer", 10) == {"f"}
    assert honorific_gender("the Starmer", 4) == set()
    text = "Sir Keir Starmer defended the gifts. Lady Starmer wore the clothes. Sir Keir said so."
    ms, ctx = _corpus([("a1", "s1", text, [("Keir Starmer", "PERSON", "PERSON"), ("Starmer", "PERSON", "PERSON"),
                                           ("Keir", "PERSON", "PERSON")])])
    ents = _entities(canonicalize(ms, ctx))
    assert ents[("Keir Starmer", "PERSON")] == {"Keir Starmer", "Keir"}
    assert ents[("Starmer", "PERSON")] == {"Starmer"}

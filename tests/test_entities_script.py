"""Names across scripts (issue 13, entities/script.py): Arabic spellings of the names a story's other
articles give join those entities, by skeleton and only with the story's support -- never a merge on
script alone.  Mentions here are written by hand (no spaCy; one test reads fundus's real Arabic page),
so every test is fast; the seeds with the Arabic page run end to end in tests/test_crosslingual.py."""
from __future__ import annotations

import json

from newsfold.stages.entities import ArticleContext, EntityConfig, Mention, canonicalize
from newsfold.stages.entities.script import arabic_tokens, latin_key, vowels_fit

PERSON, ORG = "PERSON", "ORG"


def _key(arabic: str) -> set[str]:
    (token,) = arabic_tokens(arabic)
    return {k.consonants for k in token.keys}


def test_one_skeleton_for_the_spellings_of_a_name():
    assert latin_key("muqtada").consonants == latin_key("moqtada").consonants == "MKT" and _key("مقتدى") == {"MKT"}
    assert latin_key("al-sadr").consonants == "STR" and _key("الصدر") == _key("والصدر") == {"STR"}
    assert latin_key("asadi") == latin_key("assadi") and _key("الأسدي") == {latin_key("asadi").consonants}
    assert latin_key("assad").consonants != latin_key("asadi").consonants  # the nisba: Assad is not Asadi
    assert _key("الأسد") != _key("الأسدي")
    assert _key("هيذر") == {latin_key("heather").consonants} and _key("نويرت") == {latin_key("nauert").consonants}
    assert _key("سائرون") == {latin_key("sairoun").consonants} == {latin_key("sairoon").consonants}
    assert _key("مُقْتَدَى") == _key("مقتـدى") == {"MKT"}  # vowel marks and tatweel fold away
    assert _key("فاطمة") == {"FTM", "FTMT"} and latin_key("fatimah").consonants == "FTM"  # teh marbuta: silent or t
    # the long vowels the Arabic writes must be among the Latin ones: "hukuma" is not "Hakim"
    (gov,) = arabic_tokens("حكومة")
    (hakim,) = arabic_tokens("الحكيم")
    assert gov.keys[0].consonants == hakim.keys[0].consonants == latin_key("hakim").consonants
    assert not vowels_fit(gov.keys[0].vowels, latin_key("hakim").vowels)
    assert vowels_fit(hakim.keys[0].vowels, latin_key("hakim").vowels)


def test_a_clitic_before_the_article_stays_out_of_the_span():
    (t,) = arabic_tokens("والصدر")
    assert (t.start, t.end, t.core) == (1, 6, "صدر")


def _mentions(aid: str, text: str, names: list[tuple[str, str]]) -> list[Mention]:
    out, at = [], 0
    for surface, etype in names:
        start = text.index(surface, at)
        at = start + len(surface)
        out.append(Mention(aid, "text", start, at, surface, etype, etype))
    return out


def _ctx(story: str | None, text: str, lang: str) -> ArticleContext:
    return ArticleContext(story, {"text": text}, None, None, lang)


EN = ("Muqtada al-Sadr and his aide Dhiaa al-Asadi met the Sairoun alliance. Sairoun won. "
      "Heather Nauert of the State Department spoke. Amar al-Hakim was not there.")
EN_NAMES = [("Muqtada al-Sadr", PERSON), ("Dhiaa al-Asadi", PERSON), ("Sairoun", ORG), ("Sairoun", ORG),
            ("Heather Nauert", PERSON), ("State Department", ORG), ("Amar al-Hakim", PERSON)]
AR = ("التقى مقتدى الصدر بمساعده ضياء الأسدي وتحالف سائرون. وقال الأسدي إن الصدر لن يشارك في الحكومة "
      "ولا في الحكم. وقالت هيذر نويرت إن واشنطن تحترم الخيار.")


def _run(ctx: dict, mentions: list[Mention], **cfg) -> tuple[dict, list]:
    res = canonicalize(mentions, ctx, EntityConfig(**cfg))
    names = {e.entity_id: e.name for e in res.entities}
    script = sorted((m.article_id, m.surface, names[eid]) for m, eid in zip(res.mentions, res.entity_of)
                    if m.source == "script")
    return {(e.entity_id, e.name, e.type) for e in res.entities}, script


def test_arabic_spellings_join_their_entities_in_the_story():
    ctx = {"en1": _ctx("s1", EN, "en"), "ar1": _ctx("s1", AR, "ar")}
    mentions = _mentions("en1", EN, EN_NAMES)
    entities, script = _run(ctx, mentions)
    assert script == sorted([
        ("ar1", "مقتدى الصدر", "Muqtada al-Sadr"), ("ar1", "ضياء الأسدي", "Dhiaa al-Asadi"),
        ("ar1", "سائرون", "Sairoun"), ("ar1", "الأسدي", "Dhiaa al-Asadi"), ("ar1", "الصدر", "Muqtada al-Sadr"),
        ("ar1", "هيذر نويرت", "Heather Nauert")])  # not الحكومة nor الحكم (Hakim), not واشنطن (no such entity)
    res = canonicalize(mentions, ctx, EntityConfig())
    m = next(m for m in res.mentions if m.surface == "مقتدى الصدر")
    assert (m.label, m.type, AR[m.start:m.end]) == ("SCRIPT", PERSON, "مقتدى الصدر")  # offsets into the field
    # nothing else changes: the same entities, ids and names, without the pass
    assert entities == _run(ctx, mentions, script_languages=())[0]
    assert _run(ctx, mentions, script_languages=())[1] == []


def test_no_link_outside_the_story_nor_without_one():
    """The Arabic page names people the corpus knows, but its story (or none) does not name them."""
    other = "Reuters reported on the dates festival in Qassim."
    ctx = {"en1": _ctx("s1", EN, "en"), "en2": _ctx("s2", other, "en"), "ar2": _ctx("s2", AR, "ar"),
           "ar3": _ctx(None, AR, "ar")}
    mentions = _mentions("en1", EN, EN_NAMES) + _mentions("en2", other, [("Reuters", ORG), ("Qassim", "PLACE")])
    entities, script = _run(ctx, mentions)
    assert script == []
    assert entities == _run(ctx, mentions, script_languages=())[0]


def test_a_surname_two_people_share_links_to_neither():
    """Two Sadrs in the story: each full name links, a lone الصدر does not; and a full name whose
    skeleton two entities of the story share links to neither."""
    en = "Muqtada al-Sadr spoke of Mohammed al-Sadr, his father."
    ar = "تحدث مقتدى الصدر عن والده محمد الصدر. وقال الصدر إن الطريق طويل."
    ctx = {"en1": _ctx("s1", en, "en"), "ar1": _ctx("s1", ar, "ar")}
    mentions = _mentions("en1", en, [("Muqtada al-Sadr", PERSON), ("Mohammed al-Sadr", PERSON)])
    entities, script = _run(ctx, mentions)
    assert script == [("ar1", "محمد الصدر", "Mohammed al-Sadr"), ("ar1", "مقتدى الصدر", "Muqtada al-Sadr")]
    assert len([e for e in entities if e[2] == PERSON]) == 2
    # two people whose full names share a skeleton (Ali Hassan, Ali Hussein: LI HSN): neither links
    en2 = "Ali Hassan met Ali Hussein."
    ar2 = "التقى علي حسن بعلي حسين. وقال علي حسين إن اللقاء مثمر."
    ctx2 = {"en1": _ctx("s1", en2, "en"), "ar1": _ctx("s1", ar2, "ar")}
    ms = _mentions("en1", en2, [("Ali Hassan", PERSON), ("Ali Hussein", PERSON)])
    entities2, script2 = _run(ctx2, ms)
    assert len([e for e in entities2 if e[2] == PERSON]) == 2 and script2 == []
    # with one of them only in the story, it links, and so does its Arabic surname alone ("بعلي" is
    # no "علي"); the vowel check keeps "علي حسن" (Hassan) off Hussein
    ms = _mentions("en1", en2, [("Ali Hussein", PERSON)])
    assert _run(ctx2, ms)[1] == [("ar1", "حسين", "Ali Hussein"), ("ar1", "علي حسين", "Ali Hussein")]


def test_a_real_arabic_page_two_trumps(shared_data):
    """fundus's one Arabic page (LBCI, on Donald Trump's hair) in a story whose English article names
    Donald Trump, Ivanka Trump, Washington and the Daily Mail: each full name links to its person, a
    lone ترامب to neither; with Ivanka elsewhere in the corpus only, the lone ترامب is Donald, and
    "إيفانكا ترامب" is nobody of the story."""
    rows = [json.loads(line) for line in (shared_data / "fundus" / "fundus_index.jsonl").open()]
    page = next(r for r in rows if r["publisher"] == "LBCGroup")
    ar = {"title": page["title"], "text": page["body_text"]}
    en = "Donald Trump spoke in Washington, the Daily Mail reported. Ivanka Trump said her father dyes his hair."
    names = [("Donald Trump", PERSON), ("Washington", "PLACE"), ("Daily Mail", ORG), ("Ivanka Trump", PERSON)]
    ctx = {"en1": _ctx("s1", en, "en"), "ar1": ArticleContext("s1", ar, None, None, "ar")}
    _, script = _run(ctx, _mentions("en1", en, names))
    assert script == sorted([("ar1", "دونالد ترامب", "Donald Trump")] * 2 + [
        ("ar1", "إيفانكا ترامب", "Ivanka Trump"), ("ar1", "واشنطن", "Washington"),
        ("ar1", "دايلي ميل", "Daily Mail"), ("ar1", "ديلي ميل", "Daily Mail")])
    ivanka = "Ivanka Trump visited a salon."
    ctx["en2"] = _ctx("s2", ivanka, "en")
    mentions = _mentions("en1", en, names[:3]) + _mentions("en2", ivanka, names[3:])
    _, script = _run(ctx, mentions)
    assert [s for s in script if "ترامب" in s[1]] == [("ar1", "ترامب", "Donald Trump")] * 2 + [
        ("ar1", "دونالد ترامب", "Donald Trump")] * 2
    ctx["ar1"] = ArticleContext(None, ar, None, None, "ar")  # in no story: nothing
    assert _run(ctx, mentions)[1] == []

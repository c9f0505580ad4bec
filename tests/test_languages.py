"""Languages: identification per article, text handling per script, leftovers per language, NER per
language.  Real pages from ``../shared/data/fundus`` where a behaviour needs them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.corpus import sqlite as store
from newsfold.config import Config
from newsfold.stages.dedup import MinHasher, exact_key, near_duplicate_pairs, normalize_text
from newsfold.stages.dedup.lsh import estimate_jaccard
from newsfold.stages.dedup.scripts import fold_scripts
from newsfold.read.explain import explain
from newsfold.stages.language import UNDETERMINED, LanguageIdentifier
from newsfold.records import Article
from newsfold.stages.clean.rules import Rules

GOLD = json.loads((Path(__file__).parent / "gold" / "fundus_languages.json").read_text())["publishers"]


@pytest.fixture(scope="module")
def fundus(shared_data) -> dict[str, dict]:
    """fundus's index rows by file name."""
    rows = [json.loads(line) for line in (shared_data / "fundus" / "fundus_index.jsonl").open()]
    return {Path(r["file"]).name: r for r in rows}


@pytest.fixture(scope="module")
def ident() -> LanguageIdentifier:
    return LanguageIdentifier()


def art(text: str, title: str | None = None) -> Article:
    return Article(source="x/p.txt", page_id="p", span=(0, len(text)), raw=text, title=title, text=text)


# --- identification ---------------------------------------------------------------------------------

def test_every_fundus_page_gets_its_publishers_language(fundus, ident):
    """258 pages, 181 publishers, 41 countries: each page's language is its publisher's (the gold is
    the country's language, with the publishers that write in another one listed and checked)."""
    wrong = {}
    for name, r in fundus.items():
        got = ident.detect(f"{r['title']}\n{r['body_text']}")
        if got != GOLD[r["publisher"]]:
            wrong[name] = (got, GOLD[r["publisher"]])
    assert wrong == {}
    assert len({GOLD[r["publisher"]] for r in fundus.values()}) >= 25


def test_a_short_text_takes_its_pages_language_or_und(fundus, ident):
    body = fundus["DerStandard_2024_05_03.html.gz"]["body_text"]
    page = [art(body[:1500]), art("Foto: APA")]  # a caption-sized second article
    ident.tag(page)
    assert [a.language for a in page] == ["de", "de"]
    alone = [art("Foto: APA")]
    assert ident.tag(alone)[0].language == UNDETERMINED
    assert ident.detect("") == UNDETERMINED and ident.detect("12.03.2025 – 14:05") == UNDETERMINED


def test_articles_of_one_page_can_differ(fundus, ident):
    de = fundus["DerStandard_2024_05_03.html.gz"]["body_text"][:1200]
    es = fundus["ElPais_2024_10_15.html.gz"]["body_text"][:1200]
    assert [a.language for a in ident.tag([art(de), art(es)])] == ["de", "es"]


# --- text handling per script -----------------------------------------------------------------------

TASHKEEL = re.compile("[\u064b-\u0652]")


def arabic_variant(text: str) -> str:
    """The same Arabic text as another site might print it: vowel marks added, tatweel stretching
    words, bare alef for hamzated alef, alef maqsura for final yeh."""
    out = text.replace("أ", "ا").replace("إ", "ا")
    out = re.sub("ي\\b", "ى", out)
    out = re.sub("(\\w)(ال)", "\\1\\2", out)
    out = out.replace("ترامب", "ترامـــب").replace("واشنطن", "واشِنْطُن").replace("الرئيس", "الرَّئِيس")
    return out


def test_arabic_copies_differing_in_diacritics_tatweel_and_alef_are_exact_duplicates(fundus):
    body = fundus["LBCGroup_2026_01_08.html.gz"]["body_text"]
    variant = arabic_variant(body)
    assert variant != body and "ـ" in variant and TASHKEEL.search(variant)
    assert exact_key(variant) == exact_key(body)
    assert MinHasher().exact_keys([body, variant]) == [exact_key(body)] * 2
    other = fundus["LBCGroup_2026_01_08.html.gz"]["body_text"].replace("ترامب", "بايدن")
    assert exact_key(other) != exact_key(body)


def test_a_near_duplicate_chinese_pair_is_found_and_two_reports_of_one_quake_are_not(fundus):
    people = fundus["People_2024_04_24.html.gz"]["body_text"]
    # the same Xinhua article as a portal reposts it: without the dateline, one phrase edited, an editor's line added
    repost = people.replace("新华社北京4月24日电 ", "", 1).replace("引发热烈反响", "引起强烈反响", 1) + "\n\n（责任编辑：张华）"
    asahi = fundus["AsahiShimbun_2025_01_13.html.gz"]["body_text"]
    chunichi = fundus["ChunichiShimbun_2025_01_13.html.gz"]["body_text"]
    hasher = MinHasher()
    sigs = hasher.signatures([people, repost, asahi, chunichi])
    assert exact_key(people) != exact_key(repost)
    assert estimate_jaccard(sigs[0], sigs[1]) >= 0.8
    assert estimate_jaccard(sigs[2], sigs[3]) < 0.3
    assert {tuple(p) for p in near_duplicate_pairs(sigs, hasher.cfg)[:, :2].tolist()} == {(0, 1)}
    assert normalize_text("東京で地震") == "東 京 で 地 震"  # character tokens: shingles are character n-grams


def test_latin_text_is_handled_as_before(fundus):
    for name in ("DerStandard_2024_05_03.html.gz", "ElPais_2024_10_15.html.gz", "Pravda_2026_01_08.html.gz"):
        text = fundus[name]["body_text"]
        assert fold_scripts(text) is text
    # Korean is written with spaces: its words stay words (the page's one hanja, 李, is set apart)
    hangul = "".join(ch for ch in fundus["HankookIlbo_2025_05_15.html.gz"]["body_text"] if not "\uf900" <= ch <= "\ufaff")
    assert fold_scripts(hangul) is hangul
    assert fold_scripts("Ünïcödé text") == "Ünïcödé text"


# --- leftovers per language -------------------------------------------------------------------------

LEFTOVERS = [
    ("Lesen Sie auch: Merz trifft Macron in Paris", "Lesen Sie auch, was der Minister am Montag dazu sagte."),
    ("Das könnte Sie auch interessieren", "Das könnte Sie auch interessieren, sagte die Ministerin."),
    ("Lire aussi : La réforme des retraites adoptée", "Lire aussi la lettre du ministre, publiée lundi."),
    ("À lire aussi", "À lire aussi dans ce numéro, notre enquête sur les loyers."),
    ("Leer más", "Leer más libros es el propósito de muchos lectores este año."),
    ("Te puede interesar: El Gobierno aprueba los presupuestos", "Te puede interesar saber que la ley cambia en mayo."),
    ("Leia também: Lula viaja a Pequim", "Leia também o relatório completo, divulgado na segunda-feira."),
    ("Les også: Dette er Norges nye regjering", "Les også hva statsministeren sa om saken i går."),
    ("Läs mer", "Läs mer om hur du ansöker på kommunens webbplats."),
    ("Leggi anche", "Leggi anche tu il libro, ha detto il sindaco."),
    ("Czytaj także: Rząd przyjął projekt budżetu", "Czytaj także uważnie etykiety, radzi ekspert."),
    ("Читайте также: Правительство утвердило бюджет", "Читайте также внимательно инструкцию, советует врач."),
    ("اقرأ أيضاً: ترامب يعلن الرسوم الجمركية", "اقرأ أيضا ما قاله الوزير في المؤتمر الصحفي يوم الاثنين."),
    ("إقرأ ايضا", "إقرأ ايضا التقرير الكامل الذي نشرته الوزارة، قال المتحدث."),
    ("相关阅读：习近平致贺信", "相关阅读材料已经发给所有参加会议的代表。"),
    ("関連記事", "関連記事によると、地震の規模は6.9と推定される。"),
]


@pytest.mark.parametrize("leftover,sentence", LEFTOVERS, ids=[p[0][:14] for p in LEFTOVERS])
def test_read_more_in_other_languages_goes_a_sentence_with_its_words_stays(leftover, sentence):
    rules = Rules.load()
    hit = rules.match(leftover)
    assert hit is not None and hit.rule == "read_more"
    assert rules.match(sentence) is None


# --- a run: column, summary, search, explain, NER only where it has a model --------------------------

@pytest.fixture(scope="module")
def three(shared_data, tmp_path_factory):
    """A German, a Spanish and an English page of fundus in one run."""
    pages = shared_data / "fundus" / "tests" / "resources" / "parser" / "test_data"
    files = [pages / "at" / "DerStandard_2024_05_03.html.gz", pages / "es" / "ElMundo_2024_12_02.html.gz",
             pages / "uk" / "TheGuardian_2024_02_24.html.gz"]
    out = tmp_path_factory.mktemp("three") / "out"
    cfg = Config()
    cfg.steps.stories = False
    summary = newsfold.run(files, out, cfg, warn=lambda m: None)
    return out, summary


def test_a_run_records_each_articles_language(three):
    out, summary = three
    arts = pq.read_table(out / "articles.parquet").to_pylist()
    assert sorted((Path(a["source"]).name.split("_")[0], a["language"]) for a in arts) == [
        ("DerStandard", "de"), ("ElMundo", "es"), ("TheGuardian", "en")]
    assert summary.languages == {"de": 1, "en": 1, "es": 1}
    assert json.loads((out / "summary.json").read_text())["languages"] == {"de": 1, "en": 1, "es": 1}
    de = next(a for a in arts if a["language"] == "de")
    assert explain(out, de["article_id"])["language"] == "de"


def test_german_and_spanish_articles_get_no_entities_english_ones_do(three):
    out, summary = three
    arts = {a["article_id"]: a["language"] for a in pq.read_table(out / "articles.parquet").to_pylist()}
    mentions = pq.read_table(out / "mentions.parquet").to_pylist()
    assert mentions and {arts[m["article_id"]] for m in mentions} == {"en"}
    assert summary.no_ner_model == {"de": 1, "es": 1}


def test_search_filters_by_language(three):
    out, _ = three
    db = out / "newsfold.db"
    everywhere = store.search(db, "Hamburg OR Verstappen OR the", limit=10)
    assert {r["language"] for r in everywhere} >= {"de", "en"}
    only = store.search(db, "Hamburg OR Verstappen OR the", limit=10, language="de")
    assert only and {r["language"] for r in only} == {"de"}
    assert store.search(db, "Hamburg", language="ja") == []

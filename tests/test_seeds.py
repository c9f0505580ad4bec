"""The five seed pages: exactly what ../shared/guide/seeds.md says a correct run makes of them."""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config

from seeds_expected import TITLES

PAGES = {"000": ["A1", "A2"], "001": ["A1", "A3"], "002": ["A4"], "003": ["A5", "A6"], "004": ["A7", "A2"]}

# Lines seeds.md lists as leftovers: none may stand as a line of any article's text.
LEFTOVER_LINES = [
    "TT", "20", "0 $", "2,500 $", "5,000 $", "1,400 $", "10 DAYS LEFT UNTIL THE END OF SEPTEMBER",
    "Support SouthFront", "SouthFront", "http://understandingwar.org", "Subscribe", "Notify of", "guest",
    "13 Comments", "Oldest", "Newest Most Voted", "Inline Feedbacks", "View all comments",
    "Would love your thoughts, please comment.x", "()", "x", "13", "0",
    "Hrky75", "Dr. Pro Liv", "You can call me Al", "Andreas Mikkelsen", "Rafik Chauhan", "King Tudor777",
]
# Fragments of the reader-comment thread: readers' comments are not the article.
THREAD_FRAGMENTS = ["Muqtada is anti-Iran", "marrying close cousins", "Hasbara trolls", "The real struggle is against capitalism",
                    "youtube.com", "give the Palestinians their land back", "I think you are well off the mark"]


def expected_paragraphs(page: str, headline: str) -> list[str]:
    """The reporting of one article, read straight off the seed page by the layout seeds.md describes:
    the body starts after the headline's second appearance and its doubled caption; in 002 it runs
    between the two "Support SouthFront" lines, less the repeated headline and the bare URL."""
    lines = [ln.strip() for ln in page.split("\n")]
    starts = [i for i, ln in enumerate(lines) if ln == headline]
    if "Support SouthFront" in lines:  # page 002
        a = lines.index("Support SouthFront")
        b = lines.index("Support SouthFront", a + 1)
        body = lines[a + 1 : b]
        return [ln for ln in body if ln and ln != headline and not ln.startswith("http")]
    i = starts[1] + 1
    while not lines[i] or lines[i] == lines[i + 1] or (i > 0 and lines[i] == lines[i - 1]):
        i += 1  # the blank and the doubled caption
    out = []
    for ln in lines[i:]:
        if ln in TITLES.values() and ln != headline:
            break  # the next article on the page
        if ln:
            out.append(ln)
    return out


@pytest.fixture(scope="module")
def corpus(seeds_dir: Path, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("seeds") / "out"
    summary = newsfold.run([seeds_dir], out, Config(progress=False))
    return out, summary


def _table(out: Path, name: str) -> list[dict]:
    return pq.read_table(out / f"{name}.parquet").to_pylist()


def test_counts(corpus):
    out, s = corpus
    assert (s.pages, s.copies, s.articles, s.duplicate_groups) == (5, 9, 7, 2)
    assert len(_table(out, "articles")) == 7
    assert len(_table(out, "copies")) == 9


def test_titles_and_outlets(corpus):
    out, _ = corpus
    arts = {a["title"]: a for a in _table(out, "articles")}
    assert set(arts) == set(TITLES.values())
    for key, title in TITLES.items():
        expected = "SouthFront" if key == "A4" else "Asharq Al-Awsat"
        assert arts[title]["outlet"] == expected, key


def test_duplicate_groups(corpus):
    out, _ = corpus
    arts = {a["article_id"]: a for a in _table(out, "articles")}
    by_article: dict[str, list[str]] = {}
    for c in _table(out, "copies"):
        by_article.setdefault(arts[c["article_id"]]["title"], []).append(Path(c["source"]).name[:3])
    groups = {t: sorted(v) for t, v in by_article.items() if len(v) > 1}
    assert groups == {TITLES["A1"]: ["000", "001"], TITLES["A2"]: ["000", "004"]}
    for a in arts.values():
        assert a["n_copies"] == len(by_article[a["title"]])
        assert a["dup_group"] == a["article_id"]


def test_copies_are_in_page_order_with_spans(corpus, seeds_dir):
    out, _ = corpus
    arts = {a["article_id"]: a["title"] for a in _table(out, "articles")}
    found: dict[str, list[str]] = {}
    for c in _table(out, "copies"):
        page = (seeds_dir / Path(c["source"]).name).read_text("utf-8")
        span = page[c["span_start"] : c["span_end"]]
        assert span == c["raw"]
        found.setdefault(Path(c["source"]).name[:3], []).append((c["span_start"], arts[c["article_id"]]))
    for page, keys in PAGES.items():
        assert [t for _, t in sorted(found[page])] == [TITLES[k] for k in keys]


def test_no_leftovers(corpus):
    out, _ = corpus
    for a in _table(out, "articles"):
        lines = [ln.strip() for ln in a["text"].split("\n")]
        for bad in LEFTOVER_LINES:
            assert bad not in lines, (a["title"], bad)
        for frag in THREAD_FRAGMENTS:
            assert frag not in a["text"], (a["title"], frag)
        assert a["title"] not in a["text"], "the headline's second appearance stays out of the body"
        for cap in a["captions"]:
            assert cap not in a["text"]


def test_captions_kept_once_as_metadata(corpus):
    out, _ = corpus
    arts = {a["title"]: a for a in _table(out, "articles")}
    assert arts[TITLES["A1"]]["captions"] == [
        "Head of the Sadrist Movement and Sairoun Alliance Moqtada al-Sadr (Reuters/ Alaa al-Marjani/ File Photo)"
    ]
    assert arts[TITLES["A3"]]["captions"] == ["FILE PHOTO: US Middle East envoy Steve Witkoff. REUTERS/Evelyn Hockstein/Pool/File Photo"]
    assert arts[TITLES["A4"]]["captions"] == []


def test_every_paragraph_of_reporting_kept_in_order(corpus, seeds_dir):
    out, _ = corpus
    arts = {a["title"]: a for a in _table(out, "articles")}
    pages = {p.name[:3]: p.read_text("utf-8") for p in seeds_dir.iterdir()}
    checked = set()
    for page, keys in PAGES.items():
        for k in keys:
            if k in checked:
                continue
            checked.add(k)
            want = expected_paragraphs(pages[page], TITLES[k])
            got = [ln.strip() for ln in arts[TITLES[k]]["text"].split("\n") if ln.strip()]
            assert got == want, k
    # the bulleted seat results in 002 are reporting too
    a4 = arts[TITLES["A4"]]["text"]
    assert "• The Fatah Coalition led by a member of the Iraqi parliament Hadi al-Amiri" in a4
    assert re.search(r"New Generation Movement gained 4 seats\.\n\nSadr’s alliance", a4)


def test_ledger_accounts_for_every_input(corpus):
    out, _ = corpus
    ledger = _table(out, "ledger")
    files = [r for r in ledger if r["level"] == "file"]
    pages = {Path(r["source"]).name[:3]: r for r in ledger if r["level"] == "page"}
    assert len(files) == 5 and all(r["status"] == "kept" for r in files)
    assert set(pages) == set(PAGES)
    assert all(r["status"] == "kept" for r in pages.values())  # every page adds at least one new article


def test_removals_explain_every_dropped_line(corpus):
    out, _ = corpus
    rules = {r["rule"] for r in _table(out, "removals")}
    assert {"title", "repeated_headline", "logo_line", "counter", "donation_widget", "support_widget",
            "bare_url", "outlet_name", "comment_thread"} <= rules


def test_rerun_gives_the_same_rows(corpus, seeds_dir, tmp_path):
    out, _ = corpus
    again = tmp_path / "again"
    newsfold.run([seeds_dir], again, Config(progress=False))
    for name in ("articles", "copies", "ledger", "removals"):
        assert _table(again, name) == _table(out, name), name

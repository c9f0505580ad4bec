"""Each cleaning rule in both directions: the leftover it exists for goes, the article text that looks
like it stays.  Unit cases on one article; the gold pages are in test_cleaning_gold.py."""
from __future__ import annotations

import pytest

from newsfold.stages.boilerplate.learn import BoilerplateLearner
from newsfold.stages.boilerplate.state import BoilerplateState
from newsfold.stages.clean.cleaner import Cleaner
from newsfold.config import CleanConfig
from newsfold.records import Article
from newsfold.stages.clean.rules import Rules, RulesError

BODY = ("The council voted on Tuesday to extend the harbour wall by forty metres, after two winters in which "
        "storm surges flooded the fish market and the ferry terminal.")


@pytest.fixture(scope="module")
def cleaner() -> Cleaner:
    return Cleaner(Rules.load())


def clean(cleaner: Cleaner, *lines: str, **meta) -> Article:
    raw = "\n\n".join(["Harbour Wall Extension Approved", BODY, *lines, BODY.replace("Tuesday", "Friday")])
    return cleaner(Article(source="x/p.txt", page_id="p", span=(0, len(raw)), raw=raw, **meta))


def kept(art: Article) -> list[str]:
    return art.text.split("\n\n")


def removed(art: Article, rule: str) -> list[str]:
    return [r.text for r in art.removals if r.rule == rule]


def test_donation_widget_is_a_cluster_not_one_price(cleaner):
    widget = clean(cleaner, "0 $\n2,500 $\n5,000 $\n1,400 $\n10 DAYS LEFT UNTIL THE END OF SEPTEMBER")
    assert removed(widget, "donation_widget") == ["0 $", "2,500 $", "5,000 $", "1,400 $",
                                                  "10 DAYS LEFT UNTIL THE END OF SEPTEMBER"]
    one = clean(cleaner, "The lamp costs", "$99.99", "at most shops.")
    assert "$99.99" in kept(one) and not removed(one, "donation_widget")
    two = clean(cleaner, "Price", "$299.99\n$349.99")
    assert "$299.99\n$349.99" in kept(two)


def test_bare_url_alone_goes_a_list_of_links_stays(cleaner):
    alone = clean(cleaner, "http://understandingwar.org")
    assert removed(alone, "bare_url") == ["http://understandingwar.org"]
    listed = clean(cleaner, "https://a.example/one\nhttps://b.example/two")
    assert "https://a.example/one\nhttps://b.example/two" in kept(listed)
    introduced = clean(cleaner, "The full report is here:", "https://a.example/report.pdf")
    assert "https://a.example/report.pdf" in kept(introduced) and not removed(introduced, "bare_url")


def test_social_profiles_go_a_post_in_a_list_stays(cleaner):
    promo = clean(cleaner, "Follow us:", "https://twitter.com/LindsayFrance\nhttps://twitter.com/BiancaFacchinei")
    assert removed(promo, "social_link") == ["https://twitter.com/LindsayFrance", "https://twitter.com/BiancaFacchinei"]
    posts = clean(cleaner, "The two posts:", "https://twitter.com/a/status/1\nhttps://twitter.com/b/status/2")
    assert "https://twitter.com/a/status/1\nhttps://twitter.com/b/status/2" in kept(posts)


@pytest.mark.parametrize("line", [
    "Read more", "Read more:", "READ MORE: 2 lions killed in Chile zoo", "Read More: Every Episode Ranked",
    "China: the new space superpower Read more", "More from Northline", "More from The Harbor Times",
    "Related coverage", "Related: How to prune roses", "Related Business Topics", "Most read in Football",
    "More from NBC’s TODAY:", "More from The New York Times:", "You might also like: Oaxaca's Mezcal Trail",
    "Continue reading",
])
def test_read_more_leftovers_go(cleaner, line):
    assert removed(clean(cleaner, line), "read_more") == [line]


@pytest.mark.parametrize("line", [
    "More from Cornell on climate change and gardening:", "Read more about the letter obtained by the NYT here.",
    "Recommended tools for this job:", "I could not put it down and wanted to read more.", "Further reading:",
])
def test_read_more_sentences_stay(cleaner, line):
    assert line in kept(clean(cleaner, line))


@pytest.mark.parametrize("line", [
    "Enlarge this image toggle caption Spencer Platt/Getty Images Spencer Platt/Getty Images",
    "Enlarge this image toggle caption Oliver Berg/EPA /Landov Oliver Berg/EPA /Landov", "Enlarge this image",
])
def test_npr_caption_toggle_goes(cleaner, line):
    assert removed(clean(cleaner, line), "media_leftover") == [line]


@pytest.mark.parametrize("line", [
    "Updated March 3, 2025", "Published 9:15 AM EST, Tue February 18, 2025", "Updated: 2017-12-27 14:02 GMT",
    "Posted on July 9, 2025 by Marta Quill", "Updated 2 hours ago",
    "Last Updated: Thursday, 13 October 2005, 10:36 GMT 11:36 UK",
    "PUBLISHED: 08:32 EST, 5 February 2018 | UPDATED: 09:10 EST, 5 February 2018",
])
def test_timestamps_go(cleaner, line):
    assert removed(clean(cleaner, line), "timestamp") == [line]


@pytest.mark.parametrize("line", [
    "Posted on Kettle & Crumb's community forum on 2025-07-09:",
    "Published in 1998, the report warned of exactly this failure.",
])
def test_sentences_with_dates_stay(cleaner, line):
    assert line in kept(clean(cleaner, line))


def test_byline_fills_authors(cleaner):
    art = clean(cleaner, "By Ruth Adebayo-Clarke")
    assert removed(art, "byline") == ["By Ruth Adebayo-Clarke"]
    assert art.authors == "Ruth Adebayo-Clarke"
    assert clean(cleaner, "By John Smith and Jane Doe, Reuters").authors == "John Smith; Jane Doe"
    assert clean(cleaner, "By JANE DOE, Associated Press").authors == "JANE DOE"
    assert clean(cleaner, "Posted by Helena Marsh | June 14, 2025").authors == "Helena Marsh"
    # metadata wins; a sentence that starts with "By" is not a byline
    assert clean(cleaner, "By Ruth Adebayo-Clarke", authors="Priya Castellanos").authors == "Priya Castellanos"
    sentence = clean(cleaner, "By Tuesday, the river had risen above the flood wall.")
    assert sentence.authors is None and "By Tuesday, the river had risen above the flood wall." in kept(sentence)


def test_rule_context_is_validated(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[line]]\nname = "x"\npattern = "x"\ncluster = 0\n')
    with pytest.raises(RulesError, match="cluster"):
        Rules.load([str(bad)])


def _learn(cleaner: Cleaner, pages: list[list[str]], cfg: CleanConfig) -> tuple[set[str], list[Article]]:
    learner, arts = BoilerplateLearner(cfg), []
    for n, lines in enumerate(pages):
        raw = "\n\n".join([f"Review Number {n} of a Gadget", *lines])
        art = cleaner(Article(source=f"site/{n}.txt", page_id=str(n), span=(0, len(raw)), raw=raw))
        learner.observe(art)
        arts.append(art)
    learned, _, _ = BoilerplateState().finish(learner, "seg-1")
    arts = [learned.apply(a) for a in arts]
    return {r.text for a in arts for r in a.removals if r.rule == "learned_boilerplate"}, arts


def review(n: int) -> list[str]:
    return [f"The gadget number {n} is a fine thing to own and it works well on most days of the week.",
            "Pros", f"- Strength {n}", "Cons", f"- Weakness {n}", "The Bottom Line", f"Verdict {n}: buy it.",
            "GearNotes is part of Northway Media.", "Serves 4."]


def test_learned_boilerplate_needs_four_articles_and_skips_headings(cleaner):
    cfg = CleanConfig()
    three, _ = _learn(cleaner, [review(n) for n in range(3)], cfg)
    assert three == set()  # three pages of a site are not enough support
    five, arts = _learn(cleaner, [review(n) for n in range(5)], cfg)
    assert five == {"GearNotes is part of Northway Media.", "Serves 4."}
    for a in arts:  # headings that introduce each review's own content stay
        assert {"Pros", "Cons", "The Bottom Line"} <= set(a.text.split("\n\n"))
    off, _ = _learn(cleaner, [review(n) for n in range(5)], CleanConfig(heading_min_varying=2.0))
    assert {"Pros", "Cons", "The Bottom Line"} <= off  # without the heading test they would go


def test_a_short_line_before_the_body_is_not_a_heading(cleaner):
    """A source line above the body ("FOXNews.com") is followed by varying text too, but it introduces
    nothing: before any body text it is boilerplate like any other recurring line."""
    pages = [["FOXNews.com", *review(n)] for n in range(5)]
    learned, arts = _learn(cleaner, pages, CleanConfig())
    assert "FOXNews.com" in learned and "Pros" not in learned

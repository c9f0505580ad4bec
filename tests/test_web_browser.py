"""The web UI in real headless Chromium, on the seeds corpus and on a corpus of hostile text."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import newsfold
from newsfold.config import Config
from newsfold.read import Corpus
from webtools import crawl, live_server, make_browser, screenshot

A1 = "Sadr Calls for International Support to 'Exit Sectarian Tunnel'"
A2 = "Syrian Police Impose Curfew in Homs after Unrest"
NAUERT = "We will work with whoever the Iraqi Government"


@pytest.fixture(scope="module")
def browser():
    b = make_browser()
    yield b
    b.quit()


@pytest.fixture(scope="module")
def seeds(seeds_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("web") / "seeds"
    newsfold.run([seeds_dir], out, Config(progress=False))
    with live_server(out) as base:
        yield Corpus(out), base


def _article_id(corpus: Corpus, title: str) -> str:
    [hit] = [h for h in corpus.search(title)["items"] if h["title"] == title]
    return hit["article_id"]


def test_story_of_a1_and_a4_shows_both_outlets_and_the_shared_nauert_quote(seeds, browser):
    from selenium.webdriver.common.by import By

    corpus, base = seeds
    story_id = corpus.article(_article_id(corpus, A1))["story_id"]
    browser.get(f"{base}/stories")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/stories/{story_id}"]').click()
    assert browser.current_url == f"{base}/stories/{story_id}"
    lanes = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".lane-name")]
    assert sorted(lanes) == ["Asharq Al-Awsat", "SouthFront"]
    titles = browser.find_element(By.CSS_SELECTOR, ".timeline").text
    assert A1 in titles and "Al-Sadr’s Office Denied Cooperation" in titles
    quotes = [li for li in browser.find_elements(By.CSS_SELECTOR, "ul.shared li")
              if NAUERT in li.find_element(By.CSS_SELECTOR, "mark.shared-sentence").text]
    assert quotes, "the Nauert quote is highlighted as shared"
    shared_by = [c.text for c in quotes[0].find_elements(By.CSS_SELECTOR, ".shared-by .chip")]
    assert sorted(shared_by) == ["Asharq Al-Awsat", "SouthFront"]
    mark = quotes[0].find_element(By.CSS_SELECTOR, "mark.shared-sentence")
    assert mark.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    columns = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".column h3")]
    assert len(columns) == 2 and all(any(o in c for c in columns) for o in ("Asharq Al-Awsat", "SouthFront"))
    assert screenshot(browser, "story").stat().st_size > 10_000
    screenshot(browser, "story-top", height=1100)  # docs/web-story.png


def test_searching_kirkuk_finds_a1(seeds, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    corpus, base = seeds
    browser.get(f"{base}/stories")
    box = browser.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("Kirkuk", Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: "/search?q=Kirkuk" in b.current_url)
    assert browser.current_url == f"{base}/search?q=Kirkuk"
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "li.hit a.title")]
    assert A1 in titles
    marks = {m.text for m in browser.find_elements(By.CSS_SELECTOR, "li.hit p.snippet mark")}
    assert marks == {"Kirkuk"}
    screenshot(browser, "search")


def test_duplicate_view_of_a2_shows_both_copies(seeds, browser):
    from selenium.webdriver.common.by import By

    corpus, base = seeds
    aid = _article_id(corpus, A2)
    browser.get(f"{base}/articles/{aid}")
    screenshot(browser, "article")
    browser.find_element(By.LINK_TEXT, "compare copies").click()
    heads = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "th.copy-head")]
    assert len(heads) == 2
    assert any("seeds/000_" in h for h in heads) and any("seeds/004_" in h for h in heads)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.diff tbody tr")
    assert rows and all(len(r.find_elements(By.CSS_SELECTOR, "td")) == 2 for r in rows)
    assert "Curfew" in browser.find_element(By.CSS_SELECTOR, "table.diff").text
    screenshot(browser, "duplicates")


def test_every_link_on_every_page_answers_200(seeds, browser):
    corpus, base = seeds
    pages = crawl(base)
    bad = {u: s for u, s in pages.items() if s != 200}
    assert not bad, bad
    kinds = {u.split("/")[3].split("?")[0].split(".")[0] for u in pages}
    assert {"stories", "articles", "entities", "search", "ledger", "static"} <= kinds, kinds
    assert len(pages) > 40
    browser.get(f"{base}/ledger")
    screenshot(browser, "ledger")
    ent = corpus.entities(query="Heather Nauert")["items"][0]["entity_id"]
    browser.get(f"{base}/entities/{ent}")
    screenshot(browser, "entity")


HOSTILE = [
    "<script>document.body.setAttribute('data-pwned', '1'); alert('title')</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned', '2'); alert('img')\">",
    "<a href=\"javascript:alert('link')\">click me</a>",
    "<b onmouseover=\"alert('hover')\" style=\"position:fixed;inset:0\">bold</b>",
    "<svg onload=alert('svg')></svg><iframe src=\"javascript:alert('frame')\"></iframe>",
]


def _hostile_corpus(folder: Path) -> Path:
    src = folder / "in"
    src.mkdir(parents=True)
    recs = []
    for i, payload in enumerate(HOSTILE):
        body = (f"Harbor officials met on Tuesday {payload} to discuss the ferry timetable for the islands and fares.\n\n"
                f"{payload} A crowd at the pier (AFP)\n\n"
                f"The council said the first crossings would start in spring, with {payload} four trips a day.")
        recs.append({"id": f"r{i}", "title": f"Ferry plan {i} {payload}", "text": body, "outlet": f"<i>Evil {i}</i>{payload}",
                     "url": "javascript:alert('url')", "date": f"2026-03-0{i + 1}"})
    (src / "hostile.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
    out = folder / "out"
    newsfold.run([src], out, Config(progress=False))
    return out


def test_hostile_text_shows_as_text_and_nothing_executes(tmp_path, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    out = _hostile_corpus(tmp_path)
    corpus = Corpus(out)
    assert corpus.stories()["total"] >= 1 and any("<script>" in (a["title"] or "") for a in corpus.search("ferry")["items"])
    with live_server(out) as base:
        pages = [u for u, s in crawl(base).items() if s == 200 and "/static/" not in u and ".json" not in u]
        assert any("/articles/" in u for u in pages) and any("/stories/" in u for u in pages)
        shown_as_text = 0
        for url in pages:
            browser.get(url)
            try:
                alert = browser.switch_to.alert
                raise AssertionError(f"{url} opened an alert: {alert.text}")
            except NoAlertPresentException:
                pass
            dom = browser.execute_script(
                "return {scripts: document.scripts.length, pwned: document.body.getAttribute('data-pwned'),"
                " handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,"
                " js: document.querySelectorAll('a[href^=\"javascript:\" i], iframe, svg, img[src=x]').length,"
                " italics: document.querySelectorAll('main i').length}")
            assert dom == {"scripts": 0, "pwned": None, "handlers": 0, "js": 0, "italics": 0}, (url, dom)
            text = browser.find_element(By.TAG_NAME, "body").text
            shown_as_text += "<script>document.body.setAttribute" in text or "onerror=" in text
        assert shown_as_text >= 3, "the hostile markup is shown as text"
        aid = next(h["article_id"] for h in corpus.search("ferry")["items"] if "<script>" in h["title"])
        browser.get(f"{base}/articles/{aid}")
        assert "<script>" in browser.find_element(By.TAG_NAME, "h1").text
        captions = browser.find_elements(By.CSS_SELECTOR, "ul.captions li")
        assert captions and "A crowd at the pier (AFP)" in captions[0].text and "<" in captions[0].text
        screenshot(browser, "hostile-article")

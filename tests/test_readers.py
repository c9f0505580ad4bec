"""Input readers: formats, encodings, sources, ordering, and the real data sets."""
from __future__ import annotations

import gzip
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsfold.config import JsonlFields, ReaderConfig
from newsfold.stages.ingest import iter_files, read_inputs
from newsfold.stages.ingest.meta import clean_sitename, host_of, normalize_date, unwrap_wayback
from newsfold.stages.ingest.text import decode_bytes


def read(inputs, cfg: ReaderConfig | None = None):
    ledger, warnings = [], []
    pages = list(read_inputs(inputs, cfg or ReaderConfig(), ledger.append, warnings.append))
    return pages, ledger, warnings


def file_entries(ledger):
    return {e.source: e for e in ledger if e.level == "file"}


ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Storm floods coastal towns | Example News</title>
<meta property="og:title" content="Storm floods coastal towns">
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2021-03-04T10:00:00Z">
<link rel="canonical" href="https://www.example-news.com/2021/03/04/storm-floods">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/subscribe">Subscribe to our newsletter today</a></li></ul></nav>
<article>
<h1>Storm floods coastal towns</h1>
<p>Heavy rain and strong winds flooded several coastal towns on Thursday, forcing hundreds of residents to leave their homes as rivers burst their banks overnight.</p>
<p>Emergency services said the water rose faster than expected, and rescue teams used boats to reach families trapped in the upper floors of their houses near the harbour.</p>
<p>The regional weather office warned that more rain was expected over the weekend and asked people to avoid travelling unless it was absolutely necessary.</p>
</article>
<footer><p>Copyright 2021 Example News Ltd. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>
"""


# --------------------------------------------------------------------------------------------
# Plain text: encodings and mojibake
# --------------------------------------------------------------------------------------------

CP1252_TEXT = "Café owners said the “naïve” plan — announced in Zürich — would cost €5,000.\nThe mayor’s office declined to comment.\n"
LATIN1_TEXT = "Señor Müller aß Käse für 5 £ in São Paulo. Ça coûte cher, à bientôt!\nGrüße aus Köln.\n"


def test_text_encodings(tmp_path: Path) -> None:
    d = tmp_path / "enc"
    d.mkdir()
    (d / "a_cp1252.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (d / "b_latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    (d / "c_mojibake.txt").write_text("Iraqâ€™s parliament met on Monday.\nIt said â€œnoâ€\x9d.\n", encoding="utf-8")
    (d / "d_utf16.txt").write_bytes("Iraq’s “quoted” text — ünïcödé.\n".encode("utf-16"))
    (d / "e_utf8.txt").write_text("Plain “curly” quotes stay curly; ﬁ ligatures and ＡＢＣ stay too. AT&amp;T\n", encoding="utf-8")
    pages, ledger, warnings = read([d])
    by = {p.source: p for p in pages}
    assert list(by) == ["enc/a_cp1252.txt", "enc/b_latin1.txt", "enc/c_mojibake.txt", "enc/d_utf16.txt", "enc/e_utf8.txt"]
    assert all(p.kind == "text" for p in pages)
    assert by["enc/a_cp1252.txt"].text == CP1252_TEXT.strip()
    assert by["enc/b_latin1.txt"].text == LATIN1_TEXT.strip()
    assert by["enc/c_mojibake.txt"].text == "Iraq’s parliament met on Monday.\nIt said “no”."
    assert by["enc/d_utf16.txt"].text == "Iraq’s “quoted” text — ünïcödé."
    assert by["enc/d_utf16.txt"].extra["encoding"] == "utf-16-le"
    assert by["enc/e_utf8.txt"].text == "Plain “curly” quotes stay curly; ﬁ ligatures and ＡＢＣ stay too. AT&amp;T"
    entries = file_entries(ledger)
    assert len(entries) == 5 and all(e.status == "kept" for e in entries.values())
    assert "mojibake repaired" in entries["enc/c_mojibake.txt"].detail
    assert warnings == []


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("Zażółć gęślą jaźń. Polska reprezentacja wygrała mecz w Łodzi.", "cp1250"),
        ("Привет, как дела? Сегодня хорошая погода в Москве.", "cp1251"),
        ("Καλημέρα κόσμε, σήμερα είναι μια όμορφη μέρα.", "cp1253"),
        ("Der Bürgermeister ließ die Straße für fünf Tage sperren.", "cp1252"),
        ("El niño español comió piñas en la montaña.", "cp1252"),
        ("東京都の天気は晴れです。明日は雨が降るでしょう。", "shift_jis"),
    ],
)
def test_decode_legacy_encodings(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding))[0] == text


def test_decode_mostly_utf8_with_stray_cp1252_byte() -> None:
    data = "Iraq’s “mixed” file".encode() + b" caf\xe9."
    assert decode_bytes(data)[0] == "Iraq’s “mixed” file café."


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _check_article(page) -> None:
    assert page.title == "Storm floods coastal towns"
    assert page.published == "2021-03-04"
    assert page.authors == "Jane Reporter"
    assert page.url == "https://www.example-news.com/2021/03/04/storm-floods"
    assert page.outlet == "Example News"
    assert page.extra["host"] == "example-news.com"
    paragraphs = page.text.split("\n\n")
    assert any(p.startswith("Heavy rain and strong winds flooded") for p in paragraphs)
    assert any(p.startswith("The regional weather office warned") for p in paragraphs)
    assert all("\n" not in p and p == p.strip() for p in paragraphs)
    for boilerplate in ("Subscribe to our newsletter", "Copyright 2021", "Privacy policy", "Sport"):
        assert boilerplate not in page.text


def test_html_page_and_gzipped_copy(tmp_path: Path) -> None:
    d = tmp_path / "site"
    d.mkdir()
    (d / "story.html").write_text(ARTICLE_HTML, encoding="utf-8")
    (d / "story2.htm.gz").write_bytes(gzip.compress(ARTICLE_HTML.encode()))
    (d / "story3.html.zst").write_bytes(zstandard.ZstdCompressor().compress(ARTICLE_HTML.encode()))
    (d / "noext").write_text(ARTICLE_HTML, encoding="utf-8")  # sniffed as HTML when named as an input
    pages, ledger, warnings = read([d, d / "noext"])
    assert [p.source for p in pages] == ["site/story.html", "site/story2.htm.gz", "site/story3.html.zst", "noext"]
    skipped = file_entries(ledger)["site/noext"]  # in a folder, a file with no page extension is not read
    assert (skipped.status, skipped.reason) == ("skipped", "not a page format")
    for page in pages:
        assert page.kind == "html"
        _check_article(page)
    assert len({p.text for p in pages}) == 1
    assert file_entries(ledger)["site/story2.htm.gz"].status == "kept"
    assert warnings == []


def test_html_in_latin1_with_meta_charset(tmp_path: Path) -> None:
    html = ARTICLE_HTML.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    html = html.replace("on Thursday,", "on Thursday (température élevée, 5 £),")
    f = tmp_path / "latin.html"
    f.write_bytes(html.encode("latin-1"))
    pages, _, _ = read([f])
    assert pages[0].source == "latin.html"
    assert "(température élevée, 5 £)" in pages[0].text


# --------------------------------------------------------------------------------------------
# WARC
# --------------------------------------------------------------------------------------------


def write_warc(path: Path, html: str = ARTICLE_HTML, gz: bool = True) -> str:
    """One HTML response, one request and one non-HTML response; returns the HTML record's id."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        url = "https://www.example-news.com/2021/03/04/storm-floods"
        req = writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                        http_headers=StatusAndHeaders("GET /2021/03/04/storm-floods HTTP/1.1", [("Host", "www.example-news.com")], is_http_request=True))
        writer.write_record(req)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        resp = writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=headers)
        writer.write_record(resp)
        img_headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        img = writer.create_warc_record("https://www.example-news.com/logo.png", "response",
                                        payload=io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(100)), http_headers=img_headers)
        writer.write_record(img)
        return resp.rec_headers.get_header("WARC-Record-ID")


@pytest.mark.parametrize("gz", [True, False])
def test_warc_written_with_warcio(tmp_path: Path, gz: bool) -> None:
    name = "crawl.warc.gz" if gz else "crawl.warc"
    rid = write_warc(tmp_path / name, gz=gz)
    pages, ledger, warnings = read([tmp_path / name])
    assert len(pages) == 1
    page = pages[0]
    assert page.kind == "warc"
    assert page.source == f"{name}#{rid.strip('<>')}"
    assert page.record_id == rid
    assert page.url == "https://www.example-news.com/2021/03/04/storm-floods"
    assert page.outlet == "Example News"  # og:site_name, as for .html files; the host is in extra
    assert page.extra["host"] == "example-news.com"
    assert page.title == "Storm floods coastal towns"
    assert "Heavy rain and strong winds flooded" in page.text
    (entry,) = [e for e in ledger if e.level == "file"]
    assert entry.status == "kept" and entry.source == name
    assert "1 page" in entry.detail and "2 records skipped: non-html 1, request 1" in entry.detail
    assert [e for e in ledger if e.level == "record"] == []
    assert warnings == []


# --------------------------------------------------------------------------------------------
# JSONL
# --------------------------------------------------------------------------------------------

CUSTOM = ReaderConfig(jsonl=JsonlFields(id="doc_id", text="body", title="headline", url="link", outlet="source", date="pub"))
RECORDS = [
    {"doc_id": "a1", "body": "First story text.\nSecond line.", "headline": "First", "link": "https://www.first.example/x",
     "pub": "2020-05-06T07:08:09Z", "cluster": "7"},
    {"doc_id": 2, "body": "Second story text.", "headline": "Second", "source": "Wire Service", "pub": "26-FEB-1987 15:01:01.79"},
    {"doc_id": "h3", "body": ARTICLE_HTML, "pub": "not a date"},
]


def _jsonl_bytes() -> bytes:
    return "".join(json.dumps(r) + "\n" for r in RECORDS).encode()


@pytest.mark.parametrize("name, pack", [
    ("feed.jsonl", lambda b: b),
    ("feed.jsonl.gz", gzip.compress),
    ("feed.jsonl.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("feed.json", lambda b: b),
])
def test_jsonl_custom_fields(tmp_path: Path, name: str, pack) -> None:
    (tmp_path / name).write_bytes(pack(_jsonl_bytes()))
    pages, ledger, warnings = read([tmp_path / name], CUSTOM)
    assert [p.source for p in pages] == [f"{name}#1", f"{name}#2", f"{name}#3"]
    assert [p.record_id for p in pages] == ["a1", "2", "h3"]
    assert all(p.kind == "jsonl" for p in pages)
    a, b, c = pages
    assert (a.text, a.title, a.url, a.outlet, a.published) == (
        "First story text.\nSecond line.", "First", "https://www.first.example/x", "first.example", "2020-05-06")
    assert a.extra["jsonl"] == {"cluster": "7"}
    assert (b.outlet, b.published, b.url) == ("Wire Service", "1987-02-26", None)
    # an HTML body goes through the HTML extraction; the unparseable date is kept aside
    _check_article(c)
    assert c.extra["date_raw"] == "not a date"
    assert file_entries(ledger)[name].status == "kept"
    assert warnings == []


def test_json_array_file(tmp_path: Path) -> None:
    f = tmp_path / "records.json"
    f.write_text(json.dumps(RECORDS[:2], indent=2))
    pages, ledger, _ = read([f], CUSTOM)
    assert [p.source for p in pages] == ["records.json#1", "records.json#2"]
    assert pages[1].published == "1987-02-26"
    single = tmp_path / "one.json"
    single.write_text(json.dumps(RECORDS[0], indent=2))
    pages, ledger, _ = read([single], CUSTOM)
    assert [(p.source, p.record_id) for p in pages] == [("one.json#1", "a1")]


def test_reuters_json_array(shared_data: Path) -> None:
    cfg = ReaderConfig(jsonl=JsonlFields(text="body", id="attrs.newid"))  # a dotted path into "attrs"
    pages, ledger, warnings = read([shared_data / "reuters21578" / "reut2-000.json"], cfg)
    empty = [e for e in ledger if e.level == "record"]
    assert len(pages) + len(empty) == 1000 and len(pages) > 900
    assert {e.reason for e in empty} == {"empty"}  # records without a body
    first = pages[0]
    assert (first.source, first.record_id, first.title, first.published) == ("reut2-000.json#1", "1", "BAHIA COCOA REVIEW", "1987-02-26")
    assert first.extra["jsonl"]["places"] == ["el-salvador", "usa", "uruguay"]
    assert all(p.published and p.published.startswith("1987-") for p in pages)
    assert len(warnings) == 6  # five record warnings, then one line summing up the rest


# --------------------------------------------------------------------------------------------
# Folders, ordering, sources, symlinks
# --------------------------------------------------------------------------------------------


def test_nested_folders_sorted_and_sources(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b" / "c").mkdir(parents=True)
    (root / "a").mkdir()
    (root / ".git").mkdir()
    for rel in ["z.txt", "b/c/deep.txt", "b/a.txt", "a/y.txt", "a/x.txt", "B.txt", ".hidden.txt", ".git/config.txt"]:
        (root / rel).write_text(f"Text of {rel}.\n")
    (root / "plain.txt.gz").write_text("Not really gzip: the extension lies.\n")
    expected = ["corpus/B.txt", "corpus/a/x.txt", "corpus/a/y.txt", "corpus/b/a.txt", "corpus/b/c/deep.txt",
                "corpus/plain.txt.gz", "corpus/z.txt"]
    pages, ledger, _ = read([root])
    assert [p.source for p in pages] == expected
    assert pages[1].text == "Text of a/x.txt."
    assert pages[5].text == "Not really gzip: the extension lies."
    assert [e.source for e in ledger if e.level == "file"] == expected
    assert [p.source for p in read([root])[0]] == expected  # deterministic
    assert [s for _, s in iter_files([root])] == expected
    # a file input is named by its file name; a trailing slash or "." does not change folder names
    assert [p.source for p in read([root / "a" / "x.txt"])[0]] == ["x.txt"]
    assert [p.source for p in read([str(root) + "/"])[0]] == expected


def test_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("Outside the input folder.\n")
    (tmp_path / "secret_dir").mkdir()
    (tmp_path / "secret_dir" / "s.txt").write_text("Also outside.\n")
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_text("Inside the folder.\n")
    os.symlink(outside, root / "escape.txt")
    os.symlink("../../secret_dir", root / "sub" / "escape_dir")
    os.symlink("sub/real.txt", root / "inside_link.txt")
    os.symlink(root / "sub", root / "sub" / "loop")  # a loop inside the root
    pages, ledger, warnings = read([root])
    assert [p.source for p in pages] == ["in/inside_link.txt", "in/sub/real.txt"]
    assert all("outside" not in p.text.lower() for p in pages)
    entries = file_entries(ledger)
    assert entries["in/escape.txt"].status == "dropped" and entries["in/escape.txt"].reason == "outside_root"
    assert entries["in/sub/escape_dir"].reason == "outside_root"
    assert any("in/escape.txt" in w and "outside_root" in w for w in warnings)
    # the same file named directly is the user's choice and is read
    assert [p.text for p in read([root / "escape.txt"])[0]] == ["Outside the input folder."]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def test_metadata_helpers() -> None:
    assert normalize_date("2017-03-28T10:00:00+01:00") == "2017-03-28"
    assert normalize_date("Tue, 28 Mar 2017 10:00:00 GMT") == "2017-03-28"
    assert normalize_date("March 5, 2018") == "2018-03-05"
    assert normalize_date("26-FEB-1987 15:01:01.79") == "1987-02-26"
    assert normalize_date("20170328") == "2017-03-28"
    assert normalize_date(1490695200) == "2017-03-28"
    assert normalize_date("03/04/2018") is None and normalize_date("soon") is None
    assert unwrap_wayback("https://web.archive.org/web/20130428031108/http://www.forbes.com/x/") == "http://www.forbes.com/x/"
    assert host_of("https://web-beta.archive.org/web/2013id_/http://www.cnn.com/a") == "cnn.com"
    assert host_of("https://WWW.BBC.co.uk/news") == "bbc.co.uk"
    assert clean_sitename("CNN.com - New Orleans has fingers crossed on levees", "x") == "CNN.com"
    assert clean_sitename("BBC News", "Some title") == "BBC News"


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------


def test_seeds(seeds_dir: Path) -> None:
    pages, ledger, warnings = read([seeds_dir])
    names = sorted(p.name for p in seeds_dir.glob("*.txt"))
    assert len(names) == 5
    assert [p.source for p in pages] == [f"{seeds_dir.name}/{n}" for n in names]
    assert all(p.kind == "text" and len(p.text) > 1000 for p in pages)
    assert all(e.status == "kept" for e in ledger if e.level == "file")
    assert warnings == []


@pytest.fixture(scope="module")
def fundus(shared_data: Path):
    return read([shared_data / "warc" / "fundus_news.warc.gz"])


def test_fundus_warc(fundus, shared_data: Path) -> None:
    pages, ledger, warnings = fundus
    # 258 HTML responses; trafilatura finds no main text in one (a Next.js page of hankookilbo.com
    # whose article body is only in a script payload), which is dropped as no_content.
    assert len(pages) == 257
    records = [e for e in ledger if e.level == "record"]
    assert [(e.reason, e.status) for e in records] == [("no_content", "dropped")]
    assert len(pages) + len(records) == 258
    assert all(p.kind == "warc" and p.url and p.url.startswith("http") for p in pages)
    assert all(p.record_id and p.record_id.startswith("<urn:uuid:") for p in pages)
    assert len({p.record_id for p in pages}) == 257
    assert all(p.source == f"fundus_news.warc.gz#{p.record_id.strip('<>')}" for p in pages)
    assert all(p.title and p.outlet and len(p.text) > 100 for p in pages)
    (entry,) = [e for e in ledger if e.level == "file"]
    assert entry.status == "kept" and entry.detail.startswith("257 pages")
    index = {}
    with open(shared_data / "fundus" / "fundus_index.jsonl", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            index[d["url"]] = d
    assert all(p.url in index for p in pages)
    # publication dates: trafilatura agrees with the fundus gold on most pages
    same_day = sum(1 for p in pages if p.published and (index[p.url].get("publishing_date") or "")[:10] == p.published)
    assert same_day > 0.5 * len(pages)


def test_resiliparse_warcfile(shared_data: Path) -> None:
    pages, ledger, _ = read([shared_data / "warc" / "resiliparse_warcfile.warc.gz"])
    (entry,) = [e for e in ledger if e.level == "file"]
    assert entry.status == "kept"
    assert "metadata 16" in entry.detail and "request 17" in entry.detail and "warcinfo 1" in entry.detail
    assert len(pages) + sum(1 for e in ledger if e.level == "record") == 16
    assert len(pages) >= 12
    encodings = Counter(p.extra["encoding"] for p in pages)
    assert encodings["cp1251"] >= 1 and encodings["gb18030"] >= 1  # charsets from the HTTP headers


def _tokens(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def test_big9_html_sample(shared_data: Path) -> None:
    root = shared_data / "big9-dev"
    with open(root / "index.jsonl", encoding="utf-8") as fh:
        index = [json.loads(line) for line in fh]
    sample = index[::20]
    pages, ledger, _ = read([root / e["html"] for e in sample])
    assert len(pages) == len(sample)
    scores = []
    for entry, page in zip(sample, pages):
        assert page.kind == "html" and page.source == Path(entry["html"]).name
        assert page.title and len(page.title) > 5
        assert page.published and re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.published)
        gold = _tokens((root / entry["gold"]).read_text(encoding="utf-8", errors="replace"))
        got = _tokens(page.text)
        overlap = sum((gold & got).values())
        p, r = overlap / max(sum(got.values()), 1), overlap / max(sum(gold.values()), 1)
        scores.append(2 * p * r / (p + r) if overlap else 0.0)
        assert "| --" not in page.text  # layout tables are flattened
    assert sum(scores) / len(scores) > 0.85


def test_fix_text_fast_path_matches_ftfy():
    import ftfy

    from newsfold.stages.ingest.text import FTFY_CONFIG, fix_text

    samples = ["Plain ASCII wire copy.\n\nSecond paragraph & more.", "line\r\nbreaks\rhere", "esc \x1b[31mred\x1b[0m",
               "Iraqâ€™s parliament", "caf\u00e9 na\u00efve", "&amp; stays", "tab\tand  spaces  "]
    for s in samples:
        assert fix_text(s) == ftfy.fix_text(s, FTFY_CONFIG), s


def test_fix_text_shortcut_matches_ftfy_on_real_text(shared_data):
    import ftfy

    from newsfold.stages.ingest.text import FTFY_CONFIG, fix_text

    texts = []
    for name in ("stories-giveme5w1h-dev", "stories-multinews100"):
        texts += [json.loads(line)["text"] or "" for line in (shared_data / name / "articles.jsonl").open()]
    texts += [json.loads(line)["body_text"] or "" for line in (shared_data / "fundus" / "fundus_index.jsonl").open()]
    texts += [t.encode("utf-8").decode("cp1252", errors="replace") for t in texts[:100]]  # mojibake
    assert sum(fix_text(t) != ftfy.fix_text(t, FTFY_CONFIG) for t in texts) == 0


def test_ascii_text_with_one_cp1252_symbol_is_read(tmp_path):
    """Seen in big9's gold: ASCII text with a single cp1252 trademark byte (0x99) after a word."""
    (tmp_path / "tm.txt").write_bytes(b"Briefly returning to the Big Picture\x99, I'd be remiss not to mention it.\n" * 3)
    rows = []
    pages = list(read_inputs([tmp_path / "tm.txt"], ReaderConfig(), rows.append, lambda m: None))
    assert len(pages) == 1 and "Big Picture™," in pages[0].text
    assert rows[0].status == "kept"

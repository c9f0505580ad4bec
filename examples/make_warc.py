"""Write examples/corpus/wire/feed.warc.gz: a tiny crawl of two Northline News Agency pages.

The archive holds what a crawler such as wget or Heritrix would write for two article pages:
a ``warcinfo`` record, the ``request`` record for the first page, and one ``response`` record per
page (an HTTP/1.1 response with its headers and the HTML body).  Record ids and dates are fixed, so
running the script again writes the same archive:

    python examples/make_warc.py
"""
from __future__ import annotations

import html
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OUT = Path(__file__).resolve().parent / "corpus" / "wire" / "feed.warc.gz"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | Northline News Agency</title>
<meta property="og:site_name" content="Northline News Agency">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{date}T{time}Z">
<link rel="canonical" href="{url}">
</head>
<body>
<header>
<a class="brand" href="https://northline.example/">Northline</a>
<nav><a href="/world/">World</a> <a href="/business/">Business</a> <a href="/commodities/">Commodities</a>
<a href="/energy/">Energy</a> <a href="/subscribe/">Subscribe</a> <a href="/login/">Log in</a></nav>
</header>
<main>
<article>
<h1>{title}</h1>
<div class="byline">By {author} &middot; <time datetime="{date}T{time}Z">{date}</time></div>
{paragraphs}
</article>
<aside class="more-from-northline">
<h3>More from Northline</h3>
<ul>{related}</ul>
</aside>
</main>
<footer>
<p>Northline News Agency is an independent wire service. &copy; 2026 Northline News Agency.</p>
<p><a href="/terms/">Terms</a> <a href="/privacy/">Privacy</a> <a href="/licensing/">Content licensing</a></p>
</footer>
</body>
</html>
"""

ARTICLES = [
    {
        "url": "https://northline.example/world/2026/03/02/wadi-sarim-dam-gate-failure",
        "title": "Dam Gate Failure Floods Villages in Al-Rawdah, Thousands Displaced",
        "author": "Fiona Ashdown",
        "date": "2026-03-02",
        "time": "14:05:00",
        "record_id": "<urn:uuid:6f1d2c0e-8a4b-4e37-9c1e-2b7f4d0a9e01>",
        "paragraphs": [
            "AL-RAWDAH, March 2 (Northline) - A spillway gate at the Wadi Sarim dam broke early on Sunday after days "
            "of heavy rain, flooding farming villages downstream and forcing more than 6,000 people to leave their "
            "homes, provincial officials said.",
            "Two people were killed and four were missing, the civil defence directorate said. Rescue crews in boats "
            "lifted families from rooftops in the villages of Umm Tarif and Khirbat Salma, where water reached the "
            "first floor of many houses.",
            "Governor Khalid al-Hashimi said the province would compensate every household that had lost property and "
            "would set up an independent committee to investigate why the gate failed.",
            "\u201cEvery family that lost its home will have a roof over its head before the winter rains return,\u201d "
            "Hashimi told reporters at a shelter in the provincial capital.",
            "The water ministry said the main body of the dam was undamaged and that engineers had opened a second gate "
            "to lower the reservoir in a controlled way. By Sunday evening the water level had fallen by nearly four "
            "metres, it said.",
            "The Wadi Sarim dam, built in the 1980s, irrigates about 40,000 hectares of wheat and vegetable farms. A "
            "ministry inspection last year said the spillway gates needed urgent repair, according to a summary "
            "published on the ministry's website.",
            "The United Nations humanitarian office said it was ready to send tents and water purification equipment "
            "if the provincial authorities asked for help.",
            "(Reporting by Fiona Ashdown; Editing by Marcus Reilly)",
        ],
        "related": [
            ("/energy/2026/03/01/rainfall-february-record", "February rainfall breaks coastal records"),
            ("/business/2026/02/26/wheat-prices-region", "Regional wheat prices climb on export hopes"),
        ],
    },
    {
        "url": "https://northline.example/commodities/2026/03/05/port-selwyn-novomirsk-grain-corridor",
        "title": "Port Selwyn and Novomirsk Sign Grain Corridor Agreement",
        "author": "Tomas Lindgren",
        "date": "2026-03-05",
        "time": "16:40:00",
        "record_id": "<urn:uuid:0c83f5a2-77d1-4b0e-a3f6-5e9d1c4b8a02>",
        "paragraphs": [
            "PORT SELWYN, March 5 (Northline) - Officials signed an agreement on Thursday to ship grain from the river "
            "terminals at Novomirsk through Port Selwyn, opening a route that traders say could carry up to four "
            "million tonnes of wheat and barley a year.",
            "Deputy Transport Minister Yevgeny Dorofeyev and Port Selwyn Authority chairwoman Ingrid Vasquez-Holm "
            "signed the deal after eight months of talks. Under its terms, every vessel will be inspected by joint "
            "customs teams at both ends of the route, and four berths at the Port Selwyn grain terminal will be "
            "reserved for corridor traffic.",
            "\u201cThe corridor will stay open for as long as every ship keeps to the inspection schedule,\u201d "
            "Dorofeyev told reporters after the signing.",
            "The first three bulk carriers are expected to load in late March. The port authority said dredging of the "
            "approach channel to the grain terminal would start next week so that larger ships could use it.",
            "Traders said high insurance premiums remained the biggest obstacle to using the route. Dorofeyev said his "
            "ministry would ask the state insurer to share the risk during the first year.",
            "Benchmark wheat futures fell 1.2 percent after the announcement, as traders priced in additional supply "
            "reaching export markets in the second quarter.",
            "(Reporting by Tomas Lindgren; Editing by Helen Cardew)",
        ],
        "related": [
            ("/business/2026/03/03/port-selwyn-dockworkers-strike", "Port Selwyn dockworkers strike over night pay"),
            ("/commodities/2026/02/20/black-sea-freight-rates", "Bulk freight rates ease in February"),
        ],
    },
]


def render(a: dict) -> bytes:
    paragraphs = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in a["paragraphs"])
    related = "".join(f'<li><a href="{href}">{html.escape(text)}</a></li>' for href, text in a["related"])
    page = PAGE.format(title=html.escape(a["title"]), url=a["url"], author=a["author"], date=a["date"],
                       time=a["time"], paragraphs=paragraphs, related=related)
    return page.encode("utf-8")


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        info = writer.create_warcinfo_record("feed.warc.gz", {
            "software": "newsfold examples/make_warc.py",
            "format": "WARC File Format 1.1",
            "description": "Two Northline News Agency article pages (invented), for the newsfold example corpus",
        })
        info.rec_headers.replace_header("WARC-Date", "2026-03-05T18:00:00Z")
        info.rec_headers.replace_header("WARC-Record-ID", "<urn:uuid:2a9e4b1f-5c3d-4e8a-b7f0-1d6c9e3a5b00>")
        writer.write_record(info)
        for n, a in enumerate(ARTICLES):
            date = f"{a['date']}T18:0{n + 1}:00Z"
            host = a["url"].split("/")[2]
            path = "/" + a["url"].split("/", 3)[3]
            if n == 0:  # the crawler's request for the first page
                req_headers = StatusAndHeaders(f"GET {path} HTTP/1.1", [
                    ("Host", host),
                    ("User-Agent", "Mozilla/5.0 (compatible; newsfold-example-crawler/1.0)"),
                    ("Accept", "text/html,application/xhtml+xml"),
                    ("Accept-Encoding", "identity"),
                ], is_http_request=True)
                req = writer.create_warc_record(a["url"], "request", payload=BytesIO(b""), http_headers=req_headers,
                                                warc_headers_dict={
                                                    "WARC-Date": date,
                                                    "WARC-Record-ID": "<urn:uuid:9b2e6d4a-3f1c-4a5e-8d7b-6c0e2f1a4d10>",
                                                    "WARC-Concurrent-To": a["record_id"],
                                                })
                writer.write_record(req)
            body = render(a)
            http_headers = StatusAndHeaders("200 OK", [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Date", "Thu, 05 Mar 2026 18:00:00 GMT"),
                ("Server", "nginx"),
                ("Cache-Control", "max-age=300"),
            ], protocol="HTTP/1.1")
            resp = writer.create_warc_record(a["url"], "response", payload=BytesIO(body), http_headers=http_headers,
                                             warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": a["record_id"]})
            writer.write_record(resp)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

"""Cleaned article text against hand-marked gold, beside plain trafilatura, on the same pages.

    python bench/extraction.py [--shared ../shared] [--sets big9 fundus]

Scores are 4-token-shingle precision/recall/F1 per page (as the public article-extraction
benchmark computes them), averaged per outlet and per set.  "trafilatura" is
``trafilatura.extract(html)`` with its defaults; "newsfold" is ``newsfold.run`` over the same folder
(trafilatura inside, then rule cleaning and boilerplate learned across each outlet's pages).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from statistics import mean

import lxml.html
import pyarrow.parquet as pq
import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import newsfold  # noqa: E402
from newsfold.config import Config  # noqa: E402
from newsfold.eval.metrics import shingle_prf  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def load_big9(shared: Path) -> tuple[Path, list[dict]]:
    root = shared / "data" / "big9-dev"
    pages = []
    for line in (root / "index.jsonl").read_text().splitlines():
        d = json.loads(line)
        pages.append({"outlet": d["outlet"], "path": root / d["html"], "source": "html/" + d["html"].removeprefix("html/"),
                      "gold": (root / d["gold"]).read_text("utf-8", errors="replace")})
    return root / "html", pages


def load_fundus(shared: Path) -> tuple[Path, list[dict]]:
    """fundus_index.jsonl pairs a publisher's files with the gold of its *other* pages when it has
    several (seen: BR, DW, BoersenZeitung...); re-pair each gold with the file of that publisher whose
    whole-page text (every text node, no extraction) covers most of the gold's shingles.  This is
    neutral between the tools: neither extractor's output is used to pair."""
    root = shared / "data" / "fundus"
    base = root / "tests" / "resources" / "parser" / "test_data"
    rows = [json.loads(line) for line in (root / "fundus_index.jsonl").read_text().splitlines()]
    by_pub: dict[str, list[dict]] = defaultdict(list)
    for d in rows:
        by_pub[d["publisher"]].append(d)
    pages = []
    for pub, ds in by_pub.items():
        whole = {d["file"]: page_text(read_html(root / d["file"])) for d in ds} if len(ds) > 1 else {}
        for d in ds:
            f = max(whole, key=lambda k: shingle_prf(whole[k], d["body_text"] or "")[1]) if whole else d["file"]
            rel = Path(f).relative_to("tests/resources/parser/test_data")
            pages.append({"outlet": pub, "path": base / rel, "source": f"test_data/{rel.as_posix()}", "gold": d["body_text"] or ""})
    return base, pages


def page_text(html: str) -> str:
    try:
        return lxml.html.fromstring(html.encode("utf-8")).text_content()
    except Exception:
        return html


def read_html(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def run_trafilatura(pages: list[dict]) -> tuple[dict[str, str], float]:
    t = time.perf_counter()
    out = {p["source"]: trafilatura.extract(read_html(p["path"])) or "" for p in pages}
    return out, time.perf_counter() - t


def run_newsfold(folder: Path, pages: list[dict], work: Path) -> tuple[dict[str, str], float]:
    t = time.perf_counter()
    cfg = Config(progress=False)
    cfg.steps.stories = cfg.steps.entities = False  # this measures extraction and cleaning
    newsfold.run([folder], work, cfg, warn=lambda m: None)
    secs = time.perf_counter() - t
    texts = {a["article_id"]: a["text"] for a in pq.read_table(work / "articles.parquet", columns=["article_id", "text"]).to_pylist()}
    by_source: dict[str, list[str]] = defaultdict(list)
    for c in pq.read_table(work / "copies.parquet", columns=["source", "article_id", "span_start"]).to_pylist():
        by_source[c["source"]].append(texts[c["article_id"]])
    return {p["source"]: "\n\n".join(by_source.get(p["source"], [])) for p in pages}, secs


def score(pages: list[dict], texts: dict[str, str]) -> dict:
    per_outlet: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for p in pages:
        per_outlet[p["outlet"]].append(shingle_prf(texts[p["source"]], p["gold"]))
    allp = [s for v in per_outlet.values() for s in v]
    agg = lambda xs: {"precision": mean(x[0] for x in xs), "recall": mean(x[1] for x in xs), "f1": mean(x[2] for x in xs), "pages": len(xs)}
    return {"all": agg(allp), "outlets": {o: agg(v) for o, v in sorted(per_outlet.items())}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--sets", nargs="+", default=["big9", "fundus"])
    args = ap.parse_args()
    results = {}
    for name in args.sets:
        folder, pages = {"big9": load_big9, "fundus": load_fundus}[name](args.shared)
        traf, traf_s = run_trafilatura(pages)
        with tempfile.TemporaryDirectory() as tmp:
            ours, ours_s = run_newsfold(folder, pages, Path(tmp) / "out")
        results[name] = {
            "trafilatura": {**score(pages, traf), "seconds": traf_s, "pages_per_s": len(pages) / traf_s},
            "newsfold": {**score(pages, ours), "seconds": ours_s, "pages_per_s": len(pages) / ours_s},
        }
        r = results[name]
        print(f"\n== {name}: {len(pages)} pages (4-token shingles, mean per page)")
        print(f"{'outlet':<22}{'traf P':>8}{'traf R':>8}{'traf F1':>9}{'ours P':>8}{'ours R':>8}{'ours F1':>9}{'ΔF1':>8}")
        rows = [("ALL", r["trafilatura"]["all"], r["newsfold"]["all"])]
        if name == "big9":
            rows += [(o, r["trafilatura"]["outlets"][o], r["newsfold"]["outlets"][o]) for o in r["newsfold"]["outlets"]]
        for o, a, b in rows:
            print(f"{o:<22}{a['precision']:8.3f}{a['recall']:8.3f}{a['f1']:9.3f}{b['precision']:8.3f}{b['recall']:8.3f}{b['f1']:9.3f}{b['f1'] - a['f1']:+8.3f}")
        print(f"speed: trafilatura {r['trafilatura']['pages_per_s']:.1f} pages/s, newsfold (whole pipeline) {r['newsfold']['pages_per_s']:.1f} pages/s,"
              f" ratio {r['newsfold']['pages_per_s'] / r['trafilatura']['pages_per_s']:.2f}")
    out = REPO / "bench" / "results" / "extraction.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()

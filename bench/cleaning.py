"""What the cleaning rules remove, rule by rule, and how much of it was the article's own text.

    python bench/cleaning.py [--shared ../shared] [--sets gold giveme] [--json OUT.json]

* ``gold``: the hand-marked pages in ``tests/gold/cleaning`` (guides, reviews, blogs, several pages per
  site). A removed line is *article text* when it is a line of the page's gold text; a *leftover* is a
  kept line that is not in the gold text.
* ``giveme``: ``stories-giveme5w1h-dev/articles.jsonl`` (plain text with scraping leftovers, no gold).
  Counts the leftovers the issue names (NPR's "Enlarge this image toggle caption …" and "Read more"
  in its leftover forms) that stay in the cleaned text, and the removals per rule.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import newsfold  # noqa: E402
from newsfold.stages.clean.cleaner import norm_line  # noqa: E402
from newsfold.config import Config  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "tests" / "gold" / "cleaning"
# leftover forms in giveme: NPR's caption toggle, "Read more" alone, "Read more: <headline>", "<headline> Read more"
GIVEME_LEFTOVERS = {
    "npr_enlarge": re.compile(r"Enlarge this image.*"),
    "read_more": re.compile(r"(?:Read more|READ MORE|Read More)(?::.*)?|.{10,}\S Read more"),
}


def run(inputs: list[Path], work: Path, cfg: Config | None = None) -> dict[str, list]:
    cfg = cfg or Config(progress=False)
    cfg.progress = False
    cfg.steps.stories = cfg.steps.entities = False  # this measures cleaning
    newsfold.run(inputs, work, cfg, warn=lambda m: None)
    return {name: pq.read_table(work / f"{name}.parquet").to_pylist() for name in ("articles", "copies", "removals")}


def gold_pages() -> list[tuple[Path, str]]:
    """(page file, its gold text) for every page of the gold set."""
    out = []
    for page in sorted((GOLD / "pages").rglob("*.txt")):
        gold = GOLD / "gold" / page.relative_to(GOLD / "pages")
        out.append((page, gold.read_text("utf-8")))
    return out


def score_gold(tables: dict[str, list]) -> dict:
    """Per rule: lines removed, and how many of them were article text; and the leftovers kept."""
    gold = {p.relative_to(GOLD / "pages").as_posix(): {norm_line(ln) for ln in g.splitlines() if ln.strip()}
            for p, g in gold_pages()}
    copy_page = {c["copy_id"]: c["source"].split("#", 1)[0] for c in tables["copies"]}
    per_rule: dict[str, Counter] = defaultdict(Counter)
    wrong: list[tuple[str, str, str]] = []
    for r in tables["removals"]:
        if r["rule"] == "title":
            continue  # the headline moves to the title field; it is not removed from the article
        page = _rel(copy_page[r["copy_id"]], gold)
        hit = norm_line(r["text"]) in gold[page]
        per_rule[r["rule"]]["removed"] += 1
        per_rule[r["rule"]]["article_text"] += hit
        if hit:
            wrong.append((page, r["rule"], r["text"]))
    arts = {a["article_id"]: a for a in tables["articles"]}
    leftovers = []
    for c in tables["copies"]:
        page = _rel(c["source"].split("#", 1)[0], gold)
        for ln in arts[c["article_id"]]["text"].splitlines():
            if ln.strip() and norm_line(ln) not in gold[page]:
                leftovers.append((page, ln))
    return {"rules": {k: dict(v) for k, v in sorted(per_rule.items())}, "article_text_removed": wrong,
            "leftovers": sorted(set(leftovers))}


def _rel(source: str, gold: dict) -> str:
    return next(k for k in gold if source.endswith(k))


def score_giveme(tables: dict[str, list]) -> dict:
    per_rule = Counter(r["rule"] for r in tables["removals"])
    kept: dict[str, list[str]] = defaultdict(list)
    arts_with: dict[str, set] = defaultdict(set)
    for a in tables["articles"]:
        for ln in a["text"].splitlines():
            for name, pat in GIVEME_LEFTOVERS.items():
                if pat.fullmatch(ln.strip()):
                    kept[name].append(ln.strip())
                    arts_with[name].add(a["article_id"])
    return {"rules": dict(sorted(per_rule.items())), "leftover_lines": {k: len(v) for k, v in kept.items()},
            "leftover_articles": {k: len(v) for k, v in arts_with.items()}, "leftovers": dict(kept)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--sets", nargs="+", default=["gold", "giveme"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "gold" in args.sets:
            results["gold"] = score_gold(run([GOLD / "pages"], Path(tmp) / "gold"))
            print("== gold: rule, removed, of them article text")
            for rule, c in results["gold"]["rules"].items():
                print(f"  {rule:<22}{c['removed']:>5}{c.get('article_text', 0):>5}")
            for page, rule, text in results["gold"]["article_text_removed"]:
                print(f"  ARTICLE TEXT REMOVED {page} [{rule}] {text[:90]}")
            for page, text in results["gold"]["leftovers"]:
                print(f"  LEFTOVER KEPT {page}: {text[:90]}")
        if "giveme" in args.sets:
            src = args.shared / "data" / "stories-giveme5w1h-dev" / "articles.jsonl"
            results["giveme"] = score_giveme(run([src], Path(tmp) / "giveme"))
            g = results["giveme"]
            print("== giveme: removals per rule")
            for rule, n in g["rules"].items():
                print(f"  {rule:<22}{n:>5}")
            print("  leftover lines kept:", g["leftover_lines"], "in articles:", g["leftover_articles"])
            for name, lines in g["leftovers"].items():
                for ln in lines:
                    print(f"  KEPT [{name}] {ln[:100]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

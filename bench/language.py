"""Language identification on fundus (258 pages, 181 publishers, 41 countries): accuracy, cost, and the peer.

    python bench/language.py                 # default run on fundus, then the checks below
    python bench/language.py --no-run        # thresholds and the peer only (no pipeline run)

1. A default ``newsfold run`` on the fundus pages: the language step's seconds against the whole
   run's (the goal: under 5 %), and every article's language against its publisher's
   (``tests/gold/fundus_languages.json``), with the distribution.
2. The peer, lingua (``lingua-language-detector``, all languages, high accuracy mode), on the same
   article texts: seconds and accuracy beside py3langid's.
3. The two thresholds of ``newsfold.stages.language`` (``MIN_CHARS``, ``MIN_PROB``), chosen on the
   publishers of one half (by a hash of their name) and scored on the other, both ways: each article is cut to
   prefixes of 10 to 300 characters (short texts, as leftovers and briefs are); on each half the
   setting chosen is the one with the fewest wrong answers, then the fewest "und"s, scored on the
   other half; the shipped setting is the stricter of the two choices (a wrong language sends an article
   to the wrong model; "und" only leaves it to its page's language, or without entities).

Writes bench/results/language.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import xxhash

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsfold.stages.language import UNDETERMINED, LanguageIdentifier  # noqa: E402

SHARED = Path(os.environ.get("NEWSFOLD_SHARED", REPO.parent / "shared")) / "data" / "fundus"
GOLD = json.loads((REPO / "tests" / "gold" / "fundus_languages.json").read_text())["publishers"]
PREFIXES = (10, 20, 30, 40, 60, 80, 120, 200, 300)
MIN_CHARS = (10, 20, 30, 40, 60, 80)
MIN_PROBS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def publishers() -> dict[str, str]:
    """File name -> publisher."""
    rows = [json.loads(line) for line in (SHARED / "fundus_index.jsonl").open()]
    return {Path(r["file"]).name: r["publisher"] for r in rows}


def default_run(out: Path) -> tuple[dict, list[dict], float]:
    import pyarrow.parquet as pq

    import newsfold
    from newsfold.config import Config

    t = time.perf_counter()
    s = newsfold.run([SHARED / "tests"], out, Config(), warn=lambda m: None)
    wall = time.perf_counter() - t
    arts = pq.read_table(out / "articles.parquet", columns=["article_id", "title", "text", "source", "language"]).to_pylist()
    lang = {a["article_id"]: a["language"] for a in arts}
    mentioned = pq.read_table(out / "mentions.parquet", columns=["article_id"]).column("article_id").to_pylist()
    summary = s.to_dict()
    summary["mentions_by_language"] = dict(Counter(lang[a] for a in mentioned))
    return summary, arts, wall


def articles_from_index() -> list[dict]:
    rows = [json.loads(line) for line in (SHARED / "fundus_index.jsonl").open()]
    return [{"source": r["file"], "title": r["title"], "text": r["body_text"] or ""} for r in rows]


def accuracy(arts: list[dict], who: dict[str, str], key: str) -> dict:
    right = wrong = und = 0
    errors = []
    for a in arts:
        gold = GOLD[who[Path(a["source"]).name]]
        got = a[key]
        if got == UNDETERMINED:
            und += 1
        elif got == gold:
            right += 1
        else:
            wrong += 1
            errors.append(f"{a['source']}: {got} (publisher: {gold})")
    return {"articles": len(arts), "right": right, "wrong": wrong, "und": und, "errors": errors}


def lingua_peer(texts: list[str]) -> tuple[list[str], float]:
    from lingua import LanguageDetectorBuilder

    t = time.perf_counter()
    det = LanguageDetectorBuilder.from_all_languages().build()
    got = det.detect_languages_in_parallel_of(texts) if hasattr(det, "detect_languages_in_parallel_of") else [
        det.detect_language_of(x) for x in texts]
    sec = time.perf_counter() - t
    codes = [g.iso_code_639_1.name.lower() if g else UNDETERMINED for g in got]
    return [{"nb": "no", "nn": "no"}.get(c, c) for c in codes], sec


def choose_thresholds(arts: list[dict], who: dict[str, str]) -> dict:
    """Grid over (min_chars, min_prob) on prefixes; chosen on half A, scored on half B."""
    ident = LanguageIdentifier()
    half = {p: xxhash.xxh3_64_intdigest(p.encode()) % 2 for p in set(who.values())}
    probes = []  # (half, gold, letters, code, prob) per article prefix
    for a in arts:
        pub = who[Path(a["source"]).name]
        text = a["text"]
        for n in PREFIXES:
            head = text[:n]
            if len(head) < n and n > PREFIXES[0]:
                break
            code, prob = ident.classify(head)
            probes.append((half[pub], GOLD[pub], sum(ch.isalpha() for ch in head), code, prob))

    def cost(side: int, mc: int, mp: float) -> tuple[int, int, int]:
        wrong = und = n = 0
        for h, gold, letters, code, prob in probes:
            if h != side:
                continue
            n += 1
            if letters < mc or prob < mp:
                und += 1
            elif code != gold:
                wrong += 1
        return wrong, und, n

    folds = {}
    for side, name in ((0, "A"), (1, "B")):
        grid = {(mc, mp): cost(side, mc, mp) for mc in MIN_CHARS for mp in MIN_PROBS}
        best = min(grid, key=lambda k: (grid[k][0], grid[k][1], -k[0], -k[1]))
        held = cost(1 - side, *best)
        folds[f"chosen_on_{name}"] = {"min_chars": best[0], "min_prob": best[1],
                                      "tuning": dict(zip(("wrong", "und", "probes"), grid[best])),
                                      "held_out": dict(zip(("wrong", "und", "probes"), held))}
    # shipped: the stricter of the two folds' choices
    mc = max(f["min_chars"] for f in folds.values())
    mp = max(f["min_prob"] for f in folds.values())
    folds["shipped"] = {"min_chars": mc, "min_prob": mp,
                        "A": dict(zip(("wrong", "und", "probes"), cost(0, mc, mp))),
                        "B": dict(zip(("wrong", "und", "probes"), cost(1, mc, mp)))}
    return folds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="skip the default run (use the index's body texts)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "language.json")
    args = ap.parse_args()
    who = publishers()
    result: dict = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus (shared)"}
    if args.no_run:
        arts = articles_from_index()
        ident = LanguageIdentifier()
        t = time.perf_counter()
        for a in arts:
            a["language"] = ident.detect(f"{a['title']}\n{a['text']}")
        result["py3langid_seconds"] = round(time.perf_counter() - t, 3)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            summary, arts, wall = default_run(Path(tmp) / "out")
        sec = summary["seconds"]
        result["run"] = {"pages": summary["pages"], "articles": summary["articles"], "wall_seconds": round(wall, 2),
                         "language_seconds": sec.get("language", 0.0),
                         "language_share": round(sec.get("language", 0.0) / wall, 4),
                         "seconds": sec, "languages": summary["languages"], "no_ner_model": summary["no_ner_model"],
                         "mentions_by_language": summary["mentions_by_language"]}
        print(f"default run: {summary['pages']} pages, {summary['articles']} articles, {wall:.1f} s; language step "
              f"{sec.get('language', 0):.2f} s = {100 * sec.get('language', 0) / wall:.1f} % (goal < 5 %)")
        print("languages:", summary["languages"])
        print("no NER model:", summary["no_ner_model"])
        print("entity mentions by the article's language:", summary["mentions_by_language"])
    result["py3langid"] = accuracy(arts, who, "language")
    texts = [f"{a['title']}\n{a['text']}" if a["title"] else a["text"] for a in arts]
    codes, lsec = lingua_peer(texts)
    for a, c in zip(arts, codes):
        a["lingua"] = c
    result["lingua"] = {"seconds": round(lsec, 2), **accuracy(arts, who, "lingua")}
    for name in ("py3langid", "lingua"):
        r = result[name]
        print(f"{name}: {r['right']}/{r['articles']} right, {r['wrong']} wrong, {r['und']} und"
              + (f", {r['seconds']} s" if "seconds" in r else ""))
        for e in r["errors"]:
            print("   ", e)
    result["thresholds"] = choose_thresholds(arts, who)
    th = result["thresholds"]
    for k, v in th.items():
        print(f"thresholds {k}: {v}")
    result["distribution"] = dict(Counter(a["language"] for a in arts).most_common())
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()

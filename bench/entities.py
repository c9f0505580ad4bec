"""Benchmark entity extraction and canonicalisation (CPU), beside the NER model alone.

    python bench/entities.py                      # giveme5w1h + multinews100 (~500 articles)
    python bench/entities.py --limit 100 --out /tmp/e.json
    python bench/entities.py --quality-only --out /tmp/q.json   # the gold-set scores alone

Reports articles/s for: the NER model alone (spaCy on the raw fields, the baseline), our
extraction (NER plus span clean-up), canonicalisation (type votes, the second pass, clustering),
and the two together; plus the gold-set scores (ours vs NER alone).  Writes JSON to
bench/results/entities.json.

GPU: not measured.  en_core_web_sm is a CPU model (spaCy's small CNN pipelines gain nothing on a
GPU); a GPU path would be ``spacy.prefer_gpu()`` with a transformer pipeline (en_core_web_trf),
which is not installed here.  Canonicalisation is pure Python.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsfold.stages.entities import EntityConfig, EntityExtractor, article_contexts, canonicalize  # noqa: E402
from newsfold.eval.entities import (baseline_mentions, dataset_articles, gold_articles, gold_mentions, load_gold,
    restrict, score, system_mentions)

SETS = ("stories-giveme5w1h-dev", "stories-multinews100")


CPU: dict[str, float] = {}


def timed(fn, label: str = ""):
    """(result, wall seconds); the process CPU seconds go to CPU[label] (the machine is shared,
    so wall time includes waiting for a core)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    CPU[label] = time.process_time() - c0
    return out, time.perf_counter() - t0


def quality(ex: EntityExtractor, cfg: EntityConfig, shared: Path) -> dict:
    """Scores on the gold set, ours and the NER model alone: on all of it, on the articles
    annotated whole (the first 39) and on those annotated in windows (the 66 added with issue 14)."""
    gold = load_gold(REPO / "tests" / "gold" / "entities_gold.jsonl")
    garts = gold_articles(gold, shared)
    res = canonicalize(ex.extract(garts), article_contexts(garts), cfg)
    ours = restrict(system_mentions(res.mentions, res.entity_of), gold, garts)
    base = restrict(baseline_mentions(ex.raw(garts)), gold, garts)
    g = gold_mentions(gold, garts)
    out = {"gold_articles": len(garts), "gold_mentions": len(g),
           "ours": score(g, ours), "ner_alone": score(g, base)}
    for part, windowed in (("whole_articles", False), ("windowed_articles", True)):
        ids = {a.article_id for a in garts
               if ((a.extra["set"], a.extra["ref"]) in gold.windows) == windowed}
        gp = [m for m in g if m[0][0] in ids]
        out[part] = {"articles": len(ids), "gold_mentions": len(gp),
                     "ours": score(gp, [m for m in ours if m[0][0] in ids]),
                     "ner_alone": score(gp, [m for m in base if m[0][0] in ids])}
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path,
                    default=Path(os.environ.get("NEWSFOLD_SHARED", REPO.parent / "shared")))
    ap.add_argument("--limit", type=int, default=0, help="articles to use (0: all)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "entities.json")
    ap.add_argument("--no-quality", action="store_true", help="skip the gold-set scores")
    ap.add_argument("--quality-only", action="store_true", help="only the gold-set scores (no timing)")
    args = ap.parse_args(argv)

    cfg = EntityConfig()
    ex = EntityExtractor(cfg)
    if args.quality_only:
        report = {"quality": quality(ex, cfg, args.shared), "config": cfg.to_dict()}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report["quality"], indent=2))
        return report
    articles = []
    for name in SETS:
        articles += dataset_articles(args.shared / "data" / name / "articles.jsonl")
    if args.limit:
        articles = articles[: args.limit]
    n, chars = len(articles), sum(len(a.text) + len(a.title or "") for a in articles)
    _, load_s = timed(lambda: ex.nlp)
    list(ex.extract(articles[:5]))  # warm up
    raw, raw_s = timed(lambda: list(ex.raw(articles)), "ner_alone")
    mentions, ext_s = timed(lambda: list(ex.extract(articles)), "extraction")
    result, canon_s = timed(lambda: canonicalize(mentions, article_contexts(articles), cfg),
                            "canonicalisation")

    def rate(seconds: float) -> float:
        return round(n / seconds, 2) if seconds else 0.0

    import spacy

    report = {
        "sets": list(SETS), "n_articles": n, "n_chars": chars,
        "device": "cpu", "gpu": "not measured (sm model is CPU-only; a GPU path would be "
                                 "spacy.prefer_gpu() with a transformer pipeline)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "spacy": spacy.__version__, "model": cfg.model,
                    "components": list(ex.nlp.pipe_names)},
        "model_load_s": round(load_s, 2),
        "ner_alone": {"seconds": round(raw_s, 2), "articles_per_s": rate(raw_s),
                      "cpu_seconds": round(CPU["ner_alone"], 2),
                      "articles_per_cpu_s": rate(CPU["ner_alone"]),
                      "mentions": sum(1 for m in raw if m.type)},
        "extraction": {"seconds": round(ext_s, 2), "articles_per_s": rate(ext_s),
                       "cpu_seconds": round(CPU["extraction"], 2),
                       "articles_per_cpu_s": rate(CPU["extraction"]), "mentions": len(mentions)},
        "canonicalisation": {"seconds": round(canon_s, 2), "articles_per_s": rate(canon_s),
                             "cpu_seconds": round(CPU["canonicalisation"], 2),
                             "articles_per_cpu_s": rate(CPU["canonicalisation"]),
                             "mentions": len(result.mentions), "entities": len(result.entities)},
        "ours_total": {"seconds": round(ext_s + canon_s, 2), "articles_per_s": rate(ext_s + canon_s),
                       "articles_per_cpu_s": rate(CPU["extraction"] + CPU["canonicalisation"])},
        "config": cfg.to_dict(),
    }
    if not args.no_quality:
        report["quality"] = quality(ex, cfg, args.shared)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("n_articles", "ner_alone", "extraction",
                                              "canonicalisation", "ours_total")}, indent=2))
    return report


if __name__ == "__main__":
    main()

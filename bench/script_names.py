"""What names across scripts (stages/entities/script.py) cost inside canonicalisation.

    python bench/script_names.py CORPUS [CORPUS ...]            # corpora written by `newsfold run`
    python bench/script_names.py CORPUS --copies 200 1000       # and N copies of CORPUS's Arabic stories

For each corpus: ``canonicalize`` over its stored NER mentions and its articles, as a run does it,
and the time of the cross-script step alone (``across_scripts``, timed where canon calls it), with
the number of mentions it finds.  ``--copies N``: every story of the first corpus that holds an
Arabic-script article is copied N times (new ids, each copy its own story), to see how the step
grows with the number of Arabic articles.  Prints one JSON line per case.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import pyarrow.parquet as pq  # noqa: E402

import newsfold.stages.entities.canon as canon  # noqa: E402
from newsfold.engine.enrich import iter_articles  # noqa: E402
from newsfold.stages.entities import ArticleContext, EntityConfig, Mention, article_contexts  # noqa: E402


def load(corpus: Path) -> tuple[list[Mention], dict[str, ArticleContext]]:
    stored = corpus / "current" / "state" / "entities" / "mentions.parquet"
    raw = [Mention(**r) for r in pq.read_table(stored).to_pylist()]
    return raw, article_contexts(iter_articles(corpus / "articles.parquet"))


def measure(name: str, raw: list[Mention], ctx: dict[str, ArticleContext]) -> dict:
    spent: list[float] = []
    step = canon.across_scripts

    def timed(*args, **kw):
        t = time.perf_counter()
        out = step(*args, **kw)
        spent.append(time.perf_counter() - t)
        return out

    canon.across_scripts = timed
    try:
        t = time.perf_counter()
        result = canon.canonicalize(raw, ctx, EntityConfig())
        total = time.perf_counter() - t
    finally:
        canon.across_scripts = step
    langs = set(EntityConfig().script_languages)
    return {"case": name, "articles": len(ctx), "arabic_script_articles": sum(c.language in langs for c in ctx.values()),
            "mentions": len(raw), "canonicalize_s": round(total, 3), "across_scripts_s": round(sum(spent), 4),
            "script_mentions": sum(m.source == "script" for m in result.mentions)}


def copies(raw: list[Mention], ctx: dict[str, ArticleContext], n: int) -> tuple[list[Mention], dict]:
    langs = set(EntityConfig().script_languages)
    stories = {c.story_id for c in ctx.values() if c.language in langs and c.story_id}
    members = {aid for aid, c in ctx.items() if c.story_id in stories}
    out_raw, out_ctx = [], {}
    for i in range(n):
        for aid in members:
            c = ctx[aid]
            out_ctx[f"{aid}_{i}"] = ArticleContext(f"{c.story_id}_{i}", c.fields, c.title, c.outlet, c.language)
        out_raw += [Mention(f"{m.article_id}_{i}", m.field, m.start, m.end, m.surface, m.label, m.type, m.source)
                    for m in raw if m.article_id in members]
    return out_raw, out_ctx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--copies", nargs="*", type=int, default=[])
    args = ap.parse_args()
    for corpus in args.corpora:
        print(json.dumps(measure(str(corpus), *load(corpus))))
    raw, ctx = load(args.corpora[0])
    for n in args.copies:
        print(json.dumps(measure(f"{args.corpora[0]} x{n}", *copies(raw, ctx, n))))


if __name__ == "__main__":
    main()

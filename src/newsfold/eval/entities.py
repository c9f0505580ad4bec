"""Evaluation of entities against a hand-written gold set, and the NER-alone baseline.

The gold file (``tests/gold/entities_gold.jsonl``) holds one JSON record a line:

- ``{"kind": "article", "set": "seeds"|"giveme5w1h"|"fundus", "article": REF, "mentions": [...]}``
  with each mention ``{"field", "start", "end", "surface", "type", "entity"}``.  REF is the
  dataset id (giveme5w1h), ``A1``…``A7`` (the seed articles, see ``seed_articles``) or a fundus
  page's path under ``tests/resources/parser/test_data/`` (its title and ``body_text`` in
  ``fundus_index.jsonl``; each page a story of its own).  Offsets refer to the dataset's own
  title/text (and to the seed parse below); only the surfaces are stored.  An optional
  ``"windows": [[field, start, end], ...]`` says which parts of the article were annotated;
  scores then count only mentions inside them (``restrict``).
- ``{"kind": "entity", "entity", "name", "type"}``: the gold entities (mentions sharing an
  entity id across articles are the gold merges).
- ``{"kind": "distinct", "a", "b"}``: entities that must never merge.

Scores: mention P/R/F1 with exact span and type (strict) and exact span, any type (lenient);
pairwise merge P/R over the mentions both sides found (lenient match): a pair is two mentions of
one entity.
"""
from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsfold.records import Article, content_id
from newsfold.stages.entities.extract import Mention

SEED_STORIES = {"A1": "s1", "A4": "s1"}
GIVEME = "stories-giveme5w1h-dev/articles.jsonl"
FUNDUS = "fundus/fundus_index.jsonl"
FUNDUS_PREFIX = "tests/resources/parser/test_data/"


# --- the seed pages --------------------------------------------------------------------------
def parse_seed_page(text: str) -> list[tuple[str, list[str], str]]:
    """(headline, captions, body) of each article on a seed page.

    An article opens with its headline after a run of 2+ blank lines; the headline repeats, and
    the lines doubled right after it are the photo caption (kept once).  "TT" and pure numbers are
    dropped; so are bare URLs, the repeated headline and, on the SouthFront page, the donation
    lines before the headline and everything from the "Support SouthFront" after the article.
    """
    out = []
    for block in re.split(r"\n[ \t]*\n[ \t]*\n+", text):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        head = next((i for i, ln in enumerate(lines) if len(ln.split()) >= 4 and lines.count(ln) >= 2),
                    None)
        if head is None:
            continue
        title, rest = lines[head], lines[head + 1:]
        second = rest.index(title)
        header = rest[:second]

        def junk(ln: str) -> bool:
            return ln == "TT" or re.fullmatch(r"[\d.,]+", ln) is not None

        doubled = [ln for ln in header if header.count(ln) >= 2]
        if all(junk(ln) or ln in doubled for ln in header):
            captions, body_lines = list(dict.fromkeys(doubled)), rest[second + 1:]
        else:  # the headline repeats inside the article (SouthFront): the body starts at once
            captions, body_lines = [], rest
        body: list[str] = []
        for ln in body_lines:
            if ln == "Support SouthFront":
                if body:
                    break
                continue
            if ln == title or ln in captions or junk(ln) or re.fullmatch(r"https?://\S+", ln):
                continue
            body.append(ln)
        out.append((title, captions, "\n".join(body)))
    return out


def seed_articles(seeds_dir: str | Path) -> list[Article]:
    """The 7 distinct seed articles A1…A7 (``extra["ref"]``); A1 and A4 share story "s1"."""
    arts: list[Article] = []
    seen: set[str] = set()
    for path in sorted(Path(seeds_dir).glob("*.txt")):
        for title, captions, body in parse_seed_page(path.read_text(encoding="utf-8")):
            if title in seen:
                continue
            seen.add(title)
            ref = f"A{len(arts) + 1}"
            arts.append(Article(source=path.name, page_id=content_id(path.name, prefix="p"),
                                span=(0, 0), raw="", title=title, text=body, captions=captions,
                                outlet=None, article_id=content_id(title, body, prefix="a"),
                                story_id=SEED_STORIES.get(ref, f"s{ref[1:]}"), extra={"ref": ref}))
    return arts


def dataset_articles(path: str | Path, ids: Iterable[str] | None = None) -> list[Article]:
    """Articles of a JSONL story set (id, cluster, title, text, outlet); the cluster is the story."""
    wanted = set(ids) if ids is not None else None
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if (wanted is not None and row["id"] not in wanted) or not (row.get("text") or "").strip():
                continue
            out.append(Article(source=f"{Path(path).parent.name}#{row['id']}", page_id=row["id"],
                               span=(0, 0), raw="", title=row.get("title"), text=row["text"],
                               outlet=row.get("outlet"), published=row.get("date"),
                               article_id=row["id"], story_id=f"{row.get('cluster')}",
                               extra={"ref": row["id"]}))
    return out


# --- gold ------------------------------------------------------------------------------------
@dataclass
class Gold:
    articles: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # (set, ref) -> mentions
    entities: dict[str, dict] = field(default_factory=dict)
    distinct: list[tuple[str, str]] = field(default_factory=list)
    windows: dict[tuple[str, str], list[tuple[str, int, int]]] = field(default_factory=dict)


def load_gold(path: str | Path) -> Gold:
    gold = Gold()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["kind"] == "article":
                gold.articles[(rec["set"], rec["article"])] = rec["mentions"]
                if rec.get("windows"):
                    gold.windows[(rec["set"], rec["article"])] = [tuple(w) for w in rec["windows"]]
            elif rec["kind"] == "entity":
                gold.entities[rec["entity"]] = rec
            elif rec["kind"] == "distinct":
                gold.distinct.append((rec["a"], rec["b"]))
    return gold


def gold_articles(gold: Gold, shared_dir: str | Path) -> list[Article]:
    """The articles the gold set covers, read from the shared data (refs in ``extra["ref"]``)."""
    shared = Path(shared_dir)
    refs = {ref for s, ref in gold.articles if s == "giveme5w1h"}
    arts = dataset_articles(shared / "data" / GIVEME, refs)
    for a in arts:
        a.extra["set"] = "giveme5w1h"
    if any(s == "seeds" for s, _ in gold.articles):
        seeds = seed_articles(shared / "seeds")
        for a in seeds:
            a.extra["set"] = "seeds"
        arts = seeds + arts
    fundus = {ref for s, ref in gold.articles if s == "fundus"}
    return arts + (fundus_articles(shared / "data" / FUNDUS, fundus) if fundus else [])


def fundus_articles(path: str | Path, refs: Iterable[str]) -> list[Article]:
    """fundus pages by their path under test_data/ ("us/APNews_2023_04_28.html.gz"): title and
    body text from the index; each page is a story of its own."""
    wanted, out = set(refs), []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            ref = row["file"].removeprefix(FUNDUS_PREFIX)
            if ref not in wanted:
                continue
            out.append(Article(source=f"fundus#{ref}", page_id=ref, span=(0, 0), raw="",
                               title=row.get("title"), text=row.get("body_text") or "",
                               outlet=row.get("publisher"), article_id=content_id(ref, prefix="a"),
                               story_id=f"fundus:{ref}", extra={"ref": ref, "set": "fundus"}))
    return sorted(out, key=lambda a: a.extra["ref"])


def _set_of(a: Article) -> str:
    return a.extra.get("set") or ("seeds" if a.source.endswith(".txt") else "giveme5w1h")


def restrict(system: Iterable[tuple], gold: Gold, articles: Sequence[Article]) -> list[tuple]:
    """The system mentions that fall in the gold articles, inside their annotated windows."""
    scope: dict[str, list[tuple[str, int, int]] | None] = {}
    for a in articles:
        scope[a.article_id] = gold.windows.get((_set_of(a), a.extra["ref"]))
    out = []
    for m in system:
        aid, fld, start, end = m[0]
        if aid not in scope:
            continue
        wins = scope[aid]
        if wins is None or any(f == fld and s <= start and end <= e for f, s, e in wins):
            out.append(m)
    return out


def gold_mentions(gold: Gold, articles: Sequence[Article]) -> list[tuple]:
    """[((article_id, field, start, end), type, entity, surface)] with article refs resolved."""
    by_ref = {(_set_of(a), a.extra["ref"]): a for a in articles}
    out = []
    for ref, mentions in gold.articles.items():
        art = by_ref[ref]
        for m in mentions:
            out.append(((art.article_id, m["field"], m["start"], m["end"]), m["type"], m["entity"],
                        m["surface"]))
    return out


# --- scores ----------------------------------------------------------------------------------
def _prf(tp: int, n_sys: int, n_gold: int) -> dict[str, float]:
    p = tp / n_sys if n_sys else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def score(gold: list[tuple], system: list[tuple]) -> dict:
    """Mention P/R/F1 (strict: span+type; lenient: span) and pairwise merge P/R.

    Both lists hold ((article_id, field, start, end), type, entity, surface); ``system`` is
    restricted by the caller to the gold articles.  Merges are scored on the mentions both sides
    found (lenient match); ``variant_merges`` keeps the pairs whose two surfaces differ (what
    canonicalisation adds over exact string matching); ``end_to_end_r`` counts every gold pair.
    """
    g_strict = {(k, t) for k, t, *_ in gold}
    s_strict = {(k, t) for k, t, *_ in system}
    g_span = {k: e for k, _, e, _ in gold}
    s_span = {k: e for k, _, e, _ in system}
    surface = {k: sf for k, _, _, sf in gold}
    both = sorted(set(g_span) & set(s_span))
    gold_pairs = _pairs({k: g_span[k] for k in both})
    sys_pairs = _pairs({k: s_span[k] for k in both})
    gold_var = {p for p in gold_pairs if surface[p[0]] != surface[p[1]]}
    sys_var = {p for p in sys_pairs if surface[p[0]] != surface[p[1]]}
    all_gold_pairs = _pairs(g_span)
    tp = len(gold_pairs & sys_pairs)
    return {
        "mentions_strict": _prf(len(g_strict & s_strict), len(s_strict), len(g_strict)),
        "mentions_lenient": _prf(len(set(g_span) & set(s_span)), len(s_span), len(g_span)),
        "merges": {**_prf(tp, len(sys_pairs), len(gold_pairs)), "gold_pairs": len(gold_pairs),
                   "system_pairs": len(sys_pairs),
                   "end_to_end_r": round(tp / len(all_gold_pairs), 4) if all_gold_pairs else 0.0},
        "variant_merges": {**_prf(len(gold_var & sys_var), len(sys_var), len(gold_var)),
                           "gold_pairs": len(gold_var), "system_pairs": len(sys_var)},
        "n_gold": len(g_span), "n_system": len(s_span),
    }


def _pairs(assign: dict[tuple, str]) -> set[tuple]:
    groups: dict[str, list[tuple]] = defaultdict(list)
    for k, e in assign.items():
        groups[e].append(k)
    return {p for ks in groups.values() for p in itertools.combinations(sorted(ks), 2)}


def system_mentions(mentions: Iterable[Mention], entity_of: Iterable[str]) -> list[tuple]:
    return [((m.article_id, m.field, m.start, m.end), m.type, e, m.surface)
            for m, e in zip(mentions, entity_of)]


def baseline_mentions(raw: Iterable[Mention]) -> list[tuple]:
    """The NER model alone: its PERSON/ORG/GPE/LOC spans as they are; one entity per surface."""
    return [((m.article_id, m.field, m.start, m.end), m.type, m.surface, m.surface)
            for m in raw if m.type]

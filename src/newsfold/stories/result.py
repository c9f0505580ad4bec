"""What grouping returns, and its tables.

``StoryResult.assignments`` maps each article id to its story id.  Each ``StoryInfo`` has:

- ``story_id``: ``s`` + the id of the article that opened the story (see ``refine.py`` for
  what happens when that article moves);
- ``label``: the most representative member headline (the one sharing most words with the
  other members' headlines), or, where no member has a headline, its top keyphrases;
- ``first_seen``/``last_seen``: the earliest and latest published date of its members (None
  where none is dated);
- ``outlets``, ``article_ids`` (dated members by date, then undated, ties by id), ``n_articles``;
- ``sentences``: every member sentence, marked shared or not (see ``compare.py``).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from .compare import SentenceRow, compare
from .features import feature_id, words
from .state import StoryState, member_order


@dataclass(slots=True)
class StoryInfo:
    story_id: str
    label: str
    first_seen: str | None
    last_seen: str | None
    outlets: list[str]
    article_ids: list[str]
    sentences: list[SentenceRow] = field(default_factory=list)

    @property
    def n_articles(self) -> int:
        return len(self.article_ids)

    def shared(self) -> list[SentenceRow]:
        return [r for r in self.sentences if r.shared]

    def unique_by_outlet(self) -> dict[str, list[str]]:
        """What each outlet (or outletless article) alone says."""
        out: dict[str, list[str]] = {}
        for r in self.sentences:
            if not r.shared:
                out.setdefault(r.outlet or r.article_id, []).append(r.sentence)
        return out


@dataclass(slots=True)
class StoryResult:
    assignments: dict[str, str]
    stories: list[StoryInfo]
    config: dict

    def story(self, story_id: str) -> StoryInfo:
        return next(s for s in self.stories if s.story_id == story_id)

    def story_of(self, article_id: str) -> StoryInfo:
        return self.story(self.assignments[article_id])


def _date(day: int | None) -> str | None:
    return None if day is None else dt.date.fromordinal(day).isoformat()


def _label(state: StoryState, members: list) -> str:
    titles = [m.title for m in members if m.title]
    if titles:
        bags = [set(words(t)) for t in titles]
        best = max(range(len(titles)), key=lambda i: (sum(len(bags[i] & b) for j, b in enumerate(bags) if j != i), -i))
        return titles[best]
    counts: Counter[str] = Counter()
    for m in members:
        counts.update(set(words(" ".join(m.sentences))))
    mask = (1 << state.config.hash_bits) - 1
    scored = sorted(
        ((-(c * float(state.idf("body", feature_id(w, "body", mask)))), w) for w, c in counts.items() if not w.isdigit()),
    )
    return ", ".join(w for _, w in scored[:5])


def build_result(state: StoryState) -> StoryResult:
    cfg = state.config
    groups: dict[str, list] = {}
    for m in sorted(state.members.values(), key=member_order):
        groups.setdefault(m.story_id, []).append(m)
    stories = []
    for sid, ms in groups.items():
        days = [m.day for m in ms if m.day is not None]
        rows = compare([(m.article_id, m.outlet, m.sentences) for m in ms],
                       cfg.shared_min_similarity, cfg.min_sentence_words)
        stories.append(StoryInfo(
            sid, _label(state, ms), _date(min(days)) if days else None, _date(max(days)) if days else None,
            sorted({m.outlet for m in ms if m.outlet}), [m.article_id for m in ms], rows,
        ))
    stories.sort(key=lambda s: (s.first_seen is None, s.first_seen or "", s.story_id))
    assignments = {m.article_id: m.story_id for m in state.members.values()}
    return StoryResult(dict(sorted(assignments.items())), stories, cfg.to_dict())


def story_tables(result: StoryResult) -> dict[str, pa.Table]:
    """``stories`` (one row per story) and ``story_sentences`` (one row per member sentence)."""
    s = result.stories
    stories = pa.table({
        "story_id": pa.array([x.story_id for x in s], pa.string()),
        "label": pa.array([x.label for x in s], pa.string()),
        "first_seen": pa.array([x.first_seen for x in s], pa.string()),
        "last_seen": pa.array([x.last_seen for x in s], pa.string()),
        "outlets": pa.array([x.outlets for x in s], pa.list_(pa.string())),
        "article_ids": pa.array([x.article_ids for x in s], pa.list_(pa.string())),
        "n_articles": pa.array([x.n_articles for x in s], pa.int32()),
    })
    rows = [(x.story_id, r) for x in s for r in x.sentences]
    sentences = pa.table({
        "story_id": pa.array([sid for sid, _ in rows], pa.string()),
        "article_id": pa.array([r.article_id for _, r in rows], pa.string()),
        "outlet": pa.array([r.outlet for _, r in rows], pa.string()),
        "sentence_no": pa.array([r.sentence_no for _, r in rows], pa.int32()),
        "sentence": pa.array([r.sentence for _, r in rows], pa.string()),
        "shared": pa.array([r.shared for _, r in rows], pa.bool_()),
        "shared_with": pa.array([r.shared_with for _, r in rows], pa.list_(pa.string())),
        "group": pa.array([r.group for _, r in rows], pa.int32()),
    })
    return {"stories": stories, "story_sentences": sentences}

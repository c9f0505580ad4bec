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

A full result (``grouper.result()``) holds every story: the open ones, refined, and the closed
ones, read back from the spill.  A partial one (``grouper.result(only=ids)``) holds the stories
``ids`` (after refinement: the stories they became), the stories they merged with, and every
story changed since the last result; ``assignments`` then covers their members only, and
``replaced`` lists the story ids whose rows in an earlier result it replaces (some of them no
longer exist).  Dropping the rows of ``replaced`` from the earlier result and adding
``stories`` gives the full result, but for the stories' order and the keyphrase labels of
title-less stories, which follow the document frequencies of the time they were built.
``write_story_tables`` writes the tables from ``grouper.iter_stories()`` without holding the
whole result in RAM.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from newsfold.stages.stories.compare import SentenceRow, compare
from newsfold.stages.stories.features import feature_id, words
from newsfold.stages.stories.model import Member, member_order
from newsfold.stages.stories.state import StoryState



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
    replaced: list[str] | None = None  # partial results: the story ids whose earlier rows this replaces
    standing: set[str] = field(default_factory=set)  # stories not built: their earlier rows stand (``stands``)

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


def story_info(state: StoryState, sid: str, ms: list[Member]) -> StoryInfo:
    """One story's record from its members (in stream order)."""
    cfg = state.config
    days = [m.day for m in ms if m.day is not None]
    rows = compare([(m.article_id, m.outlet, m.sentences) for m in ms],
                   cfg.shared_min_similarity, cfg.min_sentence_words)
    return StoryInfo(
        sid, _label(state, ms), _date(min(days)) if days else None, _date(max(days)) if days else None,
        sorted({m.outlet for m in ms if m.outlet}), [m.article_id for m in ms], rows,
    )


Stands = Callable[[str, list[Member]], bool]


def iter_infos(state: StoryState, sids: Iterable[str] | None = None, stands: Stands | None = None,
               standing: set[str] | None = None) -> Iterator[StoryInfo]:
    """The open stories (of ``sids``, when given), then the closed ones, segment by segment.
    ``stands(story id, members)``: True for a story whose earlier row the caller knows to be what
    it would build (its id added to ``standing``, not built)."""
    want = None if sids is None else set(sids)
    groups: dict[str, list] = {}
    for m in sorted(state.members.live.values(), key=member_order):
        if want is None or m.story_id in want:
            groups.setdefault(m.story_id, []).append(m)
    for sid, ms in chain(groups.items(), state.closed.iter_stories(want)):  # the closed ones one at a time
        if not ms:
            continue
        if stands is not None and stands(sid, ms):
            if standing is not None:
                standing.add(sid)
            continue
        yield story_info(state, sid, ms)


def sorted_infos(stories: list[StoryInfo]) -> list[StoryInfo]:
    return sorted(stories, key=lambda s: (s.first_seen is None, s.first_seen or "", s.story_id))


def build_result(state: StoryState, only: Iterable[str] | None = None, stands: Stands | None = None) -> StoryResult:
    """The stories of ``state`` as they are (no refinement); ``only``: just those story ids;
    ``stands``: see ``iter_infos`` (the stories it skips are the result's ``standing``)."""
    standing: set[str] = set()
    stories = sorted_infos(list(iter_infos(state, only, stands, standing)))
    assignments = {aid: s.story_id for s in stories for aid in s.article_ids}
    return StoryResult(dict(sorted(assignments.items())), stories, state.config.to_dict(), standing=standing)


def write_story_tables(stories: Iterable[StoryInfo], folder: str | Path, batch: int = 500) -> int:
    """Write ``stories.parquet`` and ``story_sentences.parquet`` (the tables of ``story_tables``)
    into ``folder``, ``batch`` stories at a time; returns the number of stories."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    n = 0
    buf: list[StoryInfo] = []

    def flush() -> None:
        for name, table in story_tables(StoryResult({}, buf, {})).items():
            if name not in writers:
                writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema, compression="zstd")
            writers[name].write_table(table)
        buf.clear()

    try:
        for info in stories:
            buf.append(info)
            n += 1
            if len(buf) >= batch:
                flush()
        flush()
    finally:
        for w in writers.values():
            w.close()
    return n


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

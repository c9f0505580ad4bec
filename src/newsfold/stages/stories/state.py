"""The clusterer's state: running document frequencies, open stories and their members, closed
stories (``closed.py``).

Everything a later run needs to go on where this one stopped is here, and ``save``/``load``
write and read it as plain files in one folder:

- ``config.json``: the ``StoryConfig`` that made the state;
- ``df.npz``: the number of articles seen and each block's document frequencies (hashed);
- ``meta.json``: the newest day seen, the last closing horizons, the stream position of the last
  article clustered, and the stories changed since the last result;
- ``pending.parquet``: the articles received but not clustered yet (``StoryGrouper.commit``:
  fewer than a chunk), with what clustering reads of them;
- ``pending_features.parquet``: their hashed features, with the digest of what each was made
  from (a later run reuses them where the digest still matches);
- ``stories.parquet``: one row per open story (id, seed article, dates, centroid per block, the
  index terms that lead candidates to it);
- ``articles.parquet``: one row per member of an open story (id, story, outlet, date, title, its
  strongest hashed features per block, and its sentences for the comparison across outlets);
- ``closed/``: the closed stories: ``closed.parquet`` (one row per story), ``renamed.parquet``
  (renames since closing) and the segments with their members' rows.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from newsfold.records import Article

from newsfold.stages.stories.closed import ClosedStories, MemberMap, StoryMap
from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import (NO_IDS, NO_KEYS, NO_TF, NO_W, BLOCK_NO, Member, Story, member_order,
    story_id_for)
from newsfold.stages.stories.persist import (features_from_table, features_table, member_from_row, members_table,
    pending_from_table, pending_table, stories_from_table, stories_table)

# the records lived here before ``model.py``: still importable from here
__all__ = ["StoryState", "Member", "Story", "member_order", "story_id_for", "BLOCK_NO", "NO_IDS", "NO_KEYS",
           "NO_TF", "NO_W"]


class StoryState:
    """Running statistics and stories; see the module's docstring for what is saved."""

    def __init__(self, config: StoryConfig, spill: str | Path | None = None,
                 closed: ClosedStories | None = None):
        self.config = config
        size = 1 << config.hash_bits
        self.n_docs = 0
        self.df = {b: np.zeros(size, np.int32) for b in BLOCKS}
        self.closed = closed if closed is not None else ClosedStories(spill)
        self.stories = StoryMap(self.closed)  # .live: the open stories
        self.members = MemberMap(self.closed)  # .live: the members of open stories
        self.newest_day: int | None = None  # the newest published day seen
        self.changed: set[str] = set()  # stories whose members changed since the last result
        self.gone: set[str] = set()  # stories that ceased to exist since the last result
        self.horizon: tuple = (None, None)  # the closing horizons of the last scan (``close_stale``)
        self.pending: dict[str, Article] = {}  # received, not clustered yet (``StoryGrouper.commit``)
        # the features of pending articles: article id -> (``feature_key`` of the article, its features)
        self.features: dict = {}
        self.frontier: tuple | None = None  # the stream position (``article_order``) of the last article clustered

    def story_of(self, article_id: str) -> str | None:
        """The story of an article (open or closed), None for an unknown one; reads no spill."""
        m = self.members.live.get(article_id)
        return m.story_id if m is not None else self.closed.story_of(article_id)

    def exists(self, story_id: str) -> bool:
        return story_id in self.stories.live or story_id in self.closed.stories

    # --- IDF -------------------------------------------------------------------------------
    def count(self, blocks: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Add one article's features to the running document frequencies."""
        self.n_docs += 1
        for b in BLOCKS:
            self.df[b][blocks[b][0]] += 1

    def idf(self, block: str, ids: np.ndarray) -> np.ndarray:
        return np.log((self.n_docs + 1.0) / (self.df[block][ids] + 1.0)) + 1.0

    def weigh(self, ids: np.ndarray, tf: np.ndarray, block: str, keep: int) -> tuple[np.ndarray, np.ndarray]:
        """TF-IDF of one block, its ``keep`` strongest terms, unit length."""
        return self.weigh_top(ids, tf, block, keep)[:2]

    def weigh_top(self, ids: np.ndarray, tf: np.ndarray, block: str, keep: int) -> tuple:
        """``weigh``, and the positions of the terms kept (None: all of them)."""
        if ids.size == 0:
            return ids, tf, None
        return _top_unit(ids, tf * self.idf(block, ids), keep)

    def weigh_blocks(self, blocks: dict[str, tuple[np.ndarray, np.ndarray]], keep: dict[str, int]) -> dict:
        """``weigh_top`` of every block (block -> ids, weights, positions kept): the same floats,
        with the IDF of all blocks in one ``np.log`` (elementwise: the same per element)."""
        parts = [(b, *blocks[b]) for b in BLOCKS]
        dfs = [self.df[b][ids] for b, ids, _ in parts if ids.size]
        if not dfs:
            return {b: (ids, tf, None) for b, ids, tf in parts}
        idf = np.log((self.n_docs + 1.0) / (np.concatenate(dfs) + 1.0)) + 1.0
        out, at = {}, 0
        for b, ids, tf in parts:
            if ids.size == 0:
                out[b] = (ids, tf, None)
                continue
            out[b] = _top_unit(ids, tf * idf[at:at + ids.size], keep[b])
            at += ids.size
        return out

    # --- persistence -----------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(self.config.to_dict(), indent=2, sort_keys=True))
        np.savez_compressed(folder / "df.npz", n_docs=np.array([self.n_docs]), **self.df)
        (folder / "meta.json").write_text(json.dumps({
            "newest_day": self.newest_day, "changed": sorted(self.changed), "gone": sorted(self.gone),
            "horizon": list(self.horizon), "frontier": None if self.frontier is None else list(self.frontier),
        }, indent=1))
        pq.write_table(pending_table(list(self.pending.values())), folder / "pending.parquet")
        pq.write_table(features_table({a: f for a, f in self.features.items() if a in self.pending}),
                       folder / "pending_features.parquet")
        stories = sorted(self.stories.live.values(), key=lambda s: s.story_id)
        pq.write_table(stories_table(stories), folder / "stories.parquet")
        members = sorted(self.members.live.values(), key=lambda m: m.article_id)
        pq.write_table(members_table(members), folder / "articles.parquet")
        if self.closed.stories or (folder / "closed").exists():
            self.closed.save(folder / "closed")

    @classmethod
    def load(cls, folder: str | Path, spill: str | Path | None = None) -> "StoryState":
        folder = Path(folder)
        config = StoryConfig.from_dict(json.loads((folder / "config.json").read_text()))
        state = cls(config, closed=ClosedStories.load(folder / "closed", spill))
        with np.load(folder / "df.npz") as data:
            state.n_docs = int(data["n_docs"][0])
            for b in BLOCKS:
                state.df[b] = data[b].astype(np.int32)
        if (folder / "meta.json").exists():
            meta = json.loads((folder / "meta.json").read_text())
            state.newest_day = meta["newest_day"]
            state.changed, state.gone = set(meta["changed"]), set(meta["gone"])
            state.horizon = tuple(meta.get("horizon") or (None, None))
            state.frontier = tuple(meta["frontier"]) if meta.get("frontier") else None  # older states lack it
        if (folder / "pending.parquet").exists():
            state.pending = {a.article_id: a for a in pending_from_table(pq.read_table(folder / "pending.parquet"))}
        if (folder / "pending_features.parquet").exists():  # older states lack it: features are made again
            state.features = features_from_table(pq.read_table(folder / "pending_features.parquet"))
        for s in stories_from_table(pq.read_table(folder / "stories.parquet")):
            state.stories.live[s.story_id] = s
        for row in pq.read_table(folder / "articles.parquet").to_pylist():
            m = member_from_row(row)
            state.members.live[m.article_id] = m
        for m in sorted(state.members.live.values(), key=member_order):
            state.stories.live[m.story_id].members.append(m.article_id)
        if state.newest_day is None:  # a state saved before closing existed
            days = [m.day for m in state.members.live.values() if m.day is not None]
            state.newest_day = max(days) if days else None
        return state


def _top_unit(ids: np.ndarray, w: np.ndarray, keep: int) -> tuple:
    """The ``keep`` strongest of weights ``w`` (in term order), at unit length, and their positions
    (None: all kept)."""
    top = None
    if ids.size > keep:
        top = np.sort(np.argpartition(-w, keep - 1)[:keep])
        ids, w = ids[top], w[top]
    n = math.sqrt(np.dot(w, w))  # = float(np.sqrt(...)): both the correctly rounded root
    return ids, (w / n if n else w), top

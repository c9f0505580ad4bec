"""The clusterer's state: running document frequencies, stories and their centroids, members.

Everything a later run needs to go on where this one stopped is here, and ``save``/``load``
write and read it as plain files in one folder:

- ``config.json``: the ``StoryConfig`` that made the state;
- ``df.npz``: the number of articles seen and each block's document frequencies (hashed);
- ``stories.parquet``: one row per story (id, seed article, dates, centroid per block, the
  index terms that lead candidates to it);
- ``articles.parquet``: one row per article (id, story, outlet, date, title, its strongest hashed
  features per block, and its sentences for the comparison across outlets).
"""
from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .config import StoryConfig
from .features import BLOCKS


_NO_IDS = np.zeros(0, np.uint32)
_NO_TF = np.zeros(0, np.float32)
_NO_W = np.zeros(0, np.float64)
_NO_KEYS = np.zeros(0, np.int64)
BLOCK_NO = {b: i for i, b in enumerate(BLOCKS)}


@dataclass(slots=True)
class Story:
    """One story: its members and, per block, the sum of its members' unit TF-IDF vectors.

    The centroid is held compactly (no dict per block): ``cen_ids``/``cen_w`` and the index
    ``keys`` are numpy buffers, merged with vectorised set operations (``score.add_to_story``).
    """

    story_id: str
    seed: str  # the article that opened the story; story_id derives from it
    members: list[str] = field(default_factory=list)
    first_day: int | None = None
    last_day: int | None = None
    # the centroid, all blocks in two buffers: sorted term ids (uint32) and their summed weights
    # (float64) per block, block ``i`` at ``cen_off[i]:cen_off[i + 1]``; ``block(b)`` gives views
    cen_ids: np.ndarray = field(default_factory=lambda: _NO_IDS)
    cen_w: np.ndarray = field(default_factory=lambda: _NO_W)
    cen_off: tuple = (0,) * (len(BLOCKS) + 1)
    norm2: dict[str, float] = field(default_factory=lambda: {b: 0.0 for b in BLOCKS})
    dense: np.ndarray | None = None  # sum of members' embeddings, when embeddings are on
    keys: np.ndarray = field(default_factory=lambda: _NO_KEYS)  # sorted index keys (int64) pointing here
    join_sum: float = 0.0  # sum of the scores at which members joined (the seed excluded)
    joins: int = 0

    def block(self, b: str) -> tuple[np.ndarray, np.ndarray]:
        """The centroid of block ``b``: sorted term ids (uint32) and weights (float64), as views."""
        i = BLOCK_NO[b]
        lo, hi = self.cen_off[i], self.cen_off[i + 1]
        return self.cen_ids[lo:hi], self.cen_w[lo:hi]

    def set_blocks(self, blocks: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Replace the centroid of the blocks given (sorted ids and weights); others are kept."""
        parts = [blocks[b] if b in blocks else self.block(b) for b in BLOCKS]
        self.cen_off = tuple(int(x) for x in np.cumsum([0, *(len(p[0]) for p in parts)]))
        if self.cen_off[-1]:
            self.cen_ids = np.concatenate([p[0] for p in parts]).astype(np.uint32, copy=False)
            self.cen_w = np.concatenate([p[1] for p in parts]).astype(np.float64, copy=False)
        else:
            self.cen_ids, self.cen_w = _NO_IDS, _NO_W

    def cohesion(self) -> float | None:
        """The mean score at which members joined, None before the first join."""
        return self.join_sum / self.joins if self.joins else None

    def add_day(self, day: int | None) -> None:
        if day is None:
            return
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)


class Member:
    """What the state keeps of one article, compactly (a few KB at most per article).

    The strongest hashed features of all blocks lie in one ``uint32`` buffer and their sublinear
    term frequencies in one ``float32`` buffer, cut into blocks by ``offsets``; the sentences are
    one string, joined by newlines (a sentence never holds one), kept zlib-compressed as UTF-8.
    ``ids``, ``tf`` and ``sentences`` give them back as per-block arrays and a list.
    """

    __slots__ = ("article_id", "story_id", "day", "outlet", "title", "_ids", "_tf", "_offsets", "_text", "dense")

    def __init__(self, article_id: str, story_id: str, day: int | None, outlet: str | None, title: str | None,
                 ids: dict[str, np.ndarray], tf: dict[str, np.ndarray], sentences: list[str],
                 dense: np.ndarray | None = None):
        self.article_id, self.story_id, self.day, self.outlet, self.title = article_id, story_id, day, outlet, title
        sizes = [len(ids[b]) for b in BLOCKS]
        self._offsets = tuple(int(x) for x in np.cumsum([0, *sizes]))
        self._ids = np.concatenate([np.asarray(ids[b], np.uint32) for b in BLOCKS]) if sum(sizes) else _NO_IDS
        self._tf = np.concatenate([np.asarray(tf[b], np.float32) for b in BLOCKS]) if sum(sizes) else _NO_TF
        text = "\n".join(sentences)
        self._text = zlib.compress(text.encode("utf-8", "surrogatepass"), 1) if text else b""
        self.dense = dense

    @property
    def ids(self) -> dict[str, np.ndarray]:
        """Per block: the strongest hashed features (uint32)."""
        o = self._offsets
        return {b: self._ids[o[i]: o[i + 1]] for i, b in enumerate(BLOCKS)}

    @property
    def tf(self) -> dict[str, np.ndarray]:
        """Per block: their sublinear term frequencies (float32)."""
        o = self._offsets
        return {b: self._tf[o[i]: o[i + 1]] for i, b in enumerate(BLOCKS)}

    @property
    def sentences(self) -> list[str]:
        if not self._text:
            return []
        return zlib.decompress(self._text).decode("utf-8", "surrogatepass").split("\n")




def story_id_for(article_id: str) -> str:
    """A story's id: ``s`` and the id of the article that opened it (stable across runs)."""
    return "s" + article_id


class StoryState:
    """Running statistics and stories; see the module's docstring for what is saved."""

    def __init__(self, config: StoryConfig):
        self.config = config
        size = 1 << config.hash_bits
        self.n_docs = 0
        self.df = {b: np.zeros(size, np.int32) for b in BLOCKS}
        self.stories: dict[str, Story] = {}
        self.members: dict[str, Member] = {}

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
        if ids.size == 0:
            return ids, tf
        w = tf * self.idf(block, ids)
        if ids.size > keep:
            top = np.sort(np.argpartition(-w, keep - 1)[:keep])
            ids, w = ids[top], w[top]
        n = float(np.sqrt(np.dot(w, w)))
        return ids, (w / n if n else w)

    # --- persistence -----------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(self.config.to_dict(), indent=2, sort_keys=True))
        np.savez_compressed(folder / "df.npz", n_docs=np.array([self.n_docs]), **self.df)
        stories = sorted(self.stories.values(), key=lambda s: s.story_id)
        cols: dict[str, list] = {
            "story_id": [s.story_id for s in stories],
            "seed": [s.seed for s in stories],
            "first_day": [s.first_day for s in stories],
            "last_day": [s.last_day for s in stories],
            "keys": [s.keys.tolist() for s in stories],
            "dense": [None if s.dense is None else s.dense.tolist() for s in stories],
            "join_sum": [s.join_sum for s in stories],
            "joins": [s.joins for s in stories],
        }
        for b in BLOCKS:
            cols[f"{b}_ids"] = [s.block(b)[0].tolist() for s in stories]
            cols[f"{b}_w"] = [s.block(b)[1].tolist() for s in stories]
        schema = pa.schema(
            [("story_id", pa.string()), ("seed", pa.string()), ("first_day", pa.int64()),
             ("last_day", pa.int64()), ("keys", pa.list_(pa.int64())), ("dense", pa.list_(pa.float32())),
             ("join_sum", pa.float64()), ("joins", pa.int64())]
            + [f for b in BLOCKS for f in ((f"{b}_ids", pa.list_(pa.uint32())), (f"{b}_w", pa.list_(pa.float64())))]
        )
        pq.write_table(pa.table(cols, schema=schema), folder / "stories.parquet")
        members = sorted(self.members.values(), key=lambda m: m.article_id)
        mcols: dict[str, list] = {
            "article_id": [m.article_id for m in members],
            "story_id": [m.story_id for m in members],
            "day": [m.day for m in members],
            "outlet": [m.outlet for m in members],
            "title": [m.title for m in members],
            "sentences": [m.sentences for m in members],
            "dense": [None if m.dense is None else m.dense.tolist() for m in members],
        }
        for b in BLOCKS:
            mcols[f"{b}_ids"] = [m.ids[b] for m in members]
            mcols[f"{b}_tf"] = [m.tf[b] for m in members]
        mschema = pa.schema(
            [("article_id", pa.string()), ("story_id", pa.string()), ("day", pa.int64()),
             ("outlet", pa.string()), ("title", pa.string()), ("sentences", pa.list_(pa.string())),
             ("dense", pa.list_(pa.float32()))]
            + [f for b in BLOCKS for f in ((f"{b}_ids", pa.list_(pa.uint32())), (f"{b}_tf", pa.list_(pa.float32())))]
        )
        pq.write_table(pa.table(mcols, schema=mschema), folder / "articles.parquet")

    @classmethod
    def load(cls, folder: str | Path) -> "StoryState":
        folder = Path(folder)
        config = StoryConfig.from_dict(json.loads((folder / "config.json").read_text()))
        state = cls(config)
        with np.load(folder / "df.npz") as data:
            state.n_docs = int(data["n_docs"][0])
            for b in BLOCKS:
                state.df[b] = data[b].astype(np.int32)
        for row in pq.read_table(folder / "stories.parquet").to_pylist():
            s = Story(row["story_id"], row["seed"], first_day=row["first_day"], last_day=row["last_day"])
            s.keys = np.unique(np.asarray(row["keys"], np.int64))
            s.join_sum, s.joins = row["join_sum"], row["joins"]
            s.dense = None if row["dense"] is None else np.asarray(row["dense"], np.float32)
            blocks = {}
            for b in BLOCKS:
                ids = np.asarray(row[f"{b}_ids"], np.uint32)
                w = np.asarray(row[f"{b}_w"], np.float64)
                order = np.argsort(ids, kind="stable")
                blocks[b] = (ids[order], w[order])
                s.norm2[b] = math.fsum(v * v for v in row[f"{b}_w"])
            s.set_blocks(blocks)
            state.stories[s.story_id] = s
        table = pq.read_table(folder / "articles.parquet")
        for row in table.to_pylist():
            m = Member(
                row["article_id"], row["story_id"], row["day"], row["outlet"], row["title"],
                {b: np.asarray(row[f"{b}_ids"], np.uint32) for b in BLOCKS},
                {b: np.asarray(row[f"{b}_tf"], np.float32) for b in BLOCKS},
                list(row["sentences"]),
                None if row["dense"] is None else np.asarray(row["dense"], np.float32),
            )
            state.members[m.article_id] = m
        for m in sorted(state.members.values(), key=member_order):
            state.stories[m.story_id].members.append(m.article_id)
        return state


def member_order(m: Member) -> tuple:
    """Stream order: dated articles by date, then undated ones; ties by article id."""
    return (m.day is None, m.day or 0, m.article_id)

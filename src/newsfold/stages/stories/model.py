"""The clusterer's records: one story (``Story``) and one member article (``Member``)."""
from __future__ import annotations

import zlib
from itertools import accumulate
from dataclasses import dataclass, field

import numpy as np

from newsfold.stages.stories.features import BLOCKS


NO_IDS = np.zeros(0, np.uint32)
NO_TF = np.zeros(0, np.float32)
NO_W = np.zeros(0, np.float64)
NO_KEYS = np.zeros(0, np.int64)
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
    cen_ids: np.ndarray = field(default_factory=lambda: NO_IDS)
    cen_w: np.ndarray = field(default_factory=lambda: NO_W)
    cen_off: tuple = (0,) * (len(BLOCKS) + 1)
    norm2: dict[str, float] = field(default_factory=lambda: {b: 0.0 for b in BLOCKS})
    dense: np.ndarray | None = None  # sum of members' embeddings, when embeddings are on
    keys: np.ndarray = field(default_factory=lambda: NO_KEYS)  # sorted index keys (int64) pointing here
    join_sum: float = 0.0  # sum of the scores at which members joined (the seed excluded)
    joins: int = 0
    last_seq: int = 0  # the number of articles counted (``StoryState.n_docs``) at its last join
    # a member's place is in doubt: it joined while another story also reached its bar, or it
    # opened the story though a story scored near it; or a refinement made the story.  Only
    # stories in doubt are refined when they close (``StoryGrouper.close_stale``)
    doubt: bool = False
    # (cen_ids it was made from, block-tagged int64 keys of the centroid): ``score.story_keys``
    flat: tuple | None = field(default=None, repr=False, compare=False)
    # (what it was made from, per block norm and spread factor): ``score.scores``
    scale: tuple | None = field(default=None, repr=False, compare=False)

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
            self.cen_ids, self.cen_w = NO_IDS, NO_W

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
    one string, joined by newlines (a sentence never holds one), kept zlib-compressed as UTF-8
    (``compress=False``: kept as the string, for a member read back only to be read once, as the
    result's rows of a closed story).  ``ids``, ``tf`` and ``sentences`` give them back as
    per-block arrays and a list.
    """

    __slots__ = ("article_id", "story_id", "day", "outlet", "title", "_ids", "_tf", "_offsets", "_text", "dense")

    def __init__(self, article_id: str, story_id: str, day: int | None, outlet: str | None, title: str | None,
                 ids: dict[str, np.ndarray], tf: dict[str, np.ndarray], sentences: list[str],
                 dense: np.ndarray | None = None, compress: bool = True):
        self.article_id, self.story_id, self.day, self.outlet, self.title = article_id, story_id, day, outlet, title
        id_parts = [ids[b] for b in BLOCKS]
        self._offsets = tuple(accumulate((len(p) for p in id_parts), initial=0))
        if self._offsets[-1]:  # (a part's dtype cast after the concatenation: the same values)
            self._ids = np.concatenate(id_parts).astype(np.uint32, copy=False)
            self._tf = np.concatenate([tf[b] for b in BLOCKS]).astype(np.float32, copy=False)
        else:
            self._ids, self._tf = NO_IDS, NO_TF
        text = "\n".join(sentences)
        if not compress:
            self._text: str | bytes = text
        else:
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
        text = self._text
        if not text:
            return []
        return (text if type(text) is str else zlib.decompress(text).decode("utf-8", "surrogatepass")).split("\n")


def story_id_for(article_id: str) -> str:
    """A story's id: ``s`` and the id of the article that opened it (stable across runs)."""
    return "s" + article_id


def member_order(m: Member) -> tuple:
    """Stream order: dated articles by date, then undated ones; ties by article id."""
    return (m.day is None, m.day or 0, m.article_id)

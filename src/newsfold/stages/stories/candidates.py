"""Where to look for candidate stories: an inverted index over the strongest terms of each
story's members (``CandidateIndex``), limited to stories active around the article's date, so
the search never scans every story; ``index_keys`` are an article's terms that index its story.
Split from ``score.py``, which gives them to its callers as before.
"""
from __future__ import annotations

from array import array
from collections import Counter

import numpy as np

from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.dots import BLOCK_TAGS, Vector
from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.model import NO_KEYS, BLOCK_NO, Story


class CandidateIndex:
    """Inverted index: index key (block and hashed term) -> the stories it points at.

    Stories are numbered in the index (``_sids``); a posting is one story's number (an ``int``)
    or, for a key shared by several stories, an ``array('I')`` of numbers.
    """

    def __init__(self, config: StoryConfig):
        self.config = config
        self.postings: dict[int, int | array] = {}
        self.compacted: dict[int, int] = {}  # key -> the day its posting list was last compacted
        self._sids: list[str | None] = []
        self._num: dict[str, int] = {}
        self._free: list[int] = []  # numbers of removed stories, to reuse

    def clear(self) -> None:
        self.postings.clear()
        self.compacted.clear()
        self._sids.clear()
        self._num.clear()
        self._free.clear()

    def __len__(self) -> int:
        """The number of stories indexed."""
        return len(self._num)

    def _number(self, sid: str) -> int:
        n = self._num.get(sid)
        if n is None:
            if self._free:
                n = self._free.pop()
                self._sids[n] = sid
            else:
                n = len(self._sids)
                self._sids.append(sid)
            self._num[sid] = n
        return n

    def add(self, story: Story, keys) -> None:
        if not len(keys):
            return
        ks = np.asarray(sorted(set(keys)), np.int64)
        old = story.keys
        if old.size:
            pos = old.searchsorted(ks)
            pos[pos == old.size] = 0
            ks = ks[old[pos] != ks]
            if not ks.size:
                return
            merged = np.concatenate((old, ks))
            merged.sort()
            story.keys = merged
        else:
            story.keys = ks
        n = self._number(story.story_id)
        postings = self.postings
        for k in ks.tolist():
            cur = postings.get(k)
            if cur is None:
                postings[k] = n
            elif type(cur) is int:
                postings[k] = array("I", (cur, n))
            else:
                cur.append(n)

    def remove(self, story: Story) -> None:
        """Take a story out of the index (its number is reused by a later story)."""
        n = self._num.pop(story.story_id, None)
        if n is not None:
            postings = self.postings
            for k in story.keys.tolist():
                cur = postings.get(k)
                if cur is None:
                    continue
                if type(cur) is int:
                    if cur == n:
                        del postings[k]
                        self.compacted.pop(k, None)
                elif n in cur:
                    cur.remove(n)
                    if not cur:
                        del postings[k]
                        self.compacted.pop(k, None)
            self._sids[n] = None
            self._free.append(n)
        story.keys = NO_KEYS

    def candidates(self, vec: Vector, stories: dict[str, Story], exclude: str | None = None) -> list[Story]:
        """The stories sharing most index keys with ``vec`` and active around its date: the first
        ``max_candidates`` by (most keys shared, story id)."""
        cfg = self.config
        hits: list[int] = []
        postings, cap = self.postings, cfg.max_postings
        for k in vec.keys:
            lst = postings.get(k)
            if lst is None:
                continue
            if type(lst) is int:
                hits.append(lst)
                continue
            if len(lst) > cap:
                self._compact(k, vec.day, stories)
                lst = postings[k]
                if len(lst) > cap:
                    continue  # too common to point anywhere
            hits.extend(lst)
        if not hits:
            return []
        # walk the counts from the highest down, a level at a time, taking the eligible stories of
        # a level in id order until enough: the head of the list sorted by (-count, id), without
        # sorting every hit nor checking the stories past the last one needed
        ranked = Counter(hits).most_common()
        sids = self._sids
        day = vec.day
        want, active = cfg.max_candidates, cfg.active_days
        out: list[Story] = []
        i, n = 0, len(ranked)
        while i < n and len(out) < want:
            c, j = ranked[i][1], i
            while j < n and ranked[j][1] == c:
                j += 1
            level = sorted([sids[num] for num, _ in ranked[i:j]])
            i = j
            for sid in level:  # in id order, up to the last one needed
                if sid == exclude:
                    continue
                s = stories[sid]
                if day is not None:
                    first, last = s.first_day, s.last_day
                    if first is not None and last is not None and max(first - day, day - last) > active:
                        continue
                out.append(s)
                if len(out) == want:
                    break
        return out[: cfg.max_candidates]

    def _compact(self, key: int, day: int | None, stories: dict[str, Story]) -> None:
        """Drop from one posting list the dated stories inactive at ``day``."""
        if day is None or self.compacted.get(key, day - self.config.active_days) > day - 7:
            return  # compacted within the last week: nothing much could have expired since
        self.compacted[key] = day
        keep = array("I")
        for n in self.postings[key]:
            s = stories[self._sids[n]]
            if s.last_day is None or day - s.last_day <= self.config.active_days:
                keep.append(n)
            else:
                s.keys = s.keys[s.keys != key]
        self.postings[key] = keep


def index_keys(vec_terms: dict[str, tuple], n: int) -> list[int]:
    """An article's index keys: its ``n`` strongest terms per block, tagged with the block
    (strongest first, ties by term id)."""
    keys, ws = [], []
    for b in BLOCKS:
        if b == "quotes":
            continue
        ids, w = vec_terms[b]
        if len(ids):
            keys.append(np.asarray(ids, np.int64) | (BLOCK_NO[b] << 32))
            ws.append(np.asarray(w, np.float64))
    return top_keys(np.concatenate(keys), np.concatenate(ws), n) if keys else []


def top_keys(keys: np.ndarray, ws: np.ndarray, n: int) -> list[int]:
    """``index_keys`` from block-tagged keys and their weights (blocks in order, as
    ``vector_flat`` gives them): per block but quotes (a random sample of shingles: no use for
    finding candidates), the ``n`` strongest keys, strongest first, ties by key."""
    if BLOCKS[-1] == "quotes":  # the last block: cut it off
        end = keys.searchsorted(BLOCK_TAGS[-1])
        keys, ws = keys[:end], ws[:end]
        blk = keys >> 32
    else:
        blk = keys >> 32
        keep = blk != BLOCK_NO["quotes"]
        keys, ws, blk = keys[keep], ws[keep], blk[keep]
    order = np.lexsort((keys, -ws, blk))
    keys, blk = keys[order], blk[order]
    rank = np.arange(keys.size) - blk.searchsorted(blk)
    return keys[rank < n].tolist()

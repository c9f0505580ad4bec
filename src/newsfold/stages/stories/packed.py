"""Compact in-RAM containers of the clusterer.

``PackedIds``: a map from many string keys (article ids) to small ints, in little RAM.

Closed stories keep one entry per member in RAM (its id and its story's number), so that a
later run knows the article and its story without reading the spill.  A Python dict costs about
150 bytes an entry; here the keys are one sorted numpy byte-string array and the values one
``int32`` array (the id's length + 4 bytes an entry), with a small dict of recent changes merged
in from time to time.

``PackedVectors``: article id -> its unit TF-IDF vectors (a refinement of every open story holds
one per open member; one of a few stories at closing keeps its small scope's vectors whole).
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from newsfold.stages.stories.features import BLOCKS
from newsfold.stages.stories.score import Vector, BLOCK_TAGS, vector_arrays


class PackedIds:
    """``str -> int``: a sorted ``S`` array and an ``int32`` array, plus recent changes."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, "S1")
        self._vals = np.zeros(0, np.int32)
        self._new: dict[str, int] = {}  # set since the last merge (wins over the arrays)
        self._dead: set[str] = set()  # in the arrays, but deleted or overridden
        self._n = 0

    def _packed(self, key: str) -> int:
        """The position of ``key`` in the arrays, or -1."""
        b = key.encode("utf-8", "surrogatepass")
        if not self._keys.size or len(b) > self._keys.dtype.itemsize or key in self._dead:
            return -1
        i = int(self._keys.searchsorted(np.array(b, self._keys.dtype)))
        return i if i < self._keys.size and self._keys[i] == b else -1

    def get(self, key: str, default: int | None = None) -> int | None:
        v = self._new.get(key)
        if v is not None:
            return v
        i = self._packed(key)
        return default if i < 0 else int(self._vals[i])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._new or self._packed(key) >= 0)

    def __getitem__(self, key: str) -> int:
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return v

    def __setitem__(self, key: str, value: int) -> None:
        if key not in self._new:
            if self._packed(key) >= 0:
                self._dead.add(key)
            else:
                self._n += 1
        self._new[key] = int(value)
        self._maybe_merge()

    def __delitem__(self, key: str) -> None:
        if key in self._new:
            del self._new[key]
        elif self._packed(key) >= 0:
            self._dead.add(key)
        else:
            raise KeyError(key)
        self._n -= 1
        self._maybe_merge()

    def __len__(self) -> int:
        return self._n

    def items(self) -> Iterator[tuple[str, int]]:
        dead = self._dead
        for k, v in zip(self._keys.tolist(), self._vals.tolist()):
            key = k.decode("utf-8", "surrogatepass")
            if key not in dead:
                yield key, v
        yield from list(self._new.items())

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.items())

    def update(self, pairs) -> None:
        for k, v in pairs:
            self[k] = v

    def _maybe_merge(self) -> None:
        if len(self._new) + len(self._dead) > 20_000 + self._keys.size // 8:
            self.merge()

    def merge(self) -> None:
        """Fold the recent changes into the sorted arrays."""
        keys, vals = self._keys, self._vals
        if self._dead:
            dead = np.array([k.encode("utf-8", "surrogatepass") for k in self._dead])
            keep = ~np.isin(keys, dead) if keys.size else np.zeros(0, bool)
            keys, vals = keys[keep], vals[keep]
        if self._new:
            new = [k.encode("utf-8", "surrogatepass") for k in self._new]
            width = max(keys.dtype.itemsize, max(map(len, new)))
            keys = np.concatenate((keys.astype(f"S{width}"), np.array(new, f"S{width}")))
            vals = np.concatenate((vals, np.fromiter(self._new.values(), np.int32, len(self._new))))
            order = np.argsort(keys, kind="stable")
            keys, vals = keys[order], vals[order]
        self._keys, self._vals = keys, vals
        self._new, self._dead = {}, set()


class PackedVectors:
    """Article id -> its unit vectors, held compactly: one ``uint32`` buffer of term ids, one
    ``float64`` buffer of weights (the very values of the ``Vector``), block offsets and the index
    keys as ``int64``.  About 5 KB an article instead of the ~25 KB of Python lists; ``[aid]``
    gives back an exact ``Vector`` (lists), built when needed."""

    __slots__ = ("_packed", "_make")

    def __init__(self, make: Callable[[str], Vector] | None = None) -> None:
        self._packed: dict[str, tuple] = {}
        self._make = make  # makes a missing vector, when given

    def __setitem__(self, aid: str, v: Vector) -> None:
        self._packed[aid] = pack(v)

    def __getitem__(self, aid: str) -> Vector:
        p = self._packed.get(aid)
        if p is None:
            if self._make is None:
                raise KeyError(aid)
            p = self._packed[aid] = pack(self._make(aid))
        return unpack(p)

    def __contains__(self, aid: str) -> bool:
        return aid in self._packed

    def __len__(self) -> int:
        return len(self._packed)


def pack(v: Vector) -> tuple:
    arrs = vector_arrays(v)
    offsets = tuple(int(x) for x in np.cumsum([0, *(arrs[b][0].size for b in BLOCKS)]))
    return (np.concatenate([arrs[b][0] for b in BLOCKS]), np.concatenate([arrs[b][1] for b in BLOCKS]),
            offsets, v.day, v.dense, np.asarray(v.keys, np.int64))


def unpack(p: tuple) -> Vector:
    ids_a, ws_a, o, day, dense, keys = p
    arrays = {b: (ids_a[o[i]: o[i + 1]], ws_a[o[i]: o[i + 1]]) for i, b in enumerate(BLOCKS)}
    flat = (ids_a.astype(np.int64) | np.repeat(BLOCK_TAGS, np.diff(np.asarray(o, np.int64))), ws_a)
    return Vector(arrays, day, dense, keys.tolist(), arrays, flat)

"""What one refinement works on: the open stories, their members and a candidate index, the
scope's vectors (``ScopeVectors``) and what stays true from one round to the next (``remembered``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.model import Member, Story
from newsfold.stages.stories.score import CandidateIndex, Vector


@dataclass
class Scope:
    """The open stories one refinement works on, with their members and a candidate index."""

    config: StoryConfig
    stories: dict[str, Story]
    members: dict[str, Member]
    index: CandidateIndex
    core: set[str] | None  # the article ids whose stories are refined; None: all
    exists: Callable[[str], bool]  # whether a story id is taken outside the scope
    core_sids: set[str] = field(default_factory=set)

    def is_core(self, sid: str) -> bool:
        return self.core is None or sid in self.core_sids


class ScopeVectors(dict):
    """Article id -> its ``Vector``, made on first use (``make``) and kept as it is."""

    def __init__(self, make: Callable[[str], Vector]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, aid: str) -> Vector:
        v = self[aid] = self.make(aid)
        return v


def remembered(table: dict, rows: list[tuple[Any, Any, list]], compute: Callable[[list[int]], list]) -> list:
    """Values that stay true from one round to the next while what they depend on is the very same
    object (a story that changes is a new object).  They come in rows: a row is (a key, the object
    the whole row depends on or None, the objects of its values), and the values are given flat,
    row after row.  A value is taken from ``table`` where the key's row was kept with the very same
    row object and holds the very same value object; the rest are made by ``compute`` (given their
    flat positions).  ``table`` keeps one entry per key, the row just made (two tuples), not one per
    value: a round of refinement scores some 16 candidates for each of tens of thousands of
    articles, which as one entry per pair held more than 100 MB."""
    out: list = []
    todo: list[int] = []
    for key, ctx, objs in rows:
        hit = table.get(key)
        if hit is not None and hit[0] is ctx:
            known = {id(x): v for x, v in zip(hit[1], hit[2])}  # hit[1] holds its objects: ids stand
            for x in objs:
                v = known.get(id(x), _NONE)
                if v is _NONE:
                    todo.append(len(out))
                out.append(v)
        else:
            todo.extend(range(len(out), len(out) + len(objs)))
            out.extend([_NONE] * len(objs))
    if todo:
        for i, value in zip(todo, compute(todo)):
            out[i] = value
    at = 0
    for key, ctx, objs in rows:
        table[key] = (ctx, tuple(objs), tuple(out[at:at + len(objs)]))
        at += len(objs)
    return out


_NONE = object()  # no value kept (a kept value may be None)

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


def remembered(table: dict, items: list[tuple[Any, tuple]], compute: Callable[[list[int]], list]) -> list:
    """The values of ``items`` (a key, the objects the value depends on): from ``table`` where it
    holds one made with the very same objects (a story that changes is a new object), else made by
    ``compute`` (given the positions of the missing items) and kept in ``table``."""
    out: list = [None] * len(items)
    todo = []
    for i, (key, objs) in enumerate(items):
        hit = table.get(key)
        if hit is not None and len(hit[0]) == len(objs) and all(x is y for x, y in zip(hit[0], objs)):
            out[i] = hit[1]
        else:
            todo.append(i)
    if todo:
        for i, value in zip(todo, compute(todo)):
            out[i] = value
            table[items[i][0]] = (items[i][1], value)
    return out

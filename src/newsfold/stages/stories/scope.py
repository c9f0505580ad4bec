"""What one refinement works on: the open stories, their members and a candidate index."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from newsfold.stages.stories.config import StoryConfig
from newsfold.stages.stories.model import Member, Story
from newsfold.stages.stories.score import CandidateIndex


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

"""Settings, one small dataclass per stage.  Defaults ship here; a user's TOML file overrides them.

The whole ``Config`` is written beside the outputs (``config.json``) so that every artifact
records what made it.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class JsonlFields:
    """Field names read from each JSONL record."""

    id: str = "id"
    text: str = "text"
    title: str = "title"
    url: str = "url"
    outlet: str = "outlet"
    date: str = "date"


@dataclass
class ReaderConfig:
    jsonl: JsonlFields = field(default_factory=JsonlFields)
    max_line_bytes: int = 16 * 1024 * 1024  # a text line or JSONL record longer than this is dropped
    max_page_bytes: int = 32 * 1024 * 1024  # a page (file or record) larger than this is dropped
    html_favor: str = "balanced"  # trafilatura: "precision", "recall" or "balanced"
    # globs for files inside input folders (matched against the path inside the folder and the file name):
    include: list[str] = field(default_factory=list)  # read these too, whatever their format
    exclude: list[str] = field(default_factory=list)  # never read these


@dataclass
class SegmentConfig:
    min_article_words: int = 25  # a segment shorter than this joins the article before it
    max_headline_words: int = 25


@dataclass
class CleanConfig:
    rules: list[str] = field(default_factory=list)  # extra rules files, on top of the packaged ones
    learn_boilerplate: bool = True
    boilerplate_min_pages: int = 4  # a line must recur in at least this many distinct articles of one outlet
    boilerplate_min_fraction: float = 0.2  # ... and in at least this fraction of the outlet's articles
    boilerplate_max_words: int = 40  # longer lines are never learned as boilerplate
    heading_max_words: int = 10  # a line this short, not ending a sentence, may be a heading ...
    heading_min_varying: float = 0.7  # ... and is not learned when the kept lines after it differ in this
    #   fraction of its articles: it introduces the article's own content (both chosen leaving one set
    #   out, bench/thresholds.py)


@dataclass
class DedupConfig:
    """Near-duplicate detection (see docs/dedup.md for how the defaults were chosen)."""

    shingle: int = 5  # words per shingle
    num_perm: int = 512  # MinHash slots (one-permutation hashing bins)
    slot_bits: int = 8  # bits per slot (8, 16 or 32): 512 x 8 bits = the bytes of 128 x 32 bits
    bands: int = 32  # LSH bands ...
    rows: int = 6  # ... of this many slots each (bands * rows <= num_perm)
    threshold: float = 0.8  # estimated Jaccard at or above which two copies are near duplicates
    seed: int = 1
    batch: int = 2048  # articles hashed at once
    workers: int = 1  # processes hashing one batch (>1: a fork pool splits each batch)


@dataclass
class StepsConfig:
    """Which optional stages run after dedup."""

    stories: bool = True
    entities: bool = True


def _story_config():
    from .stories.config import StoryConfig

    return StoryConfig()


def _entity_config():
    from .entities.config import EntityConfig

    return EntityConfig()


@dataclass
class Config:
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    steps: StepsConfig = field(default_factory=StepsConfig)
    stories: Any = field(default_factory=_story_config)  # newsfold.stories.StoryConfig
    entities: Any = field(default_factory=_entity_config)  # newsfold.entities.EntityConfig
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        return _build(cls, data)

    @classmethod
    def load(cls, path: str | Path | None) -> "Config":
        if path is None:
            return cls()
        with open(path, "rb") as fh:
            return cls.from_dict(tomllib.load(fh))


def _build(kind: type, data: dict[str, Any]):
    """Build a (nested) dataclass from a dict, refusing unknown keys with a clear message."""
    known = {f.name: f for f in dataclasses.fields(kind)}
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            raise ValueError(f"unknown setting {key!r} in [{kind.__name__}]; known: {sorted(known)}")
        default = known[key].default_factory() if known[key].default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
        if dataclasses.is_dataclass(default) and isinstance(value, dict):
            kwargs[key] = _build(type(default), value)
        else:
            kwargs[key] = value
    return kind(**kwargs)

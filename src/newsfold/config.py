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
    # where signatures are hashed: "auto" (CUDA when torch sees it, else numpy), "cpu", "cuda"; the
    # slots are the same on every device, so it is not compared when adding to a corpus
    device: str = "auto"


@dataclass
class StepsConfig:
    """Which optional stages run after dedup."""

    stories: bool = True
    entities: bool = True


def _story_config():
    from newsfold.stages.stories.config import StoryConfig

    return StoryConfig()


def _entity_config():
    from newsfold.stages.entities.config import EntityConfig

    return EntityConfig()


@dataclass
class QueryLimits:
    """Bounds on one read-side query (``store.search``): longer or larger ones are refused with
    ``store.QueryError``, so that no query can keep the database busy for minutes."""

    max_chars: int = 1000  # characters in a search query
    max_terms: int = 64  # words in a search query (FTS5 time grows with them)
    max_results: int = 10_000  # the largest ``limit``


class ConfigError(ValueError):
    """Settings that cannot be used: one clear line per problem (``errors``)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class Config:
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    steps: StepsConfig = field(default_factory=StepsConfig)
    stories: Any = field(default_factory=_story_config)  # newsfold.stages.stories.StoryConfig
    entities: Any = field(default_factory=_entity_config)  # newsfold.stages.entities.EntityConfig
    progress: bool = True
    # processes for the parallel stages (segment, clean, language, signatures, NER); 0: every core this
    # process may use.  Results never depend on it, so it is not compared when adding to a corpus.
    workers: int = 0
    # keep newsfold.db, the SQLite store the read commands and the web UI use; False (`--no-db`): Parquet
    # only, for very large corpora (`newsfold db DIR` builds it later).  Said by a new corpus's first run:
    # a corpus built without it stays so until `newsfold db`, and one that has it keeps it up to date.
    db: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def errors(self) -> list[str]:
        """Every setting of the wrong type or out of its range, one line each (empty: all good)."""
        from newsfold.config_check import check

        return check(self)

    def validate(self) -> "Config":
        """Raise ``ConfigError`` listing every bad setting; ``newsfold.run`` calls it first."""
        errors = self.errors()
        if errors:
            raise ConfigError(errors)
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Settings from a (TOML-shaped) dict over the defaults; ``ConfigError`` lists every
        unknown key, wrong type and out-of-range value."""
        errors: list[str] = []
        if not isinstance(data, dict):
            raise ConfigError([f"settings must be a table, not {type(data).__name__}"])
        cfg = _build(cls, data, "", errors)
        errors += cfg.errors()
        if errors:
            raise ConfigError(errors)
        return cfg

    @classmethod
    def load(cls, path: str | Path | None) -> "Config":
        if path is None:
            return cls()
        with open(path, "rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError([f"not valid TOML: {exc}"]) from None
        return cls.from_dict(data)


def _build(kind: type, data: dict[str, Any], where: str, errors: list[str]):
    """Build a (nested) dataclass from a dict over its defaults; unknown keys and a value where a
    table belongs go to ``errors`` (and are left at their defaults)."""
    known = {f.name: f for f in dataclasses.fields(kind)}
    kwargs = {}
    for key, value in data.items():
        name = f"{where}{key}"
        if key not in known:
            errors.append(f"{name}: unknown setting; known in [{where.rstrip('.') or 'top level'}]: "
                          f"{', '.join(sorted(known))}")
            continue
        f = known[key]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default  # type: ignore[misc]
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                errors.append(f"{name} = {value!r}: must be a table of settings ([{name}])")
                continue
            kwargs[key] = _build(type(default), value, f"{name}.", errors)
        elif isinstance(default, tuple) and isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return kind(**kwargs)

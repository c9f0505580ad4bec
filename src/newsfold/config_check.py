"""Checking settings: every field's type (from its annotation) and range (from ``RANGES``).

A wrong setting must never be taken silently (a dedup threshold of 2.0 or nan would turn
near-duplicate folding off; ``stories = "no"`` is a true string), nor fail deep inside a run with a
traceback.  ``check(config)`` returns one line per problem, naming the setting by its dotted path
as in the TOML file (``dedup.threshold = 2.0: must be > 0 and <= 1``).
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Callable

Check = Callable[[Any], "str | None"]


def between(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> Check:
    """A number in [lo, hi] (or (lo, hi] with ``lo_open``); either bound may be absent."""
    parts = ([f"{'>' if lo_open else '>='} {lo:g}"] if lo is not None else []) + ([f"<= {hi:g}"] if hi is not None else [])
    rule = "must be " + " and ".join(parts)

    def check(v: Any) -> str | None:
        low_bad = lo is not None and (v <= lo if lo_open else v < lo)
        return rule if low_bad or (hi is not None and v > hi) else None

    return check


def one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        values = v if isinstance(v, (list, tuple)) else [v]
        bad = [x for x in values if x not in choices]
        return f"must be one of {', '.join(map(repr, choices))}" if bad else None

    return check


def keys_in(*choices: str) -> Check:
    def check(v: dict) -> str | None:
        bad = sorted(set(v) - set(choices))
        if bad:
            return f"unknown key(s) {', '.join(map(repr, bad))}; known: {', '.join(choices)}"
        neg = [k for k, x in v.items() if isinstance(x, (int, float)) and x < 0]
        return f"weights must be >= 0 ({', '.join(neg)})" if neg else None

    return check


def values_in(*choices: str) -> Check:
    def check(v: dict) -> str | None:
        bad = sorted(k for k, x in v.items() if x not in choices)
        return f"{', '.join(bad)}: each must map to one of {', '.join(choices)}" if bad else None

    return check


def not_empty(v: Any) -> str | None:
    return "must not be empty" if not v else None


POSITIVE = between(1)
COUNT = between(0)
FRACTION = between(0, 1)
SCORE = between(0, 1, lo_open=True)

RANGES: dict[str, Check] = {
    **{f"reader.jsonl.{k}": not_empty for k in ("id", "text", "title", "url", "outlet", "date")},
    "reader.max_line_bytes": POSITIVE, "reader.max_page_bytes": POSITIVE,
    "reader.html_favor": one_of("precision", "recall", "balanced"),
    "segment.min_article_words": COUNT, "segment.max_headline_words": POSITIVE,
    "clean.boilerplate_min_pages": POSITIVE, "clean.boilerplate_min_fraction": FRACTION,
    "clean.boilerplate_max_words": POSITIVE,
    "dedup.shingle": POSITIVE, "dedup.num_perm": between(1, 65536), "dedup.slot_bits": one_of(8, 16, 32),  # type: ignore[arg-type]
    "dedup.bands": POSITIVE, "dedup.rows": POSITIVE, "dedup.threshold": SCORE, "dedup.seed": COUNT,
    "dedup.batch": POSITIVE, "dedup.device": one_of("auto", "cpu", "cuda"), "workers": between(0, 1024),
    "stories.hash_bits": between(1, 31), "stories.max_terms": POSITIVE,
    "stories.entities": one_of("capitalised", "spacy"), "stories.title_from": one_of("title", "url", "lead"),
    "stories.weights": keys_in("body", "entities", "numbers", "title", "quotes"),
    "stories.quote_shingles": COUNT, "stories.quote_bonus": COUNT, "stories.threshold": SCORE,
    "stories.spread_penalty": FRACTION, "stories.cohesion_ratio": COUNT, "stories.time_window_days": COUNT,
    "stories.time_half_life_days": between(0, lo_open=True), "stories.time_floor": FRACTION,
    "stories.time_span_ratio": COUNT, "stories.active_days": between(0, lo_open=True),
    "stories.index_terms": POSITIVE, "stories.max_postings": POSITIVE, "stories.max_candidates": POSITIVE,
    "stories.centroid_terms": POSITIVE, "stories.chunk_size": POSITIVE, "stories.reorder_window": COUNT,
    "stories.commit_lag_days": COUNT, "stories.close_days": COUNT, "stories.close_undated_after": COUNT,
    "stories.max_open_days": COUNT, "stories.refine_rounds": COUNT, "stories.merge_threshold": SCORE,
    "stories.lone_ratio": FRACTION, "stories.lone_power": COUNT, "stories.settled": COUNT,
    "stories.split_ratio": COUNT, "stories.split_min": POSITIVE, "stories.shared_min_similarity": SCORE,
    "stories.min_sentence_words": COUNT, "stories.embedding_weight": COUNT,
    "stories.embedding_device": one_of("auto", "cpu", "cuda"),
    "stories.crosslingual_threshold": between(-1, 1), "stories.crosslingual_window_days": COUNT,
    "stories.crosslingual_chars": POSITIVE, "stories.crosslingual_members": POSITIVE,
    "entities.model": not_empty, "entities.batch_size": POSITIVE, "entities.ner_unit": one_of("field", "paragraph"),
    "entities.max_length": POSITIVE, "entities.labels": values_in("PERSON", "ORG", "PLACE"),
    "entities.min_typo_len": POSITIVE, "entities.min_shared_neighbours": COUNT,
    "entities.field_chars": POSITIVE, "entities.chunk_chars": between(1000), "entities.batch_chars": between(1000),
}


def _kind(v: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            tuple: "a list", dict: "a table", type(None): "nothing"}.get(type(v), type(v).__name__)


def _type_error(v: Any, t: Any) -> str | None:
    """Why ``v`` is not a ``t`` (None when it is)."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    if t is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        if v is None and type(None) in args:
            return None
        return _type_error(v, next(a for a in args if a is not type(None)))
    if t is bool:
        return None if isinstance(v, bool) else "must be true or false"
    if t is int:
        return None if isinstance(v, int) and not isinstance(v, bool) else "must be a whole number"
    if t is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return "must be a number"
        return None if math.isfinite(v) else "must be a finite number"
    if t is str:
        return None if isinstance(v, str) else "must be a string"
    if origin in (list, tuple):
        if not isinstance(v, (list, tuple)):
            return "must be a list"
        inner = args[0] if args else Any
        bad = next(((e, x) for x in v if (e := _type_error(x, inner))), None)
        return f"each item {bad[0]} (not {_kind(bad[1])})" if bad else None
    if origin is dict:
        if not isinstance(v, dict):
            return "must be a table"
        bad = next(((e, x) for x in v.values() if (e := _type_error(x, args[1]))), None)
        return f"each value {bad[0]} (not {_kind(bad[1])})" if bad else None
    return None


def check(obj: Any, where: str = "") -> list[str]:
    """Every problem of a settings dataclass and the dataclasses inside it, one line each."""
    errors: list[str] = []
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        name, value = f"{where}{f.name}", getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            errors += check(value, name + ".")
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default  # type: ignore[misc]
        if dataclasses.is_dataclass(default):
            errors.append(f"{name} = {value!r}: must be a table of settings ([{name}]), not {_kind(value)}")
            continue
        problem = _type_error(value, hints.get(f.name, Any))
        if problem:
            tail = "" if "finite" in problem or problem.startswith("each") else f", not {_kind(value)}"
            errors.append(f"{name} = {value!r}: {problem}{tail}")
        elif name in RANGES and value is not None and (problem := RANGES[name](value)):
            errors.append(f"{name} = {value!r}: {problem}")
    if where == "" and hasattr(obj, "dedup") and not errors:
        d = obj.dedup
        if d.bands * d.rows > d.num_perm:
            errors.append(f"dedup.bands * dedup.rows = {d.bands * d.rows}: must be <= dedup.num_perm ({d.num_perm})")
        errors += _devices(obj)
    return errors


def _devices(cfg: Any) -> list[str]:
    """A device asked for by name ("cuda") must be there: said when the run starts, not midway.
    (torch is imported only when a setting names "cuda".)"""
    from newsfold.stages.dedup import torch_hash

    errors = []
    if cfg.dedup.device == "cuda":
        try:
            torch_hash.resolve("cuda")
        except RuntimeError as exc:
            errors.append(str(exc))
    st = getattr(cfg, "stories", None)
    if getattr(st, "embedding_device", None) == "cuda" and st.embedding_model and st.embedding_weight > 0 \
            and not torch_hash.cuda_available():
        errors.append("stories.embedding_device = 'cuda', but torch sees no CUDA device; set it to 'auto' or 'cpu'")
    return errors

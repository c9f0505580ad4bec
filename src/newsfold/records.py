"""The typed records that flow through the pipeline.

A ``Page`` is one scraped page as read from an input (a text file, an HTML file, a WARC
response record, a JSONL record).  Segmentation splits a page into ``Article`` records, one per
article copy found on the page.  Every stage that drops or changes content records why, in a
``LedgerEntry`` (what happened to an input) or a ``Removal`` (what happened to a line).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import xxhash

# Ledger statuses
KEPT = "kept"
DUPLICATE = "duplicate"
DROPPED = "dropped"
SKIPPED = "skipped"  # a file in an input folder that is not read (not a page format, or --exclude)


def content_id(*parts: str, prefix: str = "") -> str:
    """A stable 16-hex-digit id derived from content (never from a position in a file)."""
    h = xxhash.xxh3_64()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return prefix + h.hexdigest()


@dataclass(slots=True)
class Page:
    """One scraped page, decoded to text.

    ``source`` says where it came from: the path relative to its input root, with ``#record``
    appended for a record inside an archive (a WARC record id or a JSONL line number).
    """

    source: str
    text: str
    kind: str  # "text", "html", "warc", "jsonl"
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    published: str | None = None  # ISO date (YYYY-MM-DD) where known
    authors: str | None = None
    record_id: str | None = None  # JSONL id field or WARC-Record-ID
    path_outlet: str | None = None  # the outlet its path names (meridian-ledger/…), used when no line names one
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def page_id(self) -> str:
        return content_id(self.source, self.text, prefix="p")


@dataclass(slots=True)
class Removal:
    """One line removed from an article, with the rule that removed it."""

    line: int  # line number inside the article's raw span (0-based)
    text: str
    rule: str  # the rule's name, e.g. "logo_line" or "learned_boilerplate"
    detail: str = ""


@dataclass(slots=True)
class Article:
    """One copy of an article found on a page, and after cleaning its clean text."""

    source: str
    page_id: str
    span: tuple[int, int]  # character offsets of the article inside Page.text
    raw: str  # the article's raw text (Page.text[span[0]:span[1]])
    title: str | None = None
    text: str = ""  # cleaned body
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    authors: str | None = None
    record_id: str | None = None
    article_id: str | None = None  # set by dedup: the id of the distinct article this copy belongs to
    story_id: str | None = None  # set by story grouping
    language: str | None = None  # ISO 639-1, or "und"; set after cleaning (language.py)
    captions: list[str] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    kept_lines: list[int] = field(default_factory=list)  # lines of ``raw`` that make ``text`` (set by cleaning)
    page_outlet: str | None = None  # the outlet its page's path names (Page.path_outlet)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def copy_id(self) -> str:
        return content_id(self.source, f"{self.span[0]}:{self.span[1]}", self.raw, prefix="c")


def distinct_article(row: dict) -> Article:
    """A distinct article (no page, no span) from a table row: ``articles.parquet``, or the story
    clusterer's pending articles."""
    return Article(source=row["source"], page_id="", span=(0, 0), raw="", title=row["title"],
                   text=row["text"] or "", outlet=row["outlet"], url=row["url"], published=row["published"],
                   captions=list(row["captions"] or ()), article_id=row["article_id"], story_id=row.get("story_id"),
                   language=row.get("language"))


@dataclass(slots=True)
class LedgerEntry:
    """What happened to one input: a file, a record inside a file, or a page."""

    source: str
    level: str  # "file", "record" or "page"
    status: str  # KEPT, DUPLICATE, DROPPED or SKIPPED
    reason: str = ""  # a short machine-readable reason, e.g. "binary", "empty", "bad_json"
    detail: str = ""  # a human-readable detail
    ref: str = ""  # the id the row is about: a page id for pages, a copy id for copies

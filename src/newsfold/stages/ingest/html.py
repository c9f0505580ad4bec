"""HTML pages: decoding and main-text extraction with trafilatura.

``Page.text`` is trafilatura's main text with one paragraph per block (paragraph, heading, list
item, table row) separated by blank lines; whitespace inside a paragraph is collapsed. Tables come
out of trafilatura as Markdown-like rows (``| a | b |``): separator rows are dropped and the cells
of a row are joined by `` | `` (old layout-table pages otherwise start with ``| --- |  |  |``).
Metadata is trafilatura's own; we only fill gaps: the outlet falls back to the URL's host, Wayback
Machine capture URLs are unwrapped to the original URL, and a "site name" that is really a page
title is trimmed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from newsfold.stages.ingest.meta import clean_sitename, host_of, normalize_date, unwrap_wayback
from newsfold.stages.ingest.text import decode_bytes, fix_text

_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_WS = re.compile(r"[ \t\f\v\r\u00a0\u2007\u202f]+")
_TAG = re.compile(r"<(?:!doctype|html|head|body|p|div|span|a|br|h[1-6]|article|section|ul|ol|li|table|meta|title|script|img)\b", re.I)

@dataclass(slots=True)
class HtmlResult:
    text: str
    title: str | None = None
    published: str | None = None
    authors: str | None = None
    url: str | None = None
    outlet: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HTTP_CHARSET.search(content_type)
    return m.group(1) if m else None


def decode_html(data: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """``(html, encoding)``: BOM, strict UTF-8, the HTTP charset, the ``<meta>`` charset, then detection."""
    m = _META_CHARSET.search(data[:16384])
    meta = m.group(1).decode("ascii", "ignore") if m else None
    return decode_bytes(data, (http_charset, meta))


def looks_like_html_text(text: str) -> bool:
    """For a JSONL text field: starts with ``<`` and contains HTML tags."""
    s = text.lstrip()
    if not s.startswith("<"):
        return False
    return s[:15].lower().startswith(("<!doctype", "<html")) or len(_TAG.findall(s[:20000])) >= 2


def normalise_extracted(text: str) -> str:
    """One paragraph per line of trafilatura's text, separated by blank lines; tables flattened."""
    paragraphs = []
    for line in text.split("\n"):
        line = _WS.sub(" ", line).strip()
        if not line:
            continue
        if line.startswith("|") and line.endswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            cells = [c for c in cells if c and c.strip("-: ")]
            if not cells:
                continue
            line = " | ".join(cells)
        paragraphs.append(line)
    return "\n\n".join(paragraphs)


def _favor(cfg) -> dict[str, bool]:
    favor = getattr(cfg, "html_favor", "balanced")
    return {"favor_precision": favor == "precision", "favor_recall": favor == "recall"}


def extract_html(html: str, cfg, url: str | None = None) -> HtmlResult | None:
    """Main text and metadata of an HTML document; None when trafilatura finds no main text."""
    from trafilatura import bare_extraction  # here, not at import: a run that reads no HTML never loads it

    doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False, **_favor(cfg))
    if doc is None:
        return None
    text = normalise_extracted(doc.text or "")
    if not text:
        return None
    text = fix_text(text)
    title = " ".join(fix_text(doc.title).split()) if doc.title else None
    page_url = url or unwrap_wayback(doc.url) or None
    host = host_of(page_url)
    sitename = clean_sitename(doc.sitename, title)
    if sitename and "archive.org" in sitename.lower():  # a Wayback capture, not the outlet
        sitename = None
    extra: dict[str, Any] = {}
    for key, value in (("sitename", doc.sitename), ("host", host), ("description", doc.description),
                       ("language", doc.language)):
        if value:
            extra[key] = value
    if doc.url and unwrap_wayback(doc.url) != doc.url:
        extra["capture_url"] = doc.url
    return HtmlResult(
        text=text,
        title=title or None,
        published=normalize_date(doc.date),
        authors=doc.author or None,
        url=page_url,
        outlet=sitename or host,
        extra=extra,
    )

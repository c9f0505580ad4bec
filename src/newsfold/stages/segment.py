"""Split a page into its articles.

Scraped pages often hold several articles one after another.  An article opens with its headline,
and articles are separated by a run of two or more blank lines.  A block that does not look like an
article of its own (no headline, or too few words of text once boilerplate lines are set aside)
is a continuation of the article before it.  Inside a block, a headline-like line that repeats
within the next few lines (headline, captions, logo, headline again) also opens a new article.
Each article keeps its character span in the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from newsfold.config import SegmentConfig
from newsfold.records import DROPPED, Article, LedgerEntry, Page
from newsfold.stages.base import Sink
from newsfold.stages.clean.rules import Rules

_LINE = re.compile(r"[^\n]*\n?")
_WORD = re.compile(r"\w+")
_REPEAT_WINDOW = 8


@dataclass(slots=True)
class Line:
    start: int
    end: int  # end offset without the newline
    text: str  # stripped

    @property
    def blank(self) -> bool:
        return not self.text


def split_lines(text: str) -> list[Line]:
    out = []
    for m in _LINE.finditer(text):
        if m.start() == m.end():
            break
        raw = m.group().rstrip("\n")
        out.append(Line(m.start(), m.start() + len(raw.rstrip()), raw.strip()))
    return out


def is_headline(line: str, cfg: SegmentConfig) -> bool:
    words = line.split()
    if not words or len(words) > cfg.max_headline_words:
        return False
    if line[-1] in ".,;。，；،؛" or line.startswith(("“", '"', "•", "-", "*")):
        return False
    # a capital, or a letter of a script without case (Arabic, Chinese, Thai...) that a headline may start with
    return any(c.isalpha() and not c.islower() for c in line[:3])


class Segmenter:
    """Page -> its article copies (raw text and span; cleaning comes later)."""

    name = "segment"

    def __init__(self, cfg: SegmentConfig, rules: Rules):
        self.cfg = cfg
        self.rules = rules

    def _body_words(self, lines: list[Line]) -> int:
        return sum(len(_WORD.findall(ln.text)) for ln in lines if ln.text and self.rules.match(ln.text) is None)

    def _headline(self, lines: list[Line]) -> Line | None:
        for ln in lines:
            if ln.blank or self.rules.match(ln.text) is not None:
                continue
            return ln if is_headline(ln.text, self.cfg) else None
        return None

    def _blocks(self, lines: list[Line]) -> list[list[Line]]:
        blocks: list[list[Line]] = [[]]
        blank_run = 0
        for ln in lines:
            if ln.blank:
                blank_run += 1
                blocks[-1].append(ln)
                continue
            if blank_run >= 2 and any(not x.blank for x in blocks[-1]):
                blocks.append([])
            blank_run = 0
            blocks[-1].append(ln)
        out = []
        for block in blocks:
            out.extend(self._split_repeats(block))
        return [b for b in out if any(not x.blank for x in b)]

    def _split_repeats(self, block: list[Line]) -> list[list[Line]]:
        """Split where a headline-like line repeats right below itself (a new article's header)."""
        cuts = []
        texts = [ln.text for ln in block]
        for i, ln in enumerate(block):
            if ln.blank or i == 0 or not block[i - 1].blank or not is_headline(ln.text, self.cfg):
                continue
            window = texts[i + 1 : i + 1 + _REPEAT_WINDOW]
            if ln.text not in window:
                continue
            between = block[i + 1 : i + 1 + window.index(ln.text)]
            if not self._only_header(between):
                continue  # text between the two: a name repeated in a thread, not a header
            if self._body_words(block[(cuts[-1] if cuts else 0) : i]) >= self.cfg.min_article_words:
                cuts.append(i)
        bounds = [0, *cuts, len(block)]
        return [block[a:b] for a, b in zip(bounds, bounds[1:])]

    def _only_header(self, lines: list[Line]) -> bool:
        """Blank, boilerplate or doubled (caption) lines only."""
        texts = [ln.text for ln in lines]
        for k, ln in enumerate(lines):
            if ln.blank or self.rules.match(ln.text) is not None:
                continue
            if (k > 0 and texts[k - 1] == ln.text) or (k + 1 < len(texts) and texts[k + 1] == ln.text):
                continue
            return False
        return True

    def _in_thread(self, lines: list[Line]) -> bool:
        return any(not ln.blank and (m := self.rules.match(ln.text)) is not None and m.action == "thread" for ln in lines)

    def spans(self, text: str) -> list[tuple[int, int]]:
        lines = split_lines(text)
        groups: list[list[Line]] = []
        for block in self._blocks(lines):
            opens = self._headline(block) is not None and self._body_words(block) >= self.cfg.min_article_words
            if groups and (not opens or self._in_thread(groups[-1])):
                groups[-1].extend(block)
            elif groups and not self._is_article(groups[-1]):
                groups[-1].extend(block)  # the first block was only a preamble (widgets): it joins this one
            else:
                groups.append(list(block))
        out = []
        for g in groups:
            content = [ln for ln in g if not ln.blank]
            out.append((content[0].start, content[-1].end))
        return out

    def _is_article(self, lines: list[Line]) -> bool:
        return self._headline(lines) is not None and self._body_words(lines) >= self.cfg.min_article_words

    def __call__(self, page: Page) -> Iterator[Article]:
        if page.kind == "text" or (page.kind == "jsonl" and not page.title):
            spans = self.spans(page.text)
        else:
            stripped = page.text.strip()
            spans = [(page.text.find(stripped), page.text.find(stripped) + len(stripped))] if stripped else []
        for start, end in spans:
            yield Article(
                source=page.source,
                page_id=page.page_id,
                span=(start, end),
                raw=page.text[start:end],
                title=page.title,
                outlet=page.outlet,
                url=page.url,
                published=page.published,
                authors=page.authors,
                record_id=page.record_id,
                page_outlet=page.path_outlet,
                extra=dict(page.extra),
            )


class Segment:
    """Stage: pages -> their article copies; a page with none gets a ``no_article`` ledger row."""

    name = "segment"
    parallel = True

    def __init__(self, cfg: SegmentConfig, rules: Rules):
        self.segmenter = Segmenter(cfg, rules)

    def __call__(self, pages: Iterable[Page], sink: Sink) -> Iterator[Article]:
        for page in pages:
            arts = list(self.segmenter(page))
            if not arts:
                sink.ledger(LedgerEntry(page.source, "page", DROPPED, "no_article", "no article text found", page.page_id))
            yield from arts

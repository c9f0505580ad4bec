"""Clean one article copy: title, captions and body, with every removed line explained.

The rules come from data (``rules.toml``); a few structural rules that need context are here:

* ``title`` - the first headline-like line becomes the title (when no metadata gave one);
* ``repeated_headline`` - later appearances of the title;
* ``caption_repeated`` - a line printed twice in a row (the scraped photo caption);
* ``outlet_name`` - a line that is just the outlet's name;
* ``comment_thread`` - everything after a reader-comment marker.

Lines learned as boilerplate across the corpus are removed later (``boilerplate.py``).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Iterator

from newsfold.records import Article, Removal
from newsfold.stages.base import Sink, by_page
from newsfold.stages.clean.rules import Rules
from newsfold.stages.segment import Line, is_headline, split_lines
from newsfold.config import SegmentConfig

_MIN_BODY_WORDS_BEFORE_THREAD = 40
_WORD = re.compile(r"\w+")


def norm_line(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def assemble(lines: list[Line], keep: list[int]) -> str:
    """Join the kept lines; a blank line between two kept lines becomes a paragraph break."""
    out: list[str] = []
    prev = None
    for i in keep:
        if prev is not None:
            out.append("\n\n" if any(lines[k].blank for k in range(prev + 1, i)) else "\n")
        out.append(lines[i].text)
        prev = i
    return "".join(out)


class Cleaner:
    """Article copy (raw) -> the same article with title, text, captions and removals set."""

    name = "clean"

    def __init__(self, rules: Rules, segment_cfg: SegmentConfig | None = None):
        self.rules = rules
        self.seg = segment_cfg or SegmentConfig()

    def __call__(self, art: Article) -> Article:
        lines = split_lines(art.raw)
        texts = [ln.text for ln in lines]
        title = art.title.strip() if art.title else None
        title_norm = norm_line(title) if title else None
        outlets = {norm_line(art.outlet)} if art.outlet else set()
        removals: list[Removal] = []
        captions: list[str] = []
        keep: list[int] = []
        body_words = 0
        in_thread = False

        def remove(i: int, rule: str, detail: str = "") -> None:
            removals.append(Removal(i, lines[i].text, rule, detail))

        for i, ln in enumerate(lines):
            if ln.blank:
                continue
            if in_thread:
                remove(i, "comment_thread", "inside a reader-comment thread")
                continue
            logo_outlet = self.rules.outlet_for_logo(ln.text)
            if logo_outlet and not art.outlet:
                art.outlet = logo_outlet
                outlets.add(norm_line(logo_outlet))
            m = self.rules.match(ln.text, texts, i)
            if m is not None:
                if m.outlet:
                    outlets.add(norm_line(m.outlet))
                    art.outlet = art.outlet or m.outlet
                if m.authors and not art.authors:  # a byline names the authors when no metadata did
                    art.authors = m.authors
                if m.action == "caption":
                    if ln.text not in captions:
                        captions.append(ln.text)
                    remove(i, m.rule, "photo caption, kept as metadata")
                elif m.action == "thread" and body_words >= _MIN_BODY_WORDS_BEFORE_THREAD:
                    in_thread = True
                    remove(i, m.rule, "reader-comment thread starts here; the rest of the article is the thread")
                else:
                    remove(i, m.rule, f"matched {m.rule} in {m.source}")
                continue
            n = norm_line(ln.text)
            if title is None and is_headline(ln.text, self.seg):
                title, title_norm = ln.text, n
                remove(i, "title", "moved to the title field")
                continue
            if title_norm is not None and n == title_norm:
                remove(i, "repeated_headline", "the headline again")
                continue
            if (i > 0 and texts[i - 1] == ln.text) or (i + 1 < len(texts) and texts[i + 1] == ln.text):
                if ln.text not in captions:
                    captions.append(ln.text)
                remove(i, "caption_repeated", "line printed twice in a row: a photo caption")
                continue
            if n in outlets:
                remove(i, "outlet_name", "the outlet's name alone")
                continue
            keep.append(i)
            body_words += len(_WORD.findall(ln.text))

        art.title = title
        art.captions = captions
        art.removals = removals
        art.text = assemble(lines, keep)
        art.kept_lines = keep
        return art


class Clean:
    """Stage: article copies -> the same copies, cleaned (title, text, captions, removals, kept lines)."""

    name = "clean"
    parallel = True

    def __init__(self, rules: Rules, cfg: SegmentConfig):
        self.cleaner = Cleaner(rules, cfg)

    def __call__(self, articles: Iterable[Article], sink: Sink) -> Iterator[Article]:
        for a in articles:
            yield self.cleaner(a)


class PageOutlet:
    """Stage: a logo or "Support X" line names its page's outlet, for all the page's articles; where no
    line names one (or lines name several), the page's path may (``Article.page_outlet``)."""

    name = "outlet"
    parallel = True

    def __call__(self, articles: Iterable[Article], sink: Sink) -> Iterator[Article]:
        for arts in by_page(articles):
            found = {a.outlet for a in arts if a.outlet}
            outlet = found.pop() if len(found) == 1 else None if found else arts[0].page_outlet
            for a in arts:
                a.outlet = a.outlet or outlet
            yield from arts

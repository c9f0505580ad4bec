"""Boilerplate learned from the corpus itself.

As CCNet and dolma do, every short line is hashed (after normalisation) together with its outlet.
A line that recurs on many *different* articles of one outlet (navigation, bylines, promos,
copyright notices) is boilerplate.  Counting distinct articles, not pages, keeps the body of an
article that was scraped many times from being learned as boilerplate: copies share their title,
so a line is counted once per distinct title.  A line is learned only with support from enough
distinct articles of the outlet (``CleanConfig.boilerplate_min_pages``, and a fraction of them).

A recurring line is not always boilerplate: on a review site every review has its "Pros", "Cons" and
"What We Don't Like" headings.  A heading introduces the article's own content, which differs from
article to article; a navigation or footer line is followed by the same lines, or by nothing that is
kept.  So for a short, heading-like line we also count the distinct kept lines that follow it, and a
line followed by varying content in enough of its articles is never learned.

Memory: three uint64 per observed line, in compact arrays; counting is done with numpy (boilerplate_state.py).
"""
from __future__ import annotations

import re
from array import array
from urllib.parse import urlsplit
from dataclasses import dataclass, field

import xxhash

from newsfold.stages.clean.cleaner import assemble, norm_line
from newsfold.config import CleanConfig
from newsfold.records import Article, Removal
from newsfold.stages.segment import split_lines

_UNKNOWN = "(unknown outlet)"


def _h(*parts: str) -> int:
    return xxhash.xxh3_64_intdigest("\x1f".join(parts).encode("utf-8", "surrogatepass"))


_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}


def site_of(url: str | None) -> str | None:
    """The registered domain of a URL (``edition.cnn.com`` -> ``cnn.com``, ``news.bbc.co.uk`` -> ``bbc.co.uk``)."""
    if not url:
        return None
    host = urlsplit(url if "//" in url else "//" + url).hostname
    if not host or "." not in host:
        return None
    labels = host.lower().split(".")
    if host.replace(".", "").isdigit():
        return host
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def outlet_key(art: Article) -> str:
    """Which outlet's boilerplate an article shares: its site (from the URL), else its outlet's name
    (case, spaces and a ".com" folded), else the folder its page came from."""
    site = site_of(art.url)
    if site and site != "archive.org":
        return site
    if art.outlet:
        return re.sub(r"\W+|\.com$", "", art.outlet.lower().removesuffix(".com"))
    folder = art.source.rsplit("#", 1)[0].rsplit("/", 1)[0] if "/" in art.source else ""
    return f"{_UNKNOWN} {folder}".strip()


@dataclass
class LearnedBoilerplate:
    """The learned lines: a set of (outlet, line) hashes with how many distinct articles had them."""

    counts: dict[int, int] = field(default_factory=dict)  # line hash -> distinct articles
    outlet_articles: dict[int, int] = field(default_factory=dict)  # outlet hash -> distinct articles
    texts: dict[int, tuple[str, str]] = field(default_factory=dict)  # line hash -> (outlet, line), filled by apply

    def __len__(self) -> int:
        return len(self.counts)

    def apply(self, art: Article) -> Article:
        """Remove learned lines from the article's kept lines; record each removal."""
        if not self.counts:
            return art
        keep = art.kept_lines
        if not keep:
            return art
        lines = split_lines(art.raw)
        outlet = outlet_key(art)
        new_keep = []
        for i in keep:
            h = _h(outlet, norm_line(lines[i].text))
            n = self.counts.get(h)
            if n is None:
                new_keep.append(i)
                continue
            self.texts.setdefault(h, (outlet, lines[i].text))
            art.removals.append(Removal(i, lines[i].text, "learned_boilerplate", f"recurs in {n} articles of {outlet}"))
        if len(new_keep) != len(keep):
            art.removals.sort(key=lambda r: r.line)
            art.kept_lines = new_keep
            art.text = assemble(lines, new_keep)
        return art

    def rows(self) -> list[dict]:
        return [
            {"outlet": o, "line": t, "n_articles": self.counts[h]}
            for h, (o, t) in sorted(self.texts.items(), key=lambda kv: (kv[1][0], -self.counts[kv[0]], kv[1][1]))
        ]


_SENTENCE_END = (".", "!", "?", "…", '"', "”")


def heading_like(text: str, max_words: int) -> bool:
    """A short line that can introduce what follows it: "Pros", "What We Don't Like", "Sources:"."""
    words = text.split()
    return 0 < len(words) <= max_words and not text.endswith(_SENTENCE_END) and (text[0].isupper() or text[0].isdigit())


def follower(lines: list, i: int, kept: set[int], max_words: int, after_body: bool) -> int:
    """For a heading-like line i inside the body (after a kept line longer than a heading): a hash of
    the next non-blank line when that line is kept (the content the heading introduces), else 0.
    A short line before any body text ("FOXNews.com", "Story highlights") is not a heading."""
    if not after_body or not heading_like(lines[i].text, max_words):
        return 0
    j = i + 1
    while j < len(lines) and lines[j].blank:
        j += 1
    if j >= len(lines) or j not in kept:
        return 0
    return _h("next", norm_line(lines[j].text)) or 1


class BoilerplateLearner:
    """Observe cleaned article copies; ``BoilerplateState.finish`` turns the observations into a
    LearnedBoilerplate."""

    def __init__(self, cfg: CleanConfig):
        self.cfg = cfg
        self._line = array("Q")
        self._title = array("Q")
        self._outlet_line = array("Q")
        self._next = array("Q")  # per observed line: the kept line after it when it is heading-like, else 0
        self._outlet_title: dict[int, set[int]] = {}

    def merge(self, other: "BoilerplateLearner") -> None:
        """Add the observations another worker made (of the copies after this one's)."""
        self._line.extend(other._line)
        self._title.extend(other._title)
        self._outlet_line.extend(other._outlet_line)
        self._next.extend(other._next)
        for oh, titles in other._outlet_title.items():
            self._outlet_title.setdefault(oh, set()).update(titles)

    def observe(self, art: Article) -> None:
        if not self.cfg.learn_boilerplate:
            return
        outlet = outlet_key(art)
        oh = _h(outlet)
        th = _h(norm_line(art.title or ""), art.text[:200] if not art.title else "")
        self._outlet_title.setdefault(oh, set()).add(th)
        lines = split_lines(art.raw)
        keep = art.kept_lines
        kept = set(keep)
        body = False  # a kept line longer than a heading came before
        for i in keep:
            text = lines[i].text
            words = len(text.split())
            if words <= self.cfg.boilerplate_max_words:
                self._line.append(_h(outlet, norm_line(text)))
                self._title.append(th)
                self._outlet_line.append(oh)
                self._next.append(follower(lines, i, kept, self.cfg.heading_max_words, body))
            body = body or words > self.cfg.heading_max_words

"""Boilerplate learned from the corpus itself.

As CCNet and dolma do, every short line is hashed (after normalisation) together with its outlet.
A line that recurs on many *different* articles of one outlet (navigation, bylines, promos,
copyright notices) is boilerplate.  Counting distinct articles, not pages, keeps the body of an
article that was scraped many times from being learned as boilerplate: copies share their title,
so a line is counted once per distinct title.

Memory: two uint64 per observed line, in compact arrays; counting is done with numpy.
"""
from __future__ import annotations

import re
from array import array
from urllib.parse import urlsplit
from dataclasses import dataclass, field

import xxhash

from .clean import assemble, norm_line
from .config import CleanConfig
from .records import Article, Removal
from .segment import split_lines

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
        keep: list[int] = art.extra.get("kept_lines", [])
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
            art.extra["kept_lines"] = new_keep
            art.text = assemble(lines, new_keep)
        return art

    def rows(self) -> list[dict]:
        return [
            {"outlet": o, "line": t, "n_articles": self.counts[h]}
            for h, (o, t) in sorted(self.texts.items(), key=lambda kv: (kv[1][0], -self.counts[kv[0]], kv[1][1]))
        ]


class BoilerplateLearner:
    """Observe cleaned article copies; ``BoilerplateState.finish`` turns the counts into a LearnedBoilerplate."""

    def __init__(self, cfg: CleanConfig):
        self.cfg = cfg
        self._line = array("Q")
        self._title = array("Q")
        self._outlet_line = array("Q")
        self._outlet_title: dict[int, set[int]] = {}

    def observe(self, art: Article) -> None:
        if not self.cfg.learn_boilerplate:
            return
        outlet = outlet_key(art)
        oh = _h(outlet)
        th = _h(norm_line(art.title or ""), art.text[:200] if not art.title else "")
        self._outlet_title.setdefault(oh, set()).add(th)
        lines = split_lines(art.raw)
        for i in art.extra.get("kept_lines", []):
            text = lines[i].text
            if len(text.split()) > self.cfg.boilerplate_max_words:
                continue
            self._line.append(_h(outlet, norm_line(text)))
            self._title.append(th)
            self._outlet_line.append(oh)

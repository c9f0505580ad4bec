"""The order of the stream: (published date, article id), undated articles last.

``ordered`` sorts a batch into that order; an iterator longer than a run is sorted on disk, in
sorted runs merged back one article at a time, so a long input is never held in RAM.
"""
from __future__ import annotations

import heapq
import pickle
import tempfile
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from newsfold.records import Article


def article_order(art: Article) -> tuple:
    return (art.published is None, art.published or "", art.article_id or "")


def ordered(articles: Iterable[Article], run: int) -> Iterator[Article]:
    """The articles in ``article_order``; an iterator longer than ``run`` is sorted on disk."""
    if isinstance(articles, (list, tuple)):
        yield from sorted(articles, key=article_order)
        return
    it = iter(articles)
    first = list(islice(it, run))
    if len(first) < run:
        yield from sorted(first, key=article_order)
        return
    with tempfile.TemporaryDirectory(prefix="newsfold-stories-sort-") as tmp:
        paths = []
        chunk = first
        while chunk:
            chunk.sort(key=article_order)
            paths.append(Path(tmp) / f"run{len(paths):05d}.pkl")
            with open(paths[-1], "wb") as fh:
                for a in chunk:
                    pickle.dump(a, fh, protocol=pickle.HIGHEST_PROTOCOL)
            chunk = list(islice(it, run))
        yield from heapq.merge(*(read_pickled(p) for p in paths), key=article_order)


def read_pickled(path: Path) -> Iterator:
    """The objects pickled one after another into ``path``, one at a time."""
    with open(path, "rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return

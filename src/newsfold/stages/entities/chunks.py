"""Bounded pieces for NER: what one article may cost does not grow with its length.

spaCy's memory grows with the characters it holds at once (one 1M-character doc peaks near
3.3 GB; a batch of short docs of the same total costs as much), so a long field is cut into pieces
of at most ``chunk_chars`` at the best boundary inside the piece's last half (a blank line, else a
line break, else a sentence end, else a space; a hard cut only for a piece with no space at all),
and pieces go to NER in batches of at most ``batch_size`` texts and ``batch_chars`` characters.
Each piece carries its offset, so mentions are reported in the whole field's offsets.  A field
shorter than ``chunk_chars`` is one piece at offset 0: its mentions are exactly as before.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_BOUNDARIES = (re.compile(r"\n[ \t]*\n\s*"), re.compile(r"\n\s*"), re.compile(r"[.!?][\"')\]]*\s+"),
               re.compile(r"\s+"))


def _cut(text: str, start: int, end: int) -> int:
    """Where to end the piece that starts at ``start`` and may reach ``end``: just after the last
    boundary of the strongest kind found in the second half of the window."""
    lo = start + (end - start) // 2
    for pattern in _BOUNDARIES:
        last = None
        for last in pattern.finditer(text, lo, end):
            pass
        if last is not None and last.end() > start:
            return last.end()
    return end


def pieces(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) of the pieces of ``text``, each at most ``size`` characters, covering it in order."""
    if len(text) <= size:
        return [(0, len(text))]
    out, start = [], 0
    while len(text) - start > size:
        end = _cut(text, start, start + size)
        out.append((start, end))
        start = end
    out.append((start, len(text)))
    return out


_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")


def paragraph_pieces(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) of the paragraphs of ``text`` (cut at blank lines, the blank run left out), each
    longer than ``size`` cut further by ``pieces``: units that recur across articles as they are."""
    out, start = [], 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m else len(text)
        if text[start:end].strip():
            out += [(start + a, start + b) for a, b in pieces(text[start:end], size)]
        start = m.end() if m else len(text)
    return out


def bounded_batches(items: Iterable[tuple[str, T]], max_items: int, max_chars: int) -> Iterator[list[tuple[str, T]]]:
    """``(text, context)`` items in batches of at most ``max_items`` items and ``max_chars``
    characters (a single longer item is a batch of its own)."""
    batch: list[tuple[str, T]] = []
    chars = 0
    for item in items:
        n = len(item[0])
        if batch and (len(batch) >= max_items or chars + n > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += n
    if batch:
        yield batch

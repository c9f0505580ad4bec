"""Span repairs that need the story's own text: headline fragments, sentence-initial common
words, and names that NER cut short.

Title Case fools the small model: every word of a headline is capitalised, so "Waters Recede",
"Everyone Read and Nobody Acted" or "Port Selwyn Council Votes" look like names.  A word is
*attested* as part of a name when the story capitalises it mid-sentence outside its headlines,
or when it is part of a name NER found outside its headlines.  In a headline (the title, or its
copy inside the body) a span keeps its longest run of attested words from the start ("Port
Selwyn Council Votes" -> "Port Selwyn Council"); a span without one is dropped.  Outside
headlines, a one-word span that opens a sentence, is written in lower case elsewhere in the story
and is never attested ("Commuters wait…", "Inshore boats…") is dropped too; "in lower case"
means anywhere in the corpus.

A span lying inside a longer name the story knows, written out in the text around it, becomes
that name ("Selwyn" in "Port Selwyn", when truecasing the headline lower-cased "Port").
"""
from __future__ import annotations

import re
from collections.abc import Callable

from newsfold.stages.entities.extract import Mention
from newsfold.stages.entities.names import TITLES, fold, skeleton

_WORD = re.compile(r"[^\W\d_][\w'\u2019.-]*")
_MID_SENTENCE_CAPS = re.compile(r"(?<=[a-z,;] )[A-Z][\w'\u2019-]*")
_CONNECTORS = frozenset("of and the for de del la le du al el bin on in at upon".split())
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"\u201c\u2018(]\s*|\n\s*)$")


def _headline_lines(title: str, text: str) -> list[tuple[int, int]]:
    """Character ranges of ``text``'s lines that repeat the title."""
    title = title.strip()
    out, pos = [], 0
    for line in text.split("\n"):
        if title and line.strip() == title:
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _token_key(word: str) -> str:
    tok = fold(word).strip("-'\"()[],;:.")
    return skeleton(tok) or tok


def _word(w: str) -> str:
    return w.strip(".'\u2019").lower()


class Headlines:
    """What one story attests, and where its headlines are."""

    def __init__(self, group: list[Mention], texts: dict[str, dict[str, str]], lower: set[str]):
        self.heads: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.attested: set[str] = set()
        self.lower = lower  # the corpus's lower-case words
        for aid, fields in texts.items():
            title = fields.get("title", "")
            for field, text in fields.items():
                ranges = ([(0, len(text))] if field == "title"
                          else _headline_lines(title, text))
                self.heads[(aid, field)] = ranges
                body = _blank(text, ranges)
                self.attested.update(_word(w) for w in _MID_SENTENCE_CAPS.findall(body))
        for m in group:
            if m.type is not None and not self.in_headline(m) and not self._opener(m, texts):
                self.attested.update(_word(w) for w in _WORD.findall(m.surface))

    @staticmethod
    def _opener(m: Mention, texts: dict[str, dict[str, str]]) -> bool:
        """A one-word span that opens a sentence (it attests nothing)."""
        text = texts.get(m.article_id, {}).get(m.field, "")
        return (" " not in m.surface.strip()
                and _SENTENCE_START.search(text, max(0, m.start - 3), m.start) is not None)

    def in_headline(self, m: Mention) -> bool:
        return any(a <= m.start < b for a, b in self.heads.get((m.article_id, m.field), ()))

    def fix(self, m: Mention, text: str | None) -> list[Mention]:
        if text is None:
            return [m]
        if self.in_headline(m):
            return self._cut(m, text)
        words = _WORD.findall(m.surface)
        if (len(words) == 1 and m.source == "ner" and not m.surface.isupper()
                and _word(words[0]) in self.lower and _word(words[0]) not in self.attested
                and _SENTENCE_START.search(text, max(0, m.start - 3), m.start)):
            return []  # "Commuters wait on the platform"
        return [m]

    def _cut(self, m: Mention, text: str) -> list[Mention]:
        end = m.start
        for w in _WORD.finditer(text, m.start, m.end):
            word = _word(w.group(0))
            if word in self.attested or m.surface.isupper():
                end = w.end()
            elif word not in _CONNECTORS:
                break
        if end == m.end:
            return [m]
        if end == m.start:
            return []
        return [Mention(m.article_id, m.field, m.start, end, text[m.start:end], m.label, m.type,
                        "split")]


def _blank(text: str, ranges: list[tuple[int, int]]) -> str:
    if not ranges:
        return text
    chars = list(text)
    for a, b in ranges:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


_CAP_BEFORE = re.compile(r"[A-Z][\w'\u2019.]*[ -]$")
_CAP_AFTER = re.compile(r"[ -][A-Z]")


def could_grow(m: Mention, text: str | None, inner: set[str]) -> bool:
    """A quick test before ``extend``: a capitalised word touches the span and one of its words
    is a word of a longer name the story knows."""
    if not text or m.type is None:
        return False
    if not (_CAP_BEFORE.search(text, max(0, m.start - 30), m.start) or _CAP_AFTER.match(text, m.end)):
        return False
    return any(_token_key(w) in inner for w in m.surface.split())


def extend(m: Mention, text: str | None,
           find: Callable[[str, int, int], list[tuple[int, int, str]]]) -> Mention:
    """``m`` grown to the longer known name written around it, if there is one."""
    if text is None or m.type is None:
        return m
    for s, e, etype in find(text, max(0, m.start - 40), min(len(text), m.end + 40)):
        added = (text[s:m.start] + " " + text[m.end:e]).lower().replace(".", " ").split()
        if any(w in TITLES for w in added):
            continue  # "Minister" is not part of "Yevgeny Dorofeyev"
        if s <= m.start and m.end <= e and (s, e) != (m.start, m.end):
            return Mention(m.article_id, m.field, s, e, text[s:e], m.label, etype, "split")
    return m

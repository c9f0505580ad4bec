"""What the outlets of one story share, and what each says alone.

Each member's text is split into sentences.  Two sentences of different articles are
near-identical when the 3-word shingles of the shorter one are at least
``shared_min_similarity`` contained in the other's (containment, so that a quote matches the
sentence that wraps it: "Al-Asadi was quoted as saying: “They asked …”" and "“They asked …”").
Near-identical sentences form groups (connected pairs); a sentence is *shared* when its group
holds a sentence of another outlet (an article without an outlet counts as its own outlet).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

_SPLIT = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_NORM_WORD = re.compile(r"[^\W_]+")


def sentences(text: str) -> list[str]:
    """The text's sentences, paragraph by paragraph (a crude, rule-based splitter)."""
    out = []
    for para in text.splitlines():
        para = " ".join(para.split())
        if not para:
            continue
        out.extend(s.strip() for s in _SPLIT.split(para) if s.strip())
    return out


def shingles(sentence: str, n: int = 3) -> set[str]:
    words = _NORM_WORD.findall(sentence.lower().replace("’", "'"))
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i: i + n]) for i in range(len(words) - n + 1)}


@dataclass(slots=True)
class SentenceRow:
    article_id: str
    outlet: str | None
    sentence_no: int
    sentence: str
    shared: bool = False
    shared_with: list[str] = field(default_factory=list)  # the other outlets (or article ids)
    group: int | None = None  # near-identical sentences share a group number within the story


def compare(members: list[tuple[str, str | None, list[str]]], min_similarity: float = 0.8,
            min_words: int = 6, max_df: int = 200) -> list[SentenceRow]:
    """Rows for every sentence of a story's members (``(article_id, outlet, sentences)``, in the
    story's order), marking near-identical sentences across articles."""
    rows = [SentenceRow(aid, outlet, no, s) for aid, outlet, sents in members for no, s in enumerate(sents)]
    if len(members) < 2:  # nothing to compare: no shingles (a long lone article would hold them all)
        return rows
    sigs: list[set[str]] = []
    owner: list[int] = []
    for ai, (aid, outlet, sents) in enumerate(members):
        for s in sents:
            sigs.append(shingles(s) if len(_NORM_WORD.findall(s)) >= min_words else set())
            owner.append(ai)
    postings: dict[str, list[int]] = defaultdict(list)
    for i, sig in enumerate(sigs):
        for sh in sig:
            postings[sh].append(i)
    overlap: dict[tuple[int, int], int] = defaultdict(int)
    for lst in postings.values():
        if len(lst) < 2 or len(lst) > max_df:
            continue
        for x in range(len(lst)):
            for y in range(x + 1, len(lst)):
                i, j = lst[x], lst[y]
                if owner[i] != owner[j]:
                    overlap[(i, j)] += 1
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (i, j), n in sorted(overlap.items()):
        if n / min(len(sigs[i]), len(sigs[j])) >= min_similarity:
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    comps: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        comps[find(i)].append(i)
    group_no = 0
    for root in sorted(comps):
        idx = comps[root]
        if len({owner[i] for i in idx}) < 2:
            continue
        keys = {i: rows[i].outlet or rows[i].article_id for i in idx}
        for i in idx:
            others = sorted({k for j, k in keys.items() if k != keys[i]})
            rows[i].group = group_no
            rows[i].shared = bool(others)
            rows[i].shared_with = others
        group_no += 1
    return rows

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
    """The sentence's word ``n``-grams, lower-cased (apostrophes are not word characters)."""
    return _shingles(_NORM_WORD.findall(sentence.lower()), n)


def _shingles(words: list[str], n: int = 3) -> set[str]:
    if len(words) < n:
        return {" ".join(words)} if words else set()
    if n == 3:
        return set(map(" ".join, zip(words, words[1:], words[2:])))
    return {" ".join(words[i: i + n]) for i in range(len(words) - n + 1)}


def _signature(sentence: str, min_words: int) -> frozenset[str]:
    """The 3-word shingles of a sentence of at least ``min_words`` words, else none."""
    words = _NORM_WORD.findall(sentence.lower())
    # lower() keeps an ASCII sentence's words; elsewhere it may not ("İ"), so they are counted as written
    n = len(words) if sentence.isascii() else len(_NORM_WORD.findall(sentence))
    return frozenset(_shingles(words)) if n >= min_words else frozenset()


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
    story's order), marking near-identical sentences across articles.

    Sentences with the same shingles (a syndicated sentence, a repeated quote) are compared once,
    as one *variant*: the shingles two variants share are counted once per pair of variants (a
    shingle held by more than ``max_df`` sentences, or by one, is not counted), and a pair that
    reaches ``min_similarity`` joins its sentences of different articles, as comparing every
    pair of sentences would (tests/test_stories_compare.py keeps that reference)."""
    rows = [SentenceRow(aid, outlet, no, s) for aid, outlet, sents in members for no, s in enumerate(sents)]
    if len(members) < 2:  # nothing to compare: no shingles (a long lone article would hold them all)
        return rows
    made: dict[str, frozenset[str]] = {}
    variant: dict[frozenset[str], int] = {}
    sigs: list[frozenset[str]] = []  # per variant
    held: list[dict[int, list[int]]] = []  # per variant: article -> its sentences (row numbers)
    i = 0
    for ai, (_, _, sents) in enumerate(members):
        for s in sents:
            sig = made.get(s)
            if sig is None:
                sig = made[s] = _signature(s, min_words)
            if sig:
                v = variant.setdefault(sig, len(sigs))
                if v == len(sigs):
                    sigs.append(sig)
                    held.append({})
                held[v].setdefault(ai, []).append(i)
            i += 1
    size = [sum(len(x) for x in h.values()) for h in held]  # sentences per variant
    # a shingle of one variant only counts for that variant's own sentences (when it has several);
    # the shingles of several variants are posted, and count for every pair of them
    seen: set[str] = set()
    several: set[str] = set()
    for sig in sigs:
        several |= sig & seen
        seen |= sig
    overlap: dict[tuple[int, int], int] = defaultdict(int)
    postings: dict[str, list[int]] = defaultdict(list)
    for v, sig in enumerate(sigs):
        common = sig & several if several else ()
        for sh in common:
            postings[sh].append(v)
        if 2 <= size[v] <= max_df and len(sig) > len(common):
            overlap[(v, v)] = len(sig) - len(common)
    for lst in postings.values():
        if sum(size[v] for v in lst) > max_df:
            continue
        for x in range(len(lst)):
            if size[lst[x]] > 1:
                overlap[(lst[x], lst[x])] += 1
            for y in range(x + 1, len(lst)):
                overlap[(lst[x], lst[y])] += 1
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    touched: set[int] = set()

    def union(i: int, j: int) -> None:
        touched.add(i)
        touched.add(j)
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    for (u, v), n in overlap.items():
        if n / min(len(sigs[u]), len(sigs[v])) < min_similarity:
            continue
        _join(held[u], held[v], u == v, union)
    comps: dict[int, list[int]] = defaultdict(list)
    for i in sorted(touched):  # a sentence never joined is a group of its own: not shared
        comps[find(i)].append(i)
    owner = [ai for ai, (_, _, sents) in enumerate(members) for _ in sents]
    group_no = 0
    for root in sorted(comps):
        idx = comps[root]
        if len({owner[i] for i in idx}) < 2:
            continue
        keys = {i: rows[i].outlet or rows[i].article_id for i in idx}
        distinct = set(keys.values())
        for i in idx:
            others = sorted(distinct - {keys[i]})
            rows[i].group = group_no
            rows[i].shared = bool(others)
            rows[i].shared_with = others
        group_no += 1
    return rows


def _join(hu: dict[int, list[int]], hv: dict[int, list[int]], itself: bool, union) -> None:
    """Join every sentence of variant u to every sentence of variant v held by another article
    (``hu``/``hv``: article -> its sentences).  By articles this is a complete bipartite graph less
    the pairs of one article, so it is made of few links: one group when each side has two
    articles or more (but for two articles on both sides: two groups, a-b and b-a), else each
    article's sentences to the first sentence of each other article."""
    if itself:  # u with itself: the sentences of two articles or more are one group
        if len(hu) > 1:
            first = next(iter(hu.values()))[0]
            for xs in hu.values():
                for x in xs:
                    union(first, x)
        return
    if len(hu) > 1 and len(hv) > 1 and not (len(hu) == len(hv) == 2 and hu.keys() == hv.keys()):
        first = next(iter(hu.values()))[0]
        for side in (hu, hv):
            for xs in side.values():
                for x in xs:
                    union(first, x)
        return
    for a, xs in hu.items():
        for b, ys in hv.items():
            if b != a:
                union(xs[0], ys[0])
                for x in xs[1:]:
                    union(xs[0], x)
                for y in ys[1:]:
                    union(ys[0], y)

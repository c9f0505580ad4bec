"""Scores used by the benchmarks and the quality gates."""
from __future__ import annotations

import re
from collections import Counter

_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = 4) -> Counter:
    """Multiset of k-token shingles, as the public article-extraction benchmark computes them."""
    toks = _TOKEN.findall((text or "").lower())
    if len(toks) < k:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + k]) for i in range(len(toks) - k + 1))


def shingle_prf(predicted: str, gold: str, k: int = 4) -> tuple[float, float, float]:
    """Precision, recall and F1 of predicted text against the gold text, on k-token shingles."""
    p, g = shingles(predicted, k), shingles(gold, k)
    if not p and not g:
        return 1.0, 1.0, 1.0
    overlap = sum((p & g).values())
    prec = overlap / sum(p.values()) if p else 0.0
    rec = overlap / sum(g.values()) if g else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1

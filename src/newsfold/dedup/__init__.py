"""Exact and near-duplicate detection: normalisation, OPH MinHash signatures, LSH, union-find."""
from newsfold.dedup.lsh import LSHIndex, band_keys, near_duplicate_pairs, verify_pairs
from newsfold.dedup.minhash import EMPTY, MinHasher, estimate_jaccard, exact_key, normalize_text, tokens
from newsfold.dedup.unionfind import UnionFind

__all__ = [
    "EMPTY",
    "LSHIndex",
    "MinHasher",
    "UnionFind",
    "band_keys",
    "estimate_jaccard",
    "exact_key",
    "near_duplicate_pairs",
    "normalize_text",
    "tokens",
    "verify_pairs",
]

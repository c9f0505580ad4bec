"""Exact and near-duplicate detection: normalisation, OPH MinHash signatures, LSH, union-find."""
from newsfold.stages.dedup.lsh import (LSHIndex, band_keys, candidate_pairs, near_duplicate_pairs, pair_similarity,
    verify_pairs)
from newsfold.stages.dedup.hashing import SlotLayout, empty_rows
from newsfold.stages.dedup.minhash import MinHasher, exact_keys
from newsfold.stages.dedup.normalize import exact_key, normalize_text, tokens
from newsfold.stages.dedup.unionfind import UnionFind

__all__ = [
    "LSHIndex",
    "MinHasher",
    "UnionFind",
    "SlotLayout",
    "band_keys",
    "candidate_pairs",
    "empty_rows",
    "estimate_jaccard",
    "exact_key",
    "exact_keys",
    "near_duplicate_pairs",
    "normalize_text",
    "pair_similarity",
    "tokens",
    "verify_pairs",
]

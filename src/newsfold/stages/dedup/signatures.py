"""Stage: per article copy, what folding needs: exact key, length, ids, a content hash that breaks
canonical ties, and the MinHash signature."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import xxhash

from newsfold.config import DedupConfig
from newsfold.records import Article
from newsfold.stages.base import Sink
from newsfold.stages.dedup.minhash import MinHasher


@dataclass
class Signed:
    """A batch of copies as arrays (aligned): key 0 and length -1 for a copy with no text left."""

    key: np.ndarray  # uint64: xxh3 of the normalised text
    length: np.ndarray  # int64: characters of the cleaned text
    cid: np.ndarray  # uint64: copy id
    page: np.ndarray  # uint64: page id
    tie: np.ndarray  # uint64: hash of title and text
    sigs: np.ndarray  # (n, num_perm) MinHash slots

    ARRAYS = ("key", "length", "cid", "page", "tie")

    @classmethod
    def concat(cls, parts: list["Signed"], num_perm: int, dtype) -> "Signed":
        if not parts:
            e = np.zeros(0, np.uint64)
            return cls(e, np.zeros(0, np.int64), e, e, e, np.zeros((0, num_perm), dtype))
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in cls.ARRAYS),
                   np.concatenate([p.sigs for p in parts]))

    def arrays(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, n) for n in self.ARRAYS}


def _u64(ident: str) -> int:
    return int(ident[1:], 16)


class Signatures:
    """Stage: batches of copies -> ``Signed`` batches."""

    name = "signatures"
    parallel = True

    def __init__(self, cfg: DedupConfig):
        self.hasher = MinHasher(cfg)

    def sign(self, arts: list[Article]) -> Signed:
        texts = [a.text for a in arts]
        live = [bool(t.strip()) for t in texts]
        keys = self.hasher.exact_keys(texts)
        return Signed(
            key=np.array([int(k, 16) if ok else 0 for k, ok in zip(keys, live)], np.uint64),
            length=np.array([len(t) if ok else -1 for t, ok in zip(texts, live)], np.int64),
            cid=np.array([_u64(a.copy_id) for a in arts], np.uint64),
            page=np.array([_u64(a.page_id) for a in arts], np.uint64),
            tie=np.array([xxhash.xxh3_64_intdigest(f"{a.title or ''}\x1f{a.text}".encode()) for a in arts], np.uint64),
            sigs=self.hasher.signatures(texts),
        )

    def __call__(self, batches: Iterable[list[Article]], sink: Sink) -> Iterator[Signed]:
        for arts in batches:
            yield self.sign(arts)

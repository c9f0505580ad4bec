"""Union-find over row numbers 0..n-1, with a vectorised bulk union."""
from __future__ import annotations

import numpy as np


class UnionFind:
    """Disjoint sets of ``0..n-1``.  Every set is represented by its smallest member.

    ``union(a, b)`` is the plain scalar form; ``union_pairs(pairs)`` merges many pairs at once
    with one connected-components pass (scipy, O(n + m)); ``labels()`` returns, for every
    element, the smallest member of its set (so ``labels()[i] == i`` marks a set's keeper).
    """

    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.parent)

    def find(self, a: int) -> int:
        p = self.parent
        root = int(a)
        while p[root] != root:
            root = int(p[root])
        while p[a] != root:  # path compression
            p[a], a = root, int(p[a])
        return root

    def union(self, a: int, b: int) -> bool:
        """Merge the sets of a and b; True when they were apart."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if ra < rb:
            self.parent[rb] = ra
        else:
            self.parent[ra] = rb
        return True

    def union_pairs(self, pairs: np.ndarray) -> None:
        """Merge the sets of every pair (an (m, 2) integer array)."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if not len(pairs):
            return
        from scipy.sparse import coo_matrix  # here, not at import: scipy costs ~0.2 s to load
        from scipy.sparse.csgraph import connected_components

        n = len(self.parent)
        if pairs.min() < 0 or pairs.max() >= n:
            raise IndexError("pair element out of range")
        src = np.concatenate((np.arange(n, dtype=np.int64), pairs[:, 0]))
        dst = np.concatenate((self.parent, pairs[:, 1]))
        graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
        _, comp = connected_components(graph, directed=True, connection="weak")
        # components are numbered in order of first appearance? not guaranteed: take the min member
        smallest = np.full(comp.max() + 1, n, dtype=np.int64)
        np.minimum.at(smallest, comp, np.arange(n, dtype=np.int64))
        self.parent = smallest[comp]

    def labels(self) -> np.ndarray:
        """For every element, the smallest member of its set (int64 array of length n)."""
        p = self.parent
        while True:
            q = p[p]
            if np.array_equal(q, p):
                break
            p = q
        self.parent = p
        return p.copy()

    def groups(self) -> list[np.ndarray]:
        """The sets with more than one member, each as a sorted index array."""
        lab = self.labels()
        order = np.argsort(lab, kind="stable")
        sl = lab[order]
        brk = np.flatnonzero(sl[1:] != sl[:-1]) + 1
        return [g for g in np.split(order, brk) if len(g) > 1]

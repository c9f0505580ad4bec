"""Files the corpus has read in full, so that a run over them again does not read them again.

A file's fingerprint is the xxh3 of its source name, the reading settings that shape its pages
(every ``ReaderConfig`` field but the include/exclude globs, which decide only whether a file is
read) with newsfold's version, and its bytes. A run saves, beside the ids of the pages it read
(``state/pages.npy``), the fingerprint of every file it read and how many pages came out of it
(``state/files.npy``: a sorted ``(n, 2)`` uint64 array). A later run hashes each input file (a read
of its bytes, no decoding or extraction) and skips a file whose fingerprint is known: it gives no
page and no ledger row, exactly as reading it again would (every page of it is in the corpus, and
every ledger row of it too); its pages are counted as already in the corpus. A changed file, a file
under another name, or the same file read with other settings or by another version is read as
before. A corpus without ``files.npy`` (an older one) reads every file.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
import xxhash

from newsfold.config import ReaderConfig

_CHUNK = 1 << 20
FILES_NPY = "files.npy"


def _settings(cfg: ReaderConfig) -> bytes:
    from newsfold.version import __version__

    data = {k: v for k, v in asdict(cfg).items() if k not in ("include", "exclude")}
    return json.dumps([__version__, data], sort_keys=True, default=str).encode()


def load(state: Path | None) -> np.ndarray:
    """The fingerprints saved in a generation's ``state/`` (none when it has none)."""
    path = state / FILES_NPY if state is not None else None
    if path is None or not path.is_file():
        return np.zeros((0, 2), np.uint64)
    return np.load(path).reshape(-1, 2).astype(np.uint64)


class Fingerprints:
    """The known files (``known``: sorted (fingerprint, pages) rows) and the files this run reads.

    ``on_known(source, pages)`` is called for a file skipped because its fingerprint is known."""

    def __init__(self, known: np.ndarray, cfg: ReaderConfig, on_known: Callable[[str, int], None]):
        self.known = known
        self.salt = _settings(cfg)
        self.on_known = on_known
        self.new: dict[int, int] = {}  # fingerprint -> pages, for the files this run read in full

    def of(self, path: Path, source: str) -> int | None:
        """The fingerprint of a file (None when it cannot be read: the reader then says why)."""
        h = xxhash.xxh3_64()
        h.update(source.encode("utf-8", "surrogateescape") + b"\x1f" + self.salt + b"\x1f")
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    h.update(chunk)
        except OSError:
            return None
        return h.intdigest()

    def pages(self, fp: int) -> int | None:
        """How many pages a known file gave, or None for a file not read in full before."""
        if fp in self.new:
            return self.new[fp]
        col = self.known[:, 0]
        pos = int(np.searchsorted(col, np.uint64(fp)))
        return int(self.known[pos, 1]) if pos < len(col) and col[pos] == fp else None

    def read(self, fp: int, pages: int) -> None:
        self.new[fp] = pages

    def array(self) -> np.ndarray:
        """The known files and this run's, sorted by fingerprint (what ``state/files.npy`` holds)."""
        if not self.new:
            return self.known
        new = np.array(sorted(self.new.items()), np.uint64).reshape(-1, 2)
        rows = np.concatenate([self.known, new])
        _, first = np.unique(rows[:, 0], return_index=True)
        return rows[first]

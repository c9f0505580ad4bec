"""What dedup keeps between runs, so that new copies are matched without reading old pages again.

Per copy (row numbers in ingestion order, over the whole corpus): the exact key, the text length
(-1: empty after cleaning), a hash of its title and text (``tie``: breaks ties between canonical
candidates by content), the duplicate-group label (the group's smallest row), and the copy and
page ids (as uint64).  These arrays are small (48 bytes per copy) and rewritten every run.

The signatures and their LSH band keys are stored as append-only *segments*, one per run: a new
run adds one segment and hard-links the old ones, so its cost follows the new copies, not the
corpus.  A query searches each segment's sorted band keys and verifies candidates on the full
signatures, with the same rule as :func:`~newsfold.stages.dedup.lsh.near_duplicate_pairs`, so the
pairs found across runs are exactly those one run over everything would find.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsfold.config import DedupConfig
from newsfold.util import link_or_copy
from newsfold.stages.dedup.lsh import SAMPLE, CodeSet, LshSegment, band_hits, band_keys, sorted_search, verify_pairs
from newsfold.stages.dedup.minhash import empty_rows

ARRAYS = ("key", "length", "label", "canon", "cid", "page", "tie")
MAX_SEGMENTS = 12
SEG_FILES = ("sigs.npy", "keys.npy", "ids.npy", "exact.npy", "exact_ids.npy", "keys_sample.npy", "exact_sample.npy")


def _save_sorted(d: Path, keys: np.ndarray, ids: np.ndarray, exact: np.ndarray, exact_ids: np.ndarray) -> None:
    """A segment's sorted arrays, with the in-memory samples that make searching them cheap."""
    np.save(d / "keys.npy", keys)
    np.save(d / "ids.npy", ids)
    np.save(d / "keys_sample.npy", np.ascontiguousarray(keys[:, ::SAMPLE]))
    np.save(d / "exact.npy", exact)
    np.save(d / "exact_ids.npy", exact_ids)
    np.save(d / "exact_sample.npy", exact[::SAMPLE].copy())


@dataclass
class _Seg:
    name: str
    start: int
    n: int
    sigs: np.ndarray  # (n, num_perm), memory-mapped
    keys: np.ndarray  # (bands, m) sorted per band
    ids: np.ndarray  # (bands, m) global row ids
    exact: np.ndarray  # sorted exact keys of the segment's live rows
    exact_ids: np.ndarray
    samples: np.ndarray  # keys[:, ::SAMPLE], in memory
    exact_sample: np.ndarray


class DedupState:
    def __init__(self, cfg: DedupConfig):
        self.cfg = cfg
        self.arrays = {"key": np.zeros(0, np.uint64), "length": np.zeros(0, np.int64), "label": np.zeros(0, np.int64), "canon": np.zeros(0, np.bool_),
                       "cid": np.zeros(0, np.uint64), "page": np.zeros(0, np.uint64), "tie": np.zeros(0, np.uint64)}
        self.segments: list[_Seg] = []
        self.folder: Path | None = None

    @property
    def n(self) -> int:
        return len(self.arrays["key"])

    # -- persistence
    @classmethod
    def load(cls, folder: Path, cfg: DedupConfig) -> "DedupState":
        folder = Path(folder)
        meta = json.loads((folder / "meta.json").read_text())
        saved = DedupConfig(**{k: v for k, v in meta["cfg"].items() if k in DedupConfig.__dataclass_fields__})
        # settings that change no result are not compared: the device; older ones such as workers are ignored
        if dataclasses.replace(saved, device=cfg.device) != cfg:
            raise ValueError(f"{folder}: the corpus was deduplicated with other settings ({saved}); use a new --out folder")
        st = cls(cfg)
        st.folder = folder
        for name in ARRAYS:
            path = folder / f"{name}.npy"
            if name == "tie" and not path.exists():  # a corpus from before ties were broken by content
                st.arrays[name] = np.zeros(len(st.arrays["key"]), np.uint64)
                continue
            st.arrays[name] = np.load(path)
        for s in meta["segments"]:
            d = folder / s["name"]
            mm = [np.load(d / f, mmap_mode="r") for f in ("sigs.npy", "keys.npy", "ids.npy", "exact.npy", "exact_ids.npy")]
            st.segments.append(_Seg(s["name"], s["start"], s["n"], *mm,
                                    np.load(d / "keys_sample.npy"), np.load(d / "exact_sample.npy")))
        if sum(s.n for s in st.segments) != st.n:
            raise ValueError(f"{folder}: signature segments and copy arrays disagree")
        return st

    def save(self, folder: Path, name: str, arrays: dict[str, np.ndarray], sigs: np.ndarray) -> None:
        """Write the state into ``folder``: ``arrays`` for every copy (old and new), and the new
        copies' signatures ``sigs`` as a new segment named ``name``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        base = self.n
        if any(len(arrays[k]) != base + len(sigs) for k in ARRAYS):
            raise ValueError("the copy arrays must cover the stored copies and the new ones")
        for k in ARRAYS:
            np.save(folder / f"{k}.npy", arrays[k].astype(self.arrays[k].dtype))
        segs = [(s.name, s.start, s.n) for s in self.segments]
        for s in self.segments:
            (folder / s.name).mkdir()
            for f in SEG_FILES:
                link_or_copy(self.folder / s.name / f, folder / s.name / f)  # type: ignore[operator]
        if len(sigs):
            live = np.flatnonzero(~empty_rows(sigs))
            seg = LshSegment.build(band_keys(sigs[live], self.cfg), live + base) if len(live) else \
                LshSegment(np.empty((self.cfg.bands, 0), np.uint64), np.empty((self.cfg.bands, 0), np.uint32))
            d = folder / name
            d.mkdir()
            np.save(d / "sigs.npy", sigs)
            new_live = np.flatnonzero(arrays["length"][base:] >= 0)
            order = np.argsort(arrays["key"][base:][new_live], kind="stable")
            _save_sorted(d, seg.keys, seg.ids, arrays["key"][base:][new_live][order].astype(np.uint64),
                         (new_live[order] + base).astype(np.int64))
            segs.append((name, base, len(sigs)))
        if len(segs) > MAX_SEGMENTS:
            segs = self._compact(folder, segs, name, arrays)
        meta = {"format": 1, "n": base + len(sigs), "segments": [{"name": a, "start": b, "n": c} for a, b, c in segs],
                "cfg": {k: getattr(self.cfg, k) for k in self.cfg.__dataclass_fields__}}
        (folder / "meta.json").write_text(json.dumps(meta, indent=1))

    def _compact(self, folder: Path, segs: list[tuple[str, int, int]], name: str, arrays: dict[str, np.ndarray]
                 ) -> list[tuple[str, int, int]]:
        """Merge all segments into one (amortised: happens every MAX_SEGMENTS runs)."""
        sigs = np.concatenate([np.load(folder / s[0] / "sigs.npy") for s in segs])
        keys, ids = [], []
        for s in segs:
            keys.append(np.load(folder / s[0] / "keys.npy"))
            ids.append(np.load(folder / s[0] / "ids.npy"))
        kt, it = np.concatenate(keys, axis=1), np.concatenate(ids, axis=1)
        order = np.argsort(kt, axis=1, kind="stable")
        d = folder / f"{name}-all"
        d.mkdir()
        np.save(d / "sigs.npy", sigs)
        live = np.flatnonzero(arrays["length"] >= 0)
        eo = live[np.argsort(arrays["key"][live], kind="stable")]
        _save_sorted(d, np.take_along_axis(kt, order, axis=1), np.take_along_axis(it, order, axis=1),
                     arrays["key"][eo].astype(np.uint64), eo.astype(np.int64))
        for s in segs:
            shutil.rmtree(folder / s[0])
        return [(d.name, 0, len(sigs))]

    # -- queries
    def exact_pairs(self, keys: np.ndarray, live: np.ndarray) -> np.ndarray:
        """(new row, old row) for new copies whose exact key equals a live old copy's key
        (a binary search in each segment's sorted keys)."""
        if not len(live) or not self.n:
            return np.empty((0, 2), np.int64)
        q = keys[live]
        out = []
        for seg in self.segments:
            sk, sid = seg.exact, seg.exact_ids
            if not len(sk):
                continue
            pos = sorted_search(sk, q, "left", seg.exact_sample)
            hit = np.flatnonzero(sk[np.minimum(pos, len(sk) - 1)] == q)
            out.append(np.stack([live[hit], np.asarray(sid[pos[hit]])], axis=1).astype(np.int64))
        return np.concatenate(out) if out else np.empty((0, 2), np.int64)

    def near_pairs(self, sigs: np.ndarray) -> np.ndarray:
        """(new row, old row) verified near-duplicate pairs between new signatures and the stored ones."""
        live = np.flatnonzero(~empty_rows(sigs))
        if not len(live) or not self.segments:
            return np.empty((0, 2), np.int64)
        keys = band_keys(sigs[live], self.cfg)
        acc = CodeSet(1 << 40)
        for j in range(self.cfg.bands):
            order = np.argsort(keys[:, j])
            qk, qr = keys[order, j], live[order]
            for seg in self.segments:
                q, other = band_hits(seg.keys[j], seg.ids[j], qk, qr, seg.samples[j])
                if len(q):
                    acc.add(q * (1 << 40) + other)  # (new, old): never swapped
        cand = acc.pairs()
        if not len(cand):
            return cand
        rows, inv = np.unique(cand[:, 1], return_inverse=True)
        other = self._gather(rows)
        keep = verify_pairs(sigs, np.stack([cand[:, 0], inv], axis=1), self.cfg, other=other)
        return cand[keep]

    def _gather(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.cfg.num_perm), self.segments[0].sigs.dtype)
        starts = np.array([s.start for s in self.segments])
        which = np.searchsorted(starts, rows, side="right") - 1
        for k, seg in enumerate(self.segments):
            m = which == k
            if m.any():
                out[m] = seg.sigs[rows[m] - seg.start]
        return out

"""Learned-boilerplate counts kept between runs, so that adding pages continues the counting.

A run stores one *segment* (``seg-<run>/``, one memory-mapped ``.npy`` per array) with the (line, article) pairs that were new in that
run, the per-line counts of those pairs and the new (outlet, article) pairs; older segments are
hard-linked from the previous generation.  Counting a line across runs is then a binary search
per segment, so adding pages costs O(new lines x runs), not O(corpus).

For heading-like lines the segment also holds the new (line, next kept line) pairs and their
per-line counts: a line is not learned when it introduces varying content (see ``boilerplate.py``).

Policy for lines already learned: they stay learned (their counts keep growing).  A line that
crosses the threshold in a later run is removed from that run's copies on; earlier articles are
not re-cleaned, and the run reports how many such lines it learned (``summary.newly_learned``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np

from newsfold.config import CleanConfig
from newsfold.records import Article
from newsfold.stages.base import Sink
from newsfold.stages.boilerplate.learn import BoilerplateLearner, LearnedBoilerplate
from newsfold.util import link_or_copy, sorted_member

_MUL = np.uint64(0x9E3779B97F4A7C15)


def _mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = a.astype(np.uint64) * _MUL ^ b.astype(np.uint64)
        x ^= x >> np.uint64(31)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(29)
    return x


class BoilerplateState:
    def __init__(self) -> None:
        self.segments: list[tuple[str, dict[str, np.ndarray]]] = []
        self.totals: dict[int, int] = {}  # outlet hash -> distinct articles
        self.learned: dict[int, list] = {}  # line hash -> [outlet hash, count, outlet, line text]
        self.folder: Path | None = None

    @classmethod
    def load(cls, folder: Path) -> "BoilerplateState":
        st = cls()
        st.folder = Path(folder)
        meta = json.loads((st.folder / "meta.json").read_text())
        st.totals = {int(k): v for k, v in meta["totals"].items()}
        st.learned = {int(k): v for k, v in meta["learned"].items()}
        for name in meta["segments"]:
            # one .npy per array, memory-mapped: a run reads only what it searches
            st.segments.append((name, {f.stem: np.load(f, mmap_mode="r") for f in (st.folder / name).glob("*.npy")}))
        return st

    def finish(self, learner: BoilerplateLearner, name: str) -> tuple[LearnedBoilerplate, dict[str, np.ndarray], int]:
        """Continue the counts with this run's observations: the learned lines for this run's
        copies, the new segment to save, and how many lines were learned for the first time."""
        cfg = learner.cfg
        line = np.frombuffer(learner._line, np.uint64)
        title = np.frombuffer(learner._title, np.uint64)
        outl = np.frombuffer(learner._outlet_line, np.uint64)
        nxt = np.frombuffer(learner._next, np.uint64)
        pk = _mix(line, title)
        pk_u, first = np.unique(pk, return_index=True)
        fresh = np.ones(len(pk_u), bool)
        for _, seg in self.segments:
            fresh &= ~sorted_member(seg["pk"], pk_u)
        f_idx = first[fresh]
        f_lines, f_counts = np.unique(line[f_idx], return_counts=True)
        line_outlet = dict(zip(line[f_idx].tolist(), outl[f_idx].tolist()))
        # distinct articles per outlet
        ot_rows = [(oh, th) for oh, ths in learner._outlet_title.items() for th in ths]
        ot = np.unique(_mix(np.array([r[0] for r in ot_rows], np.uint64), np.array([r[1] for r in ot_rows], np.uint64))) \
            if ot_rows else np.zeros(0, np.uint64)
        ot_out = {}
        for oh, ths in learner._outlet_title.items():
            codes = np.unique(_mix(np.full(len(ths), oh, np.uint64), np.fromiter(ths, np.uint64, len(ths))))
            isnew = np.ones(len(codes), bool)
            for _, seg in self.segments:
                isnew &= ~sorted_member(seg["ot"], codes)
            ot_out[oh] = int(isnew.sum())
        for oh, n in ot_out.items():
            self.totals[oh] = self.totals.get(oh, 0) + n
        ot_fresh = ot.copy()
        for _, seg in self.segments:
            ot_fresh = ot_fresh[~sorted_member(seg["ot"], ot_fresh)]
        # counts of lines with fresh pairs: earlier segments + this run
        total = f_counts.astype(np.int64)
        for _, seg in self.segments:
            pos = np.searchsorted(seg["lines"], f_lines)
            hit = seg["lines"][np.minimum(pos, max(len(seg["lines"]) - 1, 0))] == f_lines if len(seg["lines"]) else np.zeros(len(f_lines), bool)
            total[hit] += seg["counts"][pos[hit]]
        fseg, varying = self._followers(line, nxt, f_lines)
        newly = 0
        learned = LearnedBoilerplate(outlet_articles=dict(self.totals))
        for h, n, v in zip(f_lines.tolist(), total.tolist(), varying.tolist()):
            if h in self.learned:
                self.learned[h][1] = n
            elif (n >= cfg.boilerplate_min_pages and n >= cfg.boilerplate_min_fraction * self.totals[line_outlet[h]]
                  and v < cfg.heading_min_varying * n):
                self.learned[h] = [line_outlet[h], n, None, None]
                newly += 1
        if cfg.learn_boilerplate:
            learned.counts = {h: v[1] for h, v in self.learned.items()}
            learned.texts = {h: (v[2], v[3]) for h, v in self.learned.items() if v[2] is not None}
        seg = {"pk": pk_u[fresh], "lines": f_lines, "counts": f_counts.astype(np.int64), "ot": ot_fresh, **fseg}
        self.segments.append((name, seg))
        return learned, seg, newly

    def _followers(self, line: np.ndarray, nxt: np.ndarray, lines: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """This run's new (line, next kept line) pairs for the segment, and for each of ``lines`` the
        number of distinct kept lines that follow it, over every run."""
        has = nxt != 0
        fk, first = np.unique(_mix(line[has], nxt[has]), return_index=True)
        fresh = np.ones(len(fk), bool)
        for _, seg in self.segments:
            if "fk" in seg:
                fresh &= ~sorted_member(seg["fk"], fk)
        fl, fc = np.unique(line[has][first[fresh]], return_counts=True)
        varying = np.zeros(len(lines), np.int64)
        for arrs in [seg for _, seg in self.segments if "flines" in seg] + [{"flines": fl, "fcounts": fc}]:
            if not len(arrs["flines"]):
                continue
            pos = np.minimum(np.searchsorted(arrs["flines"], lines), len(arrs["flines"]) - 1)
            hit = arrs["flines"][pos] == lines
            varying[hit] += arrs["fcounts"][pos[hit]]
        return {"fk": fk[fresh], "flines": fl, "fcounts": fc.astype(np.int64)}, varying

    def save(self, folder: Path, learned: LearnedBoilerplate) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for h, (o, t) in learned.texts.items():
            if h in self.learned:
                self.learned[h][2], self.learned[h][3] = o, t
        names = []
        for name, seg in self.segments:
            old = self.folder / name if self.folder is not None else None
            (folder / name).mkdir()
            if old is not None and old.is_dir():  # an earlier run's segment: hard-link it
                for f in old.glob("*.npy"):
                    link_or_copy(f, folder / name / f.name)
            else:
                for k, arr in seg.items():
                    np.save(folder / name / f"{k}.npy", arr)
            names.append(name)
        meta = {"segments": names, "totals": {str(k): v for k, v in self.totals.items()},
                "learned": {str(k): v for k, v in self.learned.items()}}
        (folder / "meta.json").write_text(json.dumps(meta))


class LearnBoilerplate:
    """Barrier: observes the cleaned copies, continues the stored counts, and finishes with the
    learned lines (``LearnedBoilerplate``) that the copies then lose."""

    name = "learn boilerplate"

    def __init__(self, cfg: CleanConfig, state: BoilerplateState, segment: str):
        self.learner = BoilerplateLearner(cfg)
        self.state = state
        self.segment = segment  # the name of the segment this run adds to the counts

    def observe(self, articles: Iterable[Article], sink: Sink) -> None:
        for a in articles:
            self.learner.observe(a)

    def merge(self, other: "LearnBoilerplate") -> None:
        self.learner.merge(other.learner)

    def finish(self, sink: Sink) -> LearnedBoilerplate:
        learned, _, newly = self.state.finish(self.learner, self.segment)
        sink.count("newly_learned", newly)
        return learned

"""Closed stories: what RAM keeps of them, and the spill folder that holds the rest.

A story closes when it can no longer receive articles (``StoryConfig.close_days``,
``close_undated_after``; see ``stream.py``).  It then leaves the candidate index and RAM: its
members' rows (id, story, date, outlet, title, sentences: what result building needs) go to a
*segment*, one parquet file per closing, in the spill folder.  RAM keeps, per closed story, one
small record (``ClosedStories.stories``), and per closed member its id and its story's number,
packed (``PackedIds``, a few tens of bytes).  A closed story never changes again, except by
``rename`` (a member's id changed) and ``replace`` (a member's canonical copy changed: its row too)
and ``rename_story`` (the story's id follows its seed), which are kept as small overlays
(``renamed``, ``rows``, ``spilled_sid``) applied when a segment is read.

``MemberMap`` and ``StoryMap`` are ``StoryState.members`` and ``StoryState.stories``: the open
ones (``.live``, plain dicts, all the clusterer touches) and the closed ones, read back on demand.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from newsfold.stages.stories.model import Member, Story, member_order
from newsfold.stages.stories.packed import PackedIds
from newsfold.stages.stories.persist import member_from_row, members_table

REGISTRY_SCHEMA = pa.schema([("story_id", pa.string()), ("seed", pa.string()), ("segment", pa.int64()),
                             ("first_day", pa.int64()), ("last_day", pa.int64()), ("n", pa.int64())])
RENAMED_SCHEMA = pa.schema([("spilled", pa.string()), ("current", pa.string())])
ALIAS_SCHEMA = pa.schema([("story_id", pa.string()), ("spilled", pa.string())])


def _segment_name(no: int) -> str:
    return f"segment-{no:06d}.parquet"


def link_or_copy(src: Path, dst: Path) -> None:
    if dst.exists():
        if os.path.samefile(src, dst):
            return
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


class ClosedStories:
    """The closed stories of a state: registry in RAM, members in segments on disk."""

    def __init__(self, folder: str | Path | None = None):
        self._folder = Path(folder) if folder is not None else None
        # story id -> [number, segment, seed, first_day, last_day, members]
        self.stories: dict[str, list] = {}
        self._sids: list[str | None] = []  # number -> story id
        self.members = PackedIds()  # current article id -> story number
        self.renamed: dict[str, str | None] = {}  # spilled id -> current id (None: removed)
        self._origin: dict[str, str] = {}  # current id -> spilled id, for renamed members
        self.rows: dict[str, Member] = {}  # current id -> its row now, for members whose canonical copy changed
        self.spilled_sid: dict[str, str] = {}  # current story id -> the id its segment rows carry, for renamed stories
        self.next_segment = 1
        self._cache: tuple[int, dict[str, list[dict]]] | None = None

    # --- the spill folder ----------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="newsfold-stories-spill-"))
            weakref.finalize(self, shutil.rmtree, str(self._folder), True)
        self._folder.mkdir(parents=True, exist_ok=True)
        return self._folder

    def _segment(self, no: int) -> dict[str, list[dict]]:
        """One segment's rows by story id (the last one read is kept)."""
        if self._cache is None or self._cache[0] != no:
            by: dict[str, list[dict]] = {}
            for row in pq.read_table(self.folder / _segment_name(no)).to_pylist():
                by.setdefault(row["story_id"], []).append(row)
            self._cache = (no, by)
        return self._cache[1]

    # --- closing and reading back -----------------------------------------------------------------
    def close(self, stories: list[Story], members: dict[str, Member]) -> int:
        """Spill these stories (with their members, taken from ``members``) into a new segment."""
        no = self.next_segment
        self.next_segment += 1
        rows: list[Member] = []
        for s in sorted(stories, key=lambda s: s.story_id):
            ms = sorted((members[a] for a in s.members), key=member_order)
            rows.extend(ms)
            days = [m.day for m in ms if m.day is not None]
            num = len(self._sids)
            self._sids.append(s.story_id)
            self.stories[s.story_id] = [num, no, s.seed, min(days) if days else None,
                                        max(days) if days else None, len(ms)]
            for m in ms:
                self.members[m.article_id] = num
        pq.write_table(members_table(rows, features=False), self.folder / _segment_name(no), compression="zstd")
        return no

    def story_of(self, aid: str) -> str | None:
        num = self.members.get(aid)
        return None if num is None else self._sids[num]

    def story_members(self, sid: str) -> list[Member]:
        """A closed story's members as they are now (renames and replaced rows applied), in stream order."""
        rec = self.stories[sid]
        out = []
        for row in self._segment(rec[1]).get(self.spilled_sid.get(sid, sid), ()):
            cur = self.renamed.get(row["article_id"], row["article_id"])
            if cur is None:
                continue
            m = self.rows.get(cur)
            if m is None:
                m = member_from_row({**row, "article_id": cur}, compress=False)  # read once, by the caller
            m.story_id = sid
            out.append(m)
        out.sort(key=member_order)
        return out

    def member(self, aid: str) -> Member:
        sid = self.story_of(aid)
        if sid is None:
            raise KeyError(aid)
        return next(m for m in self.story_members(sid) if m.article_id == aid)

    def iter_stories(self, sids: Iterable[str] | None = None) -> Iterator[tuple[str, list[Member]]]:
        """(story id, members) of the closed stories (``sids``: only those), segment by segment."""
        want = self.stories.keys() if sids is None else [s for s in sids if s in self.stories]
        by_segment: dict[int, list[str]] = {}
        for sid in want:
            by_segment.setdefault(self.stories[sid][1], []).append(sid)
        for no in sorted(by_segment):
            for sid in sorted(by_segment[no]):
                yield sid, self.story_members(sid)

    # --- renames -------------------------------------------------------------------------------
    def rename(self, old: str, new: str, remove: bool) -> str:
        """``old`` is now ``new`` (``remove``: ``new`` is a member already, so ``old`` just leaves
        its story).  Returns the story id; a story left without members is dropped."""
        num = self.members[old]
        sid = self._sids[num]
        assert sid is not None
        spilled = self._origin.pop(old, old)
        del self.members[old]
        row = self.rows.pop(old, None)
        if remove:
            self.renamed[spilled] = None
            rec = self.stories[sid]
            rec[5] -= 1
            if rec[5] == 0:
                del self.stories[sid]
                self.spilled_sid.pop(sid, None)
                self._sids[num] = None
        else:
            self.renamed[spilled] = new
            self._origin[new] = spilled
            self.members[new] = num
            if row is not None:
                row.article_id = new
                self.rows[new] = row
        return sid

    def replace(self, old: str, member: Member) -> str:
        """``old``'s canonical copy changed: it is now ``member`` (its id, date, outlet, title and
        sentences; the same id or another).  Returns the story id; the story's dates follow."""
        sid = self.rename(old, member.article_id, False) if old != member.article_id else self.story_of(old)
        assert sid is not None
        member.story_id = sid
        self.rows[member.article_id] = member
        rec = self.stories[sid]
        days = [m.day for m in self.story_members(sid) if m.day is not None]
        rec[3], rec[4] = (min(days), max(days)) if days else (None, None)
        return sid

    def rename_story(self, sid: str, new_sid: str, seed: str) -> None:
        """The story ``sid`` is now ``new_sid`` (its seed changed to ``seed``)."""
        rec = self.stories.pop(sid)
        rec[2] = seed
        self.stories[new_sid] = rec
        self._sids[rec[0]] = new_sid
        self.spilled_sid[new_sid] = self.spilled_sid.pop(sid, sid)
        if self.spilled_sid[new_sid] == new_sid:
            del self.spilled_sid[new_sid]

    # --- persistence ---------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the registry, the overlay and (linked or copied) the segments in use."""
        folder.mkdir(parents=True, exist_ok=True)
        recs = sorted(self.stories.items())
        pq.write_table(pa.table({
            "story_id": [s for s, _ in recs], "seed": [r[2] for _, r in recs], "segment": [r[1] for _, r in recs],
            "first_day": [r[3] for _, r in recs], "last_day": [r[4] for _, r in recs], "n": [r[5] for _, r in recs],
        }, schema=REGISTRY_SCHEMA), folder / "closed.parquet")
        ren = sorted(self.renamed.items())
        pq.write_table(pa.table({"spilled": [a for a, _ in ren], "current": [b for _, b in ren]},
                                schema=RENAMED_SCHEMA), folder / "renamed.parquet")
        rows = sorted(self.rows.values(), key=lambda m: m.article_id)
        pq.write_table(members_table(rows, features=False), folder / "replaced.parquet")
        alias = sorted(self.spilled_sid.items())
        pq.write_table(pa.table({"story_id": [a for a, _ in alias], "spilled": [b for _, b in alias]},
                                schema=ALIAS_SCHEMA), folder / "aliases.parquet")
        used = {_segment_name(no) for no in {r[1] for _, r in recs}}
        for name in sorted(used):
            link_or_copy(self.folder / name, folder / name)
        for old in folder.glob("segment-*.parquet"):  # left by an earlier save into this folder
            if old.name not in used:
                old.unlink()

    @classmethod
    def load(cls, folder: Path, spill: str | Path | None = None) -> "ClosedStories":
        """Read what ``save`` wrote; the segments are linked (or copied) into the spill folder,
        so that the saved folder can be moved or removed afterwards."""
        closed = cls(spill)
        if not (folder / "closed.parquet").exists():
            return closed
        for row in pq.read_table(folder / "renamed.parquet").to_pylist():
            closed.renamed[row["spilled"]] = row["current"]
            if row["current"] is not None:
                closed._origin[row["current"]] = row["spilled"]
        if (folder / "replaced.parquet").exists():  # states saved before replaced rows existed lack it
            for row in pq.read_table(folder / "replaced.parquet").to_pylist():
                closed.rows[row["article_id"]] = member_from_row(row)
        if (folder / "aliases.parquet").exists():
            for row in pq.read_table(folder / "aliases.parquet").to_pylist():
                closed.spilled_sid[row["story_id"]] = row["spilled"]
        current_sid = {b: a for a, b in closed.spilled_sid.items()}
        segments = set()
        for row in pq.read_table(folder / "closed.parquet").to_pylist():
            closed.stories[row["story_id"]] = [len(closed._sids), row["segment"], row["seed"], row["first_day"],
                                               row["last_day"], row["n"]]
            closed._sids.append(row["story_id"])
            segments.add(row["segment"])
        for no in sorted(segments):
            link_or_copy(folder / _segment_name(no), closed.folder / _segment_name(no))
            t = pq.read_table(closed.folder / _segment_name(no), columns=["article_id", "story_id"])
            for aid, sid in zip(t.column("article_id").to_pylist(), t.column("story_id").to_pylist()):
                rec = closed.stories.get(current_sid.get(sid, sid))
                if rec is None or rec[1] != no:  # an id a renamed story left, taken again later
                    rec = closed.stories.get(sid)
                cur = closed.renamed.get(aid, aid)
                if rec is not None and rec[1] == no and cur is not None:
                    closed.members[cur] = rec[0]
        closed.members.merge()
        closed.next_segment = max(segments, default=0) + 1
        return closed


class ClosedMember:
    """A member of a closed story: ``article_id`` and ``story_id`` at once, the rest of the
    ``Member`` (date, outlet, title, sentences; no features) read from the spill on first use."""

    __slots__ = ("article_id", "story_id", "_closed", "_m")

    def __init__(self, article_id: str, story_id: str, closed: ClosedStories):
        self.article_id, self.story_id, self._closed, self._m = article_id, story_id, closed, None

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._m is None:
            self._m = self._closed.member(self.article_id)
        return getattr(self._m, name)


class ClosedStory:
    """A closed story's record: id, seed, dates (day numbers), size; ``members`` from the spill."""

    __slots__ = ("story_id", "seed", "first_day", "last_day", "n_members", "_closed")
    closed = True

    def __init__(self, sid: str, rec: list, closed: ClosedStories):
        self.story_id, self.seed, self.first_day, self.last_day, self.n_members = sid, rec[2], rec[3], rec[4], rec[5]
        self._closed = closed

    @property
    def members(self) -> list[str]:
        return [m.article_id for m in self._closed.story_members(self.story_id)]


class MemberMap(MutableMapping):
    """Article id -> its member: open ones (``live``) and closed ones (``ClosedMember``)."""

    def __init__(self, closed: ClosedStories):
        self.live: dict[str, Member] = {}
        self.closed = closed

    def __getitem__(self, aid: str):
        m = self.live.get(aid)
        if m is not None:
            return m
        sid = self.closed.story_of(aid)
        if sid is None:
            raise KeyError(aid)
        return ClosedMember(aid, sid, self.closed)

    def __contains__(self, aid: object) -> bool:
        return aid in self.live or aid in self.closed.members

    def __setitem__(self, aid: str, m: Member) -> None:
        self.live[aid] = m

    def __delitem__(self, aid: str) -> None:
        del self.live[aid]

    def __len__(self) -> int:
        return len(self.live) + len(self.closed.members)

    def __iter__(self) -> Iterator[str]:
        yield from list(self.live)
        yield from self.closed.members


class StoryMap(Mapping):
    """Story id -> its story: open ones (``live``: ``Story``) and closed ones (``ClosedStory``)."""

    def __init__(self, closed: ClosedStories):
        self.live: dict[str, Story] = {}
        self.closed = closed

    def __getitem__(self, sid: str):
        s = self.live.get(sid)
        if s is not None:
            return s
        rec = self.closed.stories.get(sid)
        if rec is None:
            raise KeyError(sid)
        return ClosedStory(sid, rec, self.closed)

    def __contains__(self, sid: object) -> bool:
        return sid in self.live or sid in self.closed.stories

    def __setitem__(self, sid: str, story: Story) -> None:
        self.live[sid] = story

    def __len__(self) -> int:
        return len(self.live) + len(self.closed.stories)

    def __iter__(self) -> Iterator[str]:
        yield from list(self.live)
        yield from list(self.closed.stories)

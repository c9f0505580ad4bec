"""Safety around a corpus folder: what a run checks before it writes anything, and before it builds
on what is there.

- ``check_out``: ``--out`` is new, empty or a newsfold corpus (the marker file ``.newsfold-corpus``,
  written by the first run, or a corpus made before the marker existed); otherwise the run refuses,
  naming the files in the way.  Nothing of a user's is overwritten.
- ``open_corpus`` (under the run lock): the database's generation, the sealed generations and the
  links.  A missing or unreadable ``newsfold.db`` is rebuilt from the newest sealed generation once
  that generation passes its checksums (the damaged file is kept beside it); a sealed generation is
  never deleted because the database cannot say it was committed.  A generation that disagrees with
  its manifest or with the database's row counts, or lacks the state the next run needs, is not
  built on: the run refuses and points at ``newsfold verify``.  A corpus kept without a database
  (``--no-db``, said by its newest generation's config.json) is recognised by its marker and its
  generations, never by ``newsfold.db``: its newest sealed generation is checked and built on, and no
  database is made for it (``build_db``, ``newsfold db DIR``, makes one when asked).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Callable

import pyarrow.parquet as pq

from newsfold.corpus import manifest
from newsfold.corpus.generation import (CURRENT, DB, FILES, GENS, CorpusError, dbless_generation, published_names,
    gen_name, meta_generation, parts_of, recover)

MARKER = ".newsfold-corpus"
LOCK = ".newsfold.lock"
_GEN = re.compile(r"^\d{8}$")
# names newsfold writes at the top of a corpus folder
_OWN = {DB, DB + "-wal", DB + "-shm", CURRENT, GENS, *FILES}


def _list(names: list[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def sealed(out: Path) -> list[int]:
    """The numbers of the sealed generations (folders newsfold made; anything else is left alone)."""
    gens = Path(out) / GENS
    if not gens.is_dir():
        return []
    return sorted(int(p.name) for p in gens.iterdir() if _GEN.match(p.name) and p.is_dir())


def is_corpus(out: Path) -> bool:
    out = Path(out)
    if (out / MARKER).is_file():
        return True
    # made before the marker: a sealed generation with its settings
    return any((out / GENS / gen_name(n) / "config.json").is_file() for n in sealed(out))


def check_out(out: Path) -> None:
    """Before anything is written: ``out`` is new, an empty folder or a newsfold corpus."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise CorpusError(f"{out} exists and is not a folder; --out must be an empty or new folder, or a newsfold corpus")
    try:
        names = sorted(p.name for p in out.iterdir() if p.name != LOCK)
    except OSError as exc:
        raise CorpusError(f"{out}: cannot be read ({exc.strerror or exc})") from None
    if not names or is_corpus(out):
        return
    in_way = [n for n in names if n in _OWN or n.endswith(".parquet")]
    others = [n for n in names if n not in in_way]
    what = (f"newsfold would overwrite {_list(in_way)}" if in_way else "") + \
           ("; " if in_way and others else "") + (f"it holds {_list(others)}" if others else "")
    raise CorpusError(f"{out} is not empty and is not a newsfold corpus (no {MARKER}): {what}; nothing was written: "
                      "write to an empty or new folder")


def read_db(out: Path) -> tuple[int | None, str | None]:
    """The generation ``newsfold.db`` records, or (None, what is wrong with it)."""
    db = Path(out) / DB
    try:
        if not db.exists():
            return None, "is missing"
        size = db.stat().st_size
        if size == 0:
            return None, "is empty"
        with open(db, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    if not head.startswith(b"SQLite format 3\x00") or len(head) < 100:
        return None, "is not a SQLite database (its header is damaged)"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    wal = Path(str(db) + "-wal")
    header_valid = head[24:28] == head[92:96]
    if header_valid and pages * page > size and (not wal.exists() or wal.stat().st_size == 0):
        return None, f"is truncated ({size} bytes; its header says {pages * page})"
    try:
        value = meta_generation(db)
    except sqlite3.Error as exc:
        return None, f"cannot be read ({exc})"
    if not value or not value.isdigit() or int(value) < 1:
        return None, "records no generation"
    return int(value), None


def db_counts(out: Path, tables: list[str]) -> dict[str, int]:
    """Rows per table in newsfold.db (-1: the table is not there).  Raises sqlite3.Error."""
    con = sqlite3.connect(f"file:{Path(out) / DB}?mode=ro", uri=True)
    try:
        have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] if t in have else -1 for t in tables}
    finally:
        con.close()


def current_target(out: Path) -> int | None:
    link = Path(out) / CURRENT
    if not link.is_symlink():
        return None
    name = os.readlink(link).rsplit("/", 1)[-1]
    return int(name) if _GEN.match(name) else None


def state_problems(gen: Path) -> list[str]:
    """What the next run needs from a generation: its settings and its state."""
    where = f"{gen.parent.name}/{gen.name}"
    try:
        steps = json.loads((gen / "config.json").read_text()).get("steps", {})
    except (OSError, ValueError) as exc:
        return [f"{where}/config.json cannot be read ({getattr(exc, 'strerror', None) or exc})"]
    need = ["state/dedup/meta.json", "state/boilerplate/meta.json", "state/pages.npy"]
    if steps.get("stories", True):
        need.append("state/stories/meta.json")
    if steps.get("entities", True):
        need.append("state/entities/mentions.parquet")
    return [f"{where}/{n} is missing (the state the next run needs)" for n in need if not (gen / n).is_file()]


def table_rows(gen: Path) -> tuple[dict[str, int], list[str]]:
    """Rows per table from the manifest, or, for an older corpus, from each part's footer."""
    m = None
    try:
        m = manifest.load(gen)
    except ValueError:
        pass
    if m is not None:
        return manifest.rows(m), []
    rows: dict[str, int] = {}
    problems = []
    for folder in sorted(gen.glob("*.parquet")):
        name = folder.name[: -len(".parquet")]
        rows[name] = 0
        for part in parts_of(folder):
            try:
                rows[name] += pq.ParquetFile(part).metadata.num_rows
            except Exception as exc:  # pyarrow raises several kinds for a damaged file
                problems.append(f"{gen.parent.name}/{gen.name}/{folder.name}/{part.name} cannot be read ({exc})")
    return rows, problems


def generation_problems(gen: Path, full: bool) -> list[str]:
    """The generation against its manifest (or, without one, its parts' footers) and its state."""
    probs = manifest.check(gen, full)
    if probs is None:
        probs = table_rows(gen)[1]
        if int(gen.name) >= _manifests_from(gen.parent.parent):
            probs.insert(0, f"{gen.parent.name}/{gen.name}/{manifest.MANIFEST} is missing")
    return probs + state_problems(gen)


def _manifests_from(out: Path) -> int:
    """The first generation sealed with a manifest (older corpora had none)."""
    try:
        return int(json.loads((out / MARKER).read_text()).get("manifests_from", 1))
    except (OSError, ValueError, AttributeError, TypeError):
        return 1 if (out / MARKER).exists() else 1 << 40


def link_problems(out: Path, gen: Path) -> list[str]:
    """``current`` points at the generation, and each published name is a link through it."""
    out = Path(out)
    probs = []
    cur, target = out / CURRENT, f"{GENS}/{gen.name}"
    if not cur.is_symlink():
        probs.append(f"{CURRENT} is {'not a link' if cur.exists() else 'missing'} (it should point to {target})")
    elif os.readlink(cur) != target:
        probs.append(f"{CURRENT} points to {os.readlink(cur)}, but the committed generation is {target}")
    for name in published_names(gen) if gen.is_dir() else []:
        link = out / name
        if not link.is_symlink():
            probs.append(f"{name} is {'not a link into the corpus' if link.exists() else 'missing'}")
        elif os.readlink(link) != f"{CURRENT}/{name}":
            probs.append(f"{name} points to {os.readlink(link)}, not into {CURRENT}/")
    return probs


def _probe(folder: Path) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".newsfold-probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise CorpusError(f"{folder}: cannot write here ({exc.strerror}); choose a folder you can write to") from None


def _refuse_damage(out: Path, probs: list[str], hint: str = "") -> CorpusError:
    more = f" (and {len(probs) - 1} more)" if len(probs) > 1 else ""
    return CorpusError(f"{out}: the corpus is damaged, and a run would build on the damage: {probs[0]}{more}; "
                       f"nothing was changed; run `newsfold verify --out {out}` for the full report{hint}")


def _rebuild(out: Path, n: int, problem: str, warn: Callable[[str], None]) -> int:
    """Rebuild newsfold.db from sealed generation ``n`` (checked in full first)."""
    bad = generation_problems(out / GENS / gen_name(n), full=True)
    if bad:
        raise _refuse_damage(out, [f"newsfold.db {problem}, and the newest generation cannot replace it: {bad[0]}",
                                   *bad[1:]])
    replace_db(out, n, problem, warn)
    return n


def replace_db(out: Path, n: int, problem: str, warn: Callable[[str], None]) -> None:
    """Build newsfold.db afresh from sealed generation ``n`` (the commit point: one rename); the
    damaged file, if any, is kept beside it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = None
    tmp = _db_from(out, n)
    for suffix in ("", "-wal", "-shm"):
        p = out / (DB + suffix)
        if p.exists() and p.stat().st_size > 0:
            os.replace(p, out / f"{DB}.damaged-{stamp}{suffix}")
            kept = kept or f"{DB}.damaged-{stamp}"
        elif p.exists():
            p.unlink()
    os.replace(tmp, out / DB)
    warn(f"newsfold.db {problem}; rebuilt it from generation {n}" + (f" (the old file is kept as {kept})" if kept else ""))


def _db_from(out: Path, n: int) -> Path:
    """``.newsfold.db.tmp`` built from every table of sealed generation ``n`` (not yet in place)."""
    from newsfold.corpus.sqlite import build_sqlite

    gen = out / GENS / gen_name(n)
    tmp = out / ".newsfold.db.tmp"
    build_sqlite(tmp, {p.name[: -len(".parquet")]: p for p in sorted(gen.glob("*.parquet")) if p.is_dir()}, n)
    return tmp


def build_db(out: Path, warn: Callable[[str], None]) -> int:
    """``newsfold db DIR`` (under the run lock): build ``newsfold.db`` for a corpus kept without one
    (``--no-db``) from its committed generation, checked in full first; from then on every run keeps
    it up to date.  Returns the generation; refuses a folder that is not such a corpus."""
    out = Path(out)
    if not is_corpus(out):
        raise CorpusError(f"{out} is not a newsfold corpus" if out.is_dir() else f"{out} does not exist")
    if (out / DB).exists():
        raise CorpusError(f"{out} has a database already ({DB}); every run keeps it up to date")
    g = open_corpus(out, warn)  # checks the generation, clears what a killed run left; rebuilds a lost database
    if (out / DB).exists():
        return g
    if not g:
        raise CorpusError(f"{out} holds no sealed generation to build a database from")
    bad = generation_problems(out / GENS / gen_name(g), full=True)
    if bad:
        raise _refuse_damage(out, bad)
    for suffix in ("-wal", "-shm"):
        if (out / (DB + suffix)).exists():
            (out / (DB + suffix)).unlink()
    os.replace(_db_from(out, g), out / DB)
    return g


def open_corpus(out: Path, warn: Callable[[str], None]) -> int:
    """Under the run lock: bring ``out`` to a committed generation that is safe to build on and
    return its number (0 for a new corpus), or refuse with a CorpusError (having changed nothing)."""
    out = Path(out)
    _probe(out)
    if (out / GENS).is_dir():
        _probe(out / GENS)
    gens = sealed(out)
    if not (out / MARKER).exists():  # generations sealed from now on have a manifest
        (out / MARKER).write_text(json.dumps({"newsfold": "corpus", "format": 1,
                                              "manifests_from": (gens[-1] if gens else 0) + 1}) + "\n")
    names = published_names(out / GENS / gen_name(gens[-1])) if gens else []
    in_way = [n for n in (CURRENT, *names) if (out / n).exists() and not (out / n).is_symlink()]
    if in_way:
        one = len(in_way) == 1
        raise CorpusError(f"{out}: {_list(in_way)} should be {'a link' if one else 'links'} into the corpus but "
                          f"{'is a file or folder' if one else 'are files or folders'} of someone else's; nothing was "
                          f"changed: move {'it' if one else 'them'} away and run again")
    g, problem, counts = _database(out, gens)
    if problem == "is missing" and dbless_generation(out):
        g, problem = dbless_generation(out), None  # kept without a database: the sealed generation is the corpus
    if problem is not None:
        if not gens and problem == "is missing":
            return recover(out, warn)  # a new corpus (or a first run that did not get to seal)
        if not gens:
            raise CorpusError(f"{out}: newsfold.db {problem}, and there is no generation to rebuild it from; "
                              "move it away or write to a new --out folder")
        g = _rebuild(out, gens[-1], problem, warn)
    gen = out / GENS / gen_name(g)
    probs = generation_problems(gen, full=False)
    probs += [f"{t}: {n} rows in {GENS}/{gen.name}, {counts[t] if counts[t] >= 0 else 'no table'} in newsfold.db"
              for t, n in sorted(table_rows(gen)[0].items()) if t in counts and counts[t] != n]
    if probs:
        hint = ("; if verify finds only newsfold.db out of step, move it away and run again to rebuild it from "
                "the Parquet generation") if all("newsfold.db" in p for p in probs) else ""
        raise _refuse_damage(out, probs, hint)
    return recover(out, warn)


def _database(out: Path, gens: list[int]) -> tuple[int, str | None, dict[str, int]]:
    """The database's generation, what is wrong with the file (None: it reads), and its row counts;
    refuses a database that records a generation that is gone, or is older than the published one."""
    g, problem = read_db(out)
    if problem is not None or g is None:
        return 0, problem, {}
    if g not in gens:
        raise _refuse_damage(out, [f"newsfold.db records generation {g}, but {GENS}/{gen_name(g)} is missing"])
    newer = [n for n in gens if n > g]
    if newer and (newer[-1] > g + 1 or current_target(out) == g + 1):  # not one sealed, uncommitted generation
        raise _refuse_damage(out, [f"newsfold.db records generation {g}, older than the published "
                                   f"{GENS}/{gen_name(newer[-1])}"],
                             hint="; if the Parquet generation is intact, move newsfold.db away and run again "
                                  "to rebuild it from that generation")
    try:
        return g, None, db_counts(out, sorted(table_rows(out / GENS / gen_name(g))[0]))
    except sqlite3.Error as exc:
        return g, f"cannot be read ({exc})", {}

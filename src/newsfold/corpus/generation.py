"""The corpus folder: generations of Parquet parts, published atomically.

Layout of an output folder ``OUT``::

    OUT/newsfold.db                  SQLite (WAL); table newsfold_meta holds the committed generation
    OUT/current -> .gens/00000003    the published generation (a symlink, swapped atomically)
    OUT/articles.parquet -> current/articles.parquet     (one fixed link per table and file)
    OUT/.gens/00000003/articles.parquet/part-00000003-0000.parquet ...
    OUT/.gens/00000003/state/        what the next run needs: dedup index, boilerplate counts, stories

Each table is a folder of Parquet parts (pyarrow, pandas, polars, duckdb and Spark read such a
folder as one table).  A run builds generation ``g+1`` in ``.gens/g+1.tmp``: unchanged parts are
hard links to generation ``g``'s files, parts that hold changed rows are rewritten, new rows go to
new parts.  Publishing is three atomic steps: rename ``.tmp`` to its final name, commit the
database transaction that records ``g+1`` (the commit point), then swap ``current``.  A corpus kept
without a database (``newsfold run --no-db``: its generations' config.json say ``"db": false``) has
no transaction: sealing (the rename) is its commit point.  A run killed
before the commit leaves generation ``g`` untouched; one killed after it is rolled forward by the
next run (:func:`recover`).  Sealing writes ``manifest.json`` (``manifest.py``); ``guard.py`` checks
a folder before a run builds on it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pyarrow as pa
import xxhash
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsfold.corpus import manifest

from newsfold.util import link_or_copy, sorted_member  # noqa: F401  (used here and by the engine)

GENS = ".gens"
CURRENT = "current"
DB = "newsfold.db"
FILES = ("config.json", "summary.json")
_GEN_DIR = re.compile(r"^(\d{8})(\.tmp)?$")
ROWS_PER_PART = 50_000
# tables whose old rows a later run may rewrite (a changed article, a re-matched copy) get small parts:
# rewriting a part is what a change costs
SMALL_PARTS = {"articles": 10_000, "copies": 10_000, "stories": 10_000}


class CorpusError(RuntimeError):
    """The output folder is not a corpus this version can add to."""


def gen_name(n: int) -> str:
    return f"{n:08d}"


def meta_generation(db: Path) -> str | None:
    """The raw generation value in newsfold.db's newsfold_meta (None: no row).  Raises sqlite3.Error."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT value FROM newsfold_meta WHERE key = 'generation'").fetchone()
        return None if row is None else str(row[0])
    finally:
        con.close()


def db_generation(out: Path) -> int:
    """The generation recorded in newsfold.db (0: none, or unreadable; ``guard.read_db`` says which)."""
    try:
        value = meta_generation(Path(out) / DB) if (Path(out) / DB).exists() else None
    except sqlite3.Error:
        value = None
    return int(value) if value and value.isdigit() else 0


def with_db(gen_dir: Path) -> bool:
    """Whether the run that made this generation kept ``newsfold.db`` (its config.json ``db``; a
    generation made before the setting existed always did)."""
    try:
        return json.loads((Path(gen_dir) / "config.json").read_text()).get("db", True) is not False
    except (OSError, ValueError, AttributeError):
        return True


def dbless_generation(out: Path) -> int:
    """The committed generation of a corpus kept without a database (``--no-db``): with no
    ``newsfold.db`` there, the newest sealed generation, when its run kept no database (sealing is
    then the commit point).  0 otherwise: a corpus that has, or should have, a database."""
    out = Path(out)
    if (out / DB).exists() or (out / DB).is_symlink() or not (out / GENS).is_dir():
        return 0
    gens = [int(m.group(1)) for p in (out / GENS).iterdir() if (m := _GEN_DIR.match(p.name)) and not m.group(2)]
    return max(gens) if gens and not with_db(out / GENS / gen_name(max(gens))) else 0


def committed_generation(out: Path) -> int:
    """The committed generation: the one newsfold.db records, or that of a corpus without a database
    (``dbless_generation``); 0 for none."""
    return db_generation(out) or dbless_generation(out)


def committed(out: Path) -> Path | None:
    """The folder of the committed generation, or None for an empty (or legacy) folder."""
    g = committed_generation(out)
    path = Path(out) / GENS / gen_name(g)
    return path if g and path.is_dir() else None


def _swap_link(link: Path, target: str) -> None:
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def publish_links(out: Path, g: int, names: Iterable[str]) -> None:
    """Point ``current`` at generation ``g``, and make sure every table has its fixed link."""
    out = Path(out)
    for name in names:
        link = out / name
        if not link.is_symlink():
            if link.exists():
                raise CorpusError(f"{link} is not a link into the corpus; was this folder made by another tool?")
            os.symlink(f"{CURRENT}/{name}", link)
    _swap_link(out / CURRENT, f"{GENS}/{gen_name(g)}")


def recover(out: Path, warn: Callable[[str], None]) -> int:
    """Bring the folder to its committed generation: drop unfinished ones, roll ``current``
    forward if a run died between its commit and the swap, and remove generations older than the
    previous one (kept for readers still reading it).  Only folders named as newsfold names them
    are touched; none is removed unless the database records a generation (or, in a corpus kept
    without one, ``dbless_generation`` finds it).  Returns that one."""
    out = Path(out)
    gens = out / GENS
    if not gens.exists():
        if (out / "articles.parquet").is_file():
            raise CorpusError(f"{out} holds a corpus in the old single-file layout; write to a new --out folder")
        return 0
    g = committed_generation(out)
    for p in sorted(gens.iterdir()):
        m = _GEN_DIR.match(p.name)
        if m is None:
            continue  # not made by newsfold: left alone
        n = int(m.group(1))
        if m.group(2) or (g and n > g):
            warn(f"{p.name}: an unfinished earlier run left this behind; removing it")
            shutil.rmtree(p)
        elif n < g - 1:
            shutil.rmtree(p, ignore_errors=True)
    if g:
        cur = out / CURRENT
        target = f"{GENS}/{gen_name(g)}"
        if not cur.is_symlink() or os.readlink(cur) != target:
            publish_links(out, g, published_names(gens / gen_name(g)))
    return g


def published_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".parquet") or p.name in FILES)


def read_table(path: Path, columns: list[str] | None = None, filter: Any = None) -> pa.Table:
    """A table (a folder of parts, or a single file) as one Arrow table."""
    import pyarrow.dataset as ds  # here, not at import: it loads pandas (~0.3 s)

    return ds.dataset(str(path), format="parquet").to_table(columns=columns, filter=filter)


def iter_batches(path: Path, batch_size: int = 5000, columns: list[str] | None = None):
    for part in parts_of(path):
        yield from pq.ParquetFile(part).iter_batches(batch_size=batch_size, columns=columns)


def parts_of(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(path.glob("*.parquet")) if path.is_dir() else []


def schema_of(path: Path) -> pa.Schema:
    return pq.read_schema(parts_of(path)[0])


# the column each table's rows are taken by; a part's sorted key hashes live in state/parts/<table>/
KEYS = {"articles": "article_id", "copies": "copy_id", "ledger": "ref", "removals": "copy_id",
        "stories": "story_id", "story_sentences": "story_id"}


def key_hashes(keys: Iterable[str | None]) -> np.ndarray:
    return np.array([xxhash.xxh3_64_intdigest(k.encode()) for k in keys if k is not None], np.uint64)


class PartWriter:
    """Writes rows of one table into new part files of at most ``ROWS_PER_PART`` rows."""

    def __init__(self, folder: Path, prefix: str, schema: pa.Schema, batch: int = 5000, rows_per_part: int = ROWS_PER_PART,
                 key: str | None = None, index: Path | None = None):
        self.folder, self.prefix, self.schema = Path(folder), prefix, schema
        self.key, self.index = key, index
        self._hashes: list[np.ndarray] = []
        self.folder.mkdir(parents=True, exist_ok=True)
        self.batch, self.rows_per_part = batch, rows_per_part
        self.rows: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None
        self.in_part = 0
        self.k = 0
        self.count = 0
        self.paths: list[Path] = []

    def _next_path(self) -> Path:
        while True:
            p = self.folder / f"part-{self.prefix}-{self.k:04d}.parquet"
            self.k += 1
            if not p.exists():
                return p

    def write(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def write_table(self, table: pa.Table) -> None:
        self.flush()
        for rb in table.cast(self.schema).to_batches(max_chunksize=self.batch):
            self._write(pa.Table.from_batches([rb], schema=self.schema))

    def _write(self, t: pa.Table) -> None:
        start = 0
        while start < t.num_rows:
            if self.writer is None:
                path = self._next_path()
                self.paths.append(path)
                self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
                self.in_part = 0
            take = min(t.num_rows - start, self.rows_per_part - self.in_part)
            self.writer.write_table(t.slice(start, take))
            if self.key is not None:
                self._hashes.append(key_hashes(t.column(self.key).slice(start, take).to_pylist()))
            self.in_part += take
            self.count += take
            start += take
            if self.in_part >= self.rows_per_part:
                self._close_part()

    def flush(self) -> None:
        if self.rows:
            self._write(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def _close_part(self) -> None:
        self.writer.close()  # type: ignore[union-attr]
        self.writer = None
        if self.key is not None and self.index is not None:
            self.index.mkdir(parents=True, exist_ok=True)
            h = np.unique(np.concatenate(self._hashes)) if self._hashes else np.zeros(0, np.uint64)
            np.save(self.index / (self.paths[-1].stem + ".npy"), h)
        self._hashes = []

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self._close_part()


class Generation:
    """The next generation of a corpus, built in ``.gens/N.tmp`` from the previous one."""

    def __init__(self, out: Path, number: int, previous: Path | None):
        self.out = Path(out)
        self.number = number
        self.previous = previous
        self.final = self.out / GENS / gen_name(number)
        self.dir = self.final.with_name(self.final.name + ".tmp")
        self.dir.mkdir(parents=True)
        self.state = self.dir / "state"
        self.state.mkdir()
        self._writers: dict[str, PartWriter] = {}
        self.deleted: dict[str, list[tuple[str, list[str], str]]] = {}  # table -> (key, keys, extra SQL)
        self.replaced: set[str] = set()
        if previous is not None:
            for table in previous.glob("*.parquet"):
                (self.dir / table.name).mkdir()
                for part in parts_of(table):
                    link_or_copy(part, self.dir / table.name / part.name)
                    idx = self._index_file(previous, table.name, part)
                    if idx.exists():
                        dst = self._index_file(self.dir, table.name, part)
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        link_or_copy(idx, dst)

    @staticmethod
    def _index_file(gen_dir: Path, table_name: str, part: Path) -> Path:
        return gen_dir / "state" / "parts" / table_name / (part.stem + ".npy")

    def table(self, name: str) -> Path:
        return self.dir / f"{name}.parquet"

    def readable(self, name: str) -> Path:
        """The table's folder, with this run's writers for it closed so that every part is complete."""
        for wname in (name, name + "/kept"):
            if wname in self._writers:
                self._writers[wname].close()  # finishes its part; later rows go to a new one
        return self.table(name)

    def previous_state(self, name: str) -> Path | None:
        p = self.previous / "state" / name if self.previous else None
        return p if p is not None and p.exists() else None

    def writer(self, name: str, schema: pa.Schema, kept: bool = False) -> PartWriter:
        """The writer of this run's new rows of ``name`` (``kept``: rows moved unchanged out of a
        rewritten older part, which the database already holds)."""
        wname = name + ("/kept" if kept else "")
        if wname not in self._writers:
            self._writers[wname] = self.part_writer(name, schema, "k" if kept else "")
        return self._writers[wname]

    def part_writer(self, name: str, schema: pa.Schema, tag: str = "") -> PartWriter:
        """A writer of new rows of ``name``, its parts named ``part-<generation><tag>-NNNN.parquet`` and
        indexed (``state/parts``) as ``writer``'s are.  The generation holds only ``writer``'s; another
        one (a Ray task's, ``tag`` ``-w<chunk>``: names that never collide and sort in chunk order, after
        ``writer``'s) is closed by whoever writes with it.  Its parts are new parts (``new_parts``)."""
        return PartWriter(self.table(name), f"{self.number:08d}{tag}", schema, key=KEYS.get(name),
                          rows_per_part=SMALL_PARTS.get(name, ROWS_PER_PART),
                          index=self.dir / "state" / "parts" / f"{name}.parquet")

    def new_parts(self, name: str) -> list[Path]:
        """Parts that hold rows this run added (not yet in the database)."""
        return sorted(self.table(name).glob(f"part-{self.number:08d}-*.parquet"))

    def take(self, name: str, key: str, keys: Iterable[str], where: Callable[[pa.Table], pa.Array] | None = None,
             where_sql: str = "") -> pa.Table | None:
        """Remove the rows whose ``key`` is in ``keys`` (and, if given, ``where(table)`` holds) from
        this generation's parts and return them.  Only the parts that hold such rows are rewritten.
        ``where_sql`` is the same condition in SQL, for the database update."""
        keys_list = sorted(set(keys))
        keys = pa.array(keys_list, pa.string())
        folder = self.table(name)
        if not len(keys) or not folder.exists():
            return None
        own = f"part-{self.number:08d}-"
        for wname in (name, name + "/kept"):
            if wname in self._writers:
                self._writers[wname].close()  # finishes its part; later rows go to a new one
        taken: list[pa.Table] = []
        want = np.unique(key_hashes(keys_list)) if KEYS.get(name) == key else None
        for part in parts_of(folder):
            idx = self._index_file(self.dir, folder.name, part)
            if want is not None and idx.exists():
                if not sorted_member(np.load(idx, mmap_mode="r"), want).any():
                    continue
            else:
                col = pq.read_table(part, columns=[key]).column(key)
                if not pc.any(pc.is_in(col, value_set=keys)).as_py():
                    continue
            t = pq.read_table(part)
            hit = pc.is_in(t.column(key), value_set=keys)
            if where is not None:
                hit = pc.and_(hit, where(t))
            hit = pc.fill_null(hit, False)
            if not pc.any(hit).as_py():
                continue
            taken.append(t.filter(hit))
            rest = t.filter(pc.invert(hit))
            part.unlink()
            if idx.exists():
                idx.unlink()
            if rest.num_rows:
                self.writer(name, t.schema, kept=not part.name.startswith(own)).write_table(rest)
        if not taken:
            return None
        out = pa.concat_tables(taken)
        # the database deletes exactly the rows taken here (``where_sql`` narrows rows sharing a key)
        self.deleted.setdefault(name, []).append((key, sorted(set(out.column(key).to_pylist())), where_sql))
        return out

    def replace_all(self, name: str, table: pa.Table) -> None:
        folder = self.table(name)
        if folder.exists():
            shutil.rmtree(folder)
        shutil.rmtree(self.dir / "state" / "parts" / folder.name, ignore_errors=True)
        self._writers.pop(name, None)
        self.replaced.add(name)
        w = self.writer(name, table.schema)
        w.write_table(table)

    def close_writers(self, schemas: dict[str, pa.Schema]) -> None:
        """Close every writer; make sure each table in ``schemas`` has at least one (maybe empty) part."""
        for w in self._writers.values():
            w.close()
        self._writers.clear()
        for name, schema in schemas.items():
            folder = self.table(name)
            if not parts_of(folder):
                folder.mkdir(exist_ok=True)
                pq.write_table(schema.empty_table(), folder / f"part-{self.number:08d}-empty.parquet", compression="zstd")

    def write_json(self, name: str, data: Any) -> None:
        (self.dir / name).write_text(json.dumps(data, indent=2))

    def seal(self) -> None:
        """Make the generation complete on disk (rename .tmp away) with its manifest (a checksum per
        file); it is not yet committed."""
        manifest.write(self.dir, self.number, self.previous)
        _fsync_tree(self.dir)
        os.replace(self.dir, self.final)
        self.dir = self.final
        self.state = self.dir / "state"


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for f in files:
            fd = os.open(os.path.join(root, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

"""Damaging a corpus in tests: the example corpus built once, copies of it to damage, a small batch
of new pages to add, and what a run over the damage did (through the CLI, as a user would)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

import newsfold
from newsfold.cli import app
from newsfold.config import Config

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "corpus"
MORE = [
    {"id": "m1", "title": "Lighthouse keeper retires after thirty years", "outlet": "bay-news",
     "text": "The last keeper of the Gull Point lighthouse retired on Friday after thirty years on the rock.\n\n"
             "She said the lamp would now be run from the mainland, and that she would miss the storms."},
    {"id": "m2", "title": "Ferry timetable changes for the winter", "outlet": "bay-news",
     "text": "The island ferry will sail twice a day from November, the operator said on Monday.\n\n"
             "Freight bookings for the early crossing open next week, and fares stay as they are."},
]


def build_base(folder: Path) -> Path:
    out = folder / "base"
    newsfold.run([EXAMPLE], out, Config(progress=False))
    return out


def more_pages(folder: Path) -> Path:
    src = folder / "more"
    src.mkdir(exist_ok=True)
    (src / "more.jsonl").write_text("".join(json.dumps(r) + "\n" for r in MORE))
    return src


def copy_corpus(base: Path, to: Path) -> Path:
    shutil.copytree(base, to, symlinks=True)  # copy2: sizes and modification times as they were
    return to


def article_ids(out: Path) -> set[str]:
    return set(pq.read_table(out / "current" / "articles.parquet", columns=["article_id"]).column(0).to_pylist())


def generation(out: Path) -> Path:
    return (out / "current").resolve()


def first_part(out: Path, table: str) -> Path:
    return sorted((generation(out) / f"{table}.parquet").glob("*.parquet"))[0]


def truncate(path: Path, keep: float = 0.5) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(int(size * keep))


def garbage_header(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.write(b"this is not a database, just some bytes" * 3)


def delete_db(out: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = out / f"newsfold.db{suffix}"
        if p.exists():
            p.unlink()


def delete_db_rows(out: Path) -> None:
    con = sqlite3.connect(out / "newsfold.db")
    con.execute("DELETE FROM articles WHERE rowid = (SELECT min(rowid) FROM articles)")
    con.commit()
    con.close()


def edit_ledger_keeping_counts(out: Path) -> None:
    """Rewrite the ledger part in place with one row's reason changed: same rows, same count."""
    part = first_part(out, "ledger")
    t = pq.read_table(part)
    rows = t.to_pylist()
    row = next(r for r in rows if r["status"] == "dropped")
    row["reason"] = "edited"
    os.unlink(part)  # the part is hard-linked from older generations: write a new file
    pq.write_table(pa.Table.from_pylist(rows, schema=t.schema), part)


def tree(out: Path) -> dict[str, tuple]:
    """Every entry under ``out`` with its size and modification time (links: their target)."""
    found = {}
    for root, dirs, files in os.walk(out):
        for name in dirs + files:
            p = Path(root) / name
            rel = p.relative_to(out).as_posix()
            if rel in (".newsfold.lock", "newsfold.db-shm", "newsfold.db-wal"):  # the lock; SQLite's reader files
                continue
            st = p.lstat()
            found[rel] = os.readlink(p) if p.is_symlink() else (st.st_size, st.st_mtime_ns if p.is_file() else 0)
    return found


@dataclass
class Outcome:
    code: int
    output: str
    traceback: bool

    @property
    def message(self) -> str:
        return " ".join(line for line in self.output.splitlines() if line.startswith("error:"))


def cli(*args: str) -> Outcome:
    res = CliRunner().invoke(app, list(args))
    crashed = res.exception is not None and not isinstance(res.exception, SystemExit)
    return Outcome(res.exit_code, res.output, crashed)


def run_more(src: Path, out: Path) -> Outcome:
    return cli("run", str(src), "--out", str(out), "--no-progress")


def verify_cli(out: Path) -> Outcome:
    return cli("verify", "--out", str(out))

"""What a sealed generation holds: ``manifest.json`` lists every file of it (Parquet parts, state,
config and summary) with its size, an xxh3 checksum and, for table parts, its row count.

It is written when the generation is sealed.  Files hard-linked unchanged from the previous
generation keep that generation's entry (same inode, same bytes: parts are never changed in
place), so writing it costs what the run changed, not the corpus.  :func:`check` compares a
generation with its manifest: ``full=False`` (before a run) checks that every file is there with
its size and rehashes only files whose modification time changed; ``full=True`` (``verify``)
rehashes every file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import xxhash

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


def digest(path: Path) -> str:
    h = xxhash.xxh3_64()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _files(gen_dir: Path) -> list[str]:
    out = []
    for root, _dirs, names in os.walk(gen_dir):
        for name in names:
            rel = (Path(root) / name).relative_to(gen_dir).as_posix()
            if rel != MANIFEST:
                out.append(rel)
    return sorted(out)


def _is_part(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) == 2 and parts[0].endswith(".parquet") and parts[1].endswith(".parquet")


def load(gen_dir: Path) -> dict | None:
    """The manifest of a generation, or None where it has none (a corpus made by an older version)."""
    path = Path(gen_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        if not isinstance(data.get("files"), dict):
            raise ValueError("no file list")
        return data
    except (OSError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path.parent.name}/{MANIFEST} cannot be read ({exc})") from None


def write(gen_dir: Path, number: int, previous: Path | None) -> None:
    gen_dir = Path(gen_dir)
    try:
        old = (load(previous) or {}).get("files", {}) if previous is not None else {}
    except ValueError:
        old = {}
    files: dict[str, dict] = {}
    for rel in _files(gen_dir):
        path = gen_dir / rel
        st = path.stat()
        entry = None
        if rel in old:
            try:
                pst = (previous / rel).stat()  # type: ignore[operator]
                if (pst.st_ino, pst.st_dev, pst.st_size) == (st.st_ino, st.st_dev, st.st_size):
                    entry = dict(old[rel])
            except OSError:
                pass
        if entry is None:
            entry = {"size": st.st_size, "xxh3": digest(path)}
            if _is_part(rel):
                entry["rows"] = pq.ParquetFile(path).metadata.num_rows
        entry["mtime_ns"] = st.st_mtime_ns
        files[rel] = entry
    (gen_dir / MANIFEST).write_text(json.dumps({"format": 1, "generation": number, "files": files}))


def rows(manifest: dict) -> dict[str, int]:
    """Rows per table, from the manifest's part entries."""
    out: dict[str, int] = {}
    for rel, e in manifest["files"].items():
        if _is_part(rel):
            table = rel.split("/")[0][: -len(".parquet")]
            out[table] = out.get(table, 0) + int(e.get("rows", 0))
    for rel in manifest["files"]:  # a table folder whose only part is empty still counts
        if _is_part(rel):
            out.setdefault(rel.split("/")[0][: -len(".parquet")], 0)
    return out


def check(gen_dir: Path, full: bool) -> list[str] | None:
    """What differs between a generation and its manifest (None: it has no manifest)."""
    gen_dir = Path(gen_dir)
    try:
        m = load(gen_dir)
    except ValueError as exc:
        return [str(exc)]
    if m is None:
        return None
    where = f"{gen_dir.parent.name}/{gen_dir.name}"
    problems = []
    for rel, e in sorted(m["files"].items()):
        path = gen_dir / rel
        try:
            st = path.stat()
        except OSError:
            problems.append(f"{where}/{rel} is missing")
            continue
        if st.st_size < e["size"]:
            problems.append(f"{where}/{rel} is truncated: {st.st_size} bytes of {e['size']}")
        elif st.st_size != e["size"]:
            problems.append(f"{where}/{rel} has changed since it was written: {st.st_size} bytes, {e['size']} then")
        elif (full or st.st_mtime_ns != e.get("mtime_ns")) and digest(path) != e["xxh3"]:
            problems.append(f"{where}/{rel} has changed since it was written (its checksum differs)")
    for rel in _files(gen_dir):
        if rel not in m["files"] and _is_part(rel):  # read as part of the table
            problems.append(f"{where}/{rel} was not written by newsfold")
    return problems

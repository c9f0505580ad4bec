"""Finding input files, opening them safely, and sniffing formats (gzip/zstd streams: :mod:`.compress`).

Nothing here reads a whole file: decompression is bounded (a small compressed chunk can never
expand into gigabytes at once), and callers read what they need through a buffered stream.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from newsfold.stages.ingest.compress import CHUNK, GZIP_MAGIC, ZSTD_MAGIC, SafeStream, GzipRaw, read_up_to, ZstdRaw
from newsfold.stages.ingest.errors import InputError

HEAD_BYTES = 8192  # how much of a (decompressed) file is sniffed for format and binary content


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """One file found under the inputs; ``problem`` is a ledger reason when it cannot be read."""

    path: Path  # what to open (symlinks already resolved)
    source: str
    problem: str = ""
    detail: str = ""
    in_folder: bool = False  # found by walking a folder input (False: a file named as an input)


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def discover(inputs: Iterable[str | os.PathLike[str]], corpus: Corpus | None = None) -> Iterator[Found]:
    """Every file under the inputs, in a deterministic order, with its ``source`` name.

    A folder is walked recursively in sorted name order; hidden entries (names starting with
    ``.``) are skipped, and so is the output corpus (``corpus``) when it lies inside an input
    folder. A symlink inside a folder is followed only when its target stays inside the folder;
    otherwise it comes out with ``problem="outside_root"``; a link to a folder above it with
    ``problem="symlink_loop"``.
    """
    for inp in inputs:
        given = Path(inp)
        absolute = Path(os.path.abspath(given))
        name = absolute.name or str(given)
        try:
            st = os.stat(given)
        except FileNotFoundError:
            if os.path.islink(given):
                yield Found(given, name, "unreadable", "broken symlink")
            else:
                yield Found(given, name, "missing", "no such file or folder")
            continue
        except OSError as exc:
            yield Found(given, name, "unreadable", exc.strerror or str(exc))
            continue
        if stat.S_ISDIR(st.st_mode):
            root = os.path.realpath(given)
            base = name if name not in ("", ".", "..") else (Path(root).name or "root")
            yield from _walk(root, root, base, {root}, corpus)
        elif stat.S_ISREG(st.st_mode):
            yield Found(Path(os.path.realpath(given)), name)
        else:
            yield Found(given, name, "special_file", "not a regular file")


@dataclass(frozen=True, slots=True)
class Corpus:
    """The output folder of the run, never read as input: the folder, and its own entries by name."""

    path: str  # its real path
    names: frozenset[str]  # entries of the corpus (links, database, json files) when it is an input folder itself

    def holds(self, directory: str, entry: os.DirEntry) -> bool:
        if directory == self.path and (entry.name in self.names or entry.name.endswith(".parquet")):
            return True
        return entry.is_dir() and os.path.realpath(entry.path) == self.path


def _walk(directory: str, root: str, prefix: str, seen: set[str], corpus: Corpus | None) -> Iterator[Found]:
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Found(Path(directory), prefix, "unreadable", f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith(".") or (corpus is not None and corpus.holds(directory, entry)):
            continue
        source = f"{prefix}/{entry.name}"
        try:
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                if not _inside(real, root):
                    yield Found(Path(entry.path), source, "outside_root", "symlink points outside the input folder")
                    continue
                try:
                    st = os.stat(real)
                except OSError:
                    yield Found(Path(entry.path), source, "unreadable", "broken symlink")
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if real in seen:  # a link to a folder above it: a loop
                        yield Found(Path(entry.path), source, "symlink_loop", "symlink to a folder above it")
                        continue
                    yield from _walk(real, root, source, seen | {real}, corpus)
                elif stat.S_ISREG(st.st_mode):
                    yield Found(Path(real), source, in_folder=True)
                else:
                    yield Found(Path(entry.path), source, "special_file", "not a regular file")
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, root, source, seen | {entry.path}, corpus)
            elif entry.is_file(follow_symlinks=False):
                yield Found(Path(entry.path), source, in_folder=True)
            else:
                yield Found(Path(entry.path), source, "special_file", "not a regular file")
        except OSError as exc:
            yield Found(Path(entry.path), source, "unreadable", exc.strerror or str(exc))


def iter_files(inputs: Iterable[str | os.PathLike[str]], on_skip: Callable[[Found], None] | None = None) -> Iterator[tuple[Path, str]]:
    """``(path, source)`` for every readable file under the inputs, in the order ``read_inputs`` reads them.

    ``path`` is the resolved path to open. Entries that cannot be read (a symlink escaping its folder,
    a special file, a missing input, ...) are passed to ``on_skip`` instead, when given.
    """
    for found in discover(inputs):
        if found.problem:
            if on_skip is not None:
                on_skip(found)
            continue
        yield found.path, found.source


# --------------------------------------------------------------------------------------------
# Opening (decompression: .compress)
# --------------------------------------------------------------------------------------------


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """Open a regular file for reading without following a final symlink and without blocking on FIFOs."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError as exc:
        raise InputError("unreadable", f"permission denied ({exc.strerror})") from None
    except OSError as exc:
        raise InputError("unreadable", exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError("special_file", "not a regular file")
        return os.fdopen(fd, "rb", buffering=CHUNK), st.st_size
    except BaseException:
        os.close(fd)
        raise


@dataclass
class Opened:
    """An input file opened for reading: ``stream`` yields the decompressed bytes from the start."""

    stream: SafeStream
    head: bytes  # the first HEAD_BYTES decompressed bytes (or fewer)
    compression: str | None  # "gzip", "zstd" or None
    size: int  # size of the file on disk
    error: InputError | None = None  # decompression broke within the head (reading on raises it)


class open_input:
    """Context manager: open ``path`` safely, undo gzip/zstd (sniffed from magic bytes), read the head."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None

    def __enter__(self) -> Opened:
        fh, size = open_regular(self.path)
        self._fh = fh
        magic = fh.peek(4)[:4] if hasattr(fh, "peek") else b""
        compression: str | None
        raw: BinaryIO
        if magic[:2] == GZIP_MAGIC:
            compression, raw = "gzip", GzipRaw(fh)  # type: ignore[assignment]
        elif magic[:4] == ZSTD_MAGIC:
            compression, raw = "zstd", ZstdRaw(fh)  # type: ignore[assignment]
        else:
            compression, raw = None, fh
        head, error = read_up_to(raw, HEAD_BYTES)
        return Opened(SafeStream(raw, head, error), head, compression, size, error)

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            self._fh.close()


def read_limited(opened: Opened, limit: int) -> bytes:
    """The whole (decompressed) content, or ``InputError("too_large")`` once it passes ``limit`` bytes."""
    if opened.compression is None and opened.size > limit:
        raise InputError("too_large", f"{opened.size} bytes, over max_page_bytes ({limit})")
    parts = []
    total = 0
    while True:
        chunk = opened.stream.read(1 << 20)
        if not chunk:  # the end, or a decompression error (raised here, after the data before it)
            break
        total += len(chunk)
        if total > limit:
            parts.clear()
            raise InputError("too_large", f"over max_page_bytes ({limit}) after decompression")
        parts.append(chunk)
    return b"".join(parts)


# --------------------------------------------------------------------------------------------
# Sniffing
# --------------------------------------------------------------------------------------------

COMPRESSION_SUFFIXES = (".gz", ".gzip", ".zst", ".zstd")
TEXT_EXT = {".txt", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml", ".shtml"}
WARC_EXT = {".warc"}
JSONL_EXT = {".jsonl", ".ndjson", ".json"}
PAGE_EXT = TEXT_EXT | HTML_EXT | WARC_EXT | JSONL_EXT  # what a folder is read for


def is_page_format(name: str) -> bool:
    """A file name a folder is read for: a page format, optionally .gz/.zst-compressed."""
    return Path(inner_name(name)).suffix.lower() in PAGE_EXT

# magic numbers of formats that are never text pages: (prefix, reason, what)
_MAGIC = [
    (b"%PDF-", "binary", "a PDF document"),
    (b"\x89PNG", "binary", "a PNG image"),
    (b"\xff\xd8\xff", "binary", "a JPEG image"),
    (b"GIF8", "binary", "a GIF image"),
    (b"RIFF", "binary", "a RIFF (audio/video/image) file"),
    (b"ID3", "binary", "an MP3 file"),
    (b"OggS", "binary", "an Ogg file"),
    (b"\x7fELF", "binary", "an executable"),
    (b"\x00asm", "binary", "a WebAssembly module"),
    (b"SQLite format 3\x00", "binary", "an SQLite database"),
    (b"PK\x03\x04", "unsupported", "a zip archive"),
    (b"BZh", "unsupported", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "unsupported", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "unsupported", "a 7-zip archive"),
]
_BOMS_16_32 = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_NOT_CONTROL = bytes(c for c in range(256) if c not in _CONTROL)
BINARY_CONTROL_RATIO = 0.10
MAX_STRAY_NUL = 8  # a text page may carry this many stray NUL bytes (dropped when it is read); more: binary


def inner_name(name: str) -> str:
    """The file name without its compression suffix (``a.jsonl.gz`` -> ``a.jsonl``)."""
    lower = name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def utf16_guess(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit at every other position, as in BOM-less UTF-16 text."""
    sample = head[: len(head) & ~1]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    n = len(even)
    if odd.count(0) > 0.4 * n and even.count(0) < 0.05 * n:
        return "utf-16-le"
    if even.count(0) > 0.4 * n and odd.count(0) < 0.05 * n:
        return "utf-16-be"
    return None


def binary_reason(head: bytes) -> tuple[str, str] | None:
    """``(reason, detail)`` when the head of a file says it is not text, else None."""
    if not head:
        return None
    for magic, reason, what in _MAGIC:
        if head.startswith(magic):
            return reason, f"looks like {what}"
    if head.startswith(_BOMS_16_32) or head.startswith(b"\xff\xfe\x00\x00"):
        return None
    nul = head.count(0)
    if nul:
        if utf16_guess(head):
            return None
        if nul > MAX_STRAY_NUL:
            return "binary", f"{nul} NUL bytes in the first {len(head)} bytes"
    ctrl = len(head.translate(None, _NOT_CONTROL))
    if ctrl > BINARY_CONTROL_RATIO * len(head):
        return "binary", f"{ctrl} control characters in the first {len(head)} bytes"
    return None


_HTML_START = re.compile(
    rb"^(?:\s|<\?xml[^>]*>|<!--.*?-->)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I | re.S
)
_BOM_PREFIX = re.compile(rb"^(?:\xef\xbb\xbf)")


def head_ascii(head: bytes) -> bytes:
    """The head as ASCII-compatible bytes (UTF-16/32 with a BOM is transcoded) for sniffing markers."""
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(enc, "ignore").encode("utf-8", "ignore")
    guess = utf16_guess(head)
    if guess:
        return head.decode(guess, "ignore").encode("utf-8", "ignore")
    return _BOM_PREFIX.sub(b"", head)


def looks_like_html(head: bytes) -> bool:
    return bool(_HTML_START.match(head_ascii(head)[:4096]))


def detect_format(name: str, head: bytes) -> str:
    """``text``, ``html``, ``warc``, ``jsonl`` or ``json`` (a JSON document, e.g. an array of records).

    The extension decides, except that content sniffing wins where it is unambiguous: a ``WARC/``
    header, or an HTML document start in a file whose extension is not HTML.
    """
    ext = Path(inner_name(name)).suffix.lower()
    start = head_ascii(head).lstrip()
    if start.startswith(b"WARC/"):
        return "warc"
    if ext in HTML_EXT:
        return "html"
    if ext in WARC_EXT:
        return "warc"
    if ext in JSONL_EXT:
        if ext == ".json" and (start[:1] == b"[" or start.split(b"\n", 1)[0].strip() == b"{"):
            return "json"  # an array of records, or one pretty-printed object
        return "jsonl"
    if looks_like_html(head):
        return "html"
    if ext not in TEXT_EXT and start[:1] == b"{":
        first = start.split(b"\n", 1)[0].strip()
        if first.endswith(b"}"):
            return "jsonl"
    return "text"

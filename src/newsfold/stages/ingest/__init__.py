"""Input readers: turn files and folders of scraped pages into ``Page`` records, streaming.

    from newsfold.stages.ingest import read_inputs
    for page in read_inputs(["crawl/", "extra.warc.gz"], cfg.reader, ledger.append, warn=print):
        ...

Formats (by extension, with magic-byte sniffing where the extension lies or is missing):
plain text (``.txt`` and unknown text files), HTML (``.html``/``.htm``), WARC (``.warc``), JSONL
(``.jsonl``/``.ndjson``/``.json``), each optionally gzip- or zstd-compressed (``.gz``, ``.zst``).
A ``.json`` file starting with ``[`` (or a pretty-printed ``{``) is read as one JSON document.

``Page.source`` is ``<folder name>/<path inside it>`` for a file found in a folder input, the file
name for a file input, plus ``#<line number>`` (JSONL) or ``#<WARC-Record-ID without <>>`` (WARC).
Symlinks inside a folder are followed only when they stay inside it (else ``outside_root``).

A folder is read for page formats only (the extensions above, also compressed); every other file in
it (``LICENSE``, ``README.md``, ``meta.info``, ...) gets one ledger entry with status ``skipped`` and
reason ``not a page format``, and no warning. ``ReaderConfig.include``/``exclude`` globs change that
per file. A ``.json`` file that holds no object with the text field is skipped the same way. The
output corpus, when it lies in an input folder, is never read.

Text and HTML pages that name no outlet or date get them from their path (:func:`.meta.path_meta`):
the date in ``Page.published``, the outlet in ``Page.path_outlet`` (used only when the
page's own lines name no outlet either).

Every input file gets exactly one ``level="file"`` ledger entry (kept, skipped, or dropped with a reason);
every record inside a WARC/JSONL file that cannot become a page gets a ``level="record"`` entry.
Bad input never raises out of ``read_inputs``: it is warned about, recorded, and skipped. The
reasons are listed in ``newsfold.stages.ingest.report``.
"""
from __future__ import annotations

import logging
import os
from collections import deque
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Callable, Iterator, Sequence

from newsfold.config import ReaderConfig
from newsfold.records import LedgerEntry, Page
from newsfold.stages.base import Collected
from newsfold.stages.ingest import report as R
from newsfold.stages.ingest.files import (HEAD_BYTES, MAX_STRAY_NUL, Corpus, Found, InputError, binary_reason,
    detect_format, discover, inner_name, is_page_format, iter_files, open_input, read_limited, utf16_guess)
from newsfold.stages.ingest.fingerprints import Fingerprints
from newsfold.stages.ingest.html import decode_html, extract_html
from newsfold.stages.ingest.jsonl import read_json, read_jsonl
from newsfold.stages.ingest.meta import path_meta
from newsfold.stages.ingest.report import FileLog, Reporter
from newsfold.stages.ingest.text import text_page_text
from newsfold.stages.ingest.warc import read_warc

__all__ = ["read_inputs", "ReadFile", "iter_files", "count_files", "Corpus"]

_log = logging.getLogger("newsfold.stages.ingest")
FAVORS = ("balanced", "precision", "recall")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16/32: NUL bytes belong to the text


def _default_warn(message: str) -> None:
    _log.warning(message)


def read_inputs(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    cfg: ReaderConfig,
    ledger: Callable[[LedgerEntry], None],
    warn: Callable[[str], None] = _default_warn,
    corpus: Corpus | None = None,
    files: Fingerprints | None = None,
    map_files: Callable | None = None,
) -> Iterator[Page]:
    """Pages from every file under ``inputs`` (files or folders), in a deterministic order.

    ``corpus``: the run's output folder, skipped when it lies inside an input folder.
    ``files``: the files read in full before (:mod:`.fingerprints`): such a file is not read again.
    ``map_files(ReadFile(cfg), found files) -> [(pages, reports)]`` in order: reads the files elsewhere
    (an engine's workers); their reports are replayed here in file order, so the pages, ledger rows
    and warnings are those of reading here (default: each file read here as the pages are taken)."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    favor = getattr(cfg, "html_favor", "balanced")
    if favor not in FAVORS:
        raise ValueError(f"reader.html_favor must be one of {FAVORS}, not {favor!r}")
    rep = Reporter(ledger, warn)
    todo = _to_read(inputs, cfg, rep, corpus, files)
    if map_files is None:
        for found, fp in todo:
            pages = 0
            for page in _read_file(found, cfg, rep):
                pages += 1
                yield page
            if fp is not None:
                files.read(fp, pages)
        return
    fps: deque[int | None] = deque()

    def found_files() -> Iterator[Found]:
        for found, fp in todo:
            fps.append(fp)
            yield found

    for pages, reports in map_files(ReadFile(cfg), found_files()):
        fp = fps.popleft()
        reports.replay(rep)
        yield from pages
        if fp is not None:
            files.read(fp, len(pages))


def _to_read(inputs, cfg: ReaderConfig, rep: Reporter, corpus: Corpus | None,
             files: Fingerprints | None) -> Iterator[tuple[Found, int | None]]:
    """The files to read, with their fingerprints; a ledger row for each file not read."""
    for found in discover(inputs, corpus):
        if found.problem:
            rep.drop_file(found.source, found.problem, found.detail)
            continue
        skip = _not_read(found.source, cfg) if found.in_folder else None
        if skip:
            rep.skip_file(found.source, *skip)
            continue
        fp = files.of(found.path, found.source) if files is not None else None
        if fp is not None:
            known = files.pages(fp)
            if known is not None:
                files.on_known(found.source, known)
                continue
        yield found, fp


class ReadFile:
    """``ReadFile(cfg)(found) -> (pages, reports)``: one file read in any process; what reading it
    reported (ledger rows, warnings, in order) is replayed by ``read_inputs``."""

    def __init__(self, cfg: ReaderConfig):
        self.cfg = cfg

    def __call__(self, found: Found) -> tuple[list[Page], Collected]:
        reports = Collected()
        return list(_read_file(found, self.cfg, Reporter(reports.ledger, reports.warn))), reports


def count_files(inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str], corpus: Corpus | None = None) -> int:
    """How many files ``read_inputs`` will record (one ledger row each): a walk, nothing is opened."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    return sum(1 for _ in discover(inputs, corpus))


def _not_read(source: str, cfg: ReaderConfig) -> tuple[str, str] | None:
    """Why a file found in a folder is not read (``(reason, detail)``), or None to read it."""
    inside = source.split("/", 1)[-1]  # its path inside the input folder
    name = inside.rsplit("/", 1)[-1]
    for pattern in cfg.exclude:
        if fnmatchcase(inside, pattern) or fnmatchcase(name, pattern):
            return R.EXCLUDED, f"matches exclude glob {pattern!r}"
    if any(fnmatchcase(inside, p) or fnmatchcase(name, p) for p in cfg.include):
        return None
    if not is_page_format(name):
        return R.NOT_PAGE_FORMAT, ""
    return None


def _read_file(found: Found, cfg: ReaderConfig, rep: Reporter) -> Iterator[Page]:
    path, source = found.path, found.source
    log = FileLog(rep, source)
    try:
        with open_input(path) as opened:
            if len(opened.head) < HEAD_BYTES and not opened.head.strip():
                # nothing, or only whitespace (an empty .gz decompresses to nothing too)
                raise opened.error or InputError(R.EMPTY, "0 bytes" if not opened.size else "no content")
            fmt = detect_format(source.rsplit("/", 1)[-1], opened.head)
            if fmt != "warc":
                bad = binary_reason(opened.head)
                if bad:
                    raise InputError(*bad)
            if opened.compression:
                log.notes.append(f"{opened.compression}-compressed")
            if fmt == "warc":
                yield from read_warc(opened, log, cfg)
            elif fmt == "jsonl":
                json_file = Path(inner_name(source)).suffix.lower() == ".json"
                yield from read_jsonl(opened, log, cfg, json_file=json_file)
            elif fmt == "json":
                yield from read_json(opened, log, cfg)
            else:
                page = _single_page(opened, fmt, source, log, cfg)
                if page is not None:
                    _path_meta(page, found)
                    log.page()
                    yield page
    except InputError as exc:
        log.fail(exc.reason, exc.detail)
    except PermissionError as exc:
        log.fail(R.UNREADABLE, f"permission denied ({exc})")
    except OSError as exc:
        log.fail(R.UNREADABLE, f"{type(exc).__name__}: {exc}")
    except MemoryError:
        log.fail(R.TOO_LARGE, "out of memory while reading")
    except Exception as exc:  # a bad file must never stop the run
        log.fail(R.ERROR, f"{type(exc).__name__}: {exc}")
    log.finish()


def _path_meta(page: Page, found: Found) -> None:
    """A page's outlet and date from its path, where the page names none."""
    if page.outlet and page.published:
        return
    folders = found.source.split("/")[:-1] if found.in_folder else [found.path.parent.name]
    outlet, published = path_meta(folders, found.source.rsplit("/", 1)[-1])
    page.published = page.published or published
    if outlet and not page.outlet:
        page.path_outlet = outlet


def _drop_stray_nul(data: bytes, log: FileLog) -> bytes:
    """A few stray NUL bytes in a text or HTML page are dropped (and noted), not the page."""
    nul = data.count(0)
    if not nul or utf16_guess(data[:HEAD_BYTES]) or data.startswith(_WIDE_BOMS):
        return data
    if nul > MAX_STRAY_NUL:
        raise InputError(R.BINARY, f"{nul} NUL bytes")
    log.notes.append(f"{nul} NUL byte{'s' if nul != 1 else ''} dropped")
    return data.replace(b"\x00", b"")


def _single_page(opened, fmt: str, source: str, log: FileLog, cfg: ReaderConfig) -> Page | None:
    """A text or HTML file: one page, or None (with the reason recorded in ``log``)."""
    data = read_limited(opened, cfg.max_page_bytes)
    data = _drop_stray_nul(data, log)
    if fmt == "html":
        html, encoding = decode_html(data)
        del data
        res = extract_html(html, cfg)
        if res is None:
            log.fail(R.NO_CONTENT, "no main text extracted from the HTML")
            return None
        extra = dict(res.extra)
        extra["encoding"] = encoding
        return Page(source=source, text=res.text, kind="html", url=res.url, outlet=res.outlet,
                    title=res.title, published=res.published, authors=res.authors, extra=extra)
    text, info = text_page_text(data, cfg.max_line_bytes)
    if not text:
        log.fail(R.EMPTY, "no text after decoding")
        return None
    if info.get("fixed"):
        log.notes.append("mojibake repaired")
    if info.get("encoding", "utf-8") != "utf-8":
        log.notes.append(f"encoding {info['encoding']}")
    if info.get("long_lines_dropped"):
        n = info["long_lines_dropped"]
        log.notes.append(f"{n} lines over max_line_bytes dropped")
        log.warnings.append(f"{source}: {n} lines over max_line_bytes ({cfg.max_line_bytes}) dropped")
    return Page(source=source, text=text, kind="text", extra=info)

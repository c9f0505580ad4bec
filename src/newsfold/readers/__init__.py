"""Input readers: turn files and folders of scraped pages into ``Page`` records, streaming.

    from newsfold.readers import read_inputs
    for page in read_inputs(["crawl/", "extra.warc.gz"], cfg.reader, ledger.append, warn=print):
        ...

Formats (by extension, with magic-byte sniffing where the extension lies or is missing):
plain text (``.txt`` and unknown text files), HTML (``.html``/``.htm``), WARC (``.warc``), JSONL
(``.jsonl``/``.ndjson``/``.json``), each optionally gzip- or zstd-compressed (``.gz``, ``.zst``).
A ``.json`` file starting with ``[`` (or a pretty-printed ``{``) is read as one JSON document.

``Page.source`` is ``<folder name>/<path inside it>`` for a file found in a folder input, the file
name for a file input, plus ``#<line number>`` (JSONL) or ``#<WARC-Record-ID without <>>`` (WARC).
Symlinks inside a folder are followed only when they stay inside it (else ``outside_root``).

Every input file gets exactly one ``level="file"`` ledger entry (kept, or dropped with a reason);
every record inside a WARC/JSONL file that cannot become a page gets a ``level="record"`` entry.
Bad input never raises out of ``read_inputs``: it is warned about, recorded, and skipped. The
reasons are listed in ``newsfold.readers.report``.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..config import ReaderConfig
from ..records import LedgerEntry, Page
from . import report as R
from .files import HEAD_BYTES, InputError, binary_reason, detect_format, discover, iter_files, open_input, read_limited
from .html import decode_html, extract_html
from .jsonl import read_json, read_jsonl
from .report import FileLog, Reporter
from .text import text_page_text
from .warc import read_warc

__all__ = ["read_inputs", "iter_files"]

_log = logging.getLogger("newsfold.readers")
FAVORS = ("balanced", "precision", "recall")


def _default_warn(message: str) -> None:
    _log.warning(message)


def read_inputs(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    cfg: ReaderConfig,
    ledger: Callable[[LedgerEntry], None],
    warn: Callable[[str], None] = _default_warn,
) -> Iterator[Page]:
    """Pages from every file under ``inputs`` (files or folders), in a deterministic order."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    favor = getattr(cfg, "html_favor", "balanced")
    if favor not in FAVORS:
        raise ValueError(f"reader.html_favor must be one of {FAVORS}, not {favor!r}")
    rep = Reporter(ledger, warn)
    for found in discover(inputs, warn):
        if found.problem:
            rep.drop_file(found.source, found.problem, found.detail)
            continue
        yield from _read_file(found.path, found.source, cfg, rep)


def _read_file(path: Path, source: str, cfg: ReaderConfig, rep: Reporter) -> Iterator[Page]:
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
                yield from read_jsonl(opened, log, cfg)
            elif fmt == "json":
                yield from read_json(opened, log, cfg)
            else:
                page = _single_page(opened, fmt, source, log, cfg)
                if page is not None:
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


def _single_page(opened, fmt: str, source: str, log: FileLog, cfg: ReaderConfig) -> Page | None:
    """A text or HTML file: one page, or None (with the reason recorded in ``log``)."""
    data = read_limited(opened, cfg.max_page_bytes)
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
        log.rep.warn(f"{source}: {n} lines over max_line_bytes ({cfg.max_line_bytes}) dropped")
    return Page(source=source, text=text, kind="text", extra=info)

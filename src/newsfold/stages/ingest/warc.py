"""WARC files: each HTML ``response`` record becomes a page, streamed record by record.

The file is decompressed by ``files.open_input`` (which notices a truncated or corrupt gzip; warcio
itself silently stops there), and warcio parses the uncompressed stream. A record whose payload is
cut short is dropped (``truncated``): a partial page is never yielded. Non-2xx and non-HTML
responses and other record types are skipped silently and counted in the file's ledger detail.
The outlet follows the same rule as for ``.html`` files (site name, else the URL's host).
"""
from __future__ import annotations

from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from newsfold.records import Page
from newsfold.stages.ingest import report as R
from newsfold.stages.ingest.files import CHUNK, InputError, Opened
from newsfold.stages.ingest.html import charset_from_content_type, decode_html, extract_html
from newsfold.stages.ingest.meta import host_of
from newsfold.stages.ingest.report import FileLog

HTML_TYPES = {"text/html", "application/xhtml+xml"}


def _record_key(record_id: str | None, n: int) -> str:
    return record_id.strip().strip("<>") if record_id else str(n)


def read_warc(opened: Opened, log: FileLog, cfg) -> Iterator[Page]:
    if not opened.head.lstrip().startswith(b"WARC/"):
        raise InputError(R.BAD_WARC, "does not start with a WARC/ record header")
    limit = cfg.max_page_bytes
    n = 0
    current: str | None = None  # the record whose payload is being read (if the stream breaks there)
    try:
        for rec in ArchiveIterator(opened.stream, check_digests=False):
            n += 1
            rid = rec.rec_headers.get_header("WARC-Record-ID")
            key = _record_key(rid, n)
            rtype = rec.rec_type or "unknown"
            if rtype != "response":
                log.skip(rtype)
                continue
            http = rec.http_headers
            if http is None:
                log.skip("non-http")
                continue
            status = (http.get_statuscode() or "").strip()
            if not status.startswith("2"):
                log.skip("non-2xx")
                continue
            ctype = http.get_header("Content-Type") or ""
            if ctype.split(";", 1)[0].strip().lower() not in HTML_TYPES:
                log.skip("non-html")
                continue
            current = key
            data = rec.content_stream().read(limit + 1)
            if len(data) > limit:
                current = None
                log.drop_record(key, R.TOO_LARGE, f"payload over max_page_bytes ({limit})")
                continue
            while rec.raw_stream.read(CHUNK):  # consume the rest of the block (e.g. chunked trailers)
                pass
            if getattr(rec.raw_stream, "limit", 0) > 0:
                log.drop_record(key, R.TRUNCATED, f"payload ends {rec.raw_stream.limit} bytes early")
                current = None
                break
            current = None
            url = rec.rec_headers.get_header("WARC-Target-URI")
            page = _page(data, ctype, url, rid, key, log, cfg)
            if page is not None:
                log.page()
                yield page
        opened.stream.raise_pending()  # a break right after the last complete record
    except InputError as exc:
        if current is not None:
            log.drop_record(current, exc.reason, "the record is cut off")
        log.fail(exc.reason, exc.detail)
        return
    except (ArchiveLoadFailed, ValueError, KeyError, IndexError) as exc:
        # warcio: a record header that does not parse (not a WARC, or garbage between records)
        log.fail(R.BAD_WARC, f"after {n} records: {type(exc).__name__}: {exc}")
        return
    if log.dropped.get(R.TRUNCATED):
        log.fail(R.TRUNCATED, "the WARC ends inside a record")
    elif n == 0:
        log.no_page_reason = R.EMPTY


def _page(data: bytes, ctype: str, url: str | None, rid: str | None, key: str, log: FileLog, cfg) -> Page | None:
    if not data.strip():
        log.drop_record(key, R.EMPTY, "empty payload")
        return None
    try:
        html, encoding = decode_html(data, charset_from_content_type(ctype))
    except InputError as exc:
        log.drop_record(key, exc.reason, exc.detail)
        return None
    try:
        res = extract_html(html, cfg, url=url)
    except Exception as exc:  # trafilatura/lxml failures must not end the archive
        log.drop_record(key, R.ERROR, f"extraction failed: {type(exc).__name__}: {exc}")
        return None
    if res is None:
        log.drop_record(key, R.NO_CONTENT, f"no main text extracted ({url})")
        return None
    host = host_of(url)
    extra = dict(res.extra)
    extra["encoding"] = encoding
    return Page(
        source=f"{log.source}#{key}",
        text=res.text,
        kind="warc",
        url=url,
        outlet=res.outlet or host,
        title=res.title,
        published=res.published,
        authors=res.authors,
        record_id=rid,
        extra=extra,
    )

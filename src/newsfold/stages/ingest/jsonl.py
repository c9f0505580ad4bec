"""JSONL files (one JSON object per line), streamed line by line with a size limit per line.

A line longer than ``max_line_bytes`` is never held in memory: we read up to the limit, then skip
to the next newline in small chunks. A ``.json`` file holding one JSON document (an array of
records, or a single object) is read whole when it is under ``max_page_bytes``.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from newsfold.records import Page
from newsfold.stages.ingest import report as R
from newsfold.stages.ingest.files import InputError, Opened, read_limited
from newsfold.stages.ingest.html import extract_html, looks_like_html_text
from newsfold.stages.ingest.meta import host_of, normalize_date
from newsfold.stages.ingest.report import FileLog
from newsfold.stages.ingest.text import fix_text

SKIP_CHUNK = 1 << 20
EXTRA_MAX_CHARS = 2000  # other fields of a record kept in Page.extra["jsonl"] when small


def iter_lines(stream, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """``(line number, line, size)``; ``line`` is None when the line is over ``limit`` bytes."""
    lineno = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if not line.endswith(b"\n") and hasattr(stream, "raise_pending"):
            stream.raise_pending()  # a last line cut off by a decompression error is not a record
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):  # over the limit, newline not reached
            size = len(line)
            del line
            while True:
                chunk = stream.readline(SKIP_CHUNK)
                size += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield lineno, None, size
        else:
            yield lineno, line, len(line)


def _get(record: dict, name: str) -> Any:
    """A field, or a dotted path into nested objects (``"meta.date"``)."""
    if name in record:
        return record[name]
    if "." in name:
        value: Any = record
        for part in name.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value
    return None


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value).strip()
    return s or None


def read_jsonl(opened: Opened, log: FileLog, cfg, json_file: bool = False) -> Iterator[Page]:
    """Records, one per line. A file whose first JSON value is not an object with the text field holds
    no records (an index or metadata beside the pages): it is skipped whole, unread; so is a ``.json``
    file (``json_file``) whose first line is not JSON."""
    limit = cfg.max_line_bytes
    seen = 0
    lineno = 0
    try:
        for lineno, line, size in iter_lines(opened.stream, limit):
            if line is None:
                seen += 1
                log.drop_record(str(lineno), R.TOO_LARGE, f"line of {size} bytes, over max_line_bytes ({limit})")
                continue
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            seen += 1
            try:
                text = line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                log.drop_record(str(lineno), R.UNDECODABLE, f"not UTF-8 at byte {exc.start}")
                continue
            try:
                record = json.loads(text)
            except (ValueError, RecursionError) as exc:
                if json_file and seen == 1:
                    log.not_read = (R.NOT_PAGE_FORMAT, "JSON, but not one record per line")
                    return
                log.drop_record(str(lineno), R.BAD_JSON, _json_error(exc))
                continue
            if not (log.pages or log.dropped) and not _is_record(record, cfg):  # the first value
                log.not_read = (R.NOT_PAGE_FORMAT, f"JSON that holds no object with a {cfg.jsonl.text!r} field")
                return
            page = _record_page(record, str(lineno), log, cfg)
            if page is not None:
                log.page()
                yield page
    except InputError as exc:
        log.drop_record(str(lineno + 1), exc.reason, "the line is cut off")
        log.fail(exc.reason, f"{exc.detail} (at line {lineno + 1})")
        return
    if seen == 0:
        log.no_page_reason = R.EMPTY


def read_json(opened: Opened, log: FileLog, cfg) -> Iterator[Page]:
    """A ``.json`` document: an array of records (``#n`` = 1-based position) or a single object."""
    data = read_limited(opened, cfg.max_page_bytes)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(R.UNDECODABLE, f"not UTF-8 at byte {exc.start}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(R.BAD_JSON, _json_error(exc)) from None
    del data
    records = doc if isinstance(doc, list) else [doc]
    if not any(_is_record(r, cfg) for r in records):
        log.not_read = (R.NOT_PAGE_FORMAT, f"JSON that holds no object with a {cfg.jsonl.text!r} field")
        return
    for n, record in enumerate(records, 1):
        page = _record_page(record, str(n), log, cfg)
        if page is not None:
            log.page()
            yield page


def _is_record(value: Any, cfg) -> bool:
    return isinstance(value, dict) and _get(value, cfg.jsonl.text) is not None


def _json_error(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
    return f"{type(exc).__name__}"


def _record_page(record: Any, key: str, log: FileLog, cfg) -> Page | None:
    fields = cfg.jsonl
    if not isinstance(record, dict):
        log.drop_record(key, R.NOT_OBJECT, f"a JSON {type(record).__name__}, not an object")
        return None
    body = _get(record, fields.text)
    if body is None:
        log.drop_record(key, R.MISSING_TEXT, f"no {fields.text!r} field")
        return None
    if not isinstance(body, str):
        log.drop_record(key, R.MISSING_TEXT, f"{fields.text!r} is a {type(body).__name__}, not a string")
        return None
    if not body.strip():
        log.drop_record(key, R.EMPTY, f"{fields.text!r} is empty")
        return None
    if len(body) > cfg.max_page_bytes // 4 and len(body.encode("utf-8")) > cfg.max_page_bytes:
        log.drop_record(key, R.TOO_LARGE, f"text over max_page_bytes ({cfg.max_page_bytes})")
        return None
    url = _str(_get(record, fields.url))
    title = _str(_get(record, fields.title))
    outlet = _str(_get(record, fields.outlet))
    raw_date = _get(record, fields.date)
    published = normalize_date(raw_date)
    record_id = _str(_get(record, fields.id))
    extra: dict[str, Any] = {}
    if raw_date not in (None, "") and published is None:
        extra["date_raw"] = raw_date if isinstance(raw_date, (str, int, float)) else str(raw_date)
    authors = None
    if looks_like_html_text(body):
        try:
            res = extract_html(body, cfg, url=url)
        except Exception as exc:  # trafilatura/lxml failures end this record only
            log.drop_record(key, R.ERROR, f"extraction failed: {type(exc).__name__}: {exc}")
            return None
        if res is None:
            log.drop_record(key, R.NO_CONTENT, "HTML text, but no main text extracted")
            return None
        text = res.text
        title = fix_text(title) if title else res.title
        url = url or res.url
        outlet = outlet or res.outlet
        published = published or res.published
        authors = res.authors
        extra.update(res.extra)
        extra["html"] = True
    else:
        text = fix_text(body).strip()
        if title:
            title = fix_text(title)
    if not text:
        log.drop_record(key, R.EMPTY, "no text after cleaning")
        return None
    mapped = {fields.id, fields.text, fields.title, fields.url, fields.outlet, fields.date}
    others = {k: v for k, v in record.items() if k not in mapped and _small(v)}
    if others:
        extra["jsonl"] = others
    return Page(
        source=f"{log.source}#{key}",
        text=text,
        kind="jsonl",
        url=url,
        outlet=outlet or host_of(url),
        title=title,
        published=published,
        authors=authors,
        record_id=record_id,
        extra=extra,
    )


def _small(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return len(value) <= EXTRA_MAX_CHARS
    if isinstance(value, (list, dict)):
        return len(value) <= 50 and len(json.dumps(value, ensure_ascii=False, default=str)) <= EXTRA_MAX_CHARS
    return False

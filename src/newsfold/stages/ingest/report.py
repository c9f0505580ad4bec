"""Ledger and warning bookkeeping for one input file and the records inside it."""
from __future__ import annotations

from collections import Counter
from typing import Callable

from newsfold.records import DROPPED, KEPT, SKIPPED, LedgerEntry

# Reasons (LedgerEntry.reason) written by the readers.
OUTSIDE_ROOT = "outside_root"  # a symlink in an input folder that points outside it
MISSING = "missing"  # an input path that does not exist
SPECIAL_FILE = "special_file"  # a FIFO, socket or device
UNREADABLE = "unreadable"  # permission denied, broken symlink, I/O error
EMPTY = "empty"  # nothing (or only whitespace) in the file / record
BINARY = "binary"  # NUL bytes or many control characters in the first 8 KiB, or a known binary format
UNSUPPORTED = "unsupported"  # a known container we do not read (zip, bzip2, xz, 7z)
UNDECODABLE = "undecodable"  # no text encoding fits
TOO_LARGE = "too_large"  # over max_page_bytes (file/record) or max_line_bytes (JSONL line)
TRUNCATED = "truncated"  # compressed data or a WARC record ends early
CORRUPT = "corrupt"  # compressed data that cannot be decompressed
BAD_WARC = "bad_warc"  # not a readable WARC (bad record headers)
BAD_JSON = "bad_json"  # a JSONL line (or .json file) that is not valid JSON
NOT_OBJECT = "not_object"  # a JSON record that is not an object
MISSING_TEXT = "missing_text"  # a JSON record without a string in the text field
NO_CONTENT = "no_content"  # HTML from which trafilatura extracts no main text
NO_PAGES = "no_pages"  # an archive (WARC/JSONL) from which no page came out
ERROR = "error"  # an unexpected error while reading (a bug or a library failure); reading goes on
SYMLINK_LOOP = "symlink_loop"  # a symlink in an input folder to a folder above it
# Reasons for files in an input folder that are not read (status SKIPPED, no warning):
NOT_PAGE_FORMAT = "not a page format"  # LICENSE, README.md, meta.info, JSON that holds no records, ...
EXCLUDED = "excluded"  # matched an --exclude glob

MAX_RECORD_WARNINGS = 5  # per file; the rest are summed up in one line


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class Reporter:
    """Writes ledger entries and warnings for the whole run."""

    def __init__(self, ledger: Callable[[LedgerEntry], bool | None], warn: Callable[[str], None]) -> None:
        self._ledger = ledger
        self._warn = warn
        self._quiet = False  # the last row was already in the corpus's ledger: no warning for it again

    def ledger(self, entry: LedgerEntry) -> None:
        """Record a row; ``ledger`` returns False for a row the corpus already holds (an input read again)."""
        self._quiet = self._ledger(entry) is False

    def warn(self, message: str) -> None:
        if not self._quiet:
            self._warn(message)

    def drop_file(self, source: str, reason: str, detail: str = "") -> None:
        detail = _one_line(detail)
        self.ledger(LedgerEntry(source, "file", DROPPED, reason, detail))
        self.warn(f"{source}: skipped ({reason})" + (f": {detail}" if detail else ""))

    def skip_file(self, source: str, reason: str, detail: str = "") -> None:
        """A file that is not read at all: one ledger row, no warning (the run summary counts them)."""
        self.ledger(LedgerEntry(source, "file", SKIPPED, reason, _one_line(detail)))


class FileLog:
    """Counts for one input file; ``finish`` writes its single ``level="file"`` ledger entry."""

    def __init__(self, rep: Reporter, source: str) -> None:
        self.rep = rep
        self.source = source
        self.pages = 0
        self.dropped: Counter[str] = Counter()  # record reason -> count
        self.skipped: Counter[str] = Counter()  # silently skipped record kinds (WARC) -> count
        self.failure: tuple[str, str] | None = None  # (reason, detail) that ended the file
        self.no_page_reason = NO_PAGES
        self.notes: list[str] = []
        self.warnings: list[str] = []  # said after the file's row is written (none when the corpus has it)
        self.not_read: tuple[str, str] | None = None  # (reason, detail): the file is skipped, not read
        self._warned = 0

    def page(self) -> None:
        self.pages += 1

    def skip(self, kind: str) -> None:
        self.skipped[kind] += 1

    def drop_record(self, record: str, reason: str, detail: str = "") -> None:
        """A record inside this file that could not become a page (``record`` is its ``#...`` suffix)."""
        detail = _one_line(detail)
        source = f"{self.source}#{record}"
        self.rep.ledger(LedgerEntry(source, "record", DROPPED, reason, detail))
        self.dropped[reason] += 1
        if self._warned < MAX_RECORD_WARNINGS:
            self._warned += 1
            self.rep.warn(f"{source}: record skipped ({reason})" + (f": {detail}" if detail else ""))

    def fail(self, reason: str, detail: str = "") -> None:
        if self.failure is None:
            self.failure = (reason, _one_line(detail))

    def summary(self) -> str:
        parts = [f"{self.pages} page{'s' if self.pages != 1 else ''}"]
        if self.dropped:
            n = sum(self.dropped.values())
            parts.append(f"{n} record{'s' if n != 1 else ''} dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items())))
        if self.skipped:
            n = sum(self.skipped.values())
            parts.append(f"{n} record{'s' if n != 1 else ''} skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())))
        parts.extend(self.notes)
        return "; ".join(parts)

    def finish(self) -> None:
        rep = self.rep
        if self.not_read is not None:
            rep.skip_file(self.source, *self.not_read)
            return
        extra_warnings = sum(self.dropped.values()) - self._warned
        if extra_warnings > 0:
            rep.warn(f"{self.source}: {extra_warnings} more records skipped (" + ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items())) + ")")
        if self.failure is not None:
            reason, detail = self.failure
            if self.pages:
                text = f"{detail}; recovered {self.summary()}"
                rep.ledger(LedgerEntry(self.source, "file", KEPT, reason, text))
                rep.warn(f"{self.source}: {reason}: {text}")
            else:
                text = f"{detail}; {self.summary()}" if (self.dropped or self.skipped) else detail
                rep.drop_file(self.source, reason, text)
            return
        if self.pages:
            rep.ledger(LedgerEntry(self.source, "file", KEPT, "", self.summary()))
            for message in self.warnings:
                rep.warn(message)
        elif len(self.dropped) == 1 and not self.skipped:
            # every record failed for the same reason: say which (e.g. every line is bad_json)
            rep.drop_file(self.source, next(iter(self.dropped)), self.summary())
        else:
            rep.drop_file(self.source, self.no_page_reason, self.summary())

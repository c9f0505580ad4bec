"""The read side: one handle on a corpus folder, one module per resource, plain dicts out.

The CLI's read commands, their ``--json`` and the web app render the dicts these functions return,
so the three cannot disagree.  Everything is read from ``newsfold.db`` (SQLite, opened read-only per
call, so a reader always sees the latest published generation), never whole Parquet tables.
"""
from __future__ import annotations

from newsfold.read.handle import Corpus, NotFound, page_of

__all__ = ["Corpus", "NotFound", "page_of"]

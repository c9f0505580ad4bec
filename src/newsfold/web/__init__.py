"""The local web UI: a read-only Starlette app over a corpus folder (``newsfold serve DIR``)."""
from __future__ import annotations

from newsfold.web.app import create_app

__all__ = ["create_app"]

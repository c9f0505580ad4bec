"""newsfold: turn piles of scraped news pages into a clean, deduplicated, searchable corpus."""
from __future__ import annotations

from newsfold.version import __version__


def run(inputs, out, config=None, **kwargs):
    """Read INPUTS (files or folders) and write the corpus into OUT.  See ``newsfold.engine.local.run``."""
    from newsfold.engine.local import run as _run

    return _run(inputs, out, config, **kwargs)


__all__ = ["run", "__version__"]

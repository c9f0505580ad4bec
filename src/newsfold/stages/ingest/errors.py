"""The error every reader raises for a bad input (file or record)."""
from __future__ import annotations


class InputError(Exception):
    """A problem with one input (file or record): ``reason`` is machine-readable, ``detail`` is for people.

    Deliberately not an ``OSError`` or ``EOFError``: warcio swallows those.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

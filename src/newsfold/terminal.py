"""Making text from input inert before it reaches a terminal.

Scraped text, file names and outlet names are hostile input: an ESC or OSC sequence in a title
would drive the user's terminal (clear it, retitle it, write escape-sequence links). ``inert``
shows every control character escaped (``\\x1b``, ``\\u202e``) and escapes rich markup, so what
the CLI prints is exactly the text, made visible. ``--json`` output is not passed through it: JSON
escapes control characters itself and must stay exact.
"""
from __future__ import annotations

import re

from rich.markup import escape

# C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text (bidi
# overrides and isolates, zero-width joiners are harmless but the overrides are not).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_NL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _show(m: re.Match) -> str:
    c = m.group(0)
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def visible(text: object, *, newlines: bool = False) -> str:
    """``text`` with every control character shown escaped; newlines and tabs kept if ``newlines``."""
    s = "" if text is None else str(text)
    return (_UNSAFE if newlines else _UNSAFE_NL).sub(_show, s)


def inert(text: object, *, newlines: bool = False) -> str:
    """``text`` safe to hand to a rich console: controls escaped, rich markup escaped."""
    return escape(visible(text, newlines=newlines))


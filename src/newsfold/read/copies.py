"""Copies of an article side by side: two copies' lines aligned, their differences marked."""
from __future__ import annotations

import difflib
import re
from typing import Any

from newsfold.read.articles import article
from newsfold.read.handle import Corpus, NotFound

_WORD = re.compile(r"\s+|[^\s]+")


def _words(a: str, b: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two changed lines cut into runs of words, each run marked changed or not."""
    wa, wb = _WORD.findall(a), _WORD.findall(b)
    left: list[dict[str, Any]] = []
    right: list[dict[str, Any]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append({"text": "".join(wa[i1:i2]), "changed": op != "equal"})
        if j2 > j1:
            right.append({"text": "".join(wb[j1:j2]), "changed": op != "equal"})
    return left, right


def diff_lines(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a side-by-side view: ``op`` is equal, replace, delete (only in a) or insert (only in b)."""
    rows: list[dict[str, Any]] = []
    sm = difflib.SequenceMatcher(None, [x["text"] for x in a], [x["text"] for x in b], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            la = a[i1 + k] if i1 + k < i2 else None
            lb = b[j1 + k] if j1 + k < j2 else None
            row = {"op": op if (la and lb) or op == "equal" else ("delete" if la else "insert"), "a": la, "b": lb}
            if la and lb and op == "replace":
                row["a_words"], row["b_words"] = _words(la["text"], lb["text"])
            rows.append(row)
    return rows


def compare(c: Corpus, article_id: str, a: str | None = None, b: str | None = None) -> dict[str, Any]:
    """Two copies of one article (by default its canonical copy and the first other one), line by line."""
    art = article(c, article_id)
    copies = {cp["copy_id"]: cp for cp in art["copies"]}
    order = [cp["copy_id"] for cp in art["copies"]]
    a = a or order[0]
    b = b or (order[1] if len(order) > 1 else order[0])
    for cid in (a, b):
        if cid not in copies:
            raise NotFound(f"no copy {cid!r} of article {art['article_id']}")
    meta = lambda cp: {k: v for k, v in cp.items() if k != "lines"}  # noqa: E731
    rows = diff_lines(copies[a]["lines"], copies[b]["lines"])
    return {"article_id": art["article_id"], "title": art["title"], "outlet": art["outlet"],
            "copies": [meta(copies[x]) for x in order], "a": meta(copies[a]), "b": meta(copies[b]),
            "rows": rows, "n_changed": sum(r["op"] != "equal" for r in rows)}

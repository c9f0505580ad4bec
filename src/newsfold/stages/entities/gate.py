"""Which articles NER reads: a model runs only on the languages it was trained for."""
from __future__ import annotations

from typing import Iterable, Iterator

from newsfold.records import Article

NER_LANGUAGES = frozenset({"en"})  # the languages the installed NER model (en_core_web_sm) was trained for


def ner_gate(articles: Iterable[Article], no_model: dict[str, int] | None = None) -> Iterator[Article]:
    """The articles in a language the NER model knows; the others are counted per language in
    ``no_model`` (no entities for them rather than wrong ones)."""
    for a in articles:
        if a.language in NER_LANGUAGES:
            yield a
        elif no_model is not None:
            code = a.language or "und"
            no_model[code] = no_model.get(code, 0) + 1

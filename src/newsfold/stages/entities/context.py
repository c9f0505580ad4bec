"""What canonicalisation knows about each article: its story and its field texts."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from newsfold.records import Article
from newsfold.stages.entities.extract import article_fields


@dataclass(slots=True)
class ArticleContext:
    story_id: str | None = None
    fields: dict[str, str] = field(default_factory=dict)  # field name -> text (for the second pass)
    title: str | None = None
    outlet: str | None = None
    language: str | None = None


def article_contexts(articles: Iterable[Article]) -> dict[str, ArticleContext]:
    """article_id -> ArticleContext, for ``canonicalize``."""
    out = {}
    for a in articles:
        if a.article_id:
            out[a.article_id] = ArticleContext(a.story_id, dict(article_fields(a)), a.title, a.outlet,
                                                a.language)
    return out


def as_contexts(context: Mapping[str, object] | None, article_ids: Iterable[str]
                ) -> dict[str, ArticleContext]:
    """Accept ArticleContext values, plain story ids (str or None), or dicts with a story_id."""
    out: dict[str, ArticleContext] = {}
    context = context or {}
    for aid in article_ids:
        value = context.get(aid)
        if isinstance(value, ArticleContext):
            out[aid] = value
        elif isinstance(value, Mapping):
            out[aid] = ArticleContext(value.get("story_id"), dict(value.get("fields") or {}),
                                      value.get("title"), value.get("outlet"), value.get("language"))
        elif isinstance(value, Article):
            out[aid] = ArticleContext(value.story_id, dict(article_fields(value)), value.title,
                                      value.outlet, value.language)
        else:
            out[aid] = ArticleContext(value if isinstance(value, str) else None)
    return out


def in_languages(context: Mapping[str, object] | None, languages: Iterable[str]) -> dict[str, ArticleContext]:
    """The contexts of the articles in one of ``languages`` that belong to a story (only contexts
    that know their language: ArticleContext, Article or a dict with a "language")."""
    want = set(languages)
    if not want or not context:
        return {}
    ids = [aid for aid, v in context.items()
           if (v.get("language") if isinstance(v, Mapping) else getattr(v, "language", None)) in want]
    return {aid: c for aid, c in as_contexts(context, sorted(ids)).items() if c.story_id}


def story_of(ctx: Mapping[str, ArticleContext], article_id: str) -> str:
    """The story an article belongs to; an article without one is a story of its own."""
    c = ctx.get(article_id)
    return f"s:{c.story_id}" if c is not None and c.story_id else f"a:{article_id}"


_LOWER_WORD = re.compile(r"\b[a-z][a-z'-]+\b")


def vocabulary(ctx: Mapping[str, ArticleContext]) -> set[str]:
    """The words the corpus writes in lower case (in the field texts the contexts hold)."""
    return {w for c in ctx.values() for text in c.fields.values() for w in _LOWER_WORD.findall(text)}

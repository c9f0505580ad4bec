"""Entities: people, organisations and places, with spelling variants merged.

    ex = EntityExtractor(EntityConfig())
    mentions = list(ex.extract(articles))                     # NER, field by field
    result = canonicalize(mentions, article_contexts(articles))  # cluster into entities
    tables = entity_tables(result)                            # {"entities", "mentions"}

See docs/entities.md.
"""
from importlib import import_module

from newsfold.stages.entities.config import ORG, PERSON, PLACE, EntityConfig

# the rest is imported on first use: settings (and a run with nothing new) need no spaCy
_WHERE = {"Entity": ".canon", "EntityResult": ".canon", "canonicalize": ".canon", "ArticleContext": ".context",
          "article_contexts": ".context", "EntityExtractor": ".extract", "Mention": ".extract",
          "field_text": ".extract", "entity_tables": ".tables", "entity_view": ".tables", "find_entities": ".tables"}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)


__all__ = [
    "ArticleContext", "Entity", "EntityConfig", "EntityExtractor", "EntityResult", "Mention",
    "ORG", "PERSON", "PLACE", "article_contexts", "canonicalize", "entity_tables", "entity_view",
    "field_text", "find_entities",
]

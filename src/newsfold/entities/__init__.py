"""Entities: people, organisations and places, with spelling variants merged.

    ex = EntityExtractor(EntityConfig())
    mentions = list(ex.extract(articles))                     # NER, field by field
    result = canonicalize(mentions, article_contexts(articles))  # cluster into entities
    tables = entity_tables(result)                            # {"entities", "mentions"}

See docs/entities.md.
"""
from .canon import Entity, EntityResult, canonicalize
from .config import ORG, PERSON, PLACE, EntityConfig
from .context import ArticleContext, article_contexts
from .extract import EntityExtractor, Mention, field_text
from .tables import entity_tables, entity_view, find_entities

__all__ = [
    "ArticleContext", "Entity", "EntityConfig", "EntityExtractor", "EntityResult", "Mention",
    "ORG", "PERSON", "PLACE", "article_contexts", "canonicalize", "entity_tables", "entity_view",
    "field_text", "find_entities",
]

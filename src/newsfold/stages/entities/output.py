"""The entities a clustering gives: their canonical names, ids and surface forms."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from newsfold.records import content_id
from newsfold.stages.entities.config import PERSON, EntityConfig
from newsfold.stages.entities.context import ArticleContext
from newsfold.stages.entities.extract import Mention
from newsfold.stages.entities.names import parse_name


@dataclass(slots=True)
class Entity:
    entity_id: str
    name: str
    type: str
    surface_forms: list[tuple[str, int]]  # (form, count), most frequent first
    n_mentions: int
    n_articles: int


@dataclass
class EntityResult:
    entities: list[Entity]
    mentions: list[Mention]
    entity_of: list[str]  # entity_id of each mention, aligned with ``mentions``
    config: dict[str, Any] = field(default_factory=dict)
    stories: dict[str, str | None] = field(default_factory=dict)  # article_id -> story_id


def build_result(mentions: list[Mention], unit_of: list, find: Callable, ctx: dict[str, ArticleContext],
                 cfg: EntityConfig) -> EntityResult:
    """Entities from the clusters (``find``: a unit's cluster root)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, u in enumerate(unit_of):
        groups[find(u)].append(i)
    entities, entity_of = [], [""] * len(mentions)
    used: set[str] = set()
    for root in sorted(groups, key=lambda r: min(groups[r])):
        idx = groups[root]
        etype = root[0]
        name = canonical_name([mentions[i] for i in idx], etype)
        eid = content_id(etype, name, prefix="e")
        n = 1
        while eid in used:  # two distinct entities that would share a name: keep them apart
            n += 1
            eid = content_id(etype, name, str(n), prefix="e")
        used.add(eid)
        forms = Counter(mentions[i].surface for i in idx)
        entities.append(Entity(eid, name, etype, sorted(forms.items(), key=lambda kv: (-kv[1], kv[0])),
                               len(idx), len({mentions[i].article_id for i in idx})))
        for i in idx:
            entity_of[i] = eid
    entities.sort(key=lambda e: (-e.n_mentions, e.name, e.entity_id))
    stories = {aid: c.story_id for aid, c in ctx.items()}
    return EntityResult(entities, mentions, entity_of, cfg.to_dict(), stories)


def canonical_name(ms: list[Mention], etype: str) -> str:
    """The name to show: the most-used form outside headlines (most articles, then most body
    mentions, then most found by NER itself, then the longest), preferring a person's full name,
    or a name written out rather than its acronym, when it is used in at least a quarter of the
    entity's articles.  Spellings found across scripts (source "script") name an entity only when it
    has no other: they never change the name, nor the id, its Latin spellings give it."""
    ms = [m for m in ms if m.source != "script"] or ms
    stats: dict[str, list] = {}
    for m in ms:
        s = stats.setdefault(m.surface, [set(), 0, 0, 0])
        if m.field != "title":
            s[0].add(m.article_id)
        s[1] += m.field == "text"
        s[2] += m.source != "gazetteer"
        s[3] += 1
    n_articles = len({m.article_id for m in ms})

    def rank(form: str) -> tuple:
        arts, body, found, total = stats[form]
        name = parse_name(form, etype)
        common = 4 * len(arts) >= n_articles
        full = common and (name.is_full if etype == PERSON else not name.acro)
        shouted = form.isupper() and (" " in form or len(form) > 5)  # "HILLARY CLINTON", not "NASA"
        return (not full, not form[:1].isupper(), shouted, -len(arts), -body, -found, -total,
                -len(form), form)

    return min(stats, key=rank)

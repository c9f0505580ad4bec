"""Repairs to NER output that use the story's own confident mentions.

Three steps, each within one story (the articles that share a story_id; an article without one
is a story of its own):

1. ``vote_types``: one name, one type.  Mentions of one name key take the majority type of the
   story ("Witkoff" tagged GPE in a headline and PERSON three times in the body is a PERSON;
   "Sairoun" tagged PRODUCT and ORG is an ORG).  The full names of people vote for their own
   surname, so a lone "Jubouri" tagged GPE beside "Maan al-Jubouri" becomes a PERSON.  Untyped
   candidates (NORP, PRODUCT, FAC…) take the type their name has in the story, or are dropped.
2. ``split_spans``: a NER span seen nowhere else in the story that is made of names the story
   knows is split into them ("the US State Department Heather Nauret" -> "US State Department",
   "Heather Nauret"); in a title-cased headline the known names are kept and the rest dropped
   ("Sadr Calls" -> "Sadr").
3. ``gazetteer``: a second pass finds the story's known names where NER missed them, and the
   one-letter misspellings of a surname whose full name occurs in the same article ("Jubuori"
   beside "Maan al-Jubouri").  A single word the story also writes in lower case is skipped.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from .config import ORG, PERSON, PLACE, EntityConfig
from .context import ArticleContext, story_of
from .extract import Mention
from .names import TYPO, Name, parse_name, person_match, skeleton, token_match

_TOKEN = re.compile(r"\w[\w'\u2019-]*")
_PRIORITY = {PERSON: 3, ORG: 2, PLACE: 1}
CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)


def neutral_key(surface: str) -> str:
    """A type-neutral name key (no honorifics removed)."""
    return parse_name(surface, "").key


def _by_story(mentions: Iterable[Mention], ctx: dict[str, ArticleContext]) -> dict[str, list[Mention]]:
    out: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        out[story_of(ctx, m.article_id)].append(m)
    return out


def vote_types(mentions: list[Mention], ctx: dict[str, ArticleContext]) -> list[Mention]:
    """Give every mention of a name the majority type of that name in its story."""
    kept = []
    for group in _by_story(mentions, ctx).values():
        votes: dict[str, Counter] = defaultdict(Counter)
        for m in group:
            key = neutral_key(m.surface)
            if m.type:
                votes[key][m.type] += 1
            if m.type == PERSON:
                name = parse_name(m.surface, PERSON)
                if name.is_full:
                    votes[skeleton(name.last)][PERSON] += 1
        for m in group:
            key = neutral_key(m.surface)
            if not key or not votes.get(key):
                continue
            m.type = max(votes[key].items(), key=lambda kv: (kv[1], _PRIORITY[kv[0]]))[0]
            kept.append(m)
    return kept


def _tokens(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        word = text[s:e]
        if word.endswith(("'s", "\u2019s")):
            e -= 2
        e -= len(word[: e - s]) - len(word[: e - s].rstrip("'\u2019-"))
        if e > s:
            spans.append((s, e))
    return spans


class StoryIndex:
    """The names a story knows, from its typed mentions."""

    def __init__(self, group: list[Mention], config: EntityConfig):
        self.config = config
        self.count: Counter = Counter()
        types: dict[str, Counter] = defaultdict(Counter)
        self.sources: dict[str, set[str]] = defaultdict(set)  # known key -> keys that taught it
        self.full_people: list[tuple[Name, str, str]] = []  # (name, key, article_id)
        for m in group:
            key = neutral_key(m.surface)
            self.count[key] += 1
            types[key][m.type] += 1
            self.sources[key].add(key)
            if m.type == PERSON:
                name = parse_name(m.surface, PERSON)
                if name.is_full:
                    self.full_people.append((name, key, m.article_id))
        self.types = {k: c.most_common(1)[0][0] for k, c in types.items()}
        for name, key, _ in self.full_people:
            last = skeleton(name.last)
            self.types.setdefault(last, PERSON)
            self.sources[last].add(key)
        self.max_tokens = max((len(k.split()) for k in self.types), default=1)

    def match(self, surface: str, article_id: str, exclude: str = "") -> str | None:
        """The type of a known name that ``surface`` spells (allowing a typo in a surname).
        Names learnt only from the ``exclude`` key do not count."""
        key = neutral_key(surface)
        if not key or key == exclude:
            return None
        if key in self.types and self.sources[key] - {exclude}:
            return self.types[key]
        name = parse_name(surface, PERSON)
        people = [(n, aid) for n, k, aid in self.full_people if k != exclude]
        if name.is_full:
            if any(person_match(name, full) >= TYPO for full, _ in people):
                return PERSON
        elif name.parts and len(key.split()) == 1:
            for full, aid in people:
                if aid == article_id and token_match(name.parts[0], full.last,
                                                     self.config.min_typo_len) >= TYPO:
                    return PERSON
        return None


def _covered(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in spans)


def _find(index: StoryIndex, text: str, toks: list[tuple[int, int]], article_id: str,
          lower: set[str], exclude: str = "") -> list[tuple[int, int, str]]:
    """Greedy, longest-first, left-to-right matches of known names among ``toks``."""
    found = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(index.max_tokens + 1, len(toks) - i), 0, -1):
            s, e = toks[i][0], toks[i + n - 1][1]
            first, last = text[s:toks[i][1]], text[toks[i + n - 1][0]:e]
            if not (first[:1].isupper() and last[:1].isupper()):
                continue
            if n == 1 and not first.isupper() and (first.lower() in lower or first.lower() in CALENDAR):
                continue
            etype = index.match(text[s:e], article_id, exclude)
            if etype:
                hit = (s, e, etype, n)
                break
        if hit:
            found.append(hit[:3])
            i += hit[3]
        else:
            i += 1
    return found


def repair(mentions: list[Mention], ctx: dict[str, ArticleContext], config: EntityConfig
           ) -> list[Mention]:
    """Split run-together NER spans and add the story's known names that NER missed."""
    out: list[Mention] = []
    for group in _by_story(mentions, ctx).values():
        index = StoryIndex(group, config)
        lower: set[str] = set()
        for aid in {m.article_id for m in group}:
            for text in (ctx[aid].fields if aid in ctx else {}).values():
                lower.update(re.findall(r"\b[a-z][a-z'-]+\b", text))
        by_field: dict[tuple[str, str], list[Mention]] = defaultdict(list)
        for m in group:
            by_field[(m.article_id, m.field)].append(m)
        for aid in sorted({m.article_id for m in group}):
            fields = ctx[aid].fields if aid in ctx else {}
            for field in sorted({f for a, f in by_field if a == aid} | set(fields)):
                text = fields.get(field)
                current = sorted(by_field.get((aid, field), []), key=lambda m: m.start)
                if text is None:
                    out.extend(current)
                    continue
                out.extend(_repair_field(index, text, aid, field, current, lower, config))
    return out


def _repair_field(index: StoryIndex, text: str, aid: str, field: str, current: list[Mention],
                  lower: set[str], config: EntityConfig) -> list[Mention]:
    toks = _tokens(text)
    kept: list[Mention] = []
    for m in current:
        key = neutral_key(m.surface)
        inner = [t for t in toks if t[0] >= m.start and t[1] <= m.end]
        if index.count[key] > 1 or len(inner) < 2:
            kept.append(m)
            continue
        parts = [p for p in _find(index, text, inner, aid, set(), exclude=key)
                 if (p[0], p[1]) != (m.start, m.end)]
        caps = [t for t in inner if text[t[0]].isupper()]
        if parts and (field == "title" or all(_covered([p[:2] for p in parts], *t) for t in caps)):
            kept.extend(Mention(aid, field, s, e, text[s:e], m.label, t, "split") for s, e, t in parts)
        else:
            kept.append(m)
    if config.gazetteer:
        spans = [(m.start, m.end) for m in kept]
        free = [t for t in toks if not _covered(spans, *t)]
        runs: list[list[tuple[int, int]]] = []
        for t in free:  # runs of consecutive free tokens, so a match never straddles a mention
            if runs and not _covered(spans, runs[-1][-1][1], t[0]):
                runs[-1].append(t)
            else:
                runs.append([t])
        for run in runs:
            for s, e, t in _find(index, text, run, aid, lower):
                kept.append(Mention(aid, field, s, e, text[s:e], "GAZETTEER", t, "gazetteer"))
    return sorted(kept, key=lambda m: m.start)


def fix_types(mentions: list[Mention]) -> list[Mention]:
    """Drop mentions that never earned a type."""
    return [m for m in mentions if m.type in _PRIORITY]

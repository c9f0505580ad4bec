"""Repairs to NER output that use the story's own confident mentions.

Three steps, each within one story (the articles that share a story_id; an article without one
is a story of its own):

1. ``vote_types``: one name, one type.  Mentions of one name key take the majority type of the
   story ("Witkoff" tagged GPE in a headline and PERSON three times in the body is a PERSON;
   "Sairoun" tagged PRODUCT and ORG is an ORG).  A one-word name that is the surname of a
   person's full name in the story is that person's (a lone "Jubouri" tagged GPE beside "Maan
   al-Jubouri", "Fox" tagged ORG beside "John Fox").  Untyped candidates
   (NORP, PRODUCT, FAC…) take the type their name has in the story, or stay untyped.
2. ``split``: a NER span seen once in the story, or holding a comma or a preposition, is split
   into the names the story knows when those cover all its capitalised words ("the US State
   Department Heather Nauret" -> "US State Department" + "Heather Nauret"; "Tavon Kaiseen
   Alleyne on Instagram" -> two names).  In a headline, capitalised words that the story never
   capitalises mid-sentence need no cover ("Sadr Calls" -> "Sadr").  A full name is never cut
   into its own short forms.
3. ``gazetteer``: a second pass finds the story's known names where NER found nothing, and the
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
from .names import TYPO, Name, fold, parse_name, person_match, skeleton, token_match

_TOKEN = re.compile(r"\w[\w'\u2019]*")
_PRIORITY = {PERSON: 3, ORG: 2, PLACE: 1}
_MID_SENTENCE_CAPS = re.compile(r"(?<=[a-z,;] )[A-Z][\w'\u2019-]*")
_SUSPECT_WORDS = re.compile(r"\s(?:on|with|by|at|from|to|via|says|said)\s")
CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_DECISIVE = 10 ** 6


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
    for group in _by_story(mentions, ctx).values():
        votes: dict[str, Counter] = defaultdict(Counter)
        for m in group:
            key = neutral_key(m.surface)
            if m.type:
                votes[key][m.type] += 1
        surnames = set()  # one-word keys that are the surname of a full name in the story
        for m in group:
            if m.type != PERSON or m.surface.isupper():
                continue
            name = parse_name(m.surface, PERSON)
            if name.is_full and _majority(votes[name.key]) == PERSON:
                surnames.add(skeleton(name.last))
        for key in surnames:
            if votes.get(key):
                votes[key][PERSON] += _DECISIVE
        for m in group:
            key = neutral_key(m.surface)
            if key and votes.get(key):
                m.type = _majority(votes[key])
    return mentions


def _majority(counts: Counter) -> str | None:
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: (kv[1], _PRIORITY[kv[0]]))[0]


def _tokens(text: str) -> list[tuple[int, int]]:
    """Word tokens (hyphenated words give several), without a possessive."""
    spans = []
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        word = text[s:e]
        if word.endswith(("'s", "\u2019s")):
            e -= 2
        while e > s and text[e - 1] in "'\u2019":
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


class StoryIndex:
    """The names a story knows, from its typed mentions (with the keys each was learnt from)."""

    def __init__(self, group: list[Mention], config: EntityConfig):
        self.config = config
        self.count: Counter = Counter()
        types: dict[str, Counter] = defaultdict(Counter)
        self.sources: dict[str, set[str]] = defaultdict(set)
        self.full_people: list[tuple[Name, str, str]] = []  # (name, key, article_id)
        for m in group:
            if m.type is None:
                continue
            key = neutral_key(m.surface)
            self.count[key] += 1
            types[key][m.type] += 1
            self.sources[key].add(key)
            if m.type == PERSON:
                name = parse_name(m.surface, PERSON)
                if name.is_full:
                    self.full_people.append((name, key, m.article_id))
        self.types = {k: _majority(c) for k, c in types.items()}
        for name, key, _ in self.full_people:
            self.types.setdefault(skeleton(name.last), PERSON)
            self.sources[skeleton(name.last)].add(key)
        self.max_tokens = max((len(k.split()) for k in self.types), default=1) + 1

    def match(self, surface: str, article_id: str, exclude: str = "") -> str | None:
        """The type of a known name that ``surface`` spells (allowing a typo in a surname).
        Names learnt only from the key ``exclude`` do not count."""
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


def _covered(spans: Iterable[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in spans)


def _find(index: StoryIndex, text: str, toks: list[tuple[int, int]], article_id: str,
          lower: set[str], exclude: str = "") -> list[tuple[int, int, str]]:
    """Greedy, longest-first, left-to-right matches of known names among ``toks``; an n-gram
    never spans anything but single spaces and hyphens."""
    found = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(index.max_tokens, len(toks) - i), 0, -1):
            s, e = toks[i][0], toks[i + n - 1][1]
            if any(text[toks[j][1]:toks[j + 1][0]] not in (" ", "-") for j in range(i, i + n - 1)):
                continue
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
        aids = sorted({m.article_id for m in group})
        texts = {aid: (ctx[aid].fields if aid in ctx else {}) for aid in aids}
        lower: set[str] = set()
        for fields in texts.values():
            for text in fields.values():
                lower.update(w for w in re.findall(r"\b[a-z][a-z'-]+\b", text))
        proper = {w for fields in texts.values() for name, text in fields.items() if name != "title"
                  for w in _MID_SENTENCE_CAPS.findall(text)}
        index = StoryIndex(group, config)
        group = [m2 for m in group for m2 in _split(index, m, texts.get(m.article_id, {}), proper)]
        if config.gazetteer:
            index = StoryIndex(group, config)
            group += _gazetteer(index, group, texts, lower)
        out.extend(group)
    return out


def _split(index: StoryIndex, m: Mention, fields: dict[str, str], proper: set[str]) -> list[Mention]:
    text = fields.get(m.field)
    if text is None or m.type is None or " " not in m.surface:
        return [m]
    key = neutral_key(m.surface)
    glued = "," in m.surface or _SUSPECT_WORDS.search(m.surface) is not None
    if not glued and index.count[key] > 1:
        return [m]  # a name the story uses more than once is a name
    inner = [t for t in _tokens(text) if t[0] >= m.start and t[1] <= m.end]
    parts = [p for p in _find(index, text, inner, m.article_id, set(), exclude=key)
             if (p[0], p[1]) != (m.start, m.end)]
    if not parts:
        return [m]
    if m.type == PERSON and all(t == PERSON for *_, t in parts) and parts[-1][1] == m.end:
        return [m]  # a full name and the story's short forms of it ("Moqtada al-Sadr", "Sadr")
    left = [text[a:b] for a, b in inner
            if text[a].isupper() and not _covered([p[:2] for p in parts], a, b)]
    if m.field == "title":  # headline capitals: drop words the story never capitalises mid-sentence
        left = [w for w in left if w in proper]
    if left:
        return [m]
    return [Mention(m.article_id, m.field, s, e, text[s:e], m.label, t, "split") for s, e, t in parts]


def _gazetteer(index: StoryIndex, group: list[Mention], texts: dict[str, dict[str, str]],
               lower: set[str]) -> list[Mention]:
    taken: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for m in group:  # every NER span blocks the second pass, typed or not
        taken[(m.article_id, m.field)].append((m.start, m.end))
    found = []
    for aid, fields in texts.items():
        for field, text in fields.items():
            spans = taken[(aid, field)]
            runs: list[list[tuple[int, int]]] = []
            for t in _tokens(text):
                if _covered(spans, *t):
                    runs.append([])
                elif runs and runs[-1]:
                    runs[-1].append(t)
                else:
                    runs.append([t])
            for run in runs:
                for s, e, etype in _find(index, text, run, aid, lower):
                    found.append(Mention(aid, field, s, e, text[s:e], "GAZETTEER", etype, "gazetteer"))
    return found


def fix_types(mentions: list[Mention]) -> list[Mention]:
    """Drop mentions that never earned a type, and the text's lower-case words."""
    return [m for m in mentions if m.type in _PRIORITY and fold(m.surface) != m.surface]

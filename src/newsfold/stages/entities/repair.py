"""Repairs to NER output that use the story's own confident mentions.

Three steps, each within one story (the articles that share a story_id; an article without one
is a story of its own):

1. ``vote_types`` (in ``votes``): one name, one type.  Mentions of one name key take the
   majority type of the story ("Witkoff" tagged GPE in a headline and PERSON three times in the
   body is a PERSON), corrected by context cues, surname evidence and the corpus's own majority.
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
from collections.abc import Iterable, Iterator

from newsfold.stages.entities.config import PERSON, EntityConfig
from newsfold.stages.entities.context import ArticleContext, vocabulary
from newsfold.stages.entities.extract import Mention
from newsfold.stages.entities.names import (PARTICLES, TYPO, Name, fold, parse_name, person_match, skeleton,
    token_match)
from newsfold.stages.entities.spans import Headlines, could_grow, extend
from newsfold.stages.entities.votes import PRIORITY, by_story, majority, neutral_key

_TOKEN = re.compile(r"\w[\w'\u2019]*")
_MID_SENTENCE_CAPS = re.compile(r"(?<=[a-z,;] )[A-Z][\w'\u2019-]*")
_CONTRACTION = re.compile(r"^(?:I|We|You|They|He|She|It|That|There)['\u2019][a-z]{1,2}$")
_LOWER_WORD = re.compile(r"\b[a-z][a-z'-]+\b")
_SUSPECT_WORDS = re.compile(r"\s(?:on|with|by|at|from|to|via|says|said)\s")
CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
def _tokens(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Word tokens (hyphenated words give several), without a possessive."""
    return list(_iter_tokens(text, start, end))


def _iter_tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    for m in _TOKEN.finditer(text, start, len(text) if end is None else end):
        s, e = m.span()
        word = text[s:e]
        if word.endswith(("'s", "\u2019s")):
            e -= 2
        while e > s and text[e - 1] in "'\u2019":
            e -= 1
        if e > s:
            yield s, e


class StoryIndex:
    """The names a story knows, from its typed mentions (with the keys each was learnt from)."""

    def __init__(self, group: list[Mention], config: EntityConfig,
                 memo: tuple[dict, dict] | None = None):
        self.config = config
        keys, people = memo or ({}, {})
        self.count: Counter = Counter()
        types: dict[str, Counter] = defaultdict(Counter)
        self.sources: dict[str, set[str]] = defaultdict(set)
        self.full_people: list[tuple[Name, str, str]] = []  # (name, key, article_id)
        for m in group:
            if m.type is None:
                continue
            key = neutral_key(m.surface, keys)
            self.count[key] += 1
            types[key][m.type] += 1
            self.sources[key].add(key)
            if m.type == PERSON:
                name = people.get(m.surface) or people.setdefault(m.surface, parse_name(m.surface, PERSON))
                if name.is_full:
                    self.full_people.append((name, key, m.article_id))
        self.types = {k: majority(c) for k, c in types.items()}
        self.by_initials: dict = defaultdict(list)  # first letters -> full names, for typos
        for name, key, aid in self.full_people:
            last = skeleton(name.last)
            self.types.setdefault(last, PERSON)
            self.sources[last].add(key)
            self.by_initials[(skeleton(name.given)[:1], last[:1])].append((name, key, aid))
            self.by_initials[last[:1]].append((name, key, aid))
        self.max_tokens = max((len(k.split()) for k in self.types), default=1) + 1

    def match(self, surface: str, article_id: str, exclude: str = "", key: str | None = None
              ) -> str | None:
        """The type of a known name that ``surface`` spells (allowing a typo in a surname).
        Names learnt only from the key ``exclude`` do not count."""
        key = neutral_key(surface) if key is None else key
        if not key or key == exclude:
            return None
        if key in self.types and self.sources[key] - {exclude}:
            return self.types[key]
        n = len(key.split())
        if n > 4:
            return None
        name = parse_name(surface, PERSON)
        if not name.parts:
            return None
        initials = (skeleton(name.parts[0])[:1], skeleton(name.parts[-1])[:1])
        for full, k, aid in self.by_initials.get(initials if name.is_full else initials[1], ()):
            if k == exclude:
                continue
            if name.is_full and person_match(name, full) >= TYPO:
                return PERSON
            if (not name.is_full and aid == article_id
                    and token_match(name.parts[0], full.last, self.config.min_typo_len) >= TYPO):
                return PERSON
        return None


def _covered(spans: Iterable[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in spans)


def _token_key(word: str) -> str:
    """One token's part of a name key, as ``names.name_parts`` would make it."""
    tok = fold(word).strip("-'\"")
    if tok in PARTICLES and (word[:1].islower() or tok in ("al", "el")):
        return ""
    return skeleton(tok) or tok


def _find(index: StoryIndex, text: str, toks: list[tuple[int, int]], article_id: str,
          lower: set[str], exclude: str = "", memo: dict[str, str] | None = None
          ) -> list[tuple[int, int, str]]:
    """Greedy, longest-first, left-to-right matches of known names among ``toks``; an n-gram
    never spans anything but single spaces and hyphens."""
    found = []
    memo = {} if memo is None else memo
    keys = []
    for s, e in toks:
        word = text[s:e]
        if word not in memo:
            memo[word] = _token_key(word)
        keys.append(memo[word])
    i = 0
    while i < len(toks):
        hit = None
        if not text[toks[i][0]].isupper():  # every n-gram from here starts with this word
            i += 1
            continue
        span = 1  # the n-grams from here that span only single spaces and hyphens
        while (span < index.max_tokens and i + span < len(toks)
               and text[toks[i + span - 1][1]:toks[i + span][0]] in (" ", "-")):
            span += 1
        for n in range(span, 0, -1):
            s, e = toks[i][0], toks[i + n - 1][1]
            first, last = text[s:toks[i][1]], text[toks[i + n - 1][0]:e]
            if not last[:1].isupper():
                continue
            if n == 1 and not first.isupper() and (first.lower() in lower or first.lower() in CALENDAR):
                continue
            key = " ".join(k for k in keys[i:i + n] if k)
            etype = index.match(text[s:e], article_id, exclude, key)
            if etype:
                hit = (s, e, etype, n)
                break
        if hit:
            found.append(hit[:3])
            i += hit[3]
        else:
            i += 1
    return found


def repair(mentions: list[Mention], ctx: dict[str, ArticleContext], config: EntityConfig,
           words: set[str] | None = None) -> list[Mention]:
    """Split run-together NER spans and add the story's known names that NER missed.
    ``words``: the corpus's lower-case words (``context.vocabulary``)."""
    out: list[Mention] = []
    words = vocabulary(ctx) if words is None else words
    memo: tuple[dict, dict] = ({}, {})  # name keys and parsed person names, by surface
    for group in by_story(mentions, ctx).values():
        aids = sorted({m.article_id for m in group})
        cut = config.read_chars  # what NER read of each field (a prefix: offsets are unchanged)
        texts = {aid: ({f: t[:cut] for f, t in ctx[aid].fields.items()} if aid in ctx else {}) for aid in aids}
        lower: set[str] = set()
        for fields in texts.values():
            for text in fields.values():
                lower.update(m.group() for m in _LOWER_WORD.finditer(text))
        proper = {m.group() for fields in texts.values() for name, text in fields.items() if name != "title"
                  for m in _MID_SENTENCE_CAPS.finditer(text)}
        heads = Headlines(group, texts, words)
        group = [m2 for m in group for m2 in heads.fix(m, texts.get(m.article_id, {}).get(m.field))]
        index = StoryIndex(group, config, memo)
        group = [m2 for m in group for m2 in _split(index, m, texts.get(m.article_id, {}), proper)]
        index = StoryIndex(group, config, memo)  # without the run-together spans just split
        inner = {t for k in index.types if " " in k for t in k.split()}  # words of longer names
        grown = [extend(m, texts.get(m.article_id, {}).get(m.field), _finder(index, m.article_id))
                 if could_grow(m, texts.get(m.article_id, {}).get(m.field), inner) else m
                 for m in group]
        if any(a is not b for a, b in zip(grown, group)):
            group, index = grown, StoryIndex(grown, config, memo)
        if config.gazetteer:
            group += _gazetteer(index, group, texts, lower)
        out.extend(group)
    return out


def _finder(index: StoryIndex, article_id: str):
    def find(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
        return _find(index, text, _tokens(text, start, end), article_id, set())
    return find


def _split(index: StoryIndex, m: Mention, fields: dict[str, str], proper: set[str]) -> list[Mention]:
    text = fields.get(m.field)
    if text is None or m.type is None or " " not in m.surface:
        return [m]
    key = neutral_key(m.surface)
    glued = "," in m.surface or _SUSPECT_WORDS.search(m.surface) is not None
    if not glued and index.count[key] > 1:
        return [m]  # a name the story uses more than once is a name
    inner = _tokens(text, m.start, m.end)
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
    memo: dict[str, str] = {}
    for aid, fields in texts.items():
        for field, text in fields.items():
            mask = bytearray(len(text))
            for a, b in taken[(aid, field)]:
                mask[a:b] = b"\x01" * (b - a)
            for run in _runs(_iter_tokens(text), mask):  # one run at a time: bounded in a long text
                for s, e, etype in _find(index, text, run, aid, lower, memo=memo):
                    found.append(Mention(aid, field, s, e, text[s:e], "GAZETTEER", etype, "gazetteer"))
    return found


def _runs(tokens: Iterable[tuple[int, int]], mask: bytearray) -> Iterator[list[tuple[int, int]]]:
    """The runs of tokens between NER spans (``mask``), each as it ends."""
    run: list[tuple[int, int]] = []
    for t in tokens:
        if mask.find(1, t[0], t[1]) >= 0:
            if run:
                yield run
            run = []
        else:
            run.append(t)
    if run:
        yield run


def fix_types(mentions: list[Mention]) -> list[Mention]:
    """Drop mentions that never earned a type, lower-case words and contractions ("I'm")."""
    return [m for m in mentions if m.type in PRIORITY and fold(m.surface) != m.surface
            and not _CONTRACTION.match(m.surface)]

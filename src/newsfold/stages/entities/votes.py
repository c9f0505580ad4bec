"""One name, one type: the type votes that run before the repairs (see ``repair``).

A name's type comes from the NER labels of its mentions, corrected by evidence the small model
ignores:

- *Context cues.*  A mention typed PERSON that follows a locative preposition ("in Umm Tarif",
  "near Khirbat Salma", "the village of X", "in X and Y") votes PLACE, and counts double: people
  are rarely "in" or "near" anyone.  A possessive after it ("in Trump's view") is no cue.
- *Name shape.*  A multi-word PERSON span with a geographic head ("Port Selwyn", "Fetlar
  Sound", "Carrow Mouth") votes PLACE.
- *Short forms.*  A one-word name that is the surname of a person's full name in the story is
  that person's ("Jubouri" beside "Maan al-Jubouri", "Trump" beside "Donald Trump"), unless the
  other stories mostly type that word otherwise and not as a surname ("Paris" beside "Claude
  Paris").  A one-word PERSON name that no full person name in the corpus contains takes the
  type its cues give anywhere in the corpus ("out of Saltmarsh": a place; "Skyreach chief
  executive": an organisation), or, without cues, the type of the organisation whose name it
  opens in the story ("Skyreach" beside "Skyreach Regional").

Votes are counted per story (the articles sharing a story_id), then each story casts one vote per
name for the corpus.  A name the corpus types one way in at least two thirds of at least three
stories takes that type everywhere, except where a story's own surname evidence decides
("Port Selwyn" is a place in every story, and a lone "Trump" a person).  Spellings one typo apart
pool their votes within a story ("Penelac"/"Penelec").  Untyped candidates (NORP, PRODUCT, FAC…)
take the type their own name has in the story, or stay untyped and are dropped.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from newsfold.stages.entities.config import ORG, PERSON, PLACE
from newsfold.stages.entities.context import ArticleContext, story_of
from newsfold.stages.entities.extract import Mention
from newsfold.stages.entities.names import TYPO, parse_name, skeleton, token_match

PRIORITY = {PERSON: 3, ORG: 2, PLACE: 1}
_DECISIVE = 10 ** 6
# The corpus decides a name's type when one type holds this share of at least MIN_STORIES stories.
CORPUS_SHARE, MIN_STORIES = 2 / 3, 3
_CAP = r"[A-Z][\w'\u2019-]*"
_LIST = rf"(?:{_CAP}(?:\s+{_CAP}){{0,3}}\s+(?:and|or)\s+)?$"
# "in X", "near X", "the village of X", "in Y and X"; "at" and "from" only as weak cues, for
# words that no full person name holds ("aimed at Trump", "a call from Trump").
_LOCATIVE = re.compile(r"(?:\b(?i:in|near|outside|across|throughout|around|off|out of)"
                       r"|\b(?:village|town|city|province|region|district|port|islands?)\s+of)"
                       r"\s+" + _LIST)
_WEAK_LOCATIVE = re.compile(r"\b(?i:at|from)\s+" + _LIST)
# A role noun after a name marks an organisation: "Skyreach chief executive Moira Fenwick".
_ORG_AFTER = re.compile(r"\s+(?:chief executive|chief|spokes(?:man|woman|person)|shares|employees|"
                        r"staff|board|executives?|chairman|chairwoman|boss|management)\b")
_POSSESSIVE_AFTER = re.compile(r"['\u2019]s?\b")
GEO_HEADS = frozenset("port mount mt cape lake fort isle gulf".split())
GEO_TAILS = frozenset(
    """bay river sound point ridge island islands valley mouth harbour harbor estuary strait
    peninsula creek canyon heights gulf lake mountains hills coast""".split()
)


def neutral_key(surface: str, memo: dict[str, str] | None = None) -> str:
    """A type-neutral name key (no honorifics removed); ``memo`` caches keys for one call."""
    if memo is None:
        return parse_name(surface, "").key
    key = memo.get(surface)
    if key is None:
        key = memo[surface] = parse_name(surface, "").key
    return key


def majority(counts: Counter) -> str | None:
    if not counts:
        return None
    return max(counts.items(), key=lambda kv: (kv[1], PRIORITY[kv[0]]))[0]


def by_story(mentions: Iterable[Mention], ctx: dict[str, ArticleContext]) -> dict[str, list[Mention]]:
    out: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        out[story_of(ctx, m.article_id)].append(m)
    return out


def place_cue(text: str, start: int, end: int, weak: bool = False) -> bool:
    """A locative preposition before the span ("in X", "near X", "village of X", "in Y and X");
    ``weak`` also takes "at X" and "from X"."""
    if _POSSESSIVE_AFTER.match(text, end):
        return False
    window = max(0, start - 80)
    return (_LOCATIVE.search(text, window, start) is not None
            or weak and _WEAK_LOCATIVE.search(text, window, start) is not None)


def geographic_shape(surface: str) -> bool:
    """A multi-word name with a geographic head: "Port Selwyn", "Fetlar Sound"."""
    words = [w.lower().strip(".,") for w in surface.split()]
    return len(words) >= 2 and (words[0] in GEO_HEADS or words[-1] in GEO_TAILS)


def _text(m: Mention, ctx: dict[str, ArticleContext]) -> str:
    return ctx[m.article_id].fields.get(m.field, "") if m.article_id in ctx else ""


def _vote(m: Mention, ctx: dict[str, ArticleContext], cued: dict[str, str], memo: dict[str, str]
          ) -> tuple[str, int]:
    if m.type != PERSON:
        return m.type, 1
    if geographic_shape(m.surface):
        return PLACE, 1
    text = _text(m, ctx)
    if text and place_cue(text, m.start, m.end):
        return PLACE, 2
    key = neutral_key(m.surface, memo)
    if key in cued:  # a word no full person name holds, with a cue elsewhere in the corpus
        return cued[key], 2
    return PERSON, 1


def _person(surface: str, memo: dict):
    name = memo.get(surface)
    if name is None:
        name = memo[surface] = parse_name(surface, PERSON)
    return name


def _cued_words(mentions: list[Mention], ctx: dict[str, ArticleContext],
                person_words: set[str], memo: dict[str, str]) -> dict[str, str]:
    """One-word names that no full person name contains, with the type their context cues give
    somewhere in the corpus ("out of Saltmarsh", "Skyreach chief executive")."""
    cues: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        key = neutral_key(m.surface, memo) if m.type else ""
        if not key or " " in key or key in person_words:
            continue
        text = _text(m, ctx)
        if text and place_cue(text, m.start, m.end, weak=True):
            cues[key][PLACE] += 1
        elif text and _ORG_AFTER.match(text, m.end):
            cues[key][ORG] += 1
    return {k: majority(c) for k, c in cues.items()}


def _person_words(mentions: list[Mention], people: dict) -> set[str]:
    """Skeletons of the words of every full person name the corpus's NER found."""
    out = set()
    for m in mentions:
        if m.type == PERSON and not geographic_shape(m.surface):
            name = _person(m.surface, people)
            if name.is_full:
                out.update(skeleton(p) for p in name.parts)
    return out


def vote_types(mentions: list[Mention], ctx: dict[str, ArticleContext]) -> list[Mention]:
    """Give every mention of a name the type its story, or the corpus, gives that name."""
    stories = by_story(mentions, ctx)
    memo: dict[str, str] = {}
    people: dict = {}
    person_words = _person_words(mentions, people)
    cued = _cued_words(mentions, ctx, person_words, memo)
    local: dict[str, dict[str, Counter]] = {}
    surnames: dict[str, Counter] = {}
    for sid, group in stories.items():
        votes: dict[str, Counter] = defaultdict(Counter)
        org_heads: set[str] = set()
        for m in group:
            if m.type:
                key = neutral_key(m.surface, memo)
                etype, weight = _vote(m, ctx, cued, memo)
                votes[key][etype] += weight
                if m.type == ORG and len(key.split()) >= 2 and not geographic_shape(m.surface):
                    org_heads.add(key.split()[0])
        full: Counter = Counter()  # surname key -> mentions of full names that end with it
        for m in group:
            if m.type != PERSON or m.surface.isupper():
                continue
            name = _person(m.surface, people)
            if name.is_full and majority(votes[name.key]) == PERSON:
                full[skeleton(name.last)] += 1
        for key, counts in votes.items():  # "Skyreach" beside "Skyreach Regional"
            if (" " not in key and key in org_heads and key not in person_words
                    and key not in cued and majority(counts) == PERSON):
                counts[ORG] += _DECISIVE
        local[sid], surnames[sid] = votes, full
    corpus: dict[str, Counter] = defaultdict(Counter)  # key -> one vote per story
    for sid, votes in local.items():
        for key, counts in votes.items():
            corpus[key][PERSON if surnames[sid].get(key) else majority(counts)] += 1
    for sid, group in stories.items():
        votes, decided = local[sid], set()
        for key, n in surnames[sid].items():
            if not votes.get(key):
                continue
            outside = corpus[key] - Counter({PERSON: 1})  # the other stories
            other = sum(c for t, c in outside.items() if t != PERSON)
            if other < 3 or other <= outside[PERSON]:
                votes[key][PERSON] += _DECISIVE
                decided.add(key)
            else:
                votes[key][PERSON] += n
        pooled = _pool_variants(votes)
        for m in group:
            key = neutral_key(m.surface, memo)
            counts = pooled.get(key) if m.type else votes.get(key)
            if not key or not counts:
                continue
            m.type = majority(counts)
            if key not in decided and max(counts.values()) < _DECISIVE:
                m.type = _corpus_type(corpus[key]) or m.type
    return mentions


def _corpus_type(counts: Counter) -> str | None:
    total = sum(counts.values())
    if total < MIN_STORIES:
        return None
    top = majority(counts)
    return top if counts[top] >= CORPUS_SHARE * total else None


def _pool_variants(votes: dict[str, Counter]) -> dict[str, Counter]:
    """Spellings one typo apart share their votes ("Penelac" ORG x3, "Penelec" GPE x2: ORG)."""
    by_len: dict[tuple[int, str], list[str]] = defaultdict(list)
    for k, c in votes.items():
        if c:
            by_len[(len(k.split()), k[0])].append(k)
    pooled = {k: Counter(c) for k, c in votes.items()}
    for group in by_len.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if all(x == y or token_match(x, y) >= TYPO for x, y in zip(a.split(), b.split())):
                    pooled[a].update(votes[b])
                    pooled[b].update(votes[a])
    return pooled

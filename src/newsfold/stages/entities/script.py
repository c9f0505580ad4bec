"""Names across scripts: an Arabic-script spelling of a name the story's other articles name in
Latin letters ("مقتدى الصدر" in a story that says "Muqtada al-Sadr").

Both spellings are reduced to one coarse consonant skeleton per token (``latin_key``,
``arabic_key``): the Arabic article (ال, and a clitic و/ف/ب/ك before it) and the Latin "al-"
are cut off, short vowels are not written in Arabic so every vowel goes, and so do the long
vowels and glides (ا و ي ى, a e i o u w y), hamza and ʿayn; letters that romanisations write
alike share a class (ق ك غ / q k g gh c; ت ط د ض ذ ظ ث / t d th dh; س ص ز / s z; ح ه خ /
h kh; ب پ / b p; ف ڤ / f v; ش / sh ch), doubled classes count once, a final h (ة, ه / "-ah")
is dropped, and a final ي / -i -y -ee (the nisba of "al-Asadi", not in "al-Assad") is kept as
a mark.  A small table rather than a romanisation library: the keys only have to agree with
each other, and a library's one romanisation (``anyascii``: "mqtd~ alSdr") would still need this
folding to meet the many ways news writes one name in Latin letters.

A skeleton alone is never enough ("never a merge on script alone").  ``link_story`` links only
within one story, only to the entities NER found in its other articles, and:

- a name of several tokens needs every token to match, in order (given name and surname);
- vowels agree both ways (``fits``): the long vowels the Arabic writes appear, in order, among
  the Latin vowels ("حكومة", hukuma, is not "Hakim"), and a Latin vowel pair that writes a ي
  (ei, ai, ay, ey, ee, ie) has one ("Hussein" is "حسين", not "حسن");
- a one-token name of an organisation or a place needs at least ``MIN_CONSONANTS`` consonants;
- a surname alone (الصدر) links only where the story has exactly one entity with that surname
  skeleton and where the story's Arabic articles wrote that person's full name with this very
  Arabic surname (the Arabic spelling is learnt from the full name, as ``canon`` lets a surname
  join the full name of its article);
- a skeleton shared by two entities of the story links to neither, and a word alone does not
  link where it follows a word with which it spells the full name of a person the corpus knows
  (a lone "ترامب" after "إيفانكا" is not Donald Trump where the corpus names Ivanka Trump).
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from newsfold.stages.dedup.scripts import fold_scripts
from newsfold.stages.entities.config import PERSON, EntityConfig
from newsfold.stages.entities.context import ArticleContext, story_of
from newsfold.stages.entities.extract import Mention
from newsfold.stages.entities.names import Name

MIN_CONSONANTS = 3  # a key with fewer consonants never links on its own
MAX_TOKENS = 4  # the longest name looked for

_ARABIC_CLASS = {
    **dict.fromkeys("بپ", "B"), **dict.fromkeys("تطدضذظث", "T"), **dict.fromkeys("جژ", "J"),
    **dict.fromkeys("حهخ", "H"), "ر": "R", **dict.fromkeys("سصز", "S"), **dict.fromkeys("شچ", "X"),
    **dict.fromkeys("قكغگ", "K"), **dict.fromkeys("فڤ", "F"), "ل": "L", "م": "M", "ن": "N",
}
_ARABIC_VOWEL = {"ا": "a", "و": "u", "ي": "i"}  # long vowels and glides; hamza and ʿayn give nothing
_DIGRAPH_CLASS = {"sh": "X", "ch": "X", "kh": "H", "gh": "K", "th": "T", "dh": "T", "ph": "F"}
_LATIN_CLASS = {
    **dict.fromkeys("bp", "B"), **dict.fromkeys("td", "T"), "j": "J", "h": "H", "r": "R",
    **dict.fromkeys("sz", "S"), **dict.fromkeys("qkgc", "K"), **dict.fromkeys("fv", "F"), "l": "L",
    "m": "M", "n": "N", "x": "KS",
}
_LATIN_VOWEL = {"a": "a", "e": "e", "i": "i", "y": "i", "o": "u", "u": "u", "w": "u"}
# Latin vowel pairs that write an Arabic ي ("Hussein", "Zaid", "Sheikh"); "ou" and "aa" do not count:
# French "Mourad" writes a short u (مراد), "Saad" an ʿayn (سعد)
_LATIN_LONG = re.compile(r"ei|ai|ay|ey|ee|ie")
_ARABIC_LONG = {"ا": "a", "و": "u", "ؤ": "u", "ي": "i", "ئ": "i"}
_LATIN_PREFIX = re.compile(r"^(?:al|el|ul|ad|ar|as|ash|at|az|an)-")
_NG = re.compile(r"ng(?=[^aeiouy])")  # Washington: Arabic writes no g
_DOUBLE = re.compile(r"(.)\1+")
# a run of Arabic letters (with their diacritics and tatweel), without Arabic punctuation and digits
ARABIC_WORD = re.compile("[\u0610-\u061a\u0620-\u065f\u066e-\u06d3\u06d5-\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff"
                         "\ufb50-\ufdff\ufe70-\ufeff]+")
_CLITICS = "وفبك"  # "and", "so", "with", "like" written onto an article: "والصدر"
PARTICLES = frozenset({"بن", "ابن", "بنت"})  # bin, ibn, bint: dropped as names.PARTICLES drops them


@dataclass(frozen=True, slots=True)
class Key:
    """One token's skeleton and the long vowels written in it."""

    consonants: str  # letter classes; a final "I" marks a final i (nisba)
    vowels: str  # "a", "u", "i" (Arabic long vowels) or "a", "e", "i", "u" (every Latin vowel)
    # Latin: an "i" for each vowel pair that writes a ي ("ei" in Hussein); Arabic: every letter that
    # can write a long vowel (ا: "a", و ؤ: "u", ي ئ: "i"), first and last included
    long: str = ""

    @property
    def size(self) -> int:
        return len(self.consonants.rstrip("I"))


def _finish(classes: list[str], final_i: bool) -> str:
    s = _DOUBLE.sub(r"\1", "".join(classes))
    if len(s) > 1 and s.endswith("H"):  # Fatimah/فاطمة, Abdullah/عبدالله, Saleh/صالح
        s = s[:-1]
    return s + "I" if final_i else s


@lru_cache(maxsize=1 << 16)  # pure, and called for the same names in every story
def latin_key(token: str) -> Key:
    """The key of one folded Latin name token ("al-assadi" -> STI)."""
    s = re.sub(r"[^a-z]", "", _LATIN_PREFIX.sub("", token.lower()))
    final_i = s.endswith(("i", "y", "ee"))
    s = _NG.sub("n", s)
    classes, vowels = [], []
    i = 0
    while i < len(s):
        pair = s[i:i + 2]
        if pair in _DIGRAPH_CLASS:
            classes.append(_DIGRAPH_CLASS[pair])
            i += 2
            continue
        c = s[i]
        if c in _LATIN_VOWEL:
            vowels.append(_LATIN_VOWEL[c])
        elif c == "c" and s[i + 1:i + 2] in ("e", "i"):
            classes.append("S")
        elif c in _LATIN_CLASS:
            classes.append(_LATIN_CLASS[c])
        i += 1
    return Key(_finish(classes, final_i), "".join(vowels), "i" * len(_LATIN_LONG.findall(s)))


def arabic_core(word: str) -> tuple[int, str]:
    """(characters cut from the front, the folded word without its article): "والصدر" -> (1, "صدر")."""
    bare = "".join(c for c in word if not unicodedata.combining(c) and c != "\u0640")
    folded = fold_scripts(bare[:-1] + "ا" if bare.endswith("ى") else bare)  # alef maqsura is an a
    cut = 0
    if len(folded) > 4 and folded[0] in _CLITICS and folded[1:3] == "ال":
        folded = folded[1:]
        cut = 1  # the clitic and its vowel marks
        while cut < len(word) and (unicodedata.combining(word[cut]) or word[cut] == "\u0640"):
            cut += 1
    if len(folded) > 3 and folded.startswith(("ال", "لل")):
        folded = folded[2:]
    return cut, folded


def arabic_keys(core: str, ta: bool) -> tuple[Key, ...]:
    """The keys of a folded Arabic word without its article; two when it ends in a teh marbuta
    (``ta``): silent ("Fatima") or read t in a construct ("Hayat Tahrir")."""
    classes, vowels = [], []
    for i, c in enumerate(core):
        if c in _ARABIC_CLASS:
            classes.append(_ARABIC_CLASS[c])
        elif c in _ARABIC_VOWEL and i > 0:  # a first alef carries a short vowel; a first و/ي is w/y
            vowels.append(_ARABIC_VOWEL[c])
    final_i = len(core) > 1 and core.endswith("ي")
    if final_i:
        vowels = vowels[:-1]
    key = Key(_finish(classes, final_i), "".join(vowels), "".join(_ARABIC_LONG.get(c, "") for c in core))
    if not ta:
        return (key,)
    return key, Key(_DOUBLE.sub(r"\1", key.consonants + "T"), key.vowels, key.long)


def vowels_fit(arabic: str, latin: str) -> bool:
    """The Arabic long vowels appear in order among the Latin vowels: an Arabic i (ي) needs a
    Latin e, i or y ("Heather"/"هيذر"), a u (و) an o, u or w, and an a (ا) any vowel, since
    English vowels that sound as an a are written so ("Trump"/"ترامب", "Biden"/"بايدن")."""
    it = iter(latin)
    return all(any(v == w or v == "a" or w == "e" and v == "i" for w in it) for v in arabic)


def fits(arabic: Key, latin: Key) -> bool:
    """Vowels agree both ways: the Arabic long vowels are among the Latin vowels (``vowels_fit``),
    and each Latin vowel pair that writes a ي has an Arabic letter for it ("Hussein" is "حسين",
    not "حسن")."""
    return (vowels_fit(arabic.vowels, latin.vowels)
            and all(latin.long.count(c) <= arabic.long.count(c) for c in set(latin.long)))


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    core: str  # folded, without article or clitic
    keys: tuple[Key, ...]


@lru_cache(maxsize=1 << 17)  # pure, and a corpus writes the same words again and again
def _word(word: str) -> tuple[int, str, tuple[Key, ...]]:
    cut, core = arabic_core(word)
    bare = word.rstrip("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640")
    return cut, core, arabic_keys(core, bare.endswith("ة"))


def arabic_tokens(text: str) -> list[Token]:
    """The Arabic words of a text with their offsets (a clitic before the article left out)."""
    out = []
    for m in ARABIC_WORD.finditer(text):
        cut, core, keys = _word(m.group())
        out.append(Token(m.start() + cut, m.end(), core, keys))
    return out


@dataclass(frozen=True, slots=True)
class Known:
    """A name an entity of the story goes by, in its Latin spelling."""

    root: Hashable  # the entity (a cluster of ``canon``)
    etype: str
    parts: tuple[str, ...]  # folded name tokens (``names.Name.parts``)


class StoryNames:
    """The Latin names of one story's entities, by key, with the keys two entities share."""

    def __init__(self, known: Iterable[Known], elsewhere: Collection[tuple[str, str]] = ()):
        # given name and surname keys of the people of the whole corpus: a lone word after a given
        # name is someone's surname ("إيفانكا ترامب" is not Donald Trump where the corpus knows Ivanka)
        self.elsewhere = elsewhere
        self.full: dict[tuple[str, ...], dict] = defaultdict(dict)  # consonant keys -> {root: Latin keys}
        self.single: dict[str, dict] = defaultdict(dict)  # one token: its key -> {root: (etype, Latin key)}
        self.types: dict[Hashable, str] = {}
        self.firsts: set[str] = set()  # first-token keys of the names of several tokens
        self.lengths: set[int] = set()  # and their numbers of tokens
        for k in known:
            keys = [latin_key(p) for p in k.parts]
            if not keys or not all(key.consonants for key in keys):
                continue
            self.types[k.root] = k.etype
            if len(keys) > 1:
                self.full[tuple(key.consonants for key in keys)].setdefault(k.root, tuple(keys))
                self.firsts.add(keys[0].consonants)
                self.lengths.add(len(keys))
            last = keys[-1]
            if len(keys) == 1 or k.etype == PERSON:  # a person's surname is one of the story's single names
                self.single[last.consonants].setdefault(k.root, (k.etype, last))

    def match_full(self, tokens: list[Token]) -> Hashable | None:
        """The one entity whose name of several tokens these tokens spell."""
        if len(tokens) not in self.lengths or not any(k.consonants in self.firsts for k in tokens[0].keys):
            return None
        hits = set()
        for combo in _combos([t.keys for t in tokens]):
            for root, latin in self.full.get(tuple(k.consonants for k in combo), {}).items():
                if sum(k.size for k in combo) >= MIN_CONSONANTS and all(map(fits, combo, latin)):
                    hits.add(root)
            if len(self.full.get(tuple(k.consonants for k in combo), {})) > 1:
                return None  # two entities share the key: neither
        return hits.pop() if len(hits) == 1 else None

    def match_single(self, token: Token) -> Hashable | None:
        """The one organisation or place whose one-token name this token spells."""
        hits = set()
        for k in token.keys:
            entries = self.single.get(k.consonants, {})
            if len(entries) > 1:
                return None
            for root, (etype, latin) in entries.items():
                if etype != PERSON and k.size >= MIN_CONSONANTS and fits(k, latin):
                    hits.add(root)
        return hits.pop() if len(hits) == 1 else None

    def surname_owner(self, token: Token) -> Hashable | None:
        """The one entity of the story (a person) whose surname has this token's skeleton."""
        owners = {r for k in token.keys for r in self.single.get(k.consonants, {})}
        return owners.pop() if len(owners) == 1 else None


def _combos(keys: list[tuple[Key, ...]]) -> Iterable[tuple[Key, ...]]:
    out: list[tuple[Key, ...]] = [()]
    for alternatives in keys:
        out = [c + (k,) for c in out for k in alternatives]
    return out


def _runs(text: str, tokens: list[Token]) -> list[list[Token]]:
    """Runs of tokens separated by single spaces only (a name is never cut by punctuation), with
    the particles bin/ibn left out."""
    runs: list[list[Token]] = []
    run: list[Token] = []
    prev_end = None
    for t in tokens:
        if prev_end is not None and text[prev_end:t.start] != " ":
            runs.append(run)
            run = []
        prev_end = t.end
        run.append(t)
    runs.append(run)
    return [[t for t in r if t.core not in PARTICLES] for r in runs if r]


Link = tuple[str, str, int, int, Hashable]  # (article_id, field, start, end, entity)


def link_story(names: StoryNames, texts: Mapping[str, Mapping[str, str]]) -> list[Link]:
    """The Arabic-script spans of one story's articles (``texts``: article_id -> field -> text) that
    spell a name of ``names``, by the rules of this module."""
    links: list[Link] = []
    spelled: dict[str, set] = defaultdict(set)  # Arabic surname -> the people whose full name it ended
    left: list[tuple[str, str, Token, Token | None]] = []  # tokens no full name took (and the one before)
    for aid in sorted(texts):
        for field, text in texts[aid].items():
            for run in _runs(text, arabic_tokens(text)):
                i = 0
                while i < len(run):
                    for n in range(min(MAX_TOKENS, len(run) - i), 1, -1):
                        root = names.match_full(run[i:i + n])
                        if root is not None:
                            links.append((aid, field, run[i].start, run[i + n - 1].end, root))
                            if names.types[root] == PERSON:
                                spelled[run[i + n - 1].core].add(root)
                            i += n
                            break
                    else:
                        left.append((aid, field, run[i], run[i - 1] if i else None))
                        i += 1
    for aid, field, t, before in left:
        if before is not None and any((a.consonants, b.consonants) in names.elsewhere
                                      for a in before.keys for b in t.keys):
            continue  # the surname of another person the corpus names
        root = names.match_single(t)
        if root is None and len(spelled.get(t.core, ())) == 1:
            person = next(iter(spelled[t.core]))
            root = person if names.surname_owner(t) == person else None
        if root is not None:
            links.append((aid, field, t.start, t.end, root))
    return sorted(links, key=lambda link: (link[0], link[1], link[2]))


def across_scripts(names: Mapping[tuple, Name], find: Callable[[tuple], tuple], ctx: Mapping[str, ArticleContext],
                   scripts: Mapping[str, ArticleContext], cfg: EntityConfig) -> list[tuple[Mention, tuple]]:
    """Mentions in the articles ``scripts`` (Arabic script, without NER) of the names their story's
    other articles give its entities, each with its entity.  ``names``: canon's units (type, key,
    article_id) and their names; ``find``: a unit's entity (the root unit of its cluster)."""
    aids_of: dict[str, list[str]] = defaultdict(list)
    for aid in sorted(scripts):
        aids_of[story_of(scripts, aid)].append(aid)
    known: dict[str, list[Known]] = defaultdict(list)
    people: set[tuple[str, str]] = set()  # given name and surname keys of the corpus's people
    for u in sorted(names):
        story = story_of(ctx, u[2])
        if story in aids_of and u[2] not in scripts:
            known[story].append(Known(find(u), u[0], names[u].parts))
        if u[0] == PERSON and names[u].is_full:
            people.add((latin_key(names[u].parts[-2]).consonants, latin_key(names[u].parts[-1]).consonants))
    out = []
    for story, aids in aids_of.items():
        if story not in known:
            continue
        texts = {aid: {f: t[:cfg.read_chars] for f, t in scripts[aid].fields.items()} for aid in aids}
        for aid, field, start, end, root in link_story(StoryNames(known[story], people), texts):
            surface = texts[aid][field][start:end]
            out.append((Mention(aid, field, start, end, surface, "SCRIPT", root[0], "script"), root))
    return out

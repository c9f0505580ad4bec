"""Canonicalisation: cluster the corpus's mentions into entities.

The unit of clustering is one name in one article: all mentions of one (type, name key) inside
an article are one entity ("one sense per discourse").  Units are joined by rules that go from
safe to contextual, with a union-find that refuses any join that would put two incompatible
names in one entity (different given names, different organisation cores):

1. same type and same name key (spelling variants share a key: Muqtada/Moqtada al-Sadr); an
   organisation or place written differently ("LA"/"La.", "Labour"/"Labor") or named by a common
   word (one the corpus writes in lower case: "House", "Labour") joins across stories only where
   context supports it;
2. full names of people one typo apart (Heather Nauert/Nauret), only where context supports it:
   the same article or story, or enough rare co-occurring entities;
3. organisations and places within a story: a name with and without its generic head
   ("Sairoun alliance"/"Sairoun"), one typo apart, or an acronym and its expansion ("HTS");
4. partial person names (a surname, or a given name) join the one full name they fit in the
   same article, else in the same story, unless their honorifics disagree ("Lady Starmer" is not
   "Sir Keir Starmer"); a partial name left over joins the one full name that
   shares enough rare co-occurring entities, or stays an entity of its own;
5. names across scripts (``script``): in an article of ``script_languages`` (Arabic script, no NER
   model) of a story, the spellings of the names the story's other articles give its entities
   ("مقتدى الصدر" for "Muqtada al-Sadr") join those entities, and never join two entities.

A PERSON never joins an ORG or a PLACE: units of different types are never compared.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from newsfold.stages.entities.config import PERSON, EntityConfig
from newsfold.stages.entities.context import ArticleContext, as_contexts, in_languages, story_of, vocabulary
from newsfold.stages.entities.extract import Mention
from newsfold.stages.entities.names import (NONE, TYPO, VARIANT, Name, acronym, fold, honorific_gender, org_core,
    parse_name, person_match, skeleton, token_match, translit)
from newsfold.stages.entities.output import Entity, EntityResult, build_result  # noqa: F401
from newsfold.stages.entities.repair import fix_types, repair
from newsfold.stages.entities.script import across_scripts
from newsfold.stages.entities.votes import vote_types


Unit = tuple[str, str, str]  # (type, name key, article_id)


class _Clusters:
    """Union-find over units that refuses joins between incompatible names."""

    def __init__(self, names: dict[Unit, Name]):
        self.parent = {u: u for u in names}
        # the full names of each cluster: every pair must stay compatible
        self.anchors: dict[Unit, set[Name]] = {u: ({n} if n.is_full else set())
                                               for u, n in names.items()}

    def find(self, u: Unit) -> Unit:
        while self.parent[u] != u:
            self.parent[u] = self.parent[self.parent[u]]
            u = self.parent[u]
        return u

    def add(self, u: Unit, name: Name) -> None:
        if u not in self.parent:
            self.parent[u] = u
            self.anchors[u] = {name} if name.is_full else set()

    def union(self, a: Unit, b: Unit) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        etype = ra[0]
        if rb[0] != etype:  # a PERSON never joins an ORG or a PLACE
            return False
        if not all(_compatible(etype, x, y) for x in self.anchors[ra] for y in self.anchors[rb]):
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.anchors[ra] |= self.anchors.pop(rb)
        return True


def _compatible(etype: str, a: Name, b: Name) -> bool:
    if a.key == b.key:
        return True
    if etype == PERSON:
        return person_match(a, b) >= TYPO
    ca, cb = org_core(a) or a.key, org_core(b) or b.key
    if ca == cb:
        return True
    return _tokenwise(a, b) >= TYPO


def _tokenwise(a: Name, b: Name) -> int:
    if len(a.parts) != len(b.parts) or not a.parts:
        return NONE
    return min(token_match(x, y) for x, y in zip(a.parts, b.parts))


def _deletes(s: str) -> set[str]:
    return {s} | {s[:i] + s[i + 1:] for i in range(len(s))}


def canonicalize(mentions: Iterable[Mention], context: Mapping[str, Any] | None = None,
                 config: EntityConfig | None = None) -> EntityResult:
    """Cluster mentions into entities.  ``context``: article_id -> ArticleContext (see
    ``article_contexts``), or simply article_id -> story_id."""
    cfg = config or EntityConfig()
    order = lambda m: (m.article_id, m.field, m.start, m.end, m.label)  # noqa: E731
    mentions = sorted((replace(m) for m in mentions), key=order)  # the caller's stay as they were
    ctx = as_contexts(context, {m.article_id for m in mentions})
    words = vocabulary(ctx)
    # votes again after the repairs: split and second-pass mentions take their name's type too
    mentions = fix_types(vote_types(repair(vote_types(mentions, ctx), ctx, cfg, words), ctx))
    unique: dict[tuple, Mention] = {}
    for m in sorted(mentions, key=order):  # one mention per span
        unique.setdefault((m.article_id, m.field, m.start, m.end), m)
    mentions = list(unique.values())
    names: dict[Unit, Name] = {}
    unit_of: list[Unit] = []
    genders: dict[Unit, set[str]] = defaultdict(set)
    for m in mentions:
        name = parse_name(m.surface, m.type)
        gender = (honorific_gender(ctx[m.article_id].fields.get(m.field, ""), m.start)
                  if m.type == PERSON and m.article_id in ctx else set())
        # a one-word name with a gendered honorific is a unit of its own: in one article "Lady
        # Starmer" is not "Starmer" the Prime Minister
        key = f"{name.key}#{''.join(gender)}" if gender and not name.is_full else name.key
        unit = (m.type, key, m.article_id)
        names.setdefault(unit, name)
        unit_of.append(unit)
        genders[unit].update(gender)
    clusters = _Clusters(names)
    linker = _Linker(names, clusters, ctx, cfg, words, genders)
    for a, b in _defined_acronyms(mentions, ctx):
        clusters.union(unit_of[a], unit_of[b])
    linker.run()
    scripts = in_languages(context, cfg.script_languages)
    if scripts:  # 5. names across scripts: each joins the one entity it spells, nothing else joins
        for m, root in across_scripts(names, clusters.find, ctx, scripts, cfg):
            unit = (root[0], names[root].key, m.article_id)
            if unit in clusters.parent and clusters.find(unit) != clusters.find(root):
                continue  # never a join of two entities through an Arabic spelling
            clusters.add(unit, names[root])
            if clusters.union(unit, root):
                mentions.append(m)
                unit_of.append(unit)
        both = sorted(zip(mentions, unit_of), key=lambda p: order(p[0]))
        mentions, unit_of = [m for m, _ in both], [u for _, u in both]
    return build_result(mentions, unit_of, clusters.find, ctx, cfg)


class _Linker:
    def __init__(self, names: dict[Unit, Name], clusters: _Clusters,
                 ctx: dict[str, ArticleContext], cfg: EntityConfig, words: set[str] = frozenset(),
                 genders: Mapping[Unit, set[str]] | None = None):
        self.names, self.c, self.ctx, self.cfg = names, clusters, ctx, cfg
        self.words, self.genders = words, genders or {}
        self.by_key: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        self.by_article: dict[str, list[Unit]] = defaultdict(list)
        self.by_story: dict[str, list[Unit]] = defaultdict(list)
        for u in sorted(names):
            self.by_key[u[:2]].append(u)
            self.by_article[u[2]].append(u)
            self.by_story[story_of(ctx, u[2])].append(u)
        n_articles = len(self.by_article)
        self.max_df = max(2, int(0.05 * n_articles))
        self._neigh: dict[tuple[str, str], set[tuple[str, str]]] = {}
        self.by_surname: dict[str, list[tuple[str, str]]] = defaultdict(list)  # full people
        self.story_surnames: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        for key, units in self.by_key.items():
            name = names[units[0]]
            if key[0] == PERSON and name.is_full:
                self.by_surname[skeleton(name.last)].append(key)
                for u in units:
                    self.story_surnames[(story_of(ctx, u[2]), skeleton(name.last))].append(u)

    def run(self) -> None:
        for (etype, _), units in self.by_key.items():  # 1. same key
            if etype != PERSON:
                self._same_key(units)
            elif self.names[units[0]].is_full:
                for u in units[1:]:
                    self.c.union(units[0], u)
        self._typo_people()  # 2.
        for units in self.by_story.values():  # 3.
            self._org_links(units)
        self._partials()  # 4.

    # --- context -------------------------------------------------------------------------
    def _neighbours(self, key: tuple[str, str]) -> set[tuple[str, str]]:
        """The rare names that share an article with ``key`` (in at most max_df articles)."""
        if key not in self._neigh:
            out: set[tuple[str, str]] = set()
            for u in self.by_key[key]:
                out.update(v[:2] for v in self.by_article[u[2]])
            out.discard(key)
            self._neigh[key] = {k for k in out if len(self.by_key[k]) <= self.max_df}
        return self._neigh[key]

    def _rare_neighbours(self, units: list[Unit]) -> set[tuple[str, str]]:
        key = units[0][:2]
        out = {v[:2] for u in units for v in self.by_article[u[2]]} - {key}
        return {k for k in out if len(self.by_key[k]) <= self.max_df}

    def _same_key(self, units: list[Unit]) -> None:
        """One organisation or place key: units written alike join everywhere; a common word
        ("House") joins within a story; different writings ("LA"/"La.") and common words across
        stories join where they share a story or enough rare co-occurring names."""
        blocks: dict[tuple, list[Unit]] = defaultdict(list)
        for u in units:
            n = self.names[u]
            common = len(n.parts) == 1 and not n.acro and n.parts[0] in self.words
            short = n.acro and len("".join(n.parts)) <= 3  # "LA" is not "La.", "NATO" is "Nato"
            blocks[(n.parts, short, story_of(self.ctx, u[2]) if common else "")].append(u)
        groups = list(blocks.values())
        for g in groups:
            for u in g[1:]:
                self.c.union(g[0], u)
        if len(groups) == 1:
            return
        by_evidence: dict[tuple, list[int]] = defaultdict(list)  # a story or a rare neighbour
        for i, g in enumerate(groups):
            for st in {story_of(self.ctx, u[2]) for u in g}:
                by_evidence[("story", st)].append(i)
            for k in self._rare_neighbours(g):
                by_evidence[("name", k)].append(i)
        shared: Counter = Counter()
        for (kind, _), idx in by_evidence.items():
            for x, i in enumerate(idx):
                for j in idx[x + 1:]:
                    if kind == "story":
                        self.c.union(groups[i][0], groups[j][0])
                    else:
                        shared[(i, j)] += 1
        for (i, j), n in shared.items():
            if n >= self.cfg.min_shared_neighbours:
                self.c.union(groups[i][0], groups[j][0])

    def _supported(self, a: tuple[str, str], b: tuple[str, str]) -> bool:
        stories_a = {story_of(self.ctx, u[2]) for u in self.by_key[a]}
        if any(story_of(self.ctx, u[2]) in stories_a for u in self.by_key[b]):
            return True
        shared = self._neighbours(a) & self._neighbours(b)
        return len(shared) >= self.cfg.min_shared_neighbours

    # --- rules ---------------------------------------------------------------------------
    def _typo_people(self) -> None:
        full = [k for k in self.by_key if k[0] == PERSON and self.names[self.by_key[k][0]].is_full]
        block: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for k in full:
            last = skeleton(self.names[self.by_key[k][0]].last)
            for d in _deletes(last) | _deletes(translit(last)):  # translit: Dorofeyev/Dorofeev
                block[d].append(k)
        seen = set()
        for keys in block.values():
            for i, a in enumerate(keys):
                for b in keys[i + 1:]:
                    if (a, b) in seen or a == b:
                        continue
                    seen.add((a, b))
                    seen.add((b, a))
                    grade = person_match(self.names[self.by_key[a][0]], self.names[self.by_key[b][0]])
                    if grade >= VARIANT or (grade == TYPO and self._supported(a, b)):
                        self.c.union(self.by_key[a][0], self.by_key[b][0])

    def _org_links(self, units: list[Unit]) -> None:
        """Within a story: organisation/place names with and without a generic head, an
        acronym and the name it abbreviates, and names one typo apart."""
        by_key: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        by_acro: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        for u in units:
            if u[0] != PERSON:
                by_key[u[:2]].append(u)
                if self.names[u].acro and len(self.names[u].parts) == 1:
                    by_acro[(u[0], self.names[u].parts[0])].append(u)
        blocks: dict[tuple, list[Unit]] = defaultdict(list)
        for (etype, key), group in by_key.items():
            a = group[0]
            name = self.names[a]
            for b in by_key.get((etype, org_core(name)), ()) if org_core(name) else ():
                self.c.union(a, b)
            for b in by_acro.get((etype, acronym(name)), ()) if acronym(name) else ():
                self.c.union(a, b)
            if len(key) >= self.cfg.min_typo_len:
                blocks[(etype, len(name.parts), key[0])].append(a)
        for group in blocks.values():
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if _tokenwise(self.names[a], self.names[b]) >= TYPO:
                        self.c.union(a, b)

    def _candidates(self, pu: Unit, units: Iterable[Unit], min_grade: int,
                    given_too: bool) -> list[Unit]:
        """Entities whose full name fits a one-word name; the best fit wins (a surname match
        beats a given-name match, an exact one a variant or a typo)."""
        partial = self.names[pu]
        token = partial.parts[0]
        best, roots = 0, {}
        gender = self.genders.get(pu, set())
        for u in units:
            full = self.names[u]
            if u[0] != PERSON or not full.is_full or partial.suffix and full.suffix != partial.suffix:
                continue  # "Trump Jr." is not "Donald Trump"
            if len(gender | self.genders.get(u, set())) > 1:
                continue  # "Lady Starmer" is not "Sir Keir Starmer"
            grade = token_match(token, full.last, self.cfg.min_typo_len)
            score = 2 * grade if grade >= min_grade else 0
            if not score and given_too and token_match(token, full.given) >= VARIANT:
                score = 1
            if not score or score < best:
                continue
            if score > best:
                best, roots = score, {}
            roots.setdefault(self.c.find(u), u)
        plain = [u for u in roots.values() if not self.names[u].suffix]
        # "Trump" beside "Donald Trump" and "Donald Trump Jr" is the one without the suffix
        return plain if len(plain) == 1 else list(roots.values())

    def _partials(self) -> None:
        partial_units = [u for u in sorted(self.names) if u[0] == PERSON
                         and not self.names[u].is_full and self.names[u].parts]
        left = []
        for u in partial_units:
            name = self.names[u]
            rare = len(self.by_key[u[:2]]) == 1  # a misspelling is rare: seen in one article
            found = self._candidates(u, self.by_article[u[2]], TYPO if rare else VARIANT, True)
            if not found:  # the same surname (a variant or better) elsewhere in the story
                same = self.story_surnames.get((story_of(self.ctx, u[2]), skeleton(name.parts[0])), ())
                found = self._candidates(u, [v for v in same if v[2] != u[2]], VARIANT, False)
            if len(found) == 1 and self.c.union(found[0], u):
                continue
            left.append(u)
        by_key: dict[str, list[Unit]] = defaultdict(list)
        for u in left:
            by_key[u[1]].append(u)
        for key, units in by_key.items():
            for u in units[1:]:
                self.c.union(units[0], u)
            if self.cfg.resolve_partials_globally:
                self._resolve_globally((PERSON, key), units)

    def _resolve_globally(self, key: tuple[str, str], units: list[Unit]) -> None:
        """A lone surname joins the one full name that shares enough rare neighbours with it,
        if that full name is not far rarer than the surname (then the surname is a name of its
        own, or of many people)."""
        token = self.names[units[0]].parts[0]
        roots: dict[Unit, list[tuple[str, str]]] = defaultdict(list)
        suffix = self.names[units[0]].suffix
        gender = set().union(*(self.genders.get(u, set()) for u in units))
        for k in self.by_surname.get(skeleton(token), ()):  # same skeleton: a variant or better
            if self.names[self.by_key[k][0]].suffix != suffix or len(
                    gender.union(*(self.genders.get(u, set()) for u in self.by_key[k]))) > 1:
                continue  # another generation, or honorifics of the other gender
            roots[self.c.find(self.by_key[k][0])].append(k)
        mine = self._neighbours(key)
        fits = [r for r, ks in roots.items()
                if len(units) <= 2 * sum(len(self.by_key[k]) for k in ks) + 2
                and len(mine & set().union(*(self._neighbours(k) for k in ks)))
                >= self.cfg.min_shared_neighbours]
        if len(fits) == 1:
            self.c.union(fits[0], units[0])


def _defined_acronyms(mentions: list[Mention], ctx: dict[str, ArticleContext]
                      ) -> Iterable[tuple[int, int]]:
    """Pairs (long form, acronym) written "Syrian Observatory for Human Rights (SOHR)"."""
    for i in range(len(mentions) - 1):
        a, b = mentions[i], mentions[i + 1]
        if (a.article_id, a.field) != (b.article_id, b.field) or a.type != b.type:
            continue
        text = ctx[a.article_id].fields.get(a.field, "") if a.article_id in ctx else ""
        if (not text or not b.surface.isupper() or not 2 <= len(b.surface) <= 8
                or not re.fullmatch(r"\s*\(\s*", text[a.end:b.start])
                or text[b.end:b.end + 1] != ")"):
            continue
        if _abbreviates(b.surface.lower(), fold(a.surface)):
            yield i, i + 1


def _abbreviates(short: str, long: str) -> bool:
    """The letters of ``short`` occur in order in ``long``, starting with its first letter."""
    words = re.findall(r"[a-z0-9]+", long)
    if not words or not short or short[0] != words[0][0]:
        return False
    rest = iter("".join(words))
    return all(ch in rest for ch in short)

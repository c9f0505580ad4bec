"""Boilerplate rules as data: the packaged ``data/rules.toml`` plus any user rules files."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Sequence

ACTIONS = ("drop", "caption", "thread")
_LINK = re.compile(r"https?://|www\.")
_LIST_ITEM_WORDS = 16  # a line with a link and at most this many words can be an item of a list of links
_NAME_SEP = re.compile(r",? and |, | & ")


def _neighbour(lines: Sequence[str], i: int, step: int) -> int | None:
    """The index of the nearest non-blank line before (step -1) or after (step 1) line i."""
    j = i + step
    while 0 <= j < len(lines):
        if lines[j].strip():
            return j
        j += step
    return None


def _names(authors: str | None) -> str | None:
    """"Jane Doe and John Roe" -> "Jane Doe; John Roe" (the separator trafilatura uses)."""
    if not authors:
        return None
    return "; ".join(n.strip() for n in _NAME_SEP.split(authors) if n.strip())


class RulesError(ValueError):
    """A rules file that cannot be used, with what is wrong in it."""


@dataclass(frozen=True)
class LineRule:
    name: str
    pattern: re.Pattern[str]
    action: str
    source: str  # the rules file it came from
    cluster: int = 1  # the line counts only inside a run of at least this many lines of the same rule
    alone: bool = False  # the line counts only standing alone: not introduced by a colon, no link line beside it


@dataclass(frozen=True)
class Outlet:
    name: str
    logo: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()


@dataclass
class Match:
    rule: str
    action: str
    outlet: str | None = None
    source: str = ""
    authors: str | None = None  # the names a byline gives (a named group ``authors``)


@dataclass
class Rules:
    lines: list[LineRule] = field(default_factory=list)
    outlets: list[Outlet] = field(default_factory=list)

    @classmethod
    def load(cls, extra: list[str] | tuple[str, ...] = ()) -> "Rules":
        """The packaged rules, then each extra file in order (their rules are tried after ours)."""
        rules = cls()
        packaged = resources.files("newsfold.stages.clean").joinpath("data/rules.toml")
        rules._add(tomllib.loads(packaged.read_text("utf-8")), "newsfold:rules.toml")
        for path in extra:
            try:
                with open(path, "rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise RulesError(f"{path}: cannot read rules: {exc}") from exc
            rules._add(data, str(path))
        return rules

    def _add(self, data: dict, source: str) -> None:
        for i, item in enumerate(data.get("line", [])):
            name, action = item.get("name"), item.get("action", "drop")
            if not name or "pattern" not in item:
                raise RulesError(f"{source}: [[line]] #{i + 1} needs a name and a pattern")
            if action not in ACTIONS:
                raise RulesError(f"{source}: rule {name!r} has action {action!r}; use one of {ACTIONS}")
            flags = re.IGNORECASE if item.get("ignorecase") else 0
            try:
                pattern = re.compile(item["pattern"], flags)
            except re.error as exc:
                raise RulesError(f"{source}: rule {name!r} has a bad pattern: {exc}") from exc
            cluster, alone = item.get("cluster", 1), item.get("alone", False)
            if not isinstance(cluster, int) or cluster < 1 or not isinstance(alone, bool):
                raise RulesError(f"{source}: rule {name!r}: cluster is a count (>= 1), alone is true or false")
            self.lines.append(LineRule(name, pattern, action, source, cluster, alone))
        for item in data.get("outlet", []):
            self.outlets.append(
                Outlet(item["name"], tuple(item.get("logo", ())), tuple(h.lower() for h in item.get("hosts", ())))
            )

    def match(self, line: str, context: Sequence[str] | None = None, at: int = 0) -> Match | None:
        """The first rule whose pattern matches the whole (stripped) line.

        With ``context`` (the article's lines, stripped; ``line`` is ``context[at]``), a rule that asks
        for context matches only where it holds: ``cluster`` (a run of lines of the same rule) and
        ``alone`` (not introduced by a line ending in a colon, no link line beside it).
        Without context only the patterns are tried."""
        s = line.strip()
        if not s:
            return None
        for rule in self.lines:
            m = rule.pattern.fullmatch(s)
            if not m or (context is not None and not self._in_context(rule, context, at)):
                continue
            groups = m.groupdict() if rule.pattern.groupindex else {}
            return Match(rule.name, rule.action, groups.get("outlet"), rule.source, _names(groups.get("authors")))
        return None

    def is_rule(self, name: str, line: str) -> bool:
        """Whether some pattern of the rule ``name`` matches the whole (stripped) line."""
        s = line.strip()
        return bool(s) and any(r.name == name and r.pattern.fullmatch(s) for r in self.lines)

    def _in_context(self, rule: LineRule, lines: Sequence[str], at: int) -> bool:
        if rule.cluster > 1:
            run = 1
            for step in (-1, 1):
                j = _neighbour(lines, at, step)
                while j is not None and self.is_rule(rule.name, lines[j]):
                    run += 1
                    j = _neighbour(lines, j, step)
            if run < rule.cluster:
                return False
        if rule.alone:
            before, after = _neighbour(lines, at, -1), _neighbour(lines, at, 1)
            if before is not None and lines[before].rstrip().endswith(":"):
                return False  # "Sources:", "The full report is here:" introduce it
            if any(j is not None and _LINK.search(lines[j]) and len(lines[j].split()) <= _LIST_ITEM_WORDS
                   for j in (before, after)):
                return False  # one of a list of links
        return True

    def outlet_for_logo(self, line: str) -> str | None:
        s = line.strip()
        for o in self.outlets:
            if s in o.logo:
                return o.name
        return None

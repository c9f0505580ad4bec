"""Boilerplate rules as data: the packaged ``data/rules.toml`` plus any user rules files."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

ACTIONS = ("drop", "caption", "thread")


class RulesError(ValueError):
    """A rules file that cannot be used, with what is wrong in it."""


@dataclass(frozen=True)
class LineRule:
    name: str
    pattern: re.Pattern[str]
    action: str
    source: str  # the rules file it came from


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


@dataclass
class Rules:
    lines: list[LineRule] = field(default_factory=list)
    outlets: list[Outlet] = field(default_factory=list)

    @classmethod
    def load(cls, extra: list[str] | tuple[str, ...] = ()) -> "Rules":
        """The packaged rules, then each extra file in order (their rules are tried after ours)."""
        rules = cls()
        packaged = resources.files("newsfold").joinpath("data/rules.toml")
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
            self.lines.append(LineRule(name, pattern, action, source))
        for item in data.get("outlet", []):
            self.outlets.append(
                Outlet(item["name"], tuple(item.get("logo", ())), tuple(h.lower() for h in item.get("hosts", ())))
            )

    def match(self, line: str) -> Match | None:
        """The first rule whose pattern matches the whole (stripped) line."""
        s = line.strip()
        if not s:
            return None
        for rule in self.lines:
            m = rule.pattern.fullmatch(s)
            if m:
                outlet = m.groupdict().get("outlet") if rule.pattern.groupindex else None
                return Match(rule.name, rule.action, outlet, rule.source)
        return None

    def outlet_for_logo(self, line: str) -> str | None:
        s = line.strip()
        for o in self.outlets:
            if s in o.logo:
                return o.name
        return None


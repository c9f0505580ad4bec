"""Terminal rendering of the read side's dicts (``newsfold.read``): what the CLI's read commands print.

Every string that comes from input (titles, outlets, sources, text, rules' details) goes through
``terminal.inert`` first, so scraped text cannot drive the terminal; ``--json`` prints the dicts as
they are (JSON escapes control characters itself).
"""
from __future__ import annotations

from typing import Any, Iterable

from rich.console import Console
from rich.table import Table

from newsfold.terminal import inert


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def table(title: str, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Table:
    t = Table(title=title)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    return t


def article(c: Console, data: dict[str, Any]) -> None:
    c.print(f"[bold]{inert(data['title'] or '(no title)')}[/]  [dim]{inert(data['article_id'])}  {inert(data['outlet'] or '')}"
            f"  {plural(data['n_copies'] or 0, 'copy', 'copies')}[/]", highlight=False)
    for cap in data.get("captions") or []:
        c.print(f"  [dim]caption:[/] {inert(cap)}", highlight=False)
    for copy in data["copies"]:
        c.print(f"\n[bold]copy {inert(copy['copy_id'])}[/] ({inert(copy['match'])}) from {inert(copy['source'])}"
                f" chars {copy['span_start']}-{copy['span_end']}", highlight=False)
        for ln in copy["lines"]:
            if ln["status"] == "kept":
                c.print(f"  {inert(ln['text'])}", highlight=False)
            else:
                c.print(f"[red]- {inert(ln['text'])}[/]  [dim]\\[{inert(ln['rule'])}: {inert(ln['detail'] or '')}][/]",
                        highlight=False)


def search(c: Console, data: dict[str, Any]) -> None:
    hits = data["items"]
    c.print(table(f"{plural(len(hits), 'result')} for {inert(repr(data['query']))}", ("article_id", "title", "outlet", "snippet"),
                  ((inert(h["article_id"]), inert(h["title"] or ""), inert(h["outlet"] or ""), inert(" ".join((h["snippet"] or "").split())))
                   for h in hits)))


def stories(c: Console, data: dict[str, Any]) -> None:
    rows = data["items"]
    c.print(table(f"{plural(len(rows), 'story', 'stories')} of {data['total']}",
                  ("story_id", "label", "articles", "outlets", "first seen", "last seen"),
                  ((inert(s["story_id"]), inert(s["label"] or ""), str(s["n_articles"]), inert(", ".join(s["outlets"])),
                    inert(s["first_seen"] or ""), inert(s["last_seen"] or "")) for s in rows)))


def story(c: Console, data: dict[str, Any]) -> None:
    c.print(f"[bold]{inert(data['label'] or '')}[/]  [dim]{inert(data['story_id'])}  {plural(data['n_articles'], 'article')}[/]",
            highlight=False)
    for a in data["articles"]:
        c.print(f"  • {inert(a['title'] or '')}  [dim]{inert(a['outlet'] or '')} {inert(a['published'] or '')}"
                f" {inert(a['article_id'])}[/]", highlight=False)
    c.print("\n[bold]Shared by several outlets[/]")
    for s in data["shared"]:
        c.print(f"  {inert(s['sentence'])}  [dim]{inert(', '.join(s['outlets']))}[/]", highlight=False)
    for col in data["alone"]:
        c.print(f"\n[bold]Only {inert(col['outlet'])}[/] ({plural(len(col['sentences']), 'sentence')})", highlight=False)
        for sent in col["sentences"][:8]:
            c.print(f"  {inert(sent['sentence'])}", highlight=False)


def forms(e: dict[str, Any], sep: str = " ") -> str:
    return ", ".join(f"{f['form']}{sep}({f['count']})" for f in e["surface_forms"])


def entities(c: Console, data: dict[str, Any]) -> None:
    rows = data["items"]
    c.print(table(f"{plural(len(rows), 'entity', 'entities')} of {data['total']}",
                  ("entity_id", "name", "type", "mentions", "articles", "surface forms"),
                  ((inert(e["entity_id"]), inert(e["name"]), inert(e["type"]), str(e["n_mentions"]), str(e["n_articles"]),
                    inert(forms(e))) for e in rows)))


def entity(c: Console, data: dict[str, Any]) -> None:
    e = data["entity"]
    c.print(f"[bold]{inert(e['name'])}[/] ({inert(e['type'])})  [dim]{inert(e['entity_id'])}[/]", highlight=False)
    c.print("spellings: " + inert(", ".join(f"{f['form']} ×{f['count']}" for f in e["surface_forms"])), highlight=False)
    c.print(f"\n[bold]Articles[/] ({data['articles']['total']})")
    for a in data["articles"]["items"]:
        c.print(f"  • {inert(a['title'] or '')}  [dim]{inert(a['outlet'] or '')} story {inert(a['story_id'] or '-')}"
                f"  ×{a['n_mentions']}[/]", highlight=False)
    c.print("\n[bold]Stories[/]: " + inert(", ".join(f"{s['story_id']} ({s['n_with_entity']})" for s in data["stories"])),
            highlight=False)
    c.print("[bold]Occurs with[/]: " + inert(", ".join(f"{x['name']} ({x['n_articles']})" for x in data["cooccurring"])),
            highlight=False)


def verify(c: Console, report: dict[str, Any]) -> None:
    for p in report["problems"]:
        c.print(f"[red]✗[/] {inert(p)}", highlight=False)
    counts = ", ".join(f"{n} {k}" for k, n in report["checked"].items())
    n = len(report["problems"])
    c.print(("[green]✓ ok[/]" if report["ok"] else f"[red]{plural(n, 'problem')}[/]") + f"  ({inert(counts)})", highlight=False)
    if not report.get("database", True):
        c.print("no newsfold.db: this corpus was built with --no-db (the Parquet tables were checked); "
                "`newsfold db DIR` builds it", highlight=False)

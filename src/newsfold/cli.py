"""The command line: a thin layer over the library."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.text import Text
from rich.table import Table

from . import pipeline, store, views
from .config import Config
from .corpus import CorpusError
from .progress import Report
from .terminal import inert
from .rules import RulesError
from .explain import explain as explain_article

app = typer.Typer(help="newsfold: turn piles of scraped news pages into a clean, deduplicated, searchable corpus.",
                  no_args_is_help=True, add_completion=False)

def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"newsfold {version('newsfold')}")
        raise typer.Exit()


@app.callback()
def _main(show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                     help="Print the version and exit.")] = False) -> None:
    """newsfold: turn piles of scraped news pages into a clean, deduplicated, searchable corpus."""


OutOpt = Annotated[Path, typer.Option("--out", "-o", help="The corpus folder (written by `run`).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True)  # one line per message, whatever the terminal width


def _load(fn, *args):
    """Call a read-side view; a missing corpus, table or id is a clear error, not a traceback."""
    try:
        return fn(*args)
    except (KeyError, FileNotFoundError) as exc:
        _err().print(f"[red]error:[/] {escape(str(exc.args[0] if isinstance(exc, KeyError) else exc))}")
        raise typer.Exit(1)


def _table(title: str, columns: tuple[str, ...], rows) -> Table:
    t = Table(title=title)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    return t


def _dump(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


UNITS = {"read": "files", "learn boilerplate": "copies", "dedup": "copies", "write": "copies",
         "stories": "articles", "refine stories": "stories", "entities": "articles", "merge entities": "mentions",
         "store": "rows"}


class _Count(ProgressColumn):
    """done/total and the unit of a stage's bar ("?" while the total is unknown)."""

    def render(self, task) -> Text:
        total = "?" if task.total is None else f"{int(task.total):,}"
        return Text(f"{int(task.completed):,}/{total} {task.fields['unit']}", style="progress.download")


class _Rate(ProgressColumn):
    """Items per second of a stage's bar."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


def _stage_bars(console: Console, enabled: bool) -> tuple[Progress, Report]:
    """One bar per stage (done/total, items/s, ETA, elapsed), and the callback that moves them."""
    bar = Progress(SpinnerColumn(), TextColumn("{task.description:<17}"), BarColumn(bar_width=16), _Count(), _Rate(),
                   TextColumn("eta"), TimeRemainingColumn(compact=True), TimeElapsedColumn(),
                   console=console, disable=not enabled, refresh_per_second=4)
    tasks: dict[str, int] = {}

    def tick(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total, unit=UNITS.get(stage, "items"))
        bar.update(tasks[stage], completed=done, total=total)

    return bar, tick


def _summary_table(s: pipeline.RunSummary) -> Table:
    t = Table(title=f"newsfold run → {escape(s.out)}", show_header=False)
    t.add_column("what")
    t.add_column("count", justify="right")
    t.add_row("input files", str(s.files))
    t.add_row("pages read", str(s.pages))
    t.add_row("pages already in the corpus (skipped)", str(s.skipped_pages))
    t.add_row("article copies", str(s.copies))
    t.add_row("new or changed articles", str(s.new_articles))
    t.add_row("distinct articles in the corpus", str(s.articles))
    t.add_row("duplicate groups", str(s.duplicate_groups))
    t.add_row("duplicate copies folded", str(s.duplicate_copies))
    t.add_row("learned boilerplate lines", str(s.learned_boilerplate))
    if s.newly_learned:
        t.add_row("  of which learned in this run", str(s.newly_learned))
    if s.languages:
        t.add_row("articles per language", escape(", ".join(f"{k} {n}" for k, n in s.languages.items())))
    if s.no_ner_model:
        t.add_row("no entities (no NER model for)", escape(", ".join(f"{k} {n}" for k, n in sorted(s.no_ner_model.items()))))
    for reason, n in sorted(s.skipped_files.items()):
        t.add_row(f"files not read: {inert(reason)}", str(n))
    for reason, n in sorted(s.dropped.items()):
        t.add_row(f"dropped: {escape(reason)}", str(n))
    for stage, sec in s.seconds.items():
        t.add_row(f"seconds: {escape(stage)}", f"{sec:.2f}")
    return t


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (read recursively): text, HTML, WARC, JSONL, also .gz/.zst.")],
    out: OutOpt,
    config: Annotated[Optional[Path], typer.Option("--config", help="A TOML file of settings overriding the defaults.")] = None,
    rules: Annotated[Optional[list[Path]], typer.Option("--rules", help="Extra boilerplate rules files (TOML).")] = None,
    threshold: Annotated[Optional[float], typer.Option("--threshold", help="Near-duplicate Jaccard threshold.")] = None,
    include: Annotated[Optional[list[str]], typer.Option("--include", help="Also read files in input folders matching this glob (any format).")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option("--exclude", help="Never read files in input folders matching this glob.")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Read INPUTS, segment, clean and deduplicate them, and write the corpus into --out."""
    try:
        cfg = Config.load(config)
    except (OSError, ValueError) as exc:
        _err().print(f"[red]error:[/] {escape(str(config))}: {escape(str(exc))}")
        raise typer.Exit(2)
    if rules:
        cfg.clean.rules = [*cfg.clean.rules, *map(str, rules)]
    if threshold is not None:
        cfg.dedup.threshold = threshold
    cfg.reader.include = [*cfg.reader.include, *(include or ())]
    cfg.reader.exclude = [*cfg.reader.exclude, *(exclude or ())]
    console = _err()

    def warn(msg: str) -> None:
        console.print(f"[yellow]warning:[/] {inert(msg)}", highlight=False)

    bar, tick = _stage_bars(console, progress)
    with bar:
        try:
            summary = pipeline.run(inputs, out, cfg, warn=warn, progress=tick)
        except (pipeline.CorpusLocked, RulesError, CorpusError) as exc:
            bar.stop()
            console.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2)
    Console().print(_summary_table(summary))
    if summary.pages == 0 and summary.skipped_pages == 0:
        console.print("[red]error:[/] nothing could be read from the inputs")
        raise typer.Exit(1)


@app.command()
def explain(article_id: Annotated[str, typer.Argument(help="An article id or copy id (a unique prefix is enough).")],
            out: OutOpt, as_json: JsonOpt = False) -> None:
    """Print an article with every removed line and the rule that removed it."""
    data = _load(explain_article, out, article_id)
    if as_json:
        return _dump(data)
    c = Console()
    c.print(f"[bold]{escape(data['title'] or '(no title)')}[/]  [dim]{data['article_id']}  {escape(data['outlet'] or '')}  {data['n_copies']} copies[/]")
    for copy in data["copies"]:
        c.print(f"\n[bold]copy {copy['copy_id']}[/] ({copy['match']}) from {escape(copy['source'])} chars {copy['span_start']}-{copy['span_end']}")
        for ln in copy["lines"]:
            if ln["status"] == "kept":
                c.print(f"  {escape(ln['text'])}", highlight=False)
            else:
                c.print(f"[red]- {escape(ln['text'])}[/]  [dim]\\[{escape(ln['rule'])}: {escape(ln['detail'] or '')}][/]", highlight=False)


@app.command()
def search(query: Annotated[str, typer.Argument(help="Words to look for (SQLite FTS5 syntax is accepted).")],
           out: OutOpt, limit: Annotated[int, typer.Option(help="How many results.")] = 10, as_json: JsonOpt = False) -> None:
    """Full-text search over the corpus's titles and texts."""
    db = out / "newsfold.db"
    if not db.exists():
        _err().print(f"[red]error:[/] {escape(str(db))} not found; run `newsfold run` first")
        raise typer.Exit(1)
    hits = store.search(db, query, limit)
    if as_json:
        return _dump(hits)
    Console().print(_table(f"{len(hits)} results for {escape(query)!r}", ("article_id", "title", "outlet", "snippet"),
                           ((h["article_id"], escape(h["title"] or ""), escape(h["outlet"] or ""), escape(h["snippet"] or ""))
                            for h in hits)))


@app.command()
def stories(out: OutOpt,
            story: Annotated[Optional[str], typer.Option("--story", help="Show one story (an id or a unique prefix).")] = None,
            limit: Annotated[int, typer.Option(help="How many stories to list.")] = 50,
            as_json: JsonOpt = False) -> None:
    """List the stories, or show one: its articles, what outlets share and what each alone says."""
    data = _load(views.story_view, out, story) if story else _load(views.list_stories, out, limit)
    if as_json:
        return _dump(data)
    c = Console()
    if not story:
        c.print(_table(f"{len(data)} stories", ("story_id", "label", "articles", "outlets", "first seen", "last seen"),
                       ((s["story_id"], escape(s["label"] or ""), str(s["n_articles"]), escape(", ".join(s["outlets"])),
                         s["first_seen"] or "", s["last_seen"] or "") for s in data)))
        return
    c.print(f"[bold]{escape(data['label'] or '')}[/]  [dim]{data['story_id']}  {data['n_articles']} articles[/]")
    for a in data["articles"]:
        c.print(f"  • {escape(a['title'] or '')}  [dim]{escape(a['outlet'] or '')} {a['published'] or ''} {a['article_id']}[/]")
    c.print("\n[bold]Shared by several outlets[/]")
    for s in data["shared"]:
        c.print(f"  {escape(s['sentence'])}  [dim]{escape(', '.join(s['outlets']))}[/]")
    for outlet, sents in data["alone"].items():
        c.print(f"\n[bold]Only {escape(outlet)}[/] ({len(sents)} sentences)")
        for sent in sents[:8]:
            c.print(f"  {escape(sent)}")


@app.command()
def entities(out: OutOpt,
             entity: Annotated[Optional[str], typer.Option("--entity", help="Show one entity: an id, a name or a surface form.")] = None,
             etype: Annotated[Optional[str], typer.Option("--type", help="PERSON, ORG or PLACE.")] = None,
             query: Annotated[Optional[str], typer.Option("--query", help="Entities with this name or surface form.")] = None,
             limit: Annotated[int, typer.Option(help="How many entities to list.")] = 50,
             as_json: JsonOpt = False) -> None:
    """List the entities with their merged spellings, or show one: its articles, stories and co-occurring entities."""
    data = _load(views.entity_page, out, entity) if entity else _load(views.list_entities, out, etype, query, limit)
    if as_json:
        return _dump(data)
    c = Console()
    if not entity:
        c.print(_table(f"{len(data)} entities", ("entity_id", "name", "type", "mentions", "articles", "surface forms"),
                       ((e["entity_id"], escape(e["name"]), e["type"], str(e["n_mentions"]), str(e["n_articles"]),
                         escape(", ".join(f"{f['form']} ({f['count']})" for f in e["surface_forms"]))) for e in data)))
        return
    e = data["entity"]
    c.print(f"[bold]{escape(e['name'])}[/] ({e['type']})  [dim]{e['entity_id']}[/]")
    c.print("spellings: " + escape(", ".join(f"{f['form']} ×{f['count']}" for f in e["surface_forms"])))
    c.print("\n[bold]Articles[/]")
    for a in data["articles"]:
        c.print(f"  • {escape(a['title'] or '')}  [dim]{escape(a['outlet'] or '')} story {a['story_id'] or '-'}  ×{a['n_mentions']}[/]")
    c.print("\n[bold]Stories[/]: " + ", ".join(f"{s['story_id']} ({s['n_articles']})" for s in data["stories"]))
    c.print("[bold]Occurs with[/]: " + escape(", ".join(f"{x['name']} ({x['n_articles']})" for x in data["cooccurring"])))


@app.command()
def verify(out: OutOpt, as_json: JsonOpt = False) -> None:
    """Check a corpus's integrity: ledger, copies, articles, and Parquet against the database."""
    from .verify import verify as verify_corpus

    rep = verify_corpus(out)
    if as_json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        c = Console()
        for p in rep.problems:
            c.print(f"[red]✗[/] {escape(p)}")
        counts = ", ".join(f"{n} {k}" for k, n in rep.checked.items())
        c.print(("[green]✓ ok[/]" if rep.ok else f"[red]{len(rep.problems)} problem(s)[/]") + f"  ({escape(counts)})")
    if not rep.ok:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app(prog_name="newsfold")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

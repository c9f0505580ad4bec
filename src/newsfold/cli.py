"""The command line: a thin layer over the library."""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.text import Text
from rich.table import Table

from newsfold import show
from newsfold.config import Config, ConfigError, QueryLimits
from newsfold.progress import Report
from newsfold.terminal import inert

# The engine (pipeline: numpy, pyarrow, the readers) and the read side are imported inside the
# commands that use them, so that `newsfold --version` and `--help` start in a fraction of a second.

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
LangOpt = Annotated[Optional[str], typer.Option("--language", help="Only articles in this language (ISO 639-1, e.g. en, de, ar; und: unknown).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _err() -> Console:
    return Console(stderr=True, soft_wrap=True)  # one line per message, whatever the terminal width


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


def _summary_table(s) -> Table:  # a pipeline.RunSummary
    t = Table(title=f"newsfold run → {inert(s.out)}", show_header=False)
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
        t.add_row("articles per language", inert(", ".join(f"{k} {n}" for k, n in s.languages.items())))
    if s.stories_across_languages:
        t.add_row("stories joined across languages", str(s.stories_across_languages))
    if s.no_ner_model:
        t.add_row("no entities (no NER model for)", inert(", ".join(f"{k} {n}" for k, n in sorted(s.no_ner_model.items()))))
    if s.script_mentions:
        t.add_row("entity mentions found across scripts", str(s.script_mentions))
    for reason, n in sorted(s.skipped_files.items()):
        t.add_row(f"files not read: {inert(reason)}", str(n))
    for reason, n in sorted(s.dropped.items()):
        t.add_row(f"dropped: {inert(reason)}", str(n))
    for stage, sec in s.seconds.items():
        t.add_row(f"seconds: {inert(stage)}", f"{sec:.2f}")
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
    workers: Annotated[Optional[int], typer.Option("--workers", help="Processes for the parallel stages (default: every core).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (this machine) or ray (a Ray cluster: pip install newsfold[ray]).")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="The Ray cluster to join (ray engine; default: start one here).")] = None,
    no_db: Annotated[bool, typer.Option("--no-db", help="Parquet only: a new corpus gets no newsfold.db (very large corpora; `newsfold db DIR` builds it later).")] = False,
) -> None:
    """Read INPUTS, segment, clean and deduplicate them, and write the corpus into --out."""
    console = _err()

    def fail(msg: str, code: int = 2) -> typer.Exit:
        console.print(f"[red]error:[/] {inert(msg)}", highlight=False)
        return typer.Exit(code)

    try:
        cfg = Config.load(config)
        if rules:
            cfg.clean.rules = [*cfg.clean.rules, *map(str, rules)]
        if threshold is not None:
            cfg.dedup.threshold = threshold
        cfg.reader.include = [*cfg.reader.include, *(include or ())]
        cfg.reader.exclude = [*cfg.reader.exclude, *(exclude or ())]
        if workers is not None:
            cfg.workers = workers
        if no_db:
            cfg.db = False
        cfg.validate()
    except ConfigError as exc:  # every bad setting, one line each, before anything is written
        for line in exc.errors:
            console.print(f"[red]error:[/] {inert(f'{config}: ' if config else '')}{inert(line)}", highlight=False)
        raise typer.Exit(2)
    except OSError as exc:
        raise fail(f"{config}: {exc.strerror or exc}")

    def warn(msg: str) -> None:
        console.print(f"[yellow]warning:[/] {inert(msg)}", highlight=False)

    from newsfold.engine import local as pipeline
    from newsfold.corpus.generation import CorpusError
    from newsfold.stages.clean.rules import RulesError

    if engine not in ("local", "ray"):
        raise fail(f"--engine {engine}: unknown engine; use local or ray")
    if address and engine != "ray":
        raise fail("--address is for the Ray engine: add --engine ray")
    runner = pipeline.run
    if engine == "ray":
        try:
            from newsfold.engine import ray as ray_engine
        except ImportError as exc:
            raise fail(f"the Ray engine needs Ray: pip install 'newsfold[ray]' ({exc})")
        runner = lambda *a, **kw: ray_engine.run(*a, address=address, **kw)  # noqa: E731
    bar, tick = _stage_bars(console, progress)
    with bar:
        try:
            summary = runner(inputs, out, cfg, warn=warn, progress=tick)
        except (pipeline.CorpusLocked, RulesError, CorpusError) as exc:
            bar.stop()
            raise fail(str(exc))
    Console().print(_summary_table(summary))
    if summary.pages == 0 and summary.skipped_pages == 0:
        raise fail("nothing could be read from the inputs", 1)


@app.command()
def plan(config: Annotated[Optional[Path], typer.Option("--config", help="A TOML file of settings.")] = None,
         json_out: JsonOpt = False) -> None:
    """The steps a run takes with these settings: stages (parallel or not) and barriers."""
    from newsfold.engine.plan import build_plan, workers

    try:
        cfg = Config.load(config)
    except (ConfigError, OSError) as exc:
        _err().print(f"[red]error:[/] {inert(str(exc))}", highlight=False)
        raise typer.Exit(2)
    data = {"workers": workers(cfg), "steps": [s.to_dict() for s in build_plan(cfg)]}
    if json_out:
        return _dump(data)
    from newsfold import show

    Console().print(show.table(f"plan ({data['workers']} workers)", ("step", "kind", "parallel", "does"),
                               ((s["name"], s["kind"], "yes" if s["parallel"] else "", s["does"])
                                for s in data["steps"])))


def _corpus(out: Path):
    """The read side's handle on a corpus folder (``read.Corpus``)."""
    from newsfold.read import Corpus

    return Corpus(out)


def _read(fn, *args, **kw):
    """Call the read side; a missing corpus, table or id, or a bad option, is one clear line, not a traceback."""
    from newsfold.read.search import QueryError

    try:
        return fn(*args, **kw)
    except (KeyError, FileNotFoundError, sqlite3.DatabaseError) as exc:
        _err().print(f"[red]error:[/] {inert(str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc))}")
        raise typer.Exit(1)
    except (ValueError, QueryError) as exc:
        _err().print(f"[red]error:[/] {inert(str(exc))}")
        raise typer.Exit(2)


@app.command()
def explain(article_id: Annotated[str, typer.Argument(help="An article id or copy id (a unique prefix is enough).")],
            out: OutOpt, as_json: JsonOpt = False) -> None:
    """Print an article with every removed line and the rule that removed it."""
    data = _read(_corpus(out).article, article_id)
    if as_json:
        return _dump(data)
    show.article(Console(), data)


@app.command()
def search(query: Annotated[str, typer.Argument(help="Words to look for (SQLite FTS5 syntax is accepted).")],
           out: OutOpt, limit: Annotated[int, typer.Option(help="How many results (1 to 1,000).")] = 10,
           language: LangOpt = None, as_json: JsonOpt = False) -> None:
    """Full-text search over the corpus's titles and texts."""
    from newsfold.corpus import sqlite as store
    from newsfold.read.search import MAX_HITS

    _read(store.check_query, query, limit, QueryLimits(max_results=MAX_HITS))  # one line, exit 2, when out of bounds
    data = _read(_corpus(out).search, query, language=language, per_page=limit)
    if as_json:
        return _dump(data["items"])
    show.search(Console(), data)


@app.command()
def stories(out: OutOpt,
            story: Annotated[Optional[str], typer.Option("--story", help="Show one story (an id or a unique prefix).")] = None,
            sort: Annotated[str, typer.Option(help="biggest or newest first.")] = "biggest",
            outlet: Annotated[Optional[str], typer.Option(help="Only stories this outlet told.")] = None,
            language: LangOpt = None,
            limit: Annotated[int, typer.Option(help="How many stories to list.", min=1, max=500)] = 50,
            as_json: JsonOpt = False) -> None:
    """List the stories, or show one: its articles, what outlets share and what each alone says."""
    c = _corpus(out)
    if story:
        data = _read(c.story, story)
        return _dump(data) if as_json else show.story(Console(), data)
    data = _read(c.stories, sort=sort, outlet=outlet, language=language, per_page=limit)
    return _dump(data["items"]) if as_json else show.stories(Console(), data)


@app.command()
def entities(out: OutOpt,
             entity: Annotated[Optional[str], typer.Option("--entity", help="Show one entity: an id, a name or a surface form.")] = None,
             etype: Annotated[Optional[str], typer.Option("--type", help="PERSON, ORG or PLACE (any case).")] = None,
             query: Annotated[Optional[str], typer.Option("--query", help="Entities with this name or surface form.")] = None,
             limit: Annotated[int, typer.Option(help="How many entities to list.", min=1, max=500)] = 50,
             as_json: JsonOpt = False) -> None:
    """List the entities with their merged spellings, or show one: its articles, stories and co-occurring entities."""
    c = _corpus(out)
    if entity:
        data = _read(c.entity, entity)
        return _dump(data) if as_json else show.entity(Console(), data)
    data = _read(c.entities, etype=etype, query=query, per_page=limit)
    return _dump(data["items"]) if as_json else show.entities(Console(), data)


@app.command()
def verify(out: OutOpt, as_json: JsonOpt = False) -> None:
    """Check a corpus's integrity: ledger, copies, articles, and Parquet against the database."""
    from newsfold.read.verify import verify as verify_corpus

    if not out.is_dir():
        _err().print(f"[red]error:[/] no corpus at {inert(str(out))}: the folder does not exist")
        raise typer.Exit(1)
    rep = verify_corpus(out).to_dict()
    if as_json:
        print(json.dumps(rep, indent=2))
    else:
        show.verify(Console(), rep)
    if not rep["ok"]:
        raise typer.Exit(1)


@app.command()
def db(folder: Annotated[Path, typer.Argument(help="A corpus built with --no-db.")]) -> None:
    """Build newsfold.db (what the read commands and the web UI read) for a corpus built with --no-db."""
    from newsfold.corpus.generation import CorpusError
    from newsfold.corpus.guard import build_db
    from newsfold.engine.local import CorpusLocked, RunLock

    console = _err()
    try:
        if not folder.is_dir():
            raise CorpusError(f"no corpus at {folder}: the folder does not exist")
        with RunLock(folder):
            g = build_db(folder, lambda msg: console.print(f"[yellow]warning:[/] {inert(msg)}", highlight=False))
    except (CorpusError, CorpusLocked) as exc:
        console.print(f"[red]error:[/] {inert(str(exc))}", highlight=False)
        raise typer.Exit(1)
    Console().print(f"{inert(str(folder / 'newsfold.db'))}: built from generation {g}", highlight=False)


@app.command()
def serve(folder: Annotated[Path, typer.Argument(help="The corpus folder (written by `run`).")],
          port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000,
          host: Annotated[Optional[str], typer.Option(help="The address to listen on. Default 127.0.0.1: this machine only;"
                                                            " any other address must be given here explicitly.")] = None) -> None:
    """Browse the corpus in a web browser: stories, articles and their copies, entities, search, the ledger (read-only)."""
    from newsfold.web.serve import serve as serve_corpus

    try:
        serve_corpus(folder, port=port, host=host, say=_err().print)
    except (FileNotFoundError, OSError) as exc:
        _err().print(f"[red]error:[/] {inert(str(exc))}")
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app(prog_name="newsfold")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

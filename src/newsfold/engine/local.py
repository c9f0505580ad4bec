"""The local engine: inputs -> a segmented, cleaned, deduplicated corpus, added to an output folder.

A run adds its inputs to the corpus in ``OUT`` (an empty folder is an empty corpus):

1. read -> segment -> clean (rules) -> spool every new copy to Parquet, and count lines for
   boilerplate learning (continuing the counts of earlier runs); pages already in the corpus
   (same source and content) are skipped with a ledger row;
2. spool -> learned boilerplate -> exact keys and MinHash signatures -> folded into the stored
   duplicate groups (``fold.py``: exact keys and the stored LSH segments, no old page is read);
3. rows: new copies, new or changed articles (a group whose canonical copy changed), pages whose
   status changed -> Parquet parts of the next generation (``corpus.py``);
4. stories and entities for the new and changed articles (``enrich.py``);
5. publish: seal the generation, commit ``newsfold.db`` in one transaction, swap ``current``.

A run killed at any point leaves the previous generation as it was; the next run clears what was
left and starts again.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newsfold.config import Config
from newsfold.corpus import generation as corpus
from newsfold.corpus import guard
from newsfold.corpus.sqlite import SCHEMAS, apply_delta, build_sqlite
from newsfold.engine import enrich, plan
from newsfold.engine.executor import LocalExecutor, chunked
from newsfold.engine.pages import PageWork
from newsfold.engine.plan import page_stages
from newsfold.engine.sink import RunSink, row_hash
from newsfold.engine.spool import spool_row, spooled_articles
from newsfold.engine.write import write_rows
from newsfold.progress import Clock, Report, StageProgress
from newsfold.records import LedgerEntry
from newsfold.stages.boilerplate.learn import LearnedBoilerplate
from newsfold.stages.boilerplate.state import BoilerplateState, LearnBoilerplate
from newsfold.stages.clean.rules import Rules
from newsfold.stages.dedup.fold import FoldDuplicates
from newsfold.stages.dedup.signatures import Signatures
from newsfold.stages.dedup.state import DedupState
from newsfold.stages.ingest import Corpus, count_files, fingerprints, read_inputs
from newsfold.stages.ingest.known import SkipKnownPages

log = logging.getLogger("newsfold")
TABLES = ("articles", "copies", "removals", "ledger", "boilerplate")
STORY_TABLES = ("stories", "story_sentences")
ENTITY_TABLES = ("entities", "mentions")
# settings that must match the corpus's own to add to it (reading settings may differ per run)
FIXED_SECTIONS = ("segment", "clean", "dedup", "steps", "stories", "entities")
# settings of those sections that do not change results (processes, devices), and older names of such settings
RUN_ONLY = {"dedup": ("workers", "device"), "entities": ("workers", "n_process"), "stories": ("embedding_device",)}


@dataclass
class RunSummary:
    files: int = 0
    pages: int = 0
    skipped_pages: int = 0
    copies: int = 0
    new_articles: int = 0
    articles: int = 0
    duplicate_groups: int = 0
    duplicate_copies: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    skipped_files: dict[str, int] = field(default_factory=dict)  # files in input folders not read, by reason
    seconds: dict[str, float] = field(default_factory=dict)
    learned_boilerplate: int = 0
    newly_learned: int = 0
    stories: int = 0
    stories_across_languages: int = 0  # stories joined into a story of another language (stories/crosslingual.py)
    entities: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # distinct articles per language (ISO 639-1, "und")
    no_ner_model: dict[str, int] = field(default_factory=dict)  # this run's articles per language NER has no model for
    script_mentions: int = 0  # mentions found across scripts (Arabic spellings of a story's names; entities/script.py)
    generation: int = 0
    nothing_new: bool = False  # every page was already in the corpus: no new generation was made
    workers: int = 1  # processes the parallel stages ran on
    db: bool = True  # newsfold.db was written (False: a corpus kept as Parquet only, --no-db)
    engine: str = "local"
    out: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


PAGES_PER_TASK = 16  # pages a worker takes at once ...
POOL_MIN_TASKS = 8  # ... and how many such tasks make a pool worth starting (fewer run in this process)


class Runner:
    """Runs the plan's stages over the inputs; holds the per-run state (nothing lives at module level).
    ``executor`` runs the parallel stages (``LocalExecutor``: this process, or a pool of processes)."""

    def __init__(self, config: Config, warn: Callable[[str], None] | None = None, progress: Report | None = None,
                 executor=None):
        self.cfg = config
        self.warn = warn or log.warning
        self.progress = progress
        self.workers = plan.workers(config)
        self.executor = executor or LocalExecutor(self.workers)
        self.rules = Rules.load(config.clean.rules)
        self.clock = Clock()
        self.summary = RunSummary(workers=getattr(self.executor, "workers", self.workers))
        self.sink = RunSink(self.summary, None, self.warn)

    @property
    def stage(self) -> StageProgress:
        return self.sink.stage

    def start(self, stage: str, total: int | None = None) -> StageProgress:
        """End the stage running now and start ``stage`` (reported to the progress callback)."""
        self.sink.stage.finish()
        self.sink.stage = StageProgress(self.progress, stage, total)
        return self.sink.stage

    def pass1(self, inputs: Sequence[str | Path], spool_path: Path, known: np.ndarray,
              learn: LearnBoilerplate, out: Path, files: fingerprints.Fingerprints | None = None) -> list[int]:
        """Read -> skip known pages -> the page stages (on the executor) -> boilerplate observed, copies
        spooled; returns the ids (uint64) of the pages read.  ``files``: the files the corpus has read in
        full, not read again (see ``stages.ingest.fingerprints``)."""
        spool = corpus.PartWriter(spool_path, "spool", SCHEMAS["spool"], batch=2000)
        own = Corpus(os.path.realpath(out), frozenset((corpus.CURRENT, corpus.DB, f"{corpus.DB}-wal", f"{corpus.DB}-shm",
                                                       f"{corpus.DB}-journal", *corpus.FILES)))
        self.start("read", count_files(inputs, own))
        skip = SkipKnownPages(known)
        pages = skip(self.clock.iterate("read", read_inputs(inputs, self.cfg.reader, self.sink.ledger, self.warn,
                                                            own, files, getattr(self.executor, "map_files", None))),
                     self.sink)
        work = PageWork(self.cfg, page_stages(self.cfg, self.rules))
        for done in self.executor.map(work, chunked(pages, PAGES_PER_TASK), POOL_MIN_TASKS):
            for page in done:
                page.reports.replay(self.sink)
                for name, s in page.seconds.items():
                    self.clock.seconds[name] += s
                if not page.articles:
                    continue
                with self.clock("learn_boilerplate"):
                    learn.observe(page.articles, self.sink)
                with self.clock("spool"):
                    for a in page.articles:
                        spool.write(spool_row(a))
                self.summary.copies += len(page.articles)
        with self.clock("spool"):
            spool.close()
        return skip.seen

    def pass2(self, spool_path: Path, learned: LearnedBoilerplate, fold: FoldDuplicates) -> None:
        """The spooled copies (learned boilerplate applied) -> signatures (on the executor) -> ``fold``."""
        signatures = Signatures(self.cfg.dedup)
        batches = self.clock.iterate("spool", spooled_articles(spool_path, learned, self.cfg.dedup.batch))
        for signed in self.clock.iterate("dedup", self.executor.map(signatures.sign, batches)):
            self.stage.add(len(signed.key))
            fold.observe([signed], self.sink)


def _ledger_hashes(prev: Path) -> np.ndarray:
    """The sorted hashes of the corpus's ledger rows (state/ledger.npy; rebuilt from the table when missing)."""
    saved = prev / "state" / "ledger.npy"
    if saved.exists():
        return np.load(saved)
    rows = corpus.read_table(prev / "ledger.parquet").to_pylist()
    return np.unique(np.array([row_hash(LedgerEntry(**r)) for r in rows], np.uint64))


def _nothing_new(runner: Runner, gen: corpus.Generation, prev: Path) -> RunSummary:
    """Every page was already in the corpus and no ledger row is new: drop the generation being built,
    and report the corpus as it stands."""
    gen.close_writers({})
    shutil.rmtree(gen.dir)
    s = runner.summary
    before = json.loads((prev / "summary.json").read_text()) if (prev / "summary.json").exists() else {}
    for name in ("articles", "duplicate_groups", "duplicate_copies", "learned_boilerplate", "stories", "entities", "languages",
                 "stories_across_languages", "script_mentions"):
        setattr(s, name, before.get(name, 0))
    s.generation = before.get("generation", s.generation - 1)
    s.nothing_new = True
    s.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
    return s


def run(inputs: Sequence[str | Path], out: str | Path, config: Config | None = None, *,
        warn: Callable[[str], None] | None = None, progress: Report | None = None,
        executor=None, engine: str = "local") -> RunSummary:
    """Add INPUTS to the corpus in OUT (an empty or new folder starts a corpus).

    ``progress(stage, done, total)`` is called as each stage goes (see ``newsfold.progress``).
    ``executor`` runs the parallel stages (default: ``LocalExecutor`` with ``config.workers``
    processes; the Ray engine hands its own); ``engine`` names it in the summary."""
    cfg = (config or Config()).validate()  # ConfigError, before anything is written
    out = Path(out)
    guard.check_out(out)  # before anything is written: a user's files are never overwritten
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise corpus.CorpusError(f"{out}: cannot create this folder ({exc.strerror or exc})") from None
    with RunLock(out):
        return _run(inputs, out, cfg, warn or log.warning, progress, executor, engine)


class RunLock:
    """One run at a time per output folder: a second run refuses at once with a clear message."""

    def __init__(self, out: Path):
        self.path = out / ".newsfold.lock"
        self.fh = None

    def __enter__(self) -> "RunLock":
        try:
            self.fh = open(self.path, "a+")
        except OSError as exc:
            raise corpus.CorpusError(f"{self.path.parent}: cannot write here ({exc.strerror or exc}); "
                                     "choose a folder you can write to") from None
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise CorpusLocked(f"{self.path.parent}: another newsfold run ({holder}) is writing to this corpus; "
                               "wait for it to finish") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


class CorpusLocked(RuntimeError):
    pass


def check_settings(previous: Path, cfg: Config) -> None:
    """Refuse to add with settings that would make the corpus inconsistent."""
    saved = json.loads((previous / "config.json").read_text())
    now = json.loads(json.dumps(cfg.to_dict()))  # as saved (tuples become lists)
    sections = [s for s in FIXED_SECTIONS if now["steps"].get(s, True)]  # a step that is off has no state to match
    defaults = json.loads(json.dumps(Config().to_dict()))

    def compared(section: str, values: object) -> object:
        if not isinstance(values, dict):
            return values
        return {k: v for k, v in values.items() if k not in RUN_ONLY.get(section, ())}

    def as_saved(section: str) -> object:  # a setting newer than the corpus counts as its default
        old = saved.get(section)
        return {**defaults[section], **old} if isinstance(old, dict) and isinstance(defaults[section], dict) else old

    differ = [s for s in sections if compared(s, as_saved(s)) != compared(s, now.get(s))]
    if differ:
        raise corpus.CorpusError(f"{previous.parent.parent}: this corpus was built with other [{', '.join(differ)}] "
                                 "settings; add to it with the same settings, or write to a new --out folder")
    if corpus.parts_of(arts := previous / "articles.parquet") and "language" not in corpus.schema_of(arts).names:
        raise corpus.CorpusError(f"{previous.parent.parent}: made by an older newsfold (no article languages); use a new --out")


def _run(inputs, out: Path, cfg: Config, warn, progress, executor=None, engine: str = "local") -> RunSummary:
    g = guard.open_corpus(out, warn)  # refuses to build on a damaged corpus; rebuilds a lost database
    prev = out / corpus.GENS / corpus.gen_name(g) if g else None
    if prev is not None:
        check_settings(prev, cfg)
    with_db = _with_db(out, prev, cfg, warn)
    gen = corpus.Generation(out, g + 1, prev)
    runner = Runner(cfg, warn, progress, executor)
    runner.summary.generation = gen.number
    runner.summary.out = str(out)
    runner.summary.engine = engine
    runner.summary.db = with_db
    dstate = DedupState.load(prev / "state" / "dedup", cfg.dedup) if prev else DedupState(cfg.dedup)
    bstate = BoilerplateState.load(prev / "state" / "boilerplate") if prev else BoilerplateState()
    known = np.load(prev / "state" / "pages.npy") if prev else np.zeros(0, np.uint64)
    ledger = gen.writer("ledger", SCHEMAS["ledger"])
    runner.sink.writer = ledger
    spool = gen.dir / "spool"  # a folder of parts, removed before the generation is sealed
    segment = f"seg-{corpus.gen_name(gen.number)}"
    learn = LearnBoilerplate(cfg.clean, bstate, segment)
    if prev is not None:
        runner.sink.known_rows = _ledger_hashes(prev)
    files = fingerprints.Fingerprints(fingerprints.load(prev / "state" if prev else None), cfg.reader,
                                      runner.sink.known_file)
    seen = runner.pass1(inputs, spool, known, learn, out, files)
    if prev is not None and not seen and not runner.sink.news:
        runner.stage.finish()
        return _nothing_new(runner, gen, prev)
    copies = runner.summary.copies
    runner.start("learn boilerplate", copies)
    with runner.clock("learn_boilerplate"):
        learned = learn.finish(runner.sink)
    runner.start("dedup", copies)
    # an engine whose executor spreads the LSH candidates over its workers says so (``lsh_candidates``)
    folding = FoldDuplicates(dstate, cfg.dedup, getattr(runner.executor, "lsh_candidates", None))
    runner.pass2(spool, learned, folding)
    with runner.clock("dedup"):
        folded, new = folding.finish(runner.sink)
    runner.start("write", copies)
    all_page = np.concatenate([dstate.arrays["page"], new.page])
    all_cid = np.concatenate([dstate.arrays["cid"], new.cid])
    with runner.clock("write"):
        # an engine that writes the new copies' parts on its workers says so (``part_writers``)
        changes = write_rows(gen, spool, learned, folded, all_page, all_cid, ledger, runner.sink, runner.clock,
                             getattr(runner.executor, "part_writers", None))
    runner.summary.new_articles = len(changes.fresh)
    shutil.rmtree(spool)
    gen.close_writers({})
    with runner.clock("write"):
        gen.replace_all("boilerplate", pa.Table.from_pylist(learned.rows(), schema=SCHEMAS["boilerplate"]))
        dstate.save(gen.state / "dedup", segment,
                    {"key": folded.key, "length": folded.length, "label": folded.label, "canon": folded.is_canon,
                     "cid": all_cid, "page": all_page, "tie": np.concatenate([dstate.arrays["tie"], new.tie])}, new.sigs)
        bstate.save(gen.state / "boilerplate", learned)
        fresh = np.unique(np.array(seen, np.uint64))
        np.save(gen.state / "pages.npy", np.insert(known, np.searchsorted(known, fresh), fresh))
        np.save(gen.state / "ledger.npy", runner.sink.row_hashes())
        np.save(gen.state / fingerprints.FILES_NPY, files.array())  # checksummed in manifest.json with the rest
    del new, dstate
    schemas = {t: SCHEMAS[t] for t in TABLES}
    runner.summary.learned_boilerplate = len(learned.counts)
    live = folded.label[folded.label >= 0]
    if len(live):
        sizes = np.bincount(live)  # O(corpus) but linear: labels are row numbers
        runner.summary.articles = int(np.count_nonzero(sizes))
        runner.summary.duplicate_groups = int((sizes > 1).sum())
        runner.summary.duplicate_copies = int(len(live) - runner.summary.articles)
    if cfg.steps.stories:
        with runner.clock("stories"):
            xl: dict = {}
            runner.summary.stories = enrich.update_stories(gen, cfg.stories, changes, runner.start, xl)
            runner.summary.stories_across_languages = xl.get("linked", 0)
            if "off" in xl:
                runner.warn(xl["off"])
        schemas.update(enrich.story_schemas())
    if cfg.steps.entities:
        with runner.clock("entities"):
            # the local engine's NER uses spaCy's own processes; another engine's executor takes it
            remote = not isinstance(runner.executor, LocalExecutor)
            across: dict = {}
            runner.summary.entities = enrich.update_entities(
                gen, cfg.entities, changes, runner.start, runner.summary.no_ner_model,
                runner.summary.workers if remote else runner.workers, runner.executor.map if remote else None,
                across)
            runner.summary.script_mentions = across.get("script_mentions", 0)
        schemas.update(enrich.entity_schemas())
    gen.close_writers(schemas)
    with runner.clock("store"):
        runner.summary.languages = enrich.count_languages(gen.table("articles"))
        gen.write_json("config.json", {**cfg.to_dict(), "db": with_db})  # what this corpus keeps
        runner.summary.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
        gen.write_json("summary.json", runner.summary.to_dict())
        gen.seal()
        if with_db:
            _commit(out, gen, prev, schemas, warn, runner.start("store"))
        else:  # Parquet only: sealing was the commit point
            corpus.publish_links(out, gen.number, corpus.published_names(gen.dir))
    runner.stage.finish()
    runner.summary.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
    corpus.recover(out, warn)  # drops generations older than the previous one
    return runner.summary


def _with_db(out: Path, prev: Path | None, cfg: Config, warn) -> bool:
    """Whether this run writes newsfold.db: a new corpus as ``cfg.db`` says; a corpus that has one keeps
    it up to date; one kept without it (``--no-db``) stays so (``newsfold db DIR`` builds it)."""
    if prev is None:
        return cfg.db
    has = (out / corpus.DB).exists()
    if has and not cfg.db:
        warn(f"{out} has a database ({corpus.DB}); it is kept up to date (--no-db applies to a new corpus)")
    elif not has and cfg.db:
        warn(f"{out} has no database (built with --no-db); this run adds Parquet only; run `newsfold db {out}` "
             "to build it")
    return has


def _rows(parts: Iterable[Path]) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in parts)


def _commit(out: Path, gen: corpus.Generation, prev: Path | None, schemas: dict, warn, stage: StageProgress) -> None:
    """The commit point: the database records the new generation in one transaction."""
    db = out / corpus.DB
    if prev is None or not db.exists():
        tmp = out / ".newsfold.db.tmp"
        stage.set_total(_rows(p for t in schemas for p in corpus.parts_of(gen.table(t))))
        build_sqlite(tmp, {t: gen.table(t) for t in schemas}, gen.number, stage.add)
        for suffix in ("-wal", "-shm"):
            if Path(str(db) + suffix).exists():
                Path(str(db) + suffix).unlink()
        os.replace(tmp, db)
    else:
        added = {t: gen.new_parts(t) for t in schemas if t not in gen.replaced}
        replaced = {t: gen.table(t) for t in gen.replaced}
        stage.set_total(_rows([p for ps in added.values() for p in ps] + [p for t in replaced.values() for p in corpus.parts_of(t)]))
        try:
            apply_delta(db, gen.number, gen.deleted, added, replaced, stage.add)
        except sqlite3.OperationalError as exc:  # rolled back: the corpus is the previous generation
            raise corpus.CorpusError(f"{out}: newsfold.db could not be updated ({exc}); the corpus is unchanged; "
                                     f"run `newsfold verify --out {out}`") from None
        except sqlite3.DatabaseError as exc:  # a damaged file: the sealed generation holds everything
            guard.replace_db(out, gen.number, f"could not be updated ({exc})", warn)
    corpus.publish_links(out, gen.number, corpus.published_names(gen.dir))

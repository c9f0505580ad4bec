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
import xxhash

from . import corpus, enrich, guard
from .boilerplate import BoilerplateLearner, LearnedBoilerplate
from .boilerplate_state import BoilerplateState
from .clean import Cleaner
from .config import Config
from .dedup import MinHasher
from .dedup.state import DedupState
from .fold import fold
from .language import LanguageIdentifier
from .progress import Clock, Report, StageProgress
from .readers import Corpus, count_files, read_inputs
from .readers import fingerprints
from .records import DROPPED, DUPLICATE, SKIPPED, LedgerEntry
from .rules import Rules
from .segment import Segmenter
from .spool import spool_row, spooled_articles
from .store import SCHEMAS, apply_delta, build_sqlite
from .write import ALREADY, write_rows

log = logging.getLogger("newsfold")
TABLES = ("articles", "copies", "removals", "ledger", "boilerplate")
STORY_TABLES = ("stories", "story_sentences")
ENTITY_TABLES = ("entities", "mentions")
# settings that must match the corpus's own to add to it (reading settings may differ per run)
FIXED_SECTIONS = ("segment", "clean", "dedup", "steps", "stories", "entities")
# settings of those sections that do not change results (processes), and older names of such settings
RUN_ONLY = {"dedup": ("workers",), "entities": ("workers", "n_process")}


def _u64(ident: str) -> int:
    return int(ident[1:], 16)


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
    generation: int = 0
    nothing_new: bool = False  # every page was already in the corpus: no new generation was made
    out: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class Runner:
    """Runs the stages over the inputs; holds the per-run state (nothing lives at module level)."""

    def __init__(self, config: Config, warn: Callable[[str], None] | None = None, progress: Report | None = None):
        self.cfg = config
        self.warn = warn or log.warning
        self.progress = progress
        self.stage = StageProgress(None, "")  # the stage running now
        self.rules = Rules.load(config.clean.rules)
        self.clock = Clock()
        self.languages = LanguageIdentifier()  # its model loads on the first page
        self.summary = RunSummary()
        self.known_rows = np.zeros(0, np.uint64)  # hashes of the corpus's ledger rows (sorted)
        self.new_rows: set[int] = set()  # hashes of this run's ledger rows not in the corpus yet
        self.news = 0  # of those, rows that are more than "this page is already in the corpus"

    def start(self, stage: str, total: int | None = None) -> StageProgress:
        """End the stage running now and start ``stage`` (reported to the progress callback)."""
        self.stage.finish()
        self.stage = StageProgress(self.progress, stage, total)
        return self.stage

    def _ledger(self, writer, entry: LedgerEntry) -> bool:
        """Write a ledger row and count it, unless the corpus's ledger has this very row already
        (an input read again): then it is neither written nor counted (nor warned about) again."""
        if entry.level == "file":
            self.summary.files += 1
            if self.stage.stage == "read":
                self.stage.add()
        h = _row_hash(entry)
        pos = np.searchsorted(self.known_rows, np.uint64(h))
        if h in self.new_rows or (pos < len(self.known_rows) and self.known_rows[pos] == h):
            return False
        self.new_rows.add(h)
        self.news += entry.reason != ALREADY
        writer.write(asdict(entry))
        if entry.status == DROPPED:
            self.summary.dropped[entry.reason] = self.summary.dropped.get(entry.reason, 0) + 1
        elif entry.status == SKIPPED:
            self.summary.skipped_files[entry.reason] = self.summary.skipped_files.get(entry.reason, 0) + 1
        return True

    def _known_file(self, source: str, pages: int) -> None:
        """A file the corpus has read in full, unchanged: not read again, its pages counted as skipped."""
        self.summary.files += 1
        self.summary.skipped_pages += pages
        if self.stage.stage == "read":
            self.stage.add()

    def pass1(self, inputs: Sequence[str | Path], spool_path: Path, ledger, known: np.ndarray,
              learner: BoilerplateLearner, out: Path, files: fingerprints.Fingerprints | None = None) -> list[int]:
        """Read, segment, clean and spool the new pages; returns the ids (uint64) of the pages read.
        ``files``: the files the corpus has read in full, not read again (see ``readers.fingerprints``)."""
        segmenter = Segmenter(self.cfg.segment, self.rules)
        cleaner = Cleaner(self.rules, self.cfg.segment)
        spool = corpus.PartWriter(spool_path, "spool", SCHEMAS["spool"], batch=2000)
        seen: list[int] = []
        seen_set: set[int] = set()
        own = Corpus(os.path.realpath(out), frozenset((corpus.CURRENT, corpus.DB, f"{corpus.DB}-wal", f"{corpus.DB}-shm",
                                                       f"{corpus.DB}-journal", *corpus.FILES)))
        self.start("read", count_files(inputs, own))
        pages = read_inputs(inputs, self.cfg.reader, lambda e: self._ledger(ledger, e), self.warn, own, files)
        for page in self.clock.iterate("read", pages):
            pid = page.page_id
            u = _u64(pid)
            pos = np.searchsorted(known, np.uint64(u)) if len(known) else 0
            if u in seen_set or (len(known) and pos < len(known) and known[pos] == u):
                self.summary.skipped_pages += 1
                self._ledger(ledger, LedgerEntry(page.source, "page", DUPLICATE, ALREADY,
                                                 "this page (same source and content) is already in the corpus", pid))
                continue
            seen.append(u)
            seen_set.add(u)
            self.summary.pages += 1
            try:
                with self.clock("segment"):
                    arts = list(segmenter(page))
                with self.clock("clean"):
                    arts = [cleaner(a) for a in arts]
                with self.clock("language"):
                    self.languages.tag(arts)
            except Exception as exc:  # a bad page never stops the run
                self.warn(f"{page.source}: could not be processed ({type(exc).__name__}: {exc})")
                self._ledger(ledger, LedgerEntry(page.source, "page", DROPPED, "error", f"{type(exc).__name__}: {exc}", pid))
                continue
            if not arts:
                self._ledger(ledger, LedgerEntry(page.source, "page", DROPPED, "no_article", "no article text found", pid))
                continue
            found = {a.outlet for a in arts if a.outlet}
            # a logo or "Support X" line names the page's outlet, for all its articles; else its path may
            outlet = found.pop() if len(found) == 1 else None if found else page.extra.get("path_outlet")
            for a in arts:
                a.outlet = a.outlet or outlet
            with self.clock("learn_boilerplate"):
                for a in arts:
                    learner.observe(a)
            with self.clock("spool"):
                for a in arts:
                    spool.write(spool_row(a))
            self.summary.copies += len(arts)
        with self.clock("spool"):
            spool.close()
        return seen

    def pass2(self, spool_path: Path, learned: LearnedBoilerplate) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per new copy: exact key, length (-1: empty), copy and page ids; and the signatures."""
        hasher = MinHasher(self.cfg.dedup)
        cols: dict[str, list[int]] = {"key": [], "length": [], "cid": [], "page": [], "tie": []}
        sigs = []
        for arts in self.clock.iterate("spool", spooled_articles(spool_path, learned, self.cfg.dedup.batch)):
            self.stage.add(len(arts))
            with self.clock("dedup"):
                texts = [a.text for a in arts]
                cols["key"].extend(int(k, 16) if t.strip() else 0 for k, t in zip(hasher.exact_keys(texts), texts))
                cols["length"].extend(len(t) if t.strip() else -1 for t in texts)
                cols["cid"].extend(_u64(a.copy_id) for a in arts)
                cols["page"].extend(_u64(a.page_id) for a in arts)
                cols["tie"].extend(xxhash.xxh3_64_intdigest(f"{a.title or ''}\x1f{a.text}".encode()) for a in arts)
                sigs.append(hasher.signatures(texts))
        arrays = {"key": np.array(cols["key"], np.uint64), "length": np.array(cols["length"], np.int64),
                  "cid": np.array(cols["cid"], np.uint64), "page": np.array(cols["page"], np.uint64),
                  "tie": np.array(cols["tie"], np.uint64)}
        width = (self.cfg.dedup.num_perm,)
        allsig = np.concatenate(sigs) if sigs else np.zeros((0, *width), np.uint8)
        return arrays, allsig

def _row_hash(entry: LedgerEntry) -> int:
    return xxhash.xxh3_64_intdigest("\x1f".join((entry.source, entry.level, entry.status, entry.reason,
                                                 entry.detail, entry.ref)).encode())


def _ledger_hashes(prev: Path) -> np.ndarray:
    """The sorted hashes of the corpus's ledger rows (state/ledger.npy; rebuilt from the table when missing)."""
    saved = prev / "state" / "ledger.npy"
    if saved.exists():
        return np.load(saved)
    rows = corpus.read_table(prev / "ledger.parquet").to_pylist()
    return np.unique(np.array([_row_hash(LedgerEntry(**r)) for r in rows], np.uint64))


def _nothing_new(runner: Runner, gen: corpus.Generation, prev: Path) -> RunSummary:
    """Every page was already in the corpus and no ledger row is new: drop the generation being built,
    and report the corpus as it stands."""
    gen.close_writers({})
    shutil.rmtree(gen.dir)
    s = runner.summary
    before = json.loads((prev / "summary.json").read_text()) if (prev / "summary.json").exists() else {}
    for name in ("articles", "duplicate_groups", "duplicate_copies", "learned_boilerplate", "stories", "entities", "languages",
                 "stories_across_languages"):
        setattr(s, name, before.get(name, 0))
    s.generation = before.get("generation", s.generation - 1)
    s.nothing_new = True
    s.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
    return s


def run(inputs: Sequence[str | Path], out: str | Path, config: Config | None = None, *,
        warn: Callable[[str], None] | None = None, progress: Report | None = None) -> RunSummary:
    """Add INPUTS to the corpus in OUT (an empty or new folder starts a corpus).

    ``progress(stage, done, total)`` is called as each stage goes (see ``newsfold.progress``)."""
    cfg = (config or Config()).validate()  # ConfigError, before anything is written
    out = Path(out)
    guard.check_out(out)  # before anything is written: a user's files are never overwritten
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise corpus.CorpusError(f"{out}: cannot create this folder ({exc.strerror or exc})") from None
    with RunLock(out):
        return _run(inputs, out, cfg, warn or log.warning, progress)


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


def _run(inputs, out: Path, cfg: Config, warn, progress) -> RunSummary:
    g = guard.open_corpus(out, warn)  # refuses to build on a damaged corpus; rebuilds a lost database
    prev = out / corpus.GENS / corpus.gen_name(g) if g else None
    if prev is not None:
        check_settings(prev, cfg)
    gen = corpus.Generation(out, g + 1, prev)
    runner = Runner(cfg, warn, progress)
    runner.summary.generation = gen.number
    runner.summary.out = str(out)
    dstate = DedupState.load(prev / "state" / "dedup", cfg.dedup) if prev else DedupState(cfg.dedup)
    bstate = BoilerplateState.load(prev / "state" / "boilerplate") if prev else BoilerplateState()
    known = np.load(prev / "state" / "pages.npy") if prev else np.zeros(0, np.uint64)
    ledger = gen.writer("ledger", SCHEMAS["ledger"])
    spool = gen.dir / "spool"  # a folder of parts, removed before the generation is sealed
    learner = BoilerplateLearner(cfg.clean)
    if prev is not None:
        runner.known_rows = _ledger_hashes(prev)
    files = fingerprints.Fingerprints(fingerprints.load(prev / "state" if prev else None), cfg.reader,
                                      runner._known_file)
    seen = runner.pass1(inputs, spool, ledger, known, learner, out, files)
    if prev is not None and not seen and not runner.news:
        runner.stage.finish()
        return _nothing_new(runner, gen, prev)
    copies = runner.summary.copies
    runner.start("learn boilerplate", copies)
    with runner.clock("learn_boilerplate"):
        learned, _, runner.summary.newly_learned = bstate.finish(learner, f"seg-{corpus.gen_name(gen.number)}")
    runner.start("dedup", copies)
    new, sigs = runner.pass2(spool, learned)
    with runner.clock("dedup"):
        folded = fold(dstate, new["key"], new["length"], sigs, cfg.dedup, new["tie"], new["cid"])
    runner.start("write", copies)
    all_page = np.concatenate([dstate.arrays["page"], new["page"]])
    all_cid = np.concatenate([dstate.arrays["cid"], new["cid"]])
    with runner.clock("write"):
        changes = write_rows(runner, gen, spool, learned, folded, all_page, all_cid, ledger)
    shutil.rmtree(spool)
    gen.close_writers({})
    with runner.clock("write"):
        gen.replace_all("boilerplate", pa.Table.from_pylist(learned.rows(), schema=SCHEMAS["boilerplate"]))
        dstate.save(gen.state / "dedup", f"seg-{corpus.gen_name(gen.number)}",
                    {"key": folded.key, "length": folded.length, "label": folded.label, "canon": folded.is_canon,
                     "cid": all_cid, "page": all_page, "tie": np.concatenate([dstate.arrays["tie"], new["tie"]])}, sigs)
        bstate.save(gen.state / "boilerplate", learned)
        fresh = np.unique(np.array(seen, np.uint64))
        np.save(gen.state / "pages.npy", np.insert(known, np.searchsorted(known, fresh), fresh))
        np.save(gen.state / "ledger.npy", np.union1d(runner.known_rows, np.fromiter(runner.new_rows, np.uint64)))
        np.save(gen.state / fingerprints.FILES_NPY, files.array())  # checksummed in manifest.json with the rest
    del sigs, dstate
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
            runner.summary.entities = enrich.update_entities(gen, cfg.entities, changes, runner.start,
                                                             runner.summary.no_ner_model)
        schemas.update(enrich.entity_schemas())
    gen.close_writers(schemas)
    with runner.clock("store"):
        runner.summary.languages = enrich.count_languages(gen.table("articles"))
        gen.write_json("config.json", cfg.to_dict())
        runner.summary.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
        gen.write_json("summary.json", runner.summary.to_dict())
        gen.seal()
        _commit(out, gen, prev, schemas, warn, runner.start("store"))
    runner.stage.finish()
    runner.summary.seconds = {k: round(v, 3) for k, v in runner.clock.seconds.items()}
    corpus.recover(out, warn)  # drops generations older than the previous one
    return runner.summary


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
    corpus.publish_links(out, gen.number, corpus._published_names(gen.dir))

"""The plan: the pipeline as data, built from the config.

Every engine runs the same plan: the local engine (``engine/local.py``) on one machine, the Ray
engine (``engine/ray.py``) on a cluster.  A step is a *stage* (records in, records out; ``parallel``
when an engine may split its records over workers) or a *barrier* (sees all its input first).
``page_stages`` builds the per-page chain that each worker runs for itself.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from newsfold.config import Config
from newsfold.stages.base import Stage
from newsfold.stages.clean.cleaner import Clean, PageOutlet
from newsfold.stages.clean.rules import Rules
from newsfold.stages.language import Language
from newsfold.stages.segment import Segment
from newsfold.util import available_cores


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # "source", "stage", "barrier" or "sink"
    parallel: bool  # an engine may run it on many workers
    does: str
    module: str

    def to_dict(self) -> dict:
        return asdict(self)


def build_plan(cfg: Config) -> list[Step]:
    """The steps a run of ``cfg`` takes, in order."""
    steps = [
        Step("read", "source", True, "files and folders -> pages; a ledger row per file", "stages/ingest"),
        Step("skip known pages", "stage", False, "pages the corpus holds already -> a ledger row", "stages/ingest/known.py"),
        Step("segment", "stage", True, "a page -> its article copies", "stages/segment.py"),
        Step("clean", "stage", True, "rules: title, captions, widgets, ... -> removals", "stages/clean"),
        Step("language", "stage", True, "each copy's language (ISO 639-1)", "stages/language.py"),
        Step("outlet", "stage", True, "a page's outlet for all its copies", "stages/clean/cleaner.py"),
    ]
    if cfg.clean.learn_boilerplate:
        steps.append(Step("learn boilerplate", "barrier", False, "lines recurring across an outlet's articles",
                          "stages/boilerplate"))
    steps += [
        Step("signatures", "stage", True, "exact keys and MinHash signatures per copy", "stages/dedup/signatures.py"),
        Step("fold", "barrier", False, "LSH pairs (on Ray: the candidates by a shuffle of band keys) + union-find "
             "into the stored duplicate groups", "stages/dedup/fold.py"),
        Step("write", "sink", False, "rows of the next generation (Parquet parts)", "engine/write.py"),
    ]
    if cfg.steps.stories:
        steps.append(Step("stories", "barrier", False, "the streaming story clusterer", "stages/stories"))
    if cfg.steps.entities:
        steps.append(Step("entities", "barrier", True, "NER (parallel) + canonical entities", "stages/entities"))
    steps.append(Step("publish", "sink", False, "seal the generation, commit newsfold.db" if cfg.db else
                      "seal the generation (the commit point: Parquet only, no newsfold.db)", "corpus/"))
    return steps


def page_stages(cfg: Config, rules: Rules | None = None) -> list[Stage]:
    """The stages each page goes through, in order (a worker builds its own)."""
    rules = rules or Rules.load(cfg.clean.rules)
    return [Segment(cfg.segment, rules), Clean(rules, cfg.segment), Language(), PageOutlet()]


def workers(cfg: Config) -> int:
    """The processes for the parallel stages: ``cfg.workers``, or every core this process may use."""
    return cfg.workers or available_cores()

"""The Ray engine: the same plan as the local engine, its parallel stages run on a Ray cluster.

``run`` joins the cluster at ``address`` (``ray start --head`` on one machine, ``ray start
--address=HEAD:6379`` on the others), or starts a local one with ``config.workers`` CPUs (default:
every core), and hands ``engine.local.run`` a ``RayExecutor``.  Everything else is the local engine:
the barriers (learned boilerplate, union-find and canonical copies, stories, entity canonicalisation),
writing the Parquet parts (but the new copies' own, see below) and the commit on the driver, so a corpus
built on Ray is the one the local engine builds, and either engine can add to a corpus the other built.

What goes to the cluster: reading files (Ray tasks on the driver's node), the page stages (segment,
clean, language, outlet) over chunks of pages, the signatures over batches of spooled copies, NER over
batches of text pieces (``EntityExtractor(map=...)``), and the LSH candidates among the new copies as a
shuffle of band keys (``lsh_candidates``: map tasks bucket each band key by hash, reduce tasks pair the
rows sharing a key; the driver verifies the pairs and folds), and, from ``PARTS_MIN_ROWS`` new copies,
their rows (copies, removals, new articles) built and written as Parquet parts by Ray tasks on the
driver's node, one per chunk of the spool (``part_writers``; ``write.ChunkParts``): they write into the
generation's folder, which only the driver's node is sure to see; the driver replays their ledger
rows in order.  Each map call starts one actor per worker
from the task (shipped once, ``ray.put``), so a ``PageWork`` builds its stages, and a ``PieceNer`` loads
its spaCy model, once per actor; items go round-robin, at most ``2 x actors`` in flight, and come back
in input order.

This is the only module that imports ``ray`` (``pip install 'newsfold[ray]'``).
"""
from __future__ import annotations

import logging
import os
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from newsfold.config import Config, DedupConfig
from newsfold.corpus.generation import CorpusError
from newsfold.engine import local
from newsfold.engine.executor import worth_workers
from newsfold.engine.plan import workers as plan_workers
from newsfold.progress import Report
from newsfold.stages.dedup.lsh import candidate_pairs
from newsfold.stages.dedup.shuffle import band_buckets, bucket_codes, codes_to_pairs

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("newsfold")
# below this many new copies the LSH candidates are found on the driver.  Shipping the signatures out and
# the band keys between tasks costs more than sorting them: on one 2-CPU node the shuffle took 4x the
# driver's sort at 20,000 and 100,000 rows and 5x at 300,000 (docs/benchmarks.md, engines); it is meant
# for runs of millions of new copies on several nodes, which could not be measured here.
LSH_MIN_ROWS = 1_000_000
# from this many new copies, pass 3 builds their rows and writes their Parquet parts in Ray tasks, one
# per chunk of the spool (``part_writers``); below it the driver writes them, as the local engine does.
# On one 2-CPU node (shared with another job) the tasks took 5.4 and 6.1 s for the write of 20,000 new
# copies where the driver took 3.7 and 3.8 s (docs/benchmarks.md, engines): they pay only with more
# CPUs on the driver's node, which could not be measured here, so by default only very large runs use them.
PARTS_MIN_ROWS = 1_000_000


class _Worker:
    """An actor holding one task: built once from the shipped task, then called per item."""

    def __init__(self, task: Callable):
        self.task = task

    def call(self, item):
        return self.task(item)


_RemoteWorker = ray.remote(num_cpus=1)(_Worker)
# what a lost worker, node or object raises (a run that meets one stops before its commit)
LOST = (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError, ray.exceptions.NodeDiedError,
        ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError)


class RayExecutor:
    """``map(task, items, min_items)``: ``task(item)`` for each item, in input order, on Ray actors.

    With fewer than ``min_items`` items (or one worker) they run in this process, as on the local
    engine: starting an actor costs about as much as starting a process.  ``workers``: actors per
    map (default: the cluster's CPUs).  ``tasks`` counts the items that ran on the cluster, ``reads``
    the files read by Ray tasks (``map_files``).  The engine also hands ``map`` to NER (one spaCy
    model per actor) and ``lsh_candidates`` to the fold (a shuffle of band keys)."""

    def __init__(self, workers: int | None = None):
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, min(int(workers), cpus) if workers else cpus)
        self.tasks = 0
        self.reads = 0
        self.shuffles = 0  # LSH candidate shuffles run on the cluster (``lsh_candidates``) ...
        self.shuffled = 0  # ... and the rows they took
        self.part_tasks = 0  # chunks of new copies whose parts Ray tasks wrote (``part_writers``)

    def map(self, task: Callable[[T], R], items: Iterable[T], min_items: int = 2) -> Iterator[R]:
        items, parallel = worth_workers(items, self.workers, min_items)
        if not parallel:
            yield from map(task, items)
            return
        shipped = ray.put(task)  # once; each actor deserialises it once
        actors = [_RemoteWorker.remote(shipped) for _ in range(self.workers)]
        try:
            pending: deque = deque()
            for n, item in enumerate(items):
                pending.append(actors[n % len(actors)].call.remote(item))
                self.tasks += 1
                if len(pending) >= 2 * len(actors):
                    yield ray.get(pending.popleft())
            while pending:
                yield ray.get(pending.popleft())
        finally:
            for actor in actors:
                ray.kill(actor)


    def map_files(self, task: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``task(item)`` for each item, in order, as Ray tasks on the driver's own node (reading: the
        input files need only be there), at most one per CPU of that node in flight.  They ask for no
        CPU: the page stages' actors hold the CPUs while files are still being read."""
        return self._on_driver_node(task, items, 0, "reads")

    def part_writers(self, rows: int) -> Callable | None:
        """How pass 3 writes the parts of ``rows`` new copies (``write._write_new``): from
        ``PARTS_MIN_ROWS`` (and two workers), ``task(item)`` for each chunk of the spool as a Ray task of
        one CPU, results in order; below, None (the driver writes them).  The tasks write into the
        generation's folder, so they run on the driver's node (which sees it), on its CPUs."""
        if rows < PARTS_MIN_ROWS or self.workers < 2:
            return None

        def on_tasks(task: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
            return self._on_driver_node(task, items, 1, "part_tasks")

        return on_tasks

    def _on_driver_node(self, task: Callable[[T], R], items: Iterable[T], cpus: float, count: str) -> Iterator[R]:
        """``task(item)`` for each item, in order: Ray tasks of ``cpus`` CPUs on the driver's node (the
        task shipped once), at most one per CPU of that node in flight, each counted in the attribute
        ``count``; in this process when there are fewer than two items or that node has one CPU."""
        node = ray.get_runtime_context().get_node_id()
        node_cpus = int(next((n["Resources"].get("CPU", 1) for n in ray.nodes() if n["NodeID"] == node), 1))
        items, parallel = worth_workers(items, node_cpus, 2)
        if not parallel:
            yield from map(task, items)
            return
        here = NodeAffinitySchedulingStrategy(node_id=node, soft=False)
        shipped = ray.put(task)
        pending: deque = deque()
        for item in items:
            pending.append(_apply.options(scheduling_strategy=here, num_cpus=cpus).remote(shipped, item))
            setattr(self, count, getattr(self, count) + 1)
            if len(pending) >= node_cpus:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())

    def lsh_candidates(self, sigs: np.ndarray, cfg: DedupConfig) -> np.ndarray:
        """The LSH candidate pairs among ``sigs`` (``lsh.candidate_pairs``) as a shuffle on the cluster:
        map tasks take slices of the rows and split their (band, key, row) triples by key into one
        bucket per worker (``shuffle.band_buckets``), reduce tasks each gather one bucket from every map
        and pair the rows that share a band key (``shuffle.bucket_codes``); the driver unions the pairs.
        Fewer than ``LSH_MIN_ROWS`` rows (or one worker): ``candidate_pairs`` here."""
        n = len(sigs)
        if n < LSH_MIN_ROWS or self.workers < 2:
            return candidate_pairs(sigs, cfg)
        parts = self.workers
        step = -(-n // (2 * parts))  # two map tasks per worker
        maps = [_lsh_map.options(num_returns=parts).remote(sigs[s:s + step], s, cfg, parts) for s in range(0, n, step)]
        codes = ray.get([_lsh_reduce.remote(n, *(m[p] for m in maps)) for p in range(parts)])
        self.shuffles += 1
        self.shuffled += n
        return codes_to_pairs(codes, n)


@ray.remote(num_cpus=0)
def _apply(task: Callable, item):
    return task(item)


@ray.remote(num_cpus=1)
def _lsh_map(sigs: np.ndarray, first: int, cfg: DedupConfig, parts: int) -> list[np.ndarray]:
    return band_buckets(sigs, first, cfg, parts)


@ray.remote(num_cpus=1)
def _lsh_reduce(n: int, *buckets: np.ndarray) -> np.ndarray:
    return bucket_codes(list(buckets), n)


def connect(address: str | None, cpus: int) -> bool:
    """Join the cluster at ``address``, or start a local one of ``cpus`` CPUs (no dashboard, quiet);
    nothing when this process is connected already.  Returns whether this call connected."""
    if ray.is_initialized():
        return False
    quiet = dict(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False,
                 configure_logging=True)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never phone home
    if address:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    else:
        ray.init(address="local", num_cpus=cpus, **quiet)
    return True


def run(inputs: Sequence[str | Path], out: str | Path, config: Config | None = None, *,
        warn: Callable[[str], None] | None = None, progress: Report | None = None,
        address: str | None = None) -> local.RunSummary:
    """Add INPUTS to the corpus in OUT, the parallel stages on Ray (same corpus as the local engine).

    ``address``: a running cluster (``HOST:PORT``); default: a local cluster of ``config.workers``
    CPUs (every core), shut down at the end.  A process already connected to Ray uses that cluster."""
    cfg = (config or Config()).validate()  # ConfigError before a cluster starts
    started = connect(address, plan_workers(cfg))
    try:
        executor = RayExecutor(cfg.workers)
        return local.run(inputs, out, cfg, warn=warn, progress=progress, executor=executor, engine="ray")
    except LOST as exc:  # a worker or node lost (a task's own error is raised as it is): nothing was committed
        raise CorpusError(f"the Ray cluster failed during the run ({type(exc).__name__}: {str(exc)[:500]}); "
                          f"the corpus in {out} is unchanged; run again") from exc
    finally:
        if started:
            ray.shutdown()


__all__ = ["RayExecutor", "connect", "run"]

"""The layering the code promises (ARCHITECTURE.md): stages import no engine, no storage and no
framework; no module imports another's private names; stages have no import cycles; every engine
runs the same plan, and the local engine gives the same corpus on one worker and on two."""
from __future__ import annotations

import ast
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config
from newsfold.engine.plan import build_plan, page_stages
from newsfold.stages.base import Barrier, Stage

SRC = Path(newsfold.__file__).parent
EXAMPLES = Path(__file__).parent.parent / "examples"
FORBIDDEN_IN_STAGES = ("newsfold.engine", "newsfold.corpus", "newsfold.read", "newsfold.web", "newsfold.cli",
                       "ray", "starlette", "uvicorn", "jinja2", "typer", "rich")


def _modules() -> dict[str, Path]:
    out = {}
    for p in SRC.rglob("*.py"):
        parts = list(p.relative_to(SRC.parent).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every import in the file, at any depth (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
    return found


def test_no_stage_imports_the_engine_the_storage_or_a_framework():
    bad = []
    for mod, path in _modules().items():
        if not mod.startswith("newsfold.stages"):
            continue
        for target, _ in _imports(path):
            if any(target == f or target.startswith(f + ".") for f in FORBIDDEN_IN_STAGES):
                bad.append(f"{mod} imports {target}")
    assert not bad, bad


def test_no_module_imports_another_modules_private_names():
    bad = [f"{mod} imports {target}.{name}" for mod, path in _modules().items()
           for target, name in _imports(path)
           if target.startswith("newsfold") and name and name.startswith("_") and not name.startswith("__")]
    assert not bad, bad


def test_stages_have_no_import_cycles():
    mods = _modules()
    graph = {}
    for mod, path in mods.items():
        if mod.startswith("newsfold.stages"):
            targets = set()
            for target, name in _imports(path):
                full = f"{target}.{name}" if name else target
                targets.add(full if full in mods else target)
            graph[mod] = {t for t in targets if t.startswith("newsfold.stages") and t in mods and t != mod}
    # a package's __init__ re-exports its modules: edges into an __init__ from its own modules are not cycles
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in graph.get(m, ()):
            if m.startswith(t + "."):
                continue
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, cycles


def test_the_plan_is_data_built_from_the_config():
    cfg = Config()
    names = [s.name for s in build_plan(cfg)]
    assert names[:6] == ["read", "skip known pages", "segment", "clean", "language", "outlet"]
    assert {"learn boilerplate", "signatures", "fold", "stories", "entities", "publish"} <= set(names)
    cfg.steps.stories = cfg.steps.entities = False
    cfg.clean.learn_boilerplate = False
    names = [s.name for s in build_plan(cfg)]
    assert "stories" not in names and "entities" not in names and "learn boilerplate" not in names
    for stage in page_stages(Config()):
        assert isinstance(stage, Stage) and stage.parallel
    from newsfold.stages.boilerplate.state import BoilerplateState, LearnBoilerplate
    from newsfold.stages.dedup.fold import FoldDuplicates
    from newsfold.stages.dedup.state import DedupState

    assert isinstance(LearnBoilerplate(cfg.clean, BoilerplateState(), "seg"), Barrier)
    assert isinstance(FoldDuplicates(DedupState(cfg.dedup), cfg.dedup), Barrier)


def _tables(out: Path) -> dict[str, list]:
    return {t: sorted(map(repr, pq.read_table(out / f"{t}.parquet").to_pylist()))
            for t in ("articles", "copies", "ledger", "removals", "boilerplate", "stories", "story_sentences",
                      "entities", "mentions")}


def test_one_worker_and_two_give_the_same_corpus(tmp_path, monkeypatch):
    from newsfold.engine import executor, local

    pools = []
    real = executor.ProcessPoolExecutor
    monkeypatch.setattr(executor, "ProcessPoolExecutor", lambda *a, **kw: pools.append(1) or real(*a, **kw))
    monkeypatch.setattr(local, "PAGES_PER_TASK", 2)  # the example corpus is small: make it many tasks ...
    monkeypatch.setattr(local, "POOL_MIN_TASKS", 1)  # ... and worth a pool
    one = Config(progress=False, workers=1)
    two = Config(progress=False, workers=2)
    one.dedup.batch = two.dedup.batch = 5  # signatures in many batches
    s1 = newsfold.run([EXAMPLES], tmp_path / "one", one)
    assert not pools
    s2 = newsfold.run([EXAMPLES], tmp_path / "two", two)
    assert len(pools) == 2  # the page stages and the signatures ran on a pool
    assert (s1.workers, s2.workers) == (1, 2)
    assert s1.articles == s2.articles > 15 and s1.stories == s2.stories and s1.entities == s2.entities
    assert _tables(tmp_path / "one") == _tables(tmp_path / "two")


def test_boilerplate_observed_in_parts_and_merged_equals_observed_at_once():
    from newsfold.records import Page
    from newsfold.stages.base import Collected, chain
    from newsfold.stages.boilerplate.state import BoilerplateState, LearnBoilerplate

    cfg = Config()
    pages = []
    for i in range(8):
        body = "\n\n".join([f"Harbour story {i}", f"The ferry number {i} left Port Selwyn at dawn with {i * 7} cars "
                            "and a crew that had waited all week for the storm to pass over the bay.",
                            "Tide tables for the week are printed on page nine", "Harbor Times, the voice of the bay"])
        pages.append(Page(source=f"harbor-times/{i}.txt", text=body, kind="text"))
    sink = Collected()
    arts = list(chain(page_stages(cfg), pages, sink))
    whole = LearnBoilerplate(cfg.clean, BoilerplateState(), "seg")
    whole.observe(arts, sink)
    first, second = LearnBoilerplate(cfg.clean, BoilerplateState(), "seg"), LearnBoilerplate(cfg.clean, BoilerplateState(), "seg")
    first.observe(arts[:3], sink)
    second.observe(arts[3:], sink)
    first.merge(second)
    a, b = whole.finish(sink), first.finish(sink)
    assert a.counts == b.counts and len(a.counts) >= 1


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])

"""The README's examples keep working: its output-reading snippets run against a real output folder."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

import newsfold
from newsfold.cli import app
from newsfold.config import Config

REPO = Path(__file__).resolve().parents[1]


def test_readme_opens_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert "newsfold run examples/corpus" in blocks[0]
    assert "pytest" in blocks[1]
    # the test command installs the browser the web UI's tests drive, and CI runs exactly that command
    assert blocks[1].startswith("apt-get update && apt-get install -y chromium chromium-driver && ")
    ci = [ln for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln and not ln.startswith(("#", "set ", "cd ", "export "))]
    assert ci == [blocks[1].strip()]


def test_readme_examples_give_results(tmp_path):
    """Every `newsfold ...` line of "Using it" gives a result on the example corpus."""
    out = tmp_path / "out"
    newsfold.run([REPO / "examples" / "corpus"], out, Config(progress=False))
    runner = CliRunner()
    text = (REPO / "README.md").read_text()
    using = re.findall(r"```bash\n(.*?)```", text.split("## Using it")[1], re.S)[0]
    aid = json.loads(runner.invoke(app, ["search", "ferry", "--out", str(out), "--json"]).output)[0]["article_id"]
    ran = set()
    for line in using.splitlines():
        cmd = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).strip()
        argv = shlex.split(cmd)[1:]
        if not argv or argv[0] in ("run", "serve"):
            continue
        if argv == ["--version"]:
            res = runner.invoke(app, argv)
            assert res.exit_code == 0 and newsfold.__version__ in res.output, res.output
            ran.add("--version")
            continue
        subst = {"DIR": str(out), "ARTICLE_ID": aid}
        argv = [subst.get(a, a) for a in argv] + ["--json"]
        res = runner.invoke(app, argv)
        assert res.exit_code == 0, (line, res.output)
        data = json.loads(res.output)
        assert data, f"README example gives nothing on the example corpus: {line}"
        if isinstance(data, dict) and "ok" in data:
            assert data["ok"], data
        ran.add(argv[0])
    assert ran == {"search", "explain", "stories", "entities", "verify", "plan", "--version"}


def test_readme_python_snippets_run(tmp_path, monkeypatch):
    out = tmp_path / "out" / "example"
    newsfold.run([REPO / "examples" / "corpus"], out, Config(progress=False))
    monkeypatch.chdir(tmp_path)
    text = (REPO / "README.md").read_text()
    snippets = [s for s in re.findall(r"```python\n(.*?)```", text, re.S) if "out/example" in s]
    assert len(snippets) >= 3, "pandas, polars and duckdb examples"
    for code in snippets:
        exec(compile(code, "README.md", "exec"), {})

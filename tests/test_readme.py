"""The README's examples keep working: its output-reading snippets run against a real output folder."""
from __future__ import annotations

import re
from pathlib import Path

import newsfold
from newsfold.config import Config

REPO = Path(__file__).resolve().parents[1]


def test_readme_opens_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert "newsfold run examples/corpus" in blocks[0]
    assert "pytest" in blocks[1]
    assert "pytest" in (REPO / ".ci" / "run").read_text()


def test_readme_python_snippets_run(tmp_path, monkeypatch):
    out = tmp_path / "out" / "example"
    newsfold.run([REPO / "examples" / "corpus"], out, Config(progress=False))
    monkeypatch.chdir(tmp_path)
    text = (REPO / "README.md").read_text()
    snippets = [s for s in re.findall(r"```python\n(.*?)```", text, re.S) if "out/example" in s]
    assert len(snippets) >= 3, "pandas, polars and duckdb examples"
    for code in snippets:
        exec(compile(code, "README.md", "exec"), {})

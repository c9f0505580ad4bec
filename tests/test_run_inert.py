"""`newsfold run` prints hostile input (file names, outlets, record text) with control characters
escaped: no ESC or OSC sequence from the input reaches the terminal."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsfold.cli import app

EVIL_OUTLET = "\u001b[2J\u001b]0;pwned\u0007Evil"
BODY = ("The harbor council voted on Tuesday to open a new ferry route between the old port and the "
        "northern islands, ending a two-year dispute over funding and docking rights. ") * 3


def test_run_warnings_errors_and_summary_show_control_characters_escaped(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    records = [{"id": "r1", "title": "Ferry \u001b[31mroute", "outlet": EVIL_OUTLET, "text": BODY},
               {"id": "r2\u001b]0;x\u0007", "outlet": EVIL_OUTLET, "text": 5}]  # a bad record: a warning
    (src / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n{not json \u001b[2J\n")
    (src / "\u001b[2Jevil\u001b]0;pwned\u0007.txt").write_text("")  # empty: a warning naming the file
    (src / "bin\u001b[5m.txt").write_bytes(b"\x00\x01\x02\xff" * 200)  # binary: another
    out = tmp_path / "out\u001b[2J"
    res = CliRunner().invoke(app, ["run", str(src), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "warning:" in res.output and "distinct articles" in res.output
    assert "\x1b" not in res.output and "\x07" not in res.output
    assert "\\x1b[2Jevil" in res.output  # the name is shown, made visible


def test_run_error_shows_control_characters_escaped(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    bad = tmp_path / "rules\u001b]0;pwned\u0007.toml"
    bad.write_text("[[line]]\nname = 'x'\npattern = '(unclosed'\n")
    res = CliRunner().invoke(app, ["run", str(src), "--out", str(tmp_path / "out"), "--no-progress",
                                   "--rules", str(bad)])
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and "\x1b" not in res.output and "\x07" not in res.output

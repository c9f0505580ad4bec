"""The CLI's read commands: types refused with the valid ones, plurals, one-line errors, and input text
made inert before it reaches a terminal (while --json stays exact)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsfold.cli import app

REPO = Path(__file__).resolve().parents[1]
EVIL = "\u001b[2J\u001b]0;pwned\u0007Evil"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ex") / "out"
    assert CliRunner().invoke(app, ["run", str(REPO / "examples" / "corpus"), "--out", str(out), "--no-progress"]).exit_code == 0
    return out


def test_entities_type_is_case_insensitive_and_unknown_types_are_refused(example):
    runner = CliRunner()
    places = json.loads(runner.invoke(app, ["entities", "--out", str(example), "--type", "place", "--json"]).output)
    assert places and {e["type"] for e in places} == {"PLACE"}
    assert [e["name"] for e in places] == [e["name"] for e in json.loads(
        runner.invoke(app, ["entities", "--out", str(example), "--type", "PLACE", "--json"]).output)]
    res = runner.invoke(app, ["entities", "--out", str(example), "--type", "LOC"])
    assert res.exit_code == 2
    assert "unknown entity type 'LOC'" in res.output and "PERSON, ORG, PLACE" in res.output


def test_counts_are_written_with_plurals(example):
    runner = CliRunner()
    one = runner.invoke(app, ["entities", "--out", str(example), "--limit", "1"])
    assert "1 entity of " in one.output and "1 entities" not in one.output
    aid = json.loads(runner.invoke(app, ["search", "turboprops", "--out", str(example), "--json"]).output)[0]["article_id"]
    res = runner.invoke(app, ["explain", aid, "--out", str(example)])
    assert "1 copy" in res.output and "1 copies" not in res.output
    res = runner.invoke(app, ["search", "turboprops", "--out", str(example)])
    assert "1 result for" in res.output


def test_verify_on_a_missing_folder_says_so_in_one_line(tmp_path):
    res = CliRunner().invoke(app, ["verify", "--out", str(tmp_path / "nothing-here")])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "does not exist" in res.output


def test_read_commands_print_input_text_inert(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    body = ("The ferry council met on Tuesday in Port Selwyn to discuss the new ferry timetable for the islands.\n\n"
            "Mira Oduya said the first crossings would start in spring with four return trips a day.")
    (src / "evil.jsonl").write_text(json.dumps({"id": "r1", "title": f"Ferry {EVIL} title", "text": body,
                                                "outlet": EVIL, "date": "2026-03-03"}) + "\n", "utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(src), "--out", str(out), "--no-progress"]).exit_code == 0
    hits = json.loads(runner.invoke(app, ["search", "ferry", "--out", str(out), "--json"]).output)
    assert hits[0]["outlet"] == EVIL, "--json stays exact"
    aid = hits[0]["article_id"]
    stories = json.loads(runner.invoke(app, ["stories", "--out", str(out), "--json"]).output)
    for argv in (["search", "ferry"], ["explain", aid], ["stories"], ["stories", "--story", stories[0]["story_id"]],
                 ["entities"], ["entities", "--query", "Mira Oduya"]):
        res = runner.invoke(app, [*argv, "--out", str(out)])
        assert res.exit_code == 0, (argv, res.output)
        assert "\x1b" not in res.output and "\x07" not in res.output, argv
    res = runner.invoke(app, ["explain", aid, "--out", str(out)])
    assert "\\x1b]0;pwned\\x07Evil" in res.output, "the control characters are shown escaped"

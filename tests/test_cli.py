"""End-to-end tests of the command line on a temporary folder, and checks that the CLI is documented."""
from __future__ import annotations

import json
import re
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from newsfold.cli import app
from newsfold.read import Corpus

REPO = Path(__file__).resolve().parents[1]

PAGE_A = """Harbor Council Approves New Ferry Route

Ferry at the harbor pier (AFP)
Ferry at the harbor pier (AFP)
12

Harbor Council Approves New Ferry Route

The harbor council voted on Tuesday to open a new ferry route between the old port and the northern islands, ending a two-year dispute over funding and docking rights.

Council chair Mira Oduya said the first crossings would start in the spring, with four return trips a day and reduced fares for students and pensioners.

The vote passed by nine to two. Opponents said the route would strain the old pier, which has not been repaired since the storm of 2019.

Read more: Harbor budget in numbers

3 Comments
Tom_B
Finally! About time the council did something.
"""

PAGE_B = PAGE_A.replace("\n12\n", "\n57\n")  # the same article scraped again, another share count


def _corpus(tmp_path: Path) -> Path:
    src = tmp_path / "scrape"
    src.mkdir()
    (src / "a.txt").write_text(PAGE_A, "utf-8")
    (src / "b.txt").write_text(PAGE_B, "utf-8")
    (src / "empty.txt").write_text("", "utf-8")
    return src


def test_run_search_explain(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(_corpus(tmp_path)), "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "distinct articles" in res.output and "duplicate groups" in res.output and "seconds: read" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["pages"], summary["copies"], summary["articles"], summary["duplicate_groups"]) == (2, 2, 1, 1)
    assert summary["dropped"].get("empty") == 1

    res = runner.invoke(app, ["search", "ferry route", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    hits = json.loads(res.output)
    assert [h["title"] for h in hits] == ["Harbor Council Approves New Ferry Route"]
    aid = hits[0]["article_id"]

    assert hits[0]["n_copies"] == 2 and "ferry" in hits[0]["snippet"].lower()
    res = runner.invoke(app, ["explain", aid, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["n_copies"] == 2 and len(data["copies"]) == 2
    assert data["captions"] == ["Ferry at the harbor pier (AFP)"], "captions are a list, not JSON in a string"
    assert {c["source"].rsplit("/", 1)[-1] for c in data["copies"]} == {"a.txt", "b.txt"}
    assert sorted(c["match"] for c in data["copies"]) == ["canonical", "exact"]
    assert data["text"].startswith("The harbor council voted on Tuesday") and "Tom_B" not in data["text"]
    removed = {ln["text"]: ln["rule"] for c in data["copies"] for ln in c["lines"] if ln["status"] == "removed"}
    assert removed["12"] == "counter" and removed["57"] == "counter"
    assert removed["Read more: Harbor budget in numbers"] == "read_more"
    assert removed["Finally! About time the council did something."] == "comment_thread"
    assert removed["Ferry at the harbor pier (AFP)"] == "caption_credit"

    res = runner.invoke(app, ["explain", aid[:8], "--out", str(out)])
    assert res.exit_code == 0 and "comment_thread" in res.output


def test_search_survives_hostile_queries(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(_corpus(tmp_path)), "--out", str(out), "--no-progress"]).exit_code == 0
    for q in ['"unbalanced', "ferry AND (", "NEAR(", "col:ferry", "'; DROP TABLE articles; --"]:
        res = runner.invoke(app, ["search", q, "--out", str(out), "--json"])
        assert res.exit_code == 0, (q, res.output)
        json.loads(res.output)


def test_nothing_readable_exits_non_zero(tmp_path):
    src = tmp_path / "bad"
    src.mkdir()
    (src / "blob.bin").write_bytes(bytes(range(256)) * 64)
    res = CliRunner().invoke(app, ["run", str(src), "--out", str(tmp_path / "out"), "--no-progress"])
    assert res.exit_code == 1
    assert "nothing could be read" in res.output


def test_every_command_has_help():
    group = typer.main.get_group(app)
    assert group.commands, "the CLI has commands"
    for name, cmd in group.commands.items():
        assert (cmd.help or "").strip(), f"command {name!r} lacks help text"
        for p in cmd.params:
            if p.name not in ("help",):
                assert getattr(p, "help", None), f"{name} {p.name} lacks help text"


def test_readme_mentions_every_command():
    readme = (REPO / "README.md").read_text()
    for name in typer.main.get_group(app).commands:
        assert re.search(rf"newsfold {name}\b", readme), f"README does not show `newsfold {name}`"


def test_stories_and_entities_commands(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(REPO / "examples" / "corpus"), "--out", str(out), "--no-progress"]).exit_code == 0

    res = runner.invoke(app, ["stories", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    stories = json.loads(res.output)
    assert stories == sorted(stories, key=lambda s: -s["n_articles"])
    biggest = [s for s in stories if len(s["outlets"]) >= 3]
    assert biggest, "the example corpus has events told by three or more outlets"

    assert all(s["n_articles"] >= len(s["outlets"]) for s in stories)
    assert stories == Corpus(out).stories(sort="biggest")["items"], "the CLI prints the read side's dicts"

    res = runner.invoke(app, ["stories", "--out", str(out), "--story", biggest[0]["story_id"], "--json"])
    assert res.exit_code == 0, res.output
    story = json.loads(res.output)
    assert story == json.loads(json.dumps(Corpus(out).story(biggest[0]["story_id"])))
    assert story["story_id"] == biggest[0]["story_id"] and len(story["articles"]) == story["n_articles"]
    assert {a["outlet"] for a in story["articles"]} - {None} == set(story["outlets"])
    assert story["shared"] and all(len(s["outlets"]) >= 2 for s in story["shared"])
    assert all(set(s["articles"]) <= set(story["article_ids"]) for s in story["shared"])
    assert {c["outlet"] for c in story["alone"]} <= set(story["outlets"]) | set(story["article_ids"])
    assert sorted(a["article_id"] for lane in story["timeline"] for a in lane["articles"]) == sorted(story["article_ids"])

    res = runner.invoke(app, ["entities", "--out", str(out), "--query", "Dorofeev", "--json"])
    assert res.exit_code == 0, res.output
    [ent] = json.loads(res.output)
    forms = {f["form"] for f in ent["surface_forms"]}
    assert {"Dorofeev", "Dorofeyev"} & forms and len(forms) >= 2

    res = runner.invoke(app, ["entities", "--out", str(out), "--entity", ent["entity_id"], "--json"])
    assert res.exit_code == 0, res.output
    view = json.loads(res.output)
    assert view["entity"]["entity_id"] == ent["entity_id"]
    arts = view["articles"]["items"]
    assert len(arts) == view["articles"]["total"] == ent["n_articles"]
    assert all(any(m["surface"] in forms for m in a["mentions"]) for a in arts)
    assert {s["story_id"] for s in view["stories"]} == {a["story_id"] for a in arts if a["story_id"]}
    assert view["cooccurring"] and ent["entity_id"] not in {x["entity_id"] for x in view["cooccurring"]}

    res = runner.invoke(app, ["entities", "--out", str(out), "--entity", "No Such Person"])
    assert res.exit_code == 1


def test_user_rules_file_extends_the_packaged_rules(tmp_path):
    rules = tmp_path / "mine.toml"
    rules.write_text('[[line]]\nname = "harbor_promo"\npattern = "Download the Harbor app.*"\naction = "drop"\n')
    src = tmp_path / "scrape"
    src.mkdir()
    (src / "a.txt").write_text(PAGE_A.replace("Read more:", "Download the Harbor app for alerts\n\nRead more:"), "utf-8")
    runner = CliRunner()
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(src), "--out", str(out), "--no-progress", "--rules", str(rules)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["search", "ferry", "--out", str(out), "--json"])
    aid = json.loads(res.output)[0]["article_id"]
    data = json.loads(runner.invoke(app, ["explain", aid, "--out", str(out), "--json"]).output)
    line = next(ln for ln in data["copies"][0]["lines"] if ln["text"].startswith("Download the Harbor app"))
    assert line["status"] == "removed" and line["rule"] == "harbor_promo" and str(rules) in line["detail"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[line]]\nname = "oops"\npattern = "([unclosed"\n')
    res = runner.invoke(app, ["run", str(src), "--out", str(tmp_path / "o2"), "--no-progress", "--rules", str(bad)])
    assert res.exit_code == 2 and "bad pattern" in res.output

"""Settings are checked when loaded (TOML and Python): type and range of every setting, one line
per problem, and the CLI exits 2 before anything is written."""
from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

import newsfold
from newsfold.cli import app
from newsfold.config import Config, ConfigError

BODY = ("The harbor council voted on Tuesday to open a new ferry route between the old port and the "
        "northern islands, ending a two-year dispute over funding and docking rights. ") * 3


def _errors(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        Config.from_dict(data)
    return exc.value.errors


@pytest.mark.parametrize("value", [2.0, math.nan, math.inf, -1, 0, -0.5])
def test_dedup_threshold_out_of_range_is_refused(value):
    (err,) = _errors({"dedup": {"threshold": value}})
    assert err.startswith("dedup.threshold = ")


@pytest.mark.parametrize("value", [0.5, 1, 1.0, 0.8])
def test_dedup_threshold_in_range_is_taken(value):
    assert Config.from_dict({"dedup": {"threshold": value}}).dedup.threshold == value


def test_steps_stories_no_is_refused_not_taken_as_on():
    assert _errors({"steps": {"stories": "no"}}) == ["steps.stories = 'no': must be true or false, not a string"]
    assert Config.from_dict({"steps": {"stories": False}}).steps.stories is False


def test_wrong_types_are_listed_one_line_each():
    errs = _errors({"dedup": {"shingle": "5", "num_perm": 1.5}, "workers": -2, "segment": [1],
                    "stories": {"weights": {"body": "x"}, "title_from": ["title", "byline"]},
                    "entities": {"labels": {"PERSON": "HUMAN"}, "batch_size": True},
                    "reader": {"jsonl": {"text": ""}}, "nope": 1})
    joined = "\n".join(errs)
    for name in ("dedup.shingle", "dedup.num_perm", "workers", "segment = [1]", "stories.weights",
                 "stories.title_from", "entities.labels", "entities.batch_size", "reader.jsonl.text", "nope"):
        assert name in joined, name
    assert len(errs) == 10 and all("\n" not in e for e in errs)


def test_bands_times_rows_beyond_num_perm_is_refused():
    assert _errors({"dedup": {"bands": 64, "rows": 16}}) == [
        "dedup.bands * dedup.rows = 1024: must be <= dedup.num_perm (512)"]


def test_defaults_and_saved_config_json_pass():
    cfg = Config()
    assert cfg.errors() == []
    import json
    assert Config.from_dict(json.loads(json.dumps(cfg.to_dict()))).to_dict() == cfg.to_dict()


def test_python_run_with_bad_settings_raises_before_writing(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    cfg = Config()
    cfg.dedup.threshold = 2.0
    cfg.steps.entities = "no"
    with pytest.raises(ConfigError) as exc:
        newsfold.run([src], tmp_path / "out", cfg)
    assert len(exc.value.errors) == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("toml, expect", [
    ("[dedup]\nthreshold = 2.0\n", "dedup.threshold = 2.0: must be > 0 and <= 1"),
    ("[dedup]\nthreshold = nan\n", "dedup.threshold = nan: must be a finite number"),
    ("[steps]\nstories = \"no\"\n", "steps.stories = 'no': must be true or false"),
    ("[dedup]\nshingle = \"five\"\n", "dedup.shingle = 'five': must be a whole number"),
    ("dedup = 3\n", "dedup = 3: must be a table"),
    ("[dedup\n", "not valid TOML"),
])
def test_cli_bad_config_exits_2_with_one_line_and_writes_nothing(tmp_path, toml, expect):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    conf = tmp_path / "bad.toml"
    conf.write_text(toml)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(src), "--out", str(out), "--config", str(conf), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert expect in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("value", ["nan", "2", "-1", "0"])
def test_cli_threshold_option_is_checked(tmp_path, value):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    res = CliRunner().invoke(app, ["run", str(src), "--out", str(tmp_path / "out"), "--threshold", value, "--no-progress"])
    assert res.exit_code == 2 and "dedup.threshold" in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_a_setting_newer_than_the_corpus_counts_as_its_default(tmp_path):
    import json

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(BODY)
    cfg = Config(progress=False)
    cfg.steps.stories = cfg.steps.entities = False
    newsfold.run([src], tmp_path / "out", cfg)
    (saved,) = (tmp_path / "out" / ".gens").glob("*/config.json")
    data = json.loads(saved.read_text())
    del data["workers"]  # as a corpus written before the setting existed
    saved.write_text(json.dumps(data))
    from newsfold.corpus import manifest
    manifest.write(saved.parent, int(saved.parent.name), None)  # sealed so by that older version
    (src / "b.txt").write_text(BODY.replace("harbor", "river"))
    assert newsfold.run([src], tmp_path / "out", cfg).pages == 1  # the default: accepted
    cfg.workers = 2  # how many processes run the stages changes no result: accepted
    (src / "c.txt").write_text(BODY.replace("harbor", "canal"))
    assert newsfold.run([src], tmp_path / "out", cfg).pages == 1
    cfg.dedup.threshold = 0.9  # a setting that changes results: refused
    (src / "d.txt").write_text(BODY.replace("harbor", "bridge"))
    from newsfold.corpus.generation import CorpusError
    with pytest.raises(CorpusError, match="dedup"):
        newsfold.run([src], tmp_path / "out", cfg)

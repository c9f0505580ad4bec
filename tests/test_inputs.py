"""Inputs as a user means them: a folder is read for page formats only, globs choose otherwise, and
plain-text pages take their outlet and date from where they were put."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import newsfold
from newsfold.config import Config, ReaderConfig
from newsfold.corpus.generation import CorpusError
from newsfold.stages.ingest import read_inputs

from seeds_expected import TITLES

REPO = Path(__file__).resolve().parents[1]


def _cfg() -> Config:
    cfg = Config(progress=False)
    cfg.steps.entities = False
    return cfg


def _read(inputs, cfg: ReaderConfig | None = None):
    ledger, warnings = [], []
    pages = list(read_inputs(inputs, cfg or ReaderConfig(), ledger.append, warnings.append))
    return pages, {e.source: e for e in ledger if e.level == "file"}, warnings


def _seeds_with_sidecars(seeds_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "scrape"
    shutil.copytree(seeds_dir, d)
    (d / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n" * 3)
    (d / "README.md").write_text("# Scrape of 2026-03\n\nThese pages were fetched by our crawler; see meta.info for URLs.\n")
    (d / "meta.info").write_text(json.dumps({"000.html.gz": {"url": "https://example.org/a", "crawl_date": "2026-03-01"}}, indent=2))
    (d / "Outlet.json").write_text(json.dumps({"V1": {"authors": ["A. Writer"], "body": {"paragraphs": ["Some text."]}}}, indent=2))
    return d


def test_a_folder_of_seeds_and_sidecar_files_gives_the_seven_articles_and_nothing_else(seeds_dir, tmp_path):
    d = _seeds_with_sidecars(seeds_dir, tmp_path)
    warnings: list[str] = []
    s = newsfold.run([d], tmp_path / "out", _cfg(), warn=warnings.append)
    arts = pq.read_table(tmp_path / "out" / "articles.parquet").to_pylist()
    assert sorted(a["title"] for a in arts) == sorted(TITLES.values())
    assert (s.pages, s.articles, s.dropped) == (5, 7, {})
    assert s.skipped_files == {"not a page format": 4}
    ledger = {r["source"]: r for r in pq.read_table(tmp_path / "out" / "ledger.parquet").to_pylist() if r["level"] == "file"}
    for name in ("LICENSE", "README.md", "meta.info", "Outlet.json"):
        assert (ledger[f"scrape/{name}"]["status"], ledger[f"scrape/{name}"]["reason"]) == ("skipped", "not a page format")
    assert warnings == []


def test_include_and_exclude_globs(tmp_path):
    d = tmp_path / "scrape"
    (d / "drafts").mkdir(parents=True)
    body = "The harbour reopened on Monday after a week of repairs to the northern quay.\n"
    (d / "notes.md").write_text(body)
    (d / "story.txt").write_text(body.replace("Monday", "Tuesday"))
    (d / "drafts" / "draft.txt").write_text(body.replace("Monday", "Friday"))
    pages, files, _ = _read([d], ReaderConfig(include=["*.md"], exclude=["drafts/*"]))
    assert [p.source for p in pages] == ["scrape/notes.md", "scrape/story.txt"]
    assert (files["scrape/drafts/draft.txt"].status, files["scrape/drafts/draft.txt"].reason) == ("skipped", "excluded")
    pages, files, _ = _read([d])  # the defaults: .md is not a page format
    assert [p.source for p in pages] == ["scrape/drafts/draft.txt", "scrape/story.txt"]
    assert files["scrape/notes.md"].reason == "not a page format"


def test_include_and_exclude_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from newsfold.cli import app

    d = tmp_path / "scrape"
    d.mkdir()
    text = ("The harbour reopened on Monday after a week of repairs to the northern quay, the port said, "
            "and the first ferries docked there in the evening. ") * 3
    (d / "notes.md").write_text("Harbour reopens\n\n" + text)
    (d / "story.txt").write_text("Council votes\n\n" + text.replace("harbour", "council hall"))
    res = CliRunner().invoke(app, ["run", str(d), "--out", str(tmp_path / "out"), "--no-progress",
                                   "--include", "*.md", "--exclude", "story.*", "--config", str(_no_steps(tmp_path))])
    assert res.exit_code == 0, res.output
    sources = {r["source"] for r in pq.read_table(tmp_path / "out" / "copies.parquet").to_pylist()}
    assert sources == {"scrape/notes.md"}


def _no_steps(tmp_path: Path) -> Path:
    p = tmp_path / "steps.toml"
    p.write_text("[steps]\nstories = false\nentities = false\n")
    return p


def test_json_file_is_read_as_records_only_when_it_holds_objects_with_a_text_field(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    rec = {"text": "The harbour reopened on Monday after repairs.", "title": "Harbour reopens"}
    (d / "array.json").write_text(json.dumps([rec, {"text": "A second record about the quay."}]))
    (d / "lines.json").write_text(json.dumps(rec) + "\n")
    (d / "meta.json").write_text(json.dumps({"crawl": {"date": "2026-03-01"}}, indent=2))
    (d / "oneline.json").write_text(json.dumps({"url": "https://example.org"}) + "\n")
    (d / "list.json").write_text(json.dumps([1, 2, 3]))
    # an index beside the pages (as fundus_index.jsonl): records, but none with the text field
    (d / "index.jsonl").write_text("".join(json.dumps({"file": f"{i}.html.gz", "body_text": "..."}) + "\n" for i in range(3)))
    pages, files, warnings = _read([d])
    assert [p.source for p in pages] == ["in/array.json#1", "in/array.json#2", "in/lines.json#1"]
    for name in ("meta.json", "oneline.json", "list.json", "index.jsonl"):
        assert (files[f"in/{name}"].status, files[f"in/{name}"].reason) == ("skipped", "not a page format"), name
    assert warnings == []


def test_outlet_and_date_from_the_path_of_the_example_corpus(tmp_path):
    pages, _, _ = _read([REPO / "examples" / "corpus"])
    by = {p.source: p for p in pages}
    ledger = by["corpus/meridian-ledger/2026-03-03.txt"]
    assert (ledger.path_outlet, ledger.published) == ("meridian-ledger", "2026-03-03")
    harbor = by["corpus/harbor-times/2026-03-02-wadi-sarim-dam.txt"]
    assert (harbor.path_outlet, harbor.published) == ("harbor-times", "2026-03-02")
    salt = by["corpus/saltmarsh-gazette/channel-dredging.txt"]
    assert (salt.path_outlet, salt.published) == ("saltmarsh-gazette", None)
    html = by["corpus/coastal-observer/2026/03/04/wadi-sarim-evacuees.html"]
    assert (html.outlet, html.published) == ("The Coastal Observer", "2026-03-04")  # its meta tags name them
    # the outlet folder given as the input folder: the dated file name still names it
    pages, _, _ = _read([REPO / "examples" / "corpus" / "meridian-ledger"])
    assert {(p.path_outlet, p.published) for p in pages} == {
        ("meridian-ledger", "2026-03-03"), ("meridian-ledger", "2026-03-04"), ("meridian-ledger", "2026-03-05")}


def test_path_outlet_fills_only_what_the_page_does_not_name(tmp_path):
    d = tmp_path / "in" / "coastal-observer" / "2026" / "03" / "04"
    d.mkdir(parents=True)
    text = ("The harbour reopened on Monday after a week of repairs to the northern quay, the port said, "
            "and the first ferries docked there in the evening. ") * 3
    (d / "quay.txt").write_text("Harbour Reopens After Repairs\n\n" + text)
    named = tmp_path / "in" / "harbor-times"
    named.mkdir()
    (named / "2026-03-02-strike.txt").write_text("Dockworkers Walk Out\n\n" + text.replace("harbour", "dock")
                                                 + "\nFollow The Harbor Times\n")
    newsfold.run([tmp_path / "in"], tmp_path / "out", _cfg())
    arts = {a["title"]: a for a in pq.read_table(tmp_path / "out" / "articles.parquet").to_pylist()}
    assert (arts["Harbour Reopens After Repairs"]["outlet"], arts["Harbour Reopens After Repairs"]["published"]) == (
        "coastal-observer", "2026-03-04")
    # a line of the page names the outlet: that wins over the folder name; the date still comes from the name
    assert (arts["Dockworkers Walk Out"]["outlet"], arts["Dockworkers Walk Out"]["published"]) == (
        "The Harbor Times", "2026-03-02")
    # a flat folder of pages names no outlet
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "000_page.txt").write_text("Harbour Reopens After Repairs\n\n" + text)
    (page,), _, _ = _read([flat])
    assert (page.path_outlet, page.published) == (None, None)


# --- small ones (issue 15, item 10) ------------------------------------------------------------

TEXT = ("The harbour reopened on Monday after a week of repairs to the northern quay, the port said, "
        "and the first ferries docked there in the evening. ")


def test_out_equal_to_or_inside_the_input_folder_is_not_read_again(tmp_path):
    # --out equal to a folder of the user's pages is refused before anything is written (the folder is
    # not a corpus); --out inside the input folder works, and the corpus is never read as input
    d = tmp_path / "scrape"
    d.mkdir()
    (d / "one.txt").write_text("Harbour Reopens\n\n" + TEXT * 3)
    with pytest.raises(CorpusError, match="not a newsfold corpus"):
        newsfold.run([d], d, _cfg())
    assert sorted(p.name for p in d.iterdir()) == ["one.txt"]
    out = d / "corpus"
    first = newsfold.run([d], out, _cfg())
    assert first.files == 1 and first.skipped_files == {}
    (d / "two.txt").write_text("Council Votes\n\n" + TEXT.replace("harbour", "town hall") * 3)
    second = newsfold.run([d], out, _cfg())
    # only the user's pages: nothing from the corpus (links, parts, database, json) is read or listed
    assert second.files == 2 and second.skipped_files == {} and second.dropped == {}, second
    ledger = pq.read_table(out / "ledger.parquet").to_pylist()
    assert {r["source"] for r in ledger if r["level"] == "file"} <= {"scrape/one.txt", "scrape/two.txt"}


def test_one_nul_byte_drops_the_byte_not_the_page(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "page.txt").write_bytes(("Harbour Reopens\n\n" + TEXT).encode() + b"\x00" + TEXT.encode())
    (d / "page.html").write_bytes(b"<html><head><title>Harbour</title></head><body><article><p>"
                                  + (TEXT * 2).encode() + b"\x00</p><p>" + (TEXT * 2).encode() + b"</p></article></body></html>")
    pages, files, warnings = _read([d])
    assert [p.source for p in pages] == ["in/page.html", "in/page.txt"]
    assert "\x00" not in pages[1].text and pages[1].text.endswith(TEXT.strip()) and "evening. The" in pages[1].text
    for name in ("page.txt", "page.html"):
        e = files[f"in/{name}"]
        assert e.status == "kept" and "1 NUL byte dropped" in e.detail, e
    assert warnings == []


def test_mixed_utf8_and_latin1_lines_are_decoded_per_line(tmp_path):
    utf8 = ["Le café de la gare a rouvert ses portes après trois ans de travaux.",
            "Die Brücke über den Fluß wird nächste Woche geöffnet.", "El niño llegó a la estación a las ocho."]
    latin1 = ["Hélène Dupré a déclaré que la mairie était prête.",
              "Señora Muñoz habló con los periodistas en la plaza.", "Der Bürgermeister sagte, die Straße bleibe geschlossen."]
    lines = [x for pair in zip(utf8, latin1) for x in pair]
    f = tmp_path / "mixed.txt"
    f.write_bytes(b"\n".join(line.encode("utf-8" if line in utf8 else "latin-1") for line in lines))
    (page,), files, _ = _read([f])
    assert page.text == "\n".join(lines)
    assert "per line" in files["mixed.txt"].detail


def test_selfdir_symlink_loop_gets_a_ledger_row(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "page.txt").write_text("Harbour Reopens\n\n" + TEXT)
    (d / "selfdir").symlink_to(".")
    pages, files, warnings = _read([d])
    assert [p.source for p in pages] == ["in/page.txt"]
    assert (files["in/selfdir"].status, files["in/selfdir"].reason) == ("dropped", "symlink_loop")
    assert any(w.startswith("in/selfdir:") and "symlink_loop" in w for w in warnings)

"""Bad input: every case is warned about, recorded in the ledger with a reason, and skipped, while
the good files beside it still come out. ``read_inputs`` never raises for a bad file."""
from __future__ import annotations

import gzip
import io
import json
import os
import random
import tracemalloc
from pathlib import Path

import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import newsfold.stages.ingest.files as files_mod
from newsfold.config import ReaderConfig
from newsfold.stages.ingest import read_inputs

GOOD_TEXT = "A good plain-text article about the harbour.\n\nIt has two paragraphs.\n"
GOOD_HTML = """<html><head><title>Council approves new bridge</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Council approves new bridge</h1>
<p>The city council approved the construction of a new bridge over the river on Tuesday evening after a long debate.</p>
<p>Work is expected to start next spring and to take about two years, according to the city's planning department.</p>
</article><footer>All rights reserved.</footer></body></html>"""


def read(inputs, cfg: ReaderConfig | None = None):
    ledger, warnings = [], []
    pages = list(read_inputs(inputs, cfg or ReaderConfig(), ledger.append, warnings.append))
    return pages, ledger, warnings


def entry(ledger, source: str, level: str = "file"):
    found = [e for e in ledger if e.source == source and e.level == level]
    assert len(found) == 1, (source, level, found)
    return found[0]


def warned(warnings, source: str, reason: str) -> bool:
    return any(w.startswith(source + ":") and reason in w and "\n" not in w for w in warnings)


def jline(obj) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def test_bad_files_beside_good_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "mixed"
    d.mkdir()
    rng = random.Random(0)
    (d / "01_good.txt").write_text(GOOD_TEXT)
    (d / "02_good.html").write_text(GOOD_HTML)
    (d / "03_binary.dat").write_bytes(b"\x00\x01\x02binary\x00" * 100)
    (d / "04_controls.txt").write_bytes(bytes(rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 65, 66]) for _ in range(4000)))
    (d / "05_undecodable.txt").write_bytes(bytes(rng.choice(list(range(0x80, 0x100)) + [32, 97]) for _ in range(4000)))
    (d / "06_empty.txt").write_bytes(b"")
    (d / "07_blank.html").write_text("  \n\n\t \n")
    # a gzip of three members (one line each), cut inside the third: two lines are recovered
    members = [gzip.compress(jline({"text": f"Recovered story number {i}.", "id": i})) for i in (1, 2, 3)]
    (d / "08_truncated.jsonl.gz").write_bytes(members[0] + members[1] + members[2][: len(members[2]) // 2])
    noise = " ".join(f"{rng.getrandbits(32):08x}" for _ in range(3000)).encode()
    compressed = gzip.compress(noise)
    (d / "09_truncated.txt.gz").write_bytes(compressed[: len(compressed) // 2])
    (d / "10_bad_lines.jsonl").write_bytes(
        jline({"text": "Good line one."}) + b"{not json\n" + jline([1, 2]) + jline({"title": "no text"})
        + jline({"text": "   "}) + jline({"text": 5}) + b"\n" + jline({"text": "Good line seven."}) + b"\xff\xfe{}\n"
    )
    (d / "11_all_bad.jsonl").write_bytes(b"{oops\n[broken\n")
    plain = "A story compressed with zstd and then damaged.\n".encode() * 50
    damaged = bytearray(zstandard.ZstdCompressor(write_checksum=True).compress(plain))
    damaged[20] ^= 0xFF
    (d / "12_corrupt.txt.zst").write_bytes(bytes(damaged))
    unreadable = d / "13_unreadable.txt"
    unreadable.write_text(GOOD_TEXT)
    unreadable.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the open fail as it would for a user
        real_open = os.open

        def fake_open(path, flags, *args, **kwargs):
            if str(path).endswith("13_unreadable.txt"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(files_mod.os, "open", fake_open)
    (d / "14_nocontent.html").write_text("<html><head><title>x</title></head><body><div></div></body></html>")
    (d / "15_notwarc.warc").write_text("This is not a WARC file at all.\n" * 20)
    (d / "16_doc.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    (d / "17_archive.zip").write_bytes(b"PK\x03\x04" + bytes(200))
    os.mkfifo(d / "18_fifo.txt")
    os.symlink("no_such_target.txt", d / "19_broken_link.txt")
    (d / "20_notgzip.txt.gz").write_text("Plain text with a lying .gz extension.\n")
    (d / "21_binary.txt").write_bytes(b"\x00\x01\x02binary\x00" * 100)

    # in a folder, only page formats are read; named as inputs, .dat/.pdf/.zip are sniffed
    pages, ledger, warnings = read([d, d / "03_binary.dat", d / "16_doc.pdf", d / "17_archive.zip"])

    assert [(p.source, p.kind) for p in pages] == [
        ("mixed/01_good.txt", "text"),
        ("mixed/02_good.html", "html"),
        ("mixed/08_truncated.jsonl.gz#1", "jsonl"),
        ("mixed/08_truncated.jsonl.gz#2", "jsonl"),
        ("mixed/10_bad_lines.jsonl#1", "jsonl"),
        ("mixed/10_bad_lines.jsonl#8", "jsonl"),
        ("mixed/20_notgzip.txt.gz", "text"),
    ]
    assert pages[0].text == GOOD_TEXT.strip()
    assert pages[1].title == "Council approves new bridge" and "Home" not in pages[1].text

    # exactly one file entry per file
    files = [e for e in ledger if e.level == "file"]
    assert len(files) == 24 and len({e.source for e in files}) == 24
    for name in ("03_binary.dat", "16_doc.pdf", "17_archive.zip"):
        e = entry(ledger, f"mixed/{name}")
        assert (e.status, e.reason) == ("skipped", "not a page format"), e
        assert not any(w.startswith(f"mixed/{name}") for w in warnings)

    dropped = {
        "21_binary.txt": "binary",
        "04_controls.txt": "binary",
        "05_undecodable.txt": "undecodable",
        "06_empty.txt": "empty",
        "07_blank.html": "empty",
        "09_truncated.txt.gz": "truncated",
        "11_all_bad.jsonl": "bad_json",
        "12_corrupt.txt.zst": "corrupt",
        "13_unreadable.txt": "unreadable",
        "14_nocontent.html": "no_content",
        "15_notwarc.warc": "bad_warc",
        "18_fifo.txt": "special_file",
        "19_broken_link.txt": "unreadable",
    }
    for name, reason in dropped.items():
        e = entry(ledger, f"mixed/{name}")
        assert (e.status, e.reason) == ("dropped", reason), e
        assert warned(warnings, f"mixed/{name}", reason), (name, warnings)
    for name, reason in {"03_binary.dat": "binary", "16_doc.pdf": "binary", "17_archive.zip": "unsupported"}.items():
        e = entry(ledger, name)
        assert (e.status, e.reason) == ("dropped", reason), e
        assert warned(warnings, name, reason), (name, warnings)

    # the truncated gzip keeps what came before the break, and says so
    e = entry(ledger, "mixed/08_truncated.jsonl.gz")
    assert (e.status, e.reason) == ("kept", "truncated") and "2 pages" in e.detail
    assert entry(ledger, "mixed/08_truncated.jsonl.gz#3", "record").reason == "truncated"
    assert warned(warnings, "mixed/08_truncated.jsonl.gz", "truncated")

    # malformed JSONL lines: one record entry each, the good lines still come out
    e = entry(ledger, "mixed/10_bad_lines.jsonl")
    assert (e.status, e.reason) == ("kept", "")
    records = {x.source.rsplit("#", 1)[1]: x.reason for x in ledger if x.level == "record" and x.source.startswith("mixed/10_")}
    assert records == {"2": "bad_json", "3": "not_object", "4": "missing_text", "5": "empty", "6": "missing_text", "9": "undecodable"}
    assert all(x.status == "dropped" for x in ledger if x.level == "record")
    assert warned(warnings, "mixed/10_bad_lines.jsonl#2", "bad_json")
    assert len([x for x in ledger if x.level == "record" and x.source.startswith("mixed/11_")]) == 2


def test_clipped_warc(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD_TEXT)
    clipped = shared_data / "warc" / "resiliparse_clipped.warc.gz"
    pages, ledger, warnings = read([clipped, tmp_path / "good.txt"])
    assert [p.source for p in pages] == ["good.txt"]
    e = entry(ledger, "resiliparse_clipped.warc.gz")
    assert (e.status, e.reason) == ("dropped", "truncated")
    (rec,) = [x for x in ledger if x.level == "record"]
    assert rec.reason == "truncated" and rec.source.startswith("resiliparse_clipped.warc.gz#urn:uuid:")
    assert warned(warnings, "resiliparse_clipped.warc.gz", "truncated")


def _warc_bytes(n: int, gz: bool) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for i in range(n):
        html = GOOD_HTML.replace("new bridge", f"new bridge number {i}")
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"http://news.example/{i}", "response",
                                                      payload=io.BytesIO(html.encode()), http_headers=headers))
    return buf.getvalue()


@pytest.mark.parametrize("gz", [True, False])
def test_warc_cut_inside_second_record(tmp_path: Path, gz: bool) -> None:
    data = _warc_bytes(2, gz)
    name = "cut.warc.gz" if gz else "cut.warc"
    (tmp_path / name).write_bytes(data[: len(data) - 200])
    pages, ledger, warnings = read([tmp_path / name])
    assert len(pages) == 1 and pages[0].url == "http://news.example/0"
    e = entry(ledger, name)
    assert (e.status, e.reason) == ("kept", "truncated") and "1 page" in e.detail
    (rec,) = [x for x in ledger if x.level == "record"]
    assert rec.reason == "truncated"
    assert warned(warnings, name, "truncated")


def test_jsonl_long_line_is_skipped_to_the_next_newline(tmp_path: Path) -> None:
    f = tmp_path / "long.jsonl"
    f.write_bytes(jline({"text": "short one"}) + jline({"text": "x" * 5000}) + jline({"text": "short three"}))
    pages, ledger, warnings = read([f], ReaderConfig(max_line_bytes=1000))
    assert [p.source for p in pages] == ["long.jsonl#1", "long.jsonl#3"]
    assert entry(ledger, "long.jsonl#2", "record").reason == "too_large"
    assert warned(warnings, "long.jsonl#2", "too_large")


def test_huge_files_without_newline_stay_small_in_memory(tmp_path: Path) -> None:
    """200 MB without a newline, as .txt, .html, .jsonl and .txt.zst: each is refused (too_large)
    while reading holds far less than 200 MB; the good file beside them still comes out."""
    d = tmp_path / "big"
    d.mkdir()
    huge = d / "huge.txt"
    chunk = b"a" * (1 << 20)
    cctx = zstandard.ZstdCompressor(level=1)
    try:
        with open(huge, "wb") as fh, open(d / "huge.txt.zst", "wb") as zfh:
            writer = cctx.stream_writer(zfh)
            for i in range(200):
                block = b'{"text": "' + chunk[10:] if i == 0 else chunk
                fh.write(block)
                writer.write(block)
            writer.flush(zstandard.FLUSH_FRAME)
        os.link(huge, d / "huge.html")
        os.link(huge, d / "huge.jsonl")
        (d / "small.txt").write_text(GOOD_TEXT)
        assert huge.stat().st_size == 200 << 20

        tracemalloc.start()
        try:
            pages, ledger, warnings = read([d])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 64 << 20, f"peak {peak / 2**20:.1f} MiB"
        assert [p.source for p in pages] == ["big/small.txt"]
        for name in ("huge.html", "huge.txt", "huge.txt.zst", "huge.jsonl"):
            e = entry(ledger, f"big/{name}")
            assert (e.status, e.reason) == ("dropped", "too_large"), e
            assert warned(warnings, f"big/{name}", "too_large")
        rec = entry(ledger, "big/huge.jsonl#1", "record")
        assert rec.reason == "too_large" and str(200 << 20) in rec.detail
    finally:
        for f in d.iterdir():
            f.unlink()


def test_read_inputs_never_raises_on_library_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import newsfold.stages.ingest as readers

    def boom(*args, **kwargs):
        raise RuntimeError("extractor exploded")

    monkeypatch.setattr(readers, "extract_html", boom)
    (tmp_path / "a.html").write_text(GOOD_HTML)
    (tmp_path / "b.txt").write_text(GOOD_TEXT)
    pages, ledger, warnings = read([tmp_path])
    assert [p.source for p in pages] == [f"{tmp_path.name}/b.txt"]
    e = entry(ledger, f"{tmp_path.name}/a.html")
    assert (e.status, e.reason) == ("dropped", "error") and "extractor exploded" in e.detail


def test_missing_input(tmp_path: Path) -> None:
    pages, ledger, warnings = read([tmp_path / "nope", tmp_path])
    assert pages == []
    assert entry(ledger, "nope").reason == "missing"
    assert warned(warnings, "nope", "missing")

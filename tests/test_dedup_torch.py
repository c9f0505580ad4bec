"""The torch path of MinHash signatures (stages/dedup/torch_hash.py) gives the numpy path's slots,
bit for bit; the device setting is chosen automatically, checked, and not compared when adding."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from newsfold.config import Config, DedupConfig
from newsfold.config_check import check
from newsfold.stages.dedup import torch_hash
from newsfold.stages.dedup.minhash import MinHasher

WORDS = ("the a of council minister said on Tuesday that budget would rise percent year after "
         "Über straße café naïve ΑΘΗΝΑ Москва København İstanbul").split()
NONLATIN = ["北京时间今天上午国务院召开常务会议", "東京都は新型ウイルスの感染者を発表した", "서울 시장은 오늘 발표했다",
            "الرئيس قال اليوم إن الحكومة ستعمل", "นายกรัฐมนตรีกล่าวว่ารัฐบาล", "Привет мир, как дела?",
            "Ελληνικά κείμενα με τόνους", "हिन्दी में समाचार लेख", "emoji 🎉🎉 and ﬁ ligature Ⅻ"]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = ["", " ", "...", "\n\t", "a", "one two", "three four five", "x " * 4, "word", "ÄÖÜ", "I",
           "long" * 300, "x" * 9, "y" * 16, "z" * 17, "tok_" * 50 + " end"] + NONLATIN
    base = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 400))) for _ in range(8)]
    while len(out) < n:
        r = rng.random()
        if r < 0.1:
            out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6))))  # very short
        elif r < 0.15:
            out.append(" ".join(rng.choice(WORDS + NONLATIN) for _ in range(rng.randint(1000, 3000))))  # very long
        elif r < 0.25:
            out.append(rng.choice(NONLATIN) * rng.randint(1, 5))
        elif r < 0.3:
            out.append("".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 200))))
        else:  # near duplicates of a few bases
            w = rng.choice(base).split()
            for _ in range(rng.randint(0, 10)):
                w[rng.randrange(len(w))] = rng.choice(WORDS)
            out.append(" ".join(w))
    rng.shuffle(out)
    return out


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("bits", [8, 16, 32])
@pytest.mark.parametrize("shingle", [1, 2, 3, 5, 7])
def test_torch_path_is_bit_identical(torch, bits, shingle):
    cfg = DedupConfig(slot_bits=bits, shingle=shingle, num_perm=128, bands=16, rows=4, seed=7)
    texts = _texts(200, seed=bits * 10 + shingle)
    want = MinHasher(cfg, device="cpu").signatures(texts)
    th = MinHasher(cfg, device="torch-cpu")
    assert th.backend == "torch:cpu"
    got = th.signatures(texts)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_torch_path_defaults_and_batches(torch):
    """The default settings (512 slots of 8 bits, 5-word shingles); one text at a time, a batch, and
    a batch split into several device chunks all give the same slots."""
    texts = _texts(400, seed=3)
    want = MinHasher(DedupConfig(device="cpu")).signatures(texts)
    th = MinHasher(DedupConfig(), device="torch-cpu")
    np.testing.assert_array_equal(th.signatures(texts), want)
    np.testing.assert_array_equal(np.concatenate([th.signatures([t]) for t in texts[:60]]), want[:60])
    th._chunk_bytes = 1 << 10
    np.testing.assert_array_equal(th.signatures(texts), want)


def test_torch_path_edge_batches(torch):
    for texts in ([], [""], ["", "  ", "!!"], ["a"], ["a b"], ["one two three four five six"], ["ÅSA", ""]):
        for bits in (8, 16, 32):
            cfg = DedupConfig(slot_bits=bits)
            want = MinHasher(cfg, device="cpu").signatures(texts)
            np.testing.assert_array_equal(MinHasher(cfg, device="torch-cpu").signatures(texts), want)


def test_whole_densification_width(torch):
    """bands * rows == num_perm: every slot is densified; few words leave most bins empty."""
    cfg = DedupConfig(num_perm=64, bands=8, rows=8, slot_bits=16, shingle=2)
    texts = ["a b", "a b c", "w1 w2 w3 w4 w5 w6 w7 w8 w9", ""] + _texts(100, seed=11)
    np.testing.assert_array_equal(MinHasher(cfg, device="torch-cpu").signatures(texts),
                                  MinHasher(cfg, device="cpu").signatures(texts))


def test_hasher_pickles_without_its_device_state(torch):
    import pickle

    th = MinHasher(DedupConfig(), device="torch-cpu")
    th.signatures(["some words here"])
    again = pickle.loads(pickle.dumps(th))
    assert again._signer is None
    np.testing.assert_array_equal(again.signatures(["some words here"]), th.signatures(["some words here"]))


def test_auto_without_cuda_uses_numpy(monkeypatch):
    monkeypatch.setattr(torch_hash, "cuda_available", lambda: False)
    h = MinHasher(DedupConfig())  # device = "auto"
    assert h.backend == "numpy"
    assert MinHasher(DedupConfig(device="cpu")).backend == "numpy"


def test_auto_with_cuda_picks_it(monkeypatch):
    monkeypatch.setattr(torch_hash, "cuda_available", lambda: True)
    assert torch_hash.resolve("auto") == "cuda"
    assert torch_hash.resolve("cpu") is None


def test_cuda_without_cuda_fails_clearly(monkeypatch):
    monkeypatch.setattr(torch_hash, "cuda_available", lambda: False)
    with pytest.raises(RuntimeError, match="dedup.device = 'cuda'.*(no CUDA|not installed)"):
        MinHasher(DedupConfig(device="cuda"))  # at construction, not at the first batch


def test_device_setting_is_checked(monkeypatch):
    cfg = Config()
    cfg.dedup.device = "gpu"
    assert any(e.startswith("dedup.device = 'gpu': must be one of") for e in check(cfg))
    cfg.dedup.device = "torch-cpu"  # constructor-only, not a setting
    assert check(cfg)
    for ok in ("auto", "cpu"):
        cfg.dedup.device = ok
        assert not check(cfg)
    # "cuda" is refused when the run starts where there is none, and accepted where there is
    cfg.dedup.device = "cuda"
    monkeypatch.setattr(torch_hash, "cuda_available", lambda: False)
    monkeypatch.setattr(torch_hash, "torch_available", lambda: True)
    assert check(cfg) == ["dedup.device = 'cuda', but torch sees no CUDA device; set dedup.device to 'auto' or 'cpu'"]
    monkeypatch.setattr(torch_hash, "cuda_available", lambda: True)
    assert not check(cfg)


def test_device_is_not_compared_when_adding(tmp_path):
    from newsfold.stages.dedup.state import DedupState

    st = DedupState(DedupConfig(device="cpu"))
    st.save(tmp_path / "s", "seg0", {k: np.zeros(0, st.arrays[k].dtype) for k in st.arrays},
            np.zeros((0, DedupConfig().num_perm), np.uint8))
    DedupState.load(tmp_path / "s", DedupConfig(device="cuda"))  # accepted
    with pytest.raises(ValueError, match="other settings"):
        DedupState.load(tmp_path / "s", dataclasses.replace(DedupConfig(), threshold=0.7))


def test_engine_does_not_compare_devices():
    from newsfold.engine.local import RUN_ONLY

    assert "device" in RUN_ONLY["dedup"]
    assert "embedding_device" in RUN_ONLY["stories"]


def test_story_embedding_device():
    from newsfold.stages.stories.config import StoryConfig
    from newsfold.stages.stories.embed import embedding_device

    assert embedding_device(None, True) == "cuda" and embedding_device("auto", False) == "cpu"
    assert embedding_device("cpu", True) == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA"):
        embedding_device("cuda", False)
    cfg = Config()
    cfg.stories.embedding_device = "tpu"
    assert any(e.startswith("stories.embedding_device") for e in check(cfg))
    assert StoryConfig().embedding_device is None


def test_story_grouper_device_not_compared(tmp_path):
    from newsfold.stages.stories import StoryGrouper
    from newsfold.stages.stories.config import StoryConfig

    g = StoryGrouper(StoryConfig(embedding_device="cpu"))
    g.save(tmp_path / "st")
    again = StoryGrouper.load(tmp_path / "st", device="cuda")
    assert again.config.embedding_device == "cuda"
    assert dataclasses.replace(again.config, embedding_device="cpu") == g.config
    StoryGrouper(StoryConfig(embedding_device="auto"), state=again.state)  # accepted
    with pytest.raises(ValueError):
        StoryGrouper(StoryConfig(threshold=0.5), state=again.state)


def test_a_run_on_the_torch_path_gives_the_same_corpus_and_adding_ignores_devices(torch, tmp_path, monkeypatch):
    """The example corpus built on numpy and on the torch path (CPU device: where "auto" would pick
    CUDA) is the same; a batch added with other device settings is accepted."""
    from pathlib import Path

    import pyarrow.parquet as pq

    import newsfold

    examples = Path(__file__).parent.parent / "examples"

    def tables(out):
        return {n: sorted(map(repr, pq.read_table(out / f"{n}.parquet").to_pylist())) for n in ("articles", "copies")}

    cfg = Config(progress=False, workers=1)
    cfg.steps.stories = cfg.steps.entities = False
    cfg.dedup.batch = 7
    cfg.dedup.device = "cpu"
    numpy_run = newsfold.run([examples], tmp_path / "np", cfg)
    real = torch_hash.resolve
    used = []
    monkeypatch.setattr(torch_hash, "resolve", lambda d: used.append(d) or ("cpu" if d == "auto" else real(d)))
    cfg.dedup.device = "auto"
    torch_run = newsfold.run([examples], tmp_path / "th", cfg)
    assert used and set(used) == {"auto"}  # the signatures were hashed on the torch path
    assert numpy_run.articles == torch_run.articles and numpy_run.duplicate_groups == torch_run.duplicate_groups
    assert tables(tmp_path / "np") == tables(tmp_path / "th")
    # adding: the corpus built on numpy ("cpu") takes a batch hashed with "auto" and other story device
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "x.txt").write_text("Harbour officials said on Monday that the new ferry line opens in May. " * 5)
    cfg.stories.embedding_device = "cpu"
    assert newsfold.run([extra], tmp_path / "np", cfg).pages == 1

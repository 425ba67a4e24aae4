"""Building an index from files: incremental reuse, the cache, failures, crashes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer import store
from indexer.build import BuildReport, build_index, passage_sentences
from indexer.embed import EmbeddingCache, FakeEmbedder
from indexer.errors import ScrutinyError
from indexer.records import ParsedFile
from indexer.lexical import LexicalIndex
from tests.test_embed import CountingEmbedder
from tests.test_store import FAKE_CONFIG, fake_parse, leftovers

ROOT = Path(__file__).resolve().parent.parent

FILES = {
    "a_2023-01-10_notes.txt": "101 call answering times.\n\nACTION: CC to report on 999 waits.",
    "b_2023-02-14_notes.txt": "Capital budget underspend.\n\nVictim services contract renewed.",
    "c_2023-03-21_notes.txt": "Road safety and speeding.\n\nStop and search data.\n\nNeighbourhood policing.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def build(corpus: Path, embedder: Any = None, **kwargs: Any) -> BuildReport:
    tmp = corpus.parent
    kwargs.setdefault("parse", fake_parse)
    return build_index(
        [corpus],
        tmp / "index",
        embedder=embedder or FakeEmbedder(),
        cache=kwargs.pop("cache", None) or EmbeddingCache(tmp / "cache.sqlite"),
        config=kwargs.pop("config", FAKE_CONFIG),
        progress=kwargs.pop("progress", False),
        **kwargs,
    )


def test_first_build(corpus: Path) -> None:
    counting = CountingEmbedder()
    rows = {"a_2023-01-10_notes.txt": {"body": "Performance and Delivery Board"}}
    report = build(corpus, counting, manifest_rows=rows)
    assert (report.files_indexed, report.files_reused, report.files_failed) == (3, 0, 0)
    assert report.errors == ()
    assert report.passages == 7 and report.embedded_new == 7 and report.embedded_cached == 0
    assert set(report.seconds) == {"reading", "parsing", "embedding", "indexing"}

    loaded = store.load_index(corpus.parent / "index", config=FAKE_CONFIG, embedder_fingerprint=counting.fingerprint)
    # Each passage once, and each of its sentences of four words or more on its own.
    sentences, rows = passage_sentences(loaded.passages)
    assert sorted(counting.seen) == sorted([p.index_text for p in loaded.passages] + sentences)
    assert "Road safety and speeding." in sentences and "Neighbourhood policing." not in sentences
    assert loaded.sentences is not None
    np.testing.assert_array_equal(loaded.sentences[0], FakeEmbedder().embed(sentences))
    assert loaded.sentences[1].tolist() == rows
    assert [loaded.passages[r].text.count(t) for t, r in zip(sentences, rows)] == [1] * len(rows)
    assert len(loaded.passages) == 7 and set(loaded.texts) == set(FILES)
    assert loaded.passages[0].body == "Performance and Delivery Board"
    assert loaded.manifest["files"]["b_2023-02-14_notes.txt"] == store.file_sha256(corpus / "b_2023-02-14_notes.txt")
    np.testing.assert_array_equal(loaded.embeddings, FakeEmbedder().embed([p.index_text for p in loaded.passages]))


def test_changing_one_file_re_embeds_only_its_passages(corpus: Path) -> None:
    build(corpus)
    (corpus / "b_2023-02-14_notes.txt").write_text("Capital budget overspend.\n\nVictim services contract renewed.")
    counting = CountingEmbedder()
    parsed: list[str] = []

    def parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
        parsed.append(extracted.source)
        return fake_parse(extracted, row)

    report = build(corpus, counting, parse=parse)
    assert parsed == ["b_2023-02-14_notes.txt"]  # the others were not even re-read
    assert counting.seen == ["Item 1\nCapital budget overspend."]  # the unchanged paragraph came from the cache
    assert (report.files_indexed, report.files_reused) == (1, 2)
    assert (report.embedded_new, report.embedded_cached) == (1, 1)

    loaded = store.load_index(corpus.parent / "index")
    assert [p.source for p in loaded.passages] == ["a_2023-01-10_notes.txt"] * 2 + ["b_2023-02-14_notes.txt"] * 2 + ["c_2023-03-21_notes.txt"] * 3
    assert loaded.passages[2].text == "Capital budget overspend."
    np.testing.assert_array_equal(loaded.embeddings, FakeEmbedder().embed([p.index_text for p in loaded.passages]))
    assert loaded.lexical.top("overspend", 5)[0].tolist() == [2]


def test_an_edited_manifest_row_reparses_its_file_though_its_bytes_are_unchanged(corpus: Path) -> None:
    rows = {"a_2023-01-10_notes.txt": {"body": "Performance and Delivery Board"}}
    build(corpus, manifest_rows=rows)
    parsed: list[str] = []

    def parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
        parsed.append(extracted.source)
        return fake_parse(extracted, row)

    rows = {"a_2023-01-10_notes.txt": {"body": "Sussex Police and Crime Panel"}}
    report = build(corpus, parse=parse, manifest_rows=rows)
    assert parsed == ["a_2023-01-10_notes.txt"]  # only the file whose row changed
    assert (report.files_indexed, report.files_reused) == (1, 2)
    assert report.embedded_new == 0  # its passages' text is unchanged: the vectors come from the cache
    loaded = store.load_index(corpus.parent / "index")
    assert {p.body for p in loaded.passages if p.source == "a_2023-01-10_notes.txt"} == {"Sussex Police and Crime Panel"}

    # The same rows again: nothing to re-read.
    parsed.clear()
    report = build(corpus, parse=parse, manifest_rows=rows)
    assert parsed == [] and report.files_reused == 3


def test_removed_file_disappears(corpus: Path) -> None:
    build(corpus)
    (corpus / "c_2023-03-21_notes.txt").unlink()
    counting = CountingEmbedder()
    report = build(corpus, counting)
    assert report.files_reused == 2 and report.passages == 4 and counting.seen == []
    loaded = store.load_index(corpus.parent / "index")
    assert "c_2023-03-21_notes.txt" not in loaded.texts
    assert all(p.source != "c_2023-03-21_notes.txt" for p in loaded.passages)
    assert loaded.lexical.top("speeding", 5)[0].size == 0


def test_cache_hit_avoids_re_embedding(corpus: Path) -> None:
    build(corpus)
    counting = CountingEmbedder()
    report = build(corpus, counting, rebuild=True)  # re-read and re-parse everything
    assert report.files_indexed == 3 and report.files_reused == 0
    assert counting.seen == [] and report.embedded_new == 0 and report.embedded_cached == 7


def test_parser_version_bump_reparses_but_reuses_vectors(corpus: Path) -> None:
    build(corpus)
    counting = CountingEmbedder()
    report = build(corpus, counting, config=replace(FAKE_CONFIG, parser_version="2"))
    assert report.files_indexed == 3 and counting.seen == []
    assert store.load_index(corpus.parent / "index").config.parser_version == "2"


def test_bm25_settings_alone_keep_the_records(corpus: Path) -> None:
    build(corpus)
    report = build(corpus, config=replace(FAKE_CONFIG, bm25_k1=1.2))
    assert report.files_reused == 3
    assert store.load_index(corpus.parent / "index").lexical.k1 == 1.2


def test_other_model_weights_reparse_everything(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build(corpus)
    other = CountingEmbedder()
    other.fingerprint = "other-weights"
    report = build(corpus, other)
    passages = store.load_index(corpus.parent / "index").passages
    # Every passage and sentence again: vectors of other weights are never reused.
    assert report.files_indexed == 3 and len(other.seen) == 7 + len(passage_sentences(passages)[0])
    err = capsys.readouterr().err
    assert "Re-indexing every file" in err and "fingerprint" in err and "--rebuild" not in err


def test_a_failing_file_is_reported_and_the_rest_indexed(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (corpus / "empty_notes.txt").write_text("")

    def parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
        if extracted.source.startswith("c_"):
            raise ValueError("no agenda items\nfound")
        return fake_parse(extracted, row)

    report = build(corpus, parse=parse)
    assert (report.files_indexed, report.files_failed) == (2, 2)
    assert len(report.errors) == 2 and all("\n" not in e for e in report.errors)
    assert any("empty_notes.txt" in e and "empty file" in e for e in report.errors)
    assert any("c_2023-03-21_notes.txt" in e and "could not be parsed" in e and "no agenda items found" in e for e in report.errors)
    err = capsys.readouterr().err
    assert all(e in err for e in report.errors)
    loaded = store.load_index(corpus.parent / "index")
    assert set(loaded.texts) == {"a_2023-01-10_notes.txt", "b_2023-02-14_notes.txt"}
    assert loaded.manifest["errors"] == list(report.errors)


def test_a_file_that_starts_failing_keeps_its_indexed_version(corpus: Path) -> None:
    build(corpus)
    (corpus / "c_2023-03-21_notes.txt").write_text("Changed, and now the parser chokes on it.")

    def parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
        if extracted.source.startswith("c_"):
            raise ValueError("bad table")
        return fake_parse(extracted, row)

    report = build(corpus, parse=parse)
    assert report.files_failed == 1 and "previously indexed version is kept" in report.errors[0]
    loaded = store.load_index(corpus.parent / "index")
    assert loaded.texts["c_2023-03-21_notes.txt"] == FILES["c_2023-03-21_notes.txt"]
    # The old hash is kept too, so the next build tries the file again.
    again = build(corpus)
    assert again.files_indexed == 1 and again.files_failed == 0


def test_a_file_that_cannot_be_hashed_is_reported_and_the_others_are_not_read_again(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.build as build_module

    build(corpus)
    real = build_module.file_sha256
    hashed: list[str] = []

    def sha256(path: Path) -> str:
        hashed.append(path.name)
        if path.name.startswith("b_"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(build_module, "file_sha256", sha256)
    report = build(corpus)
    assert report.files_failed == 1 and "b_2023-02-14_notes.txt: could not be read" in report.errors[0]
    assert report.files_reused == 2 and report.files_indexed == 0  # one unreadable file re-reads nothing else
    assert sorted(hashed) == sorted(FILES)  # each file hashed once per build


def test_every_file_failing_leaves_the_index_alone(corpus: Path) -> None:
    build(corpus)
    before = (corpus.parent / "index" / "manifest.json").read_text()

    def parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
        raise RuntimeError("parser bug")

    for name in FILES:
        (corpus / name).write_text("changed")
    with pytest.raises(ScrutinyError, match="Every corpus file failed") as exc_info:
        build(corpus, parse=parse)
    assert "\n" not in str(exc_info.value)
    assert (corpus.parent / "index" / "manifest.json").read_text() == before

    empty = corpus.parent / "nothing"
    empty.mkdir()
    with pytest.raises(ScrutinyError, match="No corpus files"):
        build(empty)


def test_embedder_must_match_the_config(corpus: Path) -> None:
    with pytest.raises(ScrutinyError, match="does not match"):
        build(corpus, FakeEmbedder(dim=32))


def test_progress_bars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(25):
        (folder / f"f{i:02d}.txt").write_text(f"Paragraph number {i}.\n\nAnother {i}.")
    report = build(folder, progress=True)
    assert report.files_indexed == 25
    err = capsys.readouterr().err
    assert "Reading" in err and "Embedding" in err


def test_crash_during_the_write_keeps_the_old_index(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(corpus)
    (corpus / "a_2023-01-10_notes.txt").unlink()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(LexicalIndex, "save", crash)
    with pytest.raises(ScrutinyError, match="no space left on device"):
        build(corpus)
    assert set(store.load_index(corpus.parent / "index").texts) == set(FILES)
    assert leftovers(corpus.parent / "index") == []


def test_build_killed_mid_parse_keeps_the_old_index(corpus: Path) -> None:
    build(corpus)
    (corpus / "b_2023-02-14_notes.txt").write_text("Changed text.")
    marker = corpus.parent / "parsing"
    script = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from tests.test_build import build
from tests.test_store import fake_parse

def slow_parse(extracted, row):
    Path({str(marker)!r}).touch()
    time.sleep(60)
    return fake_parse(extracted, row)

build(Path({str(corpus)!r}), parse=slow_parse)
"""
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.kill()  # SIGKILL: no cleanup code runs
        child.wait()
    loaded = store.load_index(corpus.parent / "index")
    assert loaded.texts["b_2023-02-14_notes.txt"] == FILES["b_2023-02-14_notes.txt"]
    report = build(corpus)
    assert report.files_indexed == 1 and report.files_reused == 2
    assert leftovers(corpus.parent / "index") == []
    assert os.listdir(corpus.parent / "index")


# -- the same text in two files ---------------------------------------------------------

MINUTES = (
    "Sussex Police and Crime Panel - Friday, 24 January 2025 10.30 am\n\n"
    "Present: Cllr A Moss (Chair), Cllr B Lyle\n\n"
    "1. Precept\nThe Commissioner explained that the proposed increase would protect neighbourhood teams "
    "across the county and keep forty community support officer posts.\n\n"
    "2. Rural crime\nCllr Lyle asked how thefts of farm machinery would be tackled. The Commissioner said a "
    "rural task force would be formed in the spring.\n\n"
    "Actions:\nThe Commissioner to report on rural patrols by 1 May 2025.\n"
)
PACK = "Agenda pack\n\nCover page for the papers of the panel.\n\n" + MINUTES


def _real_parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
    from indexer.parse import parse_file

    return parse_file(extracted, row)


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a-minutes.txt").write_text(MINUTES, encoding="utf-8")
    (folder / "b-agenda-pack.txt").write_text(PACK, encoding="utf-8")
    return folder


def _passages(corpus: Path) -> list[Any]:
    return list(store.load_index(corpus.parent / "index").passages)


def test_text_published_twice_is_one_passage_listing_both_sources(copies: Path) -> None:
    build(copies, parse=_real_parse)
    passages = _passages(copies)
    precept = [p for p in passages if "forty community support officer posts" in p.text]
    assert len(precept) == 1
    assert (precept[0].source, precept[0].also_in) == ("a-minutes.txt", ("b-agenda-pack.txt",))
    # The commitment is one commitment, from the first file.
    actions = [a for a in store.load_index(copies.parent / "index").actions if "rural patrols" in a.text]
    assert [(a.source, a.kind) for a in actions] == [("a-minutes.txt", "action")]
    # Both files are still indexed: the pack's documents, dates and items are its own.
    assert {f.source for f in store.load_index(copies.parent / "index").files} == {"a-minutes.txt", "b-agenda-pack.txt"}


def test_removing_the_first_copy_brings_the_second_back_on_an_incremental_build(copies: Path) -> None:
    build(copies, parse=_real_parse)
    (copies / "a-minutes.txt").unlink()
    report = build(copies, parse=_real_parse)
    precept = [p for p in _passages(copies) if "forty community support officer posts" in p.text]
    assert report.files_indexed == 1  # the pack was read again to recover its passages
    assert [(p.source, p.also_in) for p in precept] == [("b-agenda-pack.txt", ())]
    actions = [a for a in store.load_index(copies.parent / "index").actions if "rural patrols" in a.text]
    assert [a.source for a in actions] == ["b-agenda-pack.txt"]


def test_a_copy_that_changes_is_no_longer_listed(copies: Path) -> None:
    build(copies, parse=_real_parse)
    (copies / "b-agenda-pack.txt").write_text(PACK.replace("forty", "fifty"), encoding="utf-8")
    build(copies, parse=_real_parse)
    texts = {(p.source, p.also_in) for p in _passages(copies) if "community support officer posts" in p.text}
    assert texts == {("a-minutes.txt", ()), ("b-agenda-pack.txt", ())}


def test_the_same_words_at_two_meetings_stay_two_passages(copies: Path) -> None:
    (copies / "b-agenda-pack.txt").write_text(MINUTES.replace("24 January 2025", "4 April 2025"), encoding="utf-8")
    build(copies, parse=_real_parse)
    precept = [p for p in _passages(copies) if "forty community support officer posts" in p.text]
    assert sorted((p.source, str(p.meeting_date), p.also_in) for p in precept) == [
        ("a-minutes.txt", "2025-01-24", ()), ("b-agenda-pack.txt", "2025-04-04", ())
    ]

"""The index folder: layout, manifest, atomic replacement, refusal of damaged indexes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer import store
from indexer.config import FORMAT_VERSION, IndexConfig
from indexer.embed import FakeEmbedder
from indexer.errors import IndexMismatchError, IndexMissingError, ScrutinyError
from indexer.records import Action, AgendaItem, Attendee, Document, ParsedFile, Passage, Speaker

FAKE = FakeEmbedder(dim=64)
FAKE_CONFIG = IndexConfig(model_name=FAKE.name, embedding_dim=FAKE.dim)

_PARAGRAPH_RE = re.compile(r"[^\n]+(?:\n[^\n]+)*")


def fake_parse(extracted: Any, row: dict[str, Any]) -> ParsedFile:
    """A stand-in parser: one document per file, one passage per blank-line paragraph,
    an action for every paragraph starting "ACTION:"."""
    source, text = extracted.source, extracted.text
    doc_id = f"{source}#0"
    meeting = date(2023, 9, 13)
    passages, items, actions = [], [], []
    for n, match in enumerate(_PARAGRAPH_RE.finditer(text)):
        number = str(n + 1)
        items.append(AgendaItem(number, f"Item {number}", match.start(), match.end()))
        passages.append(
            Passage(
                id=f"{source}#p{n}",
                source=source,
                document_id=doc_id,
                document_title=row.get("title", source),
                document_kind="meeting notes",
                body=row.get("body"),
                meeting_date=meeting,
                date_inferred=False,
                item_number=number,
                item_title=f"Item {number}",
                section=None,
                speakers=(Speaker("CC", "Jane Doe", "the Chief Constable"),),
                text=match.group(),
                start=match.start(),
                end=match.end(),
                tokens=len(match.group().split()),
            )
        )
        if match.group().startswith("ACTION:"):
            actions.append(
                Action(
                    text=match.group()[7:].strip(), owner="CC", due=date(2023, 12, 1), meeting_date=meeting,
                    date_inferred=False, source=source, document_id=doc_id, body=row.get("body"),
                    item_number=number, item_title=f"Item {number}", kind="action", status="open",
                    quote=match.group(), start=match.start(), end=match.end(),
                    speaker=Speaker("PCC", None, "the Commissioner"),
                )
            )
    document = Document(
        id=doc_id, source=source, kind="meeting notes", title=row.get("title", source), body=row.get("body"),
        date=meeting, date_range=None, date_inferred=False,
        attendees=(Attendee("Jane Doe", "CC", "Chief Constable"),), items=tuple(items), start=0, end=len(text),
    )
    return ParsedFile(source=source, text=text, documents=(document,), actions=tuple(actions), passages=tuple(passages))


class _Extracted:
    def __init__(self, source: str, text: str) -> None:
        self.source, self.text = source, text


SAMPLE = {
    "board_2023-01-10_notes.txt": "101 call answering times were discussed.\n\nACTION: CC to report on 999 waits.",
    "panel_2023-02-14_minutes.txt": "The capital budget underspend was noted.\n\nVictim services contract renewed.",
}


def sample_files(texts: dict[str, str] = SAMPLE) -> list[ParsedFile]:
    return [fake_parse(_Extracted(source, text), {"body": "Board"}) for source, text in texts.items()]


def write_sample(index_dir: Path, texts: dict[str, str] = SAMPLE, **kwargs: Any) -> list[ParsedFile]:
    parsed = sample_files(texts)
    passages = [p.text for pf in parsed for p in pf.passages]
    hashes = {source: f"{i:064x}" for i, source in enumerate(texts)}
    store.write_index(index_dir, parsed, FAKE.embed(passages), FAKE_CONFIG, FAKE.fingerprint, hashes, ["x.pdf: bad"], **kwargs)
    return parsed


def leftovers(index_dir: Path) -> list[str]:
    """Temporary and swapped-out folders left beside the index (the writers' lock file,
    which stays by design, is not one)."""
    lock = f".{index_dir.name}.lock"
    return sorted(p.name for p in index_dir.parent.iterdir() if p.name.startswith(f".{index_dir.name}.") and p.name != lock)


# -- round trip --------------------------------------------------------------------

def test_round_trip_keeps_every_record(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    parsed = write_sample(index_dir)
    loaded = store.load_index(index_dir, config=FAKE_CONFIG, embedder_fingerprint=FAKE.fingerprint)

    assert loaded.passages == tuple(p for pf in parsed for p in pf.passages)
    assert loaded.documents == tuple(d for pf in parsed for d in pf.documents)
    assert loaded.actions == tuple(a for pf in parsed for a in pf.actions)
    assert loaded.texts == SAMPLE
    assert loaded.config == FAKE_CONFIG
    np.testing.assert_array_equal(loaded.embeddings, FAKE.embed([p.text for p in loaded.passages]))
    assert loaded.dense.ntotal == len(loaded.passages) == loaded.lexical.n_docs
    # One file's records come back as a ParsedFile, with its rows of the embeddings.
    source = "panel_2023-02-14_minutes.txt"
    assert loaded.parsed_file(source) == replace(parsed[1], paragraphs=())
    np.testing.assert_array_equal(loaded.file_embeddings(source), loaded.embeddings[2:4])
    assert leftovers(index_dir) == []


def test_layout_and_manifest(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    write_sample(index_dir)
    names = {p.relative_to(index_dir).as_posix() for p in index_dir.rglob("*") if p.is_file()}
    assert {"manifest.json", "passages.jsonl", "documents.jsonl", "actions.jsonl", "texts.jsonl",
            "embeddings.npy", "dense.faiss", "lexical/lexical.json"} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pickle"))]

    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["config"]["embedding_dim"] == 64
    assert manifest["model"] == {"name": FAKE.name, "package": FAKE_CONFIG.model_package,
                                 "fingerprint": FAKE.fingerprint, "dim": 64,
                                 "embedder": FAKE_CONFIG.embedder, "file": None}
    assert {"python", "numpy", "faiss-cpu", "bm25s", "sentence-transformers", "torch", "tiktoken"} <= set(manifest["packages"])
    assert manifest["counts"] == {"files": 2, "documents": 2, "passages": 4, "actions": 1, "errors": 1}
    assert manifest["errors"] == ["x.pdf: bad"]
    assert set(manifest["files"]) == set(SAMPLE)
    assert manifest["dense_index"] == "IndexFlatIP"
    # Every file but the manifest itself carries a checksum.
    assert set(manifest["checksums"]) == names - {"manifest.json"}
    assert np.load(index_dir / "embeddings.npy", allow_pickle=False).dtype == np.float32


def test_hnsw_index_survives_the_round_trip(tmp_path: Path) -> None:
    write_sample(tmp_path / "index", hnsw_threshold=1)
    loaded = store.load_index(tmp_path / "index")
    assert loaded.manifest["dense_index"] == "IndexHNSWFlat"
    assert type(loaded.dense).__name__ == "IndexHNSWFlat"


def test_query_time_settings_do_not_force_a_rebuild(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    store.load_index(tmp_path / "index", config=replace(FAKE_CONFIG, rrf_k=10))


def test_rejects_misaligned_embeddings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shape"):
        store.write_index(tmp_path / "index", sample_files(), np.zeros((3, 64), np.float32),
                          FAKE_CONFIG, FAKE.fingerprint, {}, [])
    assert not (tmp_path / "index").exists()


# -- refusals ----------------------------------------------------------------------

def _refusal(exc_info: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc_info.value)
    assert "\n" not in message
    return message


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError) as exc_info:
        store.load_index(tmp_path / "nowhere")
    assert _refusal(exc_info) == f"No index at {tmp_path / 'nowhere'}: run `scrutiny index` to build one"
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexMissingError):
        store.load_index(tmp_path / "empty")


def test_model_mismatch_refused(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index", config=IndexConfig())
    message = _refusal(exc_info)
    assert "all-mpnet-base-v2" in message and FAKE.name in message and "--rebuild" in message
    assert "--model" in message and "SCRUTINY_MODEL" in message
    assert f"--index {tmp_path / 'index'}" in message  # the command names the index it rebuilds

    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index", embedder_fingerprint="0" * 64)
    assert "fingerprint" in _refusal(exc_info)


def test_embedder_mismatch_names_both_and_the_fix(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    assert store.built_with(tmp_path / "index") == ("onnx-int8", FAKE_CONFIG.model_name)
    assert store.built_with(tmp_path / "nowhere") == (None, None)
    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index", config=replace(FAKE_CONFIG, embedder="onnx-fp32"))
    message = _refusal(exc_info)
    assert "built with the onnx-int8 embedder" in message and "this run uses onnx-fp32" in message
    assert "--embedder onnx-fp32" in message and "SCRUTINY_EMBEDDER" in message

    # An index from before the embedder was recorded can only be rebuilt.
    manifest_path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["config"]["embedder"]
    manifest_path.write_text(json.dumps(manifest))
    assert store.built_with(tmp_path / "index") == (None, FAKE_CONFIG.model_name)
    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index", config=FAKE_CONFIG)
    assert "built with the torch embedder" in _refusal(exc_info) and "--rebuild" in _refusal(exc_info)


def test_config_mismatch_names_the_setting(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index", config=replace(FAKE_CONFIG, chunk_max_tokens=300, parser_version="2"))
    message = _refusal(exc_info)
    assert f"chunk_max_tokens={FAKE_CONFIG.chunk_max_tokens}" in message and "chunk_max_tokens=300" in message
    assert f"parser_version='{FAKE_CONFIG.parser_version}'" in message and "parser_version='2'" in message
    assert "bm25" not in message and "--rebuild" in message


def test_format_version_mismatch(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format version") as exc_info:
        store.load_index(tmp_path / "index")
    assert "--rebuild" in _refusal(exc_info)


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["embeddings.npy", "passages.jsonl", "dense.faiss", "texts.jsonl", "lexical/lexical.json"])
def test_flipped_byte_refused_naming_the_file(tmp_path: Path, name: str) -> None:
    write_sample(tmp_path / "index")
    _flip_byte(tmp_path / "index" / name, -5)
    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index")
    message = _refusal(exc_info)
    assert f"damaged: {name} does not match its checksum" in message and "--rebuild" in message


def test_missing_file_refused(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    (tmp_path / "index" / "dense.faiss").unlink()
    with pytest.raises(IndexMismatchError, match=r"dense\.faiss is missing"):
        store.load_index(tmp_path / "index")


def test_unreadable_file_refused_without_checksums(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    (tmp_path / "index" / "passages.jsonl").write_text('{"id": "broken"\n')
    with pytest.raises(IndexMismatchError) as exc_info:
        store.load_index(tmp_path / "index", verify_checksums=False)
    assert "passages.jsonl is unreadable" in _refusal(exc_info)

    (tmp_path / "index" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexMismatchError, match=r"manifest\.json is unreadable"):
        store.load_index(tmp_path / "index")


def test_truncated_embeddings_refused_without_checksums(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    path = tmp_path / "index" / "embeddings.npy"
    path.write_bytes(path.read_bytes()[:-64])
    with pytest.raises(IndexMismatchError, match=r"embeddings\.npy is unreadable"):
        store.load_index(tmp_path / "index", verify_checksums=False)


# -- atomic replacement ------------------------------------------------------------

NEW = {"other_2024-03-01_notes.txt": "Road safety and speeding.\n\nStop and search data."}


def test_second_write_replaces_the_first(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    write_sample(tmp_path / "index", NEW)
    assert store.load_index(tmp_path / "index").texts == NEW
    assert leftovers(tmp_path / "index") == []


def test_crash_while_writing_keeps_the_old_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_sample(tmp_path / "index")

    def crash(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "save_dense", crash)
    with pytest.raises(ScrutinyError, match="disk full"):  # one line for the user, not an OSError traceback
        write_sample(tmp_path / "index", NEW)
    assert store.load_index(tmp_path / "index").texts == SAMPLE
    assert leftovers(tmp_path / "index") == []


def test_failed_swap_puts_the_old_index_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_sample(tmp_path / "index")
    calls: list[tuple[Path, Path]] = []

    def rename(src: Path, dst: Path) -> None:
        calls.append((src, dst))
        if len(calls) == 2:  # the old index is already moved aside: tmp -> target fails
            raise OSError("rename failed")
        os.rename(src, dst)

    monkeypatch.setattr(store, "_rename", rename)
    with pytest.raises(ScrutinyError, match="rename failed"):
        write_sample(tmp_path / "index", NEW)
    assert store.load_index(tmp_path / "index").texts == SAMPLE
    assert leftovers(tmp_path / "index") == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_load_recovers_an_index_orphaned_between_the_renames(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    write_sample(index_dir)
    pid = _dead_pid()
    # The state a writer killed between its two renames leaves: the old index moved
    # aside, the new one complete or not in its temp folder, no target.
    os.rename(index_dir, tmp_path / f".index.old-{pid}")
    (tmp_path / f".index.tmp-{pid}").mkdir()
    (tmp_path / f".index.tmp-{pid}" / "passages.jsonl").write_text("half")

    assert store.load_index(index_dir).texts == SAMPLE
    assert leftovers(index_dir) == [f".index.tmp-{pid}"]
    write_sample(index_dir, NEW)  # the next writer clears what the dead one left
    assert leftovers(index_dir) == []
    assert store.load_index(index_dir).texts == NEW


def test_writer_killed_between_the_renames(tmp_path: Path) -> None:
    """SIGKILL a real writer in the worst place: old index moved aside, new not yet in."""
    index_dir = tmp_path / "index"
    write_sample(index_dir)
    marker = tmp_path / "moved"
    script = f"""
import os, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from pathlib import Path
from indexer import store
from tests.test_store import NEW, write_sample

def rename(src, dst):
    os.rename(src, dst)
    if ".old-" in str(dst):
        Path({str(marker)!r}).touch()
        time.sleep(60)

store._rename = rename
write_sample(Path({str(index_dir)!r}), NEW)
"""
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        _wait_for(marker, child)
        assert not index_dir.exists()
    finally:
        child.kill()
        child.wait()
    assert store.load_index(index_dir).texts == SAMPLE


def _wait_for(marker: Path, child: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert child.poll() is None, "the child process ended early"
        assert time.monotonic() < deadline, "the child process never reached the step"
        time.sleep(0.05)


def test_never_replaces_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    with pytest.raises(ScrutinyError, match="is not a Scrutiny index"):
        write_sample(precious)
    assert (precious / "keep.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    write_sample(tmp_path / "empty")  # an empty folder is fine

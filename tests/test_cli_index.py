"""`scrutiny index` through click's runner with the fake embedder: the report, refreshing
after edits and deletions, bad files, a build killed part-way, and damaged or missing
indexes as `scrutiny search` sees them."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import Seed, fake_env
from ui.cli import main

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT / "corpus"
NOTES_2019 = "performance-delivery-board_2019-09-25_notes.txt"
NOTES_2025 = "performance-delivery-board_2025-09-16_notes.md"
REPORT_RE = re.compile(
    r"Indexed (?P<passages>\d+) passages from (?P<files>\d+) files "
    r"\((?P<read>\d+) read, (?P<unchanged>\d+) unchanged, (?P<failed>\d+) failed\) into (?P<target>.+)"
)


@pytest.fixture(scope="module")
def seed(cli_seed: Seed) -> Seed:
    """The seed corpus indexed once (tests copy it before changing anything)."""
    return cli_seed


@pytest.fixture(autouse=True)
def _fake_embedder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_env(monkeypatch, tmp_path / "cache")


@pytest.fixture
def work(seed: Seed, tmp_path: Path) -> Seed:
    """This test's own copy of the seed corpus and its index."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(seed.corpus, corpus)
    shutil.copytree(seed.index, index)
    return Seed(corpus, index, seed.report)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def index(corpus: Path, target: Path) -> Result:
    result = invoke("index", str(corpus), "--index", str(target), "--quiet")
    assert "Traceback" not in result.output
    return result


def report(result: Result) -> dict[str, Any]:
    match = REPORT_RE.search(result.stdout)
    assert match, result.output
    found: dict[str, Any] = {k: int(v) for k, v in match.groupdict().items() if k != "target"}
    found["target"] = match["target"]
    return found


def search(target: Path, *args: str) -> dict[str, Any]:
    result = invoke("search", *args, "--json", "--index", str(target))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def manifest(target: Path) -> dict[str, Any]:
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


def passage_lines(target: Path) -> int:
    return sum(1 for line in (target / "passages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def siblings(target: Path) -> list[str]:
    """Temp and old folders a write leaves beside the index (not the writers' lock file,
    which stays by design)."""
    lock = f".{target.name}.lock"
    return sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.") and p.name != lock)


# -- the report ----------------------------------------------------------------------

def test_index_reports_passages_and_files(seed: Seed) -> None:
    found = REPORT_RE.search(seed.report)
    assert found, seed.report
    numbers = {k: int(v) for k, v in found.groupdict().items() if k != "target"}
    assert numbers["files"] == 5 and numbers["read"] == 5
    assert numbers["unchanged"] == 0 and numbers["failed"] == 0
    assert numbers["passages"] > 100
    assert numbers["passages"] == passage_lines(seed.index) == manifest(seed.index)["counts"]["passages"]
    assert found["target"] == str(seed.index)
    assert set(manifest(seed.index)["files"]) == {p.name for p in CORPUS.iterdir() if p.name != "manifest.csv"}
    assert "Embedded" in seed.report


def test_unchanged_corpus_is_not_re_read(work: Seed) -> None:
    result = index(work.corpus, work.index)
    assert result.exit_code == 0, result.output
    found = report(result)
    assert (found["files"], found["read"], found["unchanged"], found["failed"]) == (5, 0, 5, 0)
    assert "Embedded 0 new passages" in result.stdout
    assert found["passages"] == passage_lines(work.index)


# -- incremental ---------------------------------------------------------------------

NEW_BULLET = (
    "\n\uf0b7 The Chief Constable reported that the Kestrel Watch pilot on rural hare coursing had led to \n"
    "11 arrests and would be extended to Swale in the spring. \n"
)


def test_editing_one_file_re_reads_only_that_file(tmp_path: Path) -> None:
    corpus, target = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    first = index(corpus, target)
    assert first.exit_code == 0, first.output
    assert report(first)["read"] == 5
    assert not any("Kestrel" in h["text"] for h in search(target, "Kestrel Watch hare coursing")["results"])

    notes = corpus / NOTES_2019
    anchor = " The PCC expressed his thanks to the Crime Squad for their continuing great work. \n"
    text = notes.read_text(encoding="utf-8")
    assert text.count(anchor) == 1
    notes.write_text(text.replace(anchor, anchor + NEW_BULLET), encoding="utf-8")

    second = index(corpus, target)
    assert second.exit_code == 0, second.output
    found = report(second)
    assert (found["files"], found["read"], found["unchanged"], found["failed"]) == (5, 1, 4, 0)
    assert re.search(r"Embedded [1-9]\d* new passages", second.stdout)

    hits = search(target, "Kestrel Watch hare coursing", "--k", "3")["results"]
    assert hits and "Kestrel Watch pilot" in hits[0]["text"]
    top = hits[0]
    assert (top["source"], top["meeting_date"]) == (NOTES_2019, "2019-09-25")
    assert {"role": "CC", "name": "Alan Pughsley"} in [{"role": s["role"], "name": s["name"]} for s in top["speakers"]]
    # The other files' passages are still there and still found.
    assert any(h["meeting_date"] >= "2023" for h in search(target, "101 calls", "--speaker", "CC", "--k", "20")["results"])


def test_deleting_a_file_removes_its_passages(work: Seed) -> None:
    before = search(work.index, "Cut Crime, Support Victims, Build Trust", "--k", "50")["results"]
    assert any(h["source"] == NOTES_2025 for h in before)
    passages_before = passage_lines(work.index)

    (work.corpus / NOTES_2025).unlink()
    result = index(work.corpus, work.index)
    assert result.exit_code == 0, result.output
    found = report(result)
    assert (found["files"], found["read"], found["unchanged"], found["failed"]) == (4, 0, 4, 0)
    assert 0 < found["passages"] < passages_before
    assert NOTES_2025 not in manifest(work.index)["files"]

    after = search(work.index, "Cut Crime, Support Victims, Build Trust", "--k", "1000")["results"]
    assert after and not any(h["source"] == NOTES_2025 for h in after)
    assert not any(h["meeting_date"] == "2025-09-16" for h in search(work.index, "101 calls", "--k", "1000")["results"])


# -- bad files -------------------------------------------------------------------------

def test_empty_and_binary_files_get_one_warning_each_and_the_rest_is_indexed(tmp_path: Path) -> None:
    corpus, target = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 40)
    result = index(corpus, target)
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len([line for line in lines if "empty.txt" in line]) == 1
    assert len([line for line in lines if "binary.txt" in line]) == 1
    assert "empty" in next(line for line in lines if "empty.txt" in line).replace("empty.txt", "")
    assert "binary" in next(line for line in lines if "binary.txt" in line).replace("binary.txt", "")
    assert len(lines) == 2, result.stderr
    found = report(result)
    assert (found["read"], found["failed"]) == (5, 2)
    assert set(manifest(target)["files"]) == {p.name for p in CORPUS.iterdir() if p.name != "manifest.csv"}
    assert search(target, "101 calls")["results"]


def test_a_corpus_of_only_bad_files_is_a_one_line_error_and_builds_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    result = invoke("index", str(corpus), "--index", str(tmp_path / "index"), "--quiet")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    *warnings, error = result.stderr.strip().splitlines()
    assert len(warnings) <= 1 and all("empty.txt" in w for w in warnings)
    assert error.startswith("Error:") and "empty.txt" in error
    assert not (tmp_path / "index").exists()


# -- a build killed part-way ------------------------------------------------------------

# Runs `scrutiny index` with one step of the build replaced by a stall, so the test can
# SIGKILL the process at a known point. The stall first writes a marker file.
KILLABLE = """
import os, sys, time
from pathlib import Path

import indexer.build
import indexer.store
from ui.cli import main

marker = Path(os.environ["STALL_MARKER"])


def stall() -> None:
    marker.write_text(str(os.getpid()))
    time.sleep(600)


stage = os.environ["STALL_AT"]
if stage == "embedding":
    def embed_with_cache(*args, **kwargs):
        stall()
    indexer.build.embed_with_cache = embed_with_cache
elif stage == "writing":
    real_checksums = indexer.store._checksums_and_fsync
    def checksums(folder):
        real_checksums(folder)  # the new index's files are all written in the temp folder
        stall()
    indexer.store._checksums_and_fsync = checksums
elif stage == "swapping":
    real_rename = indexer.store._rename
    def rename(src, dst):
        real_rename(src, dst)  # the old index is moved aside, the new one not yet in place
        stall()
    indexer.store._rename = rename
else:
    raise SystemExit("unknown stage " + stage)
main(sys.argv[1:], prog_name="scrutiny")
"""


def kill_index_run(tmp_path: Path, corpus: Path, target: Path, stage: str) -> None:
    script = tmp_path / "killable_index.py"
    script.write_text(KILLABLE, encoding="utf-8")
    marker = tmp_path / f"stalled-{stage}"
    env = dict(os.environ, STALL_AT=stage, STALL_MARKER=str(marker), PYTHONPATH=str(PROJECT_ROOT))
    errors = tmp_path / "killed.stderr"
    with open(errors, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(script), "index", str(corpus), "--index", str(target), "--quiet"],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 60
            while not marker.exists():
                assert proc.poll() is None, f"the build ended before stalling: {errors.read_text()}"
                assert time.monotonic() < deadline, "the build never reached the stall"
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


NEW_FILE = "rural-briefing.txt"
NEW_FILE_TEXT = (
    "Performance and Delivery Board\n\nDate: 14 January 2026\n\n1. Rural crime\n\n"
    "The Chief Constable reported that the Kestrel Watch pilot on hare coursing had led to 11 arrests.\n"
)


@pytest.mark.parametrize("stage", ["embedding", "writing", "swapping"])
def test_killed_build_leaves_the_previous_index_usable(work: Seed, tmp_path: Path, stage: str) -> None:
    before = manifest(work.index)
    before_hits = search(work.index, "101 calls", "--speaker", "CC")["results"]
    (work.corpus / NEW_FILE).write_text(NEW_FILE_TEXT, encoding="utf-8")

    kill_index_run(tmp_path, work.corpus, work.index, stage)
    if stage == "swapping":
        # Killed between the two renames: only the moved-aside copy of the old index exists.
        assert not work.index.exists(), siblings(work.index)

    # The previous index loads, verifies and answers as before; the new file is not in it.
    data = search(work.index, "101 calls", "--speaker", "CC")
    assert [h["passage_id"] for h in data["results"]] == [h["passage_id"] for h in before_hits]
    assert manifest(work.index)["checksums"] == before["checksums"]
    assert not any(h["source"] == NEW_FILE for h in search(work.index, "Kestrel Watch hare coursing")["results"])

    # The next run finishes the job and clears what the killed one left behind.
    result = index(work.corpus, work.index)
    assert result.exit_code == 0, result.output
    found = report(result)
    assert (found["files"], found["read"], found["unchanged"], found["failed"]) == (6, 1, 5, 0)
    assert search(work.index, "Kestrel Watch hare coursing")["results"][0]["source"] == NEW_FILE
    assert siblings(work.index) == []


# -- damaged and missing indexes ------------------------------------------------------------

def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


INDEX_FILES = ["passages.jsonl", "documents.jsonl", "actions.jsonl", "texts.jsonl", "embeddings.npy", "dense.faiss"]


@pytest.mark.parametrize("name", ["passages.jsonl", "embeddings.npy", "dense.faiss", "texts.jsonl"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_flipped_byte_is_one_line_naming_the_file_and_the_rebuild(work: Seed, name: str, where: str) -> None:
    path = work.index / name
    size = path.stat().st_size
    flip_byte(path, {"start": 0, "middle": size // 2, "end": size - 2}[where])
    line = one_line_error(invoke("search", "101 calls", "--index", str(work.index)))
    assert name in line
    assert not any(other in line for other in INDEX_FILES if other != name)
    assert "damaged" in line
    assert "scrutiny index" in line


@pytest.mark.parametrize("name", ["embeddings.npy", "dense.faiss", "lexical/lexical.json", "passages.jsonl"])
def test_missing_index_file_is_one_line_naming_it(work: Seed, name: str) -> None:
    (work.index / name).unlink()
    line = one_line_error(invoke("search", "101 calls", "--index", str(work.index)))
    assert name in line and "missing" in line
    assert "scrutiny index" in line


def test_truncated_manifest_is_one_line(work: Seed) -> None:
    path = work.index / "manifest.json"
    path.write_bytes(path.read_bytes()[:200])
    line = one_line_error(invoke("search", "101 calls", "--index", str(work.index)))
    assert "manifest.json" in line and "scrutiny index" in line


def test_damaged_index_is_rebuilt_by_the_command_the_error_names(work: Seed) -> None:
    flip_byte(work.index / "embeddings.npy", 200)
    line = one_line_error(invoke("search", "101 calls", "--index", str(work.index)))
    command = re.search(r"`(scrutiny index[^`]*)`", line)
    assert command, line
    args = command[1].split()[1:]
    result = invoke(*args, str(work.corpus), "--index", str(work.index), "--quiet")
    assert result.exit_code == 0, result.output
    assert search(work.index, "101 calls")["results"]


def test_missing_index_says_to_run_scrutiny_index(tmp_path: Path) -> None:
    target = tmp_path / "no-index-here"
    line = one_line_error(invoke("search", "101 calls", "--index", str(target)))
    assert str(target) in line
    assert "scrutiny index" in line
    assert not target.exists()


def test_empty_index_folder_says_to_run_scrutiny_index(tmp_path: Path) -> None:
    target = tmp_path / "index"
    target.mkdir()
    line = one_line_error(invoke("search", "101 calls", "--index", str(target)))
    assert "scrutiny index" in line and "damaged" not in line


def test_index_folder_from_the_environment(work: Seed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUTINY_INDEX", str(work.index))
    result = invoke("search", "101 calls", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]
    monkeypatch.setenv("SCRUTINY_INDEX", str(tmp_path / "elsewhere"))
    line = one_line_error(invoke("search", "101 calls"))
    assert str(tmp_path / "elsewhere") in line and "scrutiny index" in line

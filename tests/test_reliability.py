"""Reliability under faults: nothing lost (a user's index is never replaced unasked, one
writer at a time, full and read-only disks leave the old index), nothing hung (the
language model has one total deadline and bounded slots, and the app starts without it),
and every failure one line. The app's network locks are in test_ui_security.py; the
long soak and the full fault suite are eval/soak.py and eval/faults.py."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from indexer import store
from indexer.errors import ScrutinyError
from tests.conftest import CORPUS, ROOT, Seed
from ui.cli import main


@pytest.fixture
def work(cli_seed: Seed, tmp_path: Path) -> Seed:
    """This test's own copy of the seed corpus and its index (the index remembers the
    corpus it was built from: the session's copy)."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(cli_seed.corpus, corpus)
    shutil.copytree(cli_seed.index, index)
    return Seed(corpus, index, cli_seed.report)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


# -- 1. serve never replaces an index it was not asked to rebuild ---------------------------------

def _damage(index: Path, how: str) -> None:
    if how == "damaged":
        path = index / "passages.jsonl"
        data = bytearray(path.read_bytes())
        data[100] ^= 0x01
        path.write_bytes(bytes(data))
    else:
        manifest = json.loads((index / "manifest.json").read_text())
        manifest["format_version"] += 1
        (index / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("how", ["damaged", "mismatched"])
def test_serve_refuses_a_bad_index_with_the_command_that_rebuilds_it(
    work: Seed, cli_seed: Seed, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    served: list[Any] = []
    monkeypatch.setattr("ui.app.run", lambda searcher, **kwargs: served.append(searcher))
    _damage(work.index, how)
    before = snapshot(work.index)
    result = invoke("serve", "--index", str(work.index))
    assert result.exit_code == 1 and served == []
    line = one_line(result)
    # The corpus it was built from (the manifest knows it), not the bundled one.
    assert f"scrutiny index {cli_seed.corpus} --index {work.index} --rebuild" in line, line
    assert snapshot(work.index) == before  # not rebuilt, not touched


def test_serve_builds_only_where_there_is_no_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr("ui.app.run", lambda searcher, **kwargs: served.append(searcher))
    result = invoke("serve", "--index", str(tmp_path / "fresh"))
    assert result.exit_code == 0, result.output
    assert "No index at" in result.output and len(served) == 1
    assert store.recorded_corpus(tmp_path / "fresh") == [str(CORPUS.resolve())]


# -- 6. disk full, read-only, and bad batch lines: one line each -----------------------------------

@pytest.mark.parametrize(("code", "named"), [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only")])
def test_a_write_the_disk_refuses_is_one_line_and_the_old_index_survives(
    work: Seed, monkeypatch: pytest.MonkeyPatch, code: int, named: str
) -> None:
    (work.corpus / "extra_2026-02-11_notes.txt").write_text("Board\n\nDate: 11 February 2026\n\n1. Roads\n\nThe CC spoke.\n")
    before = snapshot(work.index)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(store, "_write_jsonl", refuse)
    result = invoke("index", str(work.corpus), "--index", str(work.index), "--quiet")
    assert result.exit_code == 1
    line = one_line(result)
    assert named in line and str(work.index) in line and "unchanged" in line
    assert snapshot(work.index) == before
    assert not [p for p in work.index.parent.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("fault", ["disk_full", "read_only"])
def test_real_full_and_read_only_file_systems(fault: str) -> None:
    """A size-limited tmpfs that fills, and one remounted read-only (eval/faults.py)."""
    from eval import faults

    if not faults.can_unshare():
        pytest.skip("no private mount namespace (unshare) on this machine: eval/faults.py reports it skipped too")
    (outcome,) = faults.run([fault])
    assert outcome.passed, outcome


def test_a_bad_batch_line_is_an_error_line_and_the_batch_goes_on(cli_seed: Seed, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    lines = [
        json.dumps({"id": "good-1", "query": "101 calls"}),
        '{"id": "surrogate", "query": "101 calls \\ud800"}',  # valid JSON, not valid text
        json.dumps({"id": "list", "query": "101 calls", "filters": {"speaker_role": ["CC", "PCC"]}}),
        json.dumps({"id": "number", "query": "101 calls", "filters": {"date_from": 2019}}),
        json.dumps({"id": "good-2", "query": "knife crime"}),
    ]
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("search", "--batch", str(questions), "--json", "--index", str(cli_seed.index), "--k", "3")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["good-1", "surrogate", "list", "number", "good-2"]
    assert len(out[0]["results"]) == 3 and len(out[4]["results"]) == 3
    assert "lone surrogate" in out[1]["error"] and out[1]["line"] == 2
    assert 'filter "speaker_role" must be a string, not list' in out[2]["error"]
    assert 'filter "date_from" must be a string, not int' in out[3]["error"]


def test_a_read_only_cache_is_called_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import check_cache_writable

    cache = tmp_path / "cache" / "embeddings.sqlite"
    cache.parent.mkdir()
    cache.write_bytes(b"")
    real_access = os.access
    # Root may write anywhere, so the permission is taken away where the check reads it.
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == cache else real_access(path, mode))
    with pytest.raises(ScrutinyError, match=r"embeddings\.sqlite is read-only: make it writable, or point SCRUTINY_CACHE"):
        check_cache_writable(cache)


def test_an_unknown_speaker_promises_no_passages_it_does_not_show(cli_seed: Seed) -> None:
    result = invoke("search", "101 calls", "--speaker", "Zebedee Quarrington", "--index", str(cli_seed.index))
    assert result.exit_code == 0
    assert "nearest are shown below" not in result.output
    assert "No passage passes these filters" in result.output


# -- 7. one writer at a time ------------------------------------------------------------------------

def test_a_second_writer_waits_and_says_who_holds_the_index(work: Seed) -> None:
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, FakeEmbedder, config_for
    from indexer.parse import parse_file

    (work.corpus / "extra_2026-02-11_notes.txt").write_text("Board\n\nDate: 11 February 2026\n\n1. Roads\n\nThe CC spoke.\n")
    said: list[str] = []
    done = threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            embedder = FakeEmbedder()
            with EmbeddingCache(work.index.parent / "cache.sqlite") as cache:
                build_index([work.corpus], work.index, embedder=embedder, cache=cache, parse=parse_file,
                            config=config_for(embedder), progress=False)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            done.set()

    with store.index_lock(work.index):
        before = snapshot(work.index)
        thread = threading.Thread(target=second_writer, daemon=True)
        import indexer.build as build_module

        original = build_module.tqdm.write
        build_module.tqdm.write = lambda line, file=None: said.append(line)  # type: ignore[method-assign]
        try:
            thread.start()
            for _ in range(600):
                if said or done.is_set():
                    break
                time.sleep(0.05)
            assert not done.is_set(), "the second writer did not wait for the lock"
            assert said and f"The index at {work.index} is being written by `scrutiny index` (pid {os.getpid()}" in said[0]
            assert snapshot(work.index) == before
            with pytest.raises(ScrutinyError, match=rf"being written by `scrutiny index` \(pid {os.getpid()}"):
                with store.index_lock(work.index, wait=False):
                    pass
        finally:
            build_module.tqdm.write = original  # type: ignore[method-assign]
    thread.join(timeout=120)
    assert done.is_set() and not errors, errors
    assert "extra_2026-02-11_notes.txt" in store.load_index(work.index).texts  # it then did its work


def test_two_index_runs_on_one_index_take_turns() -> None:
    """Two real `scrutiny index` processes while a third writer holds the lock (eval/faults.py)."""
    from eval import faults

    (outcome,) = faults.run(["concurrent_writers"])
    assert outcome.passed, outcome


# -- 10. SIGTERM cleans up as Ctrl+C does -------------------------------------------------------------

def test_sigterm_removes_the_export_folder(cli_seed: Seed, tmp_path: Path) -> None:
    from tests.test_ui_browser import free_port

    temp = tmp_path / "tmp"
    temp.mkdir()
    log = tmp_path / "serve.log"
    env = dict(os.environ, TMPDIR=str(temp), PYTHONPATH=str(ROOT), SCRUTINY_EMBEDDER="fake")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--index", str(cli_seed.index),
                                 "--port", str(free_port())], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(1200):
            if "is serving on" in log.read_text(errors="replace") or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert "is serving on" in log.read_text(errors="replace"), log.read_text(errors="replace")
        assert len(list(temp.glob("scrutiny-exports-*"))) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(temp.glob("scrutiny-exports-*")) == []

"""Fault injection for the index: what `scrutiny index` does when the disk fills, the index
folder or the embedding cache is read-only, two runs write one index at once, or the
run is killed at any moment.

Every fault is real, not simulated: a size-limited tmpfs fills up (ENOSPC), a tmpfs
remounted read-only refuses writes (EROFS) — both in a private mount namespace
(`unshare --mount`, which needs root or user namespaces; those faults are reported as
skipped where it is not available) — two processes race on one index, and SIGKILL lands
at evenly spaced moments through a build. After each, the checks are the same: at most
one line on stderr and no traceback, the previous index still loads with every checksum
verified, and the next run succeeds.

    python -m eval.faults --out eval/faults.json
    python -m eval.faults --only disk_full,read_only      # a subset
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NEW_FILE = "road-safety-briefing_2026-02-11_notes.txt"
NEW_TEXT = (
    "Performance and Delivery Board\n\nDate: 11 February 2026\n\n1. Road safety\n\n"
    "The Chief Constable reported that the Lantern Lane speed checks had found 42 drivers over the limit.\n"
)


@dataclass
class Outcome:
    fault: str
    passed: bool
    detail: str
    exit_codes: list[int] = field(default_factory=list)
    stderr_lines: list[int] = field(default_factory=list)  # per run, lines a user would see
    messages: list[str] = field(default_factory=list)
    skipped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# -- helpers ----------------------------------------------------------------------------------

def env_for(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUTINY_")}
    env.update(PYTHONPATH=str(ROOT), SCRUTINY_EMBEDDER="fake", SCRUTINY_CACHE=str(work / "cache" / "embeddings.sqlite"))
    return env


def cli(args: Sequence[str], env: dict[str, str], *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def user_lines(stderr: str) -> list[str]:
    """What a user reads on stderr: progress bars and warnings from libraries aside."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(("Reading", "Embedding"))]


def index_state(index: Path) -> tuple[bool, str]:
    """(loads with every checksum verified, the files it holds, or why it does not load)."""
    code = (
        "import sys, json; from indexer.store import load_index; i = load_index(sys.argv[1]);"
        "print(json.dumps(sorted(i.texts)))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(index)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        return False, (result.stderr.strip().splitlines() or ["?"])[-1]
    return True, result.stdout.strip()


def prepared(work: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the seed corpus, indexed; returns (corpus, index, env)."""
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    env = env_for(work)
    built = cli(["index", str(corpus), "--index", str(work / "index"), "--quiet"], env)
    if built.returncode != 0:
        raise SystemExit(f"could not build the starting index: {built.stderr.strip()}")
    return corpus, work / "index", env


def one_line_and_clean(result: subprocess.CompletedProcess[str]) -> tuple[bool, list[str]]:
    lines = user_lines(result.stderr)
    return result.returncode == 1 and len(lines) == 1 and "Traceback" not in result.stderr, lines


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt 2>/dev/null || exit 3"],
                           capture_output=True)
    return probe.returncode == 0


def in_namespace(script: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (its mounts vanish with it)."""
    return subprocess.run(["unshare", "--mount", "sh", "-ec", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


# The checks that must run while a private mount exists run in this module's `--inner` mode,
# inside the namespace, and print one JSON line.
def _inner(fault: str, corpus: Path, index: Path) -> dict[str, Any]:
    env = dict(os.environ)  # the outer run's: its cache lies outside the faulty volume
    before_ok, before = index_state(index)
    run = cli(["index", str(corpus), "--index", str(index), "--quiet"], env)
    ok, lines = one_line_and_clean(run)
    after_ok, after = index_state(index)
    return {"exit": run.returncode, "lines": lines, "traceback": "Traceback" in run.stderr, "one_line": ok,
            "before": before, "before_ok": before_ok, "after": after, "after_ok": after_ok}


# -- the faults ---------------------------------------------------------------------------------

def disk_full(work: Path) -> Outcome:
    """The disk fills while the new index is written: one line, the old index intact."""
    if not can_unshare():
        return Outcome("disk_full", True, "skipped: no private mount namespace here (unshare)", skipped=True)
    corpus, index, env = prepared(work)
    (corpus / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
    volume = work / "volume"
    volume.mkdir()
    size_kb = int(sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 1024 * 1.5)  # one index, not two
    script = (
        f"mount -t tmpfs -o size={size_kb}k tmpfs {volume}\n"
        f"mkdir {volume}/store && cp -r {index} {volume}/store/index\n"
        f"{sys.executable} -m eval.faults --inner disk_full --corpus {corpus} --index {volume}/store/index\n"
    )
    result = in_namespace(script, env)
    return _judge("disk_full", result, expect=["disk is full"], extra={"volume_kb": size_kb})


def read_only_index(work: Path) -> Outcome:
    """The index's folder is on a read-only file system: one line, the old index intact."""
    if not can_unshare():
        return Outcome("read_only", True, "skipped: no private mount namespace here (unshare)", skipped=True)
    corpus, index, env = prepared(work)
    (corpus / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
    volume = work / "volume"
    volume.mkdir()
    script = (
        f"mount -t tmpfs -o size=16m tmpfs {volume}\n"
        f"mkdir {volume}/store && cp -r {index} {volume}/store/index\n"
        f"mount -o remount,ro {volume}\n"
        f"{sys.executable} -m eval.faults --inner read_only --corpus {corpus} --index {volume}/store/index\n"
    )
    result = in_namespace(script, env)
    return _judge("read_only", result, expect=["read-only"])


def read_only_cache(work: Path) -> Outcome:
    """The embedding cache is on a read-only file system: one line naming it as read-only."""
    if not can_unshare():
        return Outcome("read_only_cache", True, "skipped: no private mount namespace here (unshare)", skipped=True)
    corpus, index, env = prepared(work)
    cache = Path(env["SCRUTINY_CACHE"]).parent
    script = f"mount --bind {cache} {cache}\nmount -o remount,bind,ro {cache}\n" + (
        f"{sys.executable} -m ui.cli index {corpus} --index {work / 'other-index'} --quiet\n"
    )
    result = in_namespace(script, env)
    lines = user_lines(result.stderr)
    passed = result.returncode != 0 and len(lines) == 1 and "read-only" in lines[0] and "Traceback" not in result.stderr
    return Outcome("read_only_cache", passed, lines[0] if lines else result.stderr[-300:], [result.returncode], [len(lines)],
                   lines)


def _judge(fault: str, result: subprocess.CompletedProcess[str], *, expect: Sequence[str], extra: dict[str, Any] | None = None) -> Outcome:
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return Outcome(fault, False, f"the check did not run: {result.stderr.strip()[-400:]}")
    lines = data["lines"]
    named = bool(lines) and all(e in lines[0] for e in expect)
    kept = data["before_ok"] and data["after_ok"] and data["before"] == data["after"]
    passed = data["one_line"] and named and kept
    detail = (lines[0] if lines else "no message") + ("" if kept else f" — the previous index changed: {data['after']}")
    return Outcome(fault, passed, detail, [data["exit"]], [len(lines)], lines, extra=extra or {})


def concurrent_writers(work: Path) -> Outcome:
    """Two `scrutiny index` runs on one index while a third writer holds it: both wait (and
    say who holds it), then run one after the other, the second finding the first's work
    done; the index ends with every file, nothing overwritten unseen."""
    from indexer.store import index_lock

    corpus, index, env = prepared(work)
    (corpus / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
    args = [sys.executable, "-m", "ui.cli", "index", str(corpus), "--index", str(index), "--quiet"]
    runs: list[subprocess.Popen[str]] = []
    logs = [work / "first.err", work / "second.err"]
    with index_lock(index, say=lambda line: None):
        for log in logs:
            runs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True))
        deadline = time.monotonic() + 120
        while not all("being written by" in log.read_text() for log in logs):
            if time.monotonic() > deadline or any(r.poll() is not None for r in runs):
                break
            time.sleep(0.05)
        waited = [("being written by" in log.read_text()) for log in logs]
    outs = [r.communicate(timeout=300)[0] for r in runs]
    errs = [log.read_text() for log in logs]
    ok, files = index_state(index)
    reports = sorted(next((line for line in out.splitlines() if line.startswith("Indexed")), "-") for out in outs)
    one_did_the_work = sum("(1 read, 5 unchanged, 0 failed)" in r for r in reports) == 1
    other_found_it_done = sum("(0 read, 6 unchanged, 0 failed)" in r for r in reports) == 1
    passed = all(waited) and all(r.returncode == 0 for r in runs) and one_did_the_work and other_found_it_done and ok and NEW_FILE in files
    return Outcome("concurrent_writers", passed,
                   f"both waited: {user_lines(errs[0])[0] if user_lines(errs[0]) else '-'}; then {reports[0]} / {reports[1]}",
                   [r.returncode for r in runs], [len(user_lines(e)) for e in errs], [user_lines(e)[0] for e in errs if user_lines(e)])


def killed_at_every_moment(work: Path, points: int = 8) -> Outcome:
    """SIGKILL at `points` evenly spaced moments of a build (reading, parsing, embedding,
    writing, swapping all fall somewhere): the index always loads, as the old or the new
    one, never damaged; the lock dies with the process; the next run completes."""
    corpus, index, env = prepared(work)
    args = [sys.executable, "-m", "ui.cli", "index", str(corpus), "--index", str(index), "--quiet", "--rebuild"]
    started = time.monotonic()
    timed = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    full = time.monotonic() - started
    if timed.returncode != 0:
        return Outcome("sigkill", False, f"the untouched build failed: {timed.stderr.strip()[-300:]}")
    results: list[dict[str, Any]] = []
    for n in range(points):
        when = full * (n + 0.5) / points
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(when)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        ok, files = index_state(index)
        results.append({"at_s": round(when, 2), "finished_first": finished, "loads": ok})
    after = subprocess.run([sys.executable, "-m", "ui.cli", "index", str(corpus), "--index", str(index), "--quiet"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    ok, _ = index_state(index)
    leftovers = [p.name for p in index.parent.iterdir() if p.name.startswith(f".{index.name}.") and not p.name.endswith(".lock")]
    passed = all(r["loads"] for r in results) and after.returncode == 0 and ok and not leftovers and "waiting" not in after.stderr
    killed = sum(not r["finished_first"] for r in results)
    return Outcome("sigkill", passed,
                   f"{killed} of {points} builds killed between {results[0]['at_s']} s and {results[-1]['at_s']} s "
                   f"(a full build took {full:.1f} s); the index loaded after every one; the next run completed",
                   [after.returncode], extra={"kills": results, "build_s": round(full, 2)})


FAULTS: dict[str, Callable[[Path], Outcome]] = {
    "disk_full": disk_full,
    "read_only": read_only_index,
    "read_only_cache": read_only_cache,
    "concurrent_writers": concurrent_writers,
    "sigkill": killed_at_every_moment,
}


def run(names: Sequence[str]) -> list[Outcome]:
    outcomes = []
    for name in names:
        work = Path(tempfile.mkdtemp(prefix=f"scrutiny-fault-{name}-"))
        try:
            outcomes.append(FAULTS[name](work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"Comma-separated faults among {', '.join(FAULTS)}.")
    parser.add_argument("--out", type=Path, help="Write the outcomes as JSON here.")
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        print(json.dumps(_inner(args.inner, args.corpus, args.index)))
        return 0
    names = [n.strip() for n in args.only.split(",")] if args.only else list(FAULTS)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        parser.error(f"unknown fault {unknown[0]!r}; choose among {', '.join(FAULTS)}")
    outcomes = run(names)
    for o in outcomes:
        mark = "skip" if o.skipped else ("PASS" if o.passed else "FAIL")
        print(f"{mark:4}  {o.fault:<19} {o.detail}")
    if args.out:
        args.out.write_text(json.dumps([asdict(o) for o in outcomes], indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

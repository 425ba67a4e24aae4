"""Soak test: many users against a running `scrutiny serve`, memory and open files sampled.

Starts `scrutiny serve` on 127.0.0.1 (a free port, its own temporary folder), sends a
bounded loop of mixed requests from concurrent users through the app's own queue (the
way the page does: search, answer, timeline, and now and then an export), samples the
server's resident memory and open file descriptors from /proc once a second, then idles
and samples again. Memory is "flat" when the last fifth of the run stays within
`--tolerance` of the level reached after the warm-up (the first fifth).

    python -m eval.soak --requests 2000 --users 32 --out eval/soak.json
    python -m eval.soak --requests 200 --users 8          # a short run

Only loopback addresses: the server is bound to 127.0.0.1 and nothing else is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Queries in the records' own words, questions, and filters; a few that the app must
# refuse in one line (an impossible date) so error paths run under load too.
QUERIES = (
    "101 calls", "What did the Chief Constable say about 101 calls since 2019?", "knife crime", "rural crime",
    "domestic abuse", "precept", "neighbourhood policing", "stop and search", "violence against women and girls",
    "What did the PCC ask about response times?", "road safety", "anti-social behaviour", "victim satisfaction",
    "budget", "recruitment of officers", "calls since 2023-13-45",
)
SPEAKERS = ("", "", "", "CC", "PCC")
# The app's events, by the names Gradio gives them (their functions' names).
SEARCH, ANSWER, TIMELINE, EXPORT = "do_search", "do_answer", "do_timeline", "do_export"
MIX = ((SEARCH, 0.4), (ANSWER, 0.3), (TIMELINE, 0.25), (EXPORT, 0.05))


@dataclass
class Sample:
    t: float  # seconds since the start of the load
    requests: int  # completed so far
    rss_mb: float
    fds: int


@dataclass
class SoakReport:
    requests: int
    users: int
    errors: int
    error_kinds: dict[str, int]
    by_event: dict[str, int]
    seconds: float
    latency_p50_s: float
    latency_p95_s: float
    rss_start_mb: float  # when serving, before any request
    rss_warm_mb: float  # median of the first fifth of the run (warm-up)
    rss_end_mb: float  # median of the last fifth
    rss_max_mb: float
    rss_idle_mb: float  # after the load, idle
    fds_warm: int
    fds_end: int
    fds_idle: int
    growth: float  # rss_end / rss_warm - 1
    flat: bool
    tolerance: float
    embedder: str
    load_average: tuple[float, float, float]
    exports_left: int  # export folders on disk when the load ended
    samples: list[Sample] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def start_server(index: Path, port: int, tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--index", str(index), "--port", str(port)],
        cwd=ROOT, env=dict(env, TMPDIR=str(tmp)), stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while "is serving on" not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"scrutiny serve did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return proc, log


def _args(event: str, rng: random.Random) -> tuple[Any, ...]:
    query = rng.choice(QUERIES)
    speaker = rng.choice(SPEAKERS)
    if event in (SEARCH, EXPORT):
        return (query, speaker, "", "", "", "", rng.choice(("relevance", "date")), rng.choice((10, 20)))
    return (query, speaker, "", "", "", "")


def run_load(url: str, total: int, users: int, seed: int, done: Callable[[], None]) -> tuple[list[float], Counter[str], Counter[str]]:
    """`total` requests from `users` threads, each with its own client (its own session)."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    by_event: Counter[str] = Counter()
    lock = threading.Lock()
    remaining = [total]

    def user(n: int) -> None:
        rng = random.Random(seed + n)
        client = Client(url, verbose=False, download_files=False)
        try:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                event = rng.choices([e for e, _ in MIX], [w for _, w in MIX])[0]
                started = time.perf_counter()
                try:
                    client.predict(*_args(event, rng), api_name=f"/{event}")
                except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                    with lock:
                        errors[f"{event}: {type(exc).__name__}: {' '.join(str(exc).split())[:120]}"] += 1
                with lock:
                    latencies.append(time.perf_counter() - started)
                    by_event[event] += 1
                done()
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, by_event


def soak(index: Path, *, requests: int, users: int, tolerance: float, idle_s: float, seed: int,
         env: dict[str, str]) -> SoakReport:
    tmp = Path(tempfile.mkdtemp(prefix="scrutiny-soak-"))
    port = free_port()
    proc, _ = start_server(index, port, tmp, env)
    samples: list[Sample] = []
    completed = [0]
    stop = threading.Event()
    t0 = time.monotonic()

    def sampler() -> None:
        while not stop.is_set():
            samples.append(Sample(round(time.monotonic() - t0, 2), completed[0], round(rss_mb(proc.pid), 1), open_fds(proc.pid)))
            stop.wait(1.0)

    def done() -> None:
        completed[0] += 1

    try:
        rss_start = rss_mb(proc.pid)
        watcher = threading.Thread(target=sampler, daemon=True)
        watcher.start()
        started = time.monotonic()
        latencies, errors, by_event = run_load(f"http://127.0.0.1:{port}/", requests, users, seed, done)
        seconds = time.monotonic() - started
        exports = [p for p in tmp.glob("scrutiny-exports-*/*") if p.is_dir()]
        time.sleep(idle_s)
        stop.set()
        watcher.join()
        idle = Sample(round(time.monotonic() - t0, 2), completed[0], round(rss_mb(proc.pid), 1), open_fds(proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    loaded = [s for s in samples if s.requests > 0 and s.requests < requests] or samples
    fifth = max(1, len(loaded) // 5)
    warm, end = loaded[:fifth], loaded[-fifth:]
    rss_warm = statistics.median(s.rss_mb for s in warm)
    rss_end = statistics.median(s.rss_mb for s in end)
    growth = rss_end / rss_warm - 1 if rss_warm else 0.0
    ordered = sorted(latencies)
    return SoakReport(
        requests=len(latencies), users=users, errors=sum(errors.values()), error_kinds=dict(errors),
        by_event=dict(by_event), seconds=round(seconds, 1),
        latency_p50_s=round(ordered[len(ordered) // 2], 3) if ordered else 0.0,
        latency_p95_s=round(ordered[int(len(ordered) * 0.95) - 1], 3) if ordered else 0.0,
        rss_start_mb=round(rss_start, 1), rss_warm_mb=round(rss_warm, 1), rss_end_mb=round(rss_end, 1),
        rss_max_mb=max(s.rss_mb for s in samples), rss_idle_mb=idle.rss_mb,
        fds_warm=int(statistics.median(s.fds for s in warm)), fds_end=int(statistics.median(s.fds for s in end)),
        fds_idle=idle.fds, growth=round(growth, 4), flat=growth <= tolerance and idle.rss_mb <= rss_warm * (1 + tolerance),
        tolerance=tolerance, embedder=env.get("SCRUTINY_EMBEDDER", "packaged model"), load_average=os.getloadavg(),
        exports_left=len(exports), samples=samples,
    )


def build_index(index: Path, env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "ui.cli", "index", str(ROOT / "corpus"), "--index", str(index), "--quiet"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"scrutiny index failed: {result.stderr.strip()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--tolerance", type=float, default=0.10, help="Allowed memory growth after warm-up (0.10 = 10%%).")
    parser.add_argument("--idle", type=float, default=20.0, help="Seconds idle after the load before the last sample.")
    parser.add_argument("--fake", action="store_true", help="Use the fake embedder (no model; measures the app, not the model).")
    parser.add_argument("--index", type=Path, help="An existing index (default: the seed corpus, indexed afresh).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="Write the report as JSON here.")
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRUTINY_LLM")}
    env["PYTHONPATH"] = str(ROOT)
    work = Path(tempfile.mkdtemp(prefix="scrutiny-soak-index-"))
    env.setdefault("SCRUTINY_CACHE", str(ROOT / "data" / "cache" / "embeddings.sqlite"))
    if args.fake:
        env["SCRUTINY_EMBEDDER"] = "fake"
        env["SCRUTINY_CACHE"] = str(work / "cache.sqlite")
    index = args.index
    if index is None:
        index = work / "index"
        build_index(index, env)
    try:
        report = soak(index, requests=args.requests, users=args.users, tolerance=args.tolerance, idle_s=args.idle,
                      seed=args.seed, env=env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {k: v for k, v in asdict(report).items() if k != "samples"}
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps(asdict(report), indent=1) + "\n", encoding="utf-8")
    return 0 if report.errors == 0 and report.flat else 1


if __name__ == "__main__":
    sys.exit(main())

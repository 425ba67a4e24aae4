"""Speed benchmark: index build time and query latency, on the seed corpus and at 100,000 passages.

``python -m eval.bench [--passages 100000] [--queries 200] [--out eval/bench.json]``

Four phases, each in its own child process so that its peak memory (``ru_maxrss``) is its own:

1. **seed-build**: ``indexer.build.build_index`` over ``corpus/`` with the real packaged
   MiniLM and a throwaway embedding cache, so embedding is really measured; the model is
   loaded first and its load time reported apart.
2. **seed-query**: p50/p95 latency of ``Searcher.search`` (lexical, dense, hybrid) over
   ``QUERIES`` cycled to ``--queries`` searches per mode, after a warm-up pass (model load
   excluded).
3. **synthetic-build**: a corpus of ``--passages`` passages made by recombining the seed
   passages' real sentences (2-5 per passage) under varied dates (2015-2026), bodies, kinds
   and speakers. Its vectors are NOT passage embeddings: each distinct sentence is embedded
   once with the real model (cached in ``data/cache/bench-sentences.npy``) and a passage's
   vector is the normalised mean of its sentences' vectors. What embedding the passages
   would cost is extrapolated: the real model's rate, measured on a sample of the synthetic
   passages, times their number. Everything else (BM25, FAISS HNSW, writing) is measured
   through ``indexer.store.write_index``.
4. **synthetic-query**: ``load_index``, then latencies as in 2, plus hybrid with filters
   (speaker CC, since 2019).
5. **backends**: both search backends (indexer.backend) over the seed index and the first
   ``--backend-passages`` synthetic passages: the embedded one (bm25s + FAISS) and Qdrant in
   local mode (in process, exact search; a server with HNSW and payload indexes is faster at
   scale). Time to add the passages, latency of a hybrid search (both rankings, depth 50,
   fused; query vectors embedded beforehand) with and without filters, and how much of each
   top 10 the two share.

Latencies include embedding the query (the searcher's query-vector cache is cleared before
every timed search); the "excl." columns subtract the time spent in the embedder.

Two more phases compare the ways of running the model (``--embedder``: onnx-int8, the
default, onnx-fp32 and torch), run first:

0. **embedders**: for each embedder, the seed corpus indexed from scratch (passages a
   second, model load apart), a sweep of batch sizes for the ONNX ones, and nDCG@10 of
   dense and hybrid retrieval on each question set (``--questions``; by default ours and,
   where present, the shared dev set, read in place).
1. **cold-start**: wall time of a fresh ``scrutiny`` process per command, median of five
   (after one untimed run that warms the file cache and the ledger's embedding cache),
   on the index each embedder built: every command for the default embedder, ``search``
   for the others.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from search.filters import Filters
from indexer.sentences import split_sentences as project_sentences

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpus"
DEFAULT_SENTENCE_CACHE = ROOT / "data" / "cache" / "bench-sentences.npy"
DEFAULT_OUT = ROOT / "eval" / "bench.json"

# What the README promises; the report says whether each is met.
TARGET_HYBRID_P95_MS = 30.0
TARGET_INDEX_SHARE = 0.10  # index work other than embedding, as a share of embedding time
TARGET_PASSAGES = 100_000

PHASES = ("embedders", "cold-start", "seed-build", "seed-query", "synthetic-build", "synthetic-query", "backends")
EMBEDDERS = ("torch", "onnx-fp32", "onnx-int8")  # in the order they are measured
BATCH_SIZES = (1, 4, 8, 16, 32, 64)
COLD_RUNS = 5
# The commands timed from a fresh process: (label, arguments after `scrutiny`).
COLD_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("--version", ("--version",)),
    ("--help", ("--help",)),
    ("documents", ("documents", "--json")),
    ("actions", ("actions", "--json")),
    ("brief", ("brief",)),
    ("search (lexical)", ("search", "what did the CC say about 101 calls", "--mode", "lexical", "--json")),
    ("search", ("search", "what did the CC say about 101 calls", "--json")),
    ("ask", ("ask", "What did the Chief Constable say about 101 call answering times?", "--json")),
    ("timeline", ("timeline", "101 calls", "--json")),
)
TARGET_COLD_SECONDS = {"search": 2.0, "ask": 3.0}
BACKEND_PASSAGES = 20_000  # what Qdrant's local mode (exact, in Python) holds comfortably

# What researchers type: topics, speakers, dates, bodies and kinds, in the records' words
# and in their own.
QUERIES: tuple[str, ...] = (
    "101 call answering times",
    "999 emergency response times",
    "violence against women and girls",
    "victim satisfaction with the police",
    "police officer recruitment and retention",
    "stop and search",
    "anti-social behaviour in town centres",
    "rural crime",
    "domestic abuse arrests",
    "knife crime and serious violence",
    "county lines drug dealing",
    "neighbourhood policing and PCSOs",
    "HMICFRS inspection findings",
    "road safety and fatal collisions",
    "fraud and cyber crime",
    "Operation Soteria rape investigations",
    "mental health calls for service",
    "charge rates and positive outcomes",
    "hate crime",
    "complaints against the police",
    "officer wellbeing and sickness",
    "the precept and the budget",
    "what did the CC say about 101 calls since 2019",
    "what did the Chief Constable say about recruitment in 2023",
    "has the PCC raised concerns about the precept",
    "what did the Commissioner say about victims' services",
    "the DCC's comments on crime data integrity",
    "what did Tim Smith say about neighbourhood policing",
    "Matthew Scott on the police and crime plan",
    "what did Members ask about the annual report",
    "burglary figures in 2022",
    "panel questions about the precept in 2024",
    "domestic abuse since 2021",
    "decisions on funding between 2018 and 2020",
    "Performance and Delivery Board notes on ASB in 2025",
    "what was promised about response times last year",
    "annual report on road safety 2023",
    "knife crime before 2020",
    "drones and new technology",
    "how many special constables are there",
)

# -- small helpers ---------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1024 * 1024) if sys.platform == "darwin" else kib / 1024


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of durations given in seconds, as milliseconds."""
    if not samples:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan"), "max_ms": float("nan")}
    ms = np.asarray(samples, dtype=np.float64) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "max_ms": round(float(ms.max()), 2),
    }


class TimedEmbedder:
    """Wraps an embedder and adds up the seconds spent in `embed`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # of every thread of the process, while embedding
        self.calls = 0

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    @property
    def fingerprint(self) -> str:
        return str(self.inner.fingerprint)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.process_time() - cpu
            self.calls += 1


@contextmanager
def stopwatch(owner: Any, attribute: str, totals: dict[str, float], label: str) -> Iterator[None]:
    """Time every call of `owner.attribute` (a function or classmethod) into totals[label].

    Only the benchmark does this, to split `write_index`'s one call into its parts without
    building the BM25 and FAISS indexes twice.
    """
    raw = inspect.getattr_static(owner, attribute)
    func = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            totals[label] = totals.get(label, 0.0) + time.perf_counter() - started

    replacement: Any = type(raw)(timed) if isinstance(raw, (classmethod, staticmethod)) else timed
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, raw)


# -- query latency ---------------------------------------------------------------------

# The searches timed on each corpus: name -> keyword arguments of Searcher.search.
SEED_MODES: dict[str, dict[str, Any]] = {
    "lexical": {"mode": "lexical"},
    "dense": {"mode": "dense"},
    "hybrid": {"mode": "hybrid"},
}
SYNTHETIC_MODES: dict[str, dict[str, Any]] = {
    **SEED_MODES,
    "hybrid, speaker CC since 2019": {"mode": "hybrid", "filters": Filters(speaker="CC", since=date(2019, 1, 1))},
}


SLOWEST = 5  # queries listed per mode as the slowest


def query_latencies(
    searcher: Any, embedder: TimedEmbedder, queries: Sequence[str], n: int, modes: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Latency of `n` searches per mode, cycling through `queries`, after one untimed pass.

    The searcher must embed queries through `embedder`. Its query-vector cache (if any) is
    cleared before each timed search, so the figures include embedding the query; the
    `*_excl_embedding` figures subtract what the embedder took. Wall-clock time suffers when
    other processes compete for the CPU; `p95_cpu_ms_excl_embedding` (this process's CPU time,
    embedding aside) much less so, which tells a busy machine from slow code.
    """
    clear = getattr(getattr(searcher, "_embed", None), "cache_clear", None)
    out: dict[str, dict[str, Any]] = {}
    for name, kwargs in modes.items():
        for query in queries:  # warm-up: regexes compiled, filter tables built, model loaded
            searcher.search(query, **kwargs)
        totals: list[float] = []
        without: list[float] = []
        in_embedder: list[float] = []
        cpu_without: list[float] = []
        matched: list[int] = []
        by_query: dict[str, list[float]] = {}
        for i in range(n):
            query = queries[i % len(queries)]
            if clear is not None:
                clear()
            before, cpu_before = embedder.seconds, embedder.cpu_seconds
            started, cpu = time.perf_counter(), time.process_time()
            result = searcher.search(query, **kwargs)
            elapsed = time.perf_counter() - started
            cpu_without.append(time.process_time() - cpu - (embedder.cpu_seconds - cpu_before))
            embedded = embedder.seconds - before
            totals.append(elapsed)
            without.append(elapsed - embedded)
            in_embedder.append(embedded)
            matched.append(result.matched)
            by_query.setdefault(query, []).append(elapsed - embedded)
        record: dict[str, Any] = {"n": n, **summary_ms(totals)}
        excl = summary_ms(without)
        record["p50_ms_excl_embedding"] = excl["p50_ms"]
        record["p95_ms_excl_embedding"] = excl["p95_ms"]
        record["p50_cpu_ms_excl_embedding"] = summary_ms(cpu_without)["p50_ms"]
        record["p95_cpu_ms_excl_embedding"] = summary_ms(cpu_without)["p95_ms"]
        record["query_embedding_p50_ms"] = summary_ms(in_embedder)["p50_ms"]
        record["matched_median"] = int(np.median(matched)) if matched else 0
        # Where the time goes: the queries slowest to answer, embedding aside.
        slowest = sorted(by_query.items(), key=lambda kv: -float(np.median(kv[1])))[:SLOWEST]
        record["slowest_excl_embedding_ms"] = {q: round(float(np.median(t)) * 1000, 2) for q, t in slowest}
        out[name] = record
    return out


# -- phase 1 and 2: the seed corpus ----------------------------------------------------


def seed_build(corpus: Path, index_dir: Path, embedder: Any) -> dict[str, Any]:
    """Index `corpus` from scratch with a throwaway cache; seconds per stage."""
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, config_for
    from indexer.manifest import read_manifest
    from indexer.parse import parse_file
    from indexer.resolve import resolve_corpus

    started = time.perf_counter()
    embedder.embed(["warm-up"])  # loads the model, so "embedding" below is only embedding
    model_load = time.perf_counter() - started
    manifest = corpus / "manifest.csv"
    rows = read_manifest(manifest) if manifest.is_file() else {}
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache_dir:
        with EmbeddingCache(Path(cache_dir) / "embeddings.sqlite") as cache:
            started = time.perf_counter()
            report = build_index(
                [corpus], index_dir, embedder=embedder, cache=cache, parse=parse_file,
                manifest_rows=rows, config=config_for(embedder), rebuild=True, progress=False,
                finalise=resolve_corpus,
            )
            total = time.perf_counter() - started
    seconds = {k: round(v, 3) for k, v in report.seconds.items()}
    return {
        "files": report.files_indexed,
        "passages": report.passages,
        "embedded": report.embedded_new,
        "model_load_seconds": round(model_load, 3),
        "seconds": seconds,
        "total_seconds": round(total, 3),
        "embedding_rate_per_s": round(report.embedded_new / report.seconds["embedding"], 2)
        if report.seconds["embedding"] > 0 else None,
        "index_share_of_embedding": round(report.seconds["indexing"] / report.seconds["embedding"], 4)
        if report.seconds["embedding"] > 0 else None,
    }


def seed_query(index_dir: Path, embedder: Any, n: int, queries: Sequence[str] = QUERIES) -> dict[str, Any]:
    from indexer.embed import config_for
    from indexer.store import load_index
    from search.engine import Searcher

    timed = TimedEmbedder(embedder)
    config = config_for(embedder)
    index = load_index(index_dir, config=config, embedder_fingerprint=embedder.fingerprint)
    searcher = Searcher(index, timed, config)
    return {"passages": len(index.passages), "latency": query_latencies(searcher, timed, queries, n, SEED_MODES)}


# -- phase 3: the synthetic corpus -----------------------------------------------------

SENTENCE_WORDS = (5, 80)  # shorter is a fragment (a heading, a table cell), longer a run-on table


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage (the project's splitter); fragments dropped."""
    out = []
    for part in project_sentences(text):
        part = " ".join(part.split())
        words = len(part.split())
        if SENTENCE_WORDS[0] <= words <= SENTENCE_WORDS[1] and part[-1:] in ".!?":
            out.append(part)
    return out


def seed_sentences(passages: Sequence[Any]) -> list[str]:
    """The distinct sentences of `passages`, in order of first appearance."""
    return list(dict.fromkeys(s for p in passages for s in split_sentences(p.text)))


def seed_passages(corpus: Path) -> list[Any]:
    """The seed corpus's passages, parsed (no embedding)."""
    from indexer.manifest import read_manifest
    from indexer.parse import parse_file
    from indexer.read import corpus_files, read_file
    from indexer.resolve import resolve_corpus

    manifest = corpus / "manifest.csv"
    rows = read_manifest(manifest) if manifest.is_file() else {}
    files = [parse_file(read_file(path), rows.get(path.name)) for path in corpus_files([corpus])]
    return [p for f in resolve_corpus(files) for p in f.passages]


def _sentence_key(fingerprint: str, sentence: str) -> str:
    return hashlib.blake2b(f"{fingerprint}\0{sentence}".encode("utf-8"), digest_size=16).hexdigest()


def sentence_vectors(
    sentences: Sequence[str], embedder: Any, cache_path: Path, *, batch: int = 256, say: Callable[[str], None] = print
) -> tuple[np.ndarray, int, float]:
    """One unit vector per sentence, embedding only those not cached at `cache_path`.

    The cache is two .npy files (no pickle): the vectors, and beside them (`-keys.npy`) a
    hash of (model fingerprint, sentence) per row. Returns (vectors, newly embedded, seconds).
    """
    keys_path = cache_path.with_name(f"{cache_path.stem}-keys.npy")
    keys = [_sentence_key(embedder.fingerprint, s) for s in sentences]
    cached_vectors = np.zeros((0, embedder.dim), dtype=np.float32)
    cached_keys: list[str] = []
    if cache_path.is_file() and keys_path.is_file():
        try:
            loaded = np.load(cache_path, allow_pickle=False)
            loaded_keys = np.load(keys_path, allow_pickle=False)
            if loaded.ndim == 2 and loaded.shape == (len(loaded_keys), embedder.dim):
                cached_vectors, cached_keys = loaded.astype(np.float32), [str(k) for k in loaded_keys]
        except (OSError, ValueError):
            pass  # only a cache: embed again
    row_of = {k: i for i, k in enumerate(cached_keys)}
    missing = [i for i, k in enumerate(keys) if k not in row_of]
    started = time.perf_counter()
    new = np.zeros((len(missing), embedder.dim), dtype=np.float32)
    for at in range(0, len(missing), batch):
        chunk = missing[at : at + batch]
        new[at : at + len(chunk)] = embedder.embed([sentences[i] for i in chunk])
        say(f"  embedded {at + len(chunk):,} of {len(missing):,} sentences")
    seconds = time.perf_counter() - started
    if missing:
        cached_vectors = np.concatenate([cached_vectors, new])
        for i in missing:
            row_of[keys[i]] = len(cached_keys)
            cached_keys.append(keys[i])
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        for path, array in ((cache_path, cached_vectors), (keys_path, np.array(cached_keys, dtype="<U32"))):
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            with open(tmp, "wb") as handle:
                np.save(handle, array, allow_pickle=False)
            os.replace(tmp, path)
    return cached_vectors[[row_of[k] for k in keys]], len(missing), seconds


@dataclass(frozen=True)
class Office:
    """An office on a body's roster: how the records name it, and who held it when."""

    role: str
    as_named: tuple[str, ...]
    holders: tuple[tuple[int, str | None], ...]  # (first year, name), in order

    def holder(self, year: int) -> str | None:
        name = self.holders[0][1]
        for first, who in self.holders:
            if year >= first:
                name = who
        return name


MEMBERS = (
    "Cllr Mrs J Hollingsbee", "Cllr P Feacey", "Cllr R Wells", "Mr J Meade", "Cllr A Okafor",
    "Cllr D Marsh", "Mrs L Fennell", "Cllr K Booth", "Cllr N Patel", "Mr H Ashdown",
)
# Holders in the seed records keep their names; earlier holders are invented.
OFFICES: dict[str, Office] = {
    "PCC": Office("PCC", ("the PCC", "The Commissioner", "the Police and Crime Commissioner"),
                  ((2015, "Jane Marlowe"), (2016, "Matthew Scott"))),
    "CC": Office("CC", ("the CC", "The Chief Constable"), ((2015, "Alan Pughsley"), (2022, "Tim Smith"))),
    "DCC": Office("DCC", ("the DCC", "The Deputy Chief Constable"),
                  ((2015, "Paul Kestrel"), (2019, "Tony Blaker"), (2022, "Peter Ayling"))),
    "DCO": Office("DCO", ("the DCO", "The Deputy Chief Officer"), ((2015, "Ian Drysdale"),)),
    "CE": Office("CE", ("the Chief Executive", "the CE"), ((2015, "Adrian Harper"),)),
    "Chair": Office("Chair", ("The Chair", "The Chairman"), ((2015, "Mr P M Hill"), (2021, "Mr G Sandher"))),
}


@dataclass(frozen=True)
class BodySpec:
    name: str
    share: float  # of meetings
    kinds: tuple[tuple[str, float], ...]
    offices: tuple[tuple[str, float], ...]  # role (or "Member") and how often it speaks


BODIES: tuple[BodySpec, ...] = (
    BodySpec("Performance and Delivery Board", 0.45, (("meeting notes", 1.0),),
             (("PCC", 3), ("CC", 3), ("DCC", 2), ("DCO", 1), ("CE", 1))),
    BodySpec("Kent and Medway Police and Crime Panel", 0.35,
             (("minutes", 0.4), ("report", 0.2), ("annual report", 0.1), ("decision", 0.1),
              ("questions", 0.1), ("work programme", 0.1)),
             (("PCC", 4), ("Chair", 2), ("Member", 3), ("CE", 1), ("CC", 1))),
    BodySpec("Joint Audit Committee", 0.1, (("minutes", 0.7), ("report", 0.3)),
             (("Chair", 2), ("CE", 2), ("DCO", 2), ("Member", 1))),
    BodySpec("Victims Services Board", 0.1, (("meeting notes", 0.7), ("report", 0.3)),
             (("PCC", 2), ("CE", 1), ("DCC", 1))),
)
FIRST_DAY, LAST_DAY = date(2015, 1, 1), date(2026, 12, 31)
INFERRED_SHARE = 0.05  # meetings whose notes are undated: a date range, never a day
PASSAGES_PER_MEETING = (40, 160)
ITEMS_PER_MEETING = (3, 9)
SENTENCES_PER_PASSAGE = (2, 5)


@dataclass
class SyntheticCorpus:
    files: list[Any]  # ParsedFile, one per meeting
    sentence_ids: list[list[int]]  # per passage, in index order
    sentences: list[str]
    passages: int = field(init=False)

    def __post_init__(self) -> None:
        self.passages = len(self.sentence_ids)


def _speaker(body: BodySpec, year: int, rng: random.Random) -> Any:
    from indexer.records import Speaker

    roles, weights = zip(*body.offices)
    role = rng.choices(roles, weights)[0]
    if role == "Member":
        if rng.random() < 0.2:
            return Speaker("Member", None, rng.choice(("A Member", "Members")))
        name = rng.choice(MEMBERS)
        return Speaker("Member", name, name)
    office = OFFICES[role]
    return Speaker(role, office.holder(year), rng.choice(office.as_named))


def synthetic_corpus(
    sentences: Sequence[str], n: int, *, seed: int = 0, item_titles: Sequence[str] = ()
) -> SyntheticCorpus:
    """`n` passages of 2-5 of `sentences`, in meetings of varied bodies, kinds, dates and speakers."""
    from indexer.records import AgendaItem, Attendee, Document, ParsedFile, Passage

    if not sentences:
        raise ValueError("no sentences to recombine")
    rng = random.Random(seed)
    titles = list(item_titles) or ["Performance", "Finance", "Any other business"]
    span = (LAST_DAY - FIRST_DAY).days
    files: list[Any] = []
    sentence_ids: list[list[int]] = []
    meeting = 0
    while len(sentence_ids) < n:
        body = rng.choices(BODIES, [b.share for b in BODIES])[0]
        kinds, kind_weights = zip(*body.kinds)
        kind = rng.choices(kinds, kind_weights)[0]
        day = FIRST_DAY + timedelta(days=rng.randrange(span + 1))
        inferred = kind == "meeting notes" and rng.random() < INFERRED_SHARE
        date_range = (day - timedelta(days=45), day + timedelta(days=45)) if inferred else None
        meeting_date = date_range[0] if date_range else day
        source = f"{body.name.lower().replace(' ', '-')}_{day.isoformat()}_{meeting:05d}.txt"
        doc_id = f"{source}#0"
        count = min(rng.randint(*PASSAGES_PER_MEETING), n - len(sentence_ids))
        n_items = min(rng.randint(*ITEMS_PER_MEETING), count)
        # Sorted cut points share the passages out among the agenda items.
        cuts = sorted(rng.sample(range(1, count), n_items - 1)) if n_items > 1 else []
        item_of = np.searchsorted(np.asarray(cuts, dtype=np.int64), np.arange(count), side="right")
        if len(titles) >= n_items:
            item_titles_here = rng.sample(titles, n_items)
        else:
            item_titles_here = [rng.choice(titles) for _ in range(n_items)]
        texts: list[str] = []
        passages: list[Passage] = []
        offset = 0
        for i in range(count):
            ids = rng.sample(range(len(sentences)), min(rng.randint(*SENTENCES_PER_PASSAGE), len(sentences)))
            text = " ".join(sentences[j] for j in ids)
            how_many = rng.choices((0, 1, 2), (25, 55, 20))[0]
            speakers = tuple(dict.fromkeys(_speaker(body, day.year, rng) for _ in range(how_many)))
            item = int(item_of[i])
            passages.append(Passage(
                id=f"{doc_id}:{i}", source=source, document_id=doc_id,
                document_title=f"{body.name} {kind}", document_kind=kind, body=body.name,
                meeting_date=meeting_date, date_inferred=inferred, item_number=str(item + 1),
                item_title=item_titles_here[item], section=None, speakers=speakers, text=text,
                start=offset, end=offset + len(text), tokens=len(text.split()),
            ))
            texts.append(text)
            sentence_ids.append(ids)
            offset += len(text) + 2
        full_text = "\n\n".join(texts)
        items = []
        for number in range(n_items):
            rows = [p for p, it in zip(passages, item_of) if it == number]
            if rows:
                items.append(AgendaItem(str(number + 1), item_titles_here[number], rows[0].start, rows[-1].end))
        attendees = tuple(dict.fromkeys(
            Attendee(s.name, s.role, s.as_named) for p in passages for s in p.speakers if s.name
        ))
        document = Document(
            id=doc_id, source=source, kind=kind, title=f"{body.name} {kind}", body=body.name,
            date=None if inferred else day, date_range=date_range, date_inferred=inferred,
            attendees=attendees, items=tuple(items), start=0, end=len(full_text),
        )
        files.append(ParsedFile(source=source, text=full_text, documents=(document,), passages=tuple(passages)))
        meeting += 1
    return SyntheticCorpus(files, sentence_ids, list(sentences))


def passage_vectors(sentence_vecs: np.ndarray, sentence_ids: Sequence[Sequence[int]]) -> np.ndarray:
    """Each passage's vector: the normalised mean of its sentences' vectors."""
    lengths = np.fromiter((len(ids) for ids in sentence_ids), dtype=np.int64, count=len(sentence_ids))
    flat = np.fromiter((i for ids in sentence_ids for i in ids), dtype=np.int64, count=int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    sums = np.add.reduceat(sentence_vecs[flat], starts, axis=0) if len(flat) else np.zeros((0, sentence_vecs.shape[1]))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.ascontiguousarray(sums / np.where(norms == 0, 1, norms), dtype=np.float32)


def embedding_rate(embedder: Any, texts: Sequence[str]) -> float:
    """Texts per second the embedder manages on `texts` (after one warm-up call)."""
    embedder.embed(["warm-up"])
    started = time.perf_counter()
    embedder.embed(list(texts))
    return len(texts) / (time.perf_counter() - started)


def synthetic_build(
    corpus: Path,
    index_dir: Path,
    embedder: Any,
    n: int,
    *,
    config: Any = None,
    sentence_cache: Path = DEFAULT_SENTENCE_CACHE,
    rate_sample: int = 128,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Make and index the synthetic corpus; measured index work and extrapolated embedding."""
    from indexer.embed import config_for
    from indexer.store import write_index
    from indexer import lexical
    import indexer.store as store

    config = config or config_for(embedder)
    started = time.perf_counter()
    seeds = seed_passages(corpus)
    sentences = seed_sentences(seeds)
    item_titles = sorted({p.item_title for p in seeds if p.item_title})
    vectors, embedded, sentence_seconds = sentence_vectors(sentences, embedder, sentence_cache, say=say)
    synthetic = synthetic_corpus(sentences, n, seed=seed, item_titles=item_titles)
    embeddings = passage_vectors(vectors, synthetic.sentence_ids)
    generate = time.perf_counter() - started

    # The rate the real model would embed these passages at: timed on a sample of them.
    sample_rng = random.Random(seed + 1)
    all_passages = [p for f in synthetic.files for p in f.passages]
    sample = [p.index_text for p in sample_rng.sample(all_passages, min(rate_sample, len(all_passages)))]
    rate = embedding_rate(embedder, sample)

    parts: dict[str, float] = {}
    started = time.perf_counter()
    with stopwatch(store, "build_dense_index", parts, "faiss"), \
            stopwatch(lexical.LexicalIndex, "build", parts, "bm25"), \
            stopwatch(lexical.LexicalIndex, "build_from_tokens", parts, "bm25_index"):
        manifest = write_index(index_dir, synthetic.files, embeddings, config, embedder.fingerprint, {}, [])
    total = time.perf_counter() - started
    extrapolated = n / rate
    seconds = {
        "bm25_tokenise": round(parts["bm25"] - parts["bm25_index"], 3),
        "bm25_index": round(parts["bm25_index"], 3),
        "faiss": round(parts["faiss"], 3),
        "writing": round(total - parts["bm25"] - parts["faiss"], 3),
        "total": round(total, 3),
    }
    return {
        "passages": manifest["counts"]["passages"],
        "files": manifest["counts"]["files"],
        "dense_index": manifest["dense_index"],
        "vectors": (
            f"normalised mean of {len(sentences):,} cached sentence embeddings ({embedder.name}), "
            "not passage embeddings"
        ),
        "sentences": len(sentences),
        "sentences_embedded_now": embedded,
        "sentence_embedding_seconds": round(sentence_seconds, 3),
        "generate_seconds": round(generate, 3),
        "index_seconds": seconds,
        "embedding_rate_per_s": round(rate, 2),
        "embedding_rate_sample": len(sample),
        "embedding_seconds_extrapolated": round(extrapolated, 1),
        "index_share_of_embedding": round(total / extrapolated, 4),
    }


def synthetic_query(
    index_dir: Path, embedder: Any, n: int, *, config: Any = None, queries: Sequence[str] = QUERIES,
    modes: Mapping[str, Mapping[str, Any]] = SYNTHETIC_MODES,
) -> dict[str, Any]:
    from indexer.embed import config_for
    from indexer.store import load_index
    from search.engine import Searcher

    config = config or config_for(embedder)
    timed = TimedEmbedder(embedder)
    started = time.perf_counter()
    # Same model weights required; the parser version is not, as no parser made these passages.
    index = load_index(index_dir, embedder_fingerprint=embedder.fingerprint)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    searcher = Searcher(index, timed, config)
    ready = time.perf_counter() - started
    return {
        "passages": len(index.passages),
        "load_seconds": round(loaded, 3),
        "searcher_init_seconds": round(ready, 3),
        "latency": query_latencies(searcher, timed, queries, n, modes),
    }


def _fused_top(ranked: Any, rows: Mapping[str, int], k: int = 10) -> list[str]:
    from search.fuse import rrf

    config_k, weight = 10, 0.3  # IndexConfig's fusion
    fused = rrf({"lexical": [rows[i] for i, _ in ranked.lexical], "dense": [rows[i] for i, _ in ranked.dense]},
                k=config_k, weights={"lexical": 1.0, "dense": weight}, limit=k)
    ids = list(rows)
    return [ids[h.index] for h in fused]


def compare_backends(
    passages: Sequence[Any], embeddings: np.ndarray, date_ranges: Mapping[str, Any], embedder: Any,
    queries: Sequence[str], n: int,
) -> dict[str, Any]:
    """Both backends over the same passages: add time, hybrid latency (plain and filtered,
    query embedding excluded) and the share of each top 10 they have in common."""
    from indexer.backend import BackendChoice, EmbeddedBackend
    from indexer.lexical import tokenize
    from indexer.qdrant import QdrantBackend
    from search.filters import Filters, filter_mask, where

    vectors = embedder.embed(list(queries))
    rows = {p.id: r for r, p in enumerate(passages)}
    flt = Filters(speaker="CC", since=date(2019, 1, 1))
    out: dict[str, Any] = {"passages": len(passages)}
    tops: dict[str, list[list[str]]] = {}
    for name in ("embedded", "qdrant"):
        started = time.perf_counter()
        if name == "embedded":
            backend: Any = EmbeddedBackend()
            backend.add(passages, embeddings, date_ranges)
            backend._built()  # the BM25 and FAISS indexes, built lazily otherwise
        else:
            backend = QdrantBackend.open(
                BackendChoice("qdrant", "memory", f"bench-{len(passages)}"), dim=embeddings.shape[1],
                fingerprint=embedder.fingerprint, create=True, recreate=True)
            backend.set_avgdl(float(np.mean([len(tokenize(p.index_text)) for p in passages])))
            backend.add(passages, embeddings, date_ranges)
        added = time.perf_counter() - started

        def run(i: int, filtered: bool) -> list[str]:
            text, vector = queries[i % len(queries)], vectors[i % len(queries)]
            if not filtered:
                return _fused_top(backend.search(text, vector, 50), rows)
            if name == "embedded":
                mask = filter_mask(passages, flt, date_ranges)
                return _fused_top(backend.search(text, vector, 50, mask=mask), rows)
            return _fused_top(backend.search(text, vector, 50, where(flt, passages)), rows)

        for i in range(len(queries)):  # warm-up, and the top 10s compared below
            tops.setdefault(name, []).append(run(i, False))
        figures: dict[str, Any] = {"add_seconds": round(added, 3), "count": backend.count()}
        for label, filtered in (("hybrid", False), ("hybrid, speaker CC since 2019", True)):
            samples = []
            for i in range(n):
                started = time.perf_counter()
                run(i, filtered)
                samples.append(time.perf_counter() - started)
            figures[label] = summary_ms(samples)
        backend.close()
        out[name] = figures
    shared = [len(set(a) & set(b)) / max(len(a), 1) for a, b in zip(tops["embedded"], tops["qdrant"])]
    out["top10_overlap"] = round(float(np.mean(shared)), 4)
    return out


def backends_phase(work: Path, embedder: Any, limit: int, n: int, queries: Sequence[str]) -> dict[str, Any]:
    from indexer.store import load_index

    result: dict[str, Any] = {}
    for corpus in ("seed", "synthetic"):
        folder = work / f"{corpus}-index"
        if not (folder / "manifest.json").is_file():
            continue
        index = load_index(folder, embedder_fingerprint=embedder.fingerprint)
        cut = min(limit, len(index.passages))
        ranges = {d.id: d.date_range for d in index.documents if d.date_range}
        result[corpus] = compare_backends(index.passages[:cut], index.embeddings[:cut], ranges, embedder, queries, n)
    return result


# -- phase 0 and 1: the embedders compared ------------------------------------------------


def default_question_files() -> list[Path]:
    from ui.cli import DEV_QUESTIONS

    return [p for p in (ROOT / "eval" / "questions.jsonl", DEV_QUESTIONS) if p.exists()]


def batch_sweep(embedder: Any, texts: Sequence[str], sizes: Sequence[int] = BATCH_SIZES) -> dict[str, float]:
    """Texts a second at each batch size (length-sorted batches), after one warm-up call."""
    rates: dict[str, float] = {}
    embedder.embed(list(texts[:8]))
    for size in sizes:
        embedder._batch_size = size  # the ONNX embedder's texts per onnxruntime call
        started = time.perf_counter()
        embedder.embed(list(texts))
        rates[str(size)] = round(len(texts) / (time.perf_counter() - started), 2)
    return rates


def retrieval_quality(index_dir: Path, embedder: Any, question_files: Sequence[Path]) -> dict[str, dict[str, float]]:
    """nDCG@10 of dense and hybrid retrieval per question set."""
    from eval.run import evaluate
    from search.engine import open_searcher

    searcher = open_searcher(index_dir, embedder)
    out = {}
    for path in question_files:
        report = evaluate(searcher, path, DEFAULT_CORPUS / "manifest.csv")
        out[path.name] = {
            system: round(float(report["systems"][system]["ndcg@10"]), 4) for system in ("bm25", "dense", "hybrid")
        }
    return out


def compare_embedders(
    corpus: Path, work: Path, question_files: Sequence[Path], kinds: Sequence[str] = EMBEDDERS, *,
    sweep_sample: int = 128,
) -> dict[str, Any]:
    """Per embedder: a seed index built from scratch, its throughput, and its retrieval quality."""
    from indexer.embed import make_embedder

    sample = [p.index_text for p in seed_passages(corpus)][::2][:sweep_sample]
    out: dict[str, Any] = {}
    for kind in kinds:
        embedder = make_embedder(kind)
        onnx = kind.startswith("onnx")
        if onnx:
            embedder.folder  # exported beforehand, so the export is not timed as a build
        build = seed_build(corpus, work / f"{kind}-index", embedder)
        record: dict[str, Any] = {
            "model_load_seconds": build["model_load_seconds"],
            "embedding_seconds": build["seconds"]["embedding"],
            "passages": build["embedded"],
            "passages_per_s": build["embedding_rate_per_s"],
            "fingerprint": embedder.fingerprint[:12],
            "ndcg@10": retrieval_quality(work / f"{kind}-index", embedder, question_files),
        }
        if onnx:
            record["batch_sweep_per_s"] = batch_sweep(embedder, sample)
            record["batch_sweep_texts"] = len(sample)
        out[kind] = record
        print(f"  {kind}: {record['passages_per_s']}/s", file=sys.stderr, flush=True)
    torch_rate = (out.get("torch") or {}).get("passages_per_s")
    for record in out.values():
        record["speed_vs_torch"] = round(record["passages_per_s"] / torch_rate, 2) if torch_rate else None
    return {"embedders": out, "questions": [str(p) for p in question_files]}


def cold_start(work: Path, kinds: Sequence[str] = EMBEDDERS, runs: int = COLD_RUNS) -> dict[str, Any]:
    """Seconds of a fresh `scrutiny` process per command, on each embedder's seed index."""
    from indexer.embed import DEFAULT_EMBEDDER

    out: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        index_dir = work / f"{kind}-index"
        if not index_dir.is_dir():
            continue
        env = {k: v for k, v in os.environ.items() if k != "SCRUTINY_EMBEDDER"}  # the index's own
        env.update(SCRUTINY_INDEX=str(index_dir), SCRUTINY_CACHE=str(work / f"{kind}-cache.sqlite"),
                   PYTHONPATH=str(ROOT))
        commands = COLD_COMMANDS if kind == DEFAULT_EMBEDDER else [c for c in COLD_COMMANDS if c[0] == "search"]
        for label, args in commands:
            command = [sys.executable, "-m", "ui.cli", *args]
            first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)  # untimed
            if first.returncode != 0:
                raise SystemExit(f"scrutiny {' '.join(args)} failed on {index_dir}: {first.stderr.strip()[-300:]}")
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
                samples.append(time.perf_counter() - started)
            out.setdefault(label, {})[kind] = {
                "median_s": round(float(np.median(samples)), 3), "samples_s": [round(x, 3) for x in samples],
            }
        print(f"  {kind}: search {out['search'][kind]['median_s']} s", file=sys.stderr, flush=True)
    return {"commands": out, "runs": runs}


# -- the report ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    versions = {}
    for name in ("numpy", "faiss-cpu", "bm25s", "torch", "sentence-transformers", "onnxruntime"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def targets(report: Mapping[str, Any]) -> dict[str, Any]:
    synthetic = report.get("synthetic") or {}
    out: dict[str, Any] = {}
    cold = (report.get("cold_start") or {}).get("commands") or {}
    for command, limit in TARGET_COLD_SECONDS.items():
        for kind, figure in (cold.get(command) or {}).items():
            if kind == "onnx-int8":
                out[f"cold_{command}_s"] = {"target": limit, "value": figure["median_s"],
                                            "met": figure["median_s"] <= limit}
    query = ((synthetic.get("query") or {}).get("latency") or {}).get("hybrid") or {}
    build = synthetic.get("build") or {}
    if query:
        out["hybrid_p95_ms"] = {
            "target": TARGET_HYBRID_P95_MS, "passages": synthetic.get("passages"),
            "value": query["p95_ms"], "value_excl_embedding": query["p95_ms_excl_embedding"],
            "met": query["p95_ms"] < TARGET_HYBRID_P95_MS,
        }
    if build:
        out["index_share_of_embedding"] = {
            "target": TARGET_INDEX_SHARE, "passages": build.get("passages"),
            "value": build["index_share_of_embedding"],
            "met": build["index_share_of_embedding"] < TARGET_INDEX_SHARE,
        }
    return out


def _s(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f} s" if value >= 100 else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def embedder_markdown(report: Mapping[str, Any]) -> list[str]:
    """The embedders side by side: cold start per command, build throughput, nDCG@10."""
    lines: list[str] = []
    compared = (report.get("embedders") or {}).get("embedders") or {}
    cold = (report.get("cold_start") or {}).get("commands") or {}
    measured = [*compared, *(k for figures in cold.values() for k in figures)]
    kinds = [k for k in dict.fromkeys([*EMBEDDERS, *measured]) if k in measured]
    if cold:
        lines += [
            f"**Cold start** (a fresh `scrutiny` process on the seed index, median of "
            f"{(report.get('cold_start') or {}).get('runs')}; the index built by each embedder)",
            "",
            "| command | " + " | ".join(kinds) + " |",
            "|---|" + "---:|" * len(kinds),
        ]
        for command, figures in cold.items():
            cells = [f"{figures[k]['median_s']:.2f} s" if k in figures else "–" for k in kinds]
            lines.append(f"| `{command}` | " + " | ".join(cells) + " |")
        lines.append("")
    if compared:
        sets = sorted({name for r in compared.values() for name in r["ndcg@10"]})
        lines += [
            "**Embedders** (seed corpus indexed from scratch; nDCG@10 dense / hybrid per question set)",
            "",
            "| embedder | passages/s | vs torch | model load | " + " | ".join(f"`{n}`" for n in sets)
            + " | passages/s by batch size |",
            "|---|---:|---:|---:|" + "---:|" * len(sets) + "---|",
        ]
        for kind in kinds:
            r = compared.get(kind)
            if not r:
                continue
            quality = [f"{r['ndcg@10'][n]['dense']:.3f} / {r['ndcg@10'][n]['hybrid']:.3f}" for n in sets]
            sweep = ", ".join(f"{b}: {v:.0f}" for b, v in (r.get("batch_sweep_per_s") or {}).items()) or "–"
            lines.append(
                f"| {kind} | {r['passages_per_s']:.1f} | {r['speed_vs_torch'] or 0:.2f}× | "
                f"{_s(r['model_load_seconds'])} | " + " | ".join(quality) + f" | {sweep} |"
            )
        lines.append("")
    return lines


def markdown(report: Mapping[str, Any]) -> str:
    """The figures as Markdown tables, ready for the README."""
    lines: list[str] = embedder_markdown(report)
    seed, synthetic = report.get("seed") or {}, report.get("synthetic") or {}
    sb, sq = seed.get("build") or {}, seed.get("query") or {}
    yb, yq = synthetic.get("build") or {}, synthetic.get("query") or {}
    lines += [
        "**Index build** (2 CPU cores; peak RSS of the build process)",
        "",
        "| corpus | passages | reading | parsing | embedding | other index work | share of embedding | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if sb:
        s = sb["seconds"]
        lines.append(
            f"| seed (`corpus/`), model load {_s(sb['model_load_seconds'])} apart | {sb['passages']:,} | "
            f"{_s(s['reading'])} | {_s(s['parsing'])} | {_s(s['embedding'])} "
            f"({sb['embedding_rate_per_s']:.1f}/s) | {_s(s['indexing'])} | "
            f"{sb['index_share_of_embedding']:.1%} | {sb['peak_rss_mib']:,.0f} MiB |"
        )
    if yb:
        s = yb["index_seconds"]
        lines.append(
            f"| synthetic ({yb['dense_index']}) | {yb['passages']:,} | – | – | "
            f"{_s(yb['embedding_seconds_extrapolated'])} extrapolated ({yb['embedding_rate_per_s']:.1f}/s × "
            f"{yb['passages']:,}) | {_s(s['total'])}: BM25 {_s(s['bm25_tokenise'] + s['bm25_index'])}, "
            f"FAISS {_s(s['faiss'])}, writing {_s(s['writing'])} | {yb['index_share_of_embedding']:.1%} | "
            f"{yb['peak_rss_mib']:,.0f} MiB |"
        )
    lines += [
        "",
        "**Query latency** (`Searcher.search`, k=10; model load excluded; each timed search "
        "embeds its query afresh, the *excl.* columns subtract that)",
        "",
        "| corpus | passages | search | p50 | p95 | p50 excl. query embedding | p95 excl. query embedding "
        "| p95 excl., CPU time | searches |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, block, q in (("seed", seed, sq), ("synthetic", synthetic, yq)):
        for mode, r in (q.get("latency") or {}).items():
            lines.append(
                f"| {name} | {block.get('passages', 0):,} | {mode} | {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | "
                f"{_ms(r['p50_ms_excl_embedding'])} | {_ms(r['p95_ms_excl_embedding'])} | "
                f"{_ms(r['p95_cpu_ms_excl_embedding'])} | {r['n']} |"
            )
    if sq or yq:
        rss = [
            f"{n} {b['query']['peak_rss_mib']:,.0f} MiB"
            for n, b in (("seed", seed), ("synthetic", synthetic)) if b.get("query")
        ]
        lines += ["", f"Peak RSS of the query process (model and index loaded): {', '.join(rss)}."]
    loads = [
        f"{phase.replace('-', ' ')} {block[part]['load_average'][0]:.1f}–{block[part]['load_average'][1]:.1f}"
        for phase, block, part in (("seed-build", seed, "build"), ("seed-query", seed, "query"),
                                   ("synthetic-build", synthetic, "build"), ("synthetic-query", synthetic, "query"))
        if block and block.get(part, {}).get("load_average")
    ]
    if loads:
        lines.append(
            f"Load average ({report.get('machine', {}).get('cpus')} cores) at the start and end of each phase: "
            f"{', '.join(loads)}; above the core count, other work was competing for the CPU."
        )
    if yq:
        lines.append(
            f"Loading the {synthetic.get('passages', 0):,}-passage index (checksums verified) took "
            f"{_s(yq['load_seconds'])}, the searcher {_s(yq['searcher_init_seconds'])} more."
        )
    goals = report.get("targets") or {}
    if goals:
        lines += ["", "| target | measured | met |", "|---|---:|:-:|"]
        for command in TARGET_COLD_SECONDS:
            g = goals.get(f"cold_{command}_s")
            if g:
                lines.append(f"| cold `scrutiny {command}` ≤ {g['target']:.0f} s, median of five | "
                             f"{g['value']:.2f} s | {'yes' if g['met'] else 'no'} |")
        if "hybrid_p95_ms" in goals:
            g = goals["hybrid_p95_ms"]
            lines.append(
                f"| hybrid p95 < {g['target']:.0f} ms at {g['passages']:,} passages, query embedding included | "
                f"{_ms(g['value'])} ({_ms(g['value_excl_embedding'])} without) | {'yes' if g['met'] else 'no'} |"
            )
        if "index_share_of_embedding" in goals:
            g = goals["index_share_of_embedding"]
            lines.append(
                f"| index work other than embedding < {g['target']:.0%} of embedding time "
                f"at {g['passages']:,} passages | "
                f"{g['value']:.1%} | {'yes' if g['met'] else 'no'} |"
            )
    if yb:
        lines += [
            "",
            f"Synthetic corpus: {yb['passages']:,} passages of 2–5 real sentences from the seed passages, "
            "dates 2015–2026, four bodies, every document kind, speakers CC/PCC/DCC/DCO/CE/Chair/Member. "
            f"Its vectors are the {yb['vectors']}; the embedding time is extrapolated from the real "
            f"model's rate on {yb['embedding_rate_sample']} of its passages.",
        ]
    lines += backends_markdown(report.get("backends") or {})
    return "\n".join(lines)


def backends_markdown(backends: Mapping[str, Any]) -> list[str]:
    """The backends phase as a table: add time, latency, and agreement with the embedded index."""
    if not backends:
        return []
    lines = [
        "",
        "**Search backends** (`indexer.backend`; both rankings at depth 50 and fusion, query embedding excluded; "
        "Qdrant in local mode: in process, exact)",
        "",
        "| corpus | passages | backend | adding | hybrid p50 | hybrid p95 | filtered p95 (CC since 2019) | top-10 shared with embedded |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for corpus in ("seed", "synthetic"):
        figures = backends.get(corpus)
        if not figures:
            continue
        for name in ("embedded", "qdrant"):
            f = figures[name]
            shared = "–" if name == "embedded" else f"{figures['top10_overlap']:.1%}"
            lines.append(
                f"| {corpus} | {figures['passages']:,} | {name} | {f['add_seconds']:.1f} s | "
                f"{_ms(f['hybrid']['p50_ms'])} | {_ms(f['hybrid']['p95_ms'])} | "
                f"{_ms(f['hybrid, speaker CC since 2019']['p95_ms'])} | {shared} |"
            )
    return lines


# -- running the phases ----------------------------------------------------------------


def run_phase(
    phase: str, args: argparse.Namespace, work: Path, *, embedder: Any = None, config: Any = None,
    queries: Sequence[str] = QUERIES,
) -> dict[str, Any]:
    """One phase in this process, with the real model (--embedder) unless `embedder` is given; its result
    includes this process's peak RSS and the machine's load average before and after."""
    baseline = peak_rss_mib()
    load_before = os.getloadavg()[0]
    if embedder is None and phase not in ("embedders", "cold-start"):
        from indexer.embed import make_embedder

        embedder = make_embedder(args.embedder)
    if phase == "embedders":
        files = [Path(p) for p in args.questions] if args.questions else default_question_files()
        result = compare_embedders(Path(args.corpus), work, files)
    elif phase == "cold-start":
        result = cold_start(work)
    elif phase == "seed-build":
        result = seed_build(Path(args.corpus), work / "seed-index", embedder)
    elif phase == "seed-query":
        result = seed_query(work / "seed-index", embedder, args.queries, queries)
    elif phase == "synthetic-build":
        result = synthetic_build(
            Path(args.corpus), work / "synthetic-index", embedder, args.passages, config=config,
            sentence_cache=Path(args.sentence_cache), rate_sample=args.rate_sample, seed=args.seed,
            say=lambda line: print(line, file=sys.stderr, flush=True),
        )
    elif phase == "synthetic-query":
        result = synthetic_query(work / "synthetic-index", embedder, args.queries, config=config, queries=queries)
    elif phase == "backends":
        result = backends_phase(work, embedder, args.backend_passages, args.queries, queries)
    else:
        raise ValueError(f"unknown phase {phase!r}: use one of {', '.join(PHASES)}")
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    result["rss_at_start_mib"] = round(baseline, 1)
    # Other work on the machine slows every figure: a load above the core count means it was busy.
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def assemble(results: Mapping[str, Mapping[str, Any]], command: str) -> dict[str, Any]:
    """The report from the phases' results (any may be missing): figures, targets, Markdown."""
    report: dict[str, Any] = {"command": command, "machine": machine()}
    for phase, key in (("embedders", "embedders"), ("cold-start", "cold_start")):
        if results.get(phase):
            report[key] = dict(results[phase])
    for corpus in ("seed", "synthetic"):
        build, query = results.get(f"{corpus}-build"), results.get(f"{corpus}-query")
        if build or query:
            report[corpus] = {
                "passages": (build or query or {}).get("passages"),
                "build": dict(build or {}),
                "query": dict(query or {}),
            }
    if results.get("backends"):
        report["backends"] = dict(results["backends"])
    report["targets"] = targets(report)
    report["markdown"] = markdown(report)
    return report


def _child(phase: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out = work / f"{phase}.json"
    command = [
        sys.executable, "-m", "eval.bench", "--phase", phase, "--work", str(work),
        "--corpus", str(args.corpus), "--passages", str(args.passages), "--queries", str(args.queries),
        "--rate-sample", str(args.rate_sample), "--seed", str(args.seed), "--sentence-cache", str(args.sentence_cache),
        "--embedder", args.embedder, *(f"--questions={p}" for p in args.questions or ()),
        "--backend-passages", str(args.backend_passages),
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    return dict(json.loads(out.read_text(encoding="utf-8")))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=TARGET_PASSAGES, help="synthetic corpus size (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="timed searches per mode (default 200)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON report (default eval/bench.json)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rate-sample", type=int, default=128, help="synthetic passages timed through the real model")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the synthetic corpus")
    parser.add_argument("--sentence-cache", type=Path, default=DEFAULT_SENTENCE_CACHE)
    parser.add_argument("--skip-seed", action="store_true", help="only the synthetic corpus")
    parser.add_argument("--embedder", choices=EMBEDDERS, default="onnx-int8",
                        help="the embedder of the seed and synthetic phases (default onnx-int8)")
    parser.add_argument("--questions", action="append", type=Path,
                        help="question sets for nDCG@10 per embedder (repeatable; default ours and the shared dev set)")
    parser.add_argument("--skip-embedders", action="store_true", help="skip the embedder comparison and cold start")
    parser.add_argument("--backend-passages", type=int, default=BACKEND_PASSAGES,
                        help=f"synthetic passages given to both search backends (default {BACKEND_PASSAGES})")
    parser.add_argument(
        "--work", type=Path, help="keep the indexes and each phase's figures here (default: a temporary folder)"
    )
    parser.add_argument(
        "--only", type=lambda text: [p.strip() for p in text.split(",") if p.strip()], default=None,
        metavar="PHASE,…",
        help=f"run only these phases ({', '.join(PHASES)}); the others' figures are read from --work, "
        "so the query phases can be timed again on a quieter machine without rebuilding",
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)  # a child process's one phase
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    unknown = sorted(set(args.only or ()) - set(PHASES))
    if unknown:
        raise SystemExit(f"--only: unknown phase {unknown[0]!r}; use {', '.join(PHASES)}")
    if args.only and args.work is None:
        raise SystemExit("--only needs --work, the folder holding the other phases' indexes and figures")
    if args.phase:
        if args.work is None:
            raise SystemExit("--phase needs --work")
        result = run_phase(args.phase, args, args.work)
        (args.work / f"{args.phase}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0

    work = args.work or Path(tempfile.mkdtemp(prefix="scrutiny-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    steps = {
        "embedders": "seed corpus: building an index with each embedder, scoring each",
        "cold-start": "cold start of each command, in fresh processes",
        "seed-build": f"seed corpus: building the index with the real model ({args.embedder})",
        "seed-query": "seed corpus: timing queries",
        "synthetic-build": f"synthetic corpus: making and indexing {args.passages:,} passages",
        "synthetic-query": "synthetic corpus: timing queries",
        "backends": "both search backends: embedded and Qdrant's local mode",
    }
    results: dict[str, dict[str, Any]] = {}
    try:
        for phase, line in steps.items():
            if args.skip_seed and phase.startswith("seed"):
                continue
            if args.skip_embedders and phase in ("embedders", "cold-start"):
                continue
            if args.only and phase not in args.only:
                kept = work / f"{phase}.json"
                if kept.is_file():
                    results[phase] = dict(json.loads(kept.read_text(encoding="utf-8")))
                continue
            print(f"{line}…", file=sys.stderr, flush=True)
            results[phase] = _child(phase, args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report = assemble(results, "python -m eval.bench " + " ".join(sys.argv[1:] if argv is None else argv))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report["markdown"])
    print(f"\nFigures written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

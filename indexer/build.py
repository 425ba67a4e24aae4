"""Build or refresh the index: read, parse, embed, write, reusing what has not changed.

The parser is injected (`parse`), so this module only orchestrates: which files to
re-read, which passages to re-embed, and never replacing a good index with a worse one.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from indexer.backend import BackendChoice, payload
from indexer.config import IndexConfig
from indexer.embed import EmbeddingCache, Embedder, embed_with_cache
from indexer.errors import IndexMismatchError, IndexMissingError, ReadError, ScrutinyError
from indexer.read import ExtractedText, corpus_files, file_sha256, read_file
from indexer.lexical import plain_words, tokenize
from indexer.records import Action, ParsedFile, Passage
from indexer.sentences import sentence_spans
from indexer.store import QUERY_TIME_FIELDS, LoadedIndex, index_lock, load_index, recorded_backend, write_index

# Settings that only shape the BM25 index (rebuilt on every run anyway) or apply at
# query time: an old index's records and vectors stay reusable when only these change.
NOT_AFFECTING_RECORDS = QUERY_TIME_FIELDS | {"bm25_k1", "bm25_b", "bm25_method"}

# Below this many files a progress bar for reading and parsing is just noise.
FILE_BAR_MIN = 20


@dataclass(frozen=True)
class BuildReport:
    files_indexed: int  # read and parsed on this run
    files_reused: int  # unchanged since the last index: records and vectors carried over
    files_failed: int  # unreadable or unparsable (a previously indexed version is kept)
    errors: tuple[str, ...]  # one line per failed file, naming it
    passages: int  # in the new index
    embedded_new: int  # distinct passage texts sent to the embedder
    embedded_cached: int  # distinct passage texts of re-parsed files found in the cache
    seconds: dict[str, float]  # reading, parsing, embedding, indexing
    sent_to_backend: int = 0  # passages sent to a Qdrant collection on this run
    backend: BackendChoice = BackendChoice()  # where the index's passages are ranked


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _reusable(old: LoadedIndex, config: IndexConfig) -> bool:
    built, wanted = asdict(old.config), asdict(config)
    return all(built.get(k) == v for k, v in wanted.items() if k not in NOT_AFFECTING_RECORDS)


def _previous_index(index_dir: Path, embedder: Embedder, config: IndexConfig, say: Callable[[str], None]) -> LoadedIndex | None:
    """The existing index if its records and vectors can be reused, else None."""
    try:
        old = load_index(index_dir, embedder_fingerprint=embedder.fingerprint)
    except IndexMissingError:
        return None
    except IndexMismatchError as exc:
        reason = str(exc).split(": rebuild with `")[0].split("; rebuild with `")[0]
        say(f"Re-indexing every file: {reason}")
        return None
    if not _reusable(old, config):
        say(f"Re-indexing every file: the index at {index_dir} was built with other settings")
        return None
    return old


def _same_text_key(passage: Passage) -> tuple[str, object]:
    """Passages with this key say the same thing of the same meeting: a copy, not a new record."""
    return plain_words(passage.text), passage.meeting_date


# A sentence embedded on its own needs a few words to mean anything: "Noted." and "Agreed."
# would sit close to every short question.
SENTENCE_MIN_WORDS = 4


def passage_sentences(passages: Sequence[Passage]) -> tuple[list[str], list[int]]:
    """The sentences of each passage worth embedding alone, and the passage row of each."""
    texts: list[str] = []
    rows: list[int] = []
    for row, passage in enumerate(passages):
        for start, end in sentence_spans(passage.text):
            sentence = passage.text[start:end]
            if len(sentence.split()) >= SENTENCE_MIN_WORDS:
                texts.append(sentence)
                rows.append(row)
    return texts, rows


def _dedupe(
    entries: list[tuple[ParsedFile, np.ndarray | None, str | None]],
) -> list[tuple[ParsedFile, np.ndarray | None, str | None]]:
    """One passage for text published in two files (minutes alone and again in an agenda
    pack, a re-saved PDF): the first file in corpus order keeps it and lists the others in
    `also_in`; the copies are dropped with their vectors. Copies within one file stay:
    the same words at two places of one document are two records."""
    # A copy is recorded afresh whenever either file is read again; only links between
    # two files carried over unchanged are kept as they were.
    carried = {parsed.source for parsed, vectors, _ in entries if vectors is not None}
    keepers: dict[tuple[str, object], tuple[int, int]] = {}  # key -> (entry, passage) of the keeper
    passages = [
        [replace(p, also_in=tuple(a for a in p.also_in if a in carried and p.source in carried)) for p in parsed.passages]
        for parsed, _, _ in entries
    ]
    keep = [[True] * len(ps) for ps in passages]
    copied_from: dict[int, set[str]] = {}  # entry -> the files it repeats text of
    for e, ps in enumerate(passages):
        for n, passage in enumerate(ps):
            key = _same_text_key(passage)
            if key not in keepers:
                keepers[key] = (e, n)
                continue
            ke, kn = keepers[key]
            if ke == e:
                continue  # the same words twice in one file
            keeper = passages[ke][kn]
            sources = (*keeper.also_in, passage.source, *passage.also_in)
            passages[ke][kn] = replace(keeper, also_in=tuple(dict.fromkeys(a for a in sources if a != keeper.source)))
            keep[e][n] = False
            copied_from.setdefault(e, set()).add(keeper.source)
    # A file's commitments copied from a file it repeats are the same commitments: the
    # ledger lists each once, from the first file.
    first_actions = {
        (parsed.source, _action_key(a)) for parsed, _, _ in entries for a in parsed.actions
    }
    out = []
    for e, ((parsed, vectors, digest), ps, mask) in enumerate(zip(entries, passages, keep)):
        kept = tuple(p for p, k in zip(ps, mask) if k)
        if vectors is not None and not all(mask):
            vectors = vectors[np.array(mask, dtype=bool)]
        sources = copied_from.get(e, set())
        actions = tuple(a for a in parsed.actions if not any((s, _action_key(a)) in first_actions for s in sources))
        out.append((replace(parsed, passages=kept, actions=actions), vectors, digest))
    return out


def _action_key(action: Action) -> tuple[object, ...]:
    return plain_words(action.text), action.meeting_date, action.kind


def row_sha256(row: Mapping[str, Any]) -> str:
    """The manifest row a file is parsed with, as a digest: part of the key for reusing the
    file's records, so an edited body, date or area takes effect without --rebuild."""
    text = json.dumps({str(k): row[k] for k in row}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digests(files: Sequence[Path]) -> dict[Path, str | OSError]:
    """Each corpus file's sha256, read once per build; an unreadable file's error instead
    (the read loop reports it by name)."""
    found: dict[Path, str | OSError] = {}
    for path in files:
        try:
            found[path] = file_sha256(path)
        except OSError as exc:
            found[path] = exc
    return found


def _copies_to_reread(old: LoadedIndex, digests: Mapping[Path, str | OSError]) -> set[str]:
    """Files whose passages were dropped as copies of another file that has since changed
    or gone (or cannot be read): they must be read again to get those passages back."""
    current = {path.name: digest for path, digest in digests.items() if isinstance(digest, str)}
    unchanged = {f.source for f in old.files if current.get(f.source) == f.sha256}
    return {a for p in old.passages if p.source not in unchanged for a in p.also_in}


def _payloads(parsed: ParsedFile, ranges: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [payload(p, ranges.get(p.document_id)) for p in parsed.passages]


def _check_qdrant(choice: BackendChoice, embedder: Embedder, config: IndexConfig, rebuild: bool) -> None:
    """ScrutinyError now if Qdrant is unreachable or its collection was made differently."""
    from indexer.qdrant import QdrantBackend

    if rebuild:
        # The collection is dropped and refilled only once the new index is ready
        # (_sync_qdrant): a rebuild that fails on the way leaves the old one serving.
        QdrantBackend.ping(choice)
        return
    QdrantBackend.open(choice, dim=config.embedding_dim, fingerprint=embedder.fingerprint,
                       k1=config.bm25_k1, b=config.bm25_b, create=True).close()


def _sync_qdrant(
    choice: BackendChoice,
    old: LoadedIndex | None,
    parsed_files: Sequence[ParsedFile],
    embeddings: np.ndarray,
    embedder: Embedder,
    config: IndexConfig,
    rebuild: bool,
    say: Callable[[str], None],
) -> int:
    """Bring the Qdrant collection in line with the index about to be written; returns how
    many passages were sent. Only files whose passages or payloads changed are sent again,
    unless the collection does not hold what the previous index recorded (another index
    wrote to it, or a run failed half-way): then every file is. Raises ScrutinyError, in one
    line, when Qdrant is unreachable or holds a collection made differently."""
    from indexer.qdrant import QdrantBackend

    backend = QdrantBackend.open(choice, dim=config.embedding_dim, fingerprint=embedder.fingerprint,
                                 k1=config.bm25_k1, b=config.bm25_b, create=True, recreate=rebuild)
    try:
        passages = [p for pf in parsed_files for p in pf.passages]
        lengths = [len(tokenize(p.index_text)) for p in passages]
        stale_weights = backend.set_avgdl(float(np.mean(lengths)) if lengths else 1.0)
        held = backend.sources()
        ranges = {d.id: d.date_range for pf in parsed_files for d in pf.documents if d.date_range}
        previous: dict[str, list[dict[str, Any]]] = {}
        recorded = BackendChoice.from_json(old.manifest.get("backend")) if old is not None else None
        if old is not None and recorded is not None and (recorded.url, recorded.collection) == (choice.url, choice.collection):
            old_ranges = {d.id: d.date_range for d in old.documents if d.date_range}
            previous = {f.source: _payloads(old.parsed_file(f.source), old_ranges) for f in old.files}
        in_step = not stale_weights and held == {s: len(v) for s, v in previous.items() if v}
        if not in_step and held:
            say(f"Sending every file to Qdrant collection {backend.collection!r}: it does not hold what the last index recorded")
        for source in sorted(set(held) - {pf.source for pf in parsed_files}):
            backend.delete(source)
        sent, at = 0, 0
        for pf in parsed_files:
            rows = slice(at, at + len(pf.passages))
            at += len(pf.passages)
            if in_step and previous.get(pf.source) == _payloads(pf, ranges):
                continue
            if pf.source in held:
                backend.delete(pf.source)
            backend.add(pf.passages, embeddings[rows], ranges)
            sent += len(pf.passages)
        return sent
    finally:
        backend.close()


def build_index(
    paths: Sequence[Path],
    index_dir: Path,
    *,
    embedder: Embedder,
    cache: EmbeddingCache,
    parse: Callable[[ExtractedText, dict[str, Any]], ParsedFile],
    manifest_rows: Mapping[str, dict[str, Any]] | None = None,
    config: IndexConfig = IndexConfig(),
    rebuild: bool = False,
    progress: bool = True,
    finalise: Callable[[list[ParsedFile]], list[ParsedFile]] | None = None,
    backend: BackendChoice | None = None,
) -> BuildReport:
    """Index the corpus files under `paths` into `index_dir`.

    Unless `rebuild`, files whose bytes are unchanged since the existing index (same
    config, model weights and parser version) keep their records and vectors without
    being re-read; passages whose text is in `cache` are not re-embedded. A file that
    cannot be read or parsed costs one error line and keeps its previously indexed
    version, if any. Raises ScrutinyError, leaving the index untouched, when no file at
    all could be indexed or the disk refuses the write.

    `backend` None keeps the backend the existing index records (embedded for a new one).
    With a qdrant `backend`, the passages and vectors are sent to its collection before the
    index folder is written (so a Qdrant failure leaves the folder as it was), and the
    manifest records the backend for every later search.

    One build at a time per index: a second waits for the first's lock (saying who holds
    it), then starts from the index the first one wrote.
    """
    def say(line: str) -> None:
        tqdm.write(line, file=sys.stderr)

    with index_lock(Path(index_dir), say=say):
        return _build_index(paths, Path(index_dir), embedder=embedder, cache=cache, parse=parse, manifest_rows=manifest_rows,
                            config=config, rebuild=rebuild, progress=progress, finalise=finalise, say=say,
                            backend=backend or recorded_backend(Path(index_dir)))


def _build_index(
    paths: Sequence[Path],
    index_dir: Path,
    *,
    embedder: Embedder,
    cache: EmbeddingCache,
    parse: Callable[[ExtractedText, dict[str, Any]], ParsedFile],
    manifest_rows: Mapping[str, dict[str, Any]] | None,
    config: IndexConfig,
    rebuild: bool,
    progress: bool,
    finalise: Callable[[list[ParsedFile]], list[ParsedFile]] | None,
    say: Callable[[str], None],
    backend: BackendChoice,
) -> BuildReport:
    if embedder.name != config.model_name or embedder.dim != config.embedding_dim:
        raise ScrutinyError(
            f"The embedder {embedder.name!r} ({embedder.dim} dimensions) does not match the config's "
            f"model {config.model_name!r} ({config.embedding_dim} dimensions)"
        )
    index_dir = Path(index_dir)
    rows = manifest_rows or {}
    seconds = {"reading": 0.0, "parsing": 0.0, "embedding": 0.0, "indexing": 0.0}
    files = corpus_files(paths)
    if not files:
        raise ScrutinyError(
            f"No corpus files found in {', '.join(str(p) for p in paths)}: nothing to index"
        )
    if backend.name == "qdrant":
        _check_qdrant(backend, embedder, config, rebuild)  # before the slow work, not after it
    old = None if rebuild else _previous_index(index_dir, embedder, config, say)
    started = time.perf_counter()
    digests = _digests(files)
    seconds["reading"] += time.perf_counter() - started
    reread = _copies_to_reread(old, digests) if old is not None else set()

    # One entry per indexed file, in corpus order: records, vectors (None until
    # embedded) and the sha256 of the bytes they came from.
    entries: list[tuple[ParsedFile, np.ndarray | None, str | None]] = []
    errors: list[str] = []
    indexed = reused = failed = 0
    seen: set[str] = set()
    row_keys: dict[str, str | None] = {}  # per source, the manifest row its records were parsed with

    def fail(source: str, line: str) -> None:
        nonlocal failed
        failed += 1
        previous = old.indexed_file(source) if old is not None else None
        if old is not None and previous is not None and source not in seen:
            line += " (the previously indexed version is kept)"
            entries.append((old.parsed_file(source), old.file_embeddings(source), previous.sha256))
            row_keys[source] = previous.row_sha256
            seen.add(source)
        errors.append(line)
        say(line)

    bar = tqdm(files, desc="Reading", unit="file", file=sys.stderr, disable=not progress or len(files) < FILE_BAR_MIN)
    for path in bar:
        source = path.name
        if source in seen:
            fail(source, f"{path}: another corpus file is also named {source}; rename one of them")
            continue
        started = time.perf_counter()
        digest = digests[path]
        if isinstance(digest, OSError):
            fail(source, f"{path}: could not be read ({_one_line(digest)})")
            continue
        previous = old.indexed_file(source) if old is not None else None
        row_key = row_sha256(rows.get(source, {}))
        if (
            old is not None and previous is not None and previous.sha256 == digest
            and previous.row_sha256 == row_key and source not in reread
        ):
            entries.append((old.parsed_file(source), old.file_embeddings(source), digest))
            row_keys[source] = row_key
            seen.add(source)
            reused += 1
            seconds["reading"] += time.perf_counter() - started
            continue
        try:
            extracted = read_file(path)
        except ReadError as exc:
            fail(source, str(exc))
            continue
        except Exception as exc:  # a reader bug must not stop the other files
            fail(source, f"{path}: could not be read ({_one_line(exc)})")
            continue
        finally:
            seconds["reading"] += time.perf_counter() - started

        started = time.perf_counter()
        try:
            parsed = parse(extracted, dict(rows.get(source, {})))
            if not isinstance(parsed, ParsedFile) or parsed.source != source:
                raise TypeError(f"the parser returned {type(parsed).__name__} for another source")
        except Exception as exc:  # the parser is heuristic: one bad file must not stop the rest
            fail(source, f"{path}: could not be parsed ({_one_line(exc)})")
            continue
        finally:
            seconds["parsing"] += time.perf_counter() - started
        entries.append((parsed, None, extracted.sha256))
        row_keys[source] = row_key
        seen.add(source)
        indexed += 1
    bar.close()

    if failed == len(files):
        raise ScrutinyError(
            f"Every corpus file failed ({len(files)}), so the index at {index_dir} was left as it was; "
            f"first error: {errors[0]}"
        )

    started = time.perf_counter()
    if finalise is not None:
        # Corpus-wide steps (names inferred across meetings) see every file, reused or not;
        # they change metadata only, never the passages' text or order.
        finalised = finalise([parsed for parsed, _, _ in entries])
        entries = [(f, vectors, digest) for f, (_, vectors, digest) in zip(finalised, entries)]
    entries = _dedupe(entries)
    new_texts = [p.index_text for parsed, vectors, _ in entries if vectors is None for p in parsed.passages]
    new_vectors, stats = embed_with_cache(embedder, cache, new_texts, progress=progress)
    parts: list[np.ndarray] = []
    at = 0
    for parsed, vectors, _ in entries:
        if vectors is None:
            vectors = new_vectors[at : at + len(parsed.passages)]
            at += len(parsed.passages)
        parts.append(vectors)
    embeddings = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    # Each sentence on its own too: a question in other words is usually close to one
    # sentence of a passage and diluted by the rest (search.engine ranks by both).
    texts, rows = passage_sentences([p for parsed, _, _ in entries for p in parsed.passages])
    sentence_vectors, _ = embed_with_cache(embedder, cache, texts, progress=progress)
    seconds["embedding"] += time.perf_counter() - started

    started = time.perf_counter()
    parsed_files = [parsed for parsed, _, _ in entries]
    hashes = {parsed.source: digest for parsed, _, digest in entries if digest is not None}
    sent = 0
    if backend.name == "qdrant":
        sent = _sync_qdrant(backend, old, parsed_files, embeddings, embedder, config, rebuild, say)
    model_file = getattr(embedder, "file", None)
    corpus = [str(Path(p).resolve()) for p in paths]
    write_index(
        index_dir, parsed_files, embeddings, config, embedder.fingerprint, hashes, errors,
        corpus=corpus, embedder_file=str(model_file) if model_file else None,
        row_hashes={pf.source: row_keys.get(pf.source) for pf in parsed_files},
        sentences=(sentence_vectors, np.asarray(rows, dtype=np.int32)), backend=backend.as_json(),
    )
    seconds["indexing"] += time.perf_counter() - started

    return BuildReport(
        files_indexed=indexed,
        files_reused=reused,
        files_failed=failed,
        errors=tuple(errors),
        passages=len(embeddings),
        embedded_new=stats.computed,
        embedded_cached=stats.cached,
        seconds=seconds,
        sent_to_backend=sent,
        backend=backend,
    )

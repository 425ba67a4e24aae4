"""The packaged MiniLM on onnxruntime: no torch, no sentence-transformers.

A fresh process loads the int8 model and embeds a query in about half a second, where
importing torch and sentence-transformers alone took ten. The files are exported once
from the packaged weights by indexer.onnx_export into

    $SCRUTINY_MODELS, else <project root>/data/models, / all-MiniLM-L6-v2-<sha256[:12] of the weights>/
        model-fp32.onnx   the fused graph, equal to torch
        model-int8.onnx   the same, its matrix products in int8 (the default; see onnx_export)
        tokenizer.json    the packaged tokenizer
        export.json       sha256 of each file, the source weights and package versions

The vectors are what sentence-transformers computes: WordPiece tokens truncated to 256,
the encoder's last hidden state mean-pooled over the attention mask, L2-normalised.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.config import PROJECT_ROOT, default_cache_path
from indexer.embed import MINILM_DIM, MINILM_NAME, memoised_sha256, packaged_model_path
from indexer.errors import ScrutinyError

MODELS_ENV = "SCRUTINY_MODELS"
MODEL_FILES = {"onnx-int8": "model-int8.onnx", "onnx-fp32": "model-fp32.onnx"}
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "export.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
MAX_TOKENS = 256  # the packaged model's max_seq_length, as sentence-transformers truncates
# Texts per onnxruntime call. One was the fastest measured on two cores (eval/bench.py
# sweeps 1-64): no padding at all, and onnxruntime's per-call cost is small. It also makes
# a text's int8 vector independent of its neighbours, as activations are scaled per call.
BUILD_BATCH = 1


def _memo_path() -> Path:
    return default_cache_path().parent / "model-fingerprints.json"


def source_weights_sha256() -> str:
    return memoised_sha256(packaged_model_path() / "model.safetensors", _memo_path())


def models_root() -> Path:
    value = os.environ.get(MODELS_ENV)
    return Path(value).expanduser() if value else PROJECT_ROOT / "data" / "models"


def model_dir() -> Path:
    """Where the ONNX files of the installed weights live (named by their sha256)."""
    return models_root() / f"all-MiniLM-L6-v2-{source_weights_sha256()[:12]}"


def read_meta(folder: Path) -> dict[str, Any] | None:
    """export.json of a complete export, or None when there is none to use."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = meta.get("files") if isinstance(meta, dict) else None
    if not isinstance(files, dict) or not all((folder / name).is_file() for name in files):
        return None
    return meta


def ensure_exported() -> Path:
    """The model folder, exporting it first if this installation has none."""
    folder = model_dir()
    if read_meta(folder) is None:
        from indexer.onnx_export import export

        export()
    return folder


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the attention mask keeps, L2-normalised, float32."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return np.ascontiguousarray(pooled / norms, dtype=np.float32)


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Row numbers grouped into batches of similar length, longest first, so that
    padding (computed for nothing) stays small."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class OnnxMiniLM:
    """all-MiniLM-L6-v2 exported to ONNX, fp32 or int8; the session is opened on first use."""

    def __init__(self, kind: str = "onnx-int8", *, threads: int | None = None, batch_size: int = BUILD_BATCH) -> None:
        if kind not in MODEL_FILES:
            raise ScrutinyError(f"Unknown ONNX embedder {kind!r}: choose one of {', '.join(MODEL_FILES)}")
        self.kind = kind
        self._threads = threads
        self._batch_size = batch_size
        self._folder: Path | None = None
        self._fingerprint: str | None = None
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    # The packaged model's, whichever runtime runs it (IndexConfig's defaults name the same).
    name = MINILM_NAME
    dim = MINILM_DIM

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = ensure_exported()
        return self._folder

    @property
    def file(self) -> Path:
        return self.folder / MODEL_FILES[self.kind]

    @property
    def fingerprint(self) -> str:
        """sha256 of the ONNX file, checked against the one recorded at export."""
        if self._fingerprint is None:
            digest = memoised_sha256(self.file, _memo_path())
            recorded = (read_meta(self.folder) or {}).get("files", {}).get(self.file.name)
            if digest != recorded:
                raise ScrutinyError(
                    f"The model file {self.file} does not match the sha256 recorded at export: "
                    f"delete {self.folder} and run `python -m indexer.onnx_export`"
                )
            self._fingerprint = digest
        return self._fingerprint

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads or min(2, os.cpu_count() or 1)
                options.inter_op_num_threads = 1
                # Spinning threads steal the core other work is waiting for on a busy machine.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                self.fingerprint  # verify the file before running it
                session = ort.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"])
                tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
                tokenizer.enable_truncation(max_length=MAX_TOKENS)
                tokenizer.no_padding()
                self._tokenizer = tokenizer
                self._session = session
            return self._session, self._tokenizer

    def _run(self, session: Any, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = session.run(["last_hidden_state"], feeds)
        return mean_pool(hidden, mask)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows in length_batches([len(e.ids) for e in encodings], self._batch_size):
            out[rows] = self._run(session, [encodings[i] for i in rows])
        return out

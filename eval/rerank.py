"""Fit the reranking model (search/rerank.json) on the project's own questions, and show,
set by set, what it changes on questions it was not fitted on.

The questions are every set the project wrote: eval/questions.jsonl (worded from the
records), eval/paraphrase.jsonl (worded as the public asks) and the held-out sets
eval/heldout*.jsonl (each written apart from the search, and measured once, before any
change was drawn from it). Every candidate the search fuses for a question is one example:
its features (search.rerank.FEATURES) and whether a gold quote of the question lies in it.
The model is a logistic regression with an L2 penalty, classes weighted to balance,
fitted by Newton's method (deterministic, numpy only). Before the model is fitted on every
set, each set is scored by a model fitted on all the others, beside the search without
it. The shared dev set is never read here.

    python -m eval.rerank            # report, and write search/rerank.json
    python -m eval.rerank --dry-run  # report only
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval import metrics
from eval.naive import load_questions
from eval.run import question_filters
from eval.tune import MANIFEST, SETS, measure
from indexer.config import PROJECT_ROOT
from search.engine import Searcher, open_searcher
from search.rerank import FEATURES, MODEL_PATH, LinearModel, load_model

# A question is weak when its best candidate scores below what this share of the
# answerable questions' best candidates reach: at most 1 in 20 answerable questions is
# called weak on the sets the model is fitted on.
WEAK_QUANTILE = 0.05
# The L2 penalty on the standardised weights: strong enough that no one feature's weight
# runs away on a few hundred examples (a check half moved by under 0.01 between 0.3 and 3).
PENALTY = 1.0
FUSED = FEATURES.index("fused")
EVAL_DIR = PROJECT_ROOT / "eval"


@dataclass
class Recorder:
    """Stands in for the model during a search: keeps the fused order, records the features."""

    rows: Sequence[int] = ()
    features: np.ndarray | None = None

    def scores(self, rows: Sequence[int], features: np.ndarray) -> np.ndarray:
        self.rows, self.features = list(rows), features
        return features[:, FUSED]


def fused_candidates(
    searcher: Searcher, questions: Sequence[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], list[int], np.ndarray]]:
    """Each question with its fused candidates' rows and features, searched with the
    Recorder in the model's place; questions with nothing to reorder (no words to rank by,
    or no sentence vectors) are left out."""
    recorder = Recorder()
    searcher.reranker = recorder
    try:
        for q in questions:
            recorder.features = None
            searcher.search(q["query"], k=10, filters=question_filters(q))
            if recorder.features is not None and len(recorder.rows):
                yield q, list(recorder.rows), recorder.features
    finally:
        del searcher.reranker  # back to the fitted model (a cached property)


Candidates = Sequence[tuple[dict[str, Any], list[int], np.ndarray]]


def labelled(searcher: Searcher, recorded: Candidates, manifest: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1: holds a gold quote of its question) of recorded candidates."""
    xs, ys = [], []
    for q, rows, features in recorded:
        for row, candidate in zip(rows, features):
            passage = searcher.passages[row]
            hit = {"source": passage.source, "text": passage.text}
            relevant = any(rank is not None for rank in metrics.first_match_ranks([hit], q["relevant"], 1, manifest))
            xs.append(candidate)
            ys.append(float(relevant))
    return np.array(xs), np.array(ys)


def examples(searcher: Searcher, questions: Sequence[dict[str, Any]], manifest: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1: holds a gold quote of its question) of every fused candidate."""
    return labelled(searcher, list(fused_candidates(searcher, questions)), manifest)


def fit(x: np.ndarray, y: np.ndarray, penalty: float = PENALTY, steps: int = 50) -> LinearModel:
    """Balanced, L2-penalised logistic regression on standardised features (Newton's method)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    positives = max(y.sum(), 1.0)
    sample = np.where(y > 0, len(y) / (2 * positives), len(y) / (2 * max(len(y) - positives, 1.0)))
    ridge = np.full(z.shape[1], penalty)
    ridge[-1] = 0.0  # the intercept is not penalised
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w)))
        gradient = z.T @ (sample * (p - y)) + ridge * w
        hessian = (z * (sample * p * (1 - p))[:, None]).T @ z + np.diag(ridge)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return LinearModel(mean, scale, w[:-1], float(w[-1]))


def weak_threshold(questions: Sequence[dict[str, Any]], recorded: Candidates, model: LinearModel) -> tuple[float, dict[str, Any]]:
    """The score below which a question is called weak (WEAK_QUANTILE of the answerable
    questions' best scores), and how it sorts the questions with and without answers. A
    question the search reranks nothing for (no words to rank by) has no score."""
    scored = {id(q): float(np.max(model.scores(rows, features))) for q, rows, features in recorded}
    scores = [scored.get(id(q)) for q in questions]
    answerable = [s for q, s in zip(questions, scores) if q["relevant"] and s is not None]
    negative = [s for q, s in zip(questions, scores) if not q["relevant"]]
    threshold = float(np.quantile(answerable, WEAK_QUANTILE))
    flagged = [s is None or s < threshold for s in negative]
    return threshold, {"threshold": round(threshold, 3), "answerable": len(answerable), "negative": len(negative),
                       "answerable_weak": sum(s < threshold for s in answerable), "negative_weak": sum(flagged)}


def own_sets() -> list[Path]:
    """The project's question sets, in the order they were written (heldout.jsonl is the
    first held-out set, heldout10.jsonl comes after heldout9.jsonl)."""
    def number(path: Path) -> int:
        digits = "".join(c for c in path.stem if c.isdigit())
        return int(digits) if digits else 1

    held_out = sorted(EVAL_DIR.glob("heldout*.jsonl"), key=number)
    return [*SETS, *held_out]


def run(searcher: Searcher, paths: Sequence[Path] | None = None) -> tuple[dict[str, Any], LinearModel]:
    manifest = metrics.load_manifest(MANIFEST)
    asked = {path.stem: load_questions(path) for path in (paths or own_sets())}
    # Each question is searched once for its candidates' features: they serve the fits
    # (answerable questions) and the weak threshold (all of them).
    recorded = {name: list(fused_candidates(searcher, questions)) for name, questions in asked.items()}
    sets = {name: [q for q in questions if q["relevant"]] for name, questions in asked.items()}
    found = {name: labelled(searcher, [c for c in recorded[name] if c[0]["relevant"]], manifest) for name in sets}
    report: dict[str, Any] = {"features": list(FEATURES), "penalty": PENALTY, "held_out": {}}
    base = searcher.config
    for name, questions in sets.items():
        others = [found[other] for other in sets if other != name]
        model = fit(np.vstack([x for x, _ in others]), np.concatenate([y for _, y in others]))
        searcher.config = replace(base, rerank=False)
        without = measure(searcher, questions, manifest)
        searcher.config = replace(base, rerank=True)
        searcher.reranker = model
        with_model = measure(searcher, questions, manifest)
        del searcher.reranker
        report["held_out"][name] = {"questions": len(questions), "without": without, "with": with_model}
    searcher.config = base
    x = np.vstack([x for x, _ in found.values()])
    y = np.concatenate([y for _, y in found.values()])
    model = fit(x, y)
    threshold, report["weak"] = weak_threshold([q for questions in asked.values() for q in questions],
                                               [c for candidates in recorded.values() for c in candidates], model)
    model = replace(model, weak_below=threshold)
    report["examples"] = {"sets": list(sets), "candidates": int(len(y)), "relevant": int(y.sum()),
                          "questions": sum(len(q) for q in sets.values())}
    report["weights"] = dict(zip(FEATURES, np.round(model.weights, 3).tolist()))
    return report, model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help=f"where to write the model (default {MODEL_PATH})")
    parser.add_argument("--report", type=Path, help="also write the report as JSON here")
    parser.add_argument("--dry-run", action="store_true", help="report only; write no model")
    args = parser.parse_args(argv)
    searcher = open_searcher()
    report, model = run(searcher)
    print("each set scored by the model fitted on all the others (fused -> reranked):")
    for name, figures in report["held_out"].items():
        before, after = figures["without"], figures["with"]
        print(f"  {name:<11} {figures['questions']:>3}  nDCG@10 {before['ndcg']:.3f} -> {after['ndcg']:.3f}"
              f"   R@10 {before['recall']:.3f} -> {after['recall']:.3f}")
    for label, names in (("all sets", list(report["held_out"])),
                         ("held-out sets", [n for n in report["held_out"] if n.startswith("heldout")])):
        rows = [report["held_out"][n] for n in names]
        if rows:
            mean = {side: {m: float(np.mean([r[side][m] for r in rows])) for m in ("ndcg", "recall")} for side in ("without", "with")}
            print(f"  mean of {label} ({len(rows)}): nDCG@10 {mean['without']['ndcg']:.3f} -> {mean['with']['ndcg']:.3f}"
                  f"   R@10 {mean['without']['recall']:.3f} -> {mean['with']['recall']:.3f}")
    print("weights:", " ".join(f"{k}={v:+.2f}" for k, v in report["weights"].items()))
    weak = report["weak"]
    print(f"weak below {weak['threshold']}: {weak['negative_weak']} of {weak['negative']} questions without an answer, "
          f"{weak['answerable_weak']} of {weak['answerable']} answerable ones")
    trained_on = (f"eval/rerank.py on {len(report['examples']['sets'])} of the project's question sets "
                  f"({', '.join(report['examples']['sets'])}): {report['examples']['questions']} "
                  f"questions, {report['examples']['candidates']} candidates, {report['examples']['relevant']} holding gold")
    if args.report:
        args.report.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if not args.dry_run:
        args.out.write_text(json.dumps(model.to_json(trained_on), indent=1) + "\n", encoding="utf-8")
        load_model.cache_clear()
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

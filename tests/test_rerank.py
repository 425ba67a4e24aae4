"""The reranking model: what it reads of each candidate, how it reorders, how it is fitted
and loaded, and that on the real model it lifts questions it was never fitted on."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval import metrics
from eval.naive import load_questions
from eval.rerank import Recorder, examples, fit, labelled
from eval.tune import MANIFEST, measure
from indexer.errors import ScrutinyError
from search.engine import topic_terms
from search.rerank import FEATURES, MODEL_PATH, Evidence, LinearModel, candidate_features, load_model, reorder

AREAS = Path(__file__).resolve().parent.parent / "eval" / "areas"


def test_the_shipped_model_has_every_feature_and_a_finite_weight_for_each() -> None:
    model = load_model()
    assert model.weights.shape == (len(FEATURES),) and np.isfinite(model.weights).all()
    assert "eval/rerank.py" in json.loads(MODEL_PATH.read_text())["trained_on"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.update(features=d["features"][:-1]), "fitted on other features"),
        (lambda d: d.update(weights=d["weights"][:3]), "is damaged"),
        (lambda d: d.update(mean=[float("nan")] * len(FEATURES)), "is damaged"),
        (lambda d: d.update(weak_below="high"), "is damaged"),
    ],
)
def test_a_model_file_for_other_features_or_damaged_is_refused_by_path(tmp_path: Path, change, said) -> None:
    data = json.loads(MODEL_PATH.read_text())
    change(data)
    path = tmp_path / "rerank.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ScrutinyError, match=said) as caught:
        load_model(path)
    assert str(path) in str(caught.value)
    path.write_text("{not json")
    with pytest.raises(ScrutinyError, match="Cannot read"):
        load_model(path)


def test_reorder_follows_the_scorer_and_hands_the_fused_scores_down_in_order() -> None:
    evidence = Evidence(rows=[7, 3, 5], fused=[0.3, 0.2, 0.1], lexical={}, dense={}, best_sentence={},
                        topic_weights={}, widened=[])

    reordered = reorder(evidence, [-2.0, -1.0, 0.0])  # the last first
    assert reordered == [(5, 0.3), (3, 0.2), (7, 0.1)]
    assert [row for row, _ in reorder(evidence, [0.0, 0.0, 0.0])] == [7, 3, 5]  # ties keep fusion's order


def test_features_read_coverage_by_sentence_and_heading_on_a_seed_passage(fake_searcher) -> None:
    row = next(r for r, p in enumerate(fake_searcher.passages) if "call attrition" in p.text.lower())
    other = next(r for r, p in enumerate(fake_searcher.passages) if "attrition" not in p.text.lower() and p.item_title)
    text = "call attrition"
    evidence = Evidence(
        rows=[other, row], fused=[0.2, 0.1], lexical={row: (1, 8.0)}, dense={other: 1}, best_sentence={row: 0.6, other: 0.4},
        topic_weights={t: fake_searcher.index.lexical.idf(t) for t in topic_terms(text)}, widened=[frozenset({"abandon"})],
    )
    table = candidate_features(evidence, fake_searcher.passages, fake_searcher.passage_words)
    col = {name: n for n, name in enumerate(FEATURES)}
    holder, stranger = table[1], table[0]
    assert holder[col["coverage"]] == holder[col["sentence_coverage"]] == pytest.approx(1.0)
    assert stranger[col["coverage"]] == 0.0 and stranger[col["lexical_rank"]] == 0.0 and holder[col["dense_rank"]] == 0.0
    assert holder[col["lexical_rank"]] == pytest.approx(1 / 11) and holder[col["lexical_share"]] == 1.0
    assert holder[col["sentence_gap"]] == 0.0 and stranger[col["sentence_gap"]] == pytest.approx(-0.2)
    assert holder[col["fused"]] == 0.1


def test_fit_finds_the_informative_feature_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, len(FEATURES)))
    y = (x[:, 3] + 0.3 * rng.normal(size=600) > 1.2).astype(float)  # rare positives, as in search
    first, second = fit(x, y), fit(x, y)
    assert np.array_equal(first.weights, second.weights)
    assert int(np.argmax(np.abs(first.weights))) == 3 and first.weights[3] > 0
    ranked = np.argsort(-first.scores(range(600), x))
    assert y[ranked[: int(y.sum())]].mean() > 0.8


def test_without_the_model_the_order_is_fusion_and_with_it_the_same_candidates(fake_searcher) -> None:
    base = fake_searcher.config
    try:
        fake_searcher.config = replace(base, rerank=False)
        plain = fake_searcher.search("101 call handling performance", k=40)
        fake_searcher.config = replace(base, rerank=True)
        reranked = fake_searcher.search("101 call handling performance", k=40)
    finally:
        fake_searcher.config = base
    assert [h.score for h in plain.hits] == sorted((h.score for h in plain.hits), reverse=True)
    assert [h.score for h in reranked.hits][:5] == [h.score for h in plain.hits][:5]  # the scores handed down
    assert {h.row for h in reranked.hits} <= {h.row for h in fake_searcher.search("101 call handling performance", k=200).hits}


def test_the_recorder_sees_every_fused_candidate_and_labels_follow_the_gold(fake_searcher) -> None:
    manifest = metrics.load_manifest(MANIFEST)
    holder = next(p for p in fake_searcher.passages if "call attrition" in p.text)
    question = {"query": "call attrition for 101", "filters": {}, "relevant": [
        {"file": metrics.original_name(holder.source, manifest), "quote": "call attrition", "grade": 2}]}
    x, y = examples(fake_searcher, [question], manifest)
    assert x.shape[1] == len(FEATURES) and len(x) == len(y) and 0 < y.sum() < len(y)
    assert isinstance(fake_searcher.reranker, LinearModel)  # the recorder is taken away again
    assert Recorder().scores([1, 2], np.ones((2, len(FEATURES))) * 0.5).tolist() == [0.5, 0.5]


def test_on_the_real_model_the_reranker_lifts_held_out_records(real_searcher) -> None:
    """The other areas' records and questions (eval/areas) were never used to fit the model."""
    from indexer.config import PROJECT_ROOT
    from search.engine import open_searcher
    from tests.conftest import _build

    questions = [json.loads(line) for line in (AREAS / "questions.jsonl").read_text().splitlines() if line.strip()]
    answerable = [q for q in questions if q["relevant"]]
    folder = _build(real_searcher.index.path.parent / "areas-index", PROJECT_ROOT / "data" / "cache" / "embeddings.sqlite",
                    real_searcher.embedder, corpus=AREAS / "corpus")
    searcher = open_searcher(folder, embedder=real_searcher.embedder)
    base = searcher.config
    searcher.config = replace(base, rerank=False)
    without = measure(searcher, answerable, {})
    searcher.config = base
    with_model = measure(searcher, answerable, {})
    assert with_model["ndcg"] >= without["ndcg"] and with_model["recall"] >= without["recall"]


def test_eval_reports_the_fused_ranking_beside_the_reranked_one(fake_searcher) -> None:
    from eval.run import evaluate, format_report

    root = Path(__file__).resolve().parent.parent
    questions, manifest = root / "eval" / "questions.jsonl", root / "corpus" / "manifest.csv"
    report = evaluate(fake_searcher, questions, manifest)
    assert {"bm25", "dense", "fused", "hybrid"} <= set(report["systems"]) and "scrutiny fused" in format_report(report)
    assert fake_searcher.config.rerank  # put back after the fused run
    base = fake_searcher.config
    try:
        fake_searcher.config = replace(base, rerank=False)
        plain = evaluate(fake_searcher, questions, manifest)["systems"]
    finally:
        fake_searcher.config = base
    assert plain["fused"] == plain["hybrid"] == report["systems"]["fused"]


def test_the_model_is_fitted_on_every_set_the_project_wrote_in_order_never_dev() -> None:
    from eval.rerank import own_sets

    names = [p.stem for p in own_sets()]
    assert names[:3] == ["questions", "paraphrase", "heldout"]
    held = [n for n in names if n.startswith("heldout")]
    assert held == ["heldout"] + [f"heldout{i}" for i in range(2, len(held) + 1)]  # 10 after 9
    assert all("dev" not in n for n in names)
    trained_on = json.loads(MODEL_PATH.read_text())["trained_on"]
    assert all(n in trained_on for n in names)  # the shipped model is fitted on all of them


def test_the_shipped_model_was_fitted_on_the_candidates_todays_search_gives(real_searcher) -> None:
    # A change to the parser, vocabulary or fusion changes the candidates; a model fitted
    # before it scores candidates it never saw (a stale fit had cost dev 0.008 nDCG@10).
    from eval.rerank import fused_candidates, own_sets

    manifest = metrics.load_manifest(MANIFEST)
    questions = [q for path in own_sets() for q in load_questions(path) if q["relevant"]]
    _, labels = labelled(real_searcher, list(fused_candidates(real_searcher, questions)), manifest)
    trained_on = json.loads(MODEL_PATH.read_text())["trained_on"]
    assert f"{len(labels)} candidates, {int(labels.sum())} holding gold" in trained_on, (
        "search/rerank.json is stale: run python -m eval.rerank")


def test_the_models_threshold_decides_weak_and_ask_declines_a_weak_search(fake_searcher) -> None:
    from search.answer import answer

    model = load_model()
    assert model.weak_below is not None and np.isfinite(model.weak_below)
    query = "101 call handling performance"
    try:
        fake_searcher.reranker = replace(model, weak_below=float("inf"))
        assert fake_searcher.search(query).weak  # the words are there; the model is not sure
        assert not answer(fake_searcher, query, use_model=False).answered
        fake_searcher.reranker = replace(model, weak_below=float("-inf"))
        assert not fake_searcher.search(query).weak
        assert answer(fake_searcher, query, use_model=False).answered
    finally:
        del fake_searcher.reranker

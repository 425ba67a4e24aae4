"""Metrics for the question sets, checked against examples worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval import metrics
from eval.metrics import (
    attribution_accuracy,
    canonical_role,
    is_relevant,
    mrr_at_k,
    ndcg_at_k,
    normalise,
    recall_at_k,
)

ROOT = Path(__file__).resolve().parent.parent

# Three gold passages: grades 2, 1, 2.
A = {"file": "001_x.txt", "quote": "alpha passage", "meeting_date": "2023-06-07", "speaker": "Commissioner", "grade": 2}
B = {"file": "001_x.txt", "quote": "bravo passage", "meeting_date": None, "speaker": None, "grade": 1}
C = {"file": "001_x.txt", "quote": "charlie passage", "meeting_date": "2019-09-25", "speaker": "CC", "grade": 2}
GOLD = [A, B, C]
# Ideal order 2, 2, 1 at ranks 1, 2, 3.
IDCG = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)  # 3.76186


def res(text: str, **fields: object) -> dict[str, object]:
    return {"text": text, **fields}


NOISE = res("nothing to see here")


# --- normalise and is_relevant ------------------------------------------------------


def test_normalise_folds_case_quotes_dashes_and_space() -> None:
    assert normalise("  The PCC\u2019s \u201cplan\u201d \u2013\n\tnow\u2014HERE ") == "the pcc's \"plan\" - now-here"


def test_normalise_keeps_markup() -> None:
    # The README normalises only case, quotes, dashes and white space.
    assert normalise("the 22<sup>nd</sup> month") == "the 22<sup>nd</sup> month"


def test_quote_matches_across_a_line_break_and_typography() -> None:
    text = "Referring to the PCC\u2019s scrutiny of 101\nperformance \u2013 he stated"
    assert is_relevant(text, "referring to the PCC's scrutiny of 101 performance - he")


def test_quote_does_not_match_different_words() -> None:
    assert not is_relevant("the charged rate was 10.5%", "the solved rate was 10.5%")
    assert not is_relevant("22<sup>nd</sup> consecutive month", "22nd consecutive month")


def test_blank_quote_matches_nothing() -> None:
    assert not is_relevant("anything", "  \n ")


@given(st.text())
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(st.text().filter(lambda t: t.strip()))
def test_a_text_is_relevant_to_itself(text: str) -> None:
    assert is_relevant("before " + text + " after", text)


# --- nDCG, recall, MRR -------------------------------------------------------------


def test_ndcg_recall_mrr_worked_example() -> None:
    # B (grade 1) at rank 1, nothing at rank 2, A (grade 2) at rank 3, C missing.
    results = [res("the bravo passage"), NOISE, res("an alpha passage")]
    # DCG = 1/log2(2) + 2/log2(4) = 1 + 1 = 2
    assert ndcg_at_k(results, GOLD) == pytest.approx(2 / IDCG)
    assert ndcg_at_k(results, GOLD) == pytest.approx(0.53165, abs=1e-5)
    assert recall_at_k(results, GOLD) == pytest.approx(2 / 3)
    assert mrr_at_k(results, GOLD) == 1.0


def test_cutoff_k_drops_later_results() -> None:
    results = [res("the bravo passage"), NOISE, res("an alpha passage")]
    # Only B counts. Ideal DCG@2 = 2 + 2/log2(3) = 3.26186.
    assert ndcg_at_k(results, GOLD, k=2) == pytest.approx(1 / (2 + 2 / math.log2(3)))
    assert ndcg_at_k(results, GOLD, k=2) == pytest.approx(0.30657, abs=1e-5)
    assert recall_at_k(results, GOLD, k=2) == pytest.approx(1 / 3)


def test_perfect_ranking_scores_one() -> None:
    results = [res("alpha passage"), res("charlie passage"), res("bravo passage")]
    assert ndcg_at_k(results, GOLD) == pytest.approx(1.0)
    assert recall_at_k(results, GOLD) == 1.0


def test_a_result_holding_several_quotes_counts_each_once() -> None:
    # A and C in the first result count at positions 1 and 2; B at rank 2 moves to 3.
    results = [res("alpha passage and charlie passage"), res("bravo passage")]
    assert ndcg_at_k(results, GOLD) == pytest.approx(1.0)
    assert recall_at_k(results, GOLD) == 1.0


def test_several_quotes_in_one_result_cannot_hide_a_missing_passage() -> None:
    # A and C at positions 1 and 2, B missing: 3.26186 / 3.76186.
    results = [res("alpha passage and charlie passage")]
    assert ndcg_at_k(results, GOLD) == pytest.approx((2 + 2 / math.log2(3)) / IDCG)
    assert ndcg_at_k(results, GOLD) == pytest.approx(0.86709, abs=1e-5)


def test_quotes_pushed_past_k_by_a_shared_result_earn_nothing() -> None:
    # A (position 1) and B (position 2) share the first result; with k=1 only A is scored.
    results = [res("alpha passage and bravo passage")]
    assert ndcg_at_k(results, GOLD, k=1) == pytest.approx(1.0)
    assert recall_at_k(results, GOLD, k=1) == pytest.approx(2 / 3)


def test_a_quote_found_twice_counts_once() -> None:
    results = [res("alpha passage"), res("alpha passage again"), res("alpha passage, third time")]
    assert ndcg_at_k(results, GOLD) == pytest.approx(2 / IDCG)
    assert recall_at_k(results, GOLD) == pytest.approx(1 / 3)


def test_mrr_uses_the_first_relevant_rank() -> None:
    assert mrr_at_k([NOISE, NOISE, res("charlie passage")], GOLD) == pytest.approx(1 / 3)
    assert mrr_at_k([NOISE, NOISE], GOLD) == 0.0


def test_nothing_found_scores_zero() -> None:
    assert ndcg_at_k([NOISE], GOLD) == 0.0
    assert recall_at_k([], GOLD) == 0.0


def test_negative_questions_are_undefined() -> None:
    results = [res("alpha passage")]
    assert ndcg_at_k(results, []) is None
    assert recall_at_k(results, []) is None
    assert mrr_at_k(results, []) is None
    assert metrics.abstained([]) and not metrics.abstained(results)
    assert metrics.mean([None, 0.5, 1.0, None]) == 0.75
    assert metrics.mean([None]) is None


@given(
    st.lists(st.sampled_from(["alpha passage", "bravo passage", "charlie passage", "noise"]), max_size=12),
    st.integers(min_value=1, max_value=12),
)
def test_scores_stay_between_zero_and_one(texts: list[str], k: int) -> None:
    results = [res(" ".join(texts[i : i + 2])) for i in range(len(texts))]
    for value in (ndcg_at_k(results, GOLD, k), recall_at_k(results, GOLD, k), mrr_at_k(results, GOLD, k)):
        assert value is not None and 0.0 <= value <= 1.0 + 1e-12


# --- sources ------------------------------------------------------------------------

MANIFEST = {"notes_a.txt": "001_x.txt", "notes_b.txt": "002_y.txt"}


def test_a_quote_from_another_file_does_not_count() -> None:
    wrong = [res("alpha passage", source="notes_b.txt")]
    right = [res("alpha passage", source="corpus/notes_a.txt")]
    assert recall_at_k(wrong, [A], manifest=MANIFEST) == 0.0
    assert recall_at_k(right, [A], manifest=MANIFEST) == 1.0
    assert recall_at_k(wrong, [A]) == 1.0  # without a manifest only the text is compared


def test_manifest_maps_corpus_names_to_original_names() -> None:
    manifest = metrics.load_manifest(ROOT / "corpus" / "manifest.csv")
    assert manifest["performance-delivery-board_2019-09-25_notes.txt"] == "001_5467bbd874fa28ce.txt"
    assert metrics.original_name("corpus/performance-delivery-board_2019-09-25_notes.txt", manifest) == (
        "001_5467bbd874fa28ce.txt"
    )
    assert metrics.original_name("001_5467bbd874fa28ce.txt", manifest) == "001_5467bbd874fa28ce.txt"


# --- attribution --------------------------------------------------------------------


def test_role_aliases() -> None:
    assert canonical_role("Commissioner") == canonical_role("PCC")
    assert canonical_role(" chairman ") == canonical_role("Chair")
    assert canonical_role("Vice-Chairman") == canonical_role("Vice Chair")
    assert canonical_role("DCC") != canonical_role("CC")
    assert canonical_role(None) is None and canonical_role("  ") is None


def test_attribution_worked_example() -> None:
    results = [
        # right: "PCC" is the Commissioner
        res("alpha passage", meeting_date="2023-06-07", date_inferred=False, speakers=[{"role": "PCC", "name": "M Scott"}]),
        # right: undated record, date marked inferred, nobody speaking
        res("bravo passage", meeting_date="2024-09-01", date_inferred=True, speakers=[]),
        # wrong speaker
        res("charlie passage", meeting_date="2019-09-25", date_inferred=False, speakers=[{"role": "DCC", "name": "T Blaker"}]),
    ]
    assert attribution_accuracy(results, GOLD) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "result",
    [
        res("bravo passage", meeting_date="2024-09-01", date_inferred=False, speakers=[]),  # date stated, record has none
        res("bravo passage", meeting_date=None, speakers=[{"role": "CC", "name": "T Smith"}]),  # speaker where none
    ],
)
def test_attribution_for_an_undated_unattributed_passage(result: dict[str, object]) -> None:
    assert attribution_accuracy([result], [B]) == 0.0
    assert attribution_accuracy([res("bravo passage", meeting_date=None, speakers=[])], [B]) == 1.0


def test_attribution_judges_the_first_matching_result() -> None:
    results = [
        res("alpha passage", meeting_date="2023-06-27", speakers=[{"role": "Commissioner", "name": "M Scott"}]),
        res("alpha passage", meeting_date="2023-06-07", speakers=[{"role": "Commissioner", "name": "M Scott"}]),
    ]
    assert attribution_accuracy(results, [A]) == 0.0


def test_attribution_undefined_when_nothing_is_found() -> None:
    assert attribution_accuracy([NOISE], GOLD) is None


# --- the shipped question set -------------------------------------------------------


# (eval/paraphrase.jsonl has no reference answers and types of its own; eval.tune and the
# eval tests read it.)
@pytest.mark.parametrize("name", ["questions.jsonl"] + sorted(p.name for p in (ROOT / "eval").glob("heldout*.jsonl")))
def test_shipped_question_set_is_valid(name: str) -> None:
    from eval.validate import Corpus, validate

    path = ROOT / "eval" / name
    problems = validate(path.read_text(encoding="utf-8").splitlines(), str(path), Corpus(ROOT / "corpus"))
    assert [str(p) for p in problems if not p.warning] == []

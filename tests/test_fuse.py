import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.fuse import DEFAULT_K, FusedHit, rrf

# A ranked list: distinct passage rows, best first.
ranked = st.lists(st.integers(min_value=0, max_value=40), unique=True, max_size=25)
rankings = st.dictionaries(
    st.sampled_from(["lexical", "dense", "titles", "speakers"]), ranked, min_size=1, max_size=4
)
ks = st.integers(min_value=1, max_value=200)


def by_index(hits: list[FusedHit]) -> dict[int, FusedHit]:
    return {h.index: h for h in hits}


def test_known_values() -> None:
    hits = rrf({"lexical": [3, 1, 2], "dense": [1, 3]}, k=60)
    # 1 and 3 score the same (1/61 + 1/62) and are both first somewhere: the lower row wins.
    assert [h.index for h in hits] == [1, 3, 2]
    h = by_index(hits)
    assert h[3].score == h[1].score == pytest.approx(1 / 61 + 1 / 62)
    assert h[2].score == pytest.approx(1 / 63)
    assert h[2].ranks == {"dense": None, "lexical": 3}
    assert h[3].ranks == {"dense": 2, "lexical": 1}


def test_ties_break_by_best_rank_then_index() -> None:
    # With k=2, rank 1 in one list (1/3) ties with rank 4 in two lists (1/6 + 1/6).
    hits = rrf({"x": [9, 5, 6, 1], "y": [7, 8, 2, 1]}, k=2)
    assert [h.index for h in hits] == [7, 9, 1, 5, 8, 2, 6]
    assert hits[0].score == hits[1].score == hits[2].score
    assert [h.best_rank for h in hits[:3]] == [1, 1, 4]


def test_zero_weight_keeps_the_hit_at_zero() -> None:
    hits = rrf({"x": [1, 2], "y": [3, 2]}, k=10, weights={"x": 1.0, "y": 0.0})
    assert [h.index for h in hits] == [1, 2, 3]
    assert hits[2].score == 0.0


def test_empty_inputs() -> None:
    assert rrf({}) == []
    assert rrf({"lexical": [], "dense": []}) == []


def test_duplicates_count_at_their_best_position() -> None:
    hits = rrf({"a": [4, 2, 4]})
    assert [(h.index, h.ranks["a"]) for h in hits] == [(4, 1), (2, 2)]


def test_numpy_rows_and_limit() -> None:
    hits = rrf({"a": np.array([3, 1, 2]), "b": np.array([1])}, limit=2)
    assert [h.index for h in hits] == [1, 3]
    assert all(type(h.index) is int for h in hits)


def test_bad_arguments_name_the_problem() -> None:
    with pytest.raises(ValueError, match="k must be"):
        rrf({"a": [1]}, k=-1)
    with pytest.raises(ValueError, match="valid names: a, b"):
        rrf({"a": [1], "b": [2]}, weights={"c": 1.0})
    with pytest.raises(ValueError, match="weight"):
        rrf({"a": [1]}, weights={"a": -1.0})
    with pytest.raises(ValueError, match="weight"):
        rrf({"a": [1]}, weights={"a": math.nan})
    with pytest.raises(ValueError, match="negative"):
        rrf({"a": [-1]})


def test_hit_is_frozen() -> None:
    hit = rrf({"a": [1]})[0]
    with pytest.raises(AttributeError):
        hit.score = 2.0  # type: ignore[misc]
    hash(hit)  # the ranks dict does not stop a hit being hashed


def test_weights_shift_the_order() -> None:
    lists = {"lexical": [1, 2], "dense": [2, 1]}
    assert rrf(lists, weights={"lexical": 2.0})[0].index == 1
    assert rrf(lists, weights={"dense": 2.0})[0].index == 2


# -- properties --------------------------------------------------------------------------

@given(rankings, ks, st.randoms(use_true_random=False))
def test_order_of_the_lists_does_not_matter(lists, k, rnd) -> None:
    names = list(lists)
    rnd.shuffle(names)
    shuffled = {n: lists[n] for n in names}
    assert rrf(lists, k=k) == rrf(shuffled, k=k)


@given(rankings, ks)
def test_every_input_row_appears_once_with_its_ranks(lists, k) -> None:
    hits = rrf(lists, k=k)
    rows = [h.index for h in hits]
    assert len(rows) == len(set(rows))
    assert set(rows) == {r for ranked in lists.values() for r in ranked}
    for h in hits:
        assert set(h.ranks) == set(lists)
        for name, rank in h.ranks.items():
            if rank is None:
                assert h.index not in lists[name]
            else:
                assert lists[name][rank - 1] == h.index


@given(rankings, ks)
def test_scores_positive_sorted_and_sum_of_reciprocals(lists, k) -> None:
    hits = rrf(lists, k=k)
    for h in hits:
        assert h.score > 0
        expected = sum(1 / (k + r) for r in h.ranks.values() if r is not None)
        assert h.score == pytest.approx(expected)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


@given(ranked.filter(lambda r: len(r) > 1), ks)
def test_score_falls_with_rank_in_a_single_list(ranked_list, k) -> None:
    hits = rrf({"only": ranked_list}, k=k)
    assert [h.index for h in hits] == ranked_list
    scores = [h.score for h in hits]
    assert all(a > b for a, b in zip(scores, scores[1:]))


@given(rankings, ks, st.integers(min_value=41, max_value=60))
def test_first_in_every_list_is_first(lists, k, top) -> None:
    lists = {name: [top] + [r for r in ranked if r != top] for name, ranked in lists.items()}
    assert rrf(lists, k=k)[0].index == top


@given(rankings, ks)
def test_dominance(lists, k) -> None:
    # If b is at least as well ranked as a in every list (absence being the worst rank),
    # b scores at least as high as a and comes first.
    hits = rrf(lists, k=k)
    position = {h.index: i for i, h in enumerate(hits)}
    worst = math.inf
    for a in hits:
        for b in hits:
            if a.index == b.index:
                continue
            dominates = all(
                (rb if rb is not None else worst) <= (ra if ra is not None else worst)
                for ra, rb in ((a.ranks[n], b.ranks[n]) for n in lists)
            )
            if dominates:
                assert b.score >= a.score
                assert position[b.index] < position[a.index]


@given(rankings, ks, ranked)
def test_a_list_without_a_hit_never_lifts_it_over_one_present_in_all(lists, k, extra) -> None:
    # Add a list in which row `absent` is missing. A row `present` ranked at least as well
    # as `absent` everywhere, and present in the new list, keeps its lead.
    before = by_index(rrf(lists, k=k))
    if len(before) < 2:
        return
    present, absent = sorted(before)[:2]
    if not all(
        (before[present].ranks[n] or math.inf) <= (before[absent].ranks[n] or math.inf)
        for n in lists
    ):
        return
    new = [present] + [r for r in extra if r not in (present, absent)]
    after = by_index(rrf({**lists, "new": new}, k=k))
    assert after[absent].score == pytest.approx(before[absent].score)  # unchanged by absence
    assert after[present].score > after[absent].score


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), ranked, min_size=1), ks)
def test_equal_ranks_equal_scores_whatever_the_list(lists, k) -> None:
    # A row at rank r in list x and one at rank r in list y (and nowhere else) score the same.
    names = sorted(lists)
    hits = rrf(lists, k=k)
    singles = [h for h in hits if sum(r is not None for r in h.ranks.values()) == 1]
    by_rank: dict[int, set[float]] = {}
    for h in singles:
        rank = next(r for r in h.ranks.values() if r is not None)
        by_rank.setdefault(rank, set()).add(h.score)
    assert all(len(scores) == 1 for scores in by_rank.values())
    assert names  # the strategy gives at least one list


@settings(max_examples=50)
@given(rankings, ks, st.dictionaries(st.sampled_from(["lexical", "dense", "titles", "speakers"]),
                                      st.floats(min_value=0.01, max_value=10)))
def test_weighted_fusion_is_order_independent(lists, k, weights) -> None:
    weights = {n: w for n, w in weights.items() if n in lists}
    names = list(lists)
    random.Random(0).shuffle(names)
    assert rrf(lists, k=k, weights=weights) == rrf({n: lists[n] for n in names}, k=k, weights=weights)


def test_default_k() -> None:
    assert DEFAULT_K == 60
    assert rrf({"a": [0]})[0].score == pytest.approx(1 / 61)

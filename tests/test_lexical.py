"""BM25: the tokeniser, and bm25s checked against rank-bm25 as an independent implementation."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from indexer.errors import IndexMismatchError
from indexer.lexical import METHODS, STOPWORDS, LexicalIndex, tokenize, top_k

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"


def corpus_passages() -> list[str]:
    """Blank-line paragraphs of the seed corpus: real governance text."""
    passages = []
    for path in sorted(CORPUS_DIR.glob("*.txt")) + sorted(CORPUS_DIR.glob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        passages += [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return passages


class LuceneIdfOkapi(BM25Okapi):
    """rank-bm25's Okapi scoring with Lucene's IDF, the variant bm25s calls "lucene"."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))


# -- tokeniser ---------------------------------------------------------------------

def test_tokenize_keeps_numbers_and_splits_slashes() -> None:
    assert tokenize("101 and 999 calls in 2023/24") == ["101", "999", "call", "2023", "24"]


def test_tokenize_lowercases_drops_stopwords_and_stems() -> None:
    assert tokenize("The Chief Constable's officers were WAITING; budgets") == [
        "chief", "constabl", "offic", "wait", "budget"
    ]
    assert tokenize("answering") == tokenize("answered") == tokenize("answers") == ["answer"]
    assert tokenize("the and of") == []
    assert tokenize("") == []


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_tokens_are_lowercase_words_never_stopwords(text: str) -> None:
    tokens = tokenize(text)
    assert tokens == tokenize(text)
    for token in tokens:
        assert token and re.fullmatch(r"[^\W_]+", token)
        assert token == token.casefold() and token not in STOPWORDS


# -- differential tests against rank-bm25 ------------------------------------------

def test_lucene_scores_equal_rank_bm25_with_lucene_idf() -> None:
    """Our default variant, score for score, on real passages and real queries.

    bm25s's "lucene" term-frequency part omits BM25Okapi's constant (k1 + 1) factor,
    so scores agree once multiplied by it, and rankings are identical.
    """
    passages = corpus_passages()
    assert len(passages) > 50
    tokens = [tokenize(p) for p in passages]
    k1, b = 1.5, 0.75
    ours = LexicalIndex.build(passages, k1=k1, b=b)
    reference = LuceneIdfOkapi(tokens, k1=k1, b=b)
    queries = [
        "101 call answering times", "victim services contract", "capital budget underspend",
        "stop and search disproportionality", "police", "chief constable update on 999 calls",
        "road safety speeding enforcement", "violence against women and girls", "zzzz unknownword",
    ]
    for query in queries:
        expected = reference.get_scores(tokenize(query))
        got = ours.scores(query).astype(np.float64) * (k1 + 1)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=query)
        ranked = np.flatnonzero(expected > 0)
        assert list(ours.top(query, 10)[0]) == sorted(ranked, key=lambda i: (-expected[i], i))[:10]


vocab = st.sampled_from([f"w{i}" for i in range(30)])


@given(
    corpus=st.lists(st.lists(vocab, max_size=12), min_size=1, max_size=25),
    query=st.lists(vocab, min_size=1, max_size=5),
    k1=st.floats(0.5, 2.5),
    b=st.floats(0.0, 1.0),
)
@settings(max_examples=100, deadline=None)
def test_lucene_matches_rank_bm25_on_any_corpus(corpus: list[list[str]], query: list[str], k1: float, b: float) -> None:
    if not any(corpus):
        return
    ours = LexicalIndex.build_from_tokens(corpus, k1=k1, b=b)
    expected = LuceneIdfOkapi(corpus, k1=k1, b=b).get_scores(query)
    # rank-bm25 computes 0/0 for an empty passage when b=1; the word is absent: score 0.
    expected = np.nan_to_num(expected, nan=0.0)
    np.testing.assert_allclose(ours.scores_for_tokens(query) * (k1 + 1), expected, rtol=1e-4, atol=1e-5)


def test_robertson_equals_stock_bm25okapi_for_words_in_under_half_the_passages() -> None:
    """bm25s "robertson" is BM25Okapi itself (scaled by 1/(k1+1)) wherever Robertson's
    IDF is positive; for words in over half the passages rank-bm25 substitutes 0.25 x
    the mean IDF and bm25s uses 0, which is why the default is "lucene"."""
    passages = corpus_passages()
    tokens = [tokenize(p) for p in passages]
    k1, b = 1.2, 0.75
    ours = LexicalIndex.build(passages, k1=k1, b=b, method="robertson")
    reference = BM25Okapi(tokens, k1=k1, b=b)
    rare = [w for w, idf in reference.idf.items() if idf > 0]
    rng = np.random.default_rng(7)
    for _ in range(50):
        query = list(rng.choice(rare, size=3))
        np.testing.assert_allclose(
            ours.scores_for_tokens(query) * (k1 + 1), reference.get_scores(query), rtol=1e-5, atol=1e-6
        )


def test_unknown_method_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of lucene, robertson, atire"):
        LexicalIndex.build(["x"], method="okapi")
    assert METHODS == ("lucene", "robertson", "atire")


# -- top-k and masks ---------------------------------------------------------------

TEXTS = [
    "101 call answering times improved",
    "capital budget underspend",
    "101 calls: waiting times for the non-emergency line",
    "victim services",
    "the 101 service and 999 service",
    "nothing relevant here",
]


def test_scores_cover_every_passage() -> None:
    index = LexicalIndex.build(TEXTS)
    scores = index.scores("101 waiting")
    assert scores.shape == (len(TEXTS),) and scores.dtype == np.float32
    assert scores[1] == scores[3] == scores[5] == 0.0
    assert scores[2] == scores.max()


def test_top_returns_only_matching_passages_best_first() -> None:
    index = LexicalIndex.build(TEXTS)
    ids, scores = index.top("101 calls", 10)
    assert set(ids) == {0, 2, 4}
    assert list(scores) == sorted(scores, reverse=True)
    assert len(index.top("101 calls", 2)[0]) == 2
    assert index.top("unknownword", 5)[0].size == 0
    assert index.top("the of", 5)[0].size == 0


def test_mask_applies_before_the_cut() -> None:
    index = LexicalIndex.build(TEXTS * 10)  # 30 passages match "101"
    mask = np.zeros(len(TEXTS) * 10, dtype=bool)
    mask[40:] = True
    ids, _ = index.top("101", 5, mask=mask)
    assert len(ids) == 5 and all(mask[ids])
    with pytest.raises(ValueError, match="boolean array"):
        index.top("101", 5, mask=np.ones(3, dtype=bool))


def test_top_k_breaks_ties_by_row() -> None:
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0], dtype=np.float32)
    ids, values = top_k(scores, 2, np.ones(5, dtype=bool))
    assert list(ids) == [1, 2] and list(values) == [3.0, 3.0]
    assert list(top_k(scores, 10, scores < 3)[0]) == [3, 0]
    assert top_k(scores, 0, np.ones(5, dtype=bool))[0].size == 0


def test_empty_corpora() -> None:
    assert LexicalIndex.build([]).scores("101").shape == (0,)
    index = LexicalIndex.build(["the", "and of"])  # no passage has a single token
    np.testing.assert_array_equal(index.scores("101"), np.zeros(2, dtype=np.float32))


# -- saving ------------------------------------------------------------------------

def test_save_and_load_give_the_same_scores_without_pickle(tmp_path: Path) -> None:
    index = LexicalIndex.build(TEXTS, k1=1.2, b=0.6)
    index.save(tmp_path / "lexical")
    for path in (tmp_path / "lexical").glob("*.npy"):
        np.load(path, allow_pickle=False)
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert (loaded.n_docs, loaded.k1, loaded.b, loaded.method) == (6, 1.2, 0.6, "lucene")
    np.testing.assert_array_equal(loaded.scores("101 waiting times"), index.scores("101 waiting times"))

    LexicalIndex.build(["the"]).save(tmp_path / "empty")
    assert LexicalIndex.load(tmp_path / "empty").n_docs == 1


def test_load_refuses_another_tokenizer(tmp_path: Path) -> None:
    LexicalIndex.build(TEXTS).save(tmp_path)
    meta = json.loads((tmp_path / "lexical.json").read_text())
    meta["tokenizer"] = "something-else"
    (tmp_path / "lexical.json").write_text(json.dumps(meta))
    with pytest.raises(IndexMismatchError, match="tokenizer 'something-else'.*--rebuild"):
        LexicalIndex.load(tmp_path)

"""Sentence vectors: each passage's sentences embedded on their own, stored in the index,
and ranked as a third list when BM25 matches few of the question's words."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from indexer import store
from indexer.build import passage_sentences
from indexer.errors import IndexMismatchError
from tests.test_store import FAKE, FAKE_CONFIG, sample_files, write_sample


def _sentences(parsed):
    passages = [p for pf in parsed for p in pf.passages]
    texts, rows = passage_sentences(passages)
    return texts, (FAKE.embed(texts), np.asarray(rows, dtype=np.int32))


def test_sentence_vectors_round_trip(tmp_path: Path) -> None:
    texts, sentences = _sentences(sample_files())
    write_sample(tmp_path / "index", sentences=sentences)
    loaded = store.load_index(tmp_path / "index")
    assert loaded.sentences is not None
    np.testing.assert_array_equal(loaded.sentences[0], FAKE.embed(texts))
    assert loaded.sentences[1].tolist() == sentences[1].tolist()
    assert {"sentences.npy", "sentence_rows.npy"} <= set(loaded.manifest["checksums"])


def test_an_index_without_sentence_vectors_still_loads(tmp_path: Path) -> None:
    write_sample(tmp_path / "index")
    assert store.load_index(tmp_path / "index").sentences is None


def test_sentence_rows_outside_the_passages_are_refused(tmp_path: Path) -> None:
    _, (vectors, rows) = _sentences(sample_files())
    with pytest.raises(ValueError, match="rows below 4"):
        write_sample(tmp_path / "index", sentences=(vectors, rows + 10))
    assert not (tmp_path / "index").exists()

    write_sample(tmp_path / "index", sentences=(vectors, rows))
    np.save(tmp_path / "index" / "sentence_rows.npy", rows + 10, allow_pickle=False)
    with pytest.raises(IndexMismatchError, match=r"sentence_rows\.npy names passage rows outside 0-3"):
        store.load_index(tmp_path / "index", config=FAKE_CONFIG, verify_checksums=False)


def test_short_fragments_are_not_embedded_alone() -> None:
    [passage] = [p for pf in sample_files({"x_2023-01-10_notes.txt": "Noted. The board agreed the plan for 2024."})
                 for p in pf.passages]
    texts, rows = passage_sentences([passage])
    assert texts == ["The board agreed the plan for 2024."] and rows == [0]


def _long_passage(searcher) -> tuple[int, str]:
    """A passage of several sentences, and its longest sentence."""
    vectors, rows = searcher.index.sentences
    counts = np.bincount(rows, minlength=len(searcher.passages))
    row = int(np.argmax(counts))
    texts, text_rows = passage_sentences([searcher.passages[row]])
    return row, max(texts, key=len)


def test_the_candidate_holding_the_closest_sentence_ranks_first(fake_searcher) -> None:
    row, sentence = _long_passage(fake_searcher)
    vector = fake_searcher.embed_query(sentence)
    others = [r for r in range(len(fake_searcher.passages)) if r != row][:40]
    ranked = fake_searcher.sentence_ranking(vector, [*others[:20], row, *others[20:]])
    assert ranked[0] == row and sentence in fake_searcher.passages[ranked[0]].text
    assert sorted(ranked) == sorted(r for r in {*others, row} if r in set(fake_searcher.index.sentences[1].tolist()))
    # Only candidates are scored: a passage the lexical and dense lists did not find is not added.
    assert row not in fake_searcher.sentence_ranking(vector, others)


def test_sentences_join_the_fusion_only_when_bm25_matches_few_words(fake_searcher) -> None:
    row, sentence = _long_passage(fake_searcher)
    # Words the records never use make BM25's evidence weak; the sentence's own words do not.
    weak_query = f"{sentence} quokka zeppelin marzipan trombone wombat"
    base = fake_searcher.config
    try:
        scores = {}
        for weight in (0.0, 0.2):
            fake_searcher.config = replace(base, sentence_weight=weight, weak_lexical=0.7)
            scores[weight] = {
                query: {h.row: h.score for h in fake_searcher.search(query, k=50).hits}
                for query in (weak_query, sentence)
            }
    finally:
        fake_searcher.config = base
    holder = next(r for r in scores[0.2][weak_query] if sentence in fake_searcher.passages[r].text)
    assert scores[0.2][weak_query][holder] > scores[0.0][weak_query].get(holder, 0.0)
    assert scores[0.2][sentence] == scores[0.0][sentence]

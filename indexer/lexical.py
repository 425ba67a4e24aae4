"""BM25 over passage texts, scored by bm25s.

Variant: bm25s method "lucene" by default (IndexConfig.bm25_method). Its term-frequency
part is tf / (tf + k1 * (1 - b + b * dl / avgdl)) and its IDF is
log(1 + (N - df + 0.5) / (df + 0.5)), which stays positive for words found in most
passages. Robertson's IDF, log((N - df + 0.5) / (df + 0.5)), goes negative there
(rank-bm25 patches it with 0.25 x the mean IDF, bm25s clips it to 0), so a query for
"police" in a police corpus would score nothing, or worse.

Checked against rank_bm25.BM25Okapi (tests/test_lexical.py): with "lucene", our scores x
(k1 + 1) equal BM25Okapi's once its IDF is Lucene's; with "robertson" they equal stock
BM25Okapi x 1/(k1 + 1) wherever every query word is in fewer than half the passages.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexMismatchError, ScrutinyError

# Saved with the index: a query must be tokenised exactly as its passages were.
TOKENIZER_VERSION = "words-stop1-snowball-english-1"

METHODS = ("lucene", "robertson", "atire")

# Function words only, as in most short English lists ("no" and "not" included: on
# their own they carry little weight in BM25). Numbers are never dropped: "101", "999".
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself yourselves s t d ll m o re ve y
    """.split()
)

# Letters and digits of any script; everything else separates: "2023/24" -> 2023, 24.
_WORD_RE = re.compile(r"[^\W_]+")
_POSSESSIVE_RE = re.compile(r"['’]s\b")

_local = threading.local()


def _stemmer() -> Any:
    # PyStemmer objects are not thread-safe (Gradio serves queries from threads).
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        try:
            import Stemmer
        except ImportError as exc:
            raise ScrutinyError("PyStemmer is not installed: run `make install`") from exc
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def tokenize(text: str) -> list[str]:
    """Lower-case words and numbers, stopwords dropped, Snowball (Porter 2) stems.

    >>> tokenize("The PCC's 101 calls in 2023/24")
    ['pcc', '101', 'call', '2023', '24']
    """
    words = _WORD_RE.findall(_POSSESSIVE_RE.sub("", text.casefold()))
    kept = [word for word in words if word not in STOPWORDS]
    return list(_stemmer().stemWords(kept)) if kept else []


def plain_words(text: str) -> str:
    """The words of `text`, lower-cased, one space apart: text compared whatever its
    punctuation, case and line breaks.

    >>> plain_words("Force: Provide the ILAS pilot-results.")
    'force provide the ilas pilot results'
    """
    return " ".join(re.findall(r"\w+", text.lower()))


def phrase_words(text: str) -> list[str]:
    """The words of `text` stemmed as `tokenize` stems them, stopwords kept: for matching a
    phrase word for word where its small words carry the meaning ("hang up", "get through",
    "on hold" are not "hang", "get", "hold").

    >>> phrase_words("Getting through to 101")
    ['get', 'through', 'to', '101']
    """
    words = _WORD_RE.findall(_POSSESSIVE_RE.sub("", text.casefold()))
    return list(_stemmer().stemWords(words)) if words else []


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The k best of the `allowed` rows, best first, ties broken by row number."""
    ids = np.flatnonzero(allowed)
    if k <= 0 or ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    values = scores[ids]
    if ids.size > k:
        # Keep every row tied with the k-th best, so the cut does not depend on
        # argpartition's arbitrary order among equals.
        kth = np.partition(values, ids.size - k)[ids.size - k]
        keep = values >= kth
        ids, values = ids[keep], values[keep]
    order = np.lexsort((ids, -values))[:k]
    return ids[order].astype(np.int64), values[order].astype(np.float32)


def check_mask(mask: np.ndarray | None, n: int) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise ValueError(f"mask must be a boolean array of shape ({n},), got {mask.dtype} {mask.shape}")
    return mask


class LexicalIndex:
    """BM25 scores for every passage; build with LexicalIndex.build, or load."""

    _META = "lexical.json"

    def __init__(self, bm25: Any, n_docs: int, k1: float, b: float, method: str) -> None:
        self._bm25 = bm25  # None when no passage has a single token
        self.n_docs = n_docs
        self.k1 = k1
        self.b = b
        self.method = method

    @classmethod
    def build(
        cls, texts: Sequence[str], k1: float = 1.5, b: float = 0.75, method: str = "lucene"
    ) -> LexicalIndex:
        return cls.build_from_tokens([tokenize(text) for text in texts], k1=k1, b=b, method=method)

    @classmethod
    def build_from_tokens(
        cls, corpus_tokens: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75, method: str = "lucene"
    ) -> LexicalIndex:
        """Index already-tokenised passages (the differential test feeds both libraries this)."""
        if method not in METHODS:
            raise ValueError(f"Unknown BM25 method {method!r}: choose one of {', '.join(METHODS)}")
        import bm25s

        bm25 = None
        if any(corpus_tokens):  # bm25s cannot index a corpus without a single token
            bm25 = bm25s.BM25(k1=k1, b=b, method=method, backend="numpy")
            bm25.index([list(tokens) for tokens in corpus_tokens], show_progress=False)
        return cls(bm25, len(corpus_tokens), k1, b, method)

    def scores(self, query: str) -> np.ndarray:
        """A float32 BM25 score for every passage, in passage order (0 where no word matches)."""
        return self.scores_for_tokens(tokenize(query))

    def scores_for_tokens(self, tokens: Sequence[str]) -> np.ndarray:
        if self._bm25 is None:
            return np.zeros(self.n_docs, dtype=np.float32)
        ids = self._bm25.get_tokens_ids(list(tokens))
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def expanded_scores(
        self, query: str, expansions: Sequence[tuple[Sequence[str], float]] = ()
    ) -> np.ndarray:
        """BM25 of the query's own words, plus each expansion's score times its weight.

        An expansion is (alternative phrases for one term of the query, weight): "hanging
        up" -> ("abandoned", "attrition"). It counts once, by its best-scoring alternative,
        so a term with many alternatives weighs no more than one with a single one. Words
        the user typed are never counted again, and a weight below 1 keeps them above
        anything added.
        """
        scores = self.scores(query)
        if not any(weight > 0 for _, weight in expansions):
            return scores
        typed = set(tokenize(query))
        scores = scores.astype(np.float32, copy=True)
        for alternatives, weight in expansions:
            if weight <= 0:
                continue
            best = np.zeros(self.n_docs, dtype=np.float32)
            for phrase in alternatives:
                tokens = [t for t in tokenize(phrase) if t not in typed]
                if tokens:
                    best = np.maximum(best, self.scores_for_tokens(tokens))
            scores += np.float32(weight) * best
        return scores

    def document_frequency(self, token: str) -> int:
        """In how many passages a (tokenised) word occurs."""
        if self._bm25 is None:
            return 0
        column = self._bm25.vocab_dict.get(token)
        if column is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])

    def idf(self, token: str) -> float:
        """Lucene's inverse document frequency: rare words weigh most."""
        df = self.document_frequency(token)
        return float(np.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))

    def top(
        self,
        query: str,
        k: int,
        mask: np.ndarray | None = None,
        expansions: Sequence[tuple[Sequence[str], float]] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, scores) of the k best passages that match at least one query word
        (or, with expansions, one of their words; see expanded_scores).

        The mask (boolean over passages) applies before the cut, so a filter never
        leaves fewer than k hits when k allowed passages match.
        """
        scores = self.expanded_scores(query, expansions)
        allowed = scores > 0
        checked = check_mask(mask, self.n_docs)
        if checked is not None:
            allowed &= checked
        return top_k(scores, k, allowed)

    def save(self, directory: Path) -> None:
        """bm25s's own arrays (.npy, no pickle) and JSON vocabulary, plus lexical.json."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(directory), show_progress=False)
        import bm25s

        meta = {
            "tokenizer": TOKENIZER_VERSION,
            "n_docs": self.n_docs,
            "k1": self.k1,
            "b": self.b,
            "method": self.method,
            "empty": self._bm25 is None,
            "bm25s_version": bm25s.__version__,
        }
        (directory / self._META).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        directory = Path(directory)
        meta_path = directory / cls._META
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexMismatchError(
                f"The lexical index file {meta_path} is unreadable: rebuild with `scrutiny index --rebuild`"
            ) from exc
        if meta.get("tokenizer") != TOKENIZER_VERSION:
            raise IndexMismatchError(
                f"The lexical index in {directory} was built with tokenizer {meta.get('tokenizer')!r}, "
                f"this version uses {TOKENIZER_VERSION!r}: rebuild with `scrutiny index --rebuild`"
            )
        bm25 = None
        if not meta["empty"]:
            import bm25s

            bm25 = bm25s.BM25.load(str(directory), load_corpus=False, allow_pickle=False, show_progress=False)
            if int(bm25.scores["num_docs"]) != int(meta["n_docs"]):
                raise IndexMismatchError(
                    f"The lexical index in {directory} holds {bm25.scores['num_docs']} passages, "
                    f"expected {meta['n_docs']}: rebuild with `scrutiny index --rebuild`"
                )
        return cls(bm25, int(meta["n_docs"]), float(meta["k1"]), float(meta["b"]), str(meta["method"]))

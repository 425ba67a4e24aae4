"""Hybrid search: what was understood from the query, filters applied before ranking,
BM25 and dense rankings fused, each hit with the ranks that produced it."""

from __future__ import annotations

import calendar
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from indexer.backend import BackendChoice, EmbeddedBackend, SearchBackend
from indexer.config import IndexConfig
from indexer.embed import Embedder
from indexer.errors import QueryError
from indexer.records import Passage
from indexer.store import LoadedIndex
from indexer.vocabulary import POLICE_AREAS
from search.filters import PERIOD_ENDS, Filters, filter_mask, where
from search.fuse import FusedHit, rrf
from indexer.glossary import Expansion, expand, expansions, mine as mine_glossary
from search.intent import Intent, boost, member_asks, read_intent, spread
from search.rerank import Evidence, LinearModel, PassageWords, Scorer, candidate_features, load_model, reorder
from indexer.sentences import sentence_spans
from search.labels import meeting_label
from search.ledger import LedgerEntry, build_ledger, cached_embed, matching_text
from indexer.lexical import plain_words, tokenize
from search.understand import Understood, merge, understand

MODES = ("hybrid", "lexical", "dense")
SORTS = ("relevance", "date")
# How deep each ranking goes before fusion: deep enough that a passage ranked well by
# one method and poorly by the other still meets the fusion.
DEPTH = 50
# Evidence is weak when neither method finds a close match: the best passage's cosine
# similarity is low and it shares few of the query's words. Calibrated on eval/questions.jsonl
# (the questions with no answer in the records); see eval/README.md.
WEAK_DENSE = 0.42
WEAK_COVERAGE = 0.5
# A date tied to meetings ("at meetings held in 2021", "the board on 15 September 2020") is a
# filter on meeting dates: with no meeting then, it moves to the nearest meetings, never to all dates.
MEETING_DATE_RE = re.compile(r"\b(?:meeting|meetings|board|panel|held|minutes|notes)\b", re.I)


# Ranking by what the named speaker said: how many fused hits are looked at, and how much
# a fully on-topic turn adds to a fused score (about a first place in BM25 at k=10).
FOCUS_DEPTH = 30
FOCUS_WEIGHT = 0.06
ASK_RE = re.compile(r"\b(?:ask|asks|asked|question|questioned|query|queried|seek|sought|request|requested|press|pressed|challenge|challenged)\b", re.I)
QUESTION_VERB_RE = re.compile(r"\b(?:asked|sought|queried|questioned|requested|enquired|pressed|challenged|\?)", re.I)

# Words that ask rather than say what about: "what did the board hear about county lines".
_PLACE_WORDS = frozenset(tokenize("north south west east northern city county greater isle isles valley and of the met"))
QUESTION_WORDS = frozenset(
    tokenize(
        "what which who whom whose when where why how did does do has have had was were is are be been "
        "say said says tell told report reported reports ask asked asks raise raised raises hear heard "
        "discuss discussed mention mentioned point points update updates anything something said about "
        "board panel meeting meetings commission commissioner force police"
    )
) | frozenset(
    # A police area's name says where, not what about ("Kent", "Sussex", "Thames Valley"); the
    # compass and place words shared with topics ("north", "city", "isle") stay topic words.
    t for area, aliases in POLICE_AREAS.items() for name in (area, *aliases) for t in tokenize(name)
    if t not in _PLACE_WORDS
)


def topic_terms(text: str) -> set[str]:
    return set(tokenize(text)) - QUESTION_WORDS


@dataclass(frozen=True)
class Hit:
    passage: Passage
    row: int
    score: float
    lexical_rank: int | None
    dense_rank: int | None
    lexical_score: float | None
    dense_score: float | None


@dataclass(frozen=True)
class SearchResult:
    query: str
    understood: Understood
    weak: bool
    hits: tuple[Hit, ...]
    matched: int  # passages that passed the filters
    # Said to the researcher in words when the search was not the one asked for: "No meeting
    # on 15 September 2020 in the records; searched the nearest meetings: …".
    notice: str | None = None
    # The reranking model's score for the first passage (None where it did not run): how
    # sure the search is of its best answer, comparable between searches of one index.
    confidence: float | None = None


@dataclass(frozen=True)
class CommitmentThread:
    """Where the records speak of one commitment (search.ledger's entry): its pieces' vectors
    (the action, the offer, the update) and the passage rows that hold them."""

    vectors: np.ndarray
    rows: frozenset[int]


# A period read against today ("last year") gives way to every date when the best passage
# outside it scores this much higher on the reranking model's scale (search.rerank) than
# the best inside it: the reader meant the records' last year, not the calendar's.
WIDER_PERIOD_MARGIN = 0.2
# "Was X delivered?": a commitment's record is spread over meetings (the offer in discussion,
# the minuted action, its row in the action table, the next meeting's update). Where one of
# the first THREAD_DEPTH hits holds a piece of a commitment whose words are this close to
# the question's (cosine), the passages holding the others follow it. Chosen on the
# promise questions of the project's sets: the first 5 lift them from 0.746 to 0.802
# nDCG@10; the first 10 add nothing; a floor of 0.45 gives up half of that.
THREAD_DEPTH = 5
THREAD_MIN_SIMILARITY = 0.3
# A piece of a commitment is found again, outside its own span, in a passage of its record
# that holds its first words (the action table repeating the minuted list).
THREAD_LEAD_WORDS = 8


def open_searcher(index_dir: Path | None = None, embedder: Embedder | None = None) -> Searcher:
    """Load and verify the index, with the embedder and model it was built with: the ones its
    manifest names, unless $SCRUTINY_EMBEDDER or $SCRUTINY_MODEL (or `embedder`) asks for
    another, which is refused."""
    from indexer.config import default_index_dir
    from indexer.embed import EMBEDDER_ENV, MODEL_ENV, config_for, default_embedder, model_key_of
    from indexer.store import built_with, load_index

    folder = index_dir or default_index_dir()
    kind, model = built_with(folder)
    embedder = embedder or default_embedder(os.environ.get(EMBEDDER_ENV) or kind, os.environ.get(MODEL_ENV) or model_key_of(model))
    config = config_for(embedder)
    index = load_index(folder, config=config, embedder_fingerprint=embedder.fingerprint)
    return Searcher(index, embedder, config)


def open_backend(index: LoadedIndex, embedder: Embedder, config: IndexConfig) -> SearchBackend:
    """The search backend the index's manifest names: its own bm25s and FAISS files, or the
    Qdrant collection it was built into (ScrutinyError, in one line, if that is unreachable)."""
    choice = BackendChoice.from_json(index.manifest.get("backend"))
    if choice.name == "qdrant":
        from indexer.qdrant import QdrantBackend

        return QdrantBackend.open(choice, dim=config.embedding_dim, fingerprint=embedder.fingerprint,
                                  k1=index.config.bm25_k1, b=index.config.bm25_b)
    ranges = {d.id: d.date_range for d in index.documents if d.date_range}
    return EmbeddedBackend.over(index.passages, index.embeddings, index.lexical, index.dense, ranges)


class Searcher:
    """Holds the loaded index and the embedder; one per process."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, config: IndexConfig | None = None) -> None:
        self.index = index
        # Query-time settings (fusion) come from the running code, not the index.
        self.config = config or IndexConfig()
        self.embedder = embedder
        self.passages = index.passages
        self.date_ranges = {d.id: d.date_range for d in index.documents if d.date_range}
        self.known_names = sorted({s.name for p in self.passages for s in p.speakers if s.name})
        self.known_bodies = sorted({p.body for p in self.passages if p.body})
        self.known_areas = sorted({p.area for p in self.passages if p.area})
        self._embed = lru_cache(maxsize=256)(self._embed_uncached)
        self._text_vectors: dict[str, np.ndarray] = {}
        self.glossary = index.glossary if index.glossary is not None else mine_glossary(index.texts.values())
        self.backend = open_backend(index, self.embedder, self.config)
        self._rows = {p.id: row for row, p in enumerate(self.passages)}
        self._words: dict[int, PassageWords] = {}

    def close(self) -> None:
        self.backend.close()

    def _embed_uncached(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed(text)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passage sentences (answers, timelines), remembered for the session."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._text_vectors]
        if missing:
            if len(self._text_vectors) > 20_000:
                self._text_vectors.clear()
            self._text_vectors.update(zip(missing, self.embedder.embed(missing)))
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._text_vectors[t] for t in texts])

    def understand(self, query: str, filters: Filters = Filters()) -> Understood:
        """What `query` asks, with the explicit `filters` winning over what it phrases."""
        understood = understand(
            query, known_names=self.known_names, known_bodies=self.known_bodies, known_areas=self.known_areas
        )
        if any(getattr(filters, name) is not None for name in PERIOD_ENDS):
            # An explicit date range replaces the one read from the query, whole.
            understood = replace(understood, filters=replace(understood.filters, since=None, until=None),
                                 notes=tuple(n for n in understood.notes if not n.startswith(("since", "until", "date"))))
        elif understood.filters.until is not None and read_intent(query).followed_up:
            # "What was promised in June 2023, and was it delivered?": the answer's second
            # half is minuted at the meetings after.
            understood = replace(understood, filters=replace(understood.filters, until=None), notes=tuple(
                "until: any later meeting, where what came of it is recorded" if n.startswith("until") else n
                for n in understood.notes))
        return merge(understood, filters)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        filters: Filters = Filters(),
        mode: str = "hybrid",
        sort: str = "relevance",
        depth: int = DEPTH,
        dates_from_today: bool = True,
    ) -> SearchResult:
        """The passages that answer `query`, best first. With `dates_from_today` False, a
        period read against today's date ("last year") is dropped rather than applied."""
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        if sort not in SORTS:
            raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
        if k < 1:
            raise QueryError("k must be at least 1")
        understood = self.understand(query, filters)
        intent = read_intent(query)
        if understood.dates_from_today and not dates_from_today:
            understood = replace(_without_dates(
                understood, "every date: a closer answer lies outside the period read from today's date"),
                dates_from_today=False)
        mask = filter_mask(self.passages, understood.filters, date_ranges=self.date_ranges)
        matched = int(mask.sum())
        explicit_dates = any(getattr(filters, name) is not None for name in PERIOD_ENDS)
        relaxed_years: tuple[str, ...] = ()
        notice: str | None = None
        if matched == 0 and not explicit_dates and (understood.filters.since or understood.filters.until):
            relaxed = self._nearest_meetings(query, understood)
            if relaxed is not None:
                understood, notice = relaxed
            elif not MEETING_DATE_RE.search(query):
                # "How many referrals were made in 2022?" may mean the figures for 2022,
                # reported at a later meeting: with no meeting in that period, search every
                # date, and trust only passages that name the period.
                understood, relaxed_years, notice = self._all_dates(understood)
            mask = filter_mask(self.passages, understood.filters, date_ranges=self.date_ranges)
            matched = int(mask.sum())
        text = understood.text.strip()
        filtered = understood.filters.active
        if not tokenize(text):
            if not filtered:
                raise QueryError("The query has no words to search for: give keywords or a question")
            # Nothing left to rank by ("CC since 2019"): every matching passage, by date.
            rows = np.flatnonzero(mask)
            hits = [Hit(self.passages[r], int(r), 0.0, None, None, None, None) for r in rows]
            hits.sort(key=lambda h: (h.passage.meeting_date or date.min, h.passage.start))
            return SearchResult(query, understood, not hits, tuple(hits[:k]), matched, notice)

        widened = expansions(text, glossary=self.glossary)
        if widened:
            # Say what else was searched for, so a surprising hit can be traced to its term.
            said = "; ".join(f"{e.term} → {', '.join(e.alternatives[:3])}" for e in widened)
            understood = replace(understood, notes=understood.notes + (f"also searched: {said}",))
        # The records' own definitions count as the typed words did before there was a
        # vocabulary; the vocabulary's equivalents and neighbours at their tuned weights.
        weight = {"defined": 1.0, "same": self.config.synonym_weight, "related": self.config.expansion_weight}
        widening = [(e.alternatives, weight[e.kind]) for e in widened]
        vector = self._embed(self.dense_query(text, widened)) if mode in ("hybrid", "dense") else None
        lexical, dense = self._ranked(text, vector, depth, mode, understood.filters, mask, widening)
        lex_score = dict(lexical)
        den_score = dict(dense)
        rankings: dict[str, Sequence[int]] = {}
        if mode in ("hybrid", "lexical"):
            rankings["lexical"] = [r for r, _ in lexical]
        if mode in ("hybrid", "dense"):
            rankings["dense"] = [r for r, _ in dense]
        weights = {"lexical": 1.0, "dense": self.config.dense_weight}
        if understood.filters.speaker is not None and intent.promised:
            # "What did the CC promise …": the actions a meeting minuted ("Force: provide …",
            # "RESOLVED … a further update") name no speaker, so the speaker filter alone
            # would never show them. They join as their own list, ranked by the topic.
            owned = self._minuted_actions(text, vector, depth, mode, understood.filters, widening)
            if owned:
                rankings["actions"] = owned
                weights["actions"] = 1.0
                understood = replace(understood, notes=understood.notes + (
                    "with the actions minuted at those meetings, whoever they name",))
        closest: dict[int, float] = {}
        if mode == "hybrid" and vector is not None:
            candidates = [r for name in ("lexical", "dense", "actions") for r in rankings.get(name, [])]
            closest = self.sentence_scores(vector, candidates)
        if closest and self.config.sentence_weight > 0 and self._lexical_weak(text, rankings.get("lexical", [])):
            # The question's words are not the records' words: let the passage holding the
            # closest single sentence count too (a paraphrase matches one sentence, not the
            # passage's average).
            rankings["sentences"] = sorted(closest, key=lambda r: (-closest[r], r))
            weights["sentences"] = self.config.sentence_weight
        fused = rrf(rankings, k=self.config.rrf_k, weights={name: weights[name] for name in rankings})
        confidence: float | None = None  # the reranking model's score for its first passage
        if mode == "hybrid" and self.config.rerank and closest:
            fused, confidence = self._reranked(fused, text, widened, lexical, rankings["dense"], closest)
        hits = [
            Hit(
                passage=self.passages[h.index],
                row=h.index,
                score=h.score,
                lexical_rank=h.ranks.get("lexical"),
                dense_rank=h.ranks.get("dense"),
                lexical_score=lex_score.get(h.index),
                dense_score=den_score.get(h.index),
            )
            for h in fused
        ]
        if understood.filters.speaker:
            hits = self._by_speaker_focus(hits, text, understood.filters.speaker, ASK_RE.search(query) is not None)
        hits = self._by_intent(hits, intent, understood)
        if vector is not None and intent.promised:
            unspoken = mask if understood.filters.speaker is None else filter_mask(
                self.passages, replace(understood.filters, speaker=None), date_ranges=self.date_ranges)
            hits = self._with_commitment_threads(hits, vector, unspoken)
        weak = self._weak(text, hits, filtered, confidence)
        if relaxed_years and not any(y in h.passage.text for h in hits[:3] for y in relaxed_years):
            weak = True
        applied = understood.filters.since is not None or understood.filters.until is not None
        if understood.dates_from_today and applied and notice is None and confidence is not None:
            # "How many hours did the specials put in last year?" of records whose annual
            # report is two years old: the reader meant the records' last year, not today's.
            # Where a clearly better answer lies outside the period, every date is searched,
            # and the notice says so. Dates typed as dates are never widened.
            wider = self.search(query, k=k, filters=filters, mode=mode, sort=sort, depth=depth, dates_from_today=False)
            if wider.confidence is not None and wider.confidence > confidence + WIDER_PERIOD_MARGIN:
                period = " to ".join(_day(d) for d in (understood.filters.since, understood.filters.until) if d)
                return replace(wider, notice=(
                    f"The records hold a closer answer outside {period}, the period read from today's "
                    "date; showing every date. Give the dates to search only those."))
        hits = hits[:k]
        if sort == "date":
            hits.sort(key=lambda h: (h.passage.meeting_date or date.min, h.passage.start))
        return SearchResult(query, understood, weak, tuple(hits), matched, notice, confidence)

    def _ranked(self, text: str, vector: np.ndarray | None, depth: int, mode: str, filters: Filters,
                mask: np.ndarray, widening: Sequence[tuple[Sequence[str], float]]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """(row, score) lists from BM25 and the embeddings, best first, over the passages the
        filters allow (`mask` for the embedded index, the same constraints as payload
        conditions for another backend)."""
        if isinstance(self.backend, EmbeddedBackend):
            ranked = self.backend.search(text, vector, depth, mode=mode, mask=mask, expansions=widening)
        else:
            ranked = self.backend.search(text, vector, depth, where(filters, self.passages), mode=mode, expansions=widening)
        # A passage the backend holds but this index folder does not (written by another
        # index) is skipped rather than shown without its record.
        lexical = [(self._rows[i], s) for i, s in ranked.lexical if i in self._rows]
        dense = [(self._rows[i], s) for i, s in ranked.dense if i in self._rows]
        return lexical, dense

    def _minuted_actions(self, text: str, vector: np.ndarray | None, depth: int, mode: str, filters: Filters,
                         widening: Sequence[tuple[Sequence[str], float]]) -> list[int]:
        """Passages holding an action or its update, within every filter but the speaker's,
        by the fusion of their BM25 and embedding ranks."""
        unspoken = replace(filters, speaker=None)
        allowed = filter_mask(self.passages, unspoken, date_ranges=self.date_ranges) & self.action_mask
        if not allowed.any():
            return []
        lexical, dense = self._ranked(text, vector, depth, mode, unspoken, allowed, widening)
        lists = {"lexical": [r for r, _ in lexical if r in self.action_rows], "dense": [r for r, _ in dense if r in self.action_rows]}
        return [h.index for h in rrf(lists, k=self.config.rrf_k, weights={"lexical": 1.0, "dense": self.config.dense_weight})]

    def _meeting_dates(self, understood: Understood) -> list[date]:
        """The dates of the meetings of the asked body, kind and area, whoever spoke."""
        mask = filter_mask(
            self.passages, replace(understood.filters, since=None, until=None, speaker=None), self.date_ranges
        )
        return sorted({self.passages[r].meeting_date for r in np.flatnonzero(mask)} - {None})  # type: ignore[misc]

    def _nearest_meetings(self, query: str, understood: Understood) -> tuple[Understood, str] | None:
        """For a date that names a meeting the records lack ("the board on 15 September
        2020"): the meetings just before and after it, and a notice saying so. None when the
        question is not about a meeting (a day, or a meeting word) or no meeting is dated."""
        since, until = understood.filters.since, understood.filters.until
        one_day = since is not None and since == until
        if not (one_day or MEETING_DATE_RE.search(query)):
            return None
        dates = self._meeting_dates(understood)
        if any((since is None or d >= since) and (until is None or d <= until) for d in dates):
            return None  # the meeting is in the records; the rest of the question found nothing there
        before = [d for d in dates if since is not None and d < since]
        after = [d for d in dates if until is not None and d > until]
        nearest = ([before[-1]] if before else []) + ([after[0]] if after else [])
        if not nearest:
            return None
        asked = describe_period(since, until)
        shown = " and ".join(_day(d) for d in nearest)
        notice = (
            f"No meeting {asked} in the records; showing the nearest "
            f"{'meetings' if len(nearest) > 1 else 'meeting'} instead: {shown}."
        )
        notes = tuple(n for n in understood.notes if not n.startswith(("since", "until")))
        relaxed = replace(
            understood, filters=replace(understood.filters, since=nearest[0], until=nearest[-1]),
            notes=notes + (f"no meeting {asked}: nearest meetings {shown}",),
        )
        return relaxed, notice

    def _all_dates(self, understood: Understood) -> tuple[Understood, tuple[str, ...], str]:
        """The search without its dates, the years it asked for, and a notice saying so."""
        since, until = understood.filters.since, understood.filters.until
        first = (since or until).year  # type: ignore[union-attr]
        last = (until or since).year  # type: ignore[union-attr]
        years = tuple(str(y) for y in range(first, last + 1))
        span = years[0] + (f"–{years[-1]}" if len(years) > 1 else "")
        relaxed = _without_dates(understood, f"no meeting in {span} in the records: searched all dates")
        if not any(y in relaxed.text for y in years):
            relaxed = replace(relaxed, text=f"{relaxed.text} {' '.join(years)}".strip())
        notice = f"No meeting in {span} in the records; searched all dates for passages that name {span}."
        return relaxed, years, notice

    def _by_intent(self, hits: list[Hit], intent: Intent, understood: Understood) -> list[Hit]:
        """Questions about meetings (search.intent): members' questions, promises and their
        follow-up, change over time."""
        if not intent.any:
            return hits
        ranked = [(hit, hit.score) for hit in hits]
        weight, decay = self.config.intent_weight, self.config.meeting_decay
        if intent.asked and understood.filters.speaker is None:
            ranked = boost(ranked, lambda h: member_asks(h.passage.text, [s.role for s in h.passage.speakers]), weight)
        if intent.promised:
            rows = self.action_rows
            ranked = boost(ranked, lambda h: h.row in rows, weight)
        if intent.change and decay < 1:
            ranked = spread(ranked, lambda h: h.passage.document_id, decay)  # a meeting's record, whatever its date
        return [replace(hit, score=score) for hit, score in ranked]

    @cached_property
    def action_rows(self) -> frozenset[int]:
        """Rows of passages holding an action, an offer or an update on one."""
        spans: dict[str, list[tuple[int, int]]] = {}
        for action in self.index.actions:
            spans.setdefault(action.source, []).append((action.start, action.end))
        return frozenset(
            row for row, p in enumerate(self.passages)
            if any(start < p.end and p.start < end for start, end in spans.get(p.source, ()))
        )

    @cached_property
    def ledger(self) -> tuple[LedgerEntry, ...]:
        """The commitments ledger (search.ledger), its texts embedded through the cache."""
        return tuple(build_ledger(self.index.actions, self.index.documents, cached_embed(self.embedder)))

    @cached_property
    def commitment_threads(self) -> tuple[CommitmentThread, ...]:
        """Each ledger entry's pieces as vectors, and the passages that hold a piece (by its
        span, or by its first words elsewhere in the same record)."""
        in_record: dict[str, list[int]] = {}
        for row, p in enumerate(self.passages):
            in_record.setdefault(p.document_id, []).append(row)
        words = functools.cache(lambda row: plain_words(self.passages[row].text))
        entries = [e for e in self.ledger if e.pieces]
        pieces = [a for e in entries for a in e.pieces]
        vectors = cached_embed(self.embedder)([matching_text(a) for a in pieces]) if pieces else np.zeros((0, 1))
        threads, at = [], 0
        for e in entries:
            rows: set[int] = set()
            for a in e.pieces:
                record = in_record.get(a.document_id, [])
                rows |= {r for r in record if a.start < self.passages[r].end and self.passages[r].start < a.end}
                lead = " ".join(plain_words(a.text).split()[:THREAD_LEAD_WORDS])
                if lead.count(" ") >= 3:
                    rows |= {r for r in record if lead in words(r)}
            threads.append(CommitmentThread(vectors[at : at + len(e.pieces)], frozenset(rows)))
            at += len(e.pieces)
        return tuple(threads)

    @cached_property
    def threads_by_row(self) -> dict[int, tuple[CommitmentThread, ...]]:
        """The commitment threads each passage row belongs to."""
        by_row: dict[int, list[CommitmentThread]] = {}
        for thread in self.commitment_threads:
            for row in thread.rows:
                by_row.setdefault(row, []).append(thread)
        return {row: tuple(threads) for row, threads in by_row.items()}

    def _with_commitment_threads(self, hits: list[Hit], vector: np.ndarray, allowed: np.ndarray) -> list[Hit]:
        """Each of the first THREAD_DEPTH hits followed by the other passages of the
        commitment it holds that is closest to the question (if close enough), among the
        rows `allowed` marks: every filter but the speaker's, as an action names no speaker."""
        order = {h.row: i for i, h in enumerate(hits)}
        out: list[Hit] = []
        placed: set[int] = set()
        for rank, hit in enumerate(hits):
            if hit.row not in placed:
                out.append(hit)
                placed.add(hit.row)
            if rank >= THREAD_DEPTH:
                continue
            closest = max(((float((t.vectors @ vector).max()), t) for t in self.threads_by_row.get(hit.row, ())),
                          key=lambda pair: pair[0], default=None)
            if closest is None or closest[0] < THREAD_MIN_SIMILARITY:
                continue
            for row in sorted(closest[1].rows - placed, key=lambda r: order.get(r, len(hits))):
                if allowed[row]:
                    known = hits[order[row]] if row in order else Hit(
                        self.passages[row], row, 0.0, lexical_rank=None, dense_rank=None, lexical_score=None, dense_score=None)
                    out.append(replace(known, score=hit.score))
                    placed.add(row)
        return out

    @cached_property
    def action_mask(self) -> np.ndarray:
        """`action_rows` as one bool per passage, for filtering."""
        mask = np.zeros(len(self.passages), dtype=bool)
        mask[sorted(self.action_rows)] = True
        return mask

    def _lexical_weak(self, text: str, lexical_ids: Sequence[int]) -> bool:
        """BM25's best passage holds under `weak_lexical` of the query's topic words (by
        IDF), or BM25 found nothing."""
        if not len(lexical_ids) or self.config.weak_lexical > 1:
            return True  # above 1 every question counts as weak: no need to measure
        row = int(lexical_ids[0])
        top = Hit(self.passages[row], row, 0.0, None, None, None, None)
        return self.coverage(text, [top]) < self.config.weak_lexical

    @cached_property
    def reranker(self) -> Scorer:
        """The model that reorders the fused candidates (search.rerank); eval/rerank.py
        puts a recorder here to collect what it learns from."""
        return load_model()

    def _reranked(self, fused: list[FusedHit], text: str, widened: Sequence[Expansion],
                  lexical: Sequence[tuple[int, float]], dense: Sequence[int], closest: dict[int, float],
                  ) -> tuple[list[FusedHit], float | None]:
        """The fused candidates in the model's order, and the model's best score (None with
        no candidates)."""
        evidence = Evidence(
            rows=[h.index for h in fused],
            fused=[h.score for h in fused],
            lexical={row: (rank, score) for rank, (row, score) in enumerate(lexical, start=1)},
            dense={row: rank for rank, row in enumerate(dense, start=1)},
            best_sentence=closest,
            topic_weights={t: self.index.lexical.idf(t) for t in topic_terms(text)},
            widened=[frozenset(tokenize(" ".join(e.alternatives))) for e in widened],
        )
        by_row = {h.index: h for h in fused}
        features = candidate_features(evidence, self.passages, self.passage_words)
        predicted = np.asarray(self.reranker.scores(evidence.rows, features), dtype=np.float64)
        best = float(predicted.max()) if len(predicted) else None
        return [replace(by_row[row], score=score) for row, score in reorder(evidence, predicted)], best

    def passage_words(self, row: int) -> PassageWords:
        """A passage's stems, its heading's and each sentence's, remembered for the session."""
        found = self._words.get(row)
        if found is None:
            p = self.passages[row]
            found = PassageWords(
                frozenset(tokenize(p.text)), frozenset(tokenize(p.heading)),
                tuple(frozenset(tokenize(p.text[a:b])) for a, b in sentence_spans(p.text)),
            )
            if len(self._words) > 50_000:
                self._words.clear()
            self._words[row] = found
        return found

    def sentence_ranking(self, query_vector: np.ndarray, candidates: Sequence[int]) -> list[int]:
        """The candidate passage rows by their closest single sentence to the query, best first."""
        best = self.sentence_scores(query_vector, candidates)
        return sorted(best, key=lambda r: (-best[r], r))

    def sentence_scores(self, query_vector: np.ndarray, candidates: Sequence[int]) -> dict[int, float]:
        """For each candidate passage row (already found, and filtered, by words or meaning)
        the cosine of its closest single sentence to the query; empty for an index without
        sentence vectors. Only candidates are scored, so the cost stays that of a few hundred
        sentences however large the index (every sentence of 100,000 passages would take
        some 100 ms a query)."""
        if self.index.sentences is None or not candidates:
            return {}
        vectors, rows = self.index.sentences
        wanted = np.unique(np.asarray(candidates, dtype=np.int64))
        # Sentence rows are written in passage order, so each passage's sentences are one run.
        starts, ends = np.searchsorted(rows, wanted, "left"), np.searchsorted(rows, wanted, "right")
        picked = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)]) if len(wanted) else np.empty(0, int)
        if not len(picked):
            return {}
        scores = vectors[picked] @ np.asarray(query_vector, dtype=np.float32)
        owners = rows[picked]
        best: dict[int, float] = {}
        for owner, score in zip(owners.tolist(), scores.tolist()):
            if score > best.get(owner, -np.inf):
                best[owner] = score
        return best

    def dense_query(self, text: str, widened: Sequence[Expansion]) -> str:
        """What the embedder sees: the query, plus the first few phrases its terms stand for."""
        extra = [e.alternatives[0] for e in widened][: self.config.dense_expansions]
        return f"{text} ({', '.join(extra)})" if extra else text

    def _by_speaker_focus(self, hits: list[Hit], text: str, speaker: str, asking: bool) -> list[Hit]:
        """For "what did the PCC ask about domestic abuse", a passage where the PCC's own
        sentences carry the topic (and ask, when the question is about asking) ranks above
        one where he is present but the topic is someone else's."""
        from search.sentences import passage_mentions, said_by, sentence_speakers, sentences

        weights = {t: self.index.lexical.idf(t) for t in topic_terms(expand(text, self.glossary))}
        total = sum(weights.values())
        rescored = []
        for n, hit in enumerate(hits):
            focus = 0.0
            if n < FOCUS_DEPTH and total > 0:
                mentions = passage_mentions(hit.passage)  # once per passage
                own = [
                    sentence for offset, sentence in sentences(hit.passage.text)
                    if said_by(sentence_speakers(hit.passage, offset, len(sentence), mentions), speaker)
                    and (not asking or QUESTION_VERB_RE.search(sentence))
                ]
                words = set(tokenize(" ".join(own)))
                focus = sum(w for t, w in weights.items() if t in words) / total
            rescored.append((hit.score + FOCUS_WEIGHT * focus, n, hit))
        rescored.sort(key=lambda t: (-t[0], t[1]))
        return [replace(hit, score=score) for score, _, hit in rescored]

    def _weak(self, text: str, hits: list[Hit], filtered: bool, confidence: float | None = None) -> bool:
        """Too little evidence to trust. Where the reranking model ran and carries a threshold,
        its best score is below it (it weighs the same evidence it ranks by). Otherwise no
        passage is close in meaning and none carries the query's rarer words (coverage
        weighted by IDF, so "camera" alone does not stand in for "live facial recognition
        cameras")."""
        if not hits:
            return True
        if not topic_terms(text):
            return not filtered  # "what did the CE raise at the board": a listing, not a topic
        threshold = self.reranker.weak_below if isinstance(self.reranker, LinearModel) else None
        if confidence is not None and threshold is not None:
            return confidence < threshold
        best_dense = max((h.dense_score for h in hits if h.dense_score is not None), default=0.0)
        return best_dense < WEAK_DENSE and self.coverage(text, hits[:10]) < WEAK_COVERAGE

    def coverage(self, text: str, hits: Sequence[Hit]) -> float:
        """The best share of the query's IDF-weighted topic words found in one of the hits."""
        weights = {t: self.index.lexical.idf(t) for t in topic_terms(text)}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        best = 0.0
        for h in hits:
            words = set(tokenize(h.passage.index_text))  # once per hit, not once per query word
            best = max(best, sum(w for t, w in weights.items() if t in words) / total)
        return best


def _without_dates(understood: Understood, note: str) -> Understood:
    """`understood` searching every date, its notes of the dates dropped for `note`."""
    return replace(
        understood, filters=replace(understood.filters, since=None, until=None),
        notes=tuple(n for n in understood.notes if not n.startswith(("since", "until"))) + (note,),
    )


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def describe_period(since: date | None, until: date | None) -> str:
    """A date filter in words: "on 15 September 2020", "in September 2020", "in 2020",
    "between 1 March 2020 and 30 June 2020", "since 1 May 2021", "until 31 May 2021"."""
    if since is not None and until is not None:
        if since == until:
            return f"on {_day(since)}"
        if since.day == 1 and until.day == calendar.monthrange(until.year, until.month)[1]:
            if (since.year, since.month) == (until.year, until.month):
                return f"in {since.strftime('%B %Y')}"
            if (since.month, until.month, since.year) == (1, 12, until.year):
                return f"in {since.year}"
        return f"between {_day(since)} and {_day(until)}"
    if since is not None:
        return f"since {_day(since)}"
    return f"until {_day(until)}" if until is not None else "at any date"


def understood_json(u: Understood) -> dict[str, object]:
    constraints = {f.name: getattr(u.filters, f.name) for f in fields(Filters)}
    return {
        "text": u.text,
        **{name: v.isoformat() if isinstance(v, date) else v for name, v in constraints.items()},
        "notes": list(u.notes),
    }


def hit_json(hit: Hit) -> dict[str, object]:
    """A result as the CLI, the batch interface and the evaluation see it."""
    p = hit.passage
    return {
        "text": p.text,
        "score": round(hit.score, 6),
        "meeting_date": p.meeting_date.isoformat() if p.meeting_date else None,
        "date_inferred": p.date_inferred,
        "when": meeting_label(p.meeting_date, p.date_range, p.date_inferred),
        "body": p.body,
        "area": p.area,
        "document": p.document_title,
        "document_kind": p.document_kind,
        "source": p.source,
        "also_in": list(p.also_in),  # other files holding the same text (a re-published copy)
        "item": {"number": p.item_number, "title": p.item_title},
        "section": p.section,
        "speakers": [
            {"role": s.role, "name": s.name, "as_named": s.as_named, "name_inferred": s.name_inferred}
            for s in p.speakers
        ],
        "lexical_rank": hit.lexical_rank,
        "dense_rank": hit.dense_rank,
        "passage_id": p.id,
        "start": p.start,
        "end": p.end,
    }

"""How much was said about a topic, by whom, meeting by meeting.

A passage counts for a meeting when it is relevant, not merely when it shares a word:
close in meaning to the topic, or carrying most of the topic's words and reasonably
close in meaning. Each meeting shows its count, its speakers and its single most
representative passage (the best by fused rank).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from indexer.errors import QueryError
from search.engine import Hit, Searcher
from search.filters import filter_mask
from search.lexical import tokenize
from search.understand import Understood

# Calibrated by hand on "101 calls", "knife crime" and "PCSO" over the seed corpus.
CLOSE_MEANING = 0.5
SOME_MEANING = 0.2
STRONG_MATCH = 0.4


@dataclass(frozen=True)
class SpeakerCount:
    role: str | None
    name: str | None
    passages: int


@dataclass(frozen=True)
class TimelinePoint:
    document_id: str
    meeting_date: date | None
    date_inferred: bool
    body: str | None
    document_title: str
    count: int
    speakers: tuple[SpeakerCount, ...]
    top: Hit


def relevant_rows(searcher: Searcher, topic_text: str, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of passages relevant to the topic among those allowed, and a score per row.

    Relevant: close in meaning, or a strong BM25 match (a good share of the best match's
    score, so the rare words of the topic weigh most) that is not far off in meaning.
    """
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return rows, np.zeros(0, dtype=np.float32)
    cosine = searcher.index.embeddings[rows] @ searcher.embed_query(topic_text)
    lexical = searcher.index.lexical.scores(topic_text)[rows]
    best = float(lexical.max()) if lexical.size else 0.0
    strength = lexical / best if best > 0 else np.zeros_like(lexical)
    keep = (cosine >= CLOSE_MEANING) | ((strength >= STRONG_MATCH) & (cosine >= SOME_MEANING))
    score = cosine + 0.5 * strength
    return rows[keep], score[keep]


def timeline(
    searcher: Searcher,
    topic: str,
    *,
    speaker: str | None = None,
    since: str | None = None,
    until: str | None = None,
    body: str | None = None,
    kind: str | None = None,
    area: str | None = None,
) -> tuple[Understood, list[TimelinePoint]]:
    understood = searcher.understand(topic, speaker=speaker, since=since, until=until, body=body, kind=kind, area=area)
    if not tokenize(understood.text):
        raise QueryError("Give a topic to trace, e.g. \"101 calls\" or \"knife crime\"")
    mask = filter_mask(searcher.passages, understood.filters, date_ranges=searcher.date_ranges)
    rows, scores = relevant_rows(searcher, understood.text, mask)
    by_document: dict[str, list[tuple[float, int]]] = {}
    for row, score in zip(rows, scores):
        by_document.setdefault(searcher.passages[int(row)].document_id, []).append((float(score), int(row)))
    points = []
    for doc_id, members in by_document.items():
        members.sort(reverse=True)
        best_score, best_row = members[0]
        top = searcher.passages[best_row]
        speakers = Counter((s.role, s.name) for _, r in members for s in searcher.passages[r].speakers)
        points.append(
            TimelinePoint(
                document_id=doc_id,
                meeting_date=top.meeting_date,
                date_inferred=top.date_inferred,
                body=top.body,
                document_title=top.document_title,
                count=len(members),
                speakers=tuple(SpeakerCount(role, name, n) for (role, name), n in speakers.most_common()),
                top=Hit(top, best_row, best_score, None, None, None, None),
            )
        )
    points.sort(key=lambda p: (p.meeting_date or date.min, p.document_id))
    return understood, points


def point_json(p: TimelinePoint) -> dict[str, object]:
    from search.engine import hit_json

    return {
        "meeting_date": p.meeting_date.isoformat() if p.meeting_date else None,
        "date_inferred": p.date_inferred,
        "body": p.body,
        "document": p.document_title,
        "count": p.count,
        "speakers": [{"role": s.role, "name": s.name, "passages": s.passages} for s in p.speakers],
        "top": hit_json(p.top),
    }

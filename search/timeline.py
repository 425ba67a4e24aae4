"""How much was said about a topic, by whom, meeting by meeting.

A passage counts for a meeting when it carries every word of the topic (in the singular
or the plural, short or full: "PCSO"/"PCSOs", "Op"/"Operation"), or is close in meaning to
it. The topic is read the same in the singular and the plural, so "PCSO" and "PCSOs"
give the same meetings, and a named operation is found wherever its name is written.
Each meeting shows its count, its speakers and its single most representative passage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np

from indexer.errors import QueryError
from search.engine import Hit, Searcher
from search.filters import Filters, filter_mask
from search.labels import meeting_label
from indexer.vocabulary import SHORT_FORMS
from indexer.lexical import tokenize
from search.understand import Understood

# Calibrated by hand on "101 calls", "knife crime" and "PCSO" over the seed corpus.
CLOSE_MEANING = 0.5


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
    date_range: tuple[date, date] | None = None  # for an undated meeting: when it could have been

    @property
    def when(self) -> str:
        return meeting_label(self.meeting_date, self.date_range, self.date_inferred)


def _base(word: str) -> str:
    """A word in the singular, as far as spelling tells: "PCSOs" → "PCSO", "crimes" → "crime"."""
    lowered = word.lower()
    if len(word) > 3 and lowered.endswith("s") and not lowered.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def word_forms(word: str) -> tuple[str, ...]:
    """Every way the records may write a topic word: singular, plural, short and full."""
    base = _base(word)
    forms = {base, base + "s"}
    for short, full in SHORT_FORMS.items():
        if base.lower() in (short, full):
            forms |= {short, full, _base(short), _base(full)}
    return tuple(sorted(forms))


def topic_variants(topic: str) -> tuple[str, str]:
    """The topic in the singular and in the plural: the same pair for either spelling."""
    words = [_base(w) for w in topic.split()]
    if not words:
        return topic, topic
    return " ".join(words), " ".join(words[:-1] + [words[-1] + "s"])


def relevant_rows(searcher: Searcher, topic_text: str, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of passages relevant to the topic among those allowed, and a score per row.

    Relevant: carrying every word of the topic in some form, or close in meaning.
    """
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return rows, np.zeros(0, dtype=np.float32)
    lexical_index = searcher.index.lexical
    variants = topic_variants(topic_text)
    cosine = np.max([searcher.index.embeddings[rows] @ searcher.embed_query(v) for v in variants], axis=0)
    lexical = np.max([lexical_index.scores(v)[rows] for v in variants], axis=0)
    best = float(lexical.max()) if lexical.size else 0.0
    strength = lexical / best if best > 0 else np.zeros_like(lexical)
    words = [w for w in dict.fromkeys(topic_text.split()) if tokenize(w)]
    has_all = np.ones(rows.size, dtype=bool) if words else np.zeros(rows.size, dtype=bool)
    for word in words:
        has_all &= np.max([lexical_index.scores(form)[rows] > 0 for form in word_forms(word)], axis=0)
    keep = has_all | (cosine >= CLOSE_MEANING)
    score = cosine + 0.5 * strength
    return rows[keep], score[keep]


def timeline(
    searcher: Searcher,
    topic: str,
    *,
    filters: Filters = Filters(),
) -> tuple[Understood, list[TimelinePoint]]:
    understood = searcher.understand(topic, filters)
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
                date_range=searcher.date_ranges.get(doc_id),
            )
        )
    points.sort(key=lambda p: (p.meeting_date or date.min, p.document_id))
    return understood, points


def point_json(p: TimelinePoint) -> dict[str, object]:
    from search.engine import hit_json

    return {
        "meeting_date": p.meeting_date.isoformat() if p.meeting_date else None,
        "date_inferred": p.date_inferred,
        "when": p.when,
        "body": p.body,
        "document": p.document_title,
        "count": p.count,
        "speakers": [{"role": s.role, "name": s.name, "passages": s.passages} for s in p.speakers],
        "top": hit_json(p.top),
    }

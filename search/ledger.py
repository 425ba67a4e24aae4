"""The commitments ledger: every action and offer made at a meeting, linked to what later
meetings of the same body record about it.

A board's "Notes of Previous Meeting" item reports on the last meeting's actions in its
own words ("Following the Shopkind week of action, provide a summary … – national
campaign summary received with thanks"). Updates are matched to actions by meaning
(embeddings) and shared words, only across meetings of the same body, only forward in
time. An update whose action was set at a meeting missing from the corpus still tells
the status of that action, so it becomes an entry of its own.

Status, relative to the newest meeting in the corpus:
- done: a later meeting records it discharged, received or delivered (its words quoted);
- open: not recorded as done, not past its due date (or a later record says it is pending);
- overdue: past its due date and no later meeting records it delivered;
- unknown: no later meeting of that body is in the corpus to say either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from indexer.embed import Embedder
from indexer.records import Action, Document

STATUSES = ("done", "open", "overdue", "unknown")
DONE_STATUSES = {"discharged", "complete", "completed", "closed", "done", "received"}
# A match needs both: similar meaning and some shared content words. Calibrated by hand
# on the seed corpus's June 2023 → September 2023 and May 2025 → September 2025 links.
MIN_SIMILARITY = 0.45
MIN_SHARED_WORDS = 2
# An offer made in discussion that the same meeting also minuted as a formal action.
SAME_COMMITMENT = 0.55
STOP = {
    "the", "and", "for", "with", "from", "that", "this", "into", "outside", "meeting", "provide",
    "update", "force", "pcc", "to", "of", "on", "in", "a", "an", "at", "be", "by", "its", "their",
    "further", "detail", "details", "next", "briefing", "information", "data", "copy",
}

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Evidence:
    meeting_date: date | None
    quote: str
    source: str
    note: str  # what the evidence shows: "recorded as discharged", "no later record"


@dataclass(frozen=True)
class LedgerEntry:
    action: Action  # the commitment as made (for a reconstructed one: the later update)
    status: str  # one of STATUSES
    evidence: tuple[Evidence, ...]
    set_at: date | None  # the meeting that set it
    set_at_in_corpus: bool  # False when only a later update tells of it
    formal_action: Action | None = None  # for an offer: the action the meeting minuted for it


def _content_words(text: str) -> set[str]:
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in STOP}
    return {w[:-1] if w.endswith("s") and len(w) > 4 else w for w in words}


def _matching_text(a: Action) -> str:
    """An offer is matched by its whole paragraph: "With regards to the Shopkind week of
    action, the PCC requested an update … the CC agreed to provide an update outside the
    meeting" names its subject only before the offer itself."""
    return a.quote if a.kind == "offer" else a.text


def _previous_meeting(meetings: Sequence[date], at: date | None) -> date | None:
    earlier = [d for d in meetings if at and d < at]
    return max(earlier) if earlier else None


BodyKey = tuple[str | None, str | None]  # (area, body)


def build_ledger(actions: Sequence[Action], documents: Sequence[Document], embed: Embed) -> list[LedgerEntry]:
    """Link commitments to later updates and give each a status with its evidence."""
    commitments = [a for a in actions if a.kind in ("action", "offer")]
    updates = [a for a in actions if a.kind == "update"]
    # Keyed by area and body: two areas' "Police and Crime Panel" are different bodies.
    meetings_by_body: dict[BodyKey, list[date]] = {}
    for d in documents:
        if d.kind in ("minutes", "meeting notes") and d.meeting_date:
            meetings_by_body.setdefault((d.area, d.body), []).append(d.meeting_date)
    newest = max((d for dates in meetings_by_body.values() for d in dates), default=None)

    texts = [_matching_text(a) for a in commitments] + [u.text for u in updates]
    vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    c_vec, u_vec = vectors[: len(commitments)], vectors[len(commitments) :]
    similarity = c_vec @ u_vec.T if len(commitments) and len(updates) else np.zeros((len(commitments), len(updates)))

    # Offers the meeting also minuted as actions share the action's fate.
    formal: dict[int, int] = {}
    for i, offer in enumerate(commitments):
        if offer.kind != "offer":
            continue
        best = _best_same_meeting_action(i, commitments, c_vec)
        if best is not None:
            formal[i] = best

    # Greedy one-to-one matching, best pairs first.
    pairs = []
    for i, c in enumerate(commitments):
        if i in formal:
            continue
        for j, u in enumerate(updates):
            if not _later_same_body(c, u, meetings_by_body):
                continue
            shared = len(_content_words(_matching_text(c)) & _content_words(u.text))
            score = float(similarity[i, j])
            if score >= MIN_SIMILARITY and shared >= MIN_SHARED_WORDS:
                pairs.append((score + 0.02 * shared, i, j))
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in matched and j not in used:
            matched[i] = j
            used.add(j)

    entries: list[LedgerEntry] = []
    for i, c in enumerate(commitments):
        # An offer the meeting minuted as an action shares that action's due date and fate.
        owner = commitments[formal[i]] if i in formal else c
        j = matched.get(formal.get(i, i))
        status, evidence = _status(owner, updates[j] if j is not None else None, meetings_by_body, newest)
        entries.append(
            LedgerEntry(
                action=c, status=status, evidence=evidence, set_at=c.meeting_date, set_at_in_corpus=True,
                formal_action=commitments[formal[i]] if i in formal else None,
            )
        )
    for j, u in enumerate(updates):
        if j in used:
            continue
        set_at = u.refers_to or _previous_meeting(meetings_by_body.get((u.area, u.body), []), u.meeting_date)
        done = u.status in DONE_STATUSES
        evidence = (Evidence(u.meeting_date, u.quote, u.source, f"recorded as {u.status}"),)
        entries.append(
            LedgerEntry(action=u, status="done" if done else "open", evidence=evidence, set_at=set_at, set_at_in_corpus=False)
        )
    entries.sort(key=lambda e: (e.set_at or date.min, e.action.source, e.action.start))
    return entries


def _best_same_meeting_action(i: int, commitments: Sequence[Action], vectors: np.ndarray) -> int | None:
    offer = commitments[i]
    best, best_score = None, SAME_COMMITMENT
    for n, a in enumerate(commitments):
        if a.kind != "action" or a.document_id != offer.document_id:
            continue
        action_words = _content_words(a.text)
        shared = len(action_words & _content_words(_matching_text(offer)))
        # Shared words count as well as meaning: an offer is minuted in other words, and a
        # long discussion can carry most of a short action's words ("Community Resolutions").
        score = float(vectors[i] @ vectors[n]) + 0.05 * shared
        covered = shared / max(1, len(action_words))
        if shared >= MIN_SHARED_WORDS and (score >= best_score or covered >= 0.5 and score > best_score - 0.15):
            best, best_score = n, max(score, best_score)
    return best


def _later_same_body(c: Action, u: Action, meetings_by_body: dict[BodyKey, list[date]]) -> bool:
    if (c.area, c.body) != (u.area, u.body) or c.meeting_date is None or u.meeting_date is None or u.meeting_date <= c.meeting_date:
        return False
    reported_on = u.refers_to
    if reported_on is not None:
        return reported_on == c.meeting_date
    # Without a stated date, an update speaks of the meeting just before its own.
    return _previous_meeting(meetings_by_body.get((u.area, u.body), []), u.meeting_date) == c.meeting_date


def _status(
    c: Action, update: Action | None, meetings_by_body: dict[BodyKey, list[date]], newest: date | None
) -> tuple[str, tuple[Evidence, ...]]:
    if update is not None:
        done = update.status in DONE_STATUSES
        note = f"recorded as {update.status}" if done else f"later record: {update.status}"
        evidence = (Evidence(update.meeting_date, update.quote, update.source, note),)
        if done:
            return "done", evidence
        if c.due and newest and c.due < newest:
            return "overdue", evidence
        return "open", evidence
    later = sorted(d for d in meetings_by_body.get((c.area, c.body), []) if c.meeting_date and d > c.meeting_date)
    if not later:
        note = f"no later meeting of the {c.body or 'same body'} in the records"
        return "unknown", (Evidence(None, "", c.source, note),)
    listed = ", ".join(d.isoformat() for d in later)
    if c.due and newest and c.due < newest:
        return "overdue", (Evidence(None, "", c.source, f"due {c.due.isoformat()}; no record of delivery at the later meetings ({listed})"),)
    return "open", (Evidence(None, "", c.source, f"no record of delivery yet at the later meetings ({listed})"),)


def entry_json(e: LedgerEntry) -> dict[str, object]:
    a = e.action
    return {
        "text": a.text,
        "owner": a.owner,
        "due": a.due.isoformat() if a.due else None,
        "meeting_date": e.set_at.isoformat() if e.set_at else None,
        "date_inferred": a.date_inferred if e.set_at_in_corpus else e.set_at is None,
        "set_at_in_corpus": e.set_at_in_corpus,
        "body": a.body,
        "source": a.source,
        "kind": a.kind if e.set_at_in_corpus else "action",
        "item": {"number": a.item_number, "title": a.item_title} if e.set_at_in_corpus else None,
        "quote": a.quote,
        "speaker": {"role": a.speaker.role, "name": a.speaker.name} if a.speaker else None,
        "status": e.status,
        "evidence": [
            {"meeting_date": ev.meeting_date.isoformat() if ev.meeting_date else None, "quote": ev.quote,
             "source": ev.source, "note": ev.note}
            for ev in e.evidence
        ],
        "formal_action": e.formal_action.text if e.formal_action else None,
    }


def cached_embed(embedder: Embedder, cache_path: Path | None = None) -> Embed:
    """The embedder through the shared on-disk cache: ledger texts are embedded once."""
    from indexer.config import default_cache_path
    from indexer.embed import EmbeddingCache, embed_with_cache

    def embed(texts: Sequence[str]) -> np.ndarray:
        path = cache_path or default_cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with EmbeddingCache(path) as cache:
            vectors, _ = embed_with_cache(embedder, cache, list(texts), progress=False)
        return vectors

    return embed

"""The commitments ledger: every action and offer made at a meeting, linked to what later
meetings of the same body record about it.

A board's "Notes of Previous Meeting" item reports on the last meeting's actions in its
own words ("Following the Shopkind week of action, provide a summary … – national
campaign summary received with thanks"). Updates are matched to actions by meaning
(embeddings) and shared words, only across meetings of the same body, only forward in
time. An update whose action was set at a meeting missing from the corpus still tells
the status of that action, so it becomes an entry of its own.

One commitment is one entry: an offer made in discussion that the meeting also minuted as
an action is shown with that action (its owner, due date and status), the offer's words
beside it.

A status is claimed only where the records can show it. Which meetings were held the
records say themselves: the meetings in the corpus, those a later meeting's "Notes of
Previous Meeting – 15 March 2023" reports on, and the "Date of next meeting" that sets an
action's due date.
- done: a later meeting records it discharged, received or delivered (its words quoted);
- deferred: a later record puts it off to a new due point ("to be provided before
  December meeting"), even under a "discharged" heading;
- open: not recorded as done and not yet due, or with no due date;
- overdue: the meeting it was due at (or the first one after) is in the records and
  records no delivery;
- unknown: the meeting that would say is not in the records; the reason says which
  ("due at the meeting of 4 December 2019, which is not in the records").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from indexer.embed import Embedder
from indexer.records import Action, Document
from search.labels import meeting_label

STATUSES = ("done", "deferred", "open", "overdue", "unknown")
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
    action: Action  # the commitment: the minuted action, else the offer (or the later update)
    status: str  # one of STATUSES
    evidence: tuple[Evidence, ...]
    set_at: date | None  # the meeting that set it
    set_at_in_corpus: bool  # False when only a later update tells of it
    offers: tuple[Action, ...] = ()  # the words it was offered in, in discussion at the same meeting
    due: date | None = None  # when it is due: the action's own date, or the new one a deferral sets
    when: str = ""  # the setting meeting as a reader should see it ("undated; between … and …")
    update: Action | None = None  # the later meeting's record of it, when matched to one

    @property
    def pieces(self) -> tuple[Action, ...]:
        """Everywhere the records speak of this commitment: the action (or the update that
        alone tells of it), the offer made in discussion, the later update."""
        return (self.action, *self.offers, *((self.update,) if self.update and self.update is not self.action else ()))

    @property
    def reason(self) -> str:
        """Why the status is what it is, in words."""
        return self.evidence[0].note if self.evidence else ""


BodyKey = tuple[str | None, str | None]  # (area, body)


@dataclass(frozen=True)
class Meetings:
    """What the records say about one body's meetings."""

    held: tuple[date, ...]  # in the corpus (an undated one by the start of its range)
    ranges: tuple[tuple[date, date], ...]  # undated meetings in the corpus: when they could have been
    reviews: dict[date, date]  # meeting in the corpus -> the earlier meeting its notes report on

    def in_records(self, day: date) -> bool:
        return day in self.held or any(a <= day <= b for a, b in self.ranges)

    def next_held(self, after: date) -> date | None:
        later = [d for d in self.held if d > after]
        return min(later) if later else None


def meetings_of(documents: Sequence[Document], actions: Sequence[Action]) -> dict[BodyKey, Meetings]:
    held: dict[BodyKey, set[date]] = {}
    ranges: dict[BodyKey, list[tuple[date, date]]] = {}
    for d in documents:
        if d.kind in ("minutes", "meeting notes") and d.meeting_date:
            held.setdefault((d.area, d.body), set()).add(d.meeting_date)
            if d.date is None and d.date_range:
                ranges.setdefault((d.area, d.body), []).append(d.date_range)
    reviews: dict[BodyKey, dict[date, date]] = {}
    for u in actions:
        if u.kind == "update" and u.refers_to and u.meeting_date:
            reviews.setdefault((u.area, u.body), {}).setdefault(u.meeting_date, u.refers_to)
    return {
        body: Meetings(tuple(sorted(days)), tuple(ranges.get(body, ())), reviews.get(body, {}))
        for body, days in held.items()
    }


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def _content_words(text: str) -> set[str]:
    words = {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in STOP}
    return {w[:-1] if w.endswith("s") and len(w) > 4 else w for w in words}


def matching_text(a: Action) -> str:
    """An offer is matched by its whole paragraph: "With regards to the Shopkind week of
    action, the PCC requested an update … the CC agreed to provide an update outside the
    meeting" names its subject only before the offer itself."""
    return a.quote if a.kind == "offer" else a.text


def _previous_meeting(meetings: Sequence[date], at: date | None) -> date | None:
    earlier = [d for d in meetings if at and d < at]
    return max(earlier) if earlier else None




def build_ledger(actions: Sequence[Action], documents: Sequence[Document], embed: Embed) -> list[LedgerEntry]:
    """Link commitments to later updates and give each a status with its evidence."""
    commitments = [a for a in actions if a.kind in ("action", "offer")]
    updates = [a for a in actions if a.kind == "update"]
    # Keyed by area and body: two areas' "Police and Crime Panel" are different bodies.
    meetings_by_body: dict[BodyKey, list[date]] = {}
    for d in documents:
        if d.kind in ("minutes", "meeting notes") and d.meeting_date:
            meetings_by_body.setdefault((d.area, d.body), []).append(d.meeting_date)
    meetings = meetings_of(documents, actions)
    ranges = {d.id: d.date_range for d in documents if d.date_range}

    texts = [matching_text(a) for a in commitments] + [u.text for u in updates]
    vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    c_vec, u_vec = vectors[: len(commitments)], vectors[len(commitments) :]
    similarity = c_vec @ u_vec.T if len(commitments) and len(updates) else np.zeros((len(commitments), len(updates)))

    # An offer the meeting also minuted as an action is that action: one commitment.
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
            shared = len(_content_words(matching_text(c)) & _content_words(u.text))
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
        if i in formal:
            continue  # shown with its minuted action
        offers = tuple(commitments[o] for o in sorted(formal) if formal[o] == i)
        update = updates[matched[i]] if i in matched else None
        status, evidence, due = _status(c, update, meetings.get((c.area, c.body)))
        entries.append(
            LedgerEntry(action=c, status=status, evidence=evidence, set_at=c.meeting_date, set_at_in_corpus=True,
                        offers=offers, due=due, when=meeting_label(c.meeting_date, ranges.get(c.document_id), c.date_inferred),
                        update=update)
        )
    for j, u in enumerate(updates):
        if j in used:
            continue
        set_at = u.refers_to or _previous_meeting(meetings_by_body.get((u.area, u.body), []), u.meeting_date)
        status, note = _update_status(u, meetings.get((u.area, u.body)))
        evidence = (Evidence(u.meeting_date, u.quote, u.source, note),)
        entries.append(
            LedgerEntry(action=u, status=status, evidence=evidence, set_at=set_at, set_at_in_corpus=False, due=u.due,
                        when=meeting_label(set_at, None, False))
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
        shared = len(action_words & _content_words(matching_text(offer)))
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


def _update_status(u: Action, meetings: Meetings | None) -> tuple[str, str]:
    """Status of an action known only from a later meeting's update on it."""
    if u.status in DONE_STATUSES:
        return "done", f"recorded as {u.status}"
    if u.status == "deferred":
        where = ""
        if u.due:
            where = f" to the meeting of {_day(u.due)}"
            if meetings and u.meeting_date and u.due <= max(meetings.held) and not meetings.in_records(u.due):
                where += ", which is not in the records"
        return "deferred", f"recorded as deferred{where}"
    return "open", f"later record: {u.status}"


def _status(c: Action, update: Action | None, meetings: Meetings | None) -> tuple[str, tuple[Evidence, ...], date | None]:
    """(status, evidence, due) of a commitment set at a meeting in the corpus."""
    if update is not None:
        evidence_note = f"recorded as {update.status}" if update.status in DONE_STATUSES else f"later record: {update.status}"
        evidence = (Evidence(update.meeting_date, update.quote, update.source, evidence_note),)
        if update.status in DONE_STATUSES:
            return "done", evidence, c.due
        if update.status == "deferred":
            status, note = _update_status(update, meetings)
            return status, (replace(evidence[0], note=note),), update.due or c.due
        overdue = c.due and meetings and update.meeting_date and c.due <= update.meeting_date
        return ("overdue" if overdue else "open"), evidence, c.due
    status, note = _unreported_status(c, meetings)
    return status, (Evidence(None, "", c.source, note),), c.due


def _unreported_status(c: Action, meetings: Meetings | None) -> tuple[str, str]:
    """A commitment no later record reports on: overdue only where the meeting that should
    have reported it is in the records."""
    body = c.body or "same body"
    set_at = c.meeting_date
    later = meetings.next_held(set_at) if meetings and set_at else None
    if meetings is None or set_at is None or later is None:
        if c.due:
            return "unknown", f"due at the next meeting ({_day(c.due)}); no later meeting of the {body} is in the records"
        return "unknown", f"no later meeting of the {body} is in the records"
    # The next meeting in the corpus reports on this one unless its notes name another.
    reviewed = meetings.reviews.get(later)
    continuous = reviewed is None or reviewed == set_at
    if c.due is None:
        if continuous:
            return "open", f"no due date; not recorded as delivered at the next meeting ({_day(later)})"
        reported = f" (the next notes in the records report on {_day(reviewed)})" if reviewed and reviewed > set_at else ""
        return "unknown", f"the meeting after it is not in the records{reported}"
    if meetings.in_records(c.due):
        return "overdue", f"due at the meeting of {_day(c.due)}, which records no delivery"
    after_due = [d for d in meetings.held if d >= c.due]
    if not after_due:
        return "unknown", f"due at the meeting of {_day(c.due)}, after the newest meeting in the records"
    first = min(after_due)
    # The first meeting after the due date speaks for it only when it is the next meeting
    # held (its notes report on the one that set the commitment, or on the due meeting).
    if meetings.reviews.get(first) in (set_at, c.due) or (first == later and continuous):
        return "overdue", f"due {_day(c.due)}; no delivery recorded at the meeting of {_day(first)}"
    return "unknown", f"due at the meeting of {_day(c.due)}, which is not in the records"


def entry_json(e: LedgerEntry) -> dict[str, object]:
    a = e.action
    return {
        "text": a.text,
        "owner": a.owner,
        "due": e.due.isoformat() if e.due else None,
        "meeting_date": e.set_at.isoformat() if e.set_at else None,
        "when": e.when,
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
        "reason": e.reason,
        "offered_in_discussion": [{"text": o.text, "quote": o.quote,
                                   "speaker": {"role": o.speaker.role, "name": o.speaker.name} if o.speaker else None}
                                  for o in e.offers],
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

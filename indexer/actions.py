"""Commitments: action lists, action tables, offers made in discussion, and the status
updates a later meeting records under "Notes of Previous Meeting"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from indexer.dates import first_date
from indexer.layout import Block
from indexer.records import Action, Document, Paragraph, Speaker
from indexer.sentences import split_sentences
from indexer.vocabulary import MONTH_PATTERN, MONTHS
from indexer.speakers import find_speakers, speaker_at

ACTIONS_SECTION_RE = re.compile(r"^(?:overview\s+of\s+|summary\s+of\s+)?actions?(?:\s+(?:arising|agreed|log))?:?$", re.I)
PREVIOUS_MEETING_ITEM_RE = re.compile(r"(?:notes|minutes)\s+of\s+(?:the\s+)?previous\s+meeting|matters\s+arising|action\s+(?:log|updates?)", re.I)
OWNER_PREFIX_RE = re.compile(r"^(?P<owner>[A-Z][A-Za-z&/ ]{1,30}?)\s*:\s+(?P<text>\S.*)$")
TABLE_ROW_RE = re.compile(
    r"(?P<status>Open|Closed|Complete(?:d)?|Discharged|Ongoing|In progress|Outstanding|Overdue)\s+"
    r"(?P<owner>[A-Z][A-Za-z&/ ]{1,40}?)\s+(?P<due>\d{1,2}/\d{1,2}/\d{2,4}|TBC|TBA|N/A|Ongoing)\b"
)
OFFER_RE = re.compile(
    r"(?<!be\s)(?<!been\s)(?<!being\s)\boffered\s+to\b|\bagreed\s+(?:to\s+(?:provide|include|report|bring|update|share|circulate|look|write|send|arrange|give|return|come)|an\s+action)"
    r"|\bwould\s+(?:provide|update|report|bring|share|circulate|write|send|come\s+back|return|give|be\s+reported\s+back)\b.{0,120}?"
    r"(?:next\s+meeting|future\s+meeting|outside\s+(?:of\s+)?the\s+meeting|in\s+due\s+course|to\s+the\s+(?:panel|board|pcc|commissioner)|in\s+the\s+future|later\s+in\s+the\s+year)"
    r"|\bupdate\b.{0,80}?\bwould\s+come\s+(?:back\s+)?to\s+the\b"
    r"|\bconfirming\s+(?:he|she)\s+would\s+provide\b",
    re.I,
)
REQUEST_RE = re.compile(r"\brequested\s+(?:that\s+)?(?:a|an|further|the)?\s*(?:further\s+)?(?:update|briefing|report|information|data)\b|\basked\s+for\s+(?:a|an)\s+(?:further\s+)?(?:update|briefing|report)\b", re.I)
DONE_RE = re.compile(r"\bdischarged\b|\breceived\b|\bcomplete(?:d)?\b|\bdelivered\b|\bbriefed\b|\breported\s+in\s+item\b|\badded\s+to\b|\bclosed\b|\bprovided\s+(?:outside|at|to)\b", re.I)
PENDING_RE = re.compile(r"\bdue\s+(?:ahead|before|by)\b|\bwill\s+be\s+(?:covered|provided|reported|brought|presented)\b|\bto\s+be\s+provided\b|\boutstanding\b|\bongoing\b|\bin\s+progress\b|\bdeferred\b|\bcarried\s+forward\b", re.I)
NEXT_MEETING_RE = re.compile(r"^\s*(?:the\s+)?(?:date\s+of\s+(?:the\s+)?)?next\s+meeting\b", re.I)


def extract(doc_id: str, source: str, body: str | None, paragraphs: Sequence[Paragraph], blocks: Sequence[Block]) -> list[Action]:
    """Actions of one document; meeting dates are added by `date_actions`."""
    listed = _listed_actions(doc_id, source, body, paragraphs)
    table = _table_actions(doc_id, source, body, paragraphs)
    merged = _merge(listed, table)
    return merged + _offers(doc_id, source, body, paragraphs) + _updates(doc_id, source, body, paragraphs)


def date_actions(actions: Sequence[Action], document: Document) -> list[Action]:
    next_meeting = _next_meeting_date(document, actions)
    out = []
    for a in actions:
        due = a.due
        if due is None and a.kind in ("action", "offer", "request") and re.search(r"\bnext\s+(?:meeting|paper|board)\b", a.text, re.I):
            due = next_meeting
        if due is None and a.kind == "update" and a.status in ("deferred", "in progress"):
            due = _meeting_named(a.text, next_meeting)
        out.append(replace(a, meeting_date=document.meeting_date, date_inferred=document.date_inferred, due=due))
    return out


def _meeting_named(text: str, next_meeting: date | None) -> date | None:
    """The new due point of a deferred action: "before the next meeting", or "before
    December meeting" when the next meeting falls in December."""
    if next_meeting is None:
        return None
    if re.search(r"\bnext\s+(?:meeting|board)\b", text, re.I):
        return next_meeting
    m = re.search(rf"\b(?P<month>{MONTH_PATTERN})\s+(?:meeting|board)\b", text, re.I)
    if m and MONTHS.get(m.group("month").lower().rstrip(".")) == next_meeting.month:
        return next_meeting
    return None


def _next_meeting_date(document: Document, actions: Sequence[Action]) -> date | None:
    dues = [a.due for a in actions if a.due and a.kind == "action"]
    return min(dues) if dues else None


def _action(doc_id: str, source: str, body: str | None, p: Paragraph, text: str, *, kind: str, status: str,
            owner: str | None = None, due: date | None = None, speaker: Speaker | None = None) -> Action:
    return Action(
        text=text, owner=owner, due=due, meeting_date=None, date_inferred=False, source=source,
        document_id=doc_id, body=body, item_number=p.item_number, item_title=p.item_title, kind=kind,
        status=status, quote=p.text, start=p.start, end=p.end, speaker=speaker,
    )


def _listed_actions(doc_id: str, source: str, body: str | None, paragraphs: Sequence[Paragraph]) -> list[Action]:
    out = []
    for p in paragraphs:
        if not (p.section and ACTIONS_SECTION_RE.match(p.section)):
            continue
        m = OWNER_PREFIX_RE.match(p.text)
        owner, text = (m.group("owner"), m.group("text")) if m and len(m.group("owner").split()) <= 4 else (None, p.text)
        out.append(_action(doc_id, source, body, p, text, kind="action", status="open", owner=owner))
    return out


def _table_actions(doc_id: str, source: str, body: str | None, paragraphs: Sequence[Paragraph]) -> list[Action]:
    """Rows of an action table: text, then status, owner and due date, in whatever line layout."""
    from indexer.parse import ACTION_TABLE_TITLE

    rows = [p for p in paragraphs if p.item_title == ACTION_TABLE_TITLE]
    out: list[Action] = []
    pending: list[Paragraph] = []
    for p in rows:
        pending.append(p)
        joined = " ".join(q.text for q in pending)
        m = TABLE_ROW_RE.search(joined)
        if not m:
            continue
        text = joined[: m.start()].strip()
        if text:
            first, last = pending[0], pending[-1]
            span = Paragraph(joined, first.start, last.end, p.item_number, p.item_title, None, ())
            due = first_date(m.group("due"))
            out.append(_action(doc_id, source, body, span, text, kind="action", status=m.group("status").lower(),
                               owner=m.group("owner").strip(), due=due))
        pending = []
    return out


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def _merge(listed: list[Action], table: list[Action]) -> list[Action]:
    """The same action appears in the item's list and in the closing table: keep one,
    with the list's place in the meeting and the table's owner, status and due date."""
    out: list[Action] = []
    used: set[int] = set()
    for a in listed:
        best, score = None, 0.0
        for n, t in enumerate(table):
            if n in used:
                continue
            wa, wt = _words(a.text), _words(t.text)
            overlap = len(wa & wt) / max(1, min(len(wa), len(wt)))
            if overlap > score:
                best, score = n, overlap
        if best is not None and score >= 0.6:
            used.add(best)
            t = table[best]
            out.append(replace(a, owner=a.owner or t.owner, status=t.status, due=t.due))
        else:
            out.append(a)
    out.extend(t for n, t in enumerate(table) if n not in used)
    return out


def _offers(doc_id: str, source: str, body: str | None, paragraphs: Sequence[Paragraph]) -> list[Action]:
    out = []
    for p in paragraphs:
        if p.item_title and PREVIOUS_MEETING_ITEM_RE.search(p.item_title):
            continue
        if p.section and ACTIONS_SECTION_RE.match(p.section):
            continue
        previous = p.speakers[0] if p.speakers else None
        for sentence in split_sentences(p.text):
            offer, request = OFFER_RE.search(sentence), REQUEST_RE.search(sentence)
            match = offer or request
            at = speaker_at(sentence, _subject_position(sentence, match.start()), (), previous) if match else None
            _, last = find_speakers(sentence, (), previous)
            previous = last or previous
            if match is None:
                continue
            kind = "offer" if offer else "request"
            speaker = _match_speaker(at, p.speakers)
            owner = speaker.role if (kind == "offer" and speaker) else None
            out.append(_action(doc_id, source, body, p, sentence.strip(), kind=kind, status="open", owner=owner, speaker=speaker))
    return out


def _subject_position(sentence: str, position: int) -> int:
    """In "Confirming he would provide …, the CC reported …" the offer belongs to the
    subject after the opening clause, not to whoever spoke before."""
    comma = sentence.find(",")
    if re.match(r"^\s*\w+ing\b", sentence) and 0 <= position < comma:
        after = comma + 1
        rest = sentence[after:]
        m = re.search(r"\S", rest)
        return after + (m.start() if m else 0) + 1
    return position


def _match_speaker(found: Speaker | None, known: tuple[Speaker, ...]) -> Speaker | None:
    """The paragraph's resolved speaker for a role found without the roster."""
    if found is None:
        return None
    for s in known:
        if s.role == found.role and found.role is not None:
            return s
    return found


def _updates(doc_id: str, source: str, body: str | None, paragraphs: Sequence[Paragraph]) -> list[Action]:
    out = []
    header_status: str | None = None
    refers_to: date | None = None
    for p in paragraphs:
        if not (p.item_title and PREVIOUS_MEETING_ITEM_RE.search(p.item_title)):
            continue
        # "Notes of Previous Meeting – 7 June 2023", or "The notes from the meeting held on 5 June 2019 …"
        refers_to = refers_to or first_date(p.item_title) or (
            first_date(p.text) if re.search(r"\bmeeting\s+held\s+on\b", p.text, re.I) else None
        )
        if NEXT_MEETING_RE.match(p.text):
            continue  # "The next meeting will be held on …" closes the minutes; it updates nothing
        if re.search(r"\b(?:true|accurate|correct)\s+record\b|\bfollowing\b.*:$", p.text, re.I):
            header_status = "discharged" if re.search(r"\bdischarged\b", p.text, re.I) else header_status
            continue
        pending = PENDING_RE.search(p.text)
        if header_status:
            # Listed under "the following actions discharged" but "to be provided before
            # December meeting": put off, not done.
            status = "deferred" if pending else header_status
        elif DONE_RE.search(p.text):
            status = "discharged"
        elif pending:
            status = "in progress"
        else:
            status = "noted"
        out.append(replace(_action(doc_id, source, body, p, p.text, kind="update", status=status), refers_to=refers_to))
    return out

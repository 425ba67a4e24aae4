"""A brief for staff preparing a body's next meeting, in Markdown, every line cited:
first the actions set at the last meeting (due at the next one: what it must ask about),
then the earlier commitments still open, deferred or overdue, the questions the commissioner asked at the last
two meetings with the answers given, and the figures promised for a future meeting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from indexer.errors import QueryError
from indexer.records import Document, Passage
from indexer.sentences import readable
from search.labels import meeting_label
from search.sentences import sentence_speakers, sentences
from search.ledger import LedgerEntry

QUESTION_RE = re.compile(r"\b(?:asked|sought|queried|questioned|requested|enquired)\b", re.I)
# A promise: something to be provided, and when ("at the next meeting", "in due course").
PROMISE_RE = re.compile(
    r"\b(?:provide|update|report|bring|return|come\s+back|share|circulate)\b.{0,120}?"
    r"(?:\b(?:at|to)\s+(?:a|the)\s+(?:future|next)\s+meeting\b|\bin\s+the\s+future\b|\bin\s+due\s+course\b|\blater\s+in\s+the\s+year\b)"
    r"|\bupdate\b.{0,80}?\bwould\s+come\s+(?:back\s+)?to\s+the\b",
    re.I,
)


def _cite(p: Passage, ranges: dict[str, tuple[date, date]]) -> str:
    when = meeting_label(p.meeting_date, ranges.get(p.document_id), p.date_inferred)
    item = f"item {p.item_number}" if p.item_number else (p.item_title or p.document_title)
    return f"[{when}, {item}, {p.source}]"


def _doc_when(d: Document) -> str:
    return meeting_label(d.meeting_date, d.date_range, d.date_inferred)


def _commitment_line(e: LedgerEntry, ranges: dict[str, tuple[date, date]], *, with_status: bool = True) -> str:
    a = e.action
    due = f", due {e.due.isoformat()}" if e.due else ""
    owner = f" — {a.owner}" if a.owner else ""
    status = f"**{e.status}**" if with_status else "**due at the next meeting**"
    why = f" _({e.reason})_" if with_status and e.reason else ""
    offered = "".join(f" Offered in discussion: “{readable(o.text)}”" for o in e.offers[:1])
    when = meeting_label(e.set_at, ranges.get(a.document_id), a.date_inferred) if e.set_at_in_corpus else (
        e.set_at.isoformat() if e.set_at else "undated")
    return f"- {status}{owner}{due}: {readable(a.text)}{offered}{why} [{when}, {a.source}]"


def _speaker(p: Passage, offset: int, length: int) -> str:
    found = sentence_speakers(p, offset, length)
    return "; ".join(f"{s.name} ({s.role})" if s.name and s.role else (s.role or s.name or s.as_named) for s in found) or "unattributed"


def body_labels(documents: Sequence[Document]) -> dict[tuple[str | None, str], str]:
    """Each meeting body, keyed by (area, body), with the name a reader picks it by: the
    body's own name, or "<name> (<area>)" where two areas' bodies share one."""
    keys = sorted({(d.area, d.body) for d in documents if d.kind in ("minutes", "meeting notes") and d.body},
                  key=lambda k: (k[1], k[0] or ""))
    shared = {body for body in {b for _, b in keys} if sum(1 for _, b in keys if b == body) > 1}
    return {(area, body): f"{body} ({area or 'area not recorded'})" if body in shared else body for area, body in keys}


def choose_body(documents: Sequence[Document], body: str | None) -> str:
    labels = body_labels(documents)
    if not labels:
        raise QueryError("No meetings in the index to brief on")
    meetings = [d for d in documents if d.kind in ("minutes", "meeting notes") and d.body]
    if body is None:
        counts = {label: sum(1 for d in meetings if labels.get((d.area, d.body)) == label) for label in labels.values()}
        return max(sorted(counts), key=lambda b: counts[b])
    wanted = " ".join(body.lower().replace("&", "and").split())
    matches = [b for b in labels.values() if wanted in b.lower()]
    exact = [b for b in matches if b.lower() == wanted]
    if len(exact) == 1:
        return exact[0]
    if len(matches) != 1:
        raise QueryError(f"--body {body!r} matches {len(matches)} bodies; choose one of: {'; '.join(sorted(labels.values()))}")
    return matches[0]


def meeting_brief(
    passages: Sequence[Passage], documents: Sequence[Document], ledger: Sequence[LedgerEntry], body: str | None = None
) -> str:
    body_name = choose_body(documents, body)
    key = next(k for k, label in body_labels(documents).items() if label == body_name)
    meetings = sorted(
        (d for d in documents if (d.area, d.body) == key and d.kind in ("minutes", "meeting notes") and d.meeting_date),
        key=lambda d: d.meeting_date or date.min,
    )
    last_two = meetings[-2:]
    ranges = {d.id: d.date_range for d in documents if d.date_range}
    lines = [f"# Brief for the next {body_name}", ""]
    lines.append("Meetings in the records: " + ", ".join(_doc_when(d) for d in meetings))
    last = meetings[-1] if meetings else None
    lines += ["", f"## Actions set at the last meeting ({_doc_when(last) if last else 'none'}), due at the next", ""]
    # No later record can say these were delivered: they are what the next meeting asks about.
    latest = [e for e in ledger if last is not None and e.set_at_in_corpus and e.action.document_id == last.id]
    if not latest:
        lines.append("_None recorded._")
    lines += [_commitment_line(e, ranges, with_status=False) for e in latest]
    lines += ["", "## Earlier commitments still open, deferred or overdue", ""]
    pending = [
        e for e in ledger
        if (e.action.area, e.action.body) == key and e.status in ("open", "deferred", "overdue") and e not in latest
    ]
    if not pending:
        lines.append("_None recorded._")
    lines += [_commitment_line(e, ranges) for e in pending]
    # Not claimed overdue: the meeting that would say is missing. Still worth asking about.
    unknown = [e for e in ledger if (e.action.area, e.action.body) == key and e.status == "unknown" and e not in latest]
    if unknown:
        lines += ["", "## Earlier commitments whose outcome the records do not show", ""]
        lines += [_commitment_line(e, ranges) for e in unknown]

    lines += ["", "## Questions asked at the last two meetings, and the answers given", ""]
    for doc in reversed(last_two):
        lines.append(f"### {_doc_when(doc)}")
        asked = 0
        for p in (p for p in passages if p.document_id == doc.id):
            parts = sentences(p.text)
            for n, (offset, sentence) in enumerate(parts):
                who = sentence_speakers(p, offset, len(sentence))
                if not (QUESTION_RE.search(sentence) and any(s.role == "PCC" for s in who)):
                    continue
                reply = next(
                    ((o, s) for o, s in parts[n + 1 :] if not any(x.role == "PCC" for x in sentence_speakers(p, o, len(s)))), None
                )
                lines.append(f"- **Asked** ({_speaker(p, offset, len(sentence))}): “{readable(sentence)}” {_cite(p, ranges)}")
                if reply:
                    lines.append(f"  - **Answer** ({_speaker(p, reply[0], len(reply[1]))}): “{readable(reply[1])}” {_cite(p, ranges)}")
                asked += 1
        if not asked:
            lines.append("_No questions from the commissioner recorded._")
        lines.append("")

    lines += ["## Figures and updates promised for a future meeting", ""]
    promised = 0
    for doc in meetings:
        for p in (p for p in passages if p.document_id == doc.id):
            for offset, sentence in sentences(p.text):
                if PROMISE_RE.search(sentence):
                    lines.append(f"- ({_speaker(p, offset, len(sentence))}): “{readable(sentence)}” {_cite(p, ranges)}")
                    promised += 1
    if not promised:
        lines.append("_None recorded._")
    return "\n".join(lines).rstrip() + "\n"

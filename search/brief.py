"""A brief for staff preparing a body's next meeting, in Markdown, every line cited:
the commitments still open or overdue, the questions the commissioner asked at the last
two meetings with the answers given, and the figures promised for a future meeting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from indexer.errors import QueryError
from indexer.records import Document, Passage
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


def _cite(p: Passage) -> str:
    when = p.meeting_date.isoformat() if p.meeting_date else "undated"
    if p.date_inferred:
        when += " (inferred)"
    item = f"item {p.item_number}" if p.item_number else (p.item_title or p.document_title)
    return f"[{when}, {item}, {p.source}]"


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
    lines = [f"# Brief for the next {body_name}", ""]
    lines.append(
        "Meetings in the records: " + ", ".join(
            (d.meeting_date.isoformat() if d.meeting_date else "undated") + (" (inferred)" if d.date_inferred else "")
            for d in meetings
        )
    )
    lines += ["", "## Commitments still open or overdue", ""]
    # An offer the meeting minuted as an action is listed once, as the action.
    pending = [
        e for e in ledger
        if (e.action.area, e.action.body) == key and e.status in ("open", "overdue") and e.formal_action is None
    ]
    if not pending:
        lines.append("_None recorded._")
    for e in pending:
        a = e.action
        due = f", due {a.due.isoformat()}" if a.due else ""
        owner = f" — {a.owner}" if a.owner else ""
        why = e.evidence[0].note if e.evidence else ""
        when = e.set_at.isoformat() if e.set_at else "undated"
        lines.append(f"- **{e.status}**{owner}{due}: {a.text} _({why})_ [{when}, {a.source}]")

    lines += ["", "## Questions asked at the last two meetings, and the answers given", ""]
    for doc in reversed(last_two):
        when = doc.meeting_date.isoformat() if doc.meeting_date else "undated"
        lines.append(f"### {when}" + (" (date inferred)" if doc.date_inferred else ""))
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
                lines.append(f"- **Asked** ({_speaker(p, offset, len(sentence))}): “{sentence}” {_cite(p)}")
                if reply:
                    lines.append(f"  - **Answer** ({_speaker(p, reply[0], len(reply[1]))}): “{reply[1]}” {_cite(p)}")
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
                    lines.append(f"- ({_speaker(p, offset, len(sentence))}): “{sentence}” {_cite(p)}")
                    promised += 1
    if not promised:
        lines.append("_None recorded._")
    return "\n".join(lines).rstrip() + "\n"

"""Split a file into documents and read each one's title block.

An agenda pack bundles minutes, officer reports, an annual report, decision records and
a board's notes. Each starts with a recognisable marker ("MINUTES of a meeting of …",
"Meeting Notes", "Record of Decision", "By: … To: …"); a report whose title block was
extracted mid-page starts at its "Introduction:" heading instead. The title block
(Title:, Date & time:, Attendees:, To:, Subject: …) may sit anywhere in the document —
PDF extraction often puts it in the middle — so it is searched for, not assumed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from indexer.dates import first_date
from indexer.layout import NUMBER_RE, URL_LINE_RE, Line, clean_inline, title_like

KINDS = ("minutes", "meeting notes", "report", "annual report", "decision", "questions", "work programme", "agenda")

START_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*minutes\s+of\s+(?:a|the)\s+(?:\w+\s+)?meeting\s+of\b", re.I), "minutes"),
    (re.compile(r"^\s*#*\s*(?:\*\*)?\s*(?:meeting\s+notes|notes\s+of\s+(?:a|the)\s+meeting)\s*(?:\*\*)?\s*$", re.I), "meeting notes"),
    (re.compile(r"^\s*#*\s*(?:\*\*)?\s*(?:record\s+of\s+(?:a\s+)?decision|decision\s+(?:record|notice))\s*(?:\*\*)?\s*$", re.I), "decision"),
    (re.compile(r"^\s*questions\s+to\s+the\s+(?:police\s+and\s+crime\s+)?(?:commissioner|pcc)\b.{0,60}$", re.I), "questions"),
    (re.compile(r"^\s*\S.{0,60}\bwork\s+programme\b.{0,40}$", re.I), "work programme"),
    (re.compile(r"^\s*by:\s+\S", re.I), "report"),
)
REPORT_START_RE = re.compile(
    r"^\s*(?:introduction|purpose(?:\s+of\s+(?:the\s+)?report)?|executive\s+summary|summary|background)\s*:?\s*$", re.I
)
LABEL_RE = re.compile(
    r"^[ \t#*]*(?P<label>title|date\s*(?:&|and)\s*time|date|time|venue|location|attendees|present|(?:also|members|officers)\s+present|"
    r"(?:also\s+)?in\s+attendance|apologies(?:\s+for\s+absence)?|to|from|by|subject|reference|originator)[ \t*]*"
    r"(?::|(?<=apologies)(?=[ \t]*$)|(?<=attendees)(?=[ \t]*$))[ \t]*(?P<value>.*)$",
    re.I,
)
ROSTER_LABELS = {
    "attendees", "present", "also present", "members present", "officers present", "in attendance",
    "also in attendance", "apologies", "apologies for absence",
}
MINUTES_BODY_RE = re.compile(r"minutes\s+of\s+(?:a|the)\s+(?:\w+\s+)?meeting\s+of\s+(?:the\s+)?(?P<body>.+?)\s+held\b", re.I)
NEXT_MEETING_RE = re.compile(r"date\s+of\s+(?:the\s+)?next\s+(?:meeting\s+of\s+(?:the\s+)?)?(?P<body>[^:\n]{3,80}?)\s*:\s*(?P<date>[^\n]+)", re.I)
PREVIOUS_MEETING_RE = re.compile(
    r"(?:notes|minutes)\s+of\s+(?:the\s+)?previous\s+meeting\s*[–—-]?\s*(?P<date>[^\n]{0,40})|"
    r"(?:notes|minutes)\s+(?:from|of)\s+the\s+meeting\s+held\s+on\s+(?P<date2>[^\n]{0,40})",
    re.I,
)
OWN_WORDS_RE = re.compile(r"\bmy\s+annual\s+report\b|commissioner[’']s\s+(?:introduction|foreword)|\bas\s+your\s+police\s+and\s+crime\s+commissioner\b", re.I)


@dataclass
class TitleBlock:
    fields: dict[str, str] = field(default_factory=dict)
    roster: list[tuple[str, list[Line]]] = field(default_factory=list)  # (label, lines)
    consumed: set[int] = field(default_factory=set)  # line indexes that are not content


@dataclass
class Segment:
    """A document's span of lines before its records are built."""

    kind: str
    first: int  # line index
    last: int  # line index, exclusive


def normalise_body(name: str | None) -> str | None:
    if not name:
        return None
    name = clean_inline(name).strip(" :.-–—")
    name = re.sub(r"\s*&\s*", " and ", name)
    name = re.sub(r"\s+", " ", name)
    return name or None


def find_segments(lines: list[Line]) -> list[Segment]:
    starts: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        s = line.stripped
        if not s or NUMBER_RE.match(line.text):
            continue
        for pattern, kind in START_MARKERS:
            if pattern.match(s):
                if kind == "report" and not _followed_by(lines, i, re.compile(r"^\s*to:", re.I), 6):
                    continue
                if kind in ("questions", "work programme") and not title_like(s, max_words=14):
                    continue
                if kind == "questions" and not _followed_by(lines, i, re.compile(r"^\s*(?:\d{1,2}[.)]|question\s+\d)", re.I), 8):
                    continue
                starts.append((_header_start(lines, i, kind), kind))
                break
    if not starts or starts[0][0] > 0:
        starts.insert(0, (0, ""))
    segments = []
    for n, (first, kind) in enumerate(starts):
        last = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        if last > first:
            segments.append(Segment(kind, first, last))
    # Letterhead before the first marker belongs to the first document.
    if len(segments) > 1 and segments[0].kind == "" and _only_letterhead(lines, segments[0]):
        segments[1].first = segments[0].first
        segments.pop(0)
    return _split_bundled_reports(lines, segments)


def _followed_by(lines: list[Line], i: int, pattern: re.Pattern[str], window: int) -> bool:
    return any(pattern.match(ln.text) for ln in lines[i + 1 : i + 1 + window])


def _header_start(lines: list[Line], i: int, kind: str) -> int:
    """Include the all-capitals heading lines just above a minutes marker."""
    if kind != "minutes":
        return i
    j = i
    while j > 0 and i - j < 8:
        s = lines[j - 1].stripped
        if s and not (s.isupper() and len(s) < 80):
            break
        j -= 1
    while j < i and not lines[j].stripped:
        j += 1
    return j


def _only_letterhead(lines: list[Line], seg: Segment) -> bool:
    content = [ln.stripped for ln in lines[seg.first : seg.last] if ln.stripped]
    return all(len(s) < 90 and not NUMBER_RE.match(s) for s in content) and len(content) < 15


def _split_bundled_reports(lines: list[Line], segments: list[Segment]) -> list[Segment]:
    """A segment holding two report title blocks is two reports: split at the second's start."""
    out: list[Segment] = []
    for seg in segments:
        subject_lines = [
            i for i in range(seg.first, seg.last) if re.match(r"^\s*subject\s*:", lines[i].text, re.I)
        ]
        if len(subject_lines) < 2:
            out.append(seg)
            continue
        cuts: list[int] = []
        previous = subject_lines[0]
        for subject in subject_lines[1:]:
            # Prefer "Introduction:", the usual first heading, over later ones ("Background:").
            starts = [i for i in range(subject, previous, -1) if REPORT_START_RE.match(lines[i].text)]
            intro = [i for i in starts if re.match(r"^\s*introduction", lines[i].text, re.I)]
            cuts.append(intro[0] if intro else starts[0] if starts else _block_top(lines, subject))
            previous = subject
        bounds = [seg.first, *cuts, seg.last]
        for n in range(len(bounds) - 1):
            out.append(Segment(seg.kind if n == 0 else "report", bounds[n], bounds[n + 1]))
    return out


def _block_top(lines: list[Line], i: int) -> int:
    while i > 0 and re.match(r"^\s*(to|from|by|subject|date)\s*:", lines[i - 1].text, re.I) or (
        i > 0 and not lines[i - 1].stripped
    ):
        i -= 1
    return i


def read_title_block(lines: list[Line], seg: Segment) -> TitleBlock:
    block = TitleBlock()
    i = seg.first
    while i < seg.last:
        m = LABEL_RE.match(lines[i].text)
        if not m or NUMBER_RE.match(lines[i].text):
            i += 1
            continue
        label = re.sub(r"\s+", " ", m.group("label").lower())
        label = "date" if label.startswith("date") else label
        value = m.group("value").strip()
        if label in ROSTER_LABELS:
            roster_lines, end = _roster_region(lines, i, seg.last, value)
            block.roster.append(("apologies" if label.startswith("apologies") else label, roster_lines))
            block.consumed.update(range(i, end))
            i = end
            continue
        if label in block.fields or (label in ("to", "from", "by", "time") and not value and label != "to"):
            i += 1
            continue
        consumed = [i]
        if not value:  # a Word export puts the value on the next line
            j = i + 1
            while j < seg.last and not lines[j].stripped:
                j += 1
            if j < seg.last and not LABEL_RE.match(lines[j].text) and len(lines[j].stripped) < 160:
                value = lines[j].stripped
                consumed.extend(range(i + 1, j + 1))
        block.fields[label] = clean_inline(value)
        block.consumed.update(consumed)
        i = consumed[-1] + 1
    return block


def _roster_region(lines: list[Line], i: int, stop: int, value: str) -> tuple[list[Line], int]:
    """The attendee lines after a roster label: up to the first line that is not one."""
    from indexer.roster import is_roster_line

    region: list[Line] = []
    first = lines[i]
    if value:
        offset = first.text.find(value)
        region.append(Line(value, first.start + max(offset, 0), first.end))
    j = i + 1
    while j < stop:
        line = lines[j]
        s = line.stripped
        if not s:
            j += 1
            continue
        if LABEL_RE.match(line.text) or NUMBER_RE.match(line.text) or re.match(r"^#{1,6}\s+\d", s) or URL_LINE_RE.match(s):
            break
        if region and not is_roster_line(s) and not _continues_entry(" ".join(r.text for r in region), s):
            break
        region.append(line)
        j += 1
    # Trailing blank lines are consumed with the block.
    return region, j


def _continues_entry(region: str, line: str) -> bool:
    """A roster entry wrapped over lines: "Mr A Harper" / "(PCC's Chief Executive)"."""
    from indexer.roster import _complete

    return not _complete(region) or line[:1] == "(" or line[:1].islower()


def minutes_header(lines: list[Line], seg: Segment) -> str:
    text = " ".join(ln.stripped for ln in lines[seg.first : min(seg.last, seg.first + 15)])
    return text


def stated_date(kind: str, fields: dict[str, str], header: str, text: str) -> date | None:
    if kind == "minutes":
        m = re.search(r"\bheld\b.{0,200}?\bon\s+(?P<rest>.{0,60})", header, re.I | re.S)
        if m and first_date(m.group("rest")):
            return first_date(m.group("rest"))
    for key in ("date", "to"):
        if key in fields and first_date(fields[key]):
            return first_date(fields[key])
    if kind == "decision":
        for m in re.finditer(r"\bDate:\s*(?P<value>[^\n]{0,40})", text):
            if first_date(m.group("value")):
                return first_date(m.group("value"))
    return None


def inferred_range(text: str, due_dates: list[date]) -> tuple[date, date] | None:
    """The narrowest honest range for an undated meeting: after the previous meeting,
    before the next one and before any action falls due."""
    lower = upper = None
    for m in PREVIOUS_MEETING_RE.finditer(text):
        d = first_date(m.group("date") or m.group("date2") or "")
        if d:
            lower = max(lower, d) if lower else d
    for m in NEXT_MEETING_RE.finditer(text):
        d = first_date(m.group("date"))
        if d:
            upper = min(upper, d) if upper else d
    for d in due_dates:
        if lower is None or d > lower:
            upper = min(upper, d) if upper else d
    if lower is None and upper is None:
        return None
    if lower is None or upper is None:
        return None  # one-sided evidence is no range
    start, end = lower + timedelta(days=1), upper - timedelta(days=1)
    return (start, end) if start <= end else None


def next_meeting_body(text: str) -> str | None:
    m = NEXT_MEETING_RE.search(text)
    return normalise_body(m.group("body")) if m else None


def document_title(kind: str, fields: dict[str, str], body: str | None, first_line: str) -> str:
    if kind == "decision" and fields.get("title"):
        return f"Record of Decision: {fields['title']}"
    if fields.get("subject"):
        return fields["subject"]
    if kind == "minutes":
        return f"Minutes of the {body}" if body else "Minutes"
    if kind == "meeting notes":
        return f"{body} meeting notes" if body else "Meeting notes"
    if fields.get("title"):
        return fields["title"]
    return clean_inline(first_line)[:120] or kind.capitalize()


def document_kind(marker_kind: str, fields: dict[str, str], fallback: str | None) -> str:
    kind = marker_kind
    if not kind:
        if fields.get("subject") or fields.get("to"):
            kind = "report"
        elif fields.get("title") and fields.get("date"):
            kind = "meeting notes"
        else:
            kind = fallback if fallback in KINDS else "report"
    if kind == "report" and re.search(r"\bannual\s+report\b", fields.get("subject", ""), re.I):
        kind = "annual report"
    return kind


def report_author_role(kind: str, text: str) -> str | None:
    """A commissioner's report written in the first person speaks for the PCC."""
    if kind in ("annual report", "report") and OWN_WORDS_RE.search(text):
        return "PCC"
    return None


def pack_date(texts_and_fields: list[dict[str, str]]) -> date | None:
    """The meeting a pack of papers was sent for: the date its reports are addressed to."""
    counts: dict[date, int] = {}
    for fields in texts_and_fields:
        for key in ("to", "date"):
            d = first_date(fields.get(key, ""))
            if d:
                counts[d] = counts.get(d, 0) + 1
    return max(counts, key=lambda d: (counts[d], d)) if counts else None


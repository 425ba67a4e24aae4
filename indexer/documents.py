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
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from indexer.dates import DAY_MONTH_RE, complete_year, day_and_month, find_dates, first_date, reference_date, years_in
from indexer.layout import COLUMN_GAP, NUMBER_RE, SMALL_WORDS, URL_LINE_RE, Line, clean_inline, title_like
from indexer.roles import canonical_role
from indexer.roster import CELL_SPLIT_RE
from indexer.vocabulary import (
    BODY_ACRONYMS, BODY_NOUNS, FURNITURE_RE, KIND_HEADINGS, MONTH_PATTERN, NOT_BODY_STARTS, OTHER_MEETING_WORDS,
    KIND_ALIASES, WEEKDAY_PATTERN, DocumentKind, find_area,
)

KINDS: tuple[str, ...] = tuple(DocumentKind)

START_MARKERS: tuple[tuple[re.Pattern[str], DocumentKind], ...] = (
    (re.compile(r"^\s*minutes\s+of\s+(?:a|the)\s+(?:\w+\s+)?meeting\s+of\b", re.I), DocumentKind.MINUTES),
    (re.compile(r"^\s*#*\s*(?:\*\*)?\s*(?:meeting\s+notes|notes\s+of\s+(?:a|the)\s+meeting)\s*(?:\*\*)?\s*$", re.I), DocumentKind.MEETING_NOTES),
    (re.compile(r"^\s*#*\s*(?:\*\*)?\s*(?:record\s+of\s+(?:a\s+)?decision|decision\s+(?:record|notice))\s*(?:\*\*)?\s*$", re.I), DocumentKind.DECISION),
    # Members' or the public's questions to the commissioner, in any of the titles' wordings.
    (re.compile(
        r"^\s*#*\s*(?:\*\*)?\s*(?:(?:written|members['’]?|public)\s+)?questions\s+(?:to|for)\s+the\s+(?:police,?\s+(?:fire\s+and\s+)?(?:and\s+)?crime\s+)?(?:commissioner|pcc|pfcc)\b.{0,80}$|"
        r"^\s*#*\s*(?:\*\*)?\s*(?:(?:written\s+)?questions\s+(?:from|by)\s+(?:the\s+)?(?:panel\s+)?(?:members|councillors|public)|"
        r"(?:written|members?['’]?|panel\s+members?['’]?|public)\s+questions)\b.{0,80}$",
        re.I,
    ), DocumentKind.QUESTIONS),
    (re.compile(r"^\s*\S.{0,60}\bwork\s+programme\b.{0,40}$", re.I), DocumentKind.WORK_PROGRAMME),
    (re.compile(r"^\s*by:\s+\S", re.I), DocumentKind.REPORT),
)
REPORT_START_RE = re.compile(
    r"^\s*(?:introduction|purpose(?:\s+of\s+(?:the\s+)?report)?|executive\s+summary|summary|background)\s*:?\s*$", re.I
)
# Who a roster's group is: "members", "committee members", "officers", "advisers".
_GROUP = r"(?:(?:panel|co-opted|independent|committee|board|lay)\s+){0,2}(?:members|officers|advisers|advisors|councillors|staff)"
LABEL_RE = re.compile(
    r"^[ \t#*]*(?P<label>title|date\s*(?:&|and)\s*time|date\s+of\s+(?:the\s+)?meeting|date|time|venue|location|attendees|present|"
    r"(?:also|councillors|others)\s+present|(?:also\s+)?in\s+attendance|"
    # A group's own wording: "Committee members present", "Officers and advisers in attendance",
    # "Officers supporting the panel".
    rf"{_GROUP}(?:\s+(?:and|&)\s+{_GROUP})?\s+(?:present|in\s+attendance|supporting\s+the\s+(?:panel|committee|board|meeting))|"
    r"officers|"
    r"apologies(?:\s+for\s+absence)?|(?:(?:panel|co-opted|independent|committee|board|lay)\s+){0,2}members|to|from|by|subject|reference|originator)[ \t*]*"
    # ":" (or ":-", or a dash in older minutes: "Present - …"), or a roster label alone on its line.
    r"(?::-?|[ \t]+[–—-](?=[ \t]|$)|(?<=apologies)(?=[ \t]*$)|(?<=attendees)(?=[ \t]*$)|(?<=present)(?=[ \t]*$)|(?<=attendance)(?=[ \t]*$)|"
    r"(?<=panel)(?=[ \t]*$)|(?<=committee)(?=[ \t]*$)|(?<=board)(?=[ \t]*$)|(?<=meeting)(?=[ \t]*$))"
    r"[ \t]*(?P<value>.*)$",
    re.I,
)
# Labels that head a roster only when names follow them: "Members:" may open a sentence.
# "Independent co-opted members:", "Panel members:" are read as "members".
NAMES_ONLY_LABELS = {"members"}
ROSTER_LABELS = NAMES_ONLY_LABELS | {
    "attendees", "present", "also present", "members present", "officers present", "in attendance",
    "also in attendance", "apologies", "apologies for absence", "officers", "officers in attendance",
}
# Labels that say the same as a shorter one: "Councillors present:" is "Present:".
LABEL_SYNONYMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^date\b"), "date"),
    (re.compile(r"^(?:[\w-]+\s+){1,2}members$"), "members"),
    (re.compile(r"^(?:councillors|others)\s+present$"), "present"),
    (re.compile(r"^(?:[\w-]+\s+){0,2}members(?:\s+(?:and|&)\s+[\w\s-]+)?\s+present$"), "members present"),
    (re.compile(r"^(?:[\w-]+\s+){0,2}officers(?:\s+(?:and|&)\s+[\w\s-]+)?\s+present$"), "officers present"),
    (re.compile(r"^(?!also\b).+\s+in\s+attendance$|^.+\s+supporting\s+the\s+\w+$"), "in attendance"),
)


def label_key(label: str) -> str:
    """A label as the title block knows it: lower case, one spelling."""
    label = re.sub(r"\s+", " ", label.lower().strip())
    return next((key for pattern, key in LABEL_SYNONYMS if pattern.match(label)), label)


# The header row of a table of attendees, its columns in any order: "| Name | Role |",
# "Attendee | Organisation", "Role | Name | Attendance".
ROSTER_TABLE_NAME_RE = re.compile(r"^(?:(?:full\s+)?name|attendees?|members?)$", re.I)
ROSTER_TABLE_WORD_RE = re.compile(
    r"^(?:(?:full\s+)?name|attendees?|members?|role|title|position|office|organi[sz]ation|representing|initials|"
    r"job\s+title|attendance|attended|status|present(?:\s*/\s*apologies)?)$",
    re.I,
)


def roster_table_header(text: str) -> bool:
    """A roster table's header row: two cells or more, each a column's name, one of them
    the person's."""
    cells = [c for c in CELL_SPLIT_RE.split(text.strip().strip("|").strip()) if c]
    return (
        len(cells) >= 2
        and all(ROSTER_TABLE_WORD_RE.match(c) for c in cells)
        and any(ROSTER_TABLE_NAME_RE.match(c) for c in cells)
    )
TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
# "Apologies were received from Cllr A and Mr B.": a sentence that lists who sent apologies.
APOLOGIES_SENTENCE_RE = re.compile(
    r"^\s*apologies\s+(?:for\s+absence\s+)?(?:were|had\s+been|have\s+been)\s+(?:received|given|submitted|tendered|noted)\s+"
    r"(?:from|by|on\s+behalf\s+of)\s+(?P<value>.+)$",
    re.I,
)
# "Notes of the Police and Crime Commissioner's Estates Meeting held on …": a title that
# names the meeting in capitals (not "the meeting", nor an agenda item's "Notes of the
# Previous Meeting held on …", which names none).
NOTES_TITLE_BODY_RE = re.compile(
    r"\b(?i:notes|minutes)\s+of\s+(?:a|the)\s+"
    r"(?!(?i:(?:previous|last|next|same|this|above|said|former|earlier|extraordinary|special)\s+)+"
    r"(?:Meeting|Board|Committee|Panel|Group|Forum)\s+held\b)"
    r"(?P<body>[A-Z][\w'’-]*(?:,?\s+(?:[A-Z][\w'’-]*|and|of|for|&))*?"
    r"\s+(?:Meeting|Board|Committee|Panel|Group|Forum))\s+held\b"
)
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
    # People a meeting's first items welcome with their offices; their lines stay content.
    welcomed: list[tuple[str, list[Line]]] = field(default_factory=list)


@dataclass
class Segment:
    """A document's span of lines before its records are built."""

    kind: str
    first: int  # line index
    last: int  # line index, exclusive


def normalise_body(name: str | None) -> str | None:
    """A body's name as one spelling: white space, "&" as "and", no leading "the", and a
    heading in capitals given ordinary case. A place in the name stays: Sussex's and
    Kent's panels are different bodies."""
    if not name:
        return None
    name = clean_inline(name).strip(" :.-–—")
    name = re.sub(r"\s*&\s*", " and ", name)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"^(?:the|meeting\s+of(?:\s+the)?)\s+", "", name, flags=re.I)
    if name.isupper():
        name = _ordinary_case(name)
    return name or None


def find_segments(lines: list[Line]) -> list[Segment]:
    starts: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        s = line.stripped
        if not s or NUMBER_RE.match(line.text) or NUMBER_RE.match(HEADING_MARKS_RE.sub("", s)):
            continue  # an agenda item ("### Item 4 Work Programme") starts no document
        for pattern, kind in START_MARKERS:
            if pattern.match(s):
                if kind == DocumentKind.REPORT and not _followed_by(lines, i, re.compile(r"^\s*to:", re.I), 6):
                    continue
                if kind in (DocumentKind.QUESTIONS, DocumentKind.WORK_PROGRAMME) and not title_like(s, max_words=14):
                    continue
                if kind == DocumentKind.QUESTIONS and not _followed_by(lines, i, re.compile(r"^\s*(?:\d{1,2}[.)]|q\.?\s*\d|question\s+(?:\d|no\b|from\b|by\b|asked\b))", re.I), 12):
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
    if kind != DocumentKind.MINUTES:
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
            out.append(Segment(seg.kind if n == 0 else DocumentKind.REPORT, bounds[n], bounds[n + 1]))
    return out


def _block_top(lines: list[Line], i: int) -> int:
    while i > 0 and re.match(r"^\s*(to|from|by|subject|date)\s*:", lines[i - 1].text, re.I) or (
        i > 0 and not lines[i - 1].stripped
    ):
        i -= 1
    return i


def read_title_block(lines: list[Line], seg: Segment) -> TitleBlock:
    block = TitleBlock()
    items: set[str] = set()
    i = seg.first
    while i < seg.last:
        item = NUMBER_RE.match(lines[i].text)
        if item:
            # An item by its own number, its sub-items with it: "4.2" is item 4; "24/17" and
            # "Ref/03/14/03/2025" are items of their own.
            items.add(re.sub(r"\.\d.*$", "", next(g for g in item.groups() if g)))
        unlabelled = _unlabelled_roster(lines[i].text)
        if unlabelled is not None:
            label, value = unlabelled
            roster_lines, end = _roster_region(lines, i, seg.last, value)
            block.roster.append((label, roster_lines))
            block.consumed.update(range(i, end))
            i = end
            continue
        cells = _label_cells(lines[i].text)
        if cells:
            for label, value in cells:
                if label in ROSTER_LABELS:
                    offset = lines[i].text.find(value)
                    block.roster.append((_roster_label(label), [Line(value, lines[i].start + offset, lines[i].start + offset + len(value))]))
                else:
                    block.fields.setdefault(label, clean_inline(value))
            block.consumed.add(i)
            i += 1
            continue
        m = LABEL_RE.match(lines[i].text)
        if not m or NUMBER_RE.match(lines[i].text):
            if len(items) <= WELCOMING_ITEMS and (i == seg.first or not lines[i - 1].stripped or item):
                welcomed = _attendance_sentence(lines, i, seg.last, welcoming=True)
                if welcomed:
                    block.welcomed.append(("present", welcomed))
            i += 1
            continue
        label = label_key(m.group("label"))
        value = m.group("value").strip()
        if label in NAMES_ONLY_LABELS and value and not _names_follow(value):
            i += 1
            continue
        if label in ROSTER_LABELS:
            roster_lines, end = _roster_region(lines, i, seg.last, value)
            block.roster.extend(_column_regions(_roster_label(label), roster_lines))
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


LABEL_CELL_RE = re.compile(r"^[^:\t]{2,30}:$")


def _label_cells(text: str) -> list[tuple[str, str]]:
    """A header row of a Word table, label and value cells side by side ("Meeting:\tAudit
    Committee\tDate:\tThursday 5 March 2026"): the labels this reader knows, with their
    values; empty unless the row is two such pairs or more and nothing else."""
    cells = [c.strip() for c in text.split("\t") if c.strip()]
    if len(cells) < 4 or len(cells) % 2:
        return []
    pairs = list(zip(cells[::2], cells[1::2]))
    if not all(LABEL_CELL_RE.match(label) and not LABEL_CELL_RE.match(value) for label, value in pairs):
        return []
    known = []
    for label, value in pairs:
        m = LABEL_RE.match(f"{label} {value}")
        if m:
            known.append((label_key(m.group("label")), value))
    return known


def _names_follow(value: str) -> bool:
    from indexer.roster import is_roster_line

    return is_roster_line(value)


def _unlabelled_roster(text: str) -> tuple[str, str] | None:
    """A roster that opens without a label: a table's header row, or a sentence of apologies."""
    if roster_table_header(text):
        return "attendees", ""
    m = APOLOGIES_SENTENCE_RE.match(text)
    return ("apologies", m.group("value")) if m else None


def _roster_label(label: str) -> str:
    """Labels that mean the same status, as the roster reader knows them."""
    if label.startswith("apologies"):
        return "apologies"
    return "in attendance" if label in ("officers", "officers in attendance") else label


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
        if not s or TABLE_RULE_RE.match(s):
            j += 1
            continue
        header = roster_table_header(s)
        if header and not region:
            j += 1  # the label's own table: "Apologies" / "Name | Role" / rows
            continue
        if header or APOLOGIES_SENTENCE_RE.match(s):
            break
        if LABEL_RE.match(line.text) or NUMBER_RE.match(line.text) or re.match(r"^#{1,6}\s+\d", s) or URL_LINE_RE.match(s):
            break
        pair = _office_then_name(lines, j, stop)
        if pair is not None:
            # "Chief Constable" / "Jo Bloggs": one entry, read as "Jo Bloggs (Chief Constable)".
            entry, k = pair
            region.append(Line(entry, line.start, lines[k].end))
            j = k + 1
            continue
        if region and not is_roster_line(s) and not _continues_entry(" ".join(r.text for r in region), s):
            sentence = _attendance_sentence(lines, j, stop)
            if not sentence:
                break
            # "Keith Ormsby (…), Ruth Lingard (…) and … attended the meeting.", as one line: its
            # entries never join the line above.
            region.append(Line(" ".join(ln.stripped for ln in sentence), sentence[0].start, sentence[-1].end))
            j += len(sentence)
            continue
        region.append(line)
        j += 1
    # Trailing blank lines are consumed with the block.
    return region, j


# A wide gap between columns; not a padded key's ("PCC      – Police and Crime Commissioner").
_COLUMN_GAP_RE = re.compile(COLUMN_GAP + r"(?![–—-]\s)")


def _column_regions(label: str, region: list[Line]) -> list[tuple[str, list[Line]]]:
    """A roster set out in two columns with spaces between ("Committee Members      In
    Attendance" / "Mr A Bell (Chair)      Ms C Dunn (Chief Executive," / "       OPCC)"):
    each column read down as a roster of its own, under its heading's label where the
    heading is one ("In Attendance"), else the roster's. A line indented to the second
    column continues it. One region unchanged unless two rows or more share the column,
    or the second column holds offices, not people."""
    from indexer.roster import office_only

    if any("|" in ln.text or "\t" in ln.text.strip() for ln in region):
        return [(label, region)]
    starts = Counter(m.end() for ln in region for m in _COLUMN_GAP_RE.finditer(ln.text))
    if not starts:
        return [(label, region)]
    column, rows = starts.most_common(1)[0]
    if rows < 2:
        return [(label, region)]
    left: list[Line] = []
    right: list[Line] = []
    for ln in region:
        cut = next((m.end() for m in _COLUMN_GAP_RE.finditer(ln.text) if abs(m.end() - column) <= 3), None)
        indent = len(ln.text) - len(ln.text.lstrip())
        if cut is None and indent >= column - 3:
            cut = indent
        if cut is None:
            _add_cell(left, ln, 0, len(ln.text))  # the left column's alone
        else:
            _add_cell(left, ln, 0, cut)
            _add_cell(right, ln, cut, len(ln.text))
    if right and all(office_only(cell.text) for cell in right):
        # "Jo Penn CPFA        Chief Finance Officer, OPCC": the name and its office, one entry a row.
        return [(label, region)]
    return [_column_heading(label, side) for side in (left, right) if side]


def _add_cell(column: list[Line], line: Line, a: int, b: int) -> None:
    """Add the text of `line` from `a` to `b`, stripped, to the column, if it holds any."""
    cell = line.text[a:b].strip()
    if cell:
        at = line.text.index(cell, a)
        column.append(Line(cell, line.start + at, line.start + at + len(cell)))


def _column_heading(label: str, column: list[Line]) -> tuple[str, list[Line]]:
    """A column's first cell as its label ("In Attendance", "Committee Members"), if it is one."""
    m = LABEL_RE.match(column[0].text + ":")
    if m and not m.group("value").strip() and label_key(m.group("label")) in ROSTER_LABELS:
        return _roster_label(label_key(m.group("label"))), column[1:]
    return label, column


def _office_then_name(lines: list[Line], j: int, stop: int) -> tuple[str, int] | None:
    """An office on line `j` and its holder's name on the next line: the entry as one text
    and the name's line index; None if the lines are not such a pair."""
    from indexer.roster import office_then_name

    k = j + 1
    if k >= stop or not lines[k].stripped:
        return None
    entry = office_then_name(lines[j].stripped, lines[k].stripped)
    return (entry, k) if entry is not None else None


# How many of a meeting's first items may welcome the people at the table.
WELCOMING_ITEMS = 3


def _attendance_sentence(lines: list[Line], j: int, stop: int, *, welcoming: bool = False) -> list[Line]:
    """The lines of a paragraph from `j` that names people who "attended the meeting" (or
    "were also present"), wrapped however the page wrapped it; empty if it is not one.

    `welcoming`: a paragraph of a meeting's first items that welcomes people with their
    offices ("The Chair welcomed Jo Penn, the Police and Crime Commissioner, who was
    accompanied by …"), as one line an entry, each spanning the paragraph."""
    from indexer.roster import ATTENDED_RE, is_roster_line, welcomed_entries

    k = j
    while k < stop and lines[k].stripped and k - j < 8:
        k += 1
    joined = " ".join(ln.stripped for ln in lines[j:k])
    if welcoming:
        return [Line(entry, lines[j].start, lines[k - 1].end) for entry in welcomed_entries(joined)] if k > j else []
    return lines[j:k] if ATTENDED_RE.search(joined) and is_roster_line(joined) else []


def _continues_entry(region: str, line: str) -> bool:
    """A roster entry wrapped over lines: "Mr A Harper" / "(PCC's Chief Executive)"."""
    from indexer.roster import _complete

    return not _complete(region) or line[:1] == "(" or line[:1].islower()


def minutes_header(lines: list[Line], seg: Segment) -> str:
    text = " ".join(ln.stripped for ln in lines[seg.first : min(seg.last, seg.first + 15)])
    return text


HEADER_LINES = 20
HEADING_MARKS_RE = re.compile(r"^[#*\s]+|[*\s]+$")
OTHER_MEETING_RE = re.compile(r"\b(?:" + "|".join(OTHER_MEETING_WORDS) + r")\b", re.I)
HELD_ON_RE = re.compile(r"\bheld\b.{0,200}?\bon\s+(?P<rest>.{0,60})", re.I | re.S)
# "<body> - Tuesday, 15 September 2020 10.30 am": a meeting page's title line.
TITLE_DASH_RE = re.compile(r"^(?P<body>\S.{2,120}?)(?:\s+[-–—|]|\s*,)\s+(?P<when>(?:" + WEEKDAY_PATTERN + r"|\d{1,2}(?:st|nd|rd|th)?\s).{0,80})$", re.I)
# A line that is a date and perhaps a time and place: "Tuesday, 29 April 2025 at 2.00 pm - 4.30 pm".
DATE_LINE_RE = re.compile(r"^(?:(?:(?:meeting\s+)?date|when|meeting(?:\s+(?:of|on|held\s+on))?)\s*:?\s*)?(?:" + WEEKDAY_PATTERN + r",?\s+(?:the\s+)?)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTH_PATTERN + r"\b", re.I)


def header_lines(lines: list[Line], seg: Segment, n: int = HEADER_LINES) -> list[str]:
    """The first lines of a document that carry words: page furniture, blank lines and
    Markdown marks left out."""
    out: list[str] = []
    for line in lines[seg.first : seg.last]:
        s = HEADING_MARKS_RE.sub("", line.stripped)
        if NUMBER_RE.match(s) and len(out) >= 2:
            break  # the first agenda item after the title: the header has ended
        if s and not FURNITURE_RE.match(s) and not URL_LINE_RE.match(s):
            out.append(clean_inline(s))
            if len(out) >= n:
                break
    return out


@dataclass(frozen=True)
class DateEvidence:
    """What a meeting's date may be read from."""

    kind: str
    fields: dict[str, str]
    header: tuple[str, ...]  # header_lines()
    text: str  # the document's text
    source: str = ""  # the file name
    manifest_date: date | None = None


def _own_lines(evidence: DateEvidence) -> list[str]:
    """Header lines about this meeting: not an agenda item, not another meeting's date."""
    return [s for s in evidence.header if not NUMBER_RE.match(s) and not OTHER_MEETING_RE.search(s)]


# What follows a date in a sentence about that meeting's record ("The minutes of the meeting
# held on 7 March were confirmed"), not in the title of this one.
RECORD_SENTENCE_RE = re.compile(r"^[\s,]*(?:were|was|had|have|has|are|is)\b", re.I)


def _held_on(evidence: DateEvidence) -> date | tuple[int, int] | None:
    """"MINUTES of a meeting held on Tuesday, 3 February 2026", wrapped over lines or not;
    a sentence that goes on about that meeting ("… held on 7 March 2024 were agreed") is
    about another."""
    for m in HELD_ON_RE.finditer(" ".join(_own_lines(evidence))):
        rest = m.group("rest")
        end = _first_date_end(rest)
        if end is not None and RECORD_SENTENCE_RE.match(rest[end:]):
            continue
        found = _date_or_day(rest)
        if found is not None:
            return found
    return None


def _first_date_end(text: str) -> int | None:
    """Where the first date in the text ends, a full one or a day and month ("7 February")."""
    dates = find_dates(text)
    if dates:
        return dates[0][2]
    m = DAY_MONTH_RE.search(text)
    return m.end() if m else None


def _date_fields(evidence: DateEvidence) -> date | tuple[int, int] | None:
    for key in ("date", "to"):
        if evidence.fields.get(key) and first_date(evidence.fields[key]):
            return first_date(evidence.fields[key])
    return None


def _signed_decision_date(evidence: DateEvidence) -> date | None:
    """A decision's date by its decision-maker's signature: "Signature: …" / "Police and Crime
    Commissioner" / "Date: 3rd March 2025", not the date an officer signed the advice."""
    if evidence.kind != DocumentKind.DECISION:
        return None
    lines = _nonblank_lines(evidence.text)
    for n, _ in deciding_signatures(lines):
        for k, after in enumerate(lines[n : n + 5]):
            if k and SIGNATURE_LINE_RE.match(after):
                break  # the next signature's block
            found = first_date(after)
            if found:
                return found
    return None


def _decision_date(evidence: DateEvidence) -> date | None:
    if evidence.kind != DocumentKind.DECISION:
        return None
    for m in re.finditer(r"\bDate(?:\s+of\s+decision)?:\s*(?P<value>[^\n]{0,40})", evidence.text, re.I):
        if first_date(m.group("value")):
            return first_date(m.group("value"))
    return None


def _title_dash(evidence: DateEvidence) -> date | tuple[int, int] | None:
    for s in _own_lines(evidence):
        m = TITLE_DASH_RE.match(s)
        if m and _names_body(m.group("body")):
            return _date_or_day(m.group("when"))
    return None


def _reference(evidence: DateEvidence) -> date | None:
    """The date most of the document's reference numbers carry ("Ref/02/14/03/2025")."""
    counts = Counter(d for d in map(reference_date, evidence.text.split("\n")) if d)
    return counts.most_common(1)[0][0] if counts else None


def _date_line(evidence: DateEvidence) -> date | tuple[int, int] | None:
    for s in _own_lines(evidence):
        if DATE_LINE_RE.match(s):
            return _date_or_day(s)
    return None


def _date_or_day(text: str) -> date | tuple[int, int] | None:
    return first_date(text) or day_and_month(text)


# Tried in order: what the document says of its own meeting first, a bare date last.
MEETING_DATE_FINDERS: tuple[Callable[[DateEvidence], date | tuple[int, int] | None], ...] = (
    _held_on, _signed_decision_date, _date_fields, _decision_date, _title_dash, _reference, _date_line,
)


def meeting_date(evidence: DateEvidence) -> tuple[date | None, bool]:
    """The meeting's date and whether it was inferred.

    A day and month without a year take the year the evidence agrees on (the file name,
    the manifest, the document's other dates) and are flagged inferred; without such
    evidence the date stays unknown rather than guessed."""
    for finder in MEETING_DATE_FINDERS:
        found = finder(evidence)
        if isinstance(found, date):
            return found, False
        if found is not None:
            day, month = found
            if evidence.manifest_date and (evidence.manifest_date.day, evidence.manifest_date.month) == (day, month):
                return evidence.manifest_date, True
            evidence_years = (
                years_in(evidence.source),
                [evidence.manifest_date.year] if evidence.manifest_date else [],
                [d.year for d, _, _ in find_dates(evidence.text)],
            )
            return complete_year(day, month, evidence_years), True
    return None, False


def stated_date(kind: str, fields: dict[str, str], header: str, text: str) -> date | None:
    """The date a document states for its meeting (no inference): see meeting_date."""
    found, inferred = meeting_date(DateEvidence(kind, fields, tuple(header.split("\n")), text))
    return None if inferred else found


# -- bodies and areas -------------------------------------------------------------------

BODY_RE = re.compile(
    r"(?:^|\b(?:meeting|minutes|notes|agenda)\s+of\s+(?:a\s+|the\s+)?(?:meeting\s+of\s+)?(?:the\s+)?)"
    r"(?P<body>[\w'’,&()-]+(?:\s+[\w'’,&()-]+){0,9}?\s+(?:" + "|".join(BODY_NOUNS) + r"))[\s:.]*$",
    re.I,
)


def _names_body(text: str) -> bool:
    return _body_in(text) is not None


def _body_in(text: str) -> str | None:
    """A body's name in a heading: "SURREY POLICE ACCOUNTABILITY BOARD", "MEETING OF POLICE
    AND CRIME PANEL", "Sussex Police and Crime Panel - Friday, 24 January 2025"."""
    text = HEADING_MARKS_RE.sub("", text)
    if len(text) > 160 or NUMBER_RE.match(text):
        return None
    for m in BODY_RE.finditer(text.strip()):
        body = m.group("body")
        words = body.split()
        while words and words[0].lower() in NOT_BODY_STARTS:
            words = words[1:]  # "the", "Meeting of" before the name
        if len(words) >= 2 and not any(w.lower() in ("held", "on", "at") for w in words):
            return " ".join(words)
    return None


# The office that makes a decision: "Police, Fire and Crime Commissioner for Essex",
# "Kent Police and Crime Commissioner", "Office of the Police and Crime Commissioner".
DECISION_MAKER_RE = re.compile(
    r"^(?:(?:the\s+)?office\s+of\s+)?(?:the\s+)?(?P<office>(?:[A-Z][\w&-]*\s+){0,4}?Police,?\s+(?:Fire\s+and\s+)?(?:and\s+)?Crime\s+Commissioner"
    r"(?:\s+for\s+(?:the\s+)?[A-Z][\w&,-]*(?:\s+(?:and\s+)?[A-Z][\w&,-]*){0,4})?)\s*$",
    re.I,
)


def decision_maker(header: list[str] | tuple[str, ...]) -> str | None:
    """The commissioner's office a decision record comes from, as its heading names it."""
    for s in header[:8]:
        m = DECISION_MAKER_RE.match(s)
        if m:
            return normalise_body(m.group("office"))
    return None


# What a title adds after a body's name: what the record is ("– Notes", ": meeting notes",
# "MINUTES", "- Record of Meeting"), or the area ("– Wiltshire", "(Wiltshire)").
TITLE_KIND_TAIL_RE = re.compile(
    r"(?:\s*[–—:|-]\s*|\s+)(?:(?:meeting\s+|action\s+|summary\s+)?(?:notes|minutes|agenda)|"
    r"(?:record|notes|minutes)\s+of\s+(?:the\s+)?(?:meeting|proceedings))\s*$",
    re.I,
)
TITLE_AREA_TAIL_RE = re.compile(r"\s*(?:[–—:|-]\s*(?P<dash>[^–—:|()-]+)|\((?P<paren>[^()]+)\))\s*$")


def _title_parts(s: str) -> tuple[str, str | None]:
    """A title line less what follows the body's name, and an area named there."""
    s = TITLE_KIND_TAIL_RE.sub("", s)
    m = TITLE_AREA_TAIL_RE.search(s)
    if m:
        tail = (m.group("dash") or m.group("paren") or "").strip()
        area = find_area(tail)
        if area is not None and len(tail.split()) <= 4:
            return s[: m.start()], area
    return s, None


def _area_above(header: list[str] | tuple[str, ...], n: int) -> str | None:
    """The area of the line above a body's name when that line is the area or its office
    alone ("Wiltshire" / "Scrutiny and Accountability Board")."""
    above_lines = [h for h in header[max(0, n - 3) : n] if kind_from_header([h]) is None and not DATE_LINE_RE.match(h)]
    if not above_lines:
        return None  # lines saying what the record is or when it was held are passed over
    above = above_lines[-1]
    area = find_area(above)
    if area is None or _body_in(above) is not None or len(above.split()) > 8:
        return None
    rest = re.sub(re.escape(area), "", above, flags=re.I)
    office = re.fullmatch(
        r"[\s,]*(?:office\s+of\s+the\s+)?(?:police(?:,?\s+fire)?\s+and\s+crime\s+commissioner(?:\s+for)?|pcc|opcc|police|constabulary)?[\s,]*",
        rest, re.I,
    )
    return area if office else None


def _area_continued(header: list[str] | tuple[str, ...], n: int) -> str | None:
    """The area of a title continued on the next line: "Joint Independent Audit Committee" /
    "of the Wiltshire Police and Crime Commissioner and the Chief Constable"."""
    if n + 1 >= len(header) or not re.match(r"^(?:of|for)\s+(?:the\s+)?\S", header[n + 1], re.I):
        return None
    return find_area(header[n + 1])


def titled_body(title: str) -> str | None:
    """A body's name from a title field: "Scrutiny and Accountability Board (Northumbria)"
    reads as "Northumbria Scrutiny and Accountability Board"."""
    line, area = _title_parts(title)
    if area is not None and find_area(line) is None:
        line = f"{area} {line.strip()}"
    return normalise_body(line)


def body_from_header(header: list[str] | tuple[str, ...]) -> str | None:
    """The first header line naming a body, read as its name, with the area where the title
    names one beside it (after a dash, in brackets, or alone on the line above)."""
    for n, s in enumerate(header):
        m = TITLE_DASH_RE.match(s)
        found = _body_in(m.group("body")) if m else None
        area = None
        if found is None and (title_like(s.rstrip("."), max_words=16) or (s.isupper() and len(s) < 120)):
            # a heading line that is the name, not a sentence that mentions it
            line, area = _title_parts(s)
            found = _body_in(line)
        if found:
            area = area or _area_above(header, n) or _area_continued(header, n)
            if area is not None and find_area(found) is None:
                found = f"{area} {found}"
            return normalise_body(found)
    return None


def _ordinary_case(name: str) -> str:
    """"DYFED-POWYS POLICE AND CRIME PANEL" → "Dyfed-Powys Police and Crime Panel"."""
    words = []
    for n, word in enumerate(name.split()):
        if word in BODY_ACRONYMS:
            words.append(word)
        elif n and word.lower() in SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def _named_areas(header: list[str] | tuple[str, ...], manifest_area: str | None, source: str) -> tuple[str | None, ...]:
    """The areas the document's heading, the manifest and the file name name, in that order."""
    return (
        find_area(" ".join(header[:8])),
        find_area(manifest_area) if manifest_area else None,
        find_area(re.sub(r"[_.-]+", " ", source)),
    )


def area_of(header: list[str] | tuple[str, ...], manifest_area: str | None, source: str, text: str) -> str | None:
    """The police area: from the document's heading, the manifest, the file name, or the
    area its text names most often, in that order."""
    return next((a for a in _named_areas(header, manifest_area, source) if a), None) or _most_named_area(text)


def vouched_area(header: list[str] | tuple[str, ...], manifest_area: str | None, source: str, text: str) -> str | None:
    """The area a body's name may be given: the one its heading or the manifest names, or
    the file name's where the text names that area most too (a file name alone is only
    what its collector called it)."""
    heading, manifest, named = _named_areas(header, manifest_area, source)
    if heading or manifest:
        return heading or manifest
    return named if named is not None and named == _most_named_area(text) else None


COMMISSIONER_OFFICE_RE = re.compile(
    r"^(?:office\s+of\s+)?(?:the\s+)?police,?\s+(?:fire\s+and\s+)?(?:and\s+)?crime\s+commissioner$", re.I
)


def body_with_area(body: str, area: str | None) -> str:
    """A body whose name names no area, named with its area so that two areas' boards stay
    apart: "Strategic Policing Board" of Derbyshire is "Derbyshire Strategic Policing
    Board"; a commissioner's office is "… for Derbyshire"."""
    if area is None or find_area(body) is not None:
        return body
    return f"{body} for {area}" if COMMISSIONER_OFFICE_RE.match(body) else f"{area} {body}"


def _most_named_area(text: str) -> str | None:
    counts = Counter(a for a in (find_area(s) for s in text.split("\n")) if a)
    return counts.most_common(1)[0][0] if counts else None


# -- kinds ------------------------------------------------------------------------------

_KIND_HEADINGS = tuple((re.compile(pattern, re.I), kind) for pattern, kind in KIND_HEADINGS)


def kind_from_header(header: list[str] | tuple[str, ...]) -> DocumentKind | None:
    """What the document's top lines say it is ("MINUTES", "Agenda", "DECISION NOTICE")."""
    for s in header[:12]:
        s = s.rstrip(":. ")
        if NUMBER_RE.match(s) or OTHER_MEETING_RE.search(s):
            continue  # an item ("1. Minutes of the last meeting"), or another meeting's record
        for pattern, kind in _KIND_HEADINGS:
            if pattern.fullmatch(s):
                return kind
        if re.match(r"^minutes\s+of\s+(?:a|the)\s+(?:\w+\s+)?meeting\b", s, re.I):
            return DocumentKind.MINUTES
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
    """The body named in "Date of next Performance and Delivery Board: …" (not "next meeting")."""
    m = NEXT_MEETING_RE.search(text)
    body = normalise_body(m.group("body")) if m else None
    return body if body and len(body.split()) >= 2 else None


def document_title(kind: str, fields: dict[str, str], body: str | None, first_line: str) -> str:
    if kind == DocumentKind.DECISION and fields.get("title"):
        return f"Record of Decision: {fields['title']}"
    if fields.get("subject"):
        return fields["subject"]
    if kind == DocumentKind.MINUTES:
        return f"Minutes of the {body}" if body else "Minutes"
    if kind == DocumentKind.MEETING_NOTES:
        return f"{body} meeting notes" if body else "Meeting notes"
    if kind == DocumentKind.AGENDA:
        return f"Agenda of the {body}" if body else "Agenda"
    if fields.get("title"):
        return fields["title"]
    return clean_inline(first_line)[:120] or kind.capitalize()


@dataclass(frozen=True)
class KindEvidence:
    """What a document's kind may be read from."""

    marker: str  # the kind of the start marker that opened it, "" for none
    fields: dict[str, str]
    header: tuple[str, ...]  # header_lines()
    has_roster: bool  # attendees or apologies were listed
    fallback: str | None  # the manifest's document_type
    text: str = ""  # the document's text


# The forms of formal minutes: a resolution, minute numbers ("23/45", "PCP 12/24"), the
# chair signing them as a correct record, a panel or committee deciding, councillors.
FORMAL_MINUTES_RE = re.compile(
    r"\bresolved\b|^\s*(?-i:[A-Z]{2,6}\s*)?\d{1,3}/\d{2}(?![/\d])|\bcorrect\s+record\b|\bsigned\s+by\s+the\s+chair|"
    r"\bthe\s+(?:panel|committee)\s+(?:agreed|noted|considered|received)\b|\b(?:cllr|councillor)\b|\bchairman\b",
    re.I | re.M,
)


def _by_marker(e: KindEvidence) -> str | None:
    return e.marker or None


def _by_report_fields(e: KindEvidence) -> str | None:
    """A paper addressed to a meeting is a report, unless its subject or title is the
    questions put to the commissioner ("Subject: Public questions")."""
    if not (e.fields.get("subject") or e.fields.get("to")):
        return None
    named = kind_from_header([e.fields.get("subject", ""), e.fields.get("title", "")])
    return DocumentKind.QUESTIONS if named == DocumentKind.QUESTIONS else DocumentKind.REPORT


def _by_heading(e: KindEvidence) -> str | None:
    return kind_from_header(e.header)


def _by_notes_fields(e: KindEvidence) -> str | None:
    return DocumentKind.MEETING_NOTES if e.fields.get("title") and e.fields.get("date") else None


def _by_roster(e: KindEvidence) -> str | None:
    """Who attended and what they said is a record of a meeting, never a report."""
    if not e.has_roster:
        return None
    own = [s for s in e.header[:12] if not NUMBER_RE.match(s) and not OTHER_MEETING_RE.search(s)]
    if any(re.search(r"\bnotes\b", s, re.I) for s in own):
        return DocumentKind.MEETING_NOTES
    if any(re.search(r"\bminutes\b", s, re.I) for s in own) or FORMAL_MINUTES_RE.search(e.text):
        return DocumentKind.MINUTES
    return DocumentKind.MEETING_NOTES  # a record of a meeting that keeps none of the forms of minutes


def _by_manifest(e: KindEvidence) -> str | None:
    if not e.fallback:
        return None
    key = " ".join(e.fallback.lower().replace("-", " ").split())
    kind = KIND_ALIASES.get(key, key)
    return kind if kind in KINDS and kind != DocumentKind.AGENDA else None


# Tried in order; the first that knows decides, and a document nothing speaks for is a report.
# What the document says of itself comes first, then the publisher's word (the manifest),
# then what its content implies.
KIND_FINDERS: tuple[Callable[[KindEvidence], str | None], ...] = (
    _by_marker, _by_report_fields, _by_heading, _by_notes_fields, _by_manifest, _by_roster,
)


def document_kind(
    marker_kind: str,
    fields: dict[str, str],
    fallback: str | None,
    header: tuple[str, ...] = (),
    has_roster: bool = False,
    text: str = "",
) -> DocumentKind:
    evidence = KindEvidence(marker_kind, fields, header, has_roster, fallback, text)
    found = next((k for k in (f(evidence) for f in KIND_FINDERS) if k), DocumentKind.REPORT)
    kind = DocumentKind(found)
    if kind == DocumentKind.REPORT and re.search(r"\bannual\s+report\b", fields.get("subject", ""), re.I):
        kind = DocumentKind.ANNUAL_REPORT
    return kind


# Lines of a report's or decision's title block that name who wrote it, most specific
# first: "Report author: Tom Kenning, Deputy Police, Fire and Crime Commissioner (DPFCC)",
# "REPORT OF THE POLICE AND CRIME COMMISSIONER", "By: the Chief Constable", "Decision maker: …".
AUTHOR_LINE_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^[ \t]*report\s+author\s*:\s*(?P<who>.+)$", re.I | re.M),
    re.compile(r"^[ \t]*(?:report|paper)\s+(?:of|by|from)\s*:?\s*(?P<who>.+)$", re.I | re.M),
    re.compile(r"^[ \t]*(?:by|author|from)\s*:\s*(?P<who>.+)$", re.I | re.M),
    re.compile(r"^[ \t]*decision\s+maker\s*:\s*(?P<who>.+)$", re.I | re.M),
)
# How far into a document its title block reaches.
TITLE_BLOCK_CHARS = 1500


def report_author_role(kind: str, text: str) -> str | None:
    """The office a report or decision speaks for: the PCC where a commissioner's report is
    written in the first person, else the office its title block names as author (an
    author who holds no office, such as a panel's officer, speaks for nobody)."""
    if kind not in (DocumentKind.ANNUAL_REPORT, DocumentKind.REPORT, DocumentKind.DECISION):
        return None
    if kind != DocumentKind.DECISION and OWN_WORDS_RE.search(text):
        return "PCC"
    head = text[:TITLE_BLOCK_CHARS]
    for pattern in AUTHOR_LINE_RES:
        for m in pattern.finditer(head):
            role = office_named(m.group("who"))
            if role:
                return role
    return None


SIGNATURE_LINE_RE = re.compile(r"^[ \t]*(?:signature|signed)\b", re.I)
# Offices that take decisions; an officer who signs advice beside them (Chief Executive,
# Chief Finance Officer) does not.
DECIDING_OFFICES = frozenset({"PCC", "DPCC"})


def decision_signatory(text: str) -> str | None:
    """The commissioner who signs a decision record that names no decision-maker in its
    title block: an office named on a short line in the few lines above a "Signature:"
    line ("POLICE AND CRIME COMMISSIONER FOR KENT", then "Comments: …", then "Signature:
    …"). None when only officers sign."""
    return next((office for _, office in deciding_signatures(_nonblank_lines(text))), None)


def _nonblank_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def deciding_signatures(lines: list[str]) -> Iterator[tuple[int, str]]:
    """The signature lines of a decision-maker, in order: each line's index and office."""
    for n, line in enumerate(lines):
        if SIGNATURE_LINE_RE.match(line):
            office = signature_office(lines, n)
            if office is not None and office in DECIDING_OFFICES:
                yield n, office


def signature_office(lines: list[str], n: int) -> str | None:
    """The office of the signature on non-blank line `n`: named on the lines below it, before
    its date ("Signature: …" / "Police and Crime Commissioner" / "Date: …"), or else on a
    short line above it. An officer's office found first ends the search: that block's
    signature is the officer's."""
    for below in lines[n + 1 : n + 4]:
        if SIGNATURE_LINE_RE.match(below) or first_date(below) or len(below) > 80:
            break
        role = office_named(below.rstrip(":"))
        if role:
            return role
    for above in reversed(lines[max(0, n - 6):n]):
        label = above.rstrip(":").strip()
        if len(label) > 80 or SIGNATURE_LINE_RE.match(label):
            continue
        role = office_named(label)
        if role:
            return role
    return None


def office_named(who: str) -> str | None:
    """The office in "Tom Kenning, Deputy Police, Fire and Crime Commissioner (DPFCC)" or "the
    Police and Crime Commissioner"; None for a person or post that is no office."""
    for abbreviation in re.findall(r"\(([A-Za-z/]{2,8})\)", who):
        role = canonical_role(abbreviation)
        if role:
            return role
    parts = [p.strip() for p in re.sub(r"\([^)]*\)", "", who).split(",")]
    for n in range(len(parts)):
        role = canonical_role(", ".join(parts[n:])) or canonical_role(parts[n])
        if role:
            return role
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


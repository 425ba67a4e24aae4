"""Plain records that cross from parsing to the index and on to search.

Everything here is a frozen dataclass of strings, numbers, dates and tuples, so it
can be compared in tests, hashed, and written to JSON without pickle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Attendee:
    """One line of a meeting's roster."""

    name: str
    role: str | None  # canonical abbreviation: "CC", "PCC", "Chair", "Member"
    role_title: str | None  # as written: "Chief Constable", "Chairman"
    organisation: str | None = None
    status: str = "present"  # present | apologies | in attendance
    acting: bool = False  # holds the office for the time being: "T/DCC", "Acting Chief Constable"
    initials: str | None = None  # as the roster gives them ("Tom Reed (TR)"), for "TR advised"


@dataclass(frozen=True)
class Speaker:
    """Who is speaking in a paragraph, as named in the text and as resolved."""

    role: str | None  # canonical abbreviation, None for a named person without a role
    name: str | None  # resolved through the meeting's roster; None when unknown
    as_named: str  # the words that identified them: "the Commissioner", "Mr Sandher"
    name_inferred: bool = False  # name taken from the same body's neighbouring meetings


@dataclass(frozen=True)
class AgendaItem:
    number: str | None  # "4", "4i", "94"; None for an unnumbered heading
    title: str
    start: int  # character offsets into the extracted text of the file
    end: int


@dataclass(frozen=True)
class Paragraph:
    """A bullet or paragraph of an agenda item, with who speaks in it."""

    text: str  # verbatim, white space normalised, bullet glyph removed
    start: int
    end: int
    item_number: str | None
    item_title: str | None
    section: str | None
    speakers: tuple[Speaker, ...] = ()


@dataclass(frozen=True)
class Action:
    """A commitment recorded at a meeting, or an update on an earlier one."""

    text: str
    owner: str | None
    due: date | None
    meeting_date: date | None
    date_inferred: bool
    source: str
    document_id: str
    body: str | None
    item_number: str | None
    item_title: str | None
    kind: str  # action (an Actions list or table) | offer (made in discussion) | update
    status: str  # open | discharged | in progress | as recorded in the text
    quote: str  # the verbatim line the action was read from
    start: int
    end: int
    speaker: Speaker | None = None
    refers_to: date | None = None  # for an update: the meeting whose action it reports on
    area: str | None = None  # the police area of the meeting: bodies of two areas may share a name


@dataclass(frozen=True)
class Document:
    """One document of a file: minutes, meeting notes, a report, a decision record…"""

    id: str  # "<source>#<n>"
    source: str  # file name in the corpus
    kind: str  # minutes | meeting notes | report | annual report | decision | questions | work programme
    title: str
    body: str | None
    date: date | None
    date_range: tuple[date, date] | None  # set when the date is inferred, never a guess at a day
    date_inferred: bool
    attendees: tuple[Attendee, ...]
    items: tuple[AgendaItem, ...]
    start: int
    end: int
    source_url: str | None = None
    author_role: str | None = None  # a report written in its author's own words
    area: str | None = None  # police area ("Kent", "Sussex"): office holders are resolved per area

    @property
    def meeting_date(self) -> date | None:
        """The date to sort and filter by: stated, or the start of the inferred range."""
        if self.date is not None:
            return self.date
        return self.date_range[0] if self.date_range else None


@dataclass(frozen=True)
class Passage:
    """The unit of retrieval: part of one agenda item, never crossing into another."""

    id: str
    source: str
    document_id: str
    document_title: str
    document_kind: str
    body: str | None
    meeting_date: date | None
    date_inferred: bool
    item_number: str | None
    item_title: str | None
    section: str | None
    speakers: tuple[Speaker, ...]
    text: str
    start: int
    end: int
    tokens: int = 0
    area: str | None = None  # the document's police area
    date_range: tuple[date, date] | None = None  # an undated meeting's bounds (see Document)
    also_in: tuple[str, ...] = ()  # other sources holding the same text (a re-published copy)
    # Where each paragraph starts in `text` and who speaks in it (indexes into `speakers`):
    # a passage holds a question and its answer, so who said a sentence is read per turn.
    turns: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def turn_at(self, offset: int) -> tuple[int, tuple[Speaker, ...]]:
        """The start in `text` of the paragraph holding `offset`, and its speakers."""
        start, who = 0, tuple(range(len(self.speakers))) if not self.turns else ()
        for turn_start, indexes in self.turns:
            if turn_start > offset:
                break
            start, who = turn_start, indexes
        return start, tuple(self.speakers[i] for i in who if i < len(self.speakers))

    @property
    def heading(self) -> str:
        """The agenda item's title and the section's: "Public contact — Freedom of Information Requests"."""
        return " — ".join(h for h in (self.item_title, self.section) if h)

    @property
    def index_text(self) -> str:
        """What BM25 and the embedder see: the passage under its agenda item and section,
        so a heading ("Tackle violence against women and girls") counts for every passage
        beneath it."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


@dataclass(frozen=True)
class ParsedFile:
    """Everything read from one corpus file."""

    source: str
    text: str  # the extracted text that all offsets point into
    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...] = field(default=(), repr=False)
    actions: tuple[Action, ...] = ()
    passages: tuple[Passage, ...] = ()


# -- JSON -------------------------------------------------------------------------

def to_json(record: Any) -> Any:
    """A record (or tuple/list of them) as JSON-ready data, dates as ISO strings."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_json(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, (list, tuple)):
        return [to_json(r) for r in record]
    if isinstance(record, date):
        return record.isoformat()
    return record


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def speaker_from_json(data: dict[str, Any]) -> Speaker:
    return Speaker(**data)


def passage_from_json(data: dict[str, Any]) -> Passage:
    values = dict(data)
    values["meeting_date"] = _date(values["meeting_date"])
    values["speakers"] = tuple(speaker_from_json(s) for s in values["speakers"])
    values["also_in"] = tuple(values.get("also_in", ()))
    values["turns"] = tuple((int(start), tuple(int(i) for i in who)) for start, who in values.get("turns", ()))
    if values.get("date_range"):
        values["date_range"] = (_date(values["date_range"][0]), _date(values["date_range"][1]))
    return Passage(**values)


def action_from_json(data: dict[str, Any]) -> Action:
    values = dict(data)
    values["due"] = _date(values["due"])
    values["meeting_date"] = _date(values["meeting_date"])
    values["speaker"] = speaker_from_json(values["speaker"]) if values.get("speaker") else None
    values["refers_to"] = _date(values.get("refers_to"))
    return Action(**values)


def document_from_json(data: dict[str, Any]) -> Document:
    values = dict(data)
    values["date"] = _date(values["date"])
    if values.get("date_range"):
        values["date_range"] = (_date(values["date_range"][0]), _date(values["date_range"][1]))
    values["attendees"] = tuple(Attendee(**a) for a in values["attendees"])
    values["items"] = tuple(AgendaItem(**i) for i in values["items"])
    return Document(**values)

"""One file's extracted text into documents, agenda items, paragraphs, speakers and actions.

The stages are separate modules (layout, documents, roster, speakers, actions, chunk);
this one runs them in order for each document of a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from indexer import actions as action_parser
from indexer.chunk import chunk_paragraphs
from indexer.dates import month_range
from indexer.documents import (
    DATE_LINE_RE,
    MINUTES_BODY_RE, NOTES_TITLE_BODY_RE, OWN_WORDS_RE, DateEvidence, Segment, area_of, body_from_header, decision_maker, document_kind,
    document_title,
    find_segments, header_lines, inferred_range, meeting_date, minutes_header, next_meeting_body, normalise_body,
    decision_signatory, pack_date, read_title_block, report_author_role, titled_body, body_with_area, vouched_area,
)
from indexer.layout import Block, build_blocks, capitalised_share, furniture_lines, split_lines
from indexer.read import ExtractedText
from indexer.records import AgendaItem, Attendee, Document, Paragraph, ParsedFile, Speaker
from indexer.roles import canonical_role
from indexer.roster import parse_roster
from indexer.speakers import find_speakers
from indexer.vocabulary import HONORIFIC_PATTERN, MEETING_KINDS, DocumentKind, find_area, strip_titles

# Kinds whose numbered headings are agenda items in order, whatever their wording.
ITEMISED_KINDS = MEETING_KINDS | {DocumentKind.AGENDA}
DECISION_HEADING_RE = re.compile(r"^\s*(?:the\s+)?decision\s*(?::|$)", re.I)
ACTION_TABLE_HEADER_RE = re.compile(r"^\s*status\s+owner\s+due\s*date\s*$", re.I)
NEXT_MEETING_LINE_RE = re.compile(r"^\s*date\s+of\s+(?:the\s+)?next\b", re.I)
ACTIONS_HEADING_RE = re.compile(r"^(?:overview|summary|schedule|list)?\s*(?:of\s+)?actions?(?:\s+(?:log|arising|list|table))?:?$", re.I)
ACTION_TABLE_TITLE = "Actions (status, owner, due date)"
# A meeting page's label before what was minuted under an item; the agenda's wording
# above it is not what was said.
MINUTES_LABEL_RE = re.compile(r"^\s*minutes\s*:\s*$", re.I)


@dataclass(frozen=True)
class ManifestRow:
    """What only the publisher knows about a file."""

    body: str | None = None
    document_type: str | None = None
    source_url: str | None = None
    date: date | None = None
    area: str | None = None


def parse_text(source: str, text: str, manifest: ManifestRow = ManifestRow()) -> ParsedFile:
    lines = split_lines(text)
    repeated = furniture_lines(lines)
    segments = find_segments(lines)
    blocks_by_segment = []
    for n, seg in enumerate(segments):
        title_block = read_title_block(lines, seg)
        blocks = build_blocks(lines[seg.first : seg.last], _relative(title_block.consumed, seg), repeated)
        blocks_by_segment.append((seg, title_block, blocks))
    file_date = pack_date([tb.fields for _, tb, _ in blocks_by_segment])

    documents: list[Document] = []
    paragraphs: list[Paragraph] = []
    actions = []
    for n, (seg, title_block, blocks) in enumerate(blocks_by_segment):
        seg_text = text[lines[seg.first].start : lines[seg.last - 1].end]
        top = tuple(header_lines(lines, seg))
        kind = document_kind(seg.kind, title_block.fields, manifest.document_type, top, bool(title_block.roster), seg_text)
        header = minutes_header(lines, seg)
        area = area_of(top, manifest.area, source, seg_text)
        read_body = _body(kind, title_block.fields, header, top, seg_text)
        if read_body is not None and not manifest.body:
            # Where the manifest names the body, its naming stands: one board is not called
            # two names because one of its records' headings names the area.
            read_body = body_with_area(read_body, vouched_area(top, manifest.area, source, seg_text))
        body = read_body or normalise_body(manifest.body)
        roster = parse_roster(title_block.roster, panel=kind == DocumentKind.MINUTES)
        if kind in MEETING_KINDS:
            listed = {a.name for a in roster}
            for welcomed in parse_roster(title_block.welcomed):
                if welcomed.name not in listed:
                    roster += (welcomed,)
                    listed.add(welcomed.name)
        author_role = report_author_role(kind, seg_text)
        signed_by = decision_signatory(seg_text) if kind == DocumentKind.DECISION and author_role is None else None
        items, doc_paragraphs = _items_and_paragraphs(kind, blocks, roster, author_role, signed_by)
        doc_id = f"{source}#{n}"
        doc_actions = action_parser.extract(doc_id, source, body, doc_paragraphs, blocks)
        evidence = DateEvidence(kind, title_block.fields, top, seg_text, source, manifest.date)
        the_date, inferred = meeting_date(evidence)
        date_range = None
        if inferred and the_date is not None:
            date_range, the_date = (the_date, the_date), None  # a year completed from evidence
        elif the_date is None:
            date_range = inferred_range(seg_text, [a.due for a in doc_actions if a.due])
            if date_range is None and file_date is not None:
                month = month_range(_first_line(blocks))
                if month is None or month[0] <= file_date <= month[1]:
                    date_range = (file_date, file_date)  # the meeting the pack was sent for
            if date_range is None and manifest.date is not None:
                date_range = (manifest.date, manifest.date)
        document = Document(
            id=doc_id,
            source=source,
            kind=kind,
            title=document_title(kind, title_block.fields, body, _first_line(blocks)),
            body=body,
            date=the_date,
            date_range=date_range,
            date_inferred=the_date is None and date_range is not None,
            attendees=roster,
            items=tuple(items),
            start=lines[seg.first].start,
            end=lines[seg.last - 1].end,
            source_url=manifest.source_url,
            author_role=author_role or signed_by,
            area=area,
        )
        documents.append(document)
        paragraphs.extend(doc_paragraphs)
        actions.extend(replace(a, area=area) for a in action_parser.date_actions(doc_actions, document))
    passages = []
    for document in documents:
        doc_paragraphs = [p for p in paragraphs if document.start <= p.start < document.end or p.start == document.start]
        passages.extend(chunk_paragraphs(document, doc_paragraphs))
    return ParsedFile(source, text, tuple(documents), tuple(paragraphs), tuple(actions), tuple(passages))


def _relative(consumed: set[int], seg: Segment) -> set[int]:
    return {i - seg.first for i in consumed}


def _first_line(blocks: list[Block]) -> str:
    return blocks[0].text if blocks else ""


def _body(kind: str, fields: dict[str, str], header: str, top: tuple[str, ...], text: str) -> str | None:
    """The body whose meeting or papers these are, from the first place that names it."""
    def minutes_of() -> str | None:
        m = MINUTES_BODY_RE.search(header) or NOTES_TITLE_BODY_RE.search(header)
        return normalise_body(m.group("body")) if m else None

    def notes_title() -> str | None:
        return titled_body(fields["title"]) if kind == DocumentKind.MEETING_NOTES and fields.get("title") else None

    def addressed_to() -> str | None:
        return normalise_body(re.split(r"\s+[–—-]\s+", fields["to"])[0]) if fields.get("to") else None

    def next_meeting() -> str | None:
        return next_meeting_body(text) if kind in MEETING_KINDS else None

    def office() -> str | None:
        return decision_maker(top) if kind == DocumentKind.DECISION else None

    finders: tuple[Callable[[], str | None], ...] = (
        minutes_of, notes_title, addressed_to, office, lambda: body_from_header(top), next_meeting,
    )
    found = next((b for b in (f() for f in finders) if b), None)
    if found is not None and find_area(found) is None:
        # "MINUTES OF A MEETING OF THE POLICE AND CRIME PANEL" under "WILTSHIRE POLICE AND
        # CRIME PANEL": the heading's fuller name of the same body.
        titled = body_from_header(top)
        if titled and find_area(titled) and titled.lower().endswith(found.lower()):
            return titled
    return found


# How an item number orders: its sequence and what follows ("4i" after "4"). A reference
# counts by its item part ("Ref/04/14/03/2025" is item 4); a minute number by its first
# part ("57/21").
ITEM_ORDER_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^[A-Za-z]{1,12}/(\d+)/()"),
    re.compile(r"^(\d+)(.*)"),
)


def _item_number_value(number: str) -> tuple[int, str]:
    m = next((m for m in (f.match(number) for f in ITEM_ORDER_FORMS) if m), None)
    return (int(m.group(1)), m.group(2)) if m else (0, number)


# "(Cllr Shane Mochrie-Cox, Gravesham Borough Council)": who put the question above it.
QUESTION_BY_RE = re.compile(
    rf"^\(?(?P<name>(?:{HONORIFIC_PATTERN}\s+)+[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){{0,3}})\s*,\s*[^()]{{3,80}}\)?$"
)


# Written questions and their answers, labelled rather than reported: "Question 2 – Councillor
# Ajay Rao (Borough Council)", "Q3 from Cllr Lee:", "Response from the Police and Crime
# Commissioner:", "Answer:". What follows a label, up to the next label or item, is that
# person's or office's own words.
QUESTION_LABEL_RE = re.compile(
    rf"^(?i:(?:(?:written|supplementary)\s+)?question|q)\s*\.?\s*(?i:no\.?\s*)?(?:\d{{1,3}}[a-z]?)?\s*"
    rf"(?:[:–—-]|\s(?i:from|by|asked\s+by)\s)+\s*(?:the\s+)?(?P<name>(?:(?i:{HONORIFIC_PATTERN})\s+)*[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){{0,3}})"
    r"(?:\s*[,(].{0,80})?\s*:?\s*$"
)
ANSWER_LABEL_RE = re.compile(
    r"^(?:(?:written|supplementary)\s+)?(?:response|answer|reply)(?:\s+(?:from|by|of)\s+(?:the\s+)?(?P<office>[^:]{3,80}?))?\s*[:.–—-]?\s*$",
    re.I,
)


def qa_label(text: str, roster: tuple[Attendee, ...], kind: str) -> Speaker | None:
    """Who speaks after a written question's or answer's label; None when `text` is no label.

    An answer with no office named is the commissioner's in a questions paper (that is
    whom the questions are put to) and unknown elsewhere."""
    if (m := ANSWER_LABEL_RE.match(text.strip())) is not None:
        office = m.group("office")
        role = canonical_role(office) if office else ("PCC" if kind == DocumentKind.QUESTIONS else None)
        if role is None:
            return None
        from indexer.speakers import resolve_role

        return resolve_role(role, roster, office or "the Commissioner")
    if (m := QUESTION_LABEL_RE.match(text.strip())) is not None:
        return _asker(strip_titles(m.group("name")), roster)
    return None


@dataclass(frozen=True)
class SpeakerContext:
    """What a paragraph with no speaker of its own may take its speaker from."""

    block: Block
    previous: Speaker | None  # the last speaker named before it
    inherited: tuple[Speaker, ...]  # who introduced the list it belongs to
    author: Speaker | None  # a report's author, once their own words begin
    labelled: Speaker | None  # under a written question's or answer's label
    heading: str  # the section or item it sits under
    meeting: bool


def _continued(c: SpeakerContext) -> list[Speaker]:
    """The rest of a paragraph broken by a page header ("… the CC said that / the figures …")."""
    return [c.previous] if c.block.kind == "paragraph" and c.block.text[:1].islower() and c.previous else []


def _listed_under(c: SpeakerContext) -> list[Speaker]:
    """"the CC advised: o … o …": the list is still his."""
    return list(c.inherited) if c.block.kind == "subbullet" else []


def _under_label(c: SpeakerContext) -> list[Speaker]:
    """"Response from the Police and Crime Commissioner:" — the answer below is the PCC's."""
    return [c.labelled] if c.labelled is not None and _reads_as_words(c.block.text) else []


def _authors_words(c: SpeakerContext) -> list[Speaker]:
    return [c.author] if c.author is not None and _reads_as_words(c.block.text) else []


def _form_heading(c: SpeakerContext) -> list[Speaker]:
    """On a form, comments sit under the office that wrote them ("Chief Executive:")."""
    role = canonical_role(c.heading.rstrip(" :")) if c.heading else None
    return [Speaker(role=role, name=None, as_named=c.heading.rstrip(" :"))] if role and not c.meeting else []


# Tried in order for a paragraph that names no speaker; the first that finds one decides.
SPEAKER_FALLBACKS: tuple[Callable[[SpeakerContext], list[Speaker]], ...] = (
    _continued, _listed_under, _under_label, _form_heading, _authors_words,
)


def _asker(name: str, roster: tuple[Attendee, ...]) -> Speaker:
    """The member who put a written question: through the roster, else as named, a Member."""
    from indexer.speakers import resolve_person

    found = resolve_person(name, roster)
    if found is not None and found.role is not None:
        return found
    return Speaker(role="Member", name=name, as_named=name)


def _reads_as_words(text: str) -> bool:
    """Prose rather than a row of figures ("78,828 2,094 2,289")."""
    letters = sum(c.isalpha() for c in text)
    return letters >= 0.5 * sum(not c.isspace() for c in text)


def _table_header_end(blocks: list[Block], i: int) -> int | None:
    """The header row of an action table, on one line or one cell a line (Word export)."""
    for width in (1, 2, 3):
        cells = blocks[i : i + width]
        if len(cells) == width and ACTION_TABLE_HEADER_RE.match(" ".join(b.text for b in cells)):
            return i + width - 1
    return None


def _numbered_headings(blocks: list[Block], meeting: bool) -> set[int]:
    """Which numbered headings open agenda items.

    In minutes and notes, any numbered heading whose number goes up. In reports only a
    run counted from 1 ("1. Introduction", "2. Complaints procedure"), of lines that read
    as headings: a numbered list in a table ("4. Burglary / Robbery") is not a structure.
    """
    chosen: set[int] = set()
    last: tuple[int, str] | None = None
    for i, block in enumerate(blocks):
        if block.kind != "heading" or block.number is None:
            continue
        value = _item_number_value(block.number)
        if meeting:
            if last is None or value > last:
                chosen.add(i)
                last = value
            continue
        expected = 1 if last is None else last[0] + 1
        if value[0] == expected and not value[1] and capitalised_share(block.text) >= 0.5:
            chosen.add(i)
            last = value
    if not meeting and len(chosen) < 2:
        return set()  # one numbered line is not a structure
    return chosen


def _items_and_paragraphs(
    kind: str, blocks: list[Block], roster: tuple[Attendee, ...], author_role: str | None,
    signed_by: str | None = None,
) -> tuple[list[AgendaItem], list[Paragraph]]:
    """Walk the blocks: numbered headings open agenda items, other headings sections."""
    meeting = kind in ITEMISED_KINDS
    headings = _numbered_headings(blocks, meeting)
    numbered_items = bool(headings)
    # A report's author speaks from the first paragraph in their own voice ("Welcome to my
    # Annual Report"); a cover paper before it is the office's, in the third person. A
    # decision known only by its signature: the summary above is its originator's paper; the
    # signing commissioner's words begin at "DECISION".
    if signed_by:
        author, starts = Speaker(role=signed_by, name=None, as_named="the decision-maker"), DECISION_HEADING_RE
    else:
        author = Speaker(role=author_role, name=None, as_named="the author") if author_role else None
        starts = OWN_WORDS_RE
    author_from = next((n for n, b in enumerate(blocks) if starts.search(b.text)), 0)

    items: list[AgendaItem] = []
    paragraphs: list[Paragraph] = []
    item: AgendaItem | None = None
    section: str | None = None
    previous: Speaker | None = None
    inherited: tuple[Speaker, ...] = ()
    labelled: Speaker | None = None
    ended = False

    def open_item(number: str | None, title: str, block: Block) -> None:
        nonlocal item, section, previous, inherited, question_start, labelled
        if item is not None:
            items[-1] = replace(items[-1], end=block.start)
        item = AgendaItem(number, title, block.start, block.end)
        items.append(item)
        section, previous, inherited = None, None, ()
        labelled = None
        question_start = item_start[0] = len(paragraphs)

    # Headings stacked above the first paragraph are the title block, but for the last,
    # which heads that paragraph.
    title_end = next((n for n, b in enumerate(blocks) if b.kind != "heading"), len(blocks)) - 1
    skip_until = -1
    question_start = 0
    item_start = [0]  # where the open item's paragraphs begin
    for i, block in enumerate(blocks):
        if ended:
            break
        if i <= skip_until:
            continue
        if MINUTES_LABEL_RE.match(block.text) and item is not None:
            # "Minutes:" under an item of a meeting page: what comes before it is the
            # agenda's description of the item, what follows is the record.
            del paragraphs[item_start[0] :]
            section, previous, inherited = None, None, ()
            question_start = len(paragraphs)
            continue
        if meeting and NEXT_MEETING_LINE_RE.match(block.text):
            ended = True  # what follows the next meeting's date is letterhead
            continue
        header_end = _table_header_end(blocks, i)
        if header_end is not None:
            open_item(None, ACTION_TABLE_TITLE, block)
            skip_until = header_end
            continue
        in_table = item is not None and item.title == ACTION_TABLE_TITLE
        label = qa_label(block.text, roster, kind) if len(block.text) <= 160 and not in_table else None
        if label is not None:
            # A written question's or answer's label: never an item; the words below are
            # that person's or office's own.
            labelled = label
            if ANSWER_LABEL_RE.match(block.text.strip()):
                continue  # "Answer:" alone says nothing
            block = replace(block, kind="paragraph")
        elif labelled is not None and block.kind == "heading" and block.text.rstrip().endswith("?"):
            block = replace(block, kind="paragraph")  # the question put, under its label
        if block.kind == "heading" and block.number is None and QUESTION_BY_RE.match(block.text):
            block = replace(block, kind="paragraph")  # who asked the question above, not a heading
        if block.kind == "heading" and not (in_table and block.number is None):
            # In reports a numbered line is a heading only if it reads like one ("1. Introduction",
            # "3. Complaints since July 2022"), not a list entry ("1. Sexual offences, incl. rape").
            is_item = i in headings
            if is_item:
                open_item(block.number, block.text, block)
                continue
            if block.number is None:
                if ACTIONS_HEADING_RE.match(block.text) and item is not None and item.title == ACTION_TABLE_TITLE:
                    continue
                if not numbered_items and not meeting and i < title_end:
                    continue  # the document's own title lines ("DECISION NOTICE"), not items
                if item is None and DATE_LINE_RE.match(block.text):
                    continue  # "Meeting of 14 March 2024" above the first item: the title block's
                if not numbered_items and (not meeting or _item_heading(block)):
                    open_item(None, block.text, block)
                else:
                    section = block.text
                    inherited = ()
                question_start = len(paragraphs)
                continue
        if item is None and meeting:
            continue  # the header before the first item: title, letterhead
        speakers, last = find_speakers(block.text, roster, previous)
        if not speakers:
            context = SpeakerContext(
                block=block,
                previous=previous,
                inherited=inherited,
                author=author if i >= author_from else None,
                heading=section or (item.title if item else "") or "",
                meeting=meeting,
                labelled=labelled,
            )
            speakers = next((found for found in (f(context) for f in SPEAKER_FALLBACKS) if found), [])
        attribution = QUESTION_BY_RE.match(block.text)
        if attribution and not speakers:
            # "(Cllr Shane Mochrie-Cox, Gravesham Borough Council)" names who asked the
            # question above it.
            asker = _asker(attribution.group("name"), roster)
            paragraphs[question_start:] = [
                replace(p, speakers=(asker,)) if not p.speakers else p for p in paragraphs[question_start:]
            ]
            speakers = [asker]
        if block.text.rstrip().endswith(":") and speakers:
            inherited = tuple(speakers[-1:])
        elif block.kind != "subbullet":
            inherited = ()
        previous = last
        paragraphs.append(
            Paragraph(
                text=block.text,
                start=block.start,
                end=block.end,
                item_number=item.number if item else None,
                item_title=item.title if item else None,
                section=section,
                speakers=tuple(speakers),
            )
        )
    if items and paragraphs:
        items[-1] = replace(items[-1], end=max(items[-1].end, paragraphs[-1].end))
    return items, paragraphs


def _item_heading(block: Block) -> bool:
    """In minutes without numbers, a heading in capitals ("APOLOGIES FOR ABSENCE") or a
    top-level Markdown heading opens an agenda item."""
    return block.text.isupper() or 1 <= block.level <= 3


def parse_file(extracted: ExtractedText, row: dict[str, str] | None = None) -> ParsedFile:
    """The parser as the index builder calls it: extracted text plus its manifest row."""
    from indexer.manifest import manifest_row

    return parse_text(extracted.source, extracted.text, manifest_row(row))

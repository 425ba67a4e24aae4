"""What the web app shows, as plain functions over the index: result cards, answers,
timelines, the commitments ledger, the documents list and the exports.

No Gradio here, so every view can be tested without a browser; ui/app.py only lays the
views out and wires the events. No retrieval logic either: each view calls one function
of `search` and turns its result into HTML.

Everything that comes from the records (passages, titles, names, notes, even the query
as understood) goes through `esc` before it becomes HTML, so a document containing markup
or a script shows as text.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from indexer.errors import QueryError, ScrutinyError
from indexer.records import Attendee, Document, Passage, Speaker
from indexer.roles import canonical_role, role_title
from indexer.store import LoadedIndex
from search.answer import NO_ANSWER, Answer, answer
from search.engine import Hit, Searcher, SearchResult, topic_terms
from indexer.sentences import readable, sentence_spans
from search.labels import meeting_label
from search.filters import DOCUMENT_KINDS, Filters, filter_mask
from search.ledger import STATUSES, LedgerEntry
from indexer.lexical import tokenize
from search.timeline import TimelinePoint, relevant_rows, timeline
from search.understand import Understood, typed_filters

log = logging.getLogger("scrutiny.ui")

# A query longer than this is cut (at a word boundary) and the cut is noted: a pasted
# paragraph still gets results, and no request can make the query parser work for long.
MAX_QUERY_CHARS = 2000
RESULT_COUNTS = (10, 20, 50)
DEFAULT_K = 20
# An agenda item longer than this opens as a window around the passage, so one card
# never carries a whole annual report.
MAX_ITEM_CHARS = 30_000
# Exports are written only when asked for; older ones than this are deleted when the next
# one is written, and at most EXPORTS_KEPT are kept whatever their age.
EXPORT_MAX_AGE_S = 600
EXPORTS_KEPT = 32

HELP = (
    "Type keywords (“101 calls”) or a question (“What did the Chief Constable say about 101 calls "
    "since 2019?”). The filters narrow the records before ranking; what the question was understood "
    "to ask is shown above the results."
)

# What kind of record a passage is: whose words you are reading.
REPORTED = "a minute-taker’s summary of what was said (reported speech)"
RECORD_TYPES: dict[str, tuple[str, str]] = {
    "minutes": ("Minutes", REPORTED),
    "meeting notes": ("Meeting notes", REPORTED),
    "report": ("Report", "its author’s own words"),
    "annual report": ("Annual report", "its author’s own words"),
    "decision": ("Decision record", "the decision-maker’s own words"),
    "questions": ("Written questions", "the questions as submitted, in their askers’ words"),
    "work programme": ("Work programme", "a planning list, not a record of what was said"),
}

STATUS_HELP = {
    "done": "a later meeting records it discharged, received or delivered",
    "deferred": "a later record puts it off to a new due point",
    "open": "not recorded as done and not yet due, or with no due date",
    "overdue": "the meeting it was due at is in the records and records no delivery",
    "unknown": "the meeting that would say is not in the records",
}


# -- small pieces ----------------------------------------------------------------------

def esc(text: object) -> str:
    """Text from the records as HTML text: never markup."""
    return html.escape("" if text is None else str(text), quote=True)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def user_message(exc: BaseException) -> str:
    """What a user sees for an error: one line, no traceback. Our own errors say what to
    do; anything else is named by its type only (the details go to the server log)."""
    if isinstance(exc, ScrutinyError):
        return one_line(str(exc)) or type(exc).__name__
    return f"Something went wrong ({type(exc).__name__}); the details are in the server log. Try again or change the query."


def error_html(exc: BaseException) -> str:
    """An error in place of a panel's content: the panel never keeps the previous query's
    results under a message about this one."""
    if not isinstance(exc, ScrutinyError):
        log.error("unexpected error", exc_info=exc)
    return f'<p class="error" role="alert"><strong>Error:</strong> {esc(user_message(exc))}</p>'


def record_type(kind: str) -> str:
    name, whose = RECORD_TYPES.get(kind, (kind.capitalize() or "Document", "the document’s own text"))
    return f"{name}: {whose}"


def speaker_label(s: Speaker) -> str:
    title = _role_title(s.role)
    role = f"{s.role}, {title}" if s.role and title and title != s.role else (s.role or "")
    name = s.name or ("name unknown" if s.role else s.as_named)
    label = f"{name} ({role})" if role else name
    return label + (" [name inferred from neighbouring meetings]" if s.name_inferred else "")


def speakers_label(speakers: Sequence[Speaker]) -> str:
    return "; ".join(speaker_label(s) for s in speakers) or "speaker not identified"


@lru_cache(maxsize=256)
def _role_title(role: str | None) -> str | None:
    if not role:
        return None
    try:
        return role_title(role)
    except ScrutinyError:
        return None


def item_label(p: Passage) -> str:
    if p.item_number:
        label = f"Item {p.item_number}. {p.item_title or ''}".strip()
    else:
        label = p.item_title or p.document_title
    return label + (f" › {p.section}" if p.section else "")


def date_text(when: date | None, inferred: bool, date_range: tuple[date, date] | None = None) -> str:
    """A meeting date as shown: ISO for a stated date; for an undated meeting what is known
    of it ("undated; between 12 June and 11 December 2024")."""
    if inferred:
        return meeting_label(when, date_range, inferred)
    return when.isoformat() if when else "undated"


def clean_query(text: str | None) -> tuple[str, str | None]:
    """The query as searched, and a note when it had to be cut."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text or "").strip()
    if len(text) <= MAX_QUERY_CHARS:
        return text, None
    cut = text[:MAX_QUERY_CHARS]
    space = cut.rfind(" ")
    if space > MAX_QUERY_CHARS // 2:
        cut = cut[:space]
    return cut, f"query cut to its first {len(cut):,} of {len(text):,} characters"


# -- highlighting and context -------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str | None:
    stems = tokenize(word)
    return stems[0] if stems else None


def query_terms(text: str) -> frozenset[str]:
    """The stems to highlight: the query's topic words, or all its words when it has only
    question words ("what was said")."""
    return frozenset(topic_terms(text) or tokenize(text))


def highlight(text: str, terms: Iterable[str]) -> str:
    """`text` escaped, with the words whose stem is one of `terms` in <mark>. Each piece is
    escaped on its own, so a match can never split an entity or a tag."""
    terms = frozenset(terms)
    if not terms:
        return esc(text)
    out: list[str] = []
    last = 0
    for m in _WORD_RE.finditer(text):
        if _stem(m.group(0)) in terms:
            out.append(esc(text[last : m.start()]))
            out.append(f"<mark>{esc(m.group(0))}</mark>")
            last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def highlight_passage(text: str, terms: Iterable[str]) -> str:
    """`highlight`, with the sentence holding most of the query's words marked as the one
    to read first: a passage is a section of an agenda item, often several paragraphs."""
    terms = frozenset(terms)
    spans = sentence_spans(text)
    best, best_count = None, 0
    for start, end in spans:
        count = len(terms & {_stem(w) for w in _WORD_RE.findall(text[start:end])})
        if count > best_count:
            best, best_count = (start, end), count
    if best is None or len(spans) < 2 or best_count < min(2, len(terms)):
        return highlight(text, terms)
    start, end = best
    return (
        highlight(text[:start], terms)
        + f'<span class="best" title="the sentence with most of the words searched for">{highlight(text[start:end], terms)}</span>'
        + highlight(text[end:], terms)
    )


@dataclass(frozen=True)
class ItemContext:
    heading: str
    text: str  # the agenda item's text, from the index
    here: tuple[int, int] | None  # where the passage lies in `text`
    from_source: bool  # True: sliced from the extracted source text; False: rebuilt from passages
    cut: tuple[int, int] = (0, 0)  # characters left out before and after (very long items)


class Records:
    """Look-ups over a loaded index that the views share: documents by id, and a row
    per passage id."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.documents = {d.id: d for d in index.documents}
        self.rows = {p.id: n for n, p in enumerate(index.passages)}

    def document(self, p: Passage) -> Document | None:
        return self.documents.get(p.document_id)

    def date_range(self, p: Passage) -> tuple[date, date] | None:
        doc = self.document(p)
        return doc.date_range if doc else None

    def item_context(self, p: Passage) -> ItemContext:
        """The whole agenda item a passage belongs to, served from the index: the item's
        span of the extracted text when the document records it, else the item rebuilt
        from its passages in order."""
        doc = self.document(p)
        source_text = self.index.texts.get(p.source)
        heading = item_label(p).split(" › ")[0]
        if doc is not None and source_text is not None:
            covering = [i for i in doc.items if i.start <= p.start < i.end]
            same = [i for i in covering if (i.number, i.title) == (p.item_number, p.item_title)]
            candidates = same or covering
            if candidates:
                item = candidates[-1]
                text = source_text[item.start : item.end]
                span = (max(0, p.start - item.start), min(len(text), p.end - item.start))
                return _windowed(ItemContext(heading, text, span, True))
        members = sorted(
            (q for q in self.index.passages
             if q.document_id == p.document_id and (q.item_number, q.item_title) == (p.item_number, p.item_title)),
            key=lambda q: q.start,
        )
        parts: list[str] = []
        here: tuple[int, int] | None = None
        offset = 0
        for q in members:
            if parts:
                offset += 2
            if q.id == p.id:
                here = (offset, offset + len(q.text))
            parts.append(q.text)
            offset += len(q.text)
        return _windowed(ItemContext(heading, "\n\n".join(parts) or p.text, here or (0, len(p.text)), False))


def _windowed(ctx: ItemContext) -> ItemContext:
    if len(ctx.text) <= MAX_ITEM_CHARS or ctx.here is None:
        return ctx
    start, end = ctx.here
    spare = max(0, MAX_ITEM_CHARS - (end - start)) // 2
    lo = max(0, start - spare)
    hi = min(len(ctx.text), max(end + spare, lo + MAX_ITEM_CHARS))
    return ItemContext(ctx.heading, ctx.text[lo:hi], (start - lo, end - lo), ctx.from_source, (lo, len(ctx.text) - hi))


_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _tidy(text: str) -> str:
    """Runs of blank lines (PDF and Word extraction leave many) shown as one, and markup an
    export left in ("22<sup>nd</sup>") removed."""
    return readable(_BLANK_LINES_RE.sub("\n\n", text))


def render_item_context(ctx: ItemContext, terms: Iterable[str]) -> str:
    terms = frozenset(terms)
    if ctx.here is None:
        body = highlight(_tidy(ctx.text), terms)
    else:
        a, b = ctx.here
        body = (
            highlight(_tidy(ctx.text[:a]), terms)
            + '<span class="here" title="the passage found">' + highlight(_tidy(ctx.text[a:b]), terms) + "</span>"
            + highlight(_tidy(ctx.text[b:]), terms)
        )
    before = f'<p class="cut">[… {ctx.cut[0]:,} characters of this item before]</p>' if ctx.cut[0] else ""
    after = f'<p class="cut">[… {ctx.cut[1]:,} characters of this item after]</p>' if ctx.cut[1] else ""
    how = "the item as extracted from the source" if ctx.from_source else "the item rebuilt from its indexed passages"
    return (
        f'<div class="item-context"><p class="context-note">{esc(ctx.heading)} — {how}; the passage found is '
        f"underlined.</p>{before}<div class=\"item-text\">{body}</div>{after}</div>"
    )


MAX_TERMS = 64


def item_context_html(records: Records, passage_id: str, terms: str = "") -> str:
    """The agenda item around one passage, for a card's disclosure; the id comes from the
    page, so an unknown one gets a message, never an error."""
    row = records.rows.get(str(passage_id))
    if row is None:
        return '<p class="empty">This passage is not in the index any more: search again.</p>'
    wanted = frozenset(t for t in str(terms).split()[:MAX_TERMS] if len(t) <= 40)
    return render_item_context(records.item_context(records.index.passages[row]), wanted)


# -- result cards --------------------------------------------------------------------------

def render_card(
    records: Records,
    p: Passage,
    terms: Iterable[str],
    *,
    rank: int | None = None,
    hit: Hit | None = None,
    label: str | None = None,
    lazy: bool = False,
) -> str:
    """One passage as a card: date, body, item, speaker, record type, the highlighted text,
    and the whole agenda item behind a disclosure. With `lazy`, the item is left out and
    the disclosure carries the passage id and terms, for the page to fetch it on opening
    (`item_context_html`): twenty items inline would make a page of several hundred KB."""
    terms = frozenset(terms)
    when = date_text(p.meeting_date, p.date_inferred, records.date_range(p))
    inferred = ' <span class="flag">inferred</span>' if p.date_inferred else ""
    number = f'<span class="rank">{rank}</span>' if rank is not None else ""
    tag = f'<p class="card-label">{esc(label)}</p>' if label else ""
    ranks = ""
    if hit is not None and (hit.lexical_rank or hit.dense_rank):
        ranks = f" · matched words #{hit.lexical_rank or '–'}, meaning #{hit.dense_rank or '–'}"
    if lazy:
        details = (
            f'<details class="context" data-passage="{esc(p.id)}" data-terms="{esc(" ".join(sorted(terms)))}">'
            '<summary>Open the whole agenda item in context</summary><div class="context-slot"></div></details>'
        )
    else:
        details = ('<details class="context"><summary>Open the whole agenda item in context</summary>'
                   f"{render_item_context(records.item_context(p), terms)}</details>")
    return (
        f'<article class="card" data-passage="{esc(p.id)}">{tag}'
        f'<header class="card-head">{number}<span class="date">{esc(when)}</span>{inferred}'
        f'<span class="sep"> · </span><span class="body">{esc(p.body or "body not recorded")}</span></header>'
        f'<p class="item">{esc(item_label(p))}</p>'
        f'<p class="speaker"><span class="k">Speaker:</span> {esc(speakers_label(p.speakers))}</p>'
        f'<p class="kind"><span class="k">Record:</span> {esc(record_type(p.document_kind))} — {esc(p.document_title)}</p>'
        f'<blockquote class="passage">{highlight_passage(readable(p.text), terms)}</blockquote>'
        f"{details}"
        f'<p class="source">Source: {esc(p.source)} · characters {p.start:,}–{p.end:,}{esc(ranks)}'
        + (f" · also published in {esc(', '.join(p.also_in))}" if p.also_in else "")
        + "</p>"
        "</article>"
    )


def understood_html(u: Understood, matched: int | None, extra: Sequence[str] = ()) -> str:
    """What the query was understood to ask ("speaker: CC · since 2019-01-01"), escaped."""
    notes = [*u.notes, *extra]
    parts = [" · ".join(notes) or "no filters", f"searching for “{u.text}”" if u.text else "no topic words: listing by date"]
    if matched is not None:
        parts.append(f"{matched:,} passage{'s' if matched != 1 else ''} pass the filters")
    return f'<p class="understood"><span class="k">Understood:</span> {esc(" · ".join(parts))}</p>'


# -- search -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """What the user typed: the box and the filters beside it."""

    text: str = ""
    speaker: str = ""
    since: str = ""
    until: str = ""
    body: str = ""
    kind: str = ""

    def typed(self) -> dict[str, str]:
        """The filter boxes as typed, by the names of Filters' fields."""
        return {name: value for name, value in vars(self).items() if name != "text"}

    def filters(self) -> Filters:
        """The filter boxes as one Filters; QueryError (one line) for a value that cannot be read."""
        return typed_filters(**self.typed())

    @property
    def filtered(self) -> bool:
        return any(value is not None and str(value).strip() for value in self.typed().values())


@dataclass(frozen=True)
class SearchView:
    query: Query
    result: SearchResult | None  # None when nothing was searched (empty box) or on an error
    notes_html: str
    cards_html: str
    cut_note: str | None = None
    error: str | None = None  # the one-line error shown instead of results


def safe_search(
    searcher: Searcher, records: Records, q: Query, *, sort: str = "relevance", k: int = DEFAULT_K, lazy: bool = False
) -> SearchView:
    """`run_search`, with an error as the view (message in place of the results) rather
    than an exception that would leave the previous results on screen."""
    try:
        return run_search(searcher, records, q, sort=sort, k=k, lazy=lazy)
    except Exception as exc:  # noqa: BLE001 - one line for the user, the details in the log
        return SearchView(q, None, error_html(exc), "", error=user_message(exc))


def run_search(
    searcher: Searcher, records: Records, q: Query, *, sort: str = "relevance", k: int = DEFAULT_K, lazy: bool = False
) -> SearchView:
    """Ranked passages as cards. Raises ScrutinyError (one line) for a query or filter that
    cannot be understood; an empty box gets the help text, not an error."""
    text, cut = clean_query(q.text)
    q = replace(q, text=text)
    if not text and not q.filtered:
        return SearchView(q, None, "", f'<p class="help">{esc(HELP)}</p>')
    k = int(k) if k else DEFAULT_K
    if not 1 <= k <= max(RESULT_COUNTS):
        raise QueryError(f"results: choose between 1 and {max(RESULT_COUNTS)}")
    result = searcher.search(text, k=k, sort=sort or "relevance", filters=q.filters())
    notes = understood_html(result.understood, result.matched, [x for x in (result.notice, cut) if x])
    terms = query_terms(result.understood.text)
    cards = [render_card(records, h.passage, terms, rank=n, hit=h, lazy=lazy) for n, h in enumerate(result.hits, start=1)]
    head = ""
    if result.weak and result.hits:
        head = ('<p class="weak"><strong>Weak evidence:</strong> no passage matches this closely; '
                "the nearest are shown below.</p>")
    if not result.hits:
        head = '<p class="empty">No passage passes these filters. Widen the dates or clear a filter.</p>'
    order = f"sorted by {sort}" if tokenize(result.understood.text) else "listed by date: no topic words to rank by"
    count = f'<p class="count">{len(result.hits)} result{"s" if len(result.hits) != 1 else ""}, {esc(order)}.</p>' if result.hits else ""
    return SearchView(q, result, notes, head + count + "".join(cards), cut)


# -- answer -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerView:
    answer: Answer | None
    html: str  # the answer (or the refusal) above the passages
    notes_html: str = ""  # what the question was understood to ask


def run_answer(
    searcher: Searcher, records: Records, q: Query, *, lazy: bool = False, use_model: bool = True
) -> AnswerView:
    """The cited answer, above the passages it quotes; or the plain statement that the
    records do not answer, above the nearest passages labelled as such. When the configured
    model failed, the quoted answer with a notice saying so."""
    text, cut = clean_query(q.text)
    if not text:
        return AnswerView(None, f'<p class="help">{esc("Ask a question in the box above to get an answer quoted from the records.")}</p>')
    result = answer(searcher, text, filters=q.filters(), use_model=use_model)
    view = _answer_view(records, result, cut, lazy)
    if result.notice:
        notice = f'<p class="notice model-notice"><strong>Note:</strong> {esc(result.notice)}</p>'
        return AnswerView(view.answer, notice + view.html, view.notes_html)
    return view


def _answer_view(records: Records, result: Answer, cut: str | None, lazy: bool) -> AnswerView:
    terms = query_terms(result.understood.text)
    notes = understood_html(result.understood, None, [cut] if cut else ())
    if not result.answered:
        cards = "".join(
            render_card(records, h.passage, terms, rank=n, hit=h, label="Nearest passage — it does not answer the question", lazy=lazy)
            for n, h in enumerate(result.nearest, start=1)
        )
        nearest = (f'<h3 class="nearest-title">Nearest passages (they do not answer the question)</h3>{cards}'
                   if cards else "")
        return AnswerView(result, f'<p class="no-answer"><strong>{esc(NO_ANSWER)}</strong></p>' + nearest, notes)
    if result.generated:
        lead = ("<p class=\"answer-kind\">Written by the configured language model from the passages below; "
                "every quote was checked: found word for word in its passage, and a clause that shares the claim's "
                "subject.</p>")
        if result.dropped_claims:
            lead += (f'<p class="answer-kind">{result.dropped_claims} claim(s) were dropped: a quote was not in its '
                     "passage, or too slight to support the claim.</p>")
        body = "".join(f"<p class=\"claim\">{esc(line)}</p>" for line in result.text.split("\n") if line.strip())
    else:
        lead = '<p class="answer-kind">Quoted from the records, in date order; nothing here is generated.</p>'
        body = "<ol class=\"citations\">" + "".join(
            f'<li><blockquote class="quote">“{highlight(c.text, terms)}”</blockquote>'
            f'<p class="cite">— {esc(c.label)} <span class="source">[{esc(c.passage.source)}]</span></p></li>'
            for c in result.citations
        ) + "</ol>"
    seen: dict[str, Passage] = {}
    for c in result.citations:
        seen.setdefault(c.passage.id, c.passage)
    cards = "".join(render_card(records, p, terms, rank=n, lazy=lazy) for n, p in enumerate(seen.values(), start=1))
    return AnswerView(
        result,
        f'<section class="answer"><h3>Answer</h3>{lead}{body}</section>'
        + f'<h3 class="quoted-title">The passages it quotes</h3>{cards}',
        notes,
    )


# -- timeline -------------------------------------------------------------------------------

TIMELINE_COLUMNS = ("meeting", "passages", "speaker")


@dataclass(frozen=True)
class Meeting:
    label: str  # "2019-09-25 Board": the chart's x value and the dropdown's value
    meeting_date: date | None
    date_inferred: bool
    body: str | None
    titles: tuple[str, ...]
    rows: tuple[int, ...]  # passage rows, most relevant first
    by_speaker: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TimelineView:
    notes_html: str
    frame: pd.DataFrame  # TIMELINE_COLUMNS: one row per meeting and speaker role
    table_html: str
    meetings: tuple[Meeting, ...]
    terms: frozenset[str] = field(default_factory=frozenset)
    chart_html: str = ""  # the bar chart: inline SVG, every label escaped


def primary_speaker(p: Passage) -> str:
    """The role a passage counts under in the chart: its first speaker's office."""
    if not p.speakers:
        return "not identified"
    s = p.speakers[0]
    return s.role or "named person, no role"


def _short_body(body: str | None) -> str:
    words = (body or "").split()
    return words[-1] if words else "no body"


def run_timeline(searcher: Searcher, q: Query) -> TimelineView:
    """How much was said about the query per meeting, by speaker role, with each meeting's
    passages (most relevant first) for the drill-down."""
    text, cut = clean_query(q.text)
    empty = pd.DataFrame({c: pd.Series(dtype="int64" if c == "passages" else "object") for c in TIMELINE_COLUMNS})
    if not text:
        return TimelineView("", empty, f'<p class="help">{esc("Search for a topic to see how much was said about it, meeting by meeting.")}</p>', ())
    try:
        understood, points = timeline(searcher, text, filters=q.filters())
    except QueryError as exc:
        if "topic" not in str(exc):
            raise
        return TimelineView("", empty, f'<p class="help">{esc(one_line(str(exc)))}</p>', ())
    notes = understood_html(understood, None, [cut] if cut else ())
    mask = filter_mask(searcher.passages, understood.filters, date_ranges=searcher.date_ranges)
    rows, scores = relevant_rows(searcher, understood.text, mask)
    members: dict[str, list[tuple[float, int]]] = {}
    for row, score in zip(rows.tolist(), np.asarray(scores).tolist()):
        members.setdefault(searcher.passages[row].document_id, []).append((float(score), int(row)))

    # One bar per meeting: the documents of one body on one date (an agenda pack's reports
    # belong to the panel meeting they were tabled at).
    # Keyed by area too: two areas' panels meeting on one day are two meetings.
    groups: dict[tuple[date | None, str | None, str | None], list[TimelinePoint]] = {}
    for point in points:
        groups.setdefault((point.meeting_date, point.body, point.top.passage.area), []).append(point)
    labels: dict[tuple[date | None, str | None, str | None], str] = {}
    for key in groups:
        when, body, _ = key
        labels[key] = f"{when.isoformat() if when else 'undated'}{'~' if any(p.date_inferred for p in groups[key]) else ''} {_short_body(body)}"
    dupes = Counter(labels.values())
    for key, label in labels.items():
        if dupes[label] > 1:
            labels[key] = f"{label} ({key[1] or 'no body'})"
    dupes = Counter(labels.values())
    for key, label in labels.items():
        if dupes[label] > 1:
            labels[key] = f"{label} ({key[2] or 'area not recorded'})"

    meetings: list[Meeting] = []
    frame_rows: list[tuple[str, int, str]] = []
    for key, pts in groups.items():
        chosen = sorted((m for p in pts for m in members.get(p.document_id, [])), reverse=True)
        row_ids = tuple(r for _, r in chosen)
        roles = Counter(primary_speaker(searcher.passages[r]) for r in row_ids)
        ordered = tuple(sorted(roles.items(), key=lambda kv: (-kv[1], kv[0])))
        meetings.append(Meeting(
            label=labels[key], meeting_date=key[0], date_inferred=any(p.date_inferred for p in pts),
            body=key[1], titles=tuple(dict.fromkeys(p.document_title for p in pts)),
            rows=row_ids, by_speaker=ordered,
        ))
        frame_rows += [(labels[key], n, role) for role, n in ordered]
    meetings.sort(key=lambda m: (m.meeting_date or date.min, m.label))
    frame = pd.DataFrame(frame_rows, columns=list(TIMELINE_COLUMNS)) if frame_rows else empty
    if frame_rows:
        frame = frame.sort_values(["meeting", "speaker"], kind="stable").reset_index(drop=True)
    return TimelineView(notes, frame, timeline_table(meetings, searcher), tuple(meetings), query_terms(understood.text),
                        timeline_chart(meetings))


# Okabe–Ito: distinguishable with the common colour-vision deficiencies; grey for "not identified".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
DARK = frozenset({"#0072B2", "#009E73", "#CC79A7", "#D55E00", "#000000"})
UNIDENTIFIED_COLOUR = "#9CA3AF"
ROW_PX = 50


def role_colours(meetings: Sequence[Meeting]) -> dict[str, str]:
    totals: Counter[str] = Counter()
    for m in meetings:
        totals.update(dict(m.by_speaker))
    roles = [r for r, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if r != "not identified"]
    colours = {r: PALETTE[n % len(PALETTE)] for n, r in enumerate(roles)}
    if "not identified" in totals:
        colours["not identified"] = UNIDENTIFIED_COLOUR
    return colours


def timeline_chart(meetings: Sequence[Meeting]) -> str:
    """Horizontal bars, one per meeting, split by speaker role: an inline SVG whose widths
    are percentages, so it fits any screen while its text keeps its size. Each segment
    carries its role and count as text (and a tooltip), so colour is never the only cue."""
    if not meetings:
        return ""
    colours = role_colours(meetings)
    most = max(len(m.rows) for m in meetings) or 1
    scale = 88.0 / most  # per cent of the width per passage; the rest is room for the total
    parts: list[str] = []
    clips: list[str] = []
    desc: list[str] = []
    for i, m in enumerate(meetings):
        y = i * ROW_PX
        when = (m.meeting_date.isoformat() if m.meeting_date else "undated") + (" (date inferred)" if m.date_inferred else "")
        who = ", ".join(f"{role} {n}" for role, n in m.by_speaker)
        label = f"{when} · {m.body or 'no body'}"
        desc.append(f"{label}: {len(m.rows)} passages ({who})")
        # The full label on a wide screen, the short one (the chart's meeting label) on a phone.
        parts.append(f'<text x="0" y="{y + 14}" class="tl-label tl-long">{esc(label)}</text>')
        parts.append(f'<text x="0" y="{y + 14}" class="tl-label tl-short">{esc(m.label)}</text>')
        x = 0.0
        counts = dict(m.by_speaker)
        for j, (role, n) in enumerate((r, counts[r]) for r in colours if r in counts):  # the legend's order
            width = n * scale
            colour = colours.get(role, UNIDENTIFIED_COLOUR)
            ink = "#FFFFFF" if colour in DARK else "#111111"
            parts.append(
                f'<rect x="{x:.3f}%" y="{y + 20}" width="{width:.3f}%" height="22" fill="{colour}" stroke="#FFFFFF" '
                f'stroke-width="1"><title>{esc(f"{role}: {n} passage" + ("s" if n != 1 else ""))}</title></rect>'
            )
            text = f"{role} {n}"
            if width >= 2.2 * len(text):  # roughly room for it on a phone; clipped to the segment anyway
                clip = f"tl-clip-{i}-{j}"
                clips.append(f'<clipPath id="{clip}"><rect x="{x:.3f}%" y="{y + 20}" width="{width:.3f}%" height="22"/></clipPath>')
                parts.append(f'<text x="{x:.3f}%" dx="5" y="{y + 36}" fill="{ink}" class="tl-seg" '
                             f'clip-path="url(#{clip})">{esc(text)}</text>')
            x += width
        parts.append(f'<text x="{x:.3f}%" dx="6" y="{y + 36}" class="tl-total">{len(m.rows)}</text>')
    parts.insert(0, f"<defs>{''.join(clips)}</defs>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{esc(role)}</li>' for role, colour in colours.items()
    )
    height = len(meetings) * ROW_PX
    return (
        f'<div class="tl-chart"><p class="tl-title">Passages about the query, per meeting, by first speaker</p>'
        f'<ul class="tl-legend">{legend}</ul>'
        f'<svg role="img" aria-labelledby="tl-title tl-desc" width="100%" height="{height}" class="tl-svg">'
        f'<title id="tl-title">Passages about the query, per meeting</title><desc id="tl-desc">{esc("; ".join(desc))}</desc>'
        f'{"".join(parts)}</svg></div>'
    )


def timeline_table(meetings: Sequence[Meeting], searcher: Searcher) -> str:
    if not meetings:
        return '<p class="empty">No passage in the records is about this.</p>'
    rows = []
    for m in meetings:
        who = ", ".join(f"{role} {n}" for role, n in m.by_speaker)
        top = searcher.passages[m.rows[0]].text.split("\n")[0] if m.rows else ""
        top = top if len(top) <= 220 else top[:219] + "…"
        when = (m.meeting_date.isoformat() if m.meeting_date else "undated") + (" (date inferred)" if m.date_inferred else "")
        # Name the documents only where they are not simply the body's own notes or minutes.
        named = [t for t in m.titles if not (m.body and m.body.lower() in t.lower())]
        titles = f'<br><span class="small">{esc("; ".join(named))}</span>' if named else ""
        rows.append(
            "<tr>"
            f'<td data-label="Meeting" class="nowrap">{esc(when)}</td>'
            f'<td data-label="Body">{esc(m.body or "-")}{titles}</td>'
            f'<td data-label="Passages" class="num">{len(m.rows)}</td>'
            f'<td data-label="By speaker">{esc(who)}</td>'
            f'<td data-label="Most relevant">“{esc(top)}”</td>'
            "</tr>"
        )
    return (
        '<table class="grid timeline-table"><caption>Meetings in date order; ~ marks an inferred date. '
        "Counts by the first speaker of each passage.</caption>"
        "<thead><tr><th>Meeting</th><th>Body</th><th>Passages</th><th>By speaker</th><th>Most relevant passage</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def meeting_passages(
    records: Records, meetings: Sequence[Meeting], label: str | None, terms: Iterable[str], *, lazy: bool = False
) -> str:
    """The passages of one meeting on the timeline, most relevant first."""
    if not label:
        return ""
    meeting = next((m for m in meetings if m.label == label), None)
    if meeting is None:
        return f'<p class="empty">{esc(f"No meeting {label!r} on this timeline: search again.")}</p>'
    passages = records.index.passages
    cards = "".join(render_card(records, passages[r], terms, rank=n, lazy=lazy) for n, r in enumerate(meeting.rows, start=1))
    return f'<h3>{esc(meeting.label)}: {len(meeting.rows)} passage{"s" if len(meeting.rows) != 1 else ""}</h3>{cards}'


# -- commitments -----------------------------------------------------------------------------

ANY = "any"


def ledger_owners(entries: Sequence[LedgerEntry]) -> list[str]:
    return sorted({e.action.owner for e in entries if e.action.owner}, key=str.lower)


def filter_ledger(entries: Sequence[LedgerEntry], status: str | None = ANY, owner: str | None = ANY) -> list[LedgerEntry]:
    status = (status or ANY).strip().lower()
    if status != ANY and status not in STATUSES:
        raise QueryError(f"status: unknown status {status!r}; use one of {ANY}, {', '.join(STATUSES)}")
    owner = (owner or ANY).strip()
    out = [e for e in entries if status == ANY or e.status == status]
    if owner.lower() != ANY:
        out = [e for e in out if e.action.owner and owner.lower() in e.action.owner.lower()]
    return out


def commitment_row(e: LedgerEntry) -> dict[str, str]:
    """One ledger entry as the table and the tests see it: plain strings."""
    a = e.action
    set_at = e.set_at.isoformat() if e.set_at else "undated"
    if a.date_inferred and e.set_at_in_corpus:
        set_at += " (date inferred)"
    meeting = f"{set_at} · {a.body or 'body not recorded'}"
    if e.set_at_in_corpus and a.item_number:
        meeting += f" · item {a.item_number}. {a.item_title or ''}".rstrip()
    if not e.set_at_in_corpus:
        meeting += " · meeting not in the records (known from a later update)"
    evidence = []
    for ev in e.evidence:
        line = (f"{ev.meeting_date.isoformat()}: " if ev.meeting_date else "") + ev.note
        if ev.quote:
            line += f" — “{one_line(ev.quote)}”"
        evidence.append(line)
    kind = a.kind if e.set_at_in_corpus else "action"
    return {
        "status": e.status,
        "commitment": one_line(a.text),
        "kind": kind + (" (also offered in discussion)" if e.offers else ""),
        "owner": a.owner or "-",
        "due": e.due.isoformat() if e.due else "-",
        "set at": meeting,
        "evidence": " | ".join(evidence) or "-",
        "source": a.source,
    }


def commitments_view(entries: Sequence[LedgerEntry], status: str | None = ANY, owner: str | None = ANY) -> tuple[str, str]:
    """(summary, table) for the ledger filtered by status and owner."""
    shown = filter_ledger(entries, status, owner)
    counts = Counter(e.status for e in shown)
    summary = (
        f'<p class="summary">{len(shown)} of {len(entries)} commitments shown: '
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
        + ". Status is relative to the newest meeting in the records.</p>"
    )
    legend = "".join(f"<li><span class=\"status status-{s}\">{s}</span> {esc(STATUS_HELP[s])}</li>" for s in STATUSES)
    if not shown:
        return summary, '<p class="empty">No commitment matches these filters.</p>'
    rows = []
    for e in shown:
        r = commitment_row(e)
        rows.append(
            "<tr>"
            f'<td data-label="Status" class="nowrap"><span class="status status-{esc(r["status"])}">{esc(r["status"])}</span></td>'
            f'<td data-label="Commitment">{esc(r["commitment"])}<br><span class="small">{esc(r["kind"])}</span></td>'
            f'<td data-label="Owner" class="nowrap">{esc(r["owner"])}</td>'
            f'<td data-label="Due" class="nowrap">{esc(r["due"])}</td>'
            f'<td data-label="Set at">{esc(r["set at"])}<br><span class="small">{esc(r["source"])}</span></td>'
            f'<td data-label="Evidence">{esc(r["evidence"])}</td>'
            "</tr>"
        )
    table = (
        f'<ul class="legend">{legend}</ul><table class="grid commitments-table">'
        '<colgroup><col style="width:8%"><col style="width:27%"><col style="width:7%"><col style="width:9%">'
        '<col style="width:21%"><col style="width:28%"></colgroup>'
        "<thead><tr><th>Status</th><th>Commitment</th><th>Owner</th><th>Due</th><th>Set at</th><th>Evidence</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return summary, table


# -- documents ---------------------------------------------------------------------------------

def _safe_url(url: str | None) -> str | None:
    return url if url and re.match(r"^https?://[^\s\"'<>]+$", url, re.I) else None


def documents_view(index: LoadedIndex) -> str:
    """Every document in the index, in date order, with its attendees and agenda items."""
    docs = sorted(index.documents, key=lambda d: (d.meeting_date or date.min, d.source, d.start))
    meetings = sum(1 for d in docs if d.kind in ("minutes", "meeting notes"))
    out = [f'<p class="summary">{len(docs)} documents from {len(index.texts)} files, {meetings} of them meeting records.</p>']
    for d in docs:
        when = date_text(d.meeting_date, d.date_inferred, d.date_range)
        present = [a for a in d.attendees if a.status != "apologies"]
        apologies = [a for a in d.attendees if a.status == "apologies"]

        def people(group: Sequence[Attendee]) -> str:
            return "; ".join(f"{a.name} ({a.role or a.role_title or 'no role'})" for a in group)

        url = _safe_url(d.source_url)
        link = f' · <a href="{esc(url)}" rel="noopener noreferrer" target="_blank">publisher’s page</a>' if url else ""
        items = "".join(
            f"<li>{esc((i.number + '. ') if i.number else '')}{esc(i.title)}</li>" for i in d.items
        )
        out.append(
            f'<article class="doc" data-document="{esc(d.id)}">'
            f'<header class="card-head"><span class="date">{esc(when)}</span>'
            f'<span class="sep"> · </span><span class="body">{esc(d.body or "body not recorded")}</span></header>'
            f'<p class="doc-title">{esc(d.title)}</p>'
            f'<p class="kind"><span class="k">Record:</span> {esc(record_type(d.kind))}</p>'
            + (f'<p class="people"><span class="k">Attendees:</span> {esc(people(present))}</p>' if present else "")
            + (f'<p class="people"><span class="k">Apologies:</span> {esc(people(apologies))}</p>' if apologies else "")
            + (f'<details class="items"><summary>{len(d.items)} agenda item{"s" if len(d.items) != 1 else ""}</summary><ol class="plain">{items}</ol></details>'
               if d.items else '<p class="small">No agenda items recorded.</p>')
            + f'<p class="source">Source: {esc(d.source)}{link}</p></article>'
        )
    return "".join(out)


# -- choices for the filters ----------------------------------------------------------------------

def speaker_choices(searcher: Searcher) -> list[tuple[str, str]]:
    roles = Counter(s.role for p in searcher.passages for s in p.speakers if s.role)
    choices = [("Any speaker", "")]
    for role, _ in sorted(roles.items(), key=lambda kv: (-kv[1], kv[0])):
        title = _role_title(role)
        choices.append((f"{role} — {title}" if title and title != role else role, role))
    choices += [(name, name) for name in searcher.known_names if canonical_role(name) is None]
    return choices


def body_choices(searcher: Searcher) -> list[tuple[str, str]]:
    return [("Any body", "")] + [(b, b) for b in searcher.known_bodies]


def kind_choices(searcher: Searcher) -> list[tuple[str, str]]:
    present = {p.document_kind for p in searcher.passages}
    return [("Any kind", "")] + [(RECORD_TYPES.get(k, (k,))[0], k) for k in DOCUMENT_KINDS if k in present]


# -- exports ---------------------------------------------------------------------------------------

CSV_FIELDS = (
    "rank", "meeting_date", "date_inferred", "body", "document", "record_type", "item_number", "item_title",
    "section", "speakers", "text", "source", "source_url", "start", "end", "passage_id", "score",
)


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading = + - @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def citation(records: Records, p: Passage) -> str:
    when = date_text(p.meeting_date, p.date_inferred, records.date_range(p))
    doc = records.document(p)
    url = _safe_url(doc.source_url if doc else None)
    return (
        f"{when}, {p.body or p.document_title}, {item_label(p)}, {speakers_label(p.speakers)}; "
        f"{record_type(p.document_kind)}; {p.source}, characters {p.start}–{p.end}" + (f"; {url}" if url else "")
    )


def results_csv(records: Records, hits: Sequence[Hit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for n, h in enumerate(hits, start=1):
        p = h.passage
        doc = records.document(p)
        writer.writerow([_cell(v) for v in (
            n, p.meeting_date.isoformat() if p.meeting_date else "", "yes" if p.date_inferred else "no",
            p.body or "", p.document_title, record_type(p.document_kind), p.item_number or "", p.item_title or "",
            p.section or "", speakers_label(p.speakers), p.text, p.source, _safe_url(doc.source_url if doc else None) or "",
            p.start, p.end, p.id, f"{h.score:.6f}",
        )])
    return out.getvalue()


_MD_URL_RE = re.compile(r"(?:https?|ftp)://[^\s`<>()\[\]]+|www\.[^\s`<>()\[\]]+", re.I)
# Backslash-escaped, these cannot open a link, an image, a code span or an escape of their own.
_MD_ACTIVE_RE = re.compile(r"([\\`\[\]!])")


def _md(text: str) -> str:
    """Record text for a Markdown file, inert when the file is rendered (as `_cell` makes a
    CSV cell inert): HTML stays text, `[x](…)` and `![x](…)` show as typed instead of
    becoming a link or an image that loads from a tracker, and a bare address is set as
    code, which no renderer turns into a link."""
    out: list[str] = []
    last = 0
    for m in _MD_URL_RE.finditer(text):
        out.append(_MD_ACTIVE_RE.sub(r"\\\1", html.escape(text[last : m.start()], quote=False)))
        out.append(f"`{m.group(0)}`")
        last = m.end()
    out.append(_MD_ACTIVE_RE.sub(r"\\\1", html.escape(text[last:], quote=False)))
    return "".join(out)


def results_markdown(records: Records, view: SearchView, sort: str = "relevance") -> str:
    assert view.result is not None
    r = view.result
    u = r.understood
    lines = [
        "# Scrutiny: search results", "",
        f"- Query: {_md(view.query.text)}",
        f"- Understood: {_md(' · '.join(u.notes) or 'no filters')}; searching for “{_md(u.text)}”",
        f"- {len(r.hits)} results sorted by {sort}; {r.matched} passages passed the filters",
    ]
    if r.weak:
        lines.append("- Weak evidence: no passage matches this closely; these are the nearest.")
    lines.append("")
    for n, h in enumerate(r.hits, start=1):
        p = h.passage
        when = date_text(p.meeting_date, p.date_inferred, records.date_range(p))
        lines += [f"## {n}. {_md(when)} — {_md(p.body or p.document_title)}", "",
                  f"{_md(item_label(p))} · {_md(speakers_label(p.speakers))} · {_md(record_type(p.document_kind))}", ""]
        lines += [f"> {_md(line)}" if line.strip() else ">" for line in p.text.split("\n")]
        lines += ["", f"[{n}] {_md(citation(records, p))}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
    return slug or "results"


def write_exports(records: Records, view: SearchView, folder: Path, sort: str = "relevance") -> tuple[Path, Path]:
    """The results as CSV and as Markdown with citations, in a fresh folder under `folder`
    (which the app owns and cleans up)."""
    assert view.result is not None
    prune_exports(folder, keep=EXPORTS_KEPT - 1)
    target = folder / uuid.uuid4().hex
    target.mkdir(parents=True)
    name = f"scrutiny-{_slug(view.query.text)}"
    csv_path = target / f"{name}.csv"
    md_path = target / f"{name}.md"
    # utf-8-sig so that a spreadsheet opens the dashes and quotes correctly.
    csv_path.write_text(results_csv(records, view.result.hits), encoding="utf-8-sig", newline="")
    md_path.write_text(results_markdown(records, view, sort), encoding="utf-8")
    return csv_path, md_path


def prune_exports(folder: Path, max_age_s: float = EXPORT_MAX_AGE_S, keep: int = EXPORTS_KEPT) -> None:
    """Delete exports older than `max_age_s`, and the oldest beyond the newest `keep`."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_s
    dated: list[tuple[float, Path]] = []
    for child in folder.iterdir():
        try:
            if child.is_dir():
                dated.append((child.stat().st_mtime, child))
        except OSError:
            continue
    dated.sort(reverse=True)
    for n, (mtime, child) in enumerate(dated):
        if mtime < cutoff or n >= keep:
            shutil.rmtree(child, ignore_errors=True)


# -- the app's state ---------------------------------------------------------------------------------

@dataclass
class AppState:
    """Loaded once at start-up and shared by every session (read-only after that)."""

    searcher: Searcher
    records: Records
    ledger: tuple[LedgerEntry, ...]
    exports: Path
    documents_html: str


def prepare(searcher: Searcher, exports: Path, *, warm_up: bool = True) -> AppState:
    """Everything the app needs, computed once: the ledger (its texts embedded through the
    cache) and the documents list; then one search, one answer and one timeline so the
    model and caches are warm before the first user query."""
    index = searcher.index
    state = AppState(searcher, Records(index), searcher.ledger, exports, documents_view(index))
    if warm_up:
        started = time.perf_counter()
        q = Query("101 calls")
        run_search(searcher, state.records, q)
        # Never the language model: a model server that is down or hangs must not stop the
        # app from starting.
        run_answer(searcher, state.records, Query("What was said about 101 calls?"), use_model=False)
        run_timeline(searcher, q)
        log.info("warm-up took %.2fs", time.perf_counter() - started)
    return state


def session_meetings(view: TimelineView) -> dict[str, object]:
    """What a browser session keeps of its last timeline, for the meeting drill-down."""
    return {"terms": sorted(view.terms), "meetings": {m.label: list(m.rows) for m in view.meetings}}


def session_meeting_passages(
    state: AppState, kept: Mapping[str, object] | None, label: str | None, *, lazy: bool = False
) -> str:
    if not kept or not label:
        return ""
    meetings_map = kept.get("meetings") or {}
    assert isinstance(meetings_map, dict)
    rows = meetings_map.get(label)
    if rows is None:
        return f'<p class="empty">{esc(f"No meeting {label!r} on this timeline: search again.")}</p>'
    m = Meeting(label, None, False, None, (), tuple(int(r) for r in rows), ())
    kept_terms = kept.get("terms") or []
    terms = [str(t) for t in kept_terms] if isinstance(kept_terms, list) else []
    return meeting_passages(state.records, [m], label, terms, lazy=lazy)

"""The web app's views as plain functions, on the seed corpus indexed with the fake
embedder: result cards, the answer, the timeline data, the commitments table and its
filters, the documents list, an agenda item in context, the CSV and Markdown exports,
odd queries, and escaping of records that contain markup."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from indexer.sentences import readable

from indexer.errors import QueryError
from search.answer import NO_ANSWER
from search.engine import Hit
from search.timeline import timeline
from ui import handlers as h

UNDATED_2024 = "performance-delivery-board_2024-undated_notes.txt"


@pytest.fixture(scope="module")
def state(fake_searcher: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[h.AppState]:
    base = tmp_path_factory.mktemp("ui-state")
    with pytest.MonkeyPatch.context() as mp:  # the ledger's embeddings cache: this test's own
        mp.setenv("SCRUTINY_CACHE", str(base / "cache.sqlite"))
        yield h.prepare(fake_searcher, base / "exports", warm_up=False)  # type: ignore[arg-type]


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="card".*?</article>', page, flags=re.S)


def text_of(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# -- search ----------------------------------------------------------------------------------

def test_search_cards_carry_date_body_item_speaker_record_type_and_highlights(state: h.AppState) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("101 calls"))
    assert view.result is not None and len(view.result.hits) == h.DEFAULT_K
    found = cards(view.cards_html)
    assert len(found) == len(view.result.hits)
    first, hit = found[0], view.result.hits[0]
    p = hit.passage
    assert p.meeting_date is not None
    assert f'<span class="date">{p.meeting_date.isoformat()}</span>' in first
    assert html.escape(p.body or "") in first
    assert html.escape(h.item_label(p)) in first
    assert re.search(r"Speaker:</span> \w[\w .'-]+ \([A-Z][\w ]*, [\w ]+\)", first) or "speaker not identified" in first
    assert "<mark>101</mark>" in view.cards_html and re.search(r"<mark>calls?</mark>", view.cards_html)
    assert text_of(first.split('<blockquote class="passage">')[1].split("</blockquote>")[0]) == p.text
    # Whose words these are.
    minutes = next(c for c, x in zip(found, view.result.hits) if x.passage.document_kind in ("minutes", "meeting notes"))
    assert "reported speech" in minutes
    report = next(c for c, x in zip(found, view.result.hits) if x.passage.document_kind in ("report", "annual report"))
    assert "its author’s own words" in report
    every = len(state.searcher.passages)  # no filter: every passage of the index passes
    assert "searching for “101 calls”" in text_of(view.notes_html) and f"{every} passages pass the filters" in view.notes_html


def test_speaker_and_date_filters_are_applied_and_understood(state: h.AppState) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("101 calls", speaker="Chief Constable", since="2023"))
    assert view.result is not None and view.result.hits
    assert all(any(s.role == "CC" for s in x.passage.speakers) for x in view.result.hits)
    assert all(x.passage.meeting_date and x.passage.meeting_date >= date(2023, 1, 1) for x in view.result.hits)
    notes = text_of(view.notes_html)
    assert "speaker: CC" in notes and "since 2023-01-01" in notes
    # An office, whoever held it: the CC in 2019 was Alan Pughsley, from 2023 Tim Smith.
    every_cc = h.run_search(state.searcher, state.records, h.Query("101 calls", speaker="CC"))
    shown = text_of(every_cc.cards_html)
    assert "Alan Pughsley (CC, Chief Constable)" in shown and "Tim Smith (CC, Chief Constable)" in shown
    # Read from the question itself, not only from the filters.
    asked = h.run_search(state.searcher, state.records, h.Query("What did the CC say about 101 calls since 2019?"))
    assert "speaker: CC" in text_of(asked.notes_html) and "since 2019-01-01" in text_of(asked.notes_html)


def test_sort_by_date_orders_results_by_meeting_date(state: h.AppState) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("knife crime"), sort="date", k=10)
    assert view.result is not None
    dates = [x.passage.meeting_date or date.min for x in view.result.hits]
    assert dates == sorted(dates) and len(set(dates)) > 1
    shown = re.findall(r'<span class="date">([^<]+)', view.cards_html)
    assert shown == [
        d.isoformat() if not x.passage.date_inferred else h.date_text(d, True, x.passage.date_range)
        for d, x in zip(dates, view.result.hits)
    ]


def test_inferred_dates_are_marked_with_their_range(state: h.AppState) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("victims", since="2024", until="2024"), k=5)
    assert view.result is not None and view.result.hits
    assert all(x.passage.source == UNDATED_2024 for x in view.result.hits)
    first = cards(view.cards_html)[0]
    assert "undated; between 12 June and 11 December 2024" in first and '<span class="flag">inferred</span>' in first


def test_empty_long_and_symbol_queries(state: h.AppState) -> None:
    empty = h.run_search(state.searcher, state.records, h.Query("   "))
    assert empty.result is None and "Type keywords" in empty.cards_html
    with pytest.raises(QueryError, match="no words to search for"):
        h.run_search(state.searcher, state.records, h.Query("!!! ??? %%% ***"))
    long = h.run_search(state.searcher, state.records, h.Query(("101 calls answered " * 600)[:10_000]))
    assert long.result is not None and long.result.hits
    assert long.cut_note and "query cut to its first" in long.cut_note and "of 10,000 characters" in long.notes_html
    assert len(long.query.text) <= h.MAX_QUERY_CHARS
    # A filter alone lists the matching passages by date.
    listing = h.run_search(state.searcher, state.records, h.Query("", speaker="DCO"), k=5)
    assert listing.result is not None and all(any(s.role == "DCO" for s in x.passage.speakers) for x in listing.result.hits)
    assert "listed by date" in listing.cards_html
    with pytest.raises(QueryError):
        h.run_search(state.searcher, state.records, h.Query("101 calls", kind="sermon"))


def test_concurrent_users_share_the_index_safely(state: h.AppState) -> None:
    """The app serves several sessions at once from one Searcher: the same answers as one
    at a time, and no error."""
    from concurrent.futures import ThreadPoolExecutor

    queries = [h.Query("101 calls"), h.Query("knife crime", speaker="PCC"), h.Query("PCSO", since="2023"),
               h.Query("victims", body="panel"), h.Query("What did the CC say about recruitment?")]

    def views(q: h.Query) -> tuple[str, str, str]:
        search_view = h.run_search(state.searcher, state.records, q, lazy=True)
        return search_view.cards_html, h.run_answer(state.searcher, state.records, q).html, h.run_timeline(state.searcher, q).chart_html

    alone = [views(q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(views, queries * 3))
    assert together == alone * 3


def test_errors_reach_the_user_as_one_line() -> None:
    assert h.user_message(QueryError("bad\n  date:\tuse YYYY")) == "bad date: use YYYY"
    message = h.user_message(KeyError("/secret/path"))
    assert message.startswith("Something went wrong (KeyError)") and "/secret/path" not in message and "\n" not in message


# -- escaping ------------------------------------------------------------------------------------

def test_a_passage_containing_markup_is_shown_as_text(state: h.AppState) -> None:
    real = state.searcher.passages[0]
    hostile = replace(
        real, text="The PCC said <script>alert('x')</script> about 101 calls <img src=x onerror=alert(1)>",
        item_title="Welcome <b onclick=alert(2)>", body='Board" onmouseover="alert(3)', document_title="<i>notes</i>",
    )
    card = h.render_card(state.records, hostile, h.query_terms("101 calls"), rank=1)
    assert "<script>" not in card and "<img" not in card and "<b " not in card and "<i>" not in card
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in card
    assert "&lt;img src=x onerror=alert(1)&gt;" in card
    assert 'Board&quot; onmouseover=&quot;alert(3)' in card
    assert "<mark>101</mark>" in card  # highlighting still works on the escaped text
    assert hostile.text in text_of(card)


def test_highlighting_escapes_every_piece() -> None:
    out = h.highlight("a&b <calls> 101&lt;", {"call", "101"})
    assert out == "a&amp;b &lt;<mark>calls</mark>&gt; <mark>101</mark>&amp;lt;"


# -- item in context -----------------------------------------------------------------------------

def test_item_in_context_is_sliced_from_the_index_text(state: h.AppState) -> None:
    index = state.searcher.index
    p = next(x for x in index.passages if x.item_number == "3" and x.source.endswith("2019-09-25_notes.txt") and x.section)
    ctx = state.records.item_context(p)
    doc = state.records.document(p)
    item = next(i for i in doc.items if i.number == "3")  # type: ignore[union-attr]
    assert ctx.from_source and ctx.text == index.texts[p.source][item.start : item.end]
    a, b = ctx.here  # type: ignore[misc]
    assert ctx.text[a:b] == index.texts[p.source][p.start : p.end]
    rendered = h.item_context_html(state.records, p.id, "call 101")
    assert '<span class="here"' in rendered and "Safer in Kent Plan" in rendered
    assert h.item_context_html(state.records, "no-such-passage#9", "") .startswith('<p class="empty">')


def test_item_in_context_is_rebuilt_from_passages_when_no_item_covers_it(state: h.AppState) -> None:
    index = state.searcher.index
    p = next(x for x in index.passages if x.item_number is None and x.item_title)
    orphan = replace(p, start=10**9, end=10**9 + len(p.text))  # no AgendaItem covers this offset
    ctx = state.records.item_context(orphan)
    siblings = [x for x in index.passages if x.document_id == p.document_id and x.item_title == p.item_title and x.item_number is None]
    assert not ctx.from_source and all(x.text in ctx.text for x in siblings)


def test_search_cards_can_leave_the_item_to_be_fetched(state: h.AppState) -> None:
    lazy = h.run_search(state.searcher, state.records, h.Query("101 calls"), lazy=True)
    eager = h.run_search(state.searcher, state.records, h.Query("101 calls"))
    assert 'class="context-slot"' in lazy.cards_html and "item-context" not in lazy.cards_html
    assert len(lazy.cards_html) * 3 < len(eager.cards_html)
    first = lazy.result.hits[0].passage  # type: ignore[union-attr]
    assert f'data-passage="{html.escape(first.id)}" data-terms="101 call"' in lazy.cards_html


# -- answer ----------------------------------------------------------------------------------------

def test_answer_is_quoted_and_cited_above_the_passages_it_quotes(state: h.AppState) -> None:
    view = h.run_answer(state.searcher, state.records, h.Query("What did the Chief Constable say about 101 calls?"))
    assert view.answer is not None and view.answer.answered
    page = view.html
    assert page.index('<section class="answer">') < page.index('<article class="card"')
    for c in view.answer.citations:
        assert html.escape(c.label) in page and html.escape(c.passage.source) in page
        assert readable(c.quote) in text_of(page)  # as a reader sees it: no markup left by an export
    assert "<sup>" not in text_of(page)
    assert "speaker: CC" in text_of(view.notes_html)
    quoted = {c.passage.id for c in view.answer.citations}
    assert len(cards(page)) == len(quoted)


def test_no_answer_says_so_and_labels_the_nearest_passages(state: h.AppState) -> None:
    view = h.run_answer(state.searcher, state.records, h.Query("What did the Chief Constable say about live facial recognition cameras?"))
    assert view.answer is not None and not view.answer.answered
    assert NO_ANSWER in view.html and "Nearest passages (they do not answer the question)" in view.html
    nearest = cards(view.html)
    assert len(nearest) == len(view.answer.nearest) > 0
    assert all("Nearest passage — it does not answer the question" in c for c in nearest)
    assert "Ask a question" in h.run_answer(state.searcher, state.records, h.Query("")).html


# -- timeline --------------------------------------------------------------------------------------

def test_timeline_data_counts_passages_per_meeting_by_speaker_role(state: h.AppState) -> None:
    view = h.run_timeline(state.searcher, h.Query("101 calls"))
    assert list(view.frame.columns) == list(h.TIMELINE_COLUMNS)
    _, points = timeline(state.searcher, "101 calls")
    assert int(view.frame["passages"].sum()) == sum(p.count for p in points) > 0
    per_meeting = view.frame.groupby("meeting")["passages"].sum().to_dict()
    assert per_meeting == {m.label: len(m.rows) for m in view.meetings}
    labels = [m.label for m in view.meetings]
    assert labels == sorted(labels) and all(re.match(r"\d{4}-\d{2}-\d{2}~? \w+", x) for x in labels)
    for m in view.meetings:  # the roles are the passages' first speakers
        roles = {h.primary_speaker(state.searcher.passages[r]) for r in m.rows}
        assert set(view.frame[view.frame["meeting"] == m.label]["speaker"]) == roles
    assert "<table" in view.table_html and "Most relevant passage" in view.table_html


def test_timeline_chart_labels_every_meeting_and_segment_in_words(state: h.AppState) -> None:
    view = h.run_timeline(state.searcher, h.Query("101 calls"))
    chart = view.chart_html
    assert chart.count('class="tl-label tl-long"') == chart.count('class="tl-label tl-short"') == len(view.meetings)
    for m in view.meetings:
        inferred = " (date inferred)" if m.date_inferred else ""
        assert f"{m.meeting_date.isoformat()}{inferred} · {m.body}" in chart  # type: ignore[union-attr]
        for role, n in m.by_speaker:
            assert f"<title>{role}: {n} passage" in chart  # a tooltip for every segment
    # The widest segment of the longest bar carries its role and count as text.
    longest = max(view.meetings, key=lambda m: len(m.rows))
    role, n = longest.by_speaker[0]
    assert re.search(rf'class="tl-seg" clip-path="url\(#tl-clip-\d+-\d+\)">{re.escape(role)} {n}</text>', chart)
    # Role names come from the records: escaped like everything else.
    odd = h.Meeting("2020-01-01 Board", date(2020, 1, 1), False, "<b>Board</b>", ("t",), (0, 1), (("<i>x</i>", 2),))
    escaped = h.timeline_chart([odd])
    assert "<b>" not in escaped and "<i>" not in escaped and "&lt;i&gt;x&lt;/i&gt; 2" in escaped


def test_selecting_a_meeting_shows_its_passages(state: h.AppState) -> None:
    view = h.run_timeline(state.searcher, h.Query("101 calls"))
    meeting = max(view.meetings, key=lambda m: len(m.rows))
    kept = h.session_meetings(view)
    page = h.session_meeting_passages(state, kept, meeting.label)
    found = cards(page)
    assert len(found) == len(meeting.rows) and meeting.meeting_date is not None
    assert all(f'<span class="date">{meeting.meeting_date.isoformat()}' in c for c in found)
    assert "search again" in h.session_meeting_passages(state, kept, "1999-01-01 Nowhere")
    assert h.session_meeting_passages(state, None, meeting.label) == ""


def test_timeline_of_no_topic_is_a_message_not_an_error(state: h.AppState) -> None:
    view = h.run_timeline(state.searcher, h.Query("", speaker="CC"))
    assert view.frame.empty and view.meetings == () and "topic" in view.table_html


# -- commitments ---------------------------------------------------------------------------------

def test_commitments_table_shows_status_words_owner_due_meeting_and_evidence(state: h.AppState) -> None:
    summary, table = h.commitments_view(state.ledger)
    rows = re.findall(r"<tr>.*?</tr>", table.split("<tbody>")[1], flags=re.S)
    assert len(rows) == len(state.ledger) > 0
    counts = {s: sum(1 for e in state.ledger if e.status == s) for s in h.STATUSES}
    assert f"{len(state.ledger)} of {len(state.ledger)} commitments shown" in summary
    assert all(f"{n} {s}" in summary for s, n in counts.items())
    for row, entry in zip(rows, state.ledger):
        assert f'<span class="status status-{entry.status}">{entry.status}</span>' in row  # a word, not only a colour
        assert html.escape(h.one_line(entry.action.text)) in row
    done = next(e for e in state.ledger if e.status == "done" and e.evidence[0].meeting_date)
    row = h.commitment_row(done)
    assert row["evidence"].startswith(done.evidence[0].meeting_date.isoformat())  # type: ignore[union-attr]


def test_commitments_filter_by_status_and_owner(state: h.AppState) -> None:
    for status in h.STATUSES:
        shown = h.filter_ledger(state.ledger, status, h.ANY)
        assert len(shown) == sum(1 for e in state.ledger if e.status == status)
    owners = h.ledger_owners(state.ledger)
    assert owners
    owner = owners[0]
    shown = h.filter_ledger(state.ledger, h.ANY, owner.lower())
    assert shown and all(owner.lower() in (e.action.owner or "").lower() for e in shown)
    summary, table = h.commitments_view(state.ledger, "overdue", owner)
    expected = [e for e in state.ledger if e.status == "overdue" and owner.lower() in (e.action.owner or "").lower()]
    assert f"{len(expected)} of {len(state.ledger)} commitments shown" in summary
    assert table.count("<tr>") == (len(expected) + 1 if expected else 0)
    with pytest.raises(QueryError, match="unknown status"):
        h.filter_ledger(state.ledger, "finished")


# -- documents -------------------------------------------------------------------------------------

def test_documents_view_lists_every_document_with_dates_attendees_and_items(state: h.AppState) -> None:
    page = state.documents_html
    index = state.searcher.index
    found = re.findall(r'<article class="doc" data-document="([^"]+)"', page)
    assert sorted(found) == sorted(d.id for d in index.documents)
    shown_dates = re.findall(r'<span class="date">(\d{4}-\d{2}-\d{2})', page)
    assert shown_dates == sorted(shown_dates)
    assert "Alan Pughsley (CC)" in page and "Apologies:" in page
    assert "undated; between 12 June and 11 December 2024" in page
    assert "Safer in Kent Plan: Delivery &amp; Performance" in page
    assert f"{len(index.documents)} documents from {len(index.texts)} files" in page


def test_only_web_links_become_links() -> None:
    assert h._safe_url("https://www.kent-pcc.gov.uk/x") == "https://www.kent-pcc.gov.uk/x"
    assert h._safe_url("javascript:alert(1)") is None and h._safe_url('https://x" onclick="y') is None


# -- exports ---------------------------------------------------------------------------------------

def test_csv_export_has_one_row_per_result_with_citation_fields(state: h.AppState, tmp_path: Path) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("101 calls", speaker="CC"), k=10)
    csv_path, md_path = h.write_exports(state.records, view, tmp_path)
    assert csv_path.parent.parent == tmp_path and csv_path.name == "scrutiny-101-calls.csv"
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [r["rank"] for r in rows] == [str(n) for n in range(1, 11)]
    for row, hit in zip(rows, view.result.hits):  # type: ignore[union-attr]
        p = hit.passage
        assert row["text"] == p.text and row["passage_id"] == p.id and row["source"] == p.source
        assert row["meeting_date"] == p.meeting_date.isoformat() and "CC" in row["speakers"]
        assert row["item_title"] == (p.item_title or "")
    assert md_path.exists()


def test_csv_cells_never_start_a_spreadsheet_formula(state: h.AppState) -> None:
    real = state.searcher.passages[0]
    hits = [Hit(replace(real, text="=HYPERLINK(\"http://evil\")", body="@SUM(A1)"), 0, 0.5, 1, 1, 1.0, 0.5)]
    rows = list(csv.reader(io.StringIO(h.results_csv(state.records, hits))))
    text = rows[1][h.CSV_FIELDS.index("text")]
    body = rows[1][h.CSV_FIELDS.index("body")]
    assert text == "'=HYPERLINK(\"http://evil\")" and body == "'@SUM(A1)"


def test_markdown_export_quotes_each_passage_with_its_citation(state: h.AppState, tmp_path: Path) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("101 calls"), k=5)
    md = h.write_exports(state.records, view, tmp_path)[1].read_text(encoding="utf-8")
    assert md.startswith("# Scrutiny: search results\n")
    assert "- Query: 101 calls" in md and "searching for “101 calls”" in md
    for n, hit in enumerate(view.result.hits, start=1):  # type: ignore[union-attr]
        p = hit.passage
        assert f"## {n}. {p.meeting_date.isoformat()}" in md
        assert f"> {html.escape(p.text.splitlines()[0], quote=False)}" in md
        assert re.search(rf"^\[{n}\] {re.escape(p.meeting_date.isoformat())}.*{re.escape(p.source)}, characters {p.start}–{p.end}", md, re.M)
    assert view.result is not None
    script = Hit(replace(view.result.hits[0].passage, text="<script>x</script>"), 0, 1.0, 1, 1, 1.0, 1.0)
    hostile = replace(view, result=replace(view.result, hits=(script,)))
    assert "<script>" not in h.results_markdown(state.records, hostile) and "&lt;script&gt;" in h.results_markdown(state.records, hostile)


def test_old_exports_are_pruned(tmp_path: Path) -> None:
    import os
    import time

    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    past = time.time() - h.EXPORT_MAX_AGE_S - 60
    os.utime(old, (past, past))
    h.prune_exports(tmp_path)
    assert not old.exists() and new.exists()


# -- choices -----------------------------------------------------------------------------------------

def test_filter_choices_come_from_the_index(state: h.AppState) -> None:
    speakers = dict((value, label) for label, value in h.speaker_choices(state.searcher))
    assert speakers["CC"] == "CC — Chief Constable" and "Tim Smith" in speakers and speakers[""] == "Any speaker"
    bodies = [value for _, value in h.body_choices(state.searcher)]
    assert "Performance and Delivery Board" in bodies and "Kent and Medway Police and Crime Panel" in bodies
    kinds = [value for _, value in h.kind_choices(state.searcher)]
    assert {"minutes", "meeting notes", "report"} <= set(kinds)



def test_markdown_export_keeps_links_and_images_from_the_records_inert(state: h.AppState) -> None:
    """As the CSV export neutralises formulas: rendered, the file loads and links nothing."""
    from markdown_it import MarkdownIt

    view = h.run_search(state.searcher, state.records, h.Query("101 calls"), k=2)
    assert view.result is not None
    hostile = ("Tracker ![pixel](http://evil.example/t.png?id=1) and [click](https://evil.example/x) and "
               "<img src=http://evil.example/i.png> and www.evil.example/y and `code` and [ref]: http://evil.example/r")
    hits = tuple(replace(hit, passage=replace(hit.passage, text=hostile, item_title="![t](http://evil.example/h.png)"))
                 for hit in view.result.hits)
    markdown = h.results_markdown(state.records, replace(view, result=replace(view.result, hits=hits)))
    for renderer in (MarkdownIt("commonmark"), MarkdownIt("gfm-like", {"linkify": False})):
        rendered = renderer.render(markdown)
        assert "<img" not in rendered and "<a " not in rendered, rendered
    assert "![pixel](" in MarkdownIt("commonmark").render(markdown)  # still readable as typed


def test_an_error_replaces_the_previous_results(state: h.AppState) -> None:
    first = h.safe_search(state.searcher, state.records, h.Query("101 calls"))
    assert first.error is None and cards(first.cards_html)
    failed = h.safe_search(state.searcher, state.records, h.Query("101 calls since 2023-13-45"))
    assert failed.result is None and failed.cards_html == "" and "not a real date" in (failed.error or "")
    assert "not a real date" in failed.notes_html and 'role="alert"' in failed.notes_html


def test_exports_are_bounded_in_number(state: h.AppState, tmp_path: Path) -> None:
    view = h.run_search(state.searcher, state.records, h.Query("101 calls"), k=3)
    for _ in range(h.EXPORTS_KEPT + 8):
        h.write_exports(state.records, view, tmp_path)
    assert len(list(tmp_path.iterdir())) == h.EXPORTS_KEPT


def test_the_sentence_with_most_of_the_words_searched_for_is_marked_in_a_long_passage() -> None:
    text = ("The PCC asked about victim satisfaction. The CC said 101 calls were answered faster this quarter. "
            "He added that 999 demand had risen.")
    shown = h.highlight_passage(text, h.query_terms("101 calls"))
    assert re.search(r'<span class="best"[^>]*>The CC said <mark>101</mark> <mark>calls</mark>[^<]*quarter\.</span>', shown)
    assert text_of(shown) == text
    # One sentence, or no sentence holding two of the words: nothing to point at.
    assert 'class="best"' not in h.highlight_passage("The CC said 101 calls were answered.", h.query_terms("101 calls"))
    assert 'class="best"' not in h.highlight_passage(text, h.query_terms("victim burglary"))

"""`scrutiny fetch page` against a fake commissioner's publication page on 127.0.0.1:
the linked PDF, DOCX and HTML documents that match, dated from their link text or
address; links to other hosts left out; names from the remote side never escaping the
corpus; an interrupted run leaving no partial file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as Docx

from indexer.fetch import page
from indexer.fetch.client import Client, FetchPolicy
from indexer.fetch.save import Wanted, save_documents
from tests.fakesite import FakeSite, pdf_bytes, running
from ui.cli import main

NOTES_2019 = pdf_bytes([
    "Performance and Delivery Board",
    "Attendees: Jo Fairweather (PCC), Sam Okafor (CC)",
    "1. Victim satisfaction",
    "The PCC asked about 101 call answering. The CC advised that the new call-back service was live.",
])
NOTES_ESCAPE = pdf_bytes(["Performance and Delivery Board", "1. Roads policing", "The CC reported fewer speeding offences."])
NOTES_HTML = (b"<html><head><title>Board notes</title></head><body><h1>Performance and Delivery Board</h1>"
              b"<h2>1. Neighbourhood policing</h2><p>The PCC asked about town centre patrols.</p></body></html>")


def docx_bytes(lines: list[str]) -> bytes:
    document = Docx()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


NOTES_2023 = docx_bytes(["Performance and Delivery Board", "1. Custody", "The DCC said custody reviews were on time."])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def board() -> Iterator[FakeSite]:
    with running() as site:
        site.add("/boards/performance", content_type="text/html; charset=utf-8", body=f"""
            <html><head><title>Boards | Office of the Sussex Police and Crime Commissioner</title></head><body>
            <nav><a href="/about.html">About us</a></nav>
            <h1>Performance and Delivery Board</h1>
            <ul>
              <li><a href="/media/pdb/notes-2019.pdf">Performance and Delivery Board notes – 25 September 2019</a></li>
              <li><a href="/media/2023-09-13/board-notes.docx">Board notes (Word)</a></li>
              <li><a href="/boards/notes-16-september-2025.html">Notes of the meeting (web version)</a></li>
              <li><a href="/media/annual-report-2024.pdf">Annual report 2024</a></li>
              <li><a href="http://localhost:{site.port}/copies/notes-2022.pdf">Notes kept elsewhere, 1 March 2022</a></li>
              <li><a href="/media/..%2F..%2F..%2Fescape-notes.pdf">Escaping notes 12 June 2024</a></li>
              <li><a href="/media/members-notes.pdf">Members' notes (sign in)</a></li>
              <li><a href="/media/pdb/notes-2019.pdf#page=2">Performance and Delivery Board notes, page 2</a></li>
            </ul></body></html>""".encode())
        site.add("/media/pdb/notes-2019.pdf", body=NOTES_2019)
        site.add("/media/2023-09-13/board-notes.docx", body=NOTES_2023, content_type=DOCX_TYPE)
        site.add("/boards/notes-16-september-2025.html", body=NOTES_HTML, content_type="text/html")
        site.add("/media/annual-report-2024.pdf", body=NOTES_2019)
        site.add("/copies/notes-2022.pdf", body=NOTES_2019)
        site.add("/media/..%2F..%2F..%2Fescape-notes.pdf", body=NOTES_ESCAPE,
                 headers={"Content-Disposition": 'attachment; filename="../../escape-notes.pdf"'})
        site.add("/media/members-notes.pdf", body=b"<html>Please sign in</html>", content_type="text/html")
        yield site


def fetch_page(site: FakeSite, corpus: Path, *extra: str) -> object:
    return CliRunner().invoke(main, [
        "fetch", "page", f"{site.url}/boards/performance", "--match", "notes", "--area", "Sussex",
        "--corpus", str(corpus), "--delay", "0", "--quiet", "--retries", "0", *extra,
    ])


def rows(corpus: Path) -> dict[str, dict[str, str]]:
    with (corpus / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def test_matching_documents_are_saved_dated_from_their_link_text_or_address(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "work" / "corpus"
    result = fetch_page(board, corpus)
    assert result.exit_code == 0, result.output
    assert "4 new, 0 changed, 0 unchanged, 1 failed" in result.output
    saved = rows(corpus)
    assert sorted(saved) == [
        "performance-and-delivery-board_2019-09-25_meeting-notes.pdf",  # date from the link text
        "performance-and-delivery-board_2023-09-13_meeting-notes.docx",  # date from the address
        "performance-and-delivery-board_2024-06-12_meeting-notes.pdf",
        "performance-and-delivery-board_2025-09-16_meeting-notes.html",  # "16-september-2025"
    ]
    first = saved["performance-and-delivery-board_2019-09-25_meeting-notes.pdf"]
    assert (first["body"], first["document_type"], first["area"], first["publisher"]) == (
        "Performance and Delivery Board", "meeting notes", "Sussex", "127.0.0.1")
    assert first["source_url"] == f"{board.url}/media/pdb/notes-2019.pdf"
    # Left out: the annual report (no match), the copy on another host (one warning line);
    # failed: the sign-in page served instead of a PDF.
    assert board.requested("/media/annual-report") == [] and board.requested("/copies/") == []
    assert "1 linked documents on other hosts were left out" in result.output
    assert "members-notes.pdf: served as text/html, not the PDF asked for" in result.output


def test_names_from_the_remote_side_never_escape_the_corpus(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "work" / "corpus"
    assert fetch_page(board, corpus).exit_code == 0
    outside = [p for p in tmp_path.rglob("*escape*")]
    assert outside == []
    escaped = rows(corpus)["performance-and-delivery-board_2024-06-12_meeting-notes.pdf"]
    assert escaped["original_name"] == "escape-notes.pdf"
    assert (corpus / "performance-and-delivery-board_2024-06-12_meeting-notes.pdf").read_bytes() == NOTES_ESCAPE


def test_a_second_run_keeps_unchanged_files(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    fetch_page(board, corpus)
    again = fetch_page(board, corpus)
    assert "0 new, 0 changed, 4 unchanged, 1 failed" in again.output


def test_index_reads_the_fetched_notes_with_the_manifest_body_and_date(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    fetch_page(board, corpus)
    listed = CliRunner().invoke(main, ["documents", str(corpus), "--json"])
    assert listed.exit_code == 0, listed.output
    import json

    by_source = {d["source"]: d for d in json.loads(listed.output)}
    notes = by_source["performance-and-delivery-board_2019-09-25_meeting-notes.pdf"]
    assert (notes["kind"], notes["body"]) == ("meeting notes", "Performance and Delivery Board")
    assert notes["date_range"] == ["2019-09-25", "2019-09-25"]
    word = by_source["performance-and-delivery-board_2023-09-13_meeting-notes.docx"]
    assert word["date_range"] == ["2023-09-13", "2023-09-13"] and word["body"] == "Performance and Delivery Board"


def test_an_interrupted_run_leaves_no_partial_file(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    client = Client(board.url + "/", FetchPolicy(delay=0, retries=0))
    real_read = client._read
    calls = {"n": 0}

    def read_then_interrupt(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        fetched = real_read(*args, **kwargs)  # type: ignore[arg-type]
        if calls["n"] == 2:
            raise KeyboardInterrupt  # after the second body is on disk, before it is moved in
        return fetched

    client._read = read_then_interrupt  # type: ignore[method-assign]
    wanted = [
        Wanted(f"{board.url}/media/pdb/notes-2019.pdf", "Performance and Delivery Board", date(2019, 9, 25), "meeting notes"),
        Wanted(f"{board.url}/media/2023-09-13/board-notes.docx", "Performance and Delivery Board", date(2023, 9, 13), "meeting notes"),
    ]
    with pytest.raises(KeyboardInterrupt):
        save_documents(client, wanted, corpus, progress=False)
    assert sorted(p.name for p in corpus.iterdir() if not p.name.startswith(".")) == [
        "manifest.csv", "performance-and-delivery-board_2019-09-25_meeting-notes.pdf"]
    assert list(rows(corpus)) == ["performance-and-delivery-board_2019-09-25_meeting-notes.pdf"]
    assert list((corpus / ".fetch" / "partial").iterdir()) == []


def test_links_are_read_from_a_page() -> None:
    html = """<h1>Decisions</h1>
      <a href="decision-017-2023.pdf">Decision 017/2023 – Estates strategy (4 May 2023)</a>
      <a href="/docs/Board%20Notes%2011.12.2024.docx">Board notes</a>
      <a href="mailto:office@example.org">Email us</a>
      <a href="/contact">Contact</a>
      <a href="javascript:void(0)">Print</a>"""
    links = page.page_links(html, "https://pcc.example.org/decisions/")
    assert [(l.url, l.date, l.document_type, l.expect) for l in links] == [
        ("https://pcc.example.org/decisions/decision-017-2023.pdf", date(2023, 5, 4), "decision", ("pdf",)),
        # the file's name dates it, day first with dots
        ("https://pcc.example.org/docs/Board%20Notes%2011.12.2024.docx", date(2024, 12, 11), "meeting notes", ("docx",)),
    ]
    assert page.page_title(html) == "Decisions"
    assert page.link_date("Notes", "https://x.org/files/notes-3-march-2021.pdf") == date(2021, 3, 3)


def test_a_row_edited_by_hand_is_kept_and_a_deleted_file_fetched_again(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    fetch_page(board, corpus)
    name = "performance-and-delivery-board_2019-09-25_meeting-notes.pdf"
    text = (corpus / "manifest.csv").read_text(encoding="utf-8")
    (corpus / "manifest.csv").write_text(text.replace("Performance and Delivery Board,", "Performance Board,", 1), encoding="utf-8")
    (corpus / "performance-and-delivery-board_2023-09-13_meeting-notes.docx").unlink()
    again = fetch_page(board, corpus)
    assert "1 new, 0 changed, 3 unchanged" in again.output, again.output
    assert rows(corpus)[name]["body"] == "Performance Board"
    assert (corpus / "performance-and-delivery-board_2023-09-13_meeting-notes.docx").read_bytes() == NOTES_2023


def test_a_malformed_manifest_stops_the_run_before_any_download(board: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.csv").write_text("file,date\nnotes.txt,25/09/2019\n", encoding="utf-8")
    result = fetch_page(board, corpus)
    assert result.exit_code == 1
    assert "row 2: the 'date' field '25/09/2019' is not a date" in result.output
    assert board.requested("/media/") == []

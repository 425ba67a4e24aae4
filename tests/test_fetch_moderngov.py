"""`scrutiny fetch moderngov` against a fake ModernGov site on 127.0.0.1: the service's
answers read, the minutes and agenda packs of a committee's meetings saved with their
manifest rows, a second run fetching only what changed, faults costing one line each,
and `scrutiny index` then searching what was fetched with the right bodies and dates."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from indexer.errors import FetchError
from indexer.fetch import moderngov
from indexer.fetch.moderngov import LinkedDoc
from tests.fakesite import FakeSite, committees_xml, documents_page, meeting_xml, meetings_xml, pdf_bytes, running
from ui.cli import main

PANEL = (841, "Sussex Police and Crime Panel")
SERVICE = "/mgWebService.asmx"

MINUTES_JUNE = pdf_bytes([
    "SUSSEX POLICE AND CRIME PANEL",
    "MINUTES of a meeting of the Sussex Police and Crime Panel held at County Hall, Lewes on Tuesday, 27 June 2023 at 10.00 am",
    "Present: Councillor Ann Petrie (Chair), Councillor Tom Wendle",
    "",
    "1. Apologies",
    "Apologies were received from Councillor Rhys Marlow.",
    "2. Police and Crime Plan update",
    "The Commissioner said that 101 call waiting times had fallen to four minutes on average.",
    "The Panel asked for the figures by district at its next meeting.",
])
PACK_JUNE = pdf_bytes([
    "Sussex Police and Crime Panel - Agenda",
    "Tuesday, 27 June 2023 at 10.00 am, County Hall, Lewes",
    "1. Apologies and substitutions",
    "2. Police and Crime Plan update: report of the Commissioner on hare coursing patrols in the Downs.",
])
PACK_OCTOBER = pdf_bytes([
    "Commissioner's annual report",
    "Rural crime teams seized eleven quad bikes and returned them to their owners.",
])


def doc_path(text: str) -> str:
    return quote(text)


@pytest.fixture
def panel() -> Iterator[FakeSite]:
    """Three committees, three panel meetings (one before 2019), and their papers."""
    with running() as site:
        site.add(f"{SERVICE}/GetCommittees", content_type="text/xml; charset=utf-8", body=committees_xml([
            PANEL, (12, "Planning Committee"), (13, "Sussex Police and Crime Panel Complaints Sub-Committee"),
        ]))
        # The service ignores the date range on some installations: every meeting comes back.
        site.add(f"{SERVICE}/GetMeetings", content_type="text/xml", body=meetings_xml(PANEL, [
            (101, "14/02/2018"), (102, "27/06/2023"), (103, "17/10/2023"),
        ]))
        june_minutes = "/documents/g102/Printed minutes 27th-Jun-2023 10.00 Sussex Police and Crime Panel.pdf"
        june_pack = "/documents/g102/Public reports pack 27th-Jun-2023 10.00 Sussex Police and Crime Panel.pdf"
        # This meeting's own papers are on its documents page, not in the service's answer,
        # whose agenda item carries minutes as HTML that is not well formed.
        site.add(f"{SERVICE}/GetMeeting?lMeetingId=102", content_type="text/xml", body=meeting_xml(
            102, "27/06/2023", [], item_documents=[("Minutes , 14/02/2023", "/documents/s99/Minutes.pdf")],
            restricted=[("Exempt minutes", "/documents/g102/exempt-minutes.pdf")],
            item_minutes_html="<div><p>RESOLVED that the minutes be agreed.<br></div>"))
        site.add("/ieListDocuments.aspx?CId=841&MId=102", content_type="text/html", body=documents_page(102, [
            ("Agenda frontsheet 27th-Jun-2023 10.00 Sussex Police and Crime Panel", "documents/g102/frontsheet.pdf"),
            ("Printed minutes 27th-Jun-2023 10.00 Sussex Police and Crime Panel", june_minutes.lstrip("/")),
            # an absolute http address, as the site writes some of them
            ("Public reports pack 27th-Jun-2023 10.00 Sussex Police and Crime Panel", f"{site.url}{june_pack}"),
        ]))
        site.add("/ieListDocuments.aspx?CId=841&MId=103", content_type="text/html", body=documents_page(103, []))
        site.add(f"{SERVICE}/GetMeeting?lMeetingId=103", content_type="text/xml", body=meeting_xml(103, "17/10/2023", [
            ("Agenda reports pack", "/mgConvert2PDF.aspx?ID=555"),
        ]))
        site.add(f"{SERVICE}/GetMeeting?lMeetingId=101", content_type="text/xml", body=meeting_xml(101, "14/02/2018", [
            ("Printed minutes 14th-Feb-2018", "/documents/g101/minutes.pdf"),
        ]))
        site.add(doc_path(june_minutes), body=MINUTES_JUNE, etag='"m1"')
        site.add(doc_path(june_pack), body=PACK_JUNE)
        site.add("/mgConvert2PDF.aspx?ID=555", body=PACK_OCTOBER, content_type="application/octet-stream",
                 headers={"Content-Disposition": 'attachment; filename="Agenda reports pack.pdf"'})
        for other in ("/documents/g102/frontsheet.pdf", "/documents/s99/Minutes.pdf",
                      "/documents/g102/exempt-minutes.pdf", "/documents/g101/minutes.pdf"):
            site.add(other, body=PACK_OCTOBER)
        yield site


def fetch(site: FakeSite, corpus: Path, *extra: str, committee: str = "Sussex Police and Crime Panel") -> object:
    return CliRunner().invoke(main, [
        "fetch", "moderngov", site.url, "--committee", committee, "--since", "2019",
        "--corpus", str(corpus), "--delay", "0", "--quiet", *extra,
    ])


def manifest(corpus: Path) -> dict[str, dict[str, str]]:
    with (corpus / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def test_minutes_and_agenda_packs_are_saved_with_their_manifest_rows(panel: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    result = fetch(panel, corpus)
    assert result.exit_code == 0, result.output
    assert "Fetched 3 documents" in result.output and "3 new" in result.output
    rows = manifest(corpus)
    assert sorted(rows) == [
        "sussex-police-and-crime-panel_2023-06-27_agenda-pack.pdf",
        "sussex-police-and-crime-panel_2023-06-27_minutes.pdf",
        "sussex-police-and-crime-panel_2023-10-17_agenda-pack.pdf",
    ]
    minutes = rows["sussex-police-and-crime-panel_2023-06-27_minutes.pdf"]
    assert minutes["body"] == "Sussex Police and Crime Panel"
    assert minutes["date"] == "2023-06-27"
    assert minutes["document_type"] == "minutes"
    assert minutes["area"] == "Sussex"
    assert minutes["publisher"] == "127.0.0.1"
    assert minutes["source_url"].endswith("/documents/g102/Printed%20minutes%2027th-Jun-2023%2010.00%20Sussex%20Police%20and%20Crime%20Panel.pdf")
    assert minutes["original_name"] == "Printed minutes 27th-Jun-2023 10.00 Sussex Police and Crime Panel.pdf"
    assert rows["sussex-police-and-crime-panel_2023-10-17_agenda-pack.pdf"]["original_name"] == "Agenda reports pack.pdf"
    assert (corpus / "sussex-police-and-crime-panel_2023-06-27_minutes.pdf").read_bytes() == MINUTES_JUNE
    # Not fetched: the frontsheet (a pack exists), the previous meeting's minutes linked to an
    # agenda item, a restricted document, and the 2018 meeting before --since.
    for path in ("/documents/g102/frontsheet.pdf", "/documents/s99/", "/documents/g102/exempt", "/documents/g101/",
                 f"{SERVICE}/GetMeeting?lMeetingId=101", "/documents/s10299/"):
        assert panel.requested(path) == [], path
    assert not list((corpus / ".fetch" / "partial").iterdir())


def test_a_second_run_fetches_only_what_is_new_or_changed(panel: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    assert fetch(panel, corpus).exit_code == 0
    minutes = corpus / "sussex-police-and-crime-panel_2023-06-27_minutes.pdf"
    before = {p.name: os.stat(p).st_mtime_ns for p in corpus.glob("*.pdf")}

    again = fetch(panel, corpus)
    assert again.exit_code == 0, again.output
    assert "0 new, 0 changed, 3 unchanged, 0 failed" in again.output
    assert {p.name: os.stat(p).st_mtime_ns for p in corpus.glob("*.pdf")} == before
    # The minutes' ETag went back to the server, which answered 304.
    assert panel.requested(quote("/documents/g102/Printed"))[-1].headers.get("If-None-Match") == '"m1"'

    panel.routes["/mgConvert2PDF.aspx?ID=555"].body = pdf_bytes(["Commissioner's annual report, corrected"])
    third = fetch(panel, corpus)
    assert "0 new, 1 changed, 2 unchanged" in third.output, third.output
    assert len(manifest(corpus)) == 3
    assert b"corrected" not in minutes.read_bytes()
    assert (corpus / "sussex-police-and-crime-panel_2023-10-17_agenda-pack.pdf").read_bytes() == \
        panel.routes["/mgConvert2PDF.aspx?ID=555"].body


def test_the_committee_is_found_by_number_or_name(panel: FakeSite, tmp_path: Path) -> None:
    by_number = fetch(panel, tmp_path / "a", committee="841")
    assert by_number.exit_code == 0 and "Sussex Police and Crime Panel (committee 841)" in by_number.output

    ambiguous = fetch(panel, tmp_path / "b", committee="police and crime panel")
    assert ambiguous.exit_code == 1
    assert "matches 2 committees" in ambiguous.output and "841 Sussex Police and Crime Panel" in ambiguous.output
    assert len(ambiguous.output.strip().splitlines()) == 1

    unknown = fetch(panel, tmp_path / "c", committee="Licensing")
    assert unknown.exit_code == 1 and "no committee" in unknown.output
    assert not (tmp_path / "c" / "manifest.csv").exists()


def test_faults_cost_one_line_each_and_leave_no_partial_file(panel: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    panel.routes[doc_path("/documents/g102/Printed minutes 27th-Jun-2023 10.00 Sussex Police and Crime Panel.pdf")].fail_first = 99
    panel.routes["/mgConvert2PDF.aspx?ID=555"].truncate = True
    result = fetch(panel, corpus, "--retries", "0")
    assert result.exit_code == 0, result.output
    assert "1 new, 0 changed, 0 unchanged, 2 failed" in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert any("500" in w and "Printed%20minutes" in w for w in warnings)
    assert any("cut short" in w and "ID=555" in w for w in warnings)
    assert sorted(p.name for p in corpus.iterdir() if not p.name.startswith(".")) == [
        "manifest.csv", "sussex-police-and-crime-panel_2023-06-27_agenda-pack.pdf",
    ]
    assert not list((corpus / ".fetch" / "partial").iterdir())
    # The next run picks up what failed.
    panel.routes["/mgConvert2PDF.aspx?ID=555"].truncate = False
    panel.routes[doc_path("/documents/g102/Printed minutes 27th-Jun-2023 10.00 Sussex Police and Crime Panel.pdf")].fail_first = 0
    assert "2 new, 0 changed, 1 unchanged" in fetch(panel, corpus).output


def test_a_meeting_whose_details_fail_is_skipped_with_one_line(panel: FakeSite, tmp_path: Path) -> None:
    panel.routes[f"{SERVICE}/GetMeeting?lMeetingId=103"].fail_first = 99
    result = fetch(panel, tmp_path / "corpus", "--retries", "0")
    assert result.exit_code == 0
    assert "lMeetingId=103" in result.output and "2 new" in result.output


def test_index_then_search_finds_what_was_fetched_with_its_body_and_date(panel: FakeSite, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    assert fetch(panel, corpus).exit_code == 0
    runner = CliRunner()
    indexed = runner.invoke(main, ["index", str(corpus), "--quiet"])
    assert indexed.exit_code == 0, indexed.output
    assert "3 read, 0 unchanged, 0 failed" in indexed.output

    found = runner.invoke(main, ["search", "101 call waiting times", "--json", "--k", "3"])
    assert found.exit_code == 0, found.output
    top = json.loads(found.output)["results"][0]
    assert (top["body"], top["meeting_date"]) == ("Sussex Police and Crime Panel", "2023-06-27")
    assert top["document"].startswith("sussex-police-and-crime-panel_2023-06-27_minutes.pdf") or \
        top["source"] == "sussex-police-and-crime-panel_2023-06-27_minutes.pdf"

    # A report whose text gives neither body nor date takes both from the manifest.
    quad = json.loads(runner.invoke(main, ["search", "quad bikes returned to owners", "--json", "--k", "1"]).output)
    hit = quad["results"][0]
    assert hit["source"] == "sussex-police-and-crime-panel_2023-10-17_agenda-pack.pdf"
    assert (hit["body"], hit["meeting_date"]) == ("Sussex Police and Crime Panel", "2023-10-17")

    # A new meeting is published: the next fetch brings only it, the next index reads only it.
    panel.routes[f"{SERVICE}/GetMeetings"].body = meetings_xml(PANEL, [
        (101, "14/02/2018"), (102, "27/06/2023"), (103, "17/10/2023"), (104, "06/02/2024")])
    panel.add(f"{SERVICE}/GetMeeting?lMeetingId=104", content_type="text/xml", body=meeting_xml(
        104, "06/02/2024", [("Printed minutes 06th-Feb-2024", "/documents/g104/minutes.pdf")]))
    panel.add("/documents/g104/minutes.pdf", body=pdf_bytes([
        "Minutes of a meeting of the Sussex Police and Crime Panel held on Tuesday, 6 February 2024",
        "1. Precept",
        "The Panel agreed the proposed precept for 2024/25.",
    ]))
    assert "1 new, 0 changed, 3 unchanged" in fetch(panel, corpus).output
    again = runner.invoke(main, ["index", str(corpus), "--quiet"])
    assert "1 read, 3 unchanged, 0 failed" in again.output, again.output


# -- reading the service's answers ----------------------------------------------------

def test_answers_are_read_with_or_without_a_namespace() -> None:
    plain = committees_xml([PANEL])
    spaced = plain.replace(b"<committees>", b'<committees xmlns="http://moderngov.co.uk/namespaces">')
    assert moderngov.parse_committees(plain) == moderngov.parse_committees(spaced) == [moderngov.Committee(*PANEL)]
    meetings = moderngov.parse_meetings(meetings_xml(PANEL, [(7, "01/02/2024"), (8, "not a date")]))
    assert [(m.id, m.date.isoformat()) for m in meetings] == [(7, "2024-02-01")]


def test_an_answer_with_a_dtd_or_not_xml_is_refused_in_one_line() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><committees>&a;</committees>'
    with pytest.raises(FetchError, match="DTD"):
        moderngov.parse_committees(bomb)
    with pytest.raises(FetchError, match="not the XML"):
        moderngov.parse_meetings(b"<html><body>Service unavailable")


def test_an_answer_with_html_that_is_not_well_formed_is_still_read() -> None:
    answer = meeting_xml(5, "01/02/2024", [("Printed minutes", "/documents/g5/m.pdf")],
                         item_documents=[("Report", "/documents/s51/r.pdf")],
                         item_minutes_html="<div><p>RESOLVED that the report be noted.<br></div>")
    docs = moderngov.parse_meeting_documents(answer)
    assert [(d.title, d.url, d.on_item) for d in docs] == [
        ("Printed minutes", "/documents/g5/m.pdf", False), ("Report", "/documents/s51/r.pdf", True)]


def test_a_documents_page_gives_the_meetings_own_folder_only() -> None:
    html = documents_page(7, [("Printed minutes 01st-Feb-2024", "documents/g7/Printed%20minutes.pdf"),
                              ("Other meeting", "documents/g77/x.pdf")])
    docs = moderngov.parse_documents_page(html, "https://democracy.example.gov.uk/ieListDocuments.aspx?CId=1&MId=7", 7)
    assert [(d.title, d.url) for d in docs] == [
        ("Printed minutes 01st-Feb-2024 PDF 120 KB", "https://democracy.example.gov.uk/documents/g7/Printed%20minutes.pdf")]
    assert moderngov.classify(docs[0].title) == "minutes"


def test_a_meetings_own_minutes_and_pack_are_chosen_by_title() -> None:
    docs = moderngov.parse_meeting_documents(meeting_xml(5, "01/02/2024", [
        ("Agenda frontsheet", "/f.pdf"), ("Printed minutes", "/m.pdf"), ("Supplementary agenda", "/s.pdf"),
    ], item_documents=[("Minutes of the previous meeting", "/old.pdf")], restricted=[("Minutes (exempt)", "/x.pdf")]))
    assert LinkedDoc("Minutes of the previous meeting", "/old.pdf", True, False) in docs
    assert [(kind, d.url) for kind, d in moderngov.meeting_papers(docs)] == [("minutes", "/m.pdf"), ("agenda", "/f.pdf")]


@pytest.mark.parametrize(("given", "root"), [
    ("democracy.kent.gov.uk", "https://democracy.kent.gov.uk/"),
    ("https://democracy.kent.gov.uk/mgCommitteeDetails.aspx?ID=841", "https://democracy.kent.gov.uk/"),
    ("https://www.example.gov.uk/moderngov/ieListMeetings.aspx?CId=7", "https://www.example.gov.uk/moderngov/"),
    ("https://www.example.gov.uk/moderngov/mgWebService.asmx", "https://www.example.gov.uk/moderngov/"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
])
def test_the_site_root_is_found_from_any_address_of_it(given: str, root: str) -> None:
    assert moderngov.site_root(given) == root

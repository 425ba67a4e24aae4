"""Bodies, areas, kinds and page furniture of records from any publisher, read from the
text alone (no manifest row) unless a test says otherwise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from indexer.manifest import manifest_row, read_manifest
from indexer.parse import ManifestRow, parse_file, parse_text
from indexer.read import read_file
from indexer.vocabulary import DocumentKind

GALLERY = Path(__file__).resolve().parent / "gallery"


def _doc(text: str, source: str = "minutes.txt", manifest: ManifestRow = ManifestRow()):
    (doc, *_) = parse_text(source, text, manifest).documents
    return doc


MEETING = "\n\nPresent: Cllr A Moss (Chair), Cllr B Lyle\n\n1. Budget\nThe Commissioner said the budget was balanced.\n"


@pytest.mark.parametrize(
    ("heading", "body", "area"),
    [
        ("Sussex Police and Crime Panel - Friday, 24 January 2025 10.30 am", "Sussex Police and Crime Panel", "Sussex"),
        ("North Yorkshire Police, Fire and Crime Panel", "North Yorkshire Police, Fire and Crime Panel", "North Yorkshire"),
        ("WEST MERCIA ACCOUNTABILITY BOARD", "West Mercia Accountability Board", "West Mercia"),
        ("Cleveland Governance Board", "Cleveland Governance Board", "Cleveland"),
        ("MEETING OF THE DURHAM POLICE AND CRIME PANEL", "Durham Police and Crime Panel", "Durham"),
        ("# Joint Audit Committee\n\nAvon and Somerset", "Avon and Somerset Joint Audit Committee", "Avon and Somerset"),
        ("Gwent Performance and Accountability Meeting", "Gwent Performance and Accountability Meeting", "Gwent"),
        ("The Kent and Medway Police and Crime Panel", "Kent and Medway Police and Crime Panel", "Kent"),
    ],
)
def test_body_and_area_from_the_heading(heading: str, body: str, area: str) -> None:
    doc = _doc(heading + MEETING)
    assert (doc.body, doc.area) == (body, area)


def test_html_minutes_get_their_date_body_and_area(tmp_path: Path) -> None:
    path = tmp_path / "panel.html"
    path.write_text(
        "<h1>Kent and Medway Police and Crime Panel</h1><p>MINUTES of a meeting held on Tuesday, 3 February 2026.</p>"
        "<p>Present: Mr P Jury (Chair), Cllr D Marsh</p><h2>1. Fraud update</h2><p>The Commissioner said fraud had fallen.</p>",
        encoding="utf-8",
    )
    (doc,) = parse_file(read_file(path)).documents
    assert (doc.kind, doc.body, doc.area, doc.date) == (
        DocumentKind.MINUTES, "Kent and Medway Police and Crime Panel", "Kent", date(2026, 2, 3)
    )


def test_panels_of_two_areas_stay_apart_even_when_the_title_names_no_place() -> None:
    text = "MINUTES of a meeting of the Police and Crime Panel held on 3 March 2025" + MEETING
    sussex = _doc(text, source="sussex-panel-2025-03-03.txt")
    kent = _doc(text, source="kent-panel-2025-03-03.txt")
    assert sussex.body == kent.body == "Police and Crime Panel"
    assert (sussex.area, kent.area) == ("Sussex", "Kent")
    assert (sussex.area, sussex.body) != (kent.area, kent.body)


def test_the_manifest_area_column_names_the_area(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,body,area\nminutes.txt,Police and Crime Panel,Lincolnshire\n", encoding="utf-8")
    row = manifest_row(read_manifest(manifest)["minutes.txt"])
    doc = _doc("MINUTES of a meeting of the Police and Crime Panel held on 3 March 2025" + MEETING, manifest=row)
    assert (row.area, doc.area) == ("Lincolnshire", "Lincolnshire")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Essex Police and Crime Panel\n\nAGENDA\n\nItem 1 Apologies\nItem 2 Budget\n", DocumentKind.AGENDA),
        ("DECISION NOTICE\n\nTitle: Fleet\n\nDecision\nI approve the purchase.\n\nDate: 1 May 2025\n", DocumentKind.DECISION),
        ("Essex Police and Crime Panel\n\nMinutes\n" + MEETING, DocumentKind.MINUTES),
        ("Essex Police and Crime Panel" + MEETING, DocumentKind.MINUTES),  # attendees and discussion
        ("Essex Accountability Board\n\nNotes of the meeting\n" + MEETING, DocumentKind.MEETING_NOTES),
    ],
)
def test_kinds_from_the_content(text: str, kind: DocumentKind) -> None:
    assert _doc(text).kind == kind


@pytest.mark.parametrize(
    ("line", "number"),
    [("57/21 APOLOGIES FOR ABSENCE", "57/21"), ("(3) APOLOGIES FOR ABSENCE", "3"), ("Item 5 Apologies for absence", "5"),
     ("Ref/04/14/03/2025 Apologies for absence", "Ref/04/14/03/2025"), ("4.1 Apologies for Absence", None)],
)
def test_agenda_item_numbers_in_the_forms_in_use(line: str, number: str | None) -> None:
    text = f"Essex Police and Crime Panel - 3 March 2025{MEETING.replace('1. Budget', line)}"
    doc = _doc(text)
    assert [i.number for i in doc.items if i.number] == ([number] if number else [])


FURNITURE = ("Share this item", "pdf icon", "Minutes:", "Skip to", "cookies", "Print this page", "Page 1 of 1",
             "Page 3 of 12", "P:\\", "Additional documents", "No.\tItem", "Home >")


@pytest.mark.parametrize(
    "name", ["sussex-panel-moderngov.html", "thames-valley-panel-cmis.html", "cumbria-panel-minutes-2021.txt"]
)
def test_page_furniture_is_never_an_item_or_passage_text(name: str) -> None:
    parsed = parse_file(read_file(GALLERY / name))
    texts = [p.text for p in parsed.passages] + [i.title for d in parsed.documents for i in d.items]
    assert texts and not [t for t in texts if any(f in t for f in FURNITURE)]


def test_a_meeting_page_keeps_the_minutes_not_the_agenda_wording() -> None:
    parsed = parse_file(read_file(GALLERY / "sussex-panel-moderngov.html"))
    text = "\n".join(p.text for p in parsed.passages)
    assert "declared a personal interest" in text and "forty posts would be kept" in text
    assert "Members are asked to declare" not in text and "Report by the Commissioner setting out" not in text


# -- bodies of two areas never merge downstream ------------------------------------------

def _meeting(area: str, day: date, n: int):
    from indexer.records import Document

    return Document(
        id=f"{area}-{n}#0", source=f"{area}-{n}.txt", kind=DocumentKind.MINUTES, title="Minutes",
        body="Police and Crime Panel", date=day, date_range=None, date_inferred=False, attendees=(), items=(),
        start=0, end=1, area=area,
    )


def _action(area: str, day: date):
    from indexer.records import Action

    return Action(
        text="The Commissioner to report on rural crime patrols", owner="PCC", due=None, meeting_date=day,
        date_inferred=False, source=f"{area}-1.txt", document_id=f"{area}-1#0", body="Police and Crime Panel",
        item_number="3", item_title="Rural crime", kind="action", status="open",
        quote="The Commissioner to report on rural crime patrols", start=0, end=1, area=area,
    )


def test_a_later_meeting_of_another_areas_panel_says_nothing_of_a_commitment() -> None:
    from indexer.embed import FakeEmbedder
    from search.ledger import build_ledger

    documents = [_meeting("Sussex", date(2025, 1, 24), 1), _meeting("Kent", date(2025, 6, 3), 2)]
    (entry,) = build_ledger([_action("Sussex", date(2025, 1, 24))], documents, FakeEmbedder().embed)
    assert entry.status == "unknown"  # no later Sussex meeting; Kent's is not the same panel


def test_a_brief_is_for_one_areas_panel() -> None:
    from search.brief import body_labels, choose_body, meeting_brief

    documents = [
        _meeting("Sussex", date(2025, 1, 24), 1), _meeting("Kent", date(2025, 6, 3), 2),
        _meeting("Kent", date(2025, 9, 9), 3),
    ]
    assert sorted(body_labels(documents).values()) == ["Police and Crime Panel (Kent)", "Police and Crime Panel (Sussex)"]
    assert choose_body(documents, None) == "Police and Crime Panel (Kent)"
    brief = meeting_brief([], documents, [], "police and crime panel (sussex)")
    assert "24 January 2025" in brief and "3 June 2025" not in brief


def test_minutes_without_numbers_take_their_capitalised_headings_as_items() -> None:
    text = (
        "Norfolk Police and Crime Panel\n\nMINUTES of a meeting held on Tuesday, 3 June 2025\n\n"
        "Present: Cllr A Moss (Chair), Cllr B Lyle\n\n"
        "APOLOGIES FOR ABSENCE\n\nApologies were received from Cllr C Dunn.\n\n"
        "ROAD SAFETY\n\nThe Commissioner said that speeding complaints had doubled.\n"
    )
    doc = _doc(text)
    assert [i.title for i in doc.items] == ["APOLOGIES FOR ABSENCE", "ROAD SAFETY"]
    assert (doc.kind, doc.date, doc.area) == (DocumentKind.MINUTES, date(2025, 6, 3), "Norfolk")


def test_a_minute_numbered_apart_from_its_agenda_item_keeps_the_minutes_number() -> None:
    text = (
        "Essex Police and Crime Panel - Thursday, 5 June 2025\n\nPresent: Cllr A Moss (Chair), Cllr B Lyle\n\n"
        "23. PROPOSED PRECEPT (Agenda Item 3)\nThe Commissioner said the precept would rise.\n\n"
        "24. RURAL CRIME\n(Item 4)\nCllr Lyle asked about farm thefts.\n"
    )
    assert [(i.number, i.title) for i in _doc(text).items] == [("23", "PROPOSED PRECEPT"), ("24", "RURAL CRIME")]


def test_two_areas_panels_meeting_on_one_day_are_two_meetings_in_the_timeline(tmp_path: Path) -> None:
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, FakeEmbedder, config_for
    from search.engine import open_searcher
    from ui import handlers as h

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for area, words in (("sussex", "thefts of quad bikes"), ("kent", "thefts of tractors")):
        (corpus / f"{area}-panel-minutes.txt").write_text(
            "MINUTES of a meeting of the Police and Crime Panel held on 3 March 2025" + MEETING
            + f"\n2. Rural crime\nThe Commissioner said rural crime patrols had cut {words} this winter.\n",
            encoding="utf-8",
        )
    embedder = FakeEmbedder()
    config = config_for(embedder)
    build_index([corpus], tmp_path / "index", embedder=embedder, cache=EmbeddingCache(tmp_path / "cache.sqlite"),
                parse=lambda extracted, row: parse_file(extracted, row), config=config, progress=False)
    view = h.run_timeline(open_searcher(tmp_path / "index", embedder), h.Query("rural crime patrols"))
    assert len(view.meetings) == 2
    labels = sorted(m.label for m in view.meetings)
    assert labels[0].endswith("(Kent)") and labels[1].endswith("(Sussex)")


def test_a_sites_menus_breadcrumbs_and_cookie_banner_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<div class="cookie-consent"><p>Your privacy matters to us, choose your settings.</p></div>'
        '<nav><ul><li>Home</li><li>Councillors</li><li>Meetings</li></ul></nav>'
        '<div id="breadcrumbs">Committees &gt; Panel</div>'
        "<h1>Wiltshire Police and Crime Panel - Thursday, 5 June 2025 10.30 am</h1>"
        "<p>Present: Cllr A Moss (Chair), Cllr B Lyle</p><h2>1. Budget</h2><p>The Commissioner said the budget was set.</p>",
        encoding="utf-8",
    )
    text = read_file(path).text
    assert "Councillors" not in text and "privacy" not in text and "Committees" not in text
    (doc,) = parse_file(read_file(path)).documents
    assert (doc.body, doc.area, doc.date) == ("Wiltshire Police and Crime Panel", "Wiltshire", date(2025, 6, 5))


@pytest.mark.parametrize(
    ("heading", "body"),
    [
        ("Police, Fire and Crime Commissioner for Essex", "Police, Fire and Crime Commissioner for Essex"),
        ("OFFICE OF THE POLICE AND CRIME COMMISSIONER FOR NORTH WALES", "Police and Crime Commissioner for North Wales"),
        ("Avon and Somerset Police and Crime Commissioner", "Avon and Somerset Police and Crime Commissioner"),
    ],
)
def test_a_decision_records_body_is_the_office_that_made_it(heading: str, body: str) -> None:
    doc = _doc(f"{heading}\n\nDECISION NOTICE\n\nTitle: Fleet\n\nDecision\nI approve the purchase of vans.\n\nDate: 1 May 2025\n")
    assert (doc.kind, doc.body, doc.date) == (DocumentKind.DECISION, body, date(2025, 5, 1))


def test_the_manifests_document_type_outranks_a_guess_from_the_attendees() -> None:
    text = "Performance and Delivery Board" + MEETING
    assert _doc(text).kind == DocumentKind.MINUTES  # attendees and discussion: a meeting's record
    assert _doc(text, manifest=ManifestRow(document_type="meeting notes")).kind == DocumentKind.MEETING_NOTES


def test_a_date_is_no_minute_number() -> None:
    from indexer.documents import FORMAL_MINUTES_RE

    for line in ("Date 14/03/2025", "14/03/2025 meeting", "Budget 24/25 overview"):
        assert FORMAL_MINUTES_RE.search(line) is None, line
    for line in ("57/21 Apologies for absence", "PCP 12/23 Minutes of the last meeting"):
        assert FORMAL_MINUTES_RE.search(line) is not None, line


@pytest.mark.parametrize(
    ("kind", "head", "role"),
    [
        (DocumentKind.REPORT, "ROADS PANEL\n6 June 2022\n\nREPORT OF THE POLICE AND CRIME COMMISSIONER\n", "PCC"),
        (DocumentKind.DECISION, "Report author: Tom Kenning, Deputy Police, Fire and Crime Commissioner (DPFCC)\n"
                                "Decision maker: Philippa Hartnell, Police, Fire and Crime Commissioner (PFCC)\n", "DPCC"),
        (DocumentKind.DECISION, "Decision maker: Philippa Hartnell, Police, Fire and Crime Commissioner (PFCC)\n", "PCC"),
        (DocumentKind.REPORT, "Report by: the Chief Constable\n", "CC"),
        (DocumentKind.REPORT, " By: Anna Taylor, Panel Officer, Kent County Council\n", None),  # no office
        (DocumentKind.MINUTES, "Report of the Police and Crime Commissioner\n", None),  # minutes have speakers
    ],
)
def test_a_report_speaks_for_the_office_its_title_block_names(kind: DocumentKind, head: str, role: str | None) -> None:
    from indexer.documents import report_author_role

    assert report_author_role(kind, head + "\n1. Purpose\nThis report updates the Panel on road safety.\n") == role


def test_a_commissioners_report_to_the_panel_is_credited_to_the_commissioner() -> None:
    text = (
        "NORTHSHIRE POLICE AND CRIME PANEL\n3 March 2025\n\nREPORT OF THE POLICE AND CRIME COMMISSIONER\n\n"
        "RURAL CRIME\n\nBackground\n1. Thefts of quad bikes fell by a third after the farm watch scheme began.\n\n"
        "Next steps\n2. The Commissioner will ask the Chief Constable to report on livestock worrying by June.\n"
    )
    parsed = parse_text("northshire-panel_2025-03-03_report.txt", text)
    body = [p for p in parsed.passages if "quad bikes" in p.text or "livestock" in p.text]
    assert body and all([s.role for s in p.speakers] == ["PCC"] for p in body)


def test_a_word_tables_label_cells_give_the_date_and_place() -> None:
    text = (
        "CLEVELAND JOINT INDEPENDENT AUDIT COMMITTEE\nMINUTES\n"
        "Committee:\tJoint Independent Audit Committee\tDate:\tWednesday 4 March 2026\n"
        "Venue:\tCommittee Room B, Middlesbrough\tTime:\t14:00\n\n"
        "Name\tRole\nCarys Dunn\tIndependent Member (Chair)\n\n1\tTreasury management\nNoted.\n"
    )
    doc = _doc(text)
    assert (doc.date, doc.body) == (date(2026, 3, 4), "Cleveland Joint Independent Audit Committee")
    assert [a.name for a in doc.attendees] == ["Carys Dunn"]


def test_a_notes_title_names_the_meeting_and_the_area_comes_from_the_file_the_text_agrees_with() -> None:
    text = (
        "OFFICIAL\n\nNotes of the Police and Crime Commissioner's Estates Meeting held on Monday 2 March 2026\n\n"
        "Attendees: Huw Jenkins – Police and Crime Commissioner; Tom Wynne – Head of Estates\n\n"
        "1. Estates\nThe PCC asked about Gwent Police stations.\n"
    )
    assert _doc(text, source="gwent-estates_2026-03-02.txt").body == "Gwent Police and Crime Commissioner's Estates Meeting"
    # The file name alone does not vouch for the area: the text names another.
    assert _doc(text, source="dorset-estates_2026-03-02.txt").body == "Police and Crime Commissioner's Estates Meeting"


def test_a_body_the_manifest_names_keeps_its_name() -> None:
    text = "Scrutiny Board\n\nOffice of the Police and Crime Commissioner for Dorset" + MEETING
    assert _doc(text).body == "Dorset Scrutiny Board"
    assert _doc(text, manifest=ManifestRow(body="Scrutiny Board")).body == "Scrutiny Board"


@pytest.mark.parametrize(
    "title",
    [
        "Strategic Policing Board - Record of Meeting",
        "Strategic Policing Board - Notes of the Meeting",
    ],
)
def test_a_title_drops_the_document_type_after_the_bodys_name(title: str) -> None:
    text = f"---\ntitle: {title}\norganisation: Office of the Police and Crime Commissioner for Lincolnshire\ndate: 2026-02-03\n---\n\n" \
        "# Strategic Policing Board\n\n1. Budget\n\nThe Commissioner asked about overtime.\n"
    assert _doc(text, source="lincolnshire-board_2026-02-03_notes.md").body == "Lincolnshire Strategic Policing Board"


@pytest.mark.parametrize(
    "heading",
    ["Notes of the Previous Meeting held on 4 March 2024", "2. Notes of the Last Meeting held on 4 March 2024"],
)
def test_an_agenda_item_on_the_previous_meetings_notes_names_no_body(heading: str) -> None:
    text = f"Dorset Scrutiny Board\n\nDate: 2 June 2025\n\n{heading}" + MEETING
    assert _doc(text).body == "Dorset Scrutiny Board"

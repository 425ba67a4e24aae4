"""Roster entries, kinds and bodies in the forms other publishers use, one assertion each,
beside the gallery's golden files (tests/gallery/more-*)."""

from __future__ import annotations

import pytest

from indexer.parse import parse_text
from indexer.roster import parse_entry
from indexer.vocabulary import DocumentKind


@pytest.mark.parametrize(
    ("entry", "name", "role", "initials"),
    [
        ("Head of Finance Marcus Lyle (ML)", "Marcus Lyle", None, "ML"),
        ("Chief Executive (OPCC) Colin Dray (CD)", "Colin Dray", "CE", "CD"),
        ("Sarah Quayle (Chief Executive (OPCC))", "Sarah Quayle", "CE", None),
        ("Jane Doe, Chief Constable", "Jane Doe", "CC", None),
        ("Jane Doe - Chief Executive & Monitoring Officer", "Jane Doe", "CE", None),
        ("Nina Ellwood, DCC (Temporary)", "Nina Ellwood", "DCC", None),
        ("Fiona Castell (FC) | Police and Crime Commissioner", "Fiona Castell", "PCC", "FC"),
        ("COUNCILLOR H DUNMORE (CHAIRMAN)", "H Dunmore", "Chair", None),
        ("Independent Co-opted Member Mrs J. Fairburn (Chairman)", "J. Fairburn", "Chair", None),
        ("Assistant Chief Constable Daniel Marrick attended the meeting.", "Daniel Marrick", "ACC", None),
        ("DCC – Deputy Chief Constable (Nia Rhys)", "Nia Rhys", "DCC", None),
        ("CEO – Chief Executive (Owain Bevan)", "Owain Bevan", "CE", None),
        ("TW – Head of Estates, Gwent Police (Tom Wynne) – minutes", "Tom Wynne", None, "TW"),
    ],
)
def test_entry_forms(entry: str, name: str, role: str | None, initials: str | None) -> None:
    found = parse_entry(entry)
    assert found is not None and (found.name, found.role, found.initials) == (name, role, initials)


@pytest.mark.parametrize("entry", ["Head of Strategy", "OPCC (CE)", "Derbyshire Constabulary | OPCC"])
def test_offices_and_organisations_are_no_one(entry: str) -> None:
    assert parse_entry(entry) is None


MEETING = "\n\nDate: 3 May 2024\n\nAttendees:\nAmy Hale – Police and Crime Commissioner\n\n1. Finance\nThe PCC said costs rose.\n"


@pytest.mark.parametrize(
    ("heading", "body"),
    [
        ("WILTSHIRE STRATEGIC BOARD NOTES", "Wiltshire Strategic Board"),
        ("Notes from the Wiltshire Strategic Board", "Wiltshire Strategic Board"),
        ("Scrutiny and Accountability Board (Wiltshire)", "Wiltshire Scrutiny and Accountability Board"),
        ("Strategic Policing and Crime Board – Wiltshire", "Wiltshire Strategic Policing and Crime Board"),
        ("Wiltshire Police and Crime Commissioner\nScrutiny and Accountability Board", "Wiltshire Scrutiny and Accountability Board"),
        ("Scrutiny & Accountability Board – Notes", "Scrutiny and Accountability Board"),
        ("Strategic Policing Board\n\nOffice of the Police and Crime Commissioner for Wiltshire", "Wiltshire Strategic Policing Board"),
    ],
)
def test_body_as_titled_with_the_area_the_title_gives(heading: str, body: str) -> None:
    assert parse_text("board.txt", heading + MEETING).documents[0].body == body


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Wiltshire Strategic Board", DocumentKind.MEETING_NOTES),  # no forms of minutes
        ("Wiltshire Strategic Board\n\nMinutes", DocumentKind.MINUTES),
        ("Wiltshire Strategic Board\n\n1. Minutes of the last meeting", DocumentKind.MEETING_NOTES),
    ],
)
def test_a_record_is_notes_unless_it_says_minutes_or_keeps_their_forms(heading: str, kind: DocumentKind) -> None:
    assert parse_text("board.txt", heading + MEETING).documents[0].kind == kind


def test_a_paper_whose_subject_is_public_questions_is_questions() -> None:
    text = "To: Wiltshire Police and Crime Panel\nSubject: Public questions\n\nQuestion 1\nMr Ian Hope asked about parking.\n"
    assert parse_text("q.txt", text).documents[0].kind == DocumentKind.QUESTIONS


def test_apologies_sentence_lists_who_sent_them() -> None:
    text = "Wiltshire Police and Crime Panel\n\nMinutes\n\nPresent: Cllr A Moss (Chair)\n\nApologies were received from Councillor Bethan Lowe and Mr Kieran Ashdown.\n\n1. Budget\nAgreed.\n"
    attendees = parse_text("m.txt", text).documents[0].attendees
    assert [(a.name, a.status) for a in attendees] == [("A Moss", "present"), ("Bethan Lowe", "apologies"), ("Kieran Ashdown", "apologies")]


def test_people_who_attended_the_meeting_are_read_from_the_sentence_that_says_so() -> None:
    text = (
        "NORTHSHIRE POLICE AND CRIME PANEL\n\nMINUTES OF THE MEETING HELD ON FRIDAY, 7TH MARCH, 2025\n\n"
        "PRESENT:\n\nCouncillors Abbott, Greaves and Whitby\n\n"
        "Keith Ormsby (Police and Crime Commissioner), Ruth Lingard (Chief Executive,\n"
        "Office of the Police and Crime Commissioner) and Assistant Chief Constable\n"
        "Daniel Marrick attended the meeting.\n\n"
        "Apologies for absence were received from Councillor Pennock.\n\n"
        "12/25   MINUTES\n\n        Agreed.\n"
    )
    attendees = parse_text("m.txt", text).documents[0].attendees
    assert [(a.name, a.role, a.status) for a in attendees] == [
        ("Abbott", "Member", "present"), ("Greaves", "Member", "present"), ("Whitby", "Member", "present"),
        ("Keith Ormsby", "PCC", "present"), ("Ruth Lingard", "CE", "present"), ("Daniel Marrick", "ACC", "present"),
        ("Pennock", None, "apologies"),
    ]


def _roster(text: str) -> list[tuple[str, str | None, str]]:
    return [(a.name, a.role, a.status) for a in parse_text("m.txt", text).documents[0].attendees]


def test_an_attendance_table_in_an_html_page_gives_each_row_its_own_status(tmp_path) -> None:
    from indexer.parse import parse_file
    from indexer.read import read_file

    path = tmp_path / "panel.html"
    path.write_text(
        "<h1>Gwent Police and Crime Panel</h1><p>Minutes of the meeting held on 4 March 2026</p>"
        "<h2>Attendance</h2><table><tr><th>Role</th><th>Name</th><th>Status</th></tr>"
        "<tr><td>Chair</td><td>Councillor Delyth Price</td><td>Present</td></tr>"
        "<tr><td>Panel Member</td><td>Mr Aled Morgan</td><td>Attended (remotely)</td></tr>"
        "<tr><td>Panel Member</td><td>Councillor Sian Pugh</td><td>Apologies received</td></tr></table>"
        "<h2>1. Budget</h2><p>The Commissioner said the budget was balanced.</p>",
        encoding="utf-8",
    )
    (doc,) = parse_file(read_file(path)).documents
    assert [(a.name, a.role, a.status) for a in doc.attendees] == [
        ("Delyth Price", "Chair", "present"), ("Aled Morgan", "Member", "present"), ("Sian Pugh", "Member", "apologies"),
    ]


def test_a_markdown_table_under_its_label_keeps_the_labels_status() -> None:
    text = (
        "# Cumbria Strategic Board\n\nDate: 5 May 2026\n\n## Attendees\n\n| Name | Role |\n|---|---|\n"
        "| Omar Hale | Police and Crime Commissioner |\n| Jo Penn | Chief Constable |\n\n"
        "## Apologies\n\n| Name | Role |\n|---|---|\n| Ray Cobb | Deputy Chief Constable |\n\n"
        "## 1. Finance\n\nThe PCC said costs rose.\n"
    )
    assert _roster(text) == [("Omar Hale", "PCC", "present"), ("Jo Penn", "CC", "present"), ("Ray Cobb", "DCC", "apologies")]


def test_a_tab_separated_table_of_a_word_export_reads_its_status_column() -> None:
    text = (
        "Lincolnshire Police and Crime Panel\n\nMinutes\n\nDate: 6 June 2026\n\n"
        "Attendance\tName\tPosition\nAbsent\tCllr Tess Wragby\tMember\n"
        "Present\tMarc Lowther\tPolice and Crime Commissioner\n\n1. Budget\nAgreed.\n"
    )
    assert _roster(text) == [("Tess Wragby", "Member", "apologies"), ("Marc Lowther", "PCC", "present")]


def test_a_key_of_offices_and_initials_gives_the_people_the_notes_name_by_their_keys() -> None:
    text = (
        "Notes of the Gwent Estates Meeting held on 2 July 2026\n\nAttendees\n\n"
        "PCC    – Police and Crime Commissioner (Huw Jenkins)\n"
        "ACC    – Assistant Chief Constable, Crime and Justice (Carys Lloyd)\n"
        "TW     – Head of Estates, Gwent Police (Tom Wynne) – minutes\n\n"
        "Apologies\n\nCC     – Chief Constable (Gethin Ward)\n\n"
        "1. Estates\n\n1.1 TW said two stations would close. The PCC asked about costs.\n"
    )
    parsed = parse_text("notes.txt", text)
    assert [(a.name, a.role, a.initials, a.status) for a in parsed.documents[0].attendees] == [
        ("Huw Jenkins", "PCC", None, "present"), ("Carys Lloyd", "ACC", None, "present"),
        ("Tom Wynne", None, "TW", "present"), ("Gethin Ward", "CC", None, "apologies"),
    ]
    assert [s.name for p in parsed.paragraphs for s in p.speakers] == ["Tom Wynne", "Huw Jenkins"]


def test_a_key_that_is_neither_an_office_nor_the_initials_keys_no_one() -> None:
    found = parse_entry("XY – Head of Estates (Tom Wynne)")
    assert found is None or found.initials != "XY"


def test_an_office_and_its_organisation_after_a_dash_are_one_entry() -> None:
    text = (
        "Cumbria Police and Crime Panel\n\nMinutes\n\nDate: 7 July 2026\n\nAlso in attendance\n\n"
        "• Ruth Alder – Chief Constable, Cumbria Constabulary\n"
        "• Idris Cole – Chief Fire Officer, Cumbria Fire and Rescue Service\n"
        "• Jan Moss – Chief Executive, Office of the Commissioner\n\n1. Budget\nAgreed.\n"
    )
    assert _roster(text) == [
        ("Ruth Alder", "CC", "in attendance"), ("Idris Cole", None, "in attendance"), ("Jan Moss", "CE", "in attendance"),
    ]


def test_paragraph_rosters_under_labels_of_their_own_wording() -> None:
    text = (
        "<h1>Minutes - Police and Crime Panel - 9 October 2025</h1>\n"
        "Councillors present: Councillor Hywel Beddoe (Chair), Councillor Ffion Rowlands and Councillor Dai Meredith.\n"
        "Independent co-opted members: Mr Lloyd Garnett and Dr Elin Saward.\n"
        "Also present: the Police and Crime Commissioner, Ms Carys Penhallow, and Chief Constable Tomos Wyn (Dyfed-Powys Police).\n"
        "1. Minutes\nAgreed.\n"
    )
    assert _roster(text) == [
        ("Hywel Beddoe", "Chair", "present"), ("Ffion Rowlands", "Member", "present"), ("Dai Meredith", "Member", "present"),
        ("Lloyd Garnett", "Member", "present"), ("Elin Saward", "Member", "present"),
        ("Carys Penhallow", "PCC", "present"), ("Tomos Wyn", "CC", "present"),
    ]


def test_one_wrapped_paragraph_of_names_with_their_offices_in_brackets() -> None:
    text = (
        "Durham Police and Crime Commissioner\n\nPERFORMANCE BOARD\n\nNotes of Meeting\n\nDate: 3 March 2025\n\n"
        "Present: Wendy Ashgill (Police and Crime Commissioner), Barnaby\n"
        "Crook (Chief Constable), Mei Tanfield (Deputy Chief Constable), Rupert\n"
        "Hetton (Chief Finance Officer, OPCC), Gail Sedgefield (Head of Policy,\n"
        "OPCC), Osman Lanchester (Chief Executive, OPCC)\n\n"
        "1.   Welcome\n\n1.1  The Commissioner welcomed everyone.\n"
    )
    assert [name for name, _, _ in _roster(text)] == [
        "Wendy Ashgill", "Barnaby Crook", "Mei Tanfield", "Rupert Hetton", "Gail Sedgefield", "Osman Lanchester",
    ]
    assert _roster(text)[-1] == ("Osman Lanchester", "CE", "present")


def test_offices_as_headings_with_the_name_on_the_next_line() -> None:
    text = (
        "Office of the Police and Crime Commissioner for Dorset\n\nPOLICING BOARD\n\nMeeting notes\n\nDate: 2 June 2025\n\n"
        "Attendees\n\nPolice and Crime Commissioner\nHarriet Kimmeridge\n\n"
        "Chief Constable\nAmos Lulworth\n\nHead of Strategy, OPCC\nPiers Studland\n\n"
        "Apologies\n\nDeputy Chief Constable\nKezia Swanage\n\n"
        "1. Budget\n\nThe Commissioner asked about overtime.\n"
    )
    assert _roster(text) == [
        ("Harriet Kimmeridge", "PCC", "present"), ("Amos Lulworth", "CC", "present"), ("Piers Studland", None, "present"),
        ("Kezia Swanage", "DCC", "apologies"),
    ]


def test_a_heading_followed_by_a_line_of_text_is_no_person() -> None:
    text = (
        "Dorset Policing Board\n\nDate: 2 June 2025\n\nAttendees\n\nPolice and Crime Commissioner\nHarriet Kimmeridge\n\n"
        "Chief Constable update\nOverall Crime Fell\n\n1. Budget\n\nAgreed.\n"
    )
    assert _roster(text) == [("Harriet Kimmeridge", "PCC", "present")]



def test_attendees_in_two_columns_separated_by_spaces() -> None:
    text = (
        "AUDIT COMMITTEE\n\nMINUTES OF THE MEETING OF THE AUDIT COMMITTEE held on 4 April 2025\n\n"
        "PRESENT:\n\n"
        "Committee Members                        Officers\n\n"
        "Mrs Olwen Tregaron (Chair)               Mr Idris Llanfair (Chief Executive, OPCC)\n"
        "Mr Bryn Cilgerran                        Ms Nerys Aberporth (Chief Finance Officer,\n"
        "                                           Office of the PCC)\n"
        "Dr Mair Cenarth                          DCC Emrys Nevern (Deputy Chief Constable)\n\n"
        "APOLOGIES:   Mr Gwilym Pencader (Committee Member)\n\n"
        "25/1  MINUTES\n\n      Agreed.\n"
    )
    assert _roster(text) == [
        ("Olwen Tregaron", "Chair", "present"), ("Bryn Cilgerran", "Member", "present"), ("Mair Cenarth", "Member", "present"),
        ("Idris Llanfair", "CE", "in attendance"), ("Nerys Aberporth", "CFO", "in attendance"),
        ("Emrys Nevern", "DCC", "in attendance"), ("Gwilym Pencader", None, "apologies"),
    ]


def test_one_person_a_line_with_post_nominals_and_the_office_after_a_run_of_spaces() -> None:
    text = (
        "JOINT INDEPENDENT AUDIT COMMITTEE\n\nMINUTES\n\nDate: 3 March 2026\n\n"
        "Board Members Present:\n"
        "Mr Tobias Wrenfield FCCA (Chair)\n"
        "Dr Amara Quillon\n\n"
        "Officers and Staff in Attendance:\n"
        "Petra Hollins CIPFA          Chief Finance Officer, OPCC\n"
        "DCC Marcus Ebberley QPM      Deputy Chief Constable, Lincolnshire Police\n"
        "Nell Draycott                Governance Officer (minutes)\n\n"
        "Apologies:\n"
        "Mr Oren Castleby             Independent Member\n\n"
        "1. MINUTES\n\nAgreed.\n"
    )
    assert _roster(text) == [
        ("Tobias Wrenfield", "Chair", "present"), ("Amara Quillon", "Member", "present"),
        ("Petra Hollins", "CFO", "in attendance"), ("Marcus Ebberley", "DCC", "in attendance"),
        ("Nell Draycott", None, "in attendance"), ("Oren Castleby", "Member", "apologies"),
    ]


def test_officers_supporting_the_panel_as_a_heading_are_in_attendance() -> None:
    text = (
        "# Lincolnshire Police and Crime Panel\n\nMinutes\n\nDate: 3 March 2026\n\n"
        "### Present\n\nCouncillor Ruth Ashby (Chair)\n\n"
        "### Officers supporting the Panel\n\nGareth Moss (Legal Adviser) and Ida Penn (Scrutiny Officer)\n\n"
        "### 1. Budget\n\nOfficers supporting the panel said the review was complete.\n"
    )
    assert _roster(text) == [
        ("Ruth Ashby", "Chair", "present"), ("Gareth Moss", None, "in attendance"), ("Ida Penn", None, "in attendance"),
    ]


def test_one_name_and_office_a_line_are_one_entry_a_line() -> None:
    text = (
        "Dorset Policing Board\n\nDate: 2 June 2025\n\nPresent:\n"
        "Harriet Kimmeridge, Police and Crime Commissioner\nAmos Lulworth, Chief Constable\n\n"
        "1. Budget\n\nAgreed.\n"
    )
    assert _roster(text) == [("Harriet Kimmeridge", "PCC", "present"), ("Amos Lulworth", "CC", "present")]


def test_a_name_column_and_an_office_column_set_apart_by_spaces_are_one_entry_a_row() -> None:
    text = (
        "Dorset Policing Board\n\nDate: 2 June 2025\n\nPresent:\n"
        "Harriet Kimmeridge      Police and Crime Commissioner\nAmos Lulworth      Chief Constable\n\n"
        "1. Budget\n\nAgreed.\n"
    )
    assert _roster(text) == [("Harriet Kimmeridge", "PCC", "present"), ("Amos Lulworth", "CC", "present")]


def test_a_topic_heading_with_an_office_word_and_a_name_below_is_no_entry() -> None:
    from indexer.roster import office_then_name

    assert office_then_name("Head of Estates Report", "Tom Wynne") is None


def test_an_office_that_begins_with_a_status_word_is_no_status() -> None:
    text = (
        "# Cumbria Strategic Board\n\nDate: 5 May 2026\n\n## Attendees\n\n| Name | Role |\n|---|---|\n"
        "| Omar Hale | Police and Crime Commissioner |\n\n"
        "## Apologies\n\n| Name | Role |\n|---|---|\n| Ray Cobb | Online Safety Lead |\n\n"
        "## 1. Finance\n\nThe PCC said costs rose.\n"
    )
    assert _roster(text)[-1] == ("Ray Cobb", None, "apologies")


def test_an_office_alone_is_matched_as_records_write_it_in_capitals() -> None:
    from indexer.roster import _office_alone

    assert _office_alone("the CC") == "CC"
    assert _office_alone("cc") is None


def test_people_the_chair_welcomes_with_their_offices_attended() -> None:
    text = (
        "Westmoor Police and Crime Panel\n\nMinutes\n\nPresent: Cllr Hal Brook (Chair)\n\n"
        "1. Apologies\nNone.\n\n"
        "2. Precept proposal\n"
        "The Chair welcomed Nell Garrow, the Police and Crime Commissioner, who was accompanied by\n"
        "Ivo Tennant, Chief Executive of his office, and Rosa Kemble, the finance lead for the scheme.\n\n"
        "Mr Garrow presented the proposal.\n"
    )
    assert _roster(text) == [
        ("Hal Brook", "Chair", "present"), ("Nell Garrow", "PCC", "present"),
        ("Ivo Tennant", "CE", "present"), ("Rosa Kemble", None, "present"),
    ]


def test_a_candidate_proposed_for_appointment_and_those_in_attendance_for_an_item_attended() -> None:
    text = (
        "Eastvale Police and Crime Panel\n\nMinutes\n\nPresent: Cllr Hal Brook (Chair)\n\n"
        "1. Confirmation hearing\n"
        "The Commissioner proposed to appoint Assistant Chief Constable Priya Vance as Deputy Chief Constable.\n\n"
        "In attendance for this item were Colm Rudd, Treasurer, and Edie Marsh, Head of Estates.\n"
    )
    assert _roster(text) == [
        ("Hal Brook", "Chair", "present"), ("Priya Vance", "ACC", "present"),
        ("Colm Rudd", None, "present"), ("Edie Marsh", None, "present"),
    ]


def test_a_person_only_mentioned_is_no_attendee() -> None:
    text = (
        "Westmoor Police and Crime Panel\n\nMinutes\n\nPresent: Cllr Hal Brook (Chair)\n\n"
        "1. Chair's announcements\n"
        "The Chair thanked the former Chief Constable, Glen Ashby, for his service.\n\n"
        "A report by Tara Whitlow, Head of Performance, was noted.\n\n"
        "The Chair welcomed Ben Ord to the meeting.\n"
    )
    assert _roster(text) == [("Hal Brook", "Chair", "present")]


def test_people_welcomed_after_the_first_items_are_not_read_as_attendees() -> None:
    text = (
        "Westmoor Police and Crime Panel\n\nMinutes\n\nPresent: Cllr Hal Brook (Chair)\n\n"
        "1. Apologies\nNone.\n\n2. Minutes\nAgreed.\n\n3. Actions\nNoted.\n\n"
        "4. Estates\nThe Chair welcomed Edie Marsh, Head of Estates.\n"
    )
    assert _roster(text) == [("Hal Brook", "Chair", "present")]

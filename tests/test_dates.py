"""Meeting dates in the forms publishers write them, and never another meeting's date."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.dates import complete_year, day_and_month, find_dates, first_date, reference_date
from indexer.parse import ManifestRow, parse_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuesday, 15 September 2020 10.30 am", date(2020, 9, 15)),
        ("WEDNESDAY 28TH JULY,\n2021 at 10.30 am", date(2021, 7, 28)),
        ("Friday 13th June, 2025", date(2025, 6, 13)),
        ("12th Sept. 2019, 1000hrs", date(2019, 9, 12)),
        ("the 3rd of March 2022", date(2022, 3, 3)),
        ("March 3, 2022", date(2022, 3, 3)),
        ("29 Apr 2025 2.00 pm - 4.30 pm", date(2025, 4, 29)),
        ("11/12/2024", date(2024, 12, 11)),
        ("held at 10.30am on 07.03.2024 in Room 2", date(2024, 3, 7)),  # day-first with dots
        ("Ref/02/14/03/2025", date(2025, 3, 14)),
        ("Dydd Gwener, 14 Mawrth 2025", date(2025, 3, 14)),  # the Welsh side of a bilingual record
    ],
)
def test_date_forms(text: str, expected: date) -> None:
    assert first_date(text) == expected


def test_a_reference_number_is_read_as_its_date_not_as_two_broken_ones() -> None:
    assert [d for d, _, _ in find_dates("Ref/04/14/03/2025 Welcome")] == [date(2025, 3, 14)]
    assert reference_date("Ref/04/14/03/2025") == date(2025, 3, 14)
    assert reference_date("29/11/2023") is None


def test_a_dotted_date_beside_a_time_and_paragraph_numbers() -> None:
    text = "held at 10.30am on 07.03.2024, see paragraph 4.12 and version 2.1.3"
    assert [d for d, _, _ in find_dates(text)] == [date(2024, 3, 7)]


def test_day_and_month_without_a_year() -> None:
    assert day_and_month("Tuesday 15 September, 10.30 am") == (15, 9)
    assert day_and_month("15 September 2020") is None  # a full date is not a partial one
    assert day_and_month("31 February") is None


def test_a_year_is_completed_only_from_evidence_that_agrees() -> None:
    assert complete_year(15, 9, ([2020],)) == date(2020, 9, 15)
    assert complete_year(15, 9, ([], [2020, 2020])) == date(2020, 9, 15)
    assert complete_year(15, 9, ([2019, 2020], [])) is None  # several years prove nothing
    assert complete_year(29, 2, ([2023],)) is None  # no such day that year
    assert complete_year(15, 9, ()) is None


def _doc(text: str, source: str = "minutes.txt", manifest: ManifestRow = ManifestRow()):
    (doc, *_) = parse_text(source, text, manifest).documents
    return doc


@pytest.mark.parametrize(
    "title",
    [
        "Hertfordshire Police and Crime Panel - Tuesday, 15 September 2020 10.30 am",
        "Hertfordshire Police and Crime Panel - 15th September, 2020 2.00 pm - 4.30 pm",
        "Hertfordshire Police and Crime Panel, 15 Sept 2020, 1000hrs",
        "MINUTES of a meeting held on Tuesday, 15 September 2020.",
        "Minutes of the meeting of the Panel held at County Hall on 15 September 2020",
    ],
)
def test_the_meeting_date_in_a_title_line(title: str) -> None:
    text = (
        f"{title}\n\nPresent: Cllr A Moss (Chair)\n\n"
        "1. Minutes of the previous meeting\nThe minutes of the meeting held on 14 July 2020 were agreed.\n\n"
        "2. Date of next meeting\nThe next meeting will be on 10 November 2020.\n"
    )
    assert _doc(text).date == date(2020, 9, 15)


def test_previous_and_next_meeting_dates_are_never_the_meetings_own() -> None:
    text = (
        "Hertfordshire Police and Crime Panel\n\nMinutes\n\n"
        "Minutes of the previous meeting held on 14 July 2020 were agreed.\n"
        "Next meeting: 10 November 2020\n"
        "Actions due by 1 October 2020\n\n"
        "1. Budget\nThe Commissioner said the budget was balanced.\n"
    )
    doc = _doc(text)
    assert doc.date is None
    # At most a range after the previous meeting can be inferred, never one of those days.
    assert doc.date_range is None or date(2020, 7, 14) < doc.date_range[0]


def test_a_date_only_in_reference_numbers() -> None:
    text = (
        "NORFOLK POLICE ACCOUNTABILITY BOARD\n\nNotes of the meeting\n\n"
        "Ref/01/14/03/2025 Welcome\nThe PCC welcomed everyone.\n\n"
        "Ref/02/14/03/2025 Budget\nThe CC said spending was on plan. Report due 30 April 2025.\n\n"
        "Date of next meeting: 13 June 2025\n"
    )
    doc = _doc(text)
    assert (doc.date, doc.date_inferred) == (date(2025, 3, 14), False)
    assert [i.number for i in doc.items] == ["Ref/01/14/03/2025", "Ref/02/14/03/2025"]


def test_a_day_without_a_year_takes_the_year_of_the_file_name_and_is_flagged_inferred() -> None:
    text = "Lancashire Police and Crime Panel - Tuesday 15 September, 10.30 am\n\n1. Budget\nThe Commissioner spoke.\n"
    doc = _doc(text, source="lancashire-panel-2020.txt")
    assert (doc.date, doc.date_range, doc.date_inferred) == (None, (date(2020, 9, 15),) * 2, True)


def test_a_day_without_a_year_and_no_evidence_stays_unknown() -> None:
    text = "Lancashire Police and Crime Panel - Tuesday 15 September, 10.30 am\n\n1. Budget\nThe Commissioner spoke.\n"
    doc = _doc(text, source="panel-minutes.txt")
    assert doc.date is None and doc.meeting_date is None


def test_the_manifest_gives_the_year_of_a_day_and_month() -> None:
    text = "Lancashire Police and Crime Panel - Tuesday 15 September, 10.30 am\n\n1. Budget\nThe Commissioner spoke.\n"
    doc = _doc(text, manifest=ManifestRow(date=date(2020, 9, 15)))
    assert doc.meeting_date == date(2020, 9, 15) and doc.date_inferred


def test_the_date_of_meeting_label_in_a_title_block_with_page_furniture() -> None:
    text = (
        "RESTRICTED\n\n          Cleveland Police and Crime Commissioner\n\n          SCRUTINY BOARD\n\n"
        "          Notes of Meeting\n\nDate of meeting: 9th May 2024\nTime: 14:00\n\n"
        "1.   Notes of the last meeting\n\n1.1  The notes of the meeting held on 4th April 2024 were approved.\n"
    )
    assert _doc(text).date == date(2024, 5, 9)


@pytest.mark.parametrize(
    "head",
    [
        "Minutes - Audit Committee - 6 June 2024\nVenue: Room 4, Civic Centre\n",
        "Audit Committee\nDate: 6 June 2024\nVenue: Room 4, Civic Centre\n",
    ],
)
def test_a_sentence_about_another_meetings_minutes_does_not_date_this_one(head: str) -> None:
    # Items numbered "AC/24/3" do not end the header as "3." would: the sentence about the
    # last meeting's minutes is read with the title, and must not be taken for it.
    text = (
        f"{head}Members present: Cllr Edwin Pratt (Chair) and Cllr Joan Mayhew.\n"
        "AC/24/3 Minutes\nThe minutes of the meeting held on 2 March 2024 were confirmed and signed.\n"
        "AC/24/4 Internal audit\nThe auditor presented the plan.\n"
    )
    assert _doc(text).date == date(2024, 6, 6)


def test_a_decision_is_dated_by_the_commissioners_signature_not_an_officers() -> None:
    text = (
        "Office of the Police, Fire and Crime Commissioner for Cumbria\n\nDECISION RECORD\n\n"
        "Title: Replacement of custody CCTV\n\n1. Decision\n\n1.1 I approve the replacement of custody CCTV.\n\n"
        "Chief Finance Officer advice\n\nI confirm that funds are available.\n\n"
        "Signature: Rowan Keswick\nChief Finance Officer\n\nDate: 10th June 2024\n\n"
        "Approval\n\nSignature: Ada Ullswater\nPolice, Fire and Crime Commissioner\n\nDate: 17th June 2024\n"
    )
    assert _doc(text, source="decision.txt").date == date(2024, 6, 17)


def test_a_sentence_about_another_meetings_minutes_dated_without_a_year_does_not_date_this_one() -> None:
    text = (
        "Audit Committee\nDate: 6 June 2024\nVenue: Room 4, Civic Centre\n"
        "Members present: Cllr Edwin Pratt (Chair) and Cllr Joan Mayhew.\n"
        "AC/24/3 Minutes\nThe minutes of the meeting held on 7 February were confirmed and signed.\n"
        "AC/24/4 Internal audit\nThe auditor presented the plan.\n"
    )
    assert _doc(text).date == date(2024, 6, 6)


@pytest.mark.parametrize("text", ["version 2.1.2019", "v2.1.2019", "release 2.1.2019", "Ref. 2.1.2019"])
def test_a_version_number_with_dots_is_no_date(text: str) -> None:
    assert first_date(text) is None

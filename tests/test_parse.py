"""The parser on the real seed documents: documents, dates, rosters, items, speakers, actions."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from indexer.chunk import MAX_TOKENS
from indexer.manifest import read_manifest
from indexer.parse import parse_file
from indexer.read import read_file
from indexer.records import ParsedFile
from indexer.resolve import resolve_corpus

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
NOTES_2019 = "performance-delivery-board_2019-09-25_notes.txt"
NOTES_2023 = "performance-delivery-board_2023-09-13_notes.txt"
NOTES_2024 = "performance-delivery-board_2024-undated_notes.txt"
NOTES_2025 = "performance-delivery-board_2025-09-16_notes.md"
PACK = "police-and-crime-panel_2023-10-17_agenda-pack.txt"


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedFile]:
    rows = read_manifest(CORPUS / "manifest.csv")
    files = [parse_file(read_file(CORPUS / name), rows.get(name)) for name in rows]
    return {f.source: f for f in resolve_corpus(files)}


def _doc(parsed: dict[str, ParsedFile], source: str, kind: str, title_part: str = ""):
    return next(d for d in parsed[source].documents if d.kind == kind and title_part in d.title)


def _paragraph(parsed: dict[str, ParsedFile], source: str, start_of_text: str):
    return next(p for p in parsed[source].paragraphs if p.text.startswith(start_of_text))


def _roles_names(speakers) -> list[tuple[str | None, str | None]]:
    return [(s.role, s.name) for s in speakers]


# -- documents -------------------------------------------------------------------

def test_agenda_pack_splits_into_its_documents(parsed):
    docs = parsed[PACK].documents
    summary = [(d.kind, d.body, d.date, d.date_inferred) for d in docs]
    assert summary[0] == ("minutes", "Kent and Medway Police and Crime Panel", date(2023, 6, 27), False)
    kinds = [d.kind for d in docs]
    assert kinds.count("decision") == 2
    assert kinds.count("annual report") == 2  # complaints annual report and the PCC's own
    assert "report" in kinds and "meeting notes" in kinds
    notes = _doc(parsed, PACK, "meeting notes")
    assert (notes.body, notes.date) == ("Performance and Delivery Board", date(2023, 6, 7))
    contact = _doc(parsed, PACK, "report", "Contacting Kent Police")
    assert contact.date == date(2023, 10, 17)
    pfi = _doc(parsed, PACK, "decision", "PFI North Kent Police Station")
    assert pfi.date == date(2023, 10, 9)
    # Documents tile the file in order without overlapping.
    assert all(a.end <= b.start for a, b in zip(docs, docs[1:]))


def test_report_whose_title_block_sits_mid_page_starts_at_its_introduction(parsed):
    contact = _doc(parsed, PACK, "report", "Contacting Kent Police")
    text = parsed[PACK].text[contact.start : contact.end]
    assert text.lstrip().startswith("Introduction:")
    assert "Further to the report that was presented at February" in text
    annual = next(d for d in parsed[PACK].documents if d.title == "Annual Report 2022/23")
    assert "Welcome to my Annual Report" in parsed[PACK].text[annual.start : annual.end]
    assert annual.author_role == "PCC"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (NOTES_2019, date(2019, 9, 25)),
        (NOTES_2023, date(2023, 9, 13)),
        (NOTES_2025, date(2025, 9, 16)),
    ],
)
def test_stated_dates_wherever_the_title_block_sits(parsed, source, expected):
    (doc,) = parsed[source].documents
    assert (doc.kind, doc.body, doc.date, doc.date_inferred) == ("meeting notes", "Performance and Delivery Board", expected, False)


def test_undated_notes_get_an_honest_inferred_range(parsed):
    (doc,) = parsed[NOTES_2024].documents
    assert doc.date is None and doc.date_inferred
    # After the previous meeting (12 June 2024), before the next (11 December 2024).
    assert doc.date_range == (date(2024, 6, 13), date(2024, 12, 10))
    assert doc.body == "Performance and Delivery Board"


# -- rosters ---------------------------------------------------------------------

def _roster(doc) -> set[tuple[str, str | None, str]]:
    return {(a.name, a.role, a.status) for a in doc.attendees}


def test_rosters_of_board_meetings(parsed):
    (d2019,) = parsed[NOTES_2019].documents
    assert {("Alan Pughsley", "CC", "present"), ("Tony Blaker", "DCC", "present"),
            ("Ian Drysdale", "DCO", "present"), ("Matthew Scott", "PCC", "present"),
            ("Adrian Harper", "CE", "present"), ("Rob Phillips", "CFO", "present")} == _roster(d2019)
    (d2023,) = parsed[NOTES_2023].documents
    assert ("Tim Smith", "CC", "present") in _roster(d2023)
    assert ("Peter Ayling", "DCC", "apologies") in _roster(d2023)
    (d2025,) = parsed[NOTES_2025].documents
    assert ("David Paul", "CE", "present") in _roster(d2025)
    assert ("Rob Phillips", "CFO", "apologies") in _roster(d2025)
    assert len(d2025.attendees) == 5


def test_panel_roster_has_chair_members_and_commissioner(parsed):
    minutes = _doc(parsed, PACK, "minutes")
    roster = _roster(minutes)
    assert ("P M Hill", "Chair", "present") in roster
    assert ("G Sandher", "Vice Chair", "present") in roster
    assert ("M Scott", "PCC", "present") in roster
    assert ("J Hollingsbee", "Member", "present") in roster
    assert ("A Taylor", "Scrutiny Research Officer", "in attendance") in roster
    assert sum(1 for a in minutes.attendees if a.role == "Member") == 12


# -- agenda items ----------------------------------------------------------------

def test_agenda_items_of_each_meeting(parsed):
    (d2019,) = parsed[NOTES_2019].documents
    assert [i.number for i in d2019.items if i.number] == [str(n) for n in range(1, 9)]
    assert d2019.items[2].title == "Safer in Kent Plan: Delivery & Performance"
    (d2025,) = parsed[NOTES_2025].documents
    numbered = [(i.number, i.title) for i in d2025.items if i.number]
    assert ("4i", "Cut Crime, Support Victims, Build Trust") in numbered
    assert ("4ii", "Safer Streets Summer Initiative") in numbered
    assert [n for n, _ in numbered] == ["1", "2", "3", "4i", "4ii", "5", "6", "7", "8"]
    minutes = _doc(parsed, PACK, "minutes")
    assert [i.number for i in minutes.items] == [str(n) for n in range(89, 100)]
    assert ("94", "Neighbourhood Policing Review") in [(i.number, i.title) for i in minutes.items]
    (d2023,) = parsed[NOTES_2023].documents
    assert [i.number for i in d2023.items if i.number] == [str(n) for n in range(1, 9)]


def test_sections_inside_an_item(parsed):
    sections = {p.section for p in parsed[NOTES_2024].paragraphs if p.item_number == "4"}
    assert "Tackle violence against women and girls" in sections
    assert "Work with residents, communities and businesses to prevent crime and anti-social behaviour" in sections


def test_title_block_and_page_furniture_are_not_content(parsed):
    texts = [p.text for p in parsed[NOTES_2019].paragraphs]
    assert not any(t.startswith(("Title:", "Date & time:", "Attendees:", "https://")) for t in texts)
    assert not any("kent-pcc.gov.uk" in t for t in texts)
    # The notes end at the next meeting's date: no letterhead after it becomes a passage.
    assert not any("Office telephone" in p.text for p in parsed[NOTES_2023].passages)


# -- speakers --------------------------------------------------------------------

def test_role_resolves_to_the_holder_at_that_meeting(parsed):
    p2019 = _paragraph(parsed, NOTES_2019, "In relation to 999 and 101 call handling")
    assert _roles_names(p2019.speakers) == [("CC", "Alan Pughsley")]
    p2023 = _paragraph(parsed, NOTES_2023, "Commenting that it continued to be a challenge, the CC reported")
    assert _roles_names(p2023.speakers) == [("CC", "Tim Smith")]


def test_two_speakers_in_one_bullet_in_order(parsed):
    p = _paragraph(parsed, NOTES_2024, "Noting Burglary Residential was showing good performance")
    assert [s.role for s in p.speakers] == ["PCC", "CC"]


def test_he_added_continues_the_last_named_speaker(parsed):
    p = _paragraph(parsed, NOTES_2019, "He reported that ASB overall had reduced")
    assert _roles_names(p.speakers) == [("CC", "Alan Pughsley")]
    # "He added" inside a bullet where the PCC asked and the CC answered: still the CC.
    p = _paragraph(parsed, NOTES_2019, "The PCC asked what steps were being taken to reduce ASB")
    assert "He added there was also increased local intelligence" in p.text
    assert [s.role for s in p.speakers] == ["PCC", "CC"]
    p = _paragraph(parsed, NOTES_2025, "He noted the data in the paper reflected the rolling year")
    assert _roles_names(p.speakers) == [("CC", "Tim Smith")]


def test_panel_minutes_speakers(parsed):
    p = _paragraph(parsed, PACK, "Mr Sandher stated that he had attended the meeting")
    assert _roles_names(p.speakers) == [("Vice Chair", "G Sandher")]
    p = _paragraph(parsed, PACK, "Cllr Hollingsbee proposed and Cllr Feacey seconded")
    assert [s.as_named for s in p.speakers] == ["Cllr Hollingsbee", "Cllr Feacey"]
    p = _paragraph(parsed, PACK, "A Member shared their concern regarding the continuity")
    assert [(s.role, s.name) for s in p.speakers] == [("Member", None), ("PCC", "Matthew Scott")]
    assert p.speakers[1].as_named == "the Commissioner" or p.speakers[1].as_named.endswith("Commissioner")
    p = _paragraph(parsed, PACK, "The Commissioner explained, following a question from a Member")
    assert [s.role for s in p.speakers] == ["PCC"]


def test_absent_office_holder_is_never_named(parsed):
    # The DCC sent apologies to the 13 September 2023 board: nothing is attributed to him.
    assert not any(s.role == "DCC" for p in parsed[NOTES_2023].paragraphs for s in p.speakers)


def test_undated_notes_infer_names_only_where_the_corpus_agrees(parsed):
    p = _paragraph(parsed, NOTES_2024, "Noting Burglary Residential was showing good performance")
    cc = next(s for s in p.speakers if s.role == "CC")
    assert (cc.name, cc.name_inferred) == ("Tim Smith", True)  # CC in 2023 and in 2025
    ce = next(s for p in parsed[NOTES_2024].paragraphs for s in p.speakers if s.role == "CE")
    assert ce.name is None  # Adrian Harper in 2023, David Paul in 2025: unknown between


def test_paragraph_without_a_speaker_says_so(parsed):
    p = _paragraph(parsed, NOTES_2019, "The notes from the meeting held on 5 June 2019")
    assert p.speakers == ()


# -- actions ---------------------------------------------------------------------

def _actions(parsed, source, kind, meeting=None):
    return [a for a in parsed[source].actions if a.kind == kind and (meeting is None or a.meeting_date == meeting)]


def test_actions_of_the_7_june_2023_board(parsed):
    actions = _actions(parsed, PACK, "action", date(2023, 6, 7))
    texts = " | ".join(a.text for a in actions)
    assert "Shopkind week of action" in texts
    assert "ILAS DA risk identification pilot results" in texts
    assert "unauthorised encampments" in texts
    shopkind = next(a for a in actions if "Shopkind" in a.text)
    assert (shopkind.owner, shopkind.status, shopkind.due) == ("Force", "open", date(2023, 9, 13))
    assert shopkind.item_number == "4"


def test_actions_of_the_13_september_2023_board(parsed):
    actions = _actions(parsed, NOTES_2023, "action")
    assert len(actions) == 5
    assert {a.owner for a in actions} == {"Force", "OPCC"}
    assert all(a.due == date(2023, 11, 29) for a in actions)
    beating = next(a for a in actions if "Beating Crime Plan" in a.text)
    assert beating.item_number == "5"
    # The updates on June's actions, listed as discharged; but two are still to come in
    # their own words ("final results to be provided", "will be covered … at 29 November
    # meeting"): deferred, the second to the next meeting.
    updates = _actions(parsed, NOTES_2023, "update")
    assert len(updates) == 3
    status = {u.text.split()[0]: u for u in updates}
    assert status["Following"].status == "discharged" and "Shopkind" in status["Following"].text
    assert status["Provide"].status == "deferred" and status["With"].status == "deferred"
    assert status["With"].due == date(2023, 11, 29)


def test_action_table_rows_across_lines(parsed):
    actions = _actions(parsed, NOTES_2019, "action")
    assert len(actions) == 5
    assert all(a.due == date(2019, 12, 4) for a in actions)
    poca = next(a for a in actions if "POCA" in a.text)
    assert poca.owner == "Force" and poca.item_number == "3"


def test_offers_made_in_discussion(parsed):
    offers = _actions(parsed, NOTES_2023, "offer")
    case_files = next(o for o in offers if "case file quality" in o.text)
    assert case_files.owner == "CC" and case_files.speaker.name == "Tim Smith"
    confirming = next(o for o in offers if o.text.startswith("Confirming he would provide"))
    assert confirming.owner == "CC"


def test_updates_with_their_own_status(parsed):
    updates = _actions(parsed, NOTES_2025, "update")
    assert next(u for u in updates if u.text.startswith("Provide update on Empowering Leaders")).status == "in progress"
    assert next(u for u in updates if u.text.startswith("Provide copy of good work examples")).status == "discharged"


# -- passages --------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(re.sub(r"\*\*", "", text).split()).lower()


def test_passages_are_verbatim_and_stay_inside_one_item(parsed):
    for f in parsed.values():
        items = {(p.document_id, p.item_number, p.item_title) for p in f.passages}
        assert items
        for p in f.passages:
            source = _norm(f.text[p.start : p.end])
            for line in p.text.split("\n"):
                assert _norm(line) in source, (p.id, line[:60])
            assert p.tokens <= MAX_TOKENS + 20  # over only where one sentence is longer


def test_passages_carry_date_body_item_and_speakers(parsed):
    p = next(p for p in parsed[NOTES_2019].passages if "101 call handling" in p.text)
    assert (p.meeting_date, p.body, p.item_number) == (date(2019, 9, 25), "Performance and Delivery Board", "3")
    assert ("CC", "Alan Pughsley") in _roles_names(p.speakers)
    undated = parsed[NOTES_2024].passages[0]
    assert undated.date_inferred and undated.meeting_date == date(2024, 6, 13)


def test_a_decision_is_the_signing_commissioners_and_its_summary_the_originators(parsed):
    decided = _paragraph(parsed, PACK, "To terminate the PFI contract at North Kent Police Station")
    assert _roles_names(decided.speakers) == [("PCC", "Matthew Scott")]
    assert decided.speakers[0].as_named == "the decision-maker"
    summary = _paragraph(parsed, PACK, "Kent Police have suggested selling the addresses to a preferred buyer")
    assert not summary.speakers  # the executive summary is the originator's paper, not a speech
    advice = _paragraph(parsed, PACK, "Comments: Having had legal advice throughout")
    assert [s.role for s in advice.speakers] == ["CE"]  # a signed officer's comment stays theirs


def test_the_decision_maker_is_the_office_signing_beneath_the_officers():
    from indexer.documents import decision_signatory

    record = ("DECISION\nTo approve the grant.\n\nChief Finance Officer:\nComments: Affordable.\n"
              "Signature: ...\n\nPOLICE, FIRE AND CRIME COMMISSIONER\n\nComments:\nI approve.\n\nSigned: ...\n")
    assert decision_signatory(record) == "PCC"
    assert decision_signatory("DECISION\nTo approve.\n\nChief Executive:\nSignature: ...\n") is None

"""Rosters, speakers and office holders per police area, on small documents written for these
tests (invented people; real area names)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from indexer.parse import parse_text
from indexer.records import Attendee, ParsedFile
from indexer.resolve import resolve_corpus, same_person
from indexer.roles import canonical_role, is_acting
from indexer.roster import initials_of, is_roster_line, parse_entry
from indexer.speakers import MENTION_READERS, PERSON_MATCHERS, find_speakers, match_person


# -- roster entries ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "entry, name, role, acting, initials",
    [
        ("Matthew Rowe – Police and Crime Commissioner (PCC)", "Matthew Rowe", "PCC", False, None),
        ("Tom Reed (TR) Chief Constable", "Tom Reed", "CC", False, "TR"),
        ("Chief Constable Tom Reed (TR)", "Tom Reed", "CC", False, "TR"),
        ("Tom Reed | TR | Chief Constable", "Tom Reed", "CC", False, "TR"),
        ("Tom Reed\tTR\tA/CC", "Tom Reed", "CC", True, "TR"),
        ("T/DCC Jane Ward", "Jane Ward", "DCC", True, None),
        ("A/CC Sam Lee", "Sam Lee", "CC", True, None),
        ("T/Chief Constable Sam Lee", "Sam Lee", "CC", True, None),
        ("Acting Chief Constable Sam Lee", "Sam Lee", "CC", True, None),
        ("Sam Lee – Temporary Deputy Chief Constable", "Sam Lee", "DCC", True, None),
        ("Mr P R Lamb OBE (Chairman)", "P R Lamb", "Chair", False, None),
        ("Cllr Ann Bell (Chair)", "Ann Bell", "Chair", False, None),
        ("Dr Ruth Ames MBE", "Ruth Ames", None, False, None),
        ("Baroness Clare Whitby", "Clare Whitby", None, False, None),
        ("Rt Hon Colin Dray MP", "Colin Dray", None, False, None),
        ("Prof Alys Jones", "Alys Jones", None, False, None),
        ("Alun Price – Police, Fire and Crime Commissioner (PFCC)", "Alun Price", "PCC", False, None),
        ("Ffion Rees – Deputy Police, Fire and Crime Commissioner (DPFCC)", "Ffion Rees", "DPCC", False, None),
        ("Mark Lowe (Sussex Police and Crime Commissioner)", "Mark Lowe", "PCC", False, None),
        ("Chair: Cllr Ann Bell", "Ann Bell", "Chair", False, None),
        ("Chief Constable Ann Rook QPM (Surrey Police)", "Ann Rook", "CC", False, None),
        ("Lee Hart (Chief Executive, OPCC)", "Lee Hart", "CE", False, None),
        ("Cllr Ed Moor (substitute for Cllr Al Pike)", "Ed Moor", None, False, None),
    ],
)
def test_roster_entry_forms(entry: str, name: str, role: str | None, acting: bool, initials: str | None) -> None:
    found = parse_entry(entry)
    assert found is not None, entry
    assert (found.name, found.role, found.acting, found.initials) == (name, role, acting, initials)


def test_organisation_in_brackets_after_an_office_and_name() -> None:
    entry = parse_entry("Chief Constable Ann Rook QPM (Surrey Police)")
    assert entry is not None and entry.organisation == "Surrey Police"


@pytest.mark.parametrize("line", ["Fighting Crime", "Welcome and Introductions", "Name\tInitials\tRole", "Budget Update"])
def test_headings_are_not_names(line: str) -> None:
    assert not is_roster_line(line)


def test_acting_ranks_are_the_office() -> None:
    for text in ("A/CC", "T/DCC", "T/Chief Constable", "Acting Chief Constable", "Temporary ACC"):
        assert is_acting(text), text
    assert (canonical_role("A/CC"), canonical_role("T/DCC")) == ("CC", "DCC")
    assert not is_acting("Chief Constable") and not is_acting("Assistant Chief Constable")


def test_roles_are_read_for_any_area_not_only_kent() -> None:
    for area in ("Sussex", "Thames Valley", "Avon & Somerset", "Dyfed-Powys"):
        assert canonical_role(f"{area} Police and Crime Commissioner") == "PCC", area
        assert canonical_role(f"Police and Crime Commissioner for {area}") == "PCC", area
        assert canonical_role(f"{area} Police Chief Constable") == "CC", area
        assert canonical_role(f"{area}'s Chief Constable") == "CC", area
    assert canonical_role("Narnia Police and Crime Commissioner") is None


def test_initials_of_names() -> None:
    assert initials_of("Tom Reed") == "TR"
    assert initials_of("Mary-Jane O'Neil") == "MJO"


# -- whole rosters ------------------------------------------------------------------------

def _notes(title: str, when: str, roster: str, body: str) -> str:
    return f"Meeting Notes\nTitle: {title}\nDate: {when}\n\n{roster}\n\n1. Performance\n{body}\n"


def _one(text: str, source: str = "notes.txt") -> ParsedFile:
    parsed = parse_text(source, text)
    assert len(parsed.documents) == 1
    return parsed


def test_one_line_attendee_list_gives_each_office_its_own_holder() -> None:
    parsed = _one(_notes(
        "Sussex Performance Board", "15 September 2020",
        "Attendees: Mark Lowe – Police and Crime Commissioner (PCC); Jo Bright – Chief Constable (CC)",
        "The CC advised that calls were answered faster.\nThe PCC asked about rural crime.",
    ))
    roster = {(a.name, a.role) for a in parsed.documents[0].attendees}
    assert roster == {("Mark Lowe", "PCC"), ("Jo Bright", "CC")}
    said = [(s.role, s.name) for p in parsed.paragraphs for s in p.speakers]
    assert said == [("CC", "Jo Bright"), ("PCC", "Mark Lowe")]


def test_names_one_a_line_stay_in_the_roster_and_out_of_the_items() -> None:
    roster = "Present:\n" + "\n".join(f"{first} {last}" for first, last in (
        ("Ann", "Bell"), ("Carl", "Dunne"), ("Edith", "Frome"), ("Gus", "Hale"), ("Ivy", "Jett"),
    )) + "\nApologies: Kit Lamb, Mo Nash"
    parsed = _one(_notes("Surrey Strategic Board", "1 May 2026", roster, "Ann Bell said the plan was agreed."))
    doc = parsed.documents[0]
    assert [a.name for a in doc.attendees if a.status == "present"] == [
        "Ann Bell", "Carl Dunne", "Edith Frome", "Gus Hale", "Ivy Jett"]
    assert [a.name for a in doc.attendees if a.status == "apologies"] == ["Kit Lamb", "Mo Nash"]
    assert [i.number for i in doc.items] == ["1"]


def test_acting_holder_is_marked_and_speaks_for_the_office() -> None:
    parsed = _one(_notes(
        "Essex Performance Board", "2 June 2026", "Present: Dan Crewe – T/Chief Constable; Ruth Ell – PFCC",
        "The Chief Constable reported that recruitment was on target.",
    ))
    (cc,) = [a for a in parsed.documents[0].attendees if a.role == "CC"]
    assert (cc.name, cc.acting) == ("Dan Crewe", True)
    assert [(s.role, s.name) for s in parsed.paragraphs[0].speakers] == [("CC", "Dan Crewe")]


def test_someone_under_apologies_speaks_at_no_passage() -> None:
    parsed = _one(_notes(
        "Norfolk Board", "3 March 2026",
        "Present: Harriet Quill (HQ) Police and Crime Commissioner\nApologies: Nadia Fenwick (NF) Deputy Chief Constable",
        "NF said the figures were late.\nThe DCC advised on overtime.\nMs Fenwick stated her view.\nHQ asked for a report.",
    ))
    names = {s.name for p in parsed.paragraphs for s in p.speakers}
    assert "Nadia Fenwick" not in names
    assert names == {"Harriet Quill", None}  # the DCC's office is recorded, with no name


# -- speakers -----------------------------------------------------------------------------

ROSTER = (
    Attendee("Tom Reed", "CC", "Chief Constable", initials="TR"),
    Attendee("Keira Moss", "CE", "Chief Executive"),
    Attendee("Alys Jones", "Member", None),
    Attendee("Dev Patel", "Vice Chair", "Vice-Chairman"),
    Attendee("Nadia Fenwick", "DCC", "Deputy Chief Constable", status="apologies"),
    Attendee("Mark Lowe", "PCC", "Sussex Police and Crime Commissioner"),
    Attendee("Mia Park", "Member", None),
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("TR advised the board.", [("CC", "Tom Reed", "TR")]),
        ("KM asked about rural crime.", [("CE", "Keira Moss", "KM")]),  # initials from the name
        ("Prof Jones said the panel agreed.", [("Member", "Alys Jones", "Prof Jones")]),
        ("Councillor Patel asked a question.", [("Vice Chair", "Dev Patel", "Councillor Patel")]),
        ("Keira Moss confirmed the date.", [("CE", "Keira Moss", "Keira Moss")]),
        ("The Sussex PCC said he agreed.", [("PCC", "Mark Lowe", "The Sussex PCC")]),
        # Another area's commissioner is not this meeting's.
        ("The Essex Police, Fire and Crime Commissioner said she agreed.",
         [("PCC", None, "The Essex Police, Fire and Crime Commissioner")]),
        ("NF said nothing; the DCC advised on overtime.", [("DCC", None, "the DCC")]),
        ("ASB reported was high.", []),  # capitals that are nobody's initials
        ("The local MP said she agreed.", []),  # Mia Park's initials, but an MP here
        ("MP asked about cycle theft.", [("Member", "Mia Park", "MP")]),
        ("ML said he agreed.", [("PCC", "Mark Lowe", "ML")]),
        ("Dr Okafor queried the cost.", [(None, "Okafor", "Dr Okafor")]),  # not on the roster
    ],
)
def test_speaker_readers(text: str, expected: list[tuple[str | None, str | None, str]]) -> None:
    speakers, _ = find_speakers(text, ROSTER)
    assert [(s.role, s.name, s.as_named) for s in speakers] == expected


def test_speaker_fallbacks_are_ordered_tuples_of_functions() -> None:
    assert [f.__name__ for f in MENTION_READERS] == [
        "_role_mentions", "_titled_mentions", "_initials_mentions", "_full_name_mentions"]
    assert [f.__name__ for f in PERSON_MATCHERS] == ["_by_full_name", "_by_initial_and_surname", "_by_surname"]
    two_smiths = (Attendee("Tim Smith", "CC", None), Attendee("Jo Smith", "Member", None))
    assert match_person("T Smith", two_smiths) == two_smiths[0]
    assert match_person("Cllr Smith", two_smiths) is None  # two people fit: no guess


def test_pronoun_follows_initials_speaker() -> None:
    speakers, last = find_speakers("TR advised the board. He added that overtime was down.", ROSTER)
    assert [s.name for s in speakers] == ["Tom Reed"]
    assert last is not None and last.name == "Tom Reed"


# -- office holders per area ---------------------------------------------------------------

def _board(area: str, when: str, cc: str, source: str) -> ParsedFile:
    return _one(_notes(f"{area} Police Performance Board", when, f"Present: {cc} – Chief Constable (CC)",
                       "The CC reported that response times had improved."), source)


def _undated(area: str, first: date, last: date, source: str) -> ParsedFile:
    parsed = parse_text(source, f"Meeting Notes\nTitle: {area} Police Performance Board\n\n1. Performance\n"
                                "The CC reported that burglary had fallen.\n")
    doc = replace(parsed.documents[0], date=None, date_range=(first, last), date_inferred=True)
    return replace(parsed, documents=(doc,))


def _cc_names(parsed: ParsedFile) -> set[tuple[str | None, bool]]:
    return {(s.name, s.name_inferred) for p in parsed.paragraphs for s in p.speakers if s.role == "CC"}


def test_undated_notes_take_their_own_areas_chief_constable() -> None:
    files = [
        _board("Kent", "1 March 2026", "Alan Marsh", "kent-1.txt"),
        _board("Kent", "1 April 2026", "Alan Marsh", "kent-2.txt"),
        _board("Sussex", "1 February 2026", "Jo Bright", "sussex-1.txt"),
        _board("Sussex", "1 May 2026", "Jo Bright", "sussex-2.txt"),
        _undated("Sussex", date(2026, 3, 2), date(2026, 3, 30), "sussex-undated.txt"),
        _undated("Kent", date(2026, 3, 2), date(2026, 3, 30), "kent-undated.txt"),
    ]
    resolved = {f.source: f for f in resolve_corpus(files)}
    # Kent's CC held office on both sides of these dates; Sussex's notes still get Sussex's.
    assert _cc_names(resolved["sussex-undated.txt"]) == {("Jo Bright", True)}
    assert _cc_names(resolved["kent-undated.txt"]) == {("Alan Marsh", True)}
    for source in ("kent-1.txt", "kent-2.txt"):
        assert _cc_names(resolved[source]) == {("Alan Marsh", False)}
    for source in ("sussex-1.txt", "sussex-2.txt"):
        assert _cc_names(resolved[source]) == {("Jo Bright", False)}


def test_abbreviated_names_are_completed_only_within_an_area() -> None:
    files = [
        _board("Kent", "1 March 2026", "A Smith", "kent.txt"),
        _board("Sussex", "1 April 2026", "Anne Smith", "sussex.txt"),
    ]
    assert same_person("A Smith", "Anne Smith")  # the names fit; the areas keep them apart
    resolved = {f.source: f for f in resolve_corpus(files)}
    assert _cc_names(resolved["kent.txt"]) == {("A Smith", False)}
    assert _cc_names(resolved["sussex.txt"]) == {("Anne Smith", False)}


def test_undated_notes_of_an_area_with_no_holder_stay_unnamed() -> None:
    files = [
        _board("Kent", "1 March 2026", "Alan Marsh", "kent-1.txt"),
        _board("Kent", "1 April 2026", "Alan Marsh", "kent-2.txt"),
        _undated("Sussex", date(2026, 3, 2), date(2026, 3, 30), "sussex-undated.txt"),
    ]
    resolved = {f.source: f for f in resolve_corpus(files)}
    assert _cc_names(resolved["sussex-undated.txt"]) == {(None, False)}



FIRST = "Ann Ben Cara Dev Emma Finn Gita Hugo Iris Jack Kate Liam Maya Noah Olga Paul Rhea Sam Tara Umar".split()
LAST = ("Bell Cole Dunne Ealing Foster Grey Hart Irwin Jules Kerr Lowe Marsh Noble Owens Pryor Quinn Rowe "
        "Shaw Tate Upton").split()


@pytest.mark.parametrize("width", range(40, 101, 6))
def test_a_long_present_paragraph_wrapped_anywhere_keeps_every_member(width: int) -> None:
    import textwrap

    names = ", ".join(f"Cllr {f} {s}" for f, s in zip(FIRST, LAST)) + " and Mr Vic Wood (Independent Member)"
    text = (
        "MINUTES of a meeting of the Cleveland Police and Crime Panel held at Town Hall on 3 March 2026.\n\n"
        + "\n".join(textwrap.wrap(f"Present: {names}", width))
        + "\n\n1. Minutes\nThe Chair said the minutes were agreed.\n"
    )
    doc = _one(text).documents[0]
    assert [a.name for a in doc.attendees] == [f"{f} {s}" for f, s in zip(FIRST, LAST)] + ["Vic Wood"]
    assert [i.title for i in doc.items] == ["Minutes"]  # no attendee line became an item

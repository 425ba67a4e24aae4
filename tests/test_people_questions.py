"""Questions that name areas, panels and meetings the records lack."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from indexer.errors import QueryError
from indexer.records import Passage, Speaker
from search.engine import describe_period
from search.filters import Filters, PassageTable, canonical_area, passage_matches
from search.understand import merge, typed_filters, understand
from ui.cli import main

TWO_PANELS = ("Kent and Medway Police and Crime Panel", "Sussex Police and Crime Panel", "Performance and Delivery Board")
AREAS = ("Kent", "Sussex")


def u(query: str, areas: tuple[str, ...] = AREAS, bodies: tuple[str, ...] = TWO_PANELS) -> Any:
    return understand(query, known_names=("Tim Smith", "Jo Bright"), known_bodies=bodies, known_areas=areas,
                      today=date(2026, 6, 1))


# -- areas --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "query, text, speaker",
    [
        ("What did the Chief Constable say about drones in Sussex?", "drones", "CC"),
        ("What did Sussex's Chief Constable say about drones?", "drones", "CC"),
        ("drones across Sussex", "drones", None),
        ("Sussex Police drones", "drones", None),
    ],
)
def test_area_named_in_a_question_is_a_filter(query: str, text: str, speaker: str | None) -> None:
    r = u(query)
    assert (r.filters.area, r.text, r.filters.speaker) == ("Sussex", text, speaker)
    assert "area: Sussex" in r.notes
    assert r.filters.area == "Sussex"


def test_area_is_no_filter_with_one_area_or_an_unknown_one() -> None:
    assert u("drones in Kent", areas=("Kent",)).filters.area is None  # nothing to choose between
    r = u("drones in Cleveland")
    assert r.filters.area is None and r.text == "drones in Cleveland"
    assert any("no records from Cleveland" in n for n in r.notes)
    r = u("drones in Kent and Sussex")
    assert r.filters.area is None and any("several named" in n for n in r.notes)


def test_a_body_name_keeps_its_area_words() -> None:
    r = u("drones at the Kent and Medway Police and Crime Panel")
    assert (r.filters.body, r.filters.area) == ("Kent and Medway Police and Crime Panel", None)


def test_the_panel_is_no_body_filter_when_two_panels_fit() -> None:
    r = u("What was said about drones at the Panel?")
    assert r.filters.body is None
    assert any("fits several" in n for n in r.notes)
    one = u("What was said about drones at the Panel?", bodies=TWO_PANELS[:1] + TWO_PANELS[2:])
    assert one.filters.body == "Kent and Medway Police and Crime Panel"
    assert u("drones at the Sussex panel").filters.body == "Sussex Police and Crime Panel"
    r = u("What was said at the Panel in Sussex about drones?")
    assert (r.filters.body, r.filters.area, r.text) == ("Sussex Police and Crime Panel", "Sussex", "What was said about drones")


def test_explicit_area_wins_and_is_checked() -> None:
    r = merge(u("drones in Kent"), typed_filters(area="sussex police"))
    assert r.filters.area == "Sussex" and "area: Sussex (explicit)" in r.notes
    with pytest.raises(QueryError, match="area: unknown police area"):
        merge(u("drones"), typed_filters(area="Narnia"))
    assert canonical_area("Avon & Somerset") == "Avon and Somerset"


# -- area filter over passages --------------------------------------------------------------

def _passage(n: int, area: str | None) -> Passage:
    return Passage(
        id=f"p{n}", source="s.txt", document_id="s.txt#0", document_title="t", document_kind="minutes",
        body="Police and Crime Panel", meeting_date=date(2026, 1, 1), date_inferred=False, item_number=None,
        item_title=None, section=None, speakers=(Speaker("CC", "Jo Bright", "the CC"),), text="drones",
        start=0, end=6, area=area,
    )


def test_area_filter_masks_passages_as_the_predicate_does() -> None:
    passages = [_passage(0, "Kent"), _passage(1, "Sussex"), _passage(2, None), _passage(3, "Sussex")]
    table = PassageTable(passages)
    for f in (Filters(area="Sussex"), Filters(area="Kent", speaker="CC"), Filters(area="Surrey"), Filters()):
        expected = [passage_matches(p, f) for p in passages]
        assert table.mask(f).tolist() == expected
    assert np.flatnonzero(table.mask(Filters(area="sussex"))).tolist() == [1, 3]
    assert Filters(area="Sussex").active


# -- a date that names a meeting the records lack -------------------------------------------

def test_period_in_words() -> None:
    assert describe_period(date(2020, 9, 15), date(2020, 9, 15)) == "on 15 September 2020"
    assert describe_period(date(2020, 9, 1), date(2020, 9, 30)) == "in September 2020"
    assert describe_period(date(2020, 1, 1), date(2020, 12, 31)) == "in 2020"
    assert describe_period(date(2021, 5, 1), None) == "since 1 May 2021"


def test_missing_meeting_date_moves_to_the_nearest_meetings_with_a_notice(fake_searcher: Any) -> None:
    result = fake_searcher.search("What did the Chief Constable say at the board on 15 September 2020?")
    assert result.hits, "a missing meeting must not empty the result"
    assert result.notice == (
        "No meeting on 15 September 2020 in the records; showing the nearest meetings instead: "
        "25 September 2019 and 7 June 2023."
    )
    assert {h.passage.meeting_date for h in result.hits} <= {date(2019, 9, 25), date(2023, 6, 7)}
    assert all(any(s.role == "CC" for s in h.passage.speakers) for h in result.hits)


def test_a_meeting_in_the_records_is_not_moved(fake_searcher: Any) -> None:
    # The DCC sent apologies to the 13 September 2023 board: the meeting is there, he said nothing.
    result = fake_searcher.search("what did the DCC say at the board on 13 September 2023")
    assert result.notice is None and not result.hits


def test_cli_prints_the_notice_and_checks_the_area(fake_searcher: Any) -> None:
    from click.testing import CliRunner

    args = ["--index", str(fake_searcher.index.path)]
    out = CliRunner().invoke(main, ["search", "What did the CC say at the board on 15 September 2020?", *args])
    assert out.exit_code == 0, out.output
    assert "No meeting on 15 September 2020 in the records" in out.output
    bad = CliRunner().invoke(main, ["search", "drones", "--area", "Narnia", *args])
    assert bad.exit_code != 0 and "area: unknown police area 'Narnia'" in bad.output
    assert "Traceback" not in bad.output


@pytest.mark.parametrize(
    "query, speaker, text",
    [
        ("What did Prof Jones say about drones?", "Prof Jones", "drones"),
        ("What did Baroness Whitby ask about knife crime", "Baroness Whitby", "knife crime"),
        ("What did the PFCC say about fire stations", "PCC", "fire stations"),
        ("what did the T/DCC report on overtime", "DCC", "overtime"),
    ],
)
def test_titles_and_offices_of_the_vocabulary_in_questions(query: str, speaker: str, text: str) -> None:
    r = understand(query)
    assert (r.filters.speaker, r.text) == (speaker, text)

import time
from datetime import date

import pytest

from indexer.errors import QueryError
from search.filters import Filters
from search.understand import Understood, merge, parse_date, typed_filters, understand

TODAY = date(2026, 3, 15)
BODIES = ("Performance and Delivery Board", "Kent and Medway Police and Crime Panel")
NAMES = ("Tim Smith", "Alan Pughsley", "Matthew Scott", "Mr G Sandher MBE", "Peter Ayling")


def u(query: str, **kw: object) -> Understood:
    kw.setdefault("known_names", NAMES)
    kw.setdefault("known_bodies", BODIES)
    kw.setdefault("today", TODAY)
    return understand(query, **kw)  # type: ignore[arg-type]


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- the evaluation questions -------------------------------------------------------------

def test_d01_chief_constable_101_calls_since_2019() -> None:
    r = u("What did the Chief Constable say about 101 calls since 2019?")
    assert r.filters.speaker == "CC"
    assert r.filters.since == d("2019-01-01") and r.filters.until is None
    assert "101 calls" in r.text
    assert r.text == "101 calls"
    assert r.notes == ("speaker: CC", "since 2019-01-01")


def test_meetings_held_in_2021() -> None:
    r = u("What was said about 101 call answering at meetings held in 2021?")
    assert (r.filters.since, r.filters.until) == (d("2021-01-01"), d("2021-12-31"))
    assert r.filters.speaker is None
    assert "101 call answering" in r.text and "2021" not in r.text


def test_e_scooters_in_2023() -> None:
    r = u("How many e-scooters were seized and destroyed in 2023?")
    assert (r.filters.since, r.filters.until) == (d("2023-01-01"), d("2023-12-31"))
    assert r.text == "How many e-scooters were seized and destroyed"
    assert r.filters.speaker is None


def test_actions_at_the_september_2025_board() -> None:
    r = u("Which actions were set for the Force at the September 2025 board?")
    assert (r.filters.since, r.filters.until) == (d("2025-09-01"), d("2025-09-30"))
    assert r.filters.body == "Performance and Delivery Board"
    assert r.text == "Which actions were set for the Force"


def test_board_without_known_bodies_keeps_the_words() -> None:
    r = u("Which actions were set for the Force at the September 2025 board?", known_bodies=())
    assert (r.filters.since, r.filters.until) == (d("2025-09-01"), d("2025-09-30"))
    assert r.filters.body is None
    assert r.text == "Which actions were set for the Force at the board"


# -- speakers --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "query, speaker, text",
    [
        ("What did the CC say about drones?", "CC", "drones"),
        ("what did the chief constable say about knife crime", "CC", "knife crime"),
        ("What did the PCC ask about rural crime?", "PCC", "rural crime"),
        ("the PCC ask about knife crime", "PCC", "knife crime"),
        ("What did the Commissioner tell the panel about the precept?", "PCC", "the precept"),
        ("What has the PCC said on victim satisfaction?", "PCC", "victim satisfaction"),
        ("Has the Chief Constable raised concerns about drones?", "CC", "drones"),
        ("What did Tim Smith report on rural crime?", "Tim Smith", "rural crime"),
        ("what did tim smith say about ASB", "tim smith", "ASB"),
        ("What did Pughsley say about burglary?", "Pughsley", "burglary"),
        ("What did Chief Constable Tim Smith say about drones", "Tim Smith", "drones"),
        ("What did Mr Sandher ask about neighbourhood policing?", "Mr Sandher", "neighbourhood policing"),
        ("What did Cllr Hollingsbee propose?", "Cllr Hollingsbee", ""),
        ("The DCC reported on custody", "DCC", "custody"),
        ("The Vice-Chairman asked about ward policing", "Vice Chair", "ward policing"),
        ("What did Members ask the Commissioner about policing?", "Member", "policing"),
        ("What was said by the Commissioner about neighbourhood policing", "PCC", "neighbourhood policing"),
        ("the CC's comments on knife crime", "CC", "knife crime"),
        ("Tim Smith's views on drones", "Tim Smith", "drones"),
        ("knife crime according to the CC", "CC", "knife crime"),
        ("PCC on precept", "PCC", "precept"),
        ("CC: 101 calls", "CC", "101 calls"),
        ("What did the PCC ask the CC about rape solved rates?", "PCC", "rape solved rates"),
        ("What did the Chair ask?", "Chair", ""),
        # an office in a clause setting the scene is not the speaker the question asks about
        ("What did the PCC promise after the CC said response times had fallen?", "PCC",
         "promise after the CC said response times had fallen"),
        ("What did the CC say about drones when the PCC asked?", "CC", "drones when the PCC asked"),
        ("What did the DCC have to say about vetting?", "DCC", "vetting"),
        ("Did the Chief Constable offer to provide an update?", "CC", "offer to provide an update"),
    ],
)
def test_speaker(query: str, speaker: str, text: str) -> None:
    r = u(query)
    assert r.filters.speaker == speaker
    assert r.text == text
    assert f"speaker: {speaker}" in r.notes


@pytest.mark.parametrize(
    "query",
    [
        "101 calls",
        "Chief Constable appointment process",
        "PCC funding for CCTV",
        "Commissioner's budget 2022/23",
        "Questions to the Commissioner from Panel Members",
        "Has the PCC budget increased?",
        "the role of the Chief Constable",
        "recommendations for CCs",
        "the Information Commissioner on data protection",
        "What did Smyth say about drones",  # an unknown name without a title
        "What did Kent Police say about drones",
        "what did the OPCC undertake after the Chief Constable reported on 101 calls",
        "Have members of the public made complaints about the commissioner himself",
        "How often did a member of staff raise a grievance",
        # an office doing something other than speaking is the question's actor, not a speaker
        "How much money did the commissioner hand out to community safety partnerships",
        "Has the PCC visited the control room",
    ],
)
def test_no_speaker(query: str) -> None:
    r = u(query)
    assert r.filters.speaker is None
    assert r.text == query.rstrip("?")
    assert not any(n.startswith("speaker") for n in r.notes)


def test_two_speakers_set_none_and_say_so() -> None:
    r = u("What did the PCC and the CC say about 101?")
    assert r.filters.speaker is None
    assert r.text == "What did the PCC and the CC say about 101"
    assert any("several" in n and "PCC" in n and "CC" in n for n in r.notes)


@pytest.mark.parametrize(
    "query",
    [
        "What did the police and the commissioner say about motorbikes?",
        "What did officers or the Chief Constable say about scrambler bikes",
        "What did the PCC say about 101 and what did the CC say",
    ],
)
def test_an_office_named_with_another_party_filters_on_neither(query: str) -> None:
    r = u(query)
    assert r.filters.speaker is None
    assert r.text == query.rstrip("?")
    assert any(n.startswith("speaker:") and "named with others" in n for n in r.notes)


def test_surname_shared_by_two_known_names_is_not_a_speaker() -> None:
    r = u("What did Smith say about drones", known_names=("Tim Smith", "John Smith"))
    assert r.filters.speaker is None
    assert u("What did John Smith say about drones", known_names=("Tim Smith", "John Smith")).filters.speaker == "John Smith"


def test_role_as_object_is_not_a_speaker() -> None:
    r = u("What did the panel ask the Commissioner about the precept?", known_bodies=())
    assert r.filters.speaker is None


# -- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "query, since, until, text",
    [
        ("knife crime since 2019", "2019-01-01", None, "knife crime"),
        ("How much was unspent in 2019 compared with the years since?", "2019-01-01", None, "How much was unspent"),
        ("underspend in 2019 compared to now", "2019-01-01", None, "underspend"),
        ("knife crime from 2019 to now", "2019-01-01", None, "knife crime"),
        ("knife crime between 2019 and today", "2019-01-01", None, "knife crime"),
        ("calls in 2019 and in the years since", "2019-01-01", None, "calls"),
        ("shoplifting since September 2023", "2023-09-01", None, "shoplifting"),
        ("knife crime from 2021 to 2023", "2021-01-01", "2023-12-31", "knife crime"),
        ("knife crime between 2021 and 2023", "2021-01-01", "2023-12-31", "knife crime"),
        ("VAWG 2024 and 2025", "2024-01-01", "2025-12-31", "VAWG"),
        ("VAWG in 2024 and 2025", "2024-01-01", "2025-12-31", "VAWG"),
        ("drones during 2023", "2023-01-01", "2023-12-31", "drones"),
        ("drones in September 2025", "2025-09-01", "2025-09-30", "drones"),
        ("ASB before 2020", None, "2019-12-31", "ASB"),
        ("burglary after June 2023", "2023-07-01", None, "burglary"),
        ("burglary until March 2024", None, "2024-03-31", "burglary"),
        ("burglary 2021 onwards", "2021-01-01", None, "burglary"),
        ("burglary from 2021 onwards", "2021-01-01", None, "burglary"),
        ("post-2019 road deaths", "2020-01-01", None, "road deaths"),
        ("custody on 2023-09-13", "2023-09-13", "2023-09-13", "custody"),
        ("custody since 2023-09-13", "2023-09-13", None, "custody"),
        ("the board of 16 September 2025", "2025-09-16", "2025-09-16", "the board of"),
        ("the meeting on 17/10/2023", "2023-10-17", "2023-10-17", "the meeting"),
        ("custody 2025-09", "2025-09-01", "2025-09-30", "custody"),
        ("between September 2023 and March 2024 the DCC said about custody", "2023-09-01", "2024-03-31", "custody"),
        ("from 2023 to 2021", "2021-01-01", "2023-12-31", ""),  # reversed: read as the range
        ("in 2019 to 2021 knife crime", "2019-01-01", "2021-12-31", "knife crime"),
        ("between 2019-2021 knife crime", "2019-01-01", "2021-12-31", "knife crime"),
    ],
)
def test_dates(query: str, since: str | None, until: str | None, text: str) -> None:
    r = u(query)
    assert r.filters.since == (d(since) if since else None)
    assert r.filters.until == (d(until) if until else None)
    assert r.text == text
    if since:
        assert f"since {since}" in r.notes
    if until:
        assert f"until {until}" in r.notes


@pytest.mark.parametrize(
    "query, since, until",
    [
        ("precept last year", "2025-01-01", "2025-12-31"),
        ("precept in the previous year", "2025-01-01", "2025-12-31"),
        ("precept last month", "2026-02-01", "2026-02-28"),
        ("precept this year", "2026-01-01", "2026-12-31"),
        ("precept in the last 2 years", "2024-03-15", "2026-03-15"),
        ("precept over the past year", "2025-03-15", "2026-03-15"),
        ("precept in the last six months", "2025-09-15", "2026-03-15"),
    ],
)
def test_relative_dates_use_today(query: str, since: str, until: str) -> None:
    r = u(query)
    assert (r.filters.since, r.filters.until) == (d(since), d(until))
    assert r.text == "precept"


def test_dates_read_from_today_are_marked_so_a_search_may_widen_them() -> None:
    assert u("precept last year").dates_from_today and u("precept in the last six months").dates_from_today
    assert not u("precept in 2023").dates_from_today and not u("precept").dates_from_today
    assert not u("precept in 2023 and last year").dates_from_today  # a named year is meant
    assert not merge(u("precept last year"), typed_filters(since="2025-01-01")).dates_from_today
    assert merge(u("precept last year"), typed_filters(speaker="CC")).dates_from_today


def test_relative_dates_default_to_the_real_today() -> None:
    r = understand("precept last year")
    assert r.filters.since == date(date.today().year - 1, 1, 1)


@pytest.mark.parametrize(
    "query",
    [
        "101 calls",
        "999 calls answered in 10 seconds",
        "the 2022/23 budget",
        "budget for 2022-23",
        "precept in 2022/23",
        "the 2019-2020 precept",  # consecutive years: a financial year
        "precept in 2019-2020",
        "actions in the 2022-2025 plan",
        "at 2023 prices",
        "since the 2019 election",
        "Q1 2023 performance",
        "4.3% increase in Section 136 detentions",
        "Section 136",
        "in 2000 cases the force",  # a count, not a year
        "2021 census",  # a bare year is a topic
        "the 2023 PEEL inspection",
        "targets for 2025",
        "Making Kent Safer Plan 2022-2025",
        "answered within 10 minutes",
        "£2019 spent",
        "last year's budget",
        "calls in May",  # a month without a year
    ],
)
def test_numbers_that_are_topics(query: str) -> None:
    r = u(query)
    assert (r.filters.since, r.filters.until, r.filters.kind, r.filters.body, r.filters.speaker) == (None, None, None, None, None)
    assert r.text == query


@pytest.mark.parametrize("query", ["101 calls since 2023-13-45", "101 calls since 2019-02-30", "calls before 31/02/2023",
                                   "calls until 2024-00"])
def test_an_impossible_numeric_date_is_an_error_naming_it(query: str) -> None:
    """Searched as words, "2023-13-45" would quietly drop the date the user asked for."""
    with pytest.raises(QueryError, match="is not a real date") as caught:
        u(query)
    assert query.split()[-1] in str(caught.value)  # the message names what was typed


def test_a_financial_year_is_not_an_impossible_date() -> None:
    assert u("spending in 2023-24").filters.since is None  # "2023-24" is a financial year, left as words


def test_several_date_phrases_narrow() -> None:
    r = u("knife crime since 2019 before 2022")
    assert (r.filters.since, r.filters.until) == (d("2019-01-01"), d("2021-12-31"))
    assert r.text == "knife crime"


def test_contradicting_dates_are_noted_and_dropped() -> None:
    r = u("knife crime since 2023 before 2020")
    # Since 2023 and before 2020 leave no day: the search runs without a date instead.
    assert (r.filters.since, r.filters.until) == (None, None)
    assert r.notes[-1] == "dates in the question contradict each other: ignored"
    assert not any(n.startswith(("since", "until")) for n in r.notes)
    assert r.text == "knife crime"
    with pytest.raises(QueryError, match="after until"):
        Filters(since=d("2023-01-01"), until=d("2019-12-31"))


# -- bodies and kinds ------------------------------------------------------------------------

def test_body_full_name() -> None:
    r = u("What did Mr Sandher ask at the Kent & Medway Police and Crime Panel in October 2023?")
    assert r.filters.body == "Kent and Medway Police and Crime Panel"
    assert r.filters.speaker == "Mr Sandher"
    assert (r.filters.since, r.filters.until) == (d("2023-10-01"), d("2023-10-31"))


@pytest.mark.parametrize(
    "query, body",
    [
        ("drones at the board", "Performance and Delivery Board"),
        ("drones at the performance board", "Performance and Delivery Board"),
        ("drones at the Police and Crime Panel", "Kent and Medway Police and Crime Panel"),
        ("drones discussed by the panel", "Kent and Medway Police and Crime Panel"),
        ("drones at the PCP", "Kent and Medway Police and Crime Panel"),
    ],
)
def test_body_part(query: str, body: str) -> None:
    r = u(query)
    assert r.filters.body == body
    assert r.notes == (f"body: {body}",)
    assert r.text.split()[0] == "drones" and "the" not in r.text.split()[-1:]


def test_ambiguous_body_is_noted_not_set() -> None:
    bodies = BODIES + ("Rural Crime Board",)
    r = u("drones at the board", known_bodies=bodies)
    assert r.filters.body is None
    assert r.text == "drones at the board"
    assert any("several" in n for n in r.notes)
    assert u("drones at the rural crime board", known_bodies=bodies).filters.body == "Rural Crime Board"


def test_unknown_board_words_set_no_body() -> None:
    r = u("drones at the Violence Reduction board")
    assert r.filters.body is None and r.text == "drones at the Violence Reduction board"


@pytest.mark.parametrize(
    "query, kind, text",
    [
        ("precept in the minutes", "minutes", "precept"),
        ("drones in reports", "report", "drones"),
        ("drones in the annual report", "annual report", "drones"),
        ("drones in the board notes", "meeting notes", "drones"),
        ("CCTV decision records", "decision", "CCTV"),
        ("the PCC's decisions on CCTV", "decision", "CCTV"),
    ],
)
def test_kind(query: str, kind: str, text: str) -> None:
    r = u(query, known_bodies=())
    assert r.filters.kind == kind
    assert r.text == text
    assert f"kind: {kind}" in r.notes


def test_kind_with_body_hint() -> None:
    r = u("What was raised by Members about 101 in the panel minutes")
    assert (r.filters.kind, r.filters.body, r.filters.speaker, r.text) == (
        "minutes", "Kent and Medway Police and Crime Panel", "Member", "101")


def test_kind_words_in_topics_are_not_kinds() -> None:
    for query in ("charging decisions", "calls answered in minutes", "the PCC reports"):
        assert u(query).filters.kind is None


def test_several_kinds_set_none() -> None:
    r = u("drones in the minutes and in reports", known_bodies=())
    assert r.filters.kind is None and any(n.startswith("kind: several") for n in r.notes)


# -- odd input ---------------------------------------------------------------------------

def test_empty_query() -> None:
    assert understand("") == Understood(text="")
    assert understand("   \n\t ") == Understood(text="")


def test_symbols_only() -> None:
    r = understand("?!#$%&*()")
    assert (r.filters.speaker, r.filters.since, r.filters.until, r.filters.body, r.filters.kind) == (None,) * 5
    r = understand("??? ...")
    assert r.text == ""


def test_very_long_query_is_quick() -> None:
    query = ("What did the Chief Constable say about 101 calls since 2019? " * 170)[:10_000]
    assert len(query) == 10_000
    start = time.perf_counter()
    r = u(query)
    assert time.perf_counter() - start < 5
    assert r.filters.speaker == "CC" and r.filters.since == d("2019-01-01")
    start = time.perf_counter()
    r = u("x" * 10_000)
    assert time.perf_counter() - start < 5
    assert r.text == "x" * 10_000


def test_filters_property() -> None:
    r = u("What did the CC say about drones in 2023 at the board?")
    assert r.filters == Filters("CC", d("2023-01-01"), d("2023-12-31"), "Performance and Delivery Board", None)


# -- merge -------------------------------------------------------------------------------------

def test_explicit_filters_win() -> None:
    r = merge(u("What did the PCC say about drones since 2019?"), typed_filters(speaker="Chief Constable",
              since="2021-06-01", until=date(2022, 1, 31), kind="Reports", body="panel"))
    assert (r.filters.speaker, r.filters.since, r.filters.until, r.filters.kind, r.filters.body) == (
        "CC", d("2021-06-01"), d("2022-01-31"), "report", "panel")
    assert r.text == "drones"
    assert "speaker: CC (explicit)" in r.notes and "speaker: PCC" not in r.notes
    assert "since 2021-06-01 (explicit)" in r.notes and "since 2019-01-01" not in r.notes


def test_merge_keeps_what_is_not_given() -> None:
    original = u("What did the PCC say about drones since 2019?")
    assert merge(original, Filters()) == original
    assert merge(original, typed_filters(speaker="", since=" ", kind="")) == original
    r = merge(original, typed_filters(until="2020"))
    assert (r.filters.speaker, r.filters.since, r.filters.until) == ("PCC", d("2019-01-01"), d("2020-12-31"))


def test_merge_partial_dates() -> None:
    r = merge(Understood(text="x"), typed_filters(since="2023-09", until="2023-09"))
    assert (r.filters.since, r.filters.until) == (d("2023-09-01"), d("2023-09-30"))


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", ["2019-13-01", "19/09/2023", "last year", "2023-02-30", "20190101"])
def test_bad_explicit_dates_name_the_field_and_format(field: str, value: str) -> None:
    with pytest.raises(QueryError) as err:
        merge(Understood(text="x"), typed_filters(**{field: value}))
    message = str(err.value)
    assert message.startswith(f"{field}:")
    assert value in message and "YYYY-MM-DD" in message


def test_merge_bad_kind_lists_kinds() -> None:
    with pytest.raises(QueryError, match="minutes, meeting notes, report"):
        merge(Understood(text="x"), typed_filters(kind="tweets"))


def test_merge_since_after_until() -> None:
    with pytest.raises(QueryError, match="after until"):
        merge(u("drones since 2023"), typed_filters(until="2020-01-01"))


def test_parse_date() -> None:
    assert parse_date("since", "2019") == d("2019-01-01")
    assert parse_date("until", "2019", end=True) == d("2019-12-31")
    assert parse_date("until", "2024-02", end=True) == d("2024-02-29")
    assert parse_date("since", date(2020, 5, 1)) == d("2020-05-01")

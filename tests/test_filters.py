from datetime import date

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.errors import QueryError
from indexer.records import Passage, Speaker
from search.filters import (
    DOCUMENT_KINDS,
    Filters,
    PassageTable,
    body_matches,
    canonical_kind,
    filter_mask,
    name_tokens,
    names_compatible,
    passage_matches,
    passage_table,
)

BOARD = "Performance and Delivery Board"
PANEL = "Kent and Medway Police and Crime Panel"


def passage(
    pid: str,
    *speakers: Speaker,
    day: date | None = date(2023, 9, 13),
    inferred: bool = False,
    body: str | None = BOARD,
    kind: str = "meeting notes",
    document_id: str | None = None,
    area: str | None = None,
) -> Passage:
    return Passage(
        id=pid,
        source=f"{pid}.txt",
        document_id=document_id or f"{pid}.txt#0",
        document_title="Meeting notes",
        document_kind=kind,
        body=body,
        meeting_date=day,
        date_inferred=inferred,
        item_number="4",
        item_title="Performance",
        section=None,
        speakers=speakers,
        text="The CC reported on 101 calls.",
        start=0,
        end=29,
        area=area,
    )


CC_PUGHSLEY = Speaker("CC", "Alan Pughsley", "The Chief Constable")
CC_SMITH = Speaker("CC", "Tim Smith", "the CC")
CC_UNNAMED = Speaker("CC", None, "the CC")
PCC_BOARD = Speaker("PCC", "Matthew Scott", "the PCC")
PCC_PANEL = Speaker("PCC", "M Scott", "The Commissioner")
VICE_CHAIR = Speaker("Vice Chair", "G Sandher", "Mr Sandher")
DCC_INFERRED = Speaker("DCC", "Peter Ayling", "the DCC", name_inferred=True)
UNRESOLVED_ROLE = Speaker(None, None, "the Commissioner")  # a parser that left role empty

PASSAGES = [
    passage("p2019", CC_PUGHSLEY, day=date(2019, 9, 25)),  # 0
    passage("p2023", CC_SMITH, PCC_BOARD, day=date(2023, 9, 13)),  # 1
    passage("p2025", CC_UNNAMED, day=date(2025, 9, 16)),  # 2
    passage("panel", PCC_PANEL, VICE_CHAIR, day=date(2023, 10, 17), body=PANEL, kind="minutes"),  # 3
    passage("undated", DCC_INFERRED, day=date(2024, 1, 1), inferred=True),  # 4
    passage("nodate", CC_SMITH, day=None),  # 5
    passage("report", day=date(2023, 10, 17), body=PANEL, kind="report"),  # 6
    passage("loose", UNRESOLVED_ROLE, day=date(2022, 1, 1), body=PANEL, kind="minutes"),  # 7
]


def rows(f: Filters, **kw: object) -> list[int]:
    return [int(i) for i in np.flatnonzero(filter_mask(PASSAGES, f, **kw))]


# -- Filters --------------------------------------------------------------------------

def test_empty_filters_match_everything() -> None:
    f = Filters()
    assert not f.active
    mask = filter_mask(PASSAGES, f)
    assert mask.dtype == bool and mask.shape == (len(PASSAGES),) and mask.all()
    assert all(passage_matches(p, f) for p in PASSAGES)


def test_filters_fold_values() -> None:
    f = Filters(speaker="the Chief Constable", kind="Reports", body="  panel ")
    assert f.speaker == "CC"
    assert f.kind == "report"
    assert f.body == "panel"
    assert Filters(speaker="", body=" ", kind="") == Filters()
    assert Filters(speaker="Tim  Smith").speaker == "Tim Smith"  # a name stays as typed
    assert Filters(speaker="the Commissioner") == Filters(speaker="PCC")


def test_filters_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Filters().speaker = "CC"  # type: ignore[misc]


def test_unknown_kind_lists_valid_kinds() -> None:
    with pytest.raises(QueryError) as err:
        Filters(kind="press release")
    message = str(err.value)
    assert "kind" in message and "press release" in message
    for kind in DOCUMENT_KINDS:
        assert kind in message


@pytest.mark.parametrize(
    "typed, kind",
    [("minutes", "minutes"), ("Minutes", "minutes"), ("notes", "meeting notes"),
     ("reports", "report"), ("Annual Reports", "annual report"), ("decisions", "decision"),
     ("decision records", "decision"), ("work-programme", "work programme")],
)
def test_canonical_kind(typed: str, kind: str) -> None:
    assert canonical_kind(typed) == kind


def test_since_after_until_is_an_error() -> None:
    with pytest.raises(QueryError, match="since 2024-01-01 is after until 2023-01-01"):
        Filters(since=date(2024, 1, 1), until=date(2023, 1, 1))


def test_dates_must_be_dates() -> None:
    with pytest.raises(QueryError, match="since"):
        Filters(since="2019-01-01")  # type: ignore[arg-type]


# -- speaker: roles --------------------------------------------------------------------

def test_role_matches_every_holder_of_the_office() -> None:
    # "CC since 2019" finds Alan Pughsley in 2019 and Tim Smith after him.
    assert rows(Filters(speaker="CC", since=date(2019, 1, 1))) == [0, 1, 2]
    assert rows(Filters(speaker="Chief Constable")) == [0, 1, 2, 5]


def test_pcc_matches_the_commissioner_of_the_panel_minutes() -> None:
    assert rows(Filters(speaker="PCC")) == [1, 3, 7]
    assert rows(Filters(speaker="the Commissioner")) == [1, 3, 7]
    assert rows(Filters(speaker="PCC", body="panel")) == [3, 7]


def test_role_does_not_match_other_roles() -> None:
    assert rows(Filters(speaker="DCC")) == [4]
    assert rows(Filters(speaker="Vice-Chairman")) == [3]
    assert rows(Filters(speaker="Chair")) == []  # the Vice Chair is not the Chair
    assert rows(Filters(speaker="CFO")) == []


def test_passage_without_speakers_never_matches_a_speaker() -> None:
    assert not passage_matches(PASSAGES[6], Filters(speaker="PCC"))
    assert not passage_matches(PASSAGES[6], Filters(speaker="Tim Smith"))


# -- speaker: names --------------------------------------------------------------------

def test_full_name_matches_case_insensitively() -> None:
    assert rows(Filters(speaker="Tim Smith")) == [1, 5]
    assert rows(Filters(speaker="tim smith")) == [1, 5]
    assert rows(Filters(speaker="Alan Pughsley")) == [0]


def test_surname_only_and_titles() -> None:
    assert rows(Filters(speaker="Smith")) == [1, 5]
    assert rows(Filters(speaker="Mr Sandher")) == [3]
    assert rows(Filters(speaker="sandher")) == [3]
    assert rows(Filters(speaker="Mr G Sandher MBE")) == [3]


def test_initials_match_full_given_names() -> None:
    assert rows(Filters(speaker="T Smith")) == [1, 5]
    assert rows(Filters(speaker="Matthew Scott")) == [1, 3]  # "M Scott" in the panel minutes
    assert rows(Filters(speaker="Tom Smith")) == []


def test_role_before_a_name_is_ignored() -> None:
    assert rows(Filters(speaker="Chief Constable Tim Smith")) == [1, 5]


def test_name_inferred_speakers_count() -> None:
    assert rows(Filters(speaker="Peter Ayling")) == [4]


def test_ambiguous_surname_is_refused_with_names() -> None:
    passages = PASSAGES + [passage("other", Speaker("Member", "John Smith", "Cllr Smith"))]
    with pytest.raises(QueryError) as err:
        filter_mask(passages, Filters(speaker="Smith"))
    assert "John Smith" in str(err.value) and "Tim Smith" in str(err.value)
    # The full name, or a matching initial, settles it.
    assert list(np.flatnonzero(filter_mask(passages, Filters(speaker="John Smith")))) == [8]
    assert list(np.flatnonzero(filter_mask(passages, Filters(speaker="J Smith")))) == [8]


def test_two_spellings_of_one_person_are_not_ambiguous() -> None:
    passages = [passage("a", Speaker("CC", "Tim Smith", "the CC")),
                passage("b", Speaker("CC", "T Smith", "the CC")),
                passage("c", Speaker(None, "Smith", "Smith"))]
    assert filter_mask(passages, Filters(speaker="Smith")).all()


@pytest.mark.parametrize(
    "typed, name, expected",
    [
        ("Smith", "Tim Smith", True),
        ("T Smith", "Tim Smith", True),
        ("Tim Smith", "T Smith", True),
        ("Tim Smith", "Tom Smith", False),
        ("Tim Smith", "Tim Smyth", False),
        ("Mr P M Hill OBE", "Peter Hill", True),
        ("Hill", "Mr P M Hill OBE", True),
    ],
)
def test_names_compatible(typed: str, name: str, expected: bool) -> None:
    assert names_compatible(name_tokens(typed), name_tokens(name)) is expected


def test_name_tokens() -> None:
    assert name_tokens("Mr G Sandher MBE") == ("g", "sandher")
    assert name_tokens("Cllr Mrs J. Hollingsbee") == ("j", "hollingsbee")
    assert name_tokens("Chief Constable Tim Smith") == ("tim", "smith")
    assert name_tokens("Smith") == ("smith",)


# -- dates -------------------------------------------------------------------------------

def test_date_range_is_inclusive() -> None:
    f = Filters(since=date(2023, 9, 13), until=date(2023, 10, 17))
    assert rows(f) == [1, 3, 6]


def test_since_only_and_until_only() -> None:
    assert rows(Filters(since=date(2025, 1, 1))) == [2]
    assert rows(Filters(until=date(2019, 12, 31))) == [0]


def test_passage_without_date_never_passes_a_date_filter() -> None:
    assert 5 not in rows(Filters(since=date(1990, 1, 1)))
    assert 5 in rows(Filters())


def test_inferred_date_uses_its_start_without_ranges() -> None:
    # The undated 2024 notes carry 2024-01-01, the start of their inferred range.
    assert rows(Filters(since=date(2024, 1, 1), until=date(2024, 12, 31))) == [4]
    assert rows(Filters(since=date(2024, 6, 1), until=date(2024, 6, 30))) == []


def test_inferred_date_overlaps_its_range_when_given() -> None:
    ranges = {"undated.txt#0": (date(2024, 1, 1), date(2024, 12, 31))}
    june = Filters(since=date(2024, 6, 1), until=date(2024, 6, 30))
    assert rows(june, date_ranges=ranges) == [4]
    assert passage_matches(PASSAGES[4], june, ranges)
    assert rows(Filters(since=date(2025, 1, 1)), date_ranges=ranges) == [2]
    assert rows(Filters(until=date(2023, 12, 31)), date_ranges=ranges) == [0, 1, 3, 6, 7]


def test_stated_dates_ignore_ranges() -> None:
    # A range given for a passage whose date is stated is not used.
    ranges = {"p2019.txt#0": (date(2019, 1, 1), date(2025, 12, 31))}
    assert rows(Filters(since=date(2020, 1, 1), speaker="CC"), date_ranges=ranges) == [1, 2]


# -- body and kind ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "wanted, body, expected",
    [
        ("panel", PANEL, True),
        ("Police & Crime Panel", PANEL, True),
        ("kent and medway  police and crime panel", PANEL, True),
        ("board", "Performance & Delivery Board", True),
        ("performance and delivery board", "Performance & Delivery Board", True),
        ("pan", PANEL, False),  # whole words only
        ("board", PANEL, False),
        ("panel", None, False),
    ],
)
def test_body_matches(wanted: str, body: str | None, expected: bool) -> None:
    assert body_matches(wanted, body) is expected


def test_body_filter() -> None:
    assert rows(Filters(body="panel")) == [3, 6, 7]
    assert rows(Filters(body="Performance & Delivery Board")) == [0, 1, 2, 4, 5]


def test_kind_filter_is_exact() -> None:
    assert rows(Filters(kind="minutes")) == [3, 7]
    assert rows(Filters(kind="report")) == [6]
    assert rows(Filters(kind="annual report")) == []  # "report" is not "annual report"


def test_all_constraints_together() -> None:
    f = Filters(speaker="the Commissioner", since=date(2023, 1, 1), until=date(2023, 12, 31),
                body="Police and Crime Panel", kind="minutes")
    assert rows(f) == [3]


def test_mask_of_no_passages() -> None:
    assert filter_mask([], Filters(speaker="CC")).shape == (0,)


def test_passage_matches_agrees_with_mask() -> None:
    for f in (Filters(speaker="CC"), Filters(body="panel", kind="minutes"),
              Filters(speaker="Smith", since=date(2023, 1, 1)), Filters(until=date(2023, 9, 13))):
        mask = filter_mask(PASSAGES, f)
        assert list(mask) == [passage_matches(p, f) for p in PASSAGES]


# -- the vectorised mask (PassageTable) against the per-passage rule --------------------

# Small pools, so that random passages and filters often meet: offices spelled canonically
# and not, names in several spellings (two people called Smith), bodies with "&".
ROLES_STORED = [None, None, "", "CC", "Chief Constable", "PCC", "Vice Chair", "DCC", "Councillor"]
NAMES_STORED = [None, "Tim Smith", "T Smith", "John Smith", "Alan Pughsley", "Mr G Sandher MBE",
                "M Scott", "the Commissioner", "Smith"]
AS_NAMED = ["the CC", "The Commissioner", "Mr Sandher", "A Member", "Tim Smith", "the Chief Constable", "the DCC"]
BODIES = [None, BOARD, PANEL, "Performance & Delivery Board", "Joint Audit Committee"]
KINDS = list(DOCUMENT_KINDS) + ["press release"]
DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2024, 12, 31))  # narrow: ranges overlap
DOC_IDS = ["a#0", "b#0", "c#0"]

speakers = st.builds(
    Speaker, st.sampled_from(ROLES_STORED), st.sampled_from(NAMES_STORED), st.sampled_from(AS_NAMED),
    st.booleans(),
)
random_passages = st.lists(
    st.builds(
        lambda pid, day, inferred, body, kind, doc, who, area: passage(
            f"r{pid}", *who, day=day, inferred=inferred, body=body, kind=kind, document_id=doc, area=area
        ),
        st.integers(0, 10**6), st.none() | DAYS, st.booleans(), st.sampled_from(BODIES),
        st.sampled_from(KINDS), st.sampled_from(DOC_IDS), st.lists(speakers, max_size=3).map(tuple),
        st.sampled_from([None, "Kent", "Sussex"]),
    ),
    min_size=3,
    max_size=20,
)


@st.composite
def random_filters(draw: st.DrawFn) -> Filters:
    def sometimes(values: st.SearchStrategy[object]) -> object:
        # Each constraint set one time in three: with all five set, almost nothing passes.
        return draw(values) if draw(st.integers(0, 2)) == 0 else None

    since, until = sometimes(DAYS), sometimes(DAYS)
    if since is not None and until is not None and since > until:
        since, until = until, since
    return Filters(
        speaker=sometimes(st.sampled_from(
            ["CC", "Chief Constable", "the Commissioner", "Vice-Chairman", "DCC", "Chair", "Tim Smith",
             "T Smith", "Smith", "John Smith", "Sandher", "Matthew Scott", "Mr", "Pughsley"])),
        since=since,  # type: ignore[arg-type]
        until=until,  # type: ignore[arg-type]
        body=sometimes(  # type: ignore[arg-type]
            st.sampled_from(["panel", "board", "Performance and Delivery Board", "pan"])),
        kind=sometimes(st.sampled_from(list(DOCUMENT_KINDS))),  # type: ignore[arg-type]
        area=sometimes(st.sampled_from(["Kent", "sussex", "Kent and Medway", "Surrey"])),  # type: ignore[arg-type]
    )


# Usually some ranges (None one time in four): what matters is an inferred date meeting its range.
ranges_by_doc = st.integers(0, 3).flatmap(lambda i: st.none() if i == 0 else st.dictionaries(
    st.sampled_from(DOC_IDS), st.tuples(DAYS, DAYS).map(lambda r: (min(r), max(r))), min_size=1, max_size=3
))


@settings(max_examples=100, deadline=None)
@given(random_passages, st.lists(random_filters(), min_size=1, max_size=8), ranges_by_doc)
@example(  # the fixtures: an office known only from its words, an inferred date and its range
    PASSAGES + [passage("cc-words", Speaker(None, None, "the Chief Constable")),
                passage("cc-title", Speaker("Chief Constable", "Tim Smith", "the CC"))],
    [Filters(speaker="PCC"), Filters(speaker="CC"), Filters(since=date(2024, 6, 1), until=date(2024, 6, 30)),
     Filters(speaker="Smith"), Filters(speaker="Mr")],
    {"undated.txt#0": (date(2024, 1, 1), date(2024, 12, 31))},
)
def test_vectorised_mask_agrees_with_passage_matches(
    passages: list[Passage], filters: list[Filters], ranges: dict[str, tuple[date, date]] | None
) -> None:
    table = PassageTable(passages)
    for f in filters:
        try:
            mask = filter_mask(passages, f, date_ranges=ranges)
        except QueryError as err:
            if "could be" not in str(err):  # no name at all: the per-passage rule refuses too
                with pytest.raises(QueryError, match="neither an office nor"):
                    passage_matches(passages[0] if passages else PASSAGES[0], f, ranges)
                continue
            # Ambiguous: at least two people among the speakers fit the name typed.
            wanted = name_tokens(f.speaker or "")
            fitting = {name_tokens(s.name) for p in passages for s in p.speakers
                       if s.name and names_compatible(wanted, name_tokens(s.name))}
            assert any(not (names_compatible(a, b) and names_compatible(b, a)) for a in fitting for b in fitting)
            continue
        assert mask.dtype == bool and mask.shape == (len(passages),)
        assert mask.tolist() == [passage_matches(p, f, ranges) for p in passages]
        # A table reused across filters, and the cached table of a tuple, agree.
        np.testing.assert_array_equal(table.mask(f, ranges), mask)
        np.testing.assert_array_equal(filter_mask(tuple(passages), f, date_ranges=ranges), mask)


def test_table_is_cached_per_tuple_only() -> None:
    as_tuple = tuple(PASSAGES)
    assert passage_table(as_tuple) is passage_table(as_tuple)
    assert passage_table(tuple(PASSAGES)) is not passage_table(as_tuple)  # equal, not the same tuple
    assert passage_table(PASSAGES) is not passage_table(PASSAGES)  # a list may change: never cached
    assert len(passage_table(as_tuple)) == len(PASSAGES)


def test_table_sees_a_changed_list() -> None:
    passages = list(PASSAGES[:2])
    assert filter_mask(passages, Filters(speaker="DCC")).tolist() == [False, False]
    passages.append(PASSAGES[4])
    assert filter_mask(passages, Filters(speaker="DCC")).tolist() == [False, False, True]

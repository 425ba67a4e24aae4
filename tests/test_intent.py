"""Questions about meetings: members' questions, promises and their follow-up, change over time."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from search.filters import Filters
from search.intent import Intent, boost, member_asks, read_intent, spread


@pytest.mark.parametrize(
    "query, intent",
    [
        ("What did members ask about off-road bikes?", Intent(asked=True)),
        ("What did councillors on the panel ask the commissioner about 101?", Intent(asked=True)),
        ("questions from Cllr Hook on rural crime", Intent(asked=True)),
        ("Was the firearms licensing audit ever delivered?", Intent(promised=True)),
        ("What was promised about drink driving figures?", Intent(promised=True)),
        ("What update did the CC offer on Crimestoppers?", Intent(promised=True)),
        ("What did the Commissioner commit to bring back to the Panel?", Intent(promised=True)),
        # as people put a promise
        ("The police said they'd come back on the hotspot patrols - did they?", Intent(promised=True)),
        ("Has the force come back yet on the extra patrols?", Intent(promised=True)),
        ("Did the chief constable say he would share the pilot results?", Intent(promised=True)),
        ("Did the police ever hand them over?", Intent(promised=True)),
        ("Did the police agree to explain where seized cash goes?", Intent(promised=True)),
        ("Did the promised figures ever turn up?", Intent(promised=True)),
        ("What did the PCC say about 101 calls?", Intent()),
        ("Did the police sell off old network addresses, and how much did they get?", Intent()),
        ("How did 101 answering change between 2019 and 2025?", Intent(change=True)),
        ("PCSO numbers 2019 and 2024", Intent(change=True)),
        ("What is being done about domestic violence?", Intent()),
        ("What did the CC say about 101 calls since 2019?", Intent()),
    ],
)
def test_the_kind_of_question_is_read(query, intent):
    assert read_intent(query) == intent


def test_a_member_asking_is_recognised_by_role_or_wording():
    assert member_asks("A Member asked whether the plan covered Medway.", [None])
    assert member_asks("The Commissioner explained, following a question from a Member, that 101 …", ["PCC"])
    assert member_asks("Could the force say more?", ["Member"])
    assert not member_asks("The CC asked officers to attend.", ["CC"])
    assert not member_asks("The Member thanked the Commissioner.", ["Member"])


def test_boost_lifts_only_wanted_rows_within_the_depth():
    ranked = [("a", 0.10), ("b", 0.09), ("c", 0.08), ("d", 0.07)]
    assert [r for r, _ in boost(ranked, lambda r: r == "c", weight=0.05)] == ["c", "a", "b", "d"]
    assert [r for r, _ in boost(ranked, lambda r: r == "d", weight=0.05, depth=3)] == ["a", "b", "c", "d"]


def test_spread_brings_a_second_meeting_forward():
    ranked = [("a1", 1.0), ("a2", 0.95), ("a3", 0.9), ("b1", 0.8), ("c1", 0.5)]
    meeting = {"a1": date(2019, 9, 25), "a2": date(2019, 9, 25), "a3": date(2019, 9, 25),
               "b1": date(2023, 9, 13), "c1": date(2025, 9, 16)}
    order = [r for r, _ in spread(ranked, meeting.__getitem__, decay=0.7)]
    assert order[:2] == ["a1", "b1"]
    assert order.index("c1") < order.index("a3")


@given(st.lists(st.tuples(st.integers(0, 5), st.floats(0.001, 1.0)), min_size=0, max_size=40))
def test_spread_keeps_every_hit_and_scores_fall_with_rank(items):
    ranked = sorted(((n, score) for n, (_, score) in enumerate(items)), key=lambda t: -t[1])
    meeting = {n: m for n, (m, _) in enumerate(items)}
    out = spread(ranked, meeting.__getitem__)
    assert sorted(r for r, _ in out) == sorted(r for r, _ in ranked)
    scores = [s for _, s in out]
    assert scores == sorted(scores, reverse=True)


def test_members_questions_rank_first(fake_searcher):
    result = fake_searcher.search("What did councillors on the panel ask about 101?")
    top = result.hits[0].passage.text
    assert member_asks(top, [s.role for s in result.hits[0].passage.speakers])


def test_promises_rank_the_actions_and_their_updates(fake_searcher):
    result = fake_searcher.search("Was the promised briefing on the drop in domestic abuse ever delivered?")
    assert result.hits[0].row in fake_searcher.action_rows
    assert "briefing on the reduction in domestic abuse" in result.hits[0].passage.text


def test_change_questions_draw_on_several_meetings(fake_searcher):
    result = fake_searcher.search("How did knife crime change between 2019 and 2025?")
    assert len({h.passage.meeting_date for h in result.hits[:5]}) >= 3


def test_what_an_office_promised_includes_the_actions_the_meeting_minuted(fake_searcher) -> None:
    promised = fake_searcher.search("What did the Chief Constable promise on how cash seized under POCA is distributed?", k=10)
    listed = [h for h in promised.hits if "cash seized under POCA is distributed" in h.passage.text]
    assert listed and any(not h.passage.speakers for h in listed)  # "Force: include information …", no speaker
    assert any("actions minuted" in note for note in promised.understood.notes)
    said = fake_searcher.search("What did the Chief Constable say about cash seized under POCA?", k=10)
    assert said.hits and all(any(s.role == "CC" for s in h.passage.speakers) for h in said.hits)


@pytest.mark.parametrize(
    "query, followed_up",
    [
        ("What was promised in 2024 and was it delivered?", True),
        ("At the June 2023 meeting the CC offered a summary - did that actually arrive?", True),
        ("The force offered to report back in 2024; did it follow through?", True),
        ("How many complaints were received in 2023?", False),
        ("What did the CC say in 2019 about 101?", False),
    ],
)
def test_a_question_about_what_came_of_a_promise_is_read(query, followed_up):
    assert read_intent(query).followed_up is followed_up


def test_what_came_of_a_dated_promise_is_looked_for_at_later_meetings(fake_searcher) -> None:
    result = fake_searcher.search(
        "In June 2023 the force offered a summary of the Shopkind week of action - did it actually arrive?", k=10)
    assert result.understood.filters.since == date(2023, 6, 1) and result.understood.filters.until is None
    assert any("received with thanks" in h.passage.text and h.passage.meeting_date > date(2023, 6, 30)
               for h in result.hits)
    dated = fake_searcher.search("What did the force offer in June 2023 about the Shopkind week of action?", k=10)
    assert dated.understood.filters.until == date(2023, 6, 30)


PILOT_QUESTION = "Did the force ever hand over the results of the domestic abuse risk pilot it offered the commissioner?"
PILOT_TABLE_ROW = "ILAS DA risk identification pilot results to the PCC Open"


def test_what_came_of_a_promise_shows_the_commitments_other_records(real_searcher, monkeypatch) -> None:
    # June 2023's board minuted the pilot results twice, in its list and in its action
    # table; September's notes record an interim update. The table row shares few of the
    # question's words: it is shown because it belongs to the commitment a top hit holds.
    import search.engine as engine

    result = real_searcher.search(PILOT_QUESTION, k=10)
    rows = [h.row for h in result.hits]
    table = next(i for i, h in enumerate(result.hits) if PILOT_TABLE_ROW in h.passage.text)
    thread = next(t.rows for t in real_searcher.commitment_threads if result.hits[table].row in t.rows)
    assert any(r in thread for r in rows[:table])  # it follows a passage of its commitment
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)

    monkeypatch.setattr(engine, "THREAD_DEPTH", 0)
    without = real_searcher.search(PILOT_QUESTION, k=10)
    assert not any(PILOT_TABLE_ROW in h.passage.text for h in without.hits)


def test_a_commitments_other_records_stay_within_the_asked_dates(real_searcher) -> None:
    until = date(2023, 6, 30)
    result = real_searcher.search(PILOT_QUESTION, k=10, filters=Filters(until=until))
    assert result.hits and all(h.passage.meeting_date and h.passage.meeting_date <= until for h in result.hits)

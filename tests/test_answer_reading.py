"""Reading a question for whom it asks about, and showing a meeting's date: pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from search.labels import meeting_label
from search.understand import addressee, understand


@pytest.mark.parametrize(
    ("question", "spoken_to", "speaker"),
    [
        ("What was the PCC told about the firearms licensing backlog?", "PCC", None),
        ("What has the Commissioner been briefed on regarding stalking?", "PCC", None),
        ("What did the CC tell the PCC about 101 calls?", "PCC", "CC"),
        ("What was reported to the Chief Constable about drones?", "CC", None),
        ("What did the PCC ask about knife crime?", None, "PCC"),  # the PCC speaks here
        ("What did the CC say about PCC funding?", None, "CC"),
    ],
)
def test_the_office_spoken_to_is_not_the_speaker(question: str, spoken_to: str | None, speaker: str | None) -> None:
    who, rest = addressee(question)
    assert who == spoken_to
    assert understand(rest).filters.speaker == speaker


def test_meeting_labels_say_what_is_known() -> None:
    assert meeting_label(date(2023, 6, 7), None, False) == "7 June 2023"
    undated = (date(2024, 6, 13), date(2024, 12, 10))
    assert meeting_label(date(2024, 6, 13), undated, True) == "undated; between 12 June and 11 December 2024"
    across = (date(2023, 12, 2), date(2024, 2, 6))
    assert meeting_label(date(2023, 12, 2), across, True) == "undated; between 1 December 2023 and 7 February 2024"
    assert meeting_label(None, None, False) == "undated"


def test_a_question_in_plain_words_is_carried_by_the_records_terms() -> None:
    from search.answer import support, term_alternatives

    terms = {"domest": 1.0, "violenc": 2.0}
    alternatives = term_alternatives("what is being done about domestic violence", {})
    on_topic = ["The DCC said domestic abuse arrests had risen by 12% since April."]
    off_topic = ["The DCC said burglary arrests had risen by 12% since April."]
    assert support(terms, on_topic) < 0.5  # the records' words differ from the question's
    assert support(terms, on_topic, alternatives=alternatives) == 1.0
    assert support(terms, off_topic, alternatives=alternatives) == 0.0


def test_a_fall_is_carried_by_a_reduction_and_a_rise_by_an_increase() -> None:
    from search.answer import support, term_alternatives

    terms = {"violenc": 1.0, "fall": 1.0}
    alternatives = term_alternatives("how did violence fall in the hotspot areas", {})
    assert support(terms, ["Violence in hotspot areas saw a 4.7% reduction."], alternatives=alternatives) == 1.0
    assert support(terms, ["Violence in hotspot areas saw a 4.7% increase."], alternatives=alternatives) == 0.5


def test_a_financial_year_is_a_year_not_a_term_and_dates_an_answer_only_beside_the_subject(fake_searcher) -> None:
    from dataclasses import replace

    from search.answer import _years_supported, key_terms
    from search.engine import Hit

    terms = key_terms(fake_searcher, "Freedom of Information requests received in 2022/23")
    assert "25" not in key_terms(fake_searcher, "precept for 2024/25") and "23" not in terms and "request" in terms
    passage = fake_searcher.passages[0]

    def cited(sentence: str, year: int) -> tuple[str, Hit]:
        return sentence, Hit(replace(passage, meeting_date=date(year, 6, 7)), 0, 0.0, None, None, None, None)

    def about_requests(sentence: str) -> bool:
        return "requests" in sentence

    reported_next_year = [cited("1,623 requests were received last financial year.", 2023)]
    assert _years_supported("requests received in 2022/23", reported_next_year, about_requests)
    assert not _years_supported("requests received in 2021", reported_next_year, about_requests)
    # A year beside another subject does not date the answer.
    elsewhere = [cited("1,623 requests were received.", 2019), cited("Class B seizures rose in Qtr 1 2022/23.", 2019)]
    assert not _years_supported("requests received in 2022/23", elsewhere, about_requests)

"""Answers, timelines, the ledger and the brief on the seed corpus with the real model:
what a researcher, an office and a scrutiny officer would see."""

from __future__ import annotations

import re
from datetime import date

import pytest

from search.answer import NO_ANSWER, answer, answer_json
from search.brief import meeting_brief
from search.ledger import build_ledger, cached_embed, entry_json
from search.timeline import timeline

pytestmark = pytest.mark.model


def _norm(text: str) -> str:
    return " ".join(text.replace("**", "").split()).lower()


def test_answer_on_101_calls_is_dated_cited_and_verbatim(real_searcher):
    result = answer(real_searcher, "What did the Chief Constable say about 101 calls since 2019?")
    assert result.answered and not result.generated
    years = {c.passage.meeting_date.year for c in result.citations}
    assert 2019 in years and 2023 in years and max(years) >= 2025
    dates = [c.passage.meeting_date for c in result.citations]
    assert dates == sorted(dates)  # in date order
    names = {s.name for c in result.citations for s in c.speakers}
    assert {"Alan Pughsley", "Tim Smith"} <= names
    texts = real_searcher.index.texts
    for c in result.citations:
        assert c.quote in c.passage.text  # verbatim from the passage …
        source = _norm(texts[c.passage.source][c.passage.start : c.passage.end])
        assert _norm(c.quote) in source  # … and so from the source document
        assert all(s.role == "CC" for s in c.speakers)  # only what the CC said
    data = answer_json(result)
    assert data["answered"] is True and data["citations"][0]["meeting_date"] == "2019-09-25"
    assert {"quote", "meeting_date", "body", "item", "speakers", "source"} <= set(data["citations"][0])


@pytest.mark.parametrize(
    "question",
    [
        "What did the Chief Constable say about live facial recognition cameras?",
        "What has the board heard about drink spiking in pubs and clubs?",
        "What did the Deputy Chief Constable report at the September 2023 Performance and Delivery Board?",
    ],
)
def test_unanswerable_questions_are_refused(real_searcher, question):
    result = answer(real_searcher, question)
    assert not result.answered
    assert result.text == NO_ANSWER and result.citations == ()


def test_timeline_of_101_calls_runs_in_date_order(real_searcher):
    understood, points = timeline(real_searcher, "101 calls")
    dates = [p.meeting_date for p in points]
    assert dates == sorted(dates)
    assert dates[0].year == 2019 and dates[-1].year == 2025
    assert all(p.count >= 1 and p.top.passage.document_id == p.document_id for p in points)
    by_date = {p.meeting_date: p for p in points}
    assert by_date[date(2023, 6, 7)].count >= 2  # the board that discussed public contact at length


def test_ledger_shows_june_2023_actions_done_with_september_evidence(real_searcher):
    index = real_searcher.index
    entries = build_ledger(index.actions, index.documents, cached_embed(real_searcher.embedder))
    june = [e for e in entries if e.action.kind == "action" and e.set_at == date(2023, 6, 7)]
    assert len(june) == 3
    shopkind = next(e for e in june if "Shopkind" in e.action.text)
    (evidence,) = shopkind.evidence
    assert shopkind.status == "done"
    assert evidence.meeting_date == date(2023, 9, 13) and "national campaign summary received" in evidence.quote
    data = entry_json(shopkind)
    assert data["status"] == "done" and data["evidence"][0]["meeting_date"] == "2023-09-13"
    # One commitment, one entry: the offer made in discussion is shown with its minuted action.
    assert any("could not neglect" in o.text for o in shopkind.offers)
    assert not any(e.action.kind == "offer" and "could not neglect" in e.action.text for e in entries)
    assert data["offered_in_discussion"] and data["owner"] == "Force"
    # "interim update received; final results to be provided": put off, not done.
    ilas = next(e for e in june if "ILAS" in e.action.text)
    assert ilas.status == "deferred"
    # June 2024's actions are known only from the next notes, listed under "discharged" but
    # "to be provided before December meeting": deferred to 11 December 2024.
    june_2024 = [e for e in entries if e.set_at == date(2024, 6, 12)]
    assert len(june_2024) == 4 and all(e.status == "deferred" and not e.set_at_in_corpus for e in june_2024)
    assert all(e.due == date(2024, 12, 11) and "11 December 2024" in e.reason for e in june_2024)
    # The September 2025 actions: no later board in the records.
    assert {e.status for e in entries if e.set_at == date(2025, 9, 16)} == {"unknown"}
    # Due at meetings the records lack (4 December 2019, 29 November 2023, 11 December 2024):
    # unknown, saying why; never overdue.
    for day, due in ((date(2019, 9, 25), "4 December 2019"), (date(2023, 9, 13), "29 November 2023")):
        formal = [e for e in entries if e.action.kind == "action" and e.set_at == day]
        assert len(formal) == 5 and {e.status for e in formal} == {"unknown"}
        assert all(f"due at the meeting of {due}, which is not in the records" in e.reason for e in formal)
    assert not [e for e in entries if e.status == "overdue"]
    # No commitment twice: no two entries of one meeting share their words.
    keys = [(e.set_at, e.action.text) for e in entries]
    assert len(keys) == len(set(keys))


def test_brief_cites_every_line(real_searcher):
    index = real_searcher.index
    ledger = build_ledger(index.actions, index.documents, cached_embed(real_searcher.embedder))
    markdown = meeting_brief(index.passages, index.documents, ledger, "Performance and Delivery Board")
    assert "## Questions asked at the last two meetings" in markdown
    bullets = [line for line in markdown.splitlines() if line.lstrip().startswith("- ")]
    assert len(bullets) > 10
    assert all(re.search(r"\[[^\]]*(\.txt|\.md)\]\s*$", line) for line in bullets)
    # The last meeting's actions come first: what the next meeting must ask about.
    sections = markdown.split("\n## ")
    assert sections[1].startswith("Actions set at the last meeting (16 September 2025), due at the next")
    assert "NDORS" in sections[1] and "**due at the next meeting**" in sections[1]
    # The undated meeting says what is known of its date; no markup reaches a quote.
    assert "undated; between 12 June and 11 December 2024" in markdown
    assert "<sup>" not in markdown and "(date inferred)" not in markdown


def test_quotes_are_whole_sentences_and_figures_whole(real_searcher):
    from eval.run import cut_inside_number

    for question in (
        "What was the resignation rate among police staff?",
        "By how much did out of court resolutions for victim-based crime rise in the year to June 2025?",
    ):
        result = answer(real_searcher, question)
        assert result.answered
        assert not any(cut_inside_number(c.quote, c.passage.text) for c in result.citations)
        assert any(re.search(r"3\.82%|29\.7% increase", c.quote) for c in result.citations)


def test_what_the_pcc_was_told_quotes_the_answers_given_to_him(real_searcher):
    result = answer(real_searcher, "What was the PCC told about the firearms licensing waiting times?")
    assert result.answered and result.addressee == "PCC"
    assert result.understood.filters.speaker is None  # the PCC is spoken to, not the speaker
    assert any("42 weeks" in c.quote for c in result.citations)
    assert not any(s.role == "PCC" for c in result.citations for s in c.speakers)


@pytest.mark.parametrize(
    "question",
    [
        "How many vans were seized in 2021?",  # a year the records do not cover, a thing never counted
        "What was said about wildlife poaching at the September 2019 board?",  # one meeting left by the date
    ],
)
def test_questions_whose_key_terms_the_records_lack_are_refused(real_searcher, question):
    result = answer(real_searcher, question)
    assert not result.answered and result.citations == () and result.nearest


def test_a_meeting_the_records_lack_is_answered_from_the_next_notes(real_searcher):
    result = answer(real_searcher, "Which actions were set at the 12 June 2024 board?")
    assert result.answered
    assert any("Right Care Right Person progress" in c.quote for c in result.citations)
    assert all(c.when == "undated; between 12 June and 11 December 2024" for c in result.citations)


def test_a_reply_carries_the_subject_of_the_question_it_answers(real_searcher):
    # "The PCC sought an update on victimless prosecutions." … "the CC reported there were 111 in the RY."
    result = answer(real_searcher, "How many victimless prosecutions were there in the rolling year?")
    assert result.answered and any("111 in the RY" in c.quote for c in result.citations)


def _today_is(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """The question reader's today, for "last year"."""
    import search.understand

    class Fixed(date):
        @classmethod
        def today(cls) -> date:
            return day

    monkeypatch.setattr(search.understand, "date", Fixed)


def test_last_year_gives_way_to_a_closer_answer_outside_it(real_searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    _today_is(monkeypatch, date(2026, 11, 30))
    # The seed records' one annual report covers 2022/23; "last year" is 2025 by the calendar.
    result = real_searcher.search("How many hours did the special constables put in last year?", k=5)
    assert result.notice is not None and "closer answer outside 1 January 2025 to 31 December 2025" in result.notice
    assert result.understood.filters.since is None and result.understood.filters.until is None
    assert any("95,000 hours" in h.passage.text for h in result.hits)
    # Where the period holds a close answer it stands; dates given as dates never widen.
    kept = real_searcher.search("What did the CC say about 101 calls last year?", k=5)
    assert kept.notice is None and all(h.passage.meeting_date.year == 2025 for h in kept.hits)
    from search.understand import typed_filters

    typed = real_searcher.search("How many hours did the special constables put in?", k=5,
                                 filters=typed_filters(since="2025-01-01", until="2025-12-31"))
    assert typed.notice is None and all(h.passage.meeting_date.year == 2025 for h in typed.hits)


def test_last_year_with_no_meeting_in_it_searches_every_date_once(real_searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    _today_is(monkeypatch, date(2031, 11, 30))
    result = real_searcher.search("How many hours did the special constables put in last year?", k=5)
    # No meeting in 2030: the existing rule searches every date for passages naming 2030,
    # and says so; the period is not widened a second time under another notice.
    assert result.notice is not None and result.notice.startswith("No meeting in 2030")

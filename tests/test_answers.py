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
    assert {e.status for e in june} == {"done"} and len(june) == 3
    shopkind = next(e for e in june if "Shopkind" in e.action.text)
    (evidence,) = shopkind.evidence
    assert evidence.meeting_date == date(2023, 9, 13) and "national campaign summary received" in evidence.quote
    data = entry_json(shopkind)
    assert data["status"] == "done" and data["evidence"][0]["meeting_date"] == "2023-09-13"
    # An offer made in discussion shares the fate of the action the meeting minuted for it.
    shopkind_offer = next(e for e in entries if e.action.kind == "offer" and "could not neglect" in e.action.text)
    assert shopkind_offer.formal_action is not None and "Shopkind" in shopkind_offer.formal_action.text
    assert shopkind_offer.status == "done"
    # June 2024's actions are known only from September 2024's notes: all discharged.
    june_2024 = [e for e in entries if e.set_at == date(2024, 6, 12)]
    assert len(june_2024) == 4 and all(e.status == "done" and not e.set_at_in_corpus for e in june_2024)
    # The September 2025 actions: no later board in the records.
    assert {e.status for e in entries if e.set_at == date(2025, 9, 16)} == {"unknown"}
    # September 2023's actions were due 29 November 2023 and no later record delivers them.
    sept = [e for e in entries if e.action.kind == "action" and e.set_at == date(2023, 9, 13)]
    assert len(sept) == 5 and {e.status for e in sept} == {"overdue"}


def test_brief_cites_every_line(real_searcher):
    index = real_searcher.index
    ledger = build_ledger(index.actions, index.documents, cached_embed(real_searcher.embedder))
    markdown = meeting_brief(index.passages, index.documents, ledger, "Performance and Delivery Board")
    assert "## Commitments still open or overdue" in markdown
    assert "## Questions asked at the last two meetings" in markdown
    bullets = [line for line in markdown.splitlines() if line.lstrip().startswith("- ")]
    assert len(bullets) > 10
    assert all(re.search(r"\[[^\]]*(\.txt|\.md)\]\s*$", line) for line in bullets)

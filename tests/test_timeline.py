"""Timelines count the passages that carry the topic, however the records spell it."""

from __future__ import annotations

import re

import pytest

from search.timeline import timeline, word_forms


def _meetings(searcher, topic: str) -> dict[str, int]:
    _, points = timeline(searcher, topic)
    return {p.document_id: p.count for p in points}


@pytest.mark.parametrize(("one", "other"), [("PCSO", "PCSOs"), ("knife crime", "knife crimes"), ("Op Soteria", "Operation Soteria")])
def test_singular_plural_short_and_full_give_the_same_meetings(fake_searcher, one: str, other: str) -> None:
    assert _meetings(fake_searcher, one) == _meetings(fake_searcher, other) != {}


def test_a_named_operation_is_found_at_every_meeting_that_names_it(fake_searcher) -> None:
    named = {p.document_id for p in fake_searcher.passages if re.search(r"\bOp(?:eration)?\s+Soteria\b", p.text)}
    assert len(named) >= 2
    assert named <= set(_meetings(fake_searcher, "Operation Soteria"))


def test_word_forms() -> None:
    assert set(word_forms("PCSOs")) == set(word_forms("PCSO")) == {"PCSO", "PCSOs"}
    assert {"Op", "operation"} <= set(word_forms("Op"))  # lexical matching ignores case
    assert "business" in word_forms("business")  # not a plural

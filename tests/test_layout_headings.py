"""What counts as a heading in a report's text: its headings, never a table row, the first
line of a wrapped sentence or a list's lead-in (each becomes the title every passage under
it is searched by)."""

from __future__ import annotations

import pytest

from indexer.layout import _colon_heading_ok, title_like
from indexer.parse import parse_text


@pytest.mark.parametrize(
    "line",
    [
        "Cut Crime, Support Victims, Build Trust",
        "Police and Crime Plan 2022-2025",
        "Delivery in 2022/23:",
        "What is RCRP?",
        "My commitments as PCC:",
        "Gangs and county lines service (£103,716)",
        "Notes of Previous Meeting – 7 June 2023",
        "Non-emergency 101 contact:",
    ],
)
def test_headings_stay_headings(line: str) -> None:
    assert title_like(line) and _colon_heading_ok(line)


@pytest.mark.parametrize(
    "line",
    [
        "Victim based crime 154,608 150,153 ▼ -2.9",  # a label and its values
        "Calls answered 88.1% 91.4%",
        "As at 31 March 2023, Kent Police had 187 Police",  # a sentence wrapped at the column edge
        "Victim Voice provides information on the Victims’",
        "I’d like to thank the Special Constabulary, Community",
        "% change",  # a column head
    ],
)
def test_rows_and_wrapped_sentences_are_not_headings(line: str) -> None:
    assert not title_like(line)


@pytest.mark.parametrize("line", ["Complemented by:", "Workstreams include:", "Additional Funding were:"])
def test_a_lead_in_to_a_list_heads_nothing(line: str) -> None:
    assert not _colon_heading_ok(line)


def test_a_reports_passages_are_titled_by_its_headings_only() -> None:
    text = (
        "Police and Crime Commissioner's Annual Report 2023/24\n\n"
        "Tackling violent crime\n\n"
        "Levels of recorded crime:\n\n"
        "Victim based crime 154,608 150,153 ▼ -2.9\n\n"
        "Violent crime 91,471 84,302 ▼ -7.8\n\n"
        "Knife crime fell again this year, and the force made more arrests than in any year before.\n\n"
        "Volunteers\n\n"
        "As at 31 March 2024, the force had 187 Police\n"
        "Support Volunteers in roles across the county, from recruitment to local teams.\n\n"
        "Complemented by:\n\n"
        "• Checks by the commissioner's office\n\n"
        "• Feedback from independent custody visitors\n"
    )
    titles = {p.item_title for p in parse_text("annual-report.txt", text).passages}
    assert titles <= {"Tackling violent crime", "Levels of recorded crime:", "Volunteers"}
    assert "Volunteers" in titles and "Tackling violent crime" in titles

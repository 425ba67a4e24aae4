"""The sentence splitter: a quote is a whole sentence of the record, never cut inside a
number or after an abbreviation, whatever the record's layout."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.sentences import readable, sentence_spans, split_sentences
from search.sentences import sentences

NUMBER_RE = re.compile(r"[£$€]?\d[\d,]*(?:\.\d+)?(?:%|m|bn|k)?")

WORDS = st.sampled_from(
    ["the", "force", "reported", "calls", "answered", "rate", "for", "year", "was", "panel", "asked", "about", "officers"]
)
# Pieces that hold a full stop which does not end the sentence.
TRICKY = st.sampled_from(
    [
        "29.7%", "0.7%", "3.82%", "£2.8m", "£1.25bn", "1,600", "10.5% compared with 7.7%", "No. 5", "approx. 400",
        "e.g. Kent", "i.e. The Force", "Cllr. Hollingsbee", "A. Pughsley", "Mr J.R. Hartley", "(excl. Cannabis)",
        "para. 3.2", "c. 1,200", "Sept. 2023", "Ch. Supt. Ames", "Dr. Okafor", "vs. Sussex",
    ]
)
ENDS = st.sampled_from([".", "?", "!", ".’", ".)"])
OPENINGS = st.sampled_from(["The", "Noting", "He", "Confirming", "Kent", "101", "£3m", "Cllr Dunn", "In 2019"])


@st.composite
def sentence(draw: st.DrawFn) -> str:
    parts = [draw(OPENINGS)]
    for _ in range(draw(st.integers(2, 8))):
        parts.append(draw(st.one_of(WORDS, TRICKY)))
    return " ".join(parts) + draw(ENDS)


@st.composite
def record(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Lines of sentences, some behind a bullet or a paragraph number, and the sentences."""
    lines, expected = [], []
    for _ in range(draw(st.integers(1, 4))):
        said = draw(st.lists(sentence(), min_size=1, max_size=4))
        prefix = draw(st.sampled_from(["", "• ", "o ", "- ", "3.2 ", "1. ", "(iv) "]))
        lines.append(prefix + " ".join(said))
        first = said[0] if prefix in ("", "• ", "o ", "- ") else prefix + said[0]
        expected += [first, *said[1:]]
    return "\n".join(lines), expected


@settings(max_examples=300, deadline=None)
@given(record())
def test_split_recovers_every_sentence_whole(case: tuple[str, list[str]]) -> None:
    text, expected = case
    assert split_sentences(text) == expected


@settings(max_examples=300, deadline=None)
@given(record())
def test_no_sentence_starts_or_ends_inside_a_number(case: tuple[str, list[str]]) -> None:
    text, _ = case
    numbers = [m.span() for m in NUMBER_RE.finditer(text)]
    for start, end in sentence_spans(text):
        for a, b in numbers:
            assert not a < start < b and not a < end < b, (text[start:end], text[a:b])


def test_the_seed_records_figures_stay_whole() -> None:
    text = (
        "The CC reported 5,855 OoCRs were issued in the RY to June 2025; a 29.7% increase from the previous year "
        "(4,515). Within this, he noted CRs had increased by 54%.\n"
        "The CC reported that for the quarter it was up 0.7% (+28 offences), but he was confident.\n"
        "Confirming there was with resignations low at 3.82%, the DCO said it was positive."
    )
    assert split_sentences(text) == [
        "The CC reported 5,855 OoCRs were issued in the RY to June 2025; a 29.7% increase from the previous year (4,515).",
        "Within this, he noted CRs had increased by 54%.",
        "The CC reported that for the quarter it was up 0.7% (+28 offences), but he was confident.",
        "Confirming there was with resignations low at 3.82%, the DCO said it was positive.",
    ]


def test_a_stop_before_a_capital_still_ends_a_sentence() -> None:
    # "no." and "min." are words here, not abbreviations: the next sentence starts.
    assert split_sentences("The answer was no. The PCC agreed. It took 5 min. Then he left.") == [
        "The answer was no.", "The PCC agreed.", "It took 5 min.", "Then he left.",
    ]


def test_offsets_point_at_the_sentence_and_fragments_are_dropped() -> None:
    text = "Item 4\n• The DCC said waits were 42 weeks. Agreed."
    found = sentences(text)
    assert found == [(text.index("The DCC"), "The DCC said waits were 42 weeks.")]


def test_markup_left_by_an_export_is_not_shown() -> None:
    assert readable("August was the 22<sup>nd</sup> month in a row.") == "August was the 22nd month in a row."

"""Retrieval metrics for the Scrutiny question sets (``eval/questions.jsonl``, ``dev.jsonl``).

All functions are pure: they take ranked results and gold passages as plain data.

A *result* is a mapping with at least ``text`` and, for attribution, ``meeting_date``
(ISO ``YYYY-MM-DD`` or None), ``date_inferred`` (bool), ``speakers`` (a list of
``{"role", "name"}``) and ``source`` (the corpus file it came from).

A *gold passage* is one entry of a question's ``relevant`` list: ``file`` (the seed
file's original name), ``quote``, ``meeting_date``, ``speaker`` and ``grade`` (2 answers
directly, 1 partly).

Matching rule: a result matches a gold passage when its text contains the quote after
:func:`normalise`. When the result names its ``source`` and a manifest mapping is given,
the source must also be the gold file, so a sentence repeated in another document is
not credited. Each gold quote counts once, at the rank of the first result that
contains it; one result may match several quotes.

Negative questions (``relevant: []``) have no gold passages: nDCG, recall and MRR are
undefined for them (the functions return None) and callers leave them out of averages,
reporting them separately (see :func:`abstained`).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Result = Mapping[str, Any]
Gold = Mapping[str, Any]

# Curly and other typographic quotes fold to their ASCII forms; every dash-like
# character folds to "-". Nothing else is removed (markup such as <sup> stays), so a
# quote must be copied from the record as it stands.
_FOLD = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote / apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
    }
)
_SPACE = re.compile(r"\s+")

# Roles that name the same office. Panel minutes call the PCC "the Commissioner";
# minutes of other years say "Chairman" where these say "Chair".
_ROLE_ALIASES = {
    "commissioner": "pcc",
    "police and crime commissioner": "pcc",
    "the commissioner": "pcc",
    "chairman": "chair",
    "chairwoman": "chair",
    "vice chairman": "vice chair",
    "vice chairwoman": "vice chair",
    "chief constable": "cc",
    "deputy chief constable": "dcc",
    "deputy chief officer": "dco",
    "chief executive": "ce",
    "chief finance officer": "cfo",
}


def normalise(text: str) -> str:
    """Fold case, typographic quotes and dashes, and collapse white space."""
    folded = text.translate(_FOLD).casefold()
    return _SPACE.sub(" ", folded).strip()


def is_relevant(result_text: str, quote: str) -> bool:
    """True when ``result_text`` contains ``quote`` after normalisation."""
    needle = normalise(quote)
    return bool(needle) and needle in normalise(result_text)


def canonical_role(role: str | None) -> str | None:
    """A role name folded so that equivalent titles compare equal ("Commissioner" == "PCC")."""
    if role is None:
        return None
    key = _SPACE.sub(" ", role.replace("-", " ").replace("_", " ")).strip().casefold()
    if not key:
        return None
    return _ROLE_ALIASES.get(key, key)


def load_manifest(path: str | Path) -> dict[str, str]:
    """Map each corpus file name in ``manifest.csv`` to its seed file's original name."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["file"]: row["original_name"] for row in csv.DictReader(handle)}


def original_name(source: str, manifest: Mapping[str, str]) -> str:
    """The original seed name for a result's ``source`` (a corpus name, a path, or already original)."""
    base = Path(source).name
    return manifest.get(base, base)


def _source_ok(result: Result, gold: Gold, manifest: Mapping[str, str] | None) -> bool:
    source = result.get("source")
    if manifest is None or not source:
        return True
    return original_name(str(source), manifest) == gold["file"]


def first_match_ranks(
    results: Sequence[Result],
    relevant: Sequence[Gold],
    k: int = 10,
    manifest: Mapping[str, str] | None = None,
) -> list[int | None]:
    """For each gold passage, the 1-based rank of the first top-``k`` result containing it, or None."""
    ranks: list[int | None] = []
    normalised_texts = [normalise(str(r.get("text", ""))) for r in results[:k]]
    for gold in relevant:
        needle = normalise(gold["quote"])
        found = None
        for rank, (result, text) in enumerate(zip(results[:k], normalised_texts), start=1):
            if needle and needle in text and _source_ok(result, gold, manifest):
                found = rank
                break
        ranks.append(found)
    return ranks


def ndcg_at_k(
    results: Sequence[Result],
    relevant: Sequence[Gold],
    k: int = 10,
    manifest: Mapping[str, str] | None = None,
) -> float | None:
    """Graded nDCG@k with the grade as gain; None for a question without gold passages.

    Each gold passage found in the top ``k`` earns ``grade / log2(position + 1)``, where
    its position is the rank of the first result containing it. The ideal DCG places
    every gold passage, best grade first, at positions 1..k.

    One result may contain several gold quotes. So that such a result cannot score
    better than the ideal ranking, the found passages are ordered by (rank, best grade
    first) and the j-th is discounted at position ``max(rank, j)``, dropped past ``k``:
    three quotes in the first result count as if returned at ranks 1, 2 and 3. When every
    result holds at most one gold quote this is ordinary graded nDCG; it never exceeds 1.
    """
    if not relevant:
        return None
    ranks = first_match_ranks(results, relevant, k, manifest)
    found = sorted((rank, -float(gold["grade"])) for gold, rank in zip(relevant, ranks) if rank is not None)
    positions = [(max(rank, j), -neg_grade) for j, (rank, neg_grade) in enumerate(found, start=1)]
    dcg = sum(grade / math.log2(position + 1) for position, grade in positions if position <= k)
    ideal_grades = sorted((float(g["grade"]) for g in relevant), reverse=True)[:k]
    idcg = sum(grade / math.log2(i + 2) for i, grade in enumerate(ideal_grades))
    if idcg <= 0:
        return None
    return dcg / idcg


def recall_at_k(
    results: Sequence[Result],
    relevant: Sequence[Gold],
    k: int = 10,
    manifest: Mapping[str, str] | None = None,
) -> float | None:
    """Share of gold quotes contained in some top-``k`` result; None without gold passages."""
    if not relevant:
        return None
    ranks = first_match_ranks(results, relevant, k, manifest)
    return sum(rank is not None for rank in ranks) / len(relevant)


def mrr_at_k(
    results: Sequence[Result],
    relevant: Sequence[Gold],
    k: int = 10,
    manifest: Mapping[str, str] | None = None,
) -> float | None:
    """Reciprocal rank of the first top-``k`` result matching any gold quote (0 if none); None without gold."""
    if not relevant:
        return None
    ranks = [rank for rank in first_match_ranks(results, relevant, k, manifest) if rank is not None]
    return 1.0 / min(ranks) if ranks else 0.0


def _date_ok(result: Result, gold: Gold) -> bool:
    gold_date = gold.get("meeting_date")
    result_date = result.get("meeting_date")
    if gold_date is None:
        # The record states no date: the result may leave it empty or offer an
        # inferred date, but must not present a date as stated by the record.
        return result_date is None or bool(result.get("date_inferred"))
    return result_date is not None and str(result_date)[:10] == str(gold_date)[:10]


def _speaker_ok(result: Result, gold: Gold) -> bool:
    roles = {canonical_role(s.get("role")) for s in (result.get("speakers") or [])}
    roles.discard(None)
    gold_role = canonical_role(gold.get("speaker"))
    if gold_role is None:
        return not roles
    return gold_role in roles


def attribution_accuracy(
    results: Sequence[Result],
    relevant: Sequence[Gold],
    k: int = 10,
    manifest: Mapping[str, str] | None = None,
) -> float | None:
    """Share of gold quotes found in the top ``k`` whose first matching result is correctly attributed.

    Correct means both the meeting date and the speaker are right:

    * date: equal to the gold ``meeting_date``; where the gold date is null, the result's
      date must be null or marked ``date_inferred``;
    * speaker: the gold role is among the result's speaker roles ("Commissioner" counts
      as "PCC", "Chairman" as "Chair", "Vice Chairman" as "Vice Chair"); where the gold
      speaker is null, the result must name no speakers.

    None when no gold quote is found (nothing to judge).
    """
    ranks = first_match_ranks(results, relevant, k, manifest)
    judged = [
        (_date_ok(results[rank - 1], gold) and _speaker_ok(results[rank - 1], gold))
        for gold, rank in zip(relevant, ranks)
        if rank is not None
    ]
    if not judged:
        return None
    return sum(judged) / len(judged)


def abstained(results: Sequence[Result]) -> bool:
    """True when a system returned nothing, the right behaviour for a negative question."""
    return len(results) == 0


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the defined values; None when none is defined."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None

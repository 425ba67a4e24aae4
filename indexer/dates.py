"""Dates as governance papers write them: "Wednesday 25 September 2019, 1000hrs",
"Tuesday, 27 June 2023", "WEDNESDAY 28TH JULY, 2021", "17 October 2023", "11/12/2024"
and "11.12.2024" (UK day-first), and a date carried inside a reference number ("Ref/02/14/03/2025").

Which of a document's dates is the date of *its* meeting is decided in documents.py;
this module only reads dates and completes a day and month that lack a year."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date

from indexer.vocabulary import MONTH_PATTERN, MONTHS

_MONTH = MONTH_PATTERN
_ORDINAL = r"(?:st|nd|rd|th)?"

DAY_MONTH_YEAR_RE = re.compile(
    rf"\b(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{_MONTH})[,\s]+(?P<year>(?:19|20)\d\d)\b", re.I
)
MONTH_DAY_YEAR_RE = re.compile(
    rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>(?:19|20)\d\d)\b", re.I
)
# A date in a reference number: "Ref/02/14/03/2025" is item 2 of the meeting of 14 March 2025.
REFERENCE_RE = re.compile(
    r"\b[A-Za-z]{1,12}/\d{1,3}/(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>(?:19|20)\d\d)\b"
)
NUMERIC_RE = re.compile(r"(?<![\d/])(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>(?:19|20)?\d\d)\b(?!/)")
# "11.12.2023": day-first with dots, only with a four-digit year ("10.30" is a time, "4.12" a
# paragraph), and not a version or reference number ("version 2.1.2019", "v2.1.2019").
_NOT_DOTTED_DATE_AFTER = r"(?<!\b[vV])(?<!\b[vV]\.)(?<!\b[vV] )(?<!\b[vV]\. )(?<!(?i:version) )(?<!(?i:release) )(?<!(?i:ref) )(?<!(?i:ref)\. )"
DOTTED_RE = re.compile(_NOT_DOTTED_DATE_AFTER + r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d\d)\b(?!\.\d)")
ISO_RE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")
MONTH_YEAR_RE = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<year>(?:19|20)\d\d)\b", re.I)
DAY_MONTH_RE = re.compile(rf"\b(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{_MONTH})(?![\w])(?![,\s]+(?:19|20)\d\d)", re.I)
# "Tuesday 15 September": a weekday makes a day and month without a year a date worth reading.
YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")

# Tried in this order; an earlier pattern's match wins over an overlapping later one.
FULL_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (DAY_MONTH_YEAR_RE, MONTH_DAY_YEAR_RE, REFERENCE_RE, ISO_RE, NUMERIC_RE, DOTTED_RE)


def _month_number(month: str) -> int:
    return int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]


def _make(year: str | int, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:
        y += 2000
    try:
        return date(y, _month_number(month), int(day))
    except (ValueError, KeyError):
        return None


def find_dates(text: str) -> list[tuple[date, int, int]]:
    """Every full date in the text with its span, in order of appearance."""
    found: list[tuple[date, int, int]] = []
    taken: list[tuple[int, int]] = []
    text = " ".join(text.split("\n")) if "\n" in text else text
    for pattern in FULL_DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            d = _make(m.group("year"), m.group("month"), m.group("day"))
            if d:
                found.append((d, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda t: t[1])


def first_date(text: str) -> date | None:
    dates = find_dates(text)
    return dates[0][0] if dates else None


def reference_date(text: str) -> date | None:
    """The date inside a reference number ("Ref/04/14/03/2025"), if any."""
    m = REFERENCE_RE.search(text)
    return _make(m.group("year"), m.group("month"), m.group("day")) if m else None


def day_and_month(text: str) -> tuple[int, int] | None:
    """A day and month written without a year ("Tuesday 15 September"), if no full date is there."""
    if find_dates(text):
        return None
    m = DAY_MONTH_RE.search(text)
    if not m:
        return None
    day, month = int(m.group("day")), _month_number(m.group("month"))
    return (day, month) if 1 <= day <= calendar.monthrange(2000, month)[1] else None


def years_in(text: str) -> list[int]:
    """Four-digit years written in `text` (a file name, a heading), in order."""
    return [int(y) for y in YEAR_RE.findall(text)]


def complete_year(day: int, month: int, evidence: Iterable[Iterable[int]]) -> date | None:
    """A day and month made a date with the year the evidence agrees on, or None.

    `evidence` is tried source by source (file name, manifest, the record's other dates);
    the first source that names exactly one year decides. A source naming several years
    proves nothing, and a date that does not exist in that year is no date."""
    for years in evidence:
        distinct = set(years)
        if len(distinct) == 1:
            try:
                return date(distinct.pop(), month, day)
            except ValueError:
                return None
    return None


def month_range(text: str) -> tuple[date, date] | None:
    """A month named without a day ("Future Work Programme – October 2023")."""
    m = MONTH_YEAR_RE.search(text)
    if not m:
        return None
    year, month = int(m.group("year")), MONTHS[m.group("month").lower().rstrip(".")]
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])

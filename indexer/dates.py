"""Dates as governance papers write them: "Wednesday 25 September 2019, 1000hrs",
"Tuesday, 27 June 2023", "17 October 2023", "11/12/2024" (UK day-first)."""

from __future__ import annotations

import calendar
import re
from datetime import date

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"

DAY_MONTH_YEAR_RE = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})[,\s]+(?P<year>(?:19|20)\d\d)\b", re.I
)
MONTH_DAY_YEAR_RE = re.compile(
    rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I
)
NUMERIC_RE = re.compile(r"\b(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>(?:19|20)?\d\d)\b")
ISO_RE = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")
MONTH_YEAR_RE = re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<year>(?:19|20)\d\d)\b", re.I)
DAY_MONTH_RE = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\b", re.I)


def _make(year: str, month: str, day: str) -> date | None:
    y = int(year)
    if y < 100:
        y += 2000
    m = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
    try:
        return date(y, m, int(day))
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[date, int, int]]:
    """Every full date in the text with its span, in order of appearance."""
    found: list[tuple[date, int, int]] = []
    taken: list[tuple[int, int]] = []
    text = " ".join(text.split("\n")) if "\n" in text else text
    for pattern in (DAY_MONTH_YEAR_RE, MONTH_DAY_YEAR_RE, ISO_RE, NUMERIC_RE):
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


def month_range(text: str) -> tuple[date, date] | None:
    """A month named without a day ("Future Work Programme – October 2023")."""
    m = MONTH_YEAR_RE.search(text)
    if not m:
        return None
    year, month = int(m.group("year")), MONTHS[m.group("month").lower().rstrip(".")]
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])

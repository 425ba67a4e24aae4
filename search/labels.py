"""How a meeting's date is shown to a reader, the same in answers, the ledger and the brief."""

from __future__ import annotations

from datetime import date, timedelta


def meeting_label(day: date | None, date_range: tuple[date, date] | None, inferred: bool) -> str:
    """A meeting's date as a reader should see it: "7 June 2023", or for an undated
    meeting what is known — "undated; between 12 June and 11 December 2024" (the
    meetings either side)."""
    if inferred and date_range and date_range[0] != date_range[1]:
        after, before = date_range[0] - timedelta(days=1), date_range[1] + timedelta(days=1)
        first = f"{after.day} {after:%B}" + ("" if after.year == before.year else f" {after.year}")
        return f"undated; between {first} and {before.day} {before:%B %Y}"
    if day is None:
        return "undated"
    return f"{day.day} {day:%B %Y}"

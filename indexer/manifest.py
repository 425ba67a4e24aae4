"""The corpus manifest: what only the publisher knows about each file.

`corpus/manifest.csv` has one row per file: file, original_name, publisher, body,
document_type, source_url, date, and optionally area (the police area, "Sussex"). Dates come from the text; the manifest's date is used
only for a file whose text states none and gives nothing to infer one from.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from indexer.errors import ManifestError
from indexer.parse import ManifestRow

MANIFEST_NAMES = ("manifest.csv",)
REQUIRED = ("file",)


def find_manifest(paths: list[Path]) -> Path | None:
    for path in paths:
        folder = path if path.is_dir() else path.parent
        for name in MANIFEST_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """Rows keyed by file name. A malformed row raises ManifestError naming row and field."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
            if missing:
                raise ManifestError(f"{path}: no '{missing[0]}' column (expected: file, body, document_type, source_url, date, and optionally area)")
            rows: dict[str, dict[str, str]] = {}
            for n, row in enumerate(reader, start=2):
                name = (row.get("file") or "").strip()
                if not name:
                    raise ManifestError(f"{path}, row {n}: the 'file' field is empty")
                clean = {k: (v or "").strip() for k, v in row.items() if k}
                if clean.get("date"):
                    try:
                        date.fromisoformat(clean["date"])
                    except ValueError:
                        raise ManifestError(
                            f"{path}, row {n}: the 'date' field {clean['date']!r} is not a date (use YYYY-MM-DD)"
                        ) from None
                rows[name] = clean
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc})") from exc


def manifest_row(row: dict[str, str] | None) -> ManifestRow:
    row = row or {}
    return ManifestRow(
        body=row.get("body") or None,
        document_type=row.get("document_type") or None,
        source_url=row.get("source_url") or None,
        date=date.fromisoformat(row["date"]) if row.get("date") else None,
        area=row.get("area") or None,
    )

"""The corpus manifest: what only the publisher knows about each file.

`corpus/manifest.csv` has one row per file: file, original_name, publisher, body,
document_type, source_url, date (and, optionally, area: the police area, "Sussex").
`scrutiny fetch` adds rows with `upsert_rows`. Dates come from the text; the manifest's date is used
only for a file whose text states none and gives nothing to infer one from.
"""

from __future__ import annotations

import csv
import os
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


# The columns a written manifest starts with; columns already in a manifest keep their
# order and any others (added by hand or by later versions) are kept after them.
COLUMNS = ("file", "original_name", "publisher", "body", "area", "document_type", "source_url", "date")


def upsert_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Add or replace rows (keyed by 'file') in the manifest at `path`, atomically.

    Rows already there for other files are kept as they are; a new optional column is
    added at the end. The file is written beside the target and swapped in, so an
    interrupted write leaves the old manifest.
    """
    existing = read_manifest(path) if path.is_file() else {}
    columns = _header(path) if path.is_file() else list(COLUMNS)
    for row in rows:
        columns += [c for c in row if c not in columns]
        existing[row["file"]] = {**existing.get(row["file"], {}), **{k: v or "" for k, v in row.items()}}
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in existing.values():
                writer.writerow({c: row.get(c, "") for c in columns})
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ManifestError(f"{path}: cannot write the manifest ({exc})") from exc


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [c for c in (next(csv.reader(handle), None) or []) if c] or list(COLUMNS)

"""Golden files for the parser: each small document in tests/gallery/, written for these
tests in one publisher's layout, is parsed from its text alone (no manifest row) and what
was read — documents, kinds, bodies, areas, dates, rosters, agenda items and who speaks —
is compared with `<name>.golden.json` beside it.

After a deliberate change to the parser, rewrite the golden files and review the diff:

    SCRUTINY_UPDATE_GOLDEN=1 python -m pytest tests/test_gallery.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from indexer.parse import parse_file
from indexer.read import SUPPORTED_SUFFIXES, read_file
from indexer.records import ParsedFile, Speaker

GALLERY = Path(__file__).resolve().parent / "gallery"
UPDATE = os.environ.get("SCRUTINY_UPDATE_GOLDEN") == "1"


def gallery_documents() -> list[Path]:
    return sorted(p for p in GALLERY.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)


def _speaker(s: Speaker) -> str:
    return " ".join(part for part in (s.role, s.name and f"({s.name})") if part) or s.as_named


def snapshot(parsed: ParsedFile) -> dict[str, Any]:
    """What a reader of the records would check, as plain JSON (stable across runs)."""
    documents = []
    for doc in parsed.documents:
        documents.append({
            "kind": str(doc.kind),
            "title": doc.title,
            "body": doc.body,
            "area": doc.area,
            "date": doc.date.isoformat() if doc.date else None,
            "date_range": [d.isoformat() for d in doc.date_range] if doc.date_range else None,
            "date_inferred": doc.date_inferred,
            "attendees": [
                {"name": a.name, "role": a.role, "status": a.status} for a in doc.attendees
            ],
            "items": [f"{i.number or '-'} {i.title}" for i in doc.items],
        })
    speakers = [
        {"text": p.text[:70], "speakers": [_speaker(s) for s in p.speakers]}
        for p in parsed.paragraphs
        if p.speakers
    ]
    actions = [
        {"kind": a.kind, "owner": a.owner, "due": a.due.isoformat() if a.due else None, "text": a.text[:70]}
        for a in parsed.actions
    ]
    return {"documents": documents, "speakers": speakers, "actions": actions}


@pytest.mark.parametrize("path", gallery_documents(), ids=lambda p: p.name)
def test_gallery_document_reads_as_its_golden_file(path: Path) -> None:
    got = snapshot(parse_file(read_file(path)))
    golden = path.with_name(path.name + ".golden.json")
    if UPDATE:
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"{golden.name} missing: run with SCRUTINY_UPDATE_GOLDEN=1 and review it"
    assert got == json.loads(golden.read_text(encoding="utf-8"))

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


def test_gallery_has_a_document_in_each_layout() -> None:
    suffixes = {p.suffix for p in gallery_documents()}
    assert {".html", ".txt", ".md"} <= suffixes and len(gallery_documents()) >= 8


@pytest.mark.parametrize("name", ["dyfed-powys-panel-minutes.txt", "surrey-accountability-board-notes.txt"])
def test_a_pdf_made_from_a_gallery_document_reads_as_the_same_golden_file(name: str, tmp_path: Path) -> None:
    from fpdf import FPDF

    source = GALLERY / name
    fonts = sorted(Path("/usr/share/fonts").glob("**/DejaVuSans.ttf"))
    pdf = FPDF()
    pdf.add_page()
    if fonts:
        pdf.add_font("DejaVu", fname=str(fonts[0]))
        pdf.set_font("DejaVu", size=9)
    else:
        pdf.set_font("Helvetica", size=9)
    text = source.read_text(encoding="utf-8")
    if not fonts:  # the core font is latin-1: the dash becomes a hyphen, as a PDF would show it
        text = text.replace("–", "-")
    for line in text.split("\n"):
        # Long paragraphs wrap at the page width, as in any real PDF.
        pdf.multi_cell(0, 4.5, line.strip() or " ", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / source.with_suffix(".pdf").name
    pdf.output(str(path))
    golden = json.loads(source.with_name(name + ".golden.json").read_text(encoding="utf-8"))
    got = snapshot(parse_file(read_file(path)))
    if not fonts:
        golden = json.loads(json.dumps(golden).replace("\\u2013", "-"))
    assert got == golden

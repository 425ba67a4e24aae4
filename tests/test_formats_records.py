"""A DOCX or PDF made from a document gives the same records as its text: documents,
dates, rosters, agenda items, who speaks in each paragraph, and actions."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from indexer.parse import ACTION_TABLE_TITLE, parse_file
from indexer.read import read_file
from indexer.records import ParsedFile

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
WORD_EXPORT = CORPUS / "performance-delivery-board_2023-09-13_notes.txt"
BULLET = "· "


def _records(parsed: ParsedFile) -> dict[str, object]:
    """Everything but character offsets, which differ between formats by design."""
    def norm(text: str) -> str:
        return " ".join(text.split())

    return {
        "documents": [
            (d.kind, d.body, d.title, d.date, d.date_range, [(a.name, a.role, a.status) for a in d.attendees],
             [(i.number, i.title) for i in d.items])
            for d in parsed.documents
        ],
        # The closing action table is compared through the actions read from it: its cells
        # are one line each in a Word export and one wrapped row in a PDF.
        "paragraphs": [
            (norm(p.text), p.item_number, p.section, [(s.role, s.name) for s in p.speakers])
            for p in parsed.paragraphs if p.item_title != ACTION_TABLE_TITLE
        ],
        "actions": [(a.kind, norm(a.text), a.owner, a.due, a.status) for a in parsed.actions],
    }


UNICODE_FONTS = sorted(Path("/usr/share/fonts").glob("**/DejaVuSans.ttf"))
# Without a Unicode font the PDF is written in a latin-1 core font, so every format gets
# the same ASCII look-alikes of curly quotes and dashes.
LATIN1 = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _lines() -> list[str]:
    # The export's trailing letterhead (logo residue) is not part of the notes.
    text = WORD_EXPORT.read_text(encoding="utf-8")
    if not UNICODE_FONTS:
        text = text.translate(LATIN1)
    return text[: text.index("Date of next Performance and Delivery Board")].split("\n") + [
        "Date of next Performance and Delivery Board: 29 November 2023"
    ]


def _assert_same(records: dict[str, object], expected: dict[str, object]) -> None:
    assert records["documents"] == expected["documents"]
    assert records["paragraphs"] == expected["paragraphs"]
    assert records["actions"] == expected["actions"]


@pytest.fixture(scope="module")
def from_text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("text") / "notes.txt"
    path.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    return _records(parse_file(read_file(path)))


def test_docx_gives_the_same_records_as_the_text(from_text, tmp_path):
    document = docx.Document()
    for line in _lines():
        if line.startswith(BULLET):
            document.add_paragraph(line[len(BULLET):], style="List Bullet")
        else:
            document.add_paragraph(line.strip())
    path = tmp_path / "notes.docx"
    document.save(str(path))
    _assert_same(_records(parse_file(read_file(path))), from_text)


def test_pdf_gives_the_same_records_as_the_text(from_text, tmp_path):
    pdf = FPDF()
    pdf.add_page()
    if UNICODE_FONTS:
        pdf.add_font("DejaVu", fname=str(UNICODE_FONTS[0]))
        pdf.set_font("DejaVu", size=9)
    else:
        pdf.set_font("Helvetica", size=9)
    bullet = "• " if UNICODE_FONTS else BULLET
    for line in _lines():
        text = bullet + line[len(BULLET):] if line.startswith(BULLET) else line.strip()
        # Long paragraphs wrap at the page width, as in any real PDF.
        pdf.multi_cell(0, 4.5, text or " ", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "notes.pdf"
    pdf.output(str(path))
    _assert_same(_records(parse_file(read_file(path))), from_text)

"""indexer.read: seed documents read unchanged, generated PDF/DOCX/HTML files read to the
same lines as the text they were made from, and every kind of bad input gives one clear
ReadError naming the file."""

from __future__ import annotations

import hashlib
import html
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from indexer import read
from indexer.errors import ReadError, ScrutinyError
from indexer.read import SUPPORTED_SUFFIXES, ExtractedText, corpus_files, file_sha256, read_file

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEED = CORPUS / "performance-delivery-board_2023-09-13_notes.txt"
SEED_TEXTS = sorted(p for p in CORPUS.iterdir() if p.suffix in {".txt", ".md"})
# The seed's title block, roster and first agenda item: tab-indented labels, "·" bullets,
# blank lines, curly apostrophes and dashes.
SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")[:34]
SEED_BULLET = "· "


def _same_lines(text: str, *, keep_blank: bool = False) -> list[str]:
    """Lines modulo white space, the comparison the format-equivalence principle promises."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return lines if keep_blank else [line for line in lines if line]


def _as_exported(lines: list[str]) -> str:
    """The seed lines as a Word/HTML export writes them: "•" for each bullet glyph."""
    return "\n".join("• " + line[len(SEED_BULLET) :] if line.startswith(SEED_BULLET) else line for line in lines)


def _read_error(path: Path, **kwargs: object) -> str:
    with pytest.raises(ReadError) as caught:
        read_file(path, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def _pdf(path: Path, lines: list[str], *, page_break_after: int | None = None) -> list[str]:
    """Write `lines` one per line with fpdf2; returns the lines as actually written.

    DejaVu Sans when the machine has it (full Unicode); otherwise a core font, which is
    latin-1 only, so curly quotes and dashes are written as their ASCII look-alikes.
    """
    pdf = FPDF()
    pdf.add_page()
    fonts = sorted(Path("/usr/share/fonts").glob("**/DejaVuSans.ttf"))
    if fonts:
        pdf.add_font("DejaVu", fname=str(fonts[0]))
        pdf.set_font("DejaVu", size=9)
    else:
        pdf.set_font("Helvetica", size=9)
        ascii_punct = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "•": "·"})
        lines = [line.translate(ascii_punct) for line in lines]
    for number, line in enumerate(lines):
        if page_break_after is not None and number == page_break_after:
            pdf.add_page()
        line = line.strip()  # a PDF has no tab stops; indentation is position, not text
        assert pdf.get_string_width(line) < pdf.epw, f"sample line would wrap: {line!r}"
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return lines


# -- text and Markdown -----------------------------------------------------------------


@pytest.mark.parametrize("path", SEED_TEXTS, ids=lambda p: p.name)
def test_seed_documents_read_unchanged(path: Path) -> None:
    raw = path.read_bytes()
    got = read_file(path)
    assert got.text == raw.decode("utf-8")
    assert got.source == path.name and got.path == path
    assert got.format == ("markdown" if path.suffix == ".md" else "text")
    assert got.encoding == "utf-8"
    assert got.sha256 == hashlib.sha256(raw).hexdigest() == file_sha256(path)


def test_only_line_endings_change_and_layout_survives(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(
        "\tTitle:\r\n\tBoard\r\n\r\n• one\r· two\r\n\uf0b7 three\r\n➢ four\r\no five \r\n\fPage 2\r\n".encode("utf-8")
    )
    got = read_file(path)
    assert got.text == "\tTitle:\n\tBoard\n\n• one\n· two\n\uf0b7 three\n➢ four\no five \n\fPage 2\n"


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes(b"\xef\xbb\xbf# Minutes\n")
    got = read_file(path)
    assert (got.text, got.encoding, got.format) == ("# Minutes\n", "utf-8", "markdown")


def test_cp1252_text_falls_back_from_utf8(tmp_path: Path) -> None:
    text = "The PCC’s budget rose by £2.1m – “agreed”.\r\n"
    path = tmp_path / "windows.txt"
    path.write_bytes(text.encode("cp1252"))
    got = read_file(path)
    assert got.text == "The PCC’s budget rose by £2.1m – “agreed”.\n"
    assert got.encoding == "cp1252"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(b"Caf\xe9 \x81 menu\n")  # 0x81 has no cp1252 character
    got = read_file(path)
    assert (got.text, got.encoding) == ("Café \x81 menu\n", "latin-1")


def test_utf16_with_bom_is_text_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "notepad-unicode.txt"
    path.write_bytes("Apologies\r\nChief Constable\r\n".encode("utf-16"))
    got = read_file(path)
    assert (got.text, got.encoding) == ("Apologies\nChief Constable\n", "utf-16")


_printable = st.characters(blacklist_categories=("Cc", "Cs"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(_printable, max_size=30), min_size=1, max_size=8), st.sampled_from(["\n", "\r\n", "\r"]))
def test_any_utf8_text_round_trips_up_to_line_endings(lines: list[str], newline: str) -> None:
    text = "\t".join(lines)  # tabs too: they carry layout
    if not text.strip():
        return  # whitespace-only files are refused, tested below
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.txt"
        path.write_bytes(newline.join([text, text]).encode("utf-8"))
        assert read_file(path).text == text + "\n" + text


# -- PDF ---------------------------------------------------------------------------------


def test_pdf_gives_the_same_lines_as_the_text(tmp_path: Path) -> None:
    source = [line for line in SEED_LINES if line.strip()]
    path = tmp_path / "notes.pdf"
    written = _pdf(path, source, page_break_after=len(source) // 2)
    got = read_file(path)
    assert got.format == "pdf" and got.encoding is None
    assert got.sha256 == file_sha256(path)
    assert _same_lines(got.text) == _same_lines("\n".join(written))
    assert "PCC’s Chief Finance Officer" in got.text or "PCC's Chief Finance Officer" in got.text


def test_pdf_pages_are_joined_with_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "two-pages.pdf"
    _pdf(path, ["end of page one", "start of page two"], page_break_after=1)
    assert read_file(path).text == "end of page one\nstart of page two"


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(7).randbytes(4000))
    assert "corrupt PDF" in _read_error(path)


def test_truncated_pdf(tmp_path: Path) -> None:
    whole = tmp_path / "whole.pdf"
    _pdf(whole, ["Performance and Delivery Board"])
    path = tmp_path / "truncated.pdf"
    path.write_bytes(whole.read_bytes()[:300])
    assert "corrupt PDF" in _read_error(path)


def test_pdf_suffix_without_pdf_header(tmp_path: Path) -> None:
    path = tmp_path / "misnamed.pdf"
    path.write_text("just some notes", encoding="utf-8")
    assert "corrupt PDF: no %PDF header" in _read_error(path)


def test_encrypted_pdf_with_a_password(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    _pdf(plain, ["Restricted briefing"])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    assert "encrypted PDF: it needs a password" in _read_error(path)


def test_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    _pdf(plain, ["Public briefing"])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "no-edit.pdf"
    writer.write(path)
    assert read_file(path).text == "Public briefing"


def test_pdf_without_a_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # what a scan without OCR looks like to us
    path = tmp_path / "scan.pdf"
    writer.write(path)
    assert "no text layer (scanned?)" in _read_error(path)


def test_pdf_extraction_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    _pdf(path, ["Performance and Delivery Board"])
    assert "PDF text extraction took longer than 0.001 s" in _read_error(path, pdf_timeout_s=0.001)
    assert read_file(path).text == "Performance and Delivery Board"


def test_a_hanging_pdf_worker_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notes.pdf"
    _pdf(path, ["Performance and Delivery Board"])
    marker = tmp_path / "still-running"
    # A worker that really hangs; if it were not killed it would create the marker later.
    hang = f"import time, pathlib; time.sleep(1.5); pathlib.Path({str(marker)!r}).touch()"
    monkeypatch.setattr(read, "_pdf_worker_command", lambda: [sys.executable, "-c", hang])
    started = time.monotonic()
    assert "took longer than 0.3 s" in _read_error(path, pdf_timeout_s=0.3)
    assert time.monotonic() - started < 1.4
    monkeypatch.undo()
    assert read_file(path).text == "Performance and Delivery Board"
    time.sleep(max(0.0, 2.0 - (time.monotonic() - started)))
    assert not marker.exists()


def test_a_crashing_pdf_worker_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notes.pdf"
    _pdf(path, ["Performance and Delivery Board"])
    crash = "import sys; sys.stderr.write('MemoryError\\n'); sys.exit(3)"
    monkeypatch.setattr(read, "_pdf_worker_command", lambda: [sys.executable, "-c", crash])
    assert "PDF text extraction crashed (exit code 3: MemoryError)" in _read_error(path)


# -- Word ---------------------------------------------------------------------------------


def test_docx_gives_the_same_lines_as_the_text(tmp_path: Path) -> None:
    document = docx.Document()
    for line in SEED_LINES:
        if line.startswith(SEED_BULLET):
            document.add_paragraph(line[len(SEED_BULLET) :], style="List Bullet")
        else:
            document.add_paragraph(line.strip())  # blank lines become empty paragraphs
    path = tmp_path / "notes.docx"
    document.save(str(path))
    got = read_file(path)
    assert got.format == "docx" and got.encoding is None
    # Blank lines included: empty paragraphs keep the layout the parser reads.
    assert _same_lines(got.text, keep_blank=True) == _same_lines(_as_exported(SEED_LINES), keep_blank=True)


def test_docx_structure_in_document_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Meeting Notes", style="Title")
    document.add_paragraph("Date:\tWednesday 13 September 2023")
    document.add_heading("3. Review of Terms of Reference", level=2)
    document.add_paragraph("Agreed without change.", style="List Bullet")
    document.add_paragraph("Second point.", style="List Number")
    numbered = document.add_paragraph("Numbered by direct formatting")
    num_pr = numbered._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = 1
    unnumbered = document.add_paragraph("Numbering switched off")
    unnumbered._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = 0
    document.add_paragraph("")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["Action", "Owner", "Due"], ["Report on rural crime", "CC", "29 Nov"], ["", "", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("4. Any Other Business", level=1)
    path = tmp_path / "structure.docx"
    document.save(str(path))
    assert read_file(path).text == "\n".join(
        [
            "# Meeting Notes",
            "Date:\tWednesday 13 September 2023",
            "## 3. Review of Terms of Reference",
            "• Agreed without change.",
            "• Second point.",
            "• Numbered by direct formatting",
            "Numbering switched off",
            "",
            "Action\tOwner\tDue",
            "Report on rural crime\tCC\t29 Nov",
            "",
            "# 4. Any Other Business",
        ]
    )


def test_docx_vertically_merged_cell_is_not_repeated(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 1).text = "CC"
    table.cell(1, 1).text = "PCC"
    table.cell(0, 0).merge(table.cell(1, 0)).text = "Owners"
    path = tmp_path / "merged.docx"
    document.save(str(path))
    assert read_file(path).text == "Owners\tCC\n\tPCC"


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04" + random.Random(3).randbytes(500))
    assert "corrupt Word file" in _read_error(path)


def test_password_protected_docx(tmp_path: Path) -> None:
    path = tmp_path / "locked.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))  # an OLE container
    assert "password-protected or old-format (.doc) Word file" in _read_error(path)


def test_docx_without_text(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("")
    path = tmp_path / "blank.docx"
    document.save(str(path))
    assert "empty file" in _read_error(path)


# -- HTML ---------------------------------------------------------------------------------


def test_html_gives_the_same_lines_as_the_text(tmp_path: Path) -> None:
    body, bullets = [], []
    for line in SEED_LINES + [""]:
        if line.startswith(SEED_BULLET):
            bullets.append(f"  <li>{html.escape(line[len(SEED_BULLET) :])}</li>")
            continue
        if bullets:
            body.append("<ul>\n" + "\n".join(bullets) + "\n</ul>")
            bullets = []
        if line.strip():
            # Source formatting a browser ignores: entities, nbsp, a wrapped line, inline tags.
            escaped = html.escape(line.strip()).replace("’", "&rsquo;").replace(" ", "&nbsp;", 1)
            body.append(f"<p>\n    {escaped.replace('PCC', '<abbr>PCC</abbr>')}\n</p>")
    page = (
        "<!DOCTYPE html><html><head><title>Not body text</title>"
        "<style>p { margin: 0 }</style><script>var notText = 1;</script></head>\n<body>\n"
        + "\n".join(body)
        + "\n<noscript>Enable JavaScript</noscript><!-- a comment --></body></html>"
    )
    path = tmp_path / "notes.html"
    path.write_text(page, encoding="utf-8")
    got = read_file(path)
    assert got.format == "html"
    assert _same_lines(got.text) == _same_lines(_as_exported(SEED_LINES))
    for hidden in ("Not body text", "notText", "margin", "Enable JavaScript", "a comment"):
        assert hidden not in got.text


def test_html_structure(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        """<html><body>
        <h1>Police   and Crime <em>Panel</em></h1>
        <p>Date &amp; time:<br>Tuesday&nbsp;17 October 2023</p>
        <div>Held at <b>Sessions</b> House</div><div><div>Maidstone</div></div>
        <h3>Actions</h3>
        <ul><li>Report back on <a href="#">rural crime</a></li>
            <li>Review<ul><li>nested point</li></ul></li><li> </li></ul>
        <table><thead><tr><th>Action</th><th>Owner</th></tr></thead>
               <tbody><tr><td>Update the <i>plan</i></td><td>CC</td></tr></tbody></table>
        <p>First paragraph.</p><p>Second
           paragraph.</p>
        </body></html>""",
        encoding="utf-8",
    )
    assert read_file(path).text == "\n".join(
        [
            "# Police and Crime Panel",
            "",
            "Date & time:",
            "Tuesday 17 October 2023",
            "",
            "Held at Sessions House",
            "Maidstone",
            "",
            "### Actions",
            "",
            "• Report back on rural crime",
            "• Review",
            "• nested point",
            "",
            "Action\tOwner",
            "Update the plan\tCC",
            "",
            "First paragraph.",
            "",
            "Second paragraph.",
        ]
    )


def test_html_as_word_and_old_sites_write_it(tmp_path: Path) -> None:
    # Word's "save as web page": a <p> in every cell and list item; old sites: unclosed tags.
    path = tmp_path / "export.html"
    path.write_text(
        "<table><tr><td><p class=MsoNormal>Action</p></td><td><p>Owner</p><p>(lead)</p></td><td></td></tr>"
        "<tr><td>Report back</td><td>CC<br>DCC</td><td><table><tr><td>nested</td><td>cells</td></tr></table></td>"
        "</tr></table><ul><li><p>loose item</p></li><li><p>second</p><p>continued</p></li><li> </li></ul>"
        + "<font size=2>" * 3000
        + "<p>deep text",
        encoding="utf-8",
    )
    assert read_file(path).text == "\n".join(
        [
            "Action\tOwner (lead)\t",
            "Report back\tCC DCC\tnested cells",
            "",
            "• loose item",
            "• second",
            "continued",
            "",
            "deep text",
        ]
    )


def test_html_declared_encoding_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "legacy.html"
    page = '<html><head><meta charset="windows-1252"></head><body><p>The PCC’s £5m fund</p></body></html>'
    path.write_bytes(page.encode("cp1252"))
    got = read_file(path)
    assert got.text == "The PCC’s £5m fund"
    assert got.encoding == "windows-1252"


def test_html_without_text(tmp_path: Path) -> None:
    path = tmp_path / "shell.html"
    path.write_text("<html><head><title>App</title><script>render()</script></head><body></body></html>")
    assert "empty file" in _read_error(path)


# -- bad input of every kind -------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \r\n\t \n"], ids=["empty", "whitespace"])
@pytest.mark.parametrize("suffix", [".txt", ".md", ".pdf", ".docx", ".html"])
def test_empty_file(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"nothing{suffix}"
    path.write_bytes(content)
    assert _read_error(path).endswith(": empty file")


def test_bom_only_text_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf \n")
    assert _read_error(path).endswith(": empty file")


def test_binary_file_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(200))
    assert "looks like a binary file, not text" in _read_error(path)


def test_control_characters_without_nul_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "dump.md"
    path.write_bytes(bytes(range(1, 32)) * 20 + b"some words")
    assert "looks like a binary file, not text" in _read_error(path)


def test_pdf_named_txt_says_what_it_looks_like(tmp_path: Path) -> None:
    pdf = tmp_path / "real.pdf"
    _pdf(pdf, ["Performance and Delivery Board"])
    path = tmp_path / "misnamed.txt"
    path.write_bytes(pdf.read_bytes())
    assert "looks like a binary file, not text (it starts like a PDF)" in _read_error(path)


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 100, encoding="utf-8")
    message = _read_error(path, max_bytes=50)
    assert "file is 100 bytes, over the 50 bytes limit; set SCRUTINY_MAX_FILE_MB to raise it" in message
    assert read_file(path, max_bytes=100).text == "x" * 100


def test_size_limit_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"y" * (2 * 1024 * 1024))
    monkeypatch.setenv("SCRUTINY_MAX_FILE_MB", "1.5")
    assert "file is 2.0 MB, over the 1.5 MB limit; set SCRUTINY_MAX_FILE_MB" in _read_error(path)
    monkeypatch.setenv("SCRUTINY_MAX_FILE_MB", "3")
    assert len(read_file(path).text) == 2 * 1024 * 1024


@pytest.mark.parametrize("value", ["fifty", "0", "-5"])
def test_bad_size_limit_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("text", encoding="utf-8")
    monkeypatch.setenv("SCRUTINY_MAX_FILE_MB", value)
    with pytest.raises(ScrutinyError, match="SCRUTINY_MAX_FILE_MB=.* is not a positive number of megabytes"):
        read_file(path)


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"PK\x03\x04")
    message = _read_error(path)
    assert "unsupported file type '.xlsx'" in message and ".docx" in message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert _read_error(tmp_path / "gone.txt").endswith(": file not found")
    (tmp_path / "folder.txt").mkdir()
    assert _read_error(tmp_path / "folder.txt").endswith(": is a folder, not a file")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "private.txt"
    path.write_text("secret", encoding="utf-8")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: make the open fail as it would for others

        def denied(self: Path, *args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "open", denied)
    assert "cannot read file: permission denied" in _read_error(path)


# -- finding the corpus --------------------------------------------------------------------


def test_corpus_files(tmp_path: Path) -> None:
    names = [
        "a.txt", "b.md", "c.markdown", "manifest.csv", "manifest.toml", ".hidden.txt",
        "budget.xlsx", "~$locked.docx", "sub/d.pdf", "sub/E.DOCX", "sub/deeper/f.htm",
        "sub/g.html", ".git/objects.txt", "sub/.cache/h.txt", "notes",
    ]  # fmt: skip
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    expected = ["a.txt", "b.md", "c.markdown", "sub/E.DOCX", "sub/d.pdf", "sub/deeper/f.htm", "sub/g.html"]
    assert corpus_files([tmp_path]) == [tmp_path / name for name in expected]
    # Named explicitly, a file is kept (read_file then says if it is unsupported); no duplicates.
    assert corpus_files([tmp_path / "budget.xlsx", tmp_path / "sub", tmp_path / "sub/g.html"]) == [
        tmp_path / "budget.xlsx", tmp_path / "sub/E.DOCX", tmp_path / "sub/d.pdf",
        tmp_path / "sub/deeper/f.htm", tmp_path / "sub/g.html",
    ]  # fmt: skip
    assert "no such file or folder" in str(pytest.raises(ReadError, corpus_files, [tmp_path / "nope"]).value)


def test_the_seed_corpus_is_found_without_its_manifest() -> None:
    assert corpus_files([CORPUS]) == SEED_TEXTS
    assert {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"} == SUPPORTED_SUFFIXES


def test_extracted_text_is_frozen() -> None:
    got = read_file(SEED)
    assert isinstance(got, ExtractedText)
    with pytest.raises(AttributeError):
        got.text = ""  # type: ignore[misc]

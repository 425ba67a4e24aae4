"""Turn corpus files (text, Markdown, PDF, Word, HTML) into one string of text each.

Every later stage points into `ExtractedText.text` by character offset, so this module
decides the text once and changes as little as it can: text files keep their layout
(tabs, bullet glyphs, blank lines) and only line endings are normalised. The other
formats are rendered to the same line layout a text export would have ("• " bullets,
"# " headings, tab-separated table rows), so the parser sees one shape whatever the
source format.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import ReadError, ScrutinyError

FORMATS: dict[str, str] = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(FORMATS)
MANIFEST_NAMES: frozenset[str] = frozenset({"manifest.csv", "manifest.toml"})

MAX_FILE_MB_ENV = "SCRUTINY_MAX_FILE_MB"
DEFAULT_MAX_FILE_MB = 50.0
_MB = 1024 * 1024

BULLET = "• "  # what Word's "save as text" writes for a bulleted paragraph


@dataclass(frozen=True)
class ExtractedText:
    """The text of one corpus file; every later character offset points into `text`."""

    source: str  # file name (path.name)
    path: Path
    text: str
    format: str  # "text" | "markdown" | "pdf" | "docx" | "html"
    sha256: str  # of the raw file bytes, so unchanged files can be skipped on re-indexing
    encoding: str | None = None  # text and HTML files: the encoding the bytes were read as


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def corpus_files(paths: Sequence[Path]) -> list[Path]:
    """The corpus files under `paths`, sorted and without duplicates.

    Folders are walked recursively and keep only supported suffixes, skipping hidden
    files and folders, Office lock files (~$name.docx) and the manifest. A file named
    directly is kept whatever its suffix, so that read_file says why it cannot be read
    rather than the file silently vanishing from the index.
    """
    found: set[Path] = set()
    for given in paths:
        given = Path(given)
        if given.is_dir():
            for root, dirs, files in os.walk(given):
                # Prune hidden folders here so we never descend into .git and the like.
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.update(Path(root) / name for name in files if _is_corpus_name(name))
        elif given.is_file():
            found.add(given)
        else:
            raise ReadError(str(given), "no such file or folder")
    return sorted(found)


def _is_corpus_name(name: str) -> bool:
    return (
        not name.startswith((".", "~$"))
        and name.lower() not in MANIFEST_NAMES
        and Path(name).suffix.lower() in SUPPORTED_SUFFIXES
    )


def read_file(path: Path, *, pdf_timeout_s: float = 60.0, max_bytes: int | None = None) -> ExtractedText:
    """Extract the text of one corpus file, or raise ReadError naming the file and problem.

    `max_bytes` defaults to $SCRUTINY_MAX_FILE_MB megabytes (50 when unset).
    """
    path = Path(path)
    name = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ReadError(name, f"unsupported file type {path.suffix or '(no suffix)'!r}; supported: {kinds}")
    limit = _max_bytes() if max_bytes is None else max_bytes

    data = _read_bytes(path, limit)
    if not data.strip():
        raise ReadError(name, "empty file")
    encoding: str | None = None
    if fmt in ("text", "markdown"):
        text, encoding = _decode_text(data, name)
    elif fmt == "pdf":
        text = _pdf_text_with_timeout(data, name, pdf_timeout_s)
    elif fmt == "docx":
        text = _docx_text(data, name)
    else:
        text, encoding = _html_text(data, name)

    text = _normalise_newlines(text)
    if not text.strip():
        if fmt == "pdf":
            raise ReadError(name, "no text layer (scanned?); run it through OCR (e.g. ocrmypdf) first")
        raise ReadError(name, "empty file" if fmt in ("text", "markdown") else "empty file (no text in the document)")
    return ExtractedText(
        source=path.name,
        path=path,
        text=text,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def _max_bytes() -> int:
    raw = os.environ.get(MAX_FILE_MB_ENV, "").strip()
    if not raw:
        return int(DEFAULT_MAX_FILE_MB * _MB)
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not mb > 0:
        raise ScrutinyError(f"{MAX_FILE_MB_ENV}={raw!r} is not a positive number of megabytes; unset it or set e.g. 50")
    return int(mb * _MB)


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < _MB else f"{n / _MB:.1f} MB"


def _read_bytes(path: Path, limit: int) -> bytes:
    name = str(path)
    try:
        if path.is_dir():
            raise ReadError(name, "is a folder, not a file")
        size = path.stat().st_size
        # Checked before reading so an oversized file is never loaded into memory.
        if size > limit:
            raise ReadError(
                name,
                f"file is {_size(size)}, over the {_size(limit)} limit; set {MAX_FILE_MB_ENV} to raise it",
            )
        with path.open("rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ReadError(name, "file not found") from None
    except PermissionError:
        raise ReadError(name, "cannot read file: permission denied; check its permissions") from None
    except OSError as e:
        raise ReadError(name, f"cannot read file: {e.strerror or e}") from None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _one_line(message: str, limit: int = 200) -> str:
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------
# Text and Markdown

# Layout control characters that real text files carry (tab, newlines, form feed between
# pages of a pdftotext export); any other C0 control is a sign of binary data.
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v")
_BINARY_CONTROL_SHARE = 0.05
_MAGIC = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP or Office file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file"),
)


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:65536]
    controls = sum(1 for b in sample if (b < 0x20 and b not in _TEXT_CONTROLS) or b == 0x7F)
    return controls > _BINARY_CONTROL_SHARE * len(sample)


def _decode_text(data: bytes, name: str) -> tuple[str, str]:
    # UTF-16 carries NUL bytes, so its BOM must be recognised before the binary check.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if _looks_binary(data):
        kind = next((f" (it starts like {what})" for magic, what in _MAGIC if data.startswith(magic)), "")
        raise ReadError(name, f"looks like a binary file, not text{kind}")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    # Windows exports are usually cp1252 (curly quotes, £); latin-1 decodes any byte at all.
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


# ---------------------------------------------------------------------------------------
# PDF, in a child process: a malformed PDF can make pypdf loop or balloon, and that must
# cost one file, not the whole indexing run. A fresh `python -m indexer.read --pdf-worker`
# rather than multiprocessing, because a spawn or forkserver child re-imports the parent's
# __main__ (the CLI, the app, and with them torch) for every PDF; this child imports only
# this module and pypdf, about 0.2 s per file.


def _pdf_text_with_timeout(data: bytes, name: str, timeout_s: float) -> str:
    if not timeout_s > 0:
        raise ValueError(f"pdf_timeout_s must be positive, got {timeout_s!r}")
    if b"%PDF-" not in data[:1024]:  # readers accept the header anywhere in the first 1 KB
        raise ReadError(name, "corrupt PDF: no %PDF header (is it really a PDF?)")
    # -P and PYTHONPATH: the child imports this very package, installed or not, and never
    # an `indexer` folder that happens to sit in the working directory.
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    try:
        # run() kills the child on timeout and on any other exception, Ctrl-C included.
        done = subprocess.run(_pdf_worker_command(), input=data, capture_output=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        raise ReadError(
            name, f"PDF text extraction took longer than {timeout_s:g} s; stopped it (the file may be damaged)"
        ) from None
    status, _, text = done.stdout.partition(b"\n")
    if done.returncode != 0 or status not in (b"ok", b"error"):
        stderr = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f"exit code {done.returncode}" + (f": {_one_line(stderr[-1])}" if stderr else "")
        raise ReadError(name, f"PDF text extraction crashed ({why}); the file may be damaged")
    message = text.decode("utf-8", "replace")
    if status == b"error":
        raise ReadError(name, message)
    return message


def _pdf_worker_command() -> list[str]:
    return [sys.executable, "-P", "-m", "indexer.read", "--pdf-worker"]


def _pdf_worker_main() -> int:
    """Child side: PDF bytes on stdin; b"ok\\n" + text or b"error\\n" + message on stdout."""
    data = sys.stdin.buffer.read()
    try:
        status, text = "ok", _pdf_text(data)
    except _PdfProblem as e:
        status, text = "error", str(e)
    except Exception as e:  # pypdf raises many kinds of error on damaged files
        status, text = "error", _one_line(f"corrupt PDF: {type(e).__name__}: {e}")
    # "replace": a broken font map can yield lone surrogates, which later stages cannot store.
    sys.stdout.buffer.write(status.encode("ascii") + b"\n" + text.encode("utf-8", "replace"))
    sys.stdout.buffer.flush()
    return 0


class _PdfProblem(Exception):
    """A readable PDF that still has no text for us; the message is for the user."""


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are noise on stderr
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            # Many PDFs are "encrypted" only against editing, with an empty user password.
            unlocked = reader.decrypt("")
        except DependencyError:
            raise _PdfProblem(
                "encrypted PDF: decrypting it needs the 'cryptography' package (pip install cryptography)"
            ) from None
        if not unlocked:
            raise _PdfProblem("encrypted PDF: it needs a password; save an unlocked copy and index that")
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            pages.append(page.extract_text() or "")
        except Exception as e:
            raise _PdfProblem(_one_line(f"corrupt PDF: page {number}: {type(e).__name__}: {e}")) from None
    return "\n".join(pages)


# ---------------------------------------------------------------------------------------
# Word

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_HEADING_STYLE = re.compile(r"Heading ([1-9])$")


def _docx_text(data: bytes, name: str) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError(name, "password-protected or old-format (.doc) Word file; save an unprotected .docx copy")
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_block_lines(document.element.body, document.part))
    except PackageNotFoundError:
        raise ReadError(name, "corrupt Word file: not a .docx package") from None
    except Exception as e:  # zipfile.BadZipFile, lxml's XMLSyntaxError, a missing part...
        raise ReadError(name, _one_line(f"corrupt Word file: {type(e).__name__}: {e}")) from None
    return "\n".join(lines)


def _docx_block_lines(container: Any, part: Any) -> Iterator[str]:
    """Lines of a body (or content control) in document order, tables included."""
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        tag = child.tag.rpartition("}")[2]
        if tag == "p":
            yield _docx_paragraph_line(Paragraph(child, part))
        elif tag == "tbl":
            yield from _docx_table_lines(child, part)
        elif tag == "sdt":  # content control: its blocks live in w:sdtContent
            content = child.find(f"{{{_W_NS}}}sdtContent")
            if content is not None:
                yield from _docx_block_lines(content, part)


def _docx_paragraph_line(paragraph: Any) -> str:
    text: str = paragraph.text
    if not text.strip():
        return ""
    style = (paragraph.style.name if paragraph.style is not None else None) or ""
    heading = _HEADING_STYLE.match(style)
    if heading:
        return "#" * int(heading.group(1)) + " " + text.strip()
    if style == "Title":
        return "# " + text.strip()
    if _docx_is_list(paragraph) or style.startswith("List"):
        return BULLET + text.strip()
    return text


def _docx_is_list(paragraph: Any) -> bool:
    ppr = paragraph._p.pPr
    num_pr = ppr.numPr if ppr is not None else None
    if num_pr is None:
        return False
    # numId 0 is Word's way of switching off numbering inherited from the style.
    return num_pr.numId is None or num_pr.numId.val != 0


def _docx_table_lines(tbl: Any, part: Any) -> Iterator[str]:
    for tr in tbl.tr_lst:
        cells = []
        for tc in tr.tc_lst:
            # A vertically merged cell repeats nothing: its text is in the cell above.
            cells.append("" if tc.vMerge == "continue" else _docx_cell_text(tc, part))
        row = "\t".join(cells)
        yield row if row.strip() else ""


def _docx_cell_text(tc: Any, part: Any) -> str:
    from docx.text.paragraph import Paragraph

    # A cell may hold several paragraphs or a nested table; a row is one line.
    texts = (Paragraph(p, part).text for p in tc.iter(f"{{{_W_NS}}}p"))
    return " ".join(" ".join(texts).split())


# ---------------------------------------------------------------------------------------
# HTML

_DROPPED_TAGS = frozenset({"script", "style", "noscript", "head", "title", "template", "svg", "iframe", "object"})
_PARAGRAPH_TAGS = frozenset(
    {"p", "blockquote", "ul", "ol", "dl", "table", "hr", "figure", "pre", "address", "form", "fieldset"}
)
_LINE_TAGS = frozenset(
    {"div", "section", "article", "main", "header", "footer", "nav", "aside", "dt", "dd",
     "figcaption", "caption", "tr", "tbody", "thead", "tfoot", "body", "html"}
)  # fmt: skip
_HTML_SPACE = re.compile(r"[ \t\n\r\f\v\xa0]+")
_HEADING_TAG = re.compile(r"h[1-6]")


def _html_text(data: bytes, name: str) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError(name, "looks like a binary file, not HTML")
    # Given bytes, BeautifulSoup honours a BOM or <meta charset> and otherwise guesses.
    soup = BeautifulSoup(data, "html.parser")
    lines = _HtmlLines()
    lines.render(soup)
    encoding = soup.original_encoding
    return lines.result(), encoding.lower() if encoding else None


class _HtmlLines:
    """Renders a parsed page to lines in the same layout as the text and Markdown files.

    Walks the tree with an explicit stack rather than recursion: legacy pages full of
    unclosed tags nest thousands deep.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.pending = 0  # line breaks owed before the next text: 1 new line, 2 blank line
        self.prefix = ""  # a list item's bullet or a heading's "#", waiting for its first text
        self.cells = 0  # depth of table cells we are in: inside one, a row stays one line
        self.items = 0  # depth of list items we are in
        self.layout_cells: list[Any] = []  # open cells that hold paragraphs (see _enter)
        self.glue = False  # the next text continues the current line, whatever breaks come first

    def result(self) -> str:
        self._end_line()
        return "\n".join(self.lines)

    def add(self, text: str) -> None:
        text = _HTML_SPACE.sub(" ", text)
        if not text.strip() and (self.pending or not self.current or self.current[-1] == "\t"):
            return  # white space between blocks, at the start of a line or of a cell
        self._settle()
        if self.prefix:
            text, self.prefix = self.prefix + text.lstrip(), ""
        if self.glue and text.strip():
            self.glue = False
            text = text.lstrip()
            if self.current and not self.current[-1].endswith(" "):
                text = " " + text
        self.current.append(text)

    def brk(self, n: int) -> None:
        if self.glue:
            return
        if self.cells:
            self.add(" ")  # a <p> or <br> inside a cell: the row is still one line
        elif self.current or self.lines:
            self.pending = max(self.pending, n)

    def cell_separator(self) -> None:
        self._settle()
        self.current.append("\t")

    def _settle(self) -> None:
        """Pay the line breaks owed before new text."""
        if self.pending:
            self._end_line()
            if self.pending == 2 and self.lines and self.lines[-1]:
                self.lines.append("")
            self.pending = 0

    def _end_line(self) -> None:
        line = re.sub(" *\t *", "\t", re.sub(" {2,}", " ", "".join(self.current))).strip(" ")
        if line.strip():
            self.lines.append(line)
        self.current = []

    def render(self, root: Any) -> None:
        from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

        stack: list[tuple[Any, bool]] = [(root, False)]  # (node, True when leaving a tag)
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self._leave(node.name.lower(), node)
            elif isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            elif isinstance(node, NavigableString):
                self.add(str(node))
            elif isinstance(node, Tag) and self._enter(node.name.lower(), node):
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.contents))

    def _enter(self, tag: str, node: Any) -> bool:
        """Act on an opening tag; False when its content is dealt with (or dropped) here."""
        if tag in _DROPPED_TAGS or _is_site_furniture(tag, node):
            return False
        if tag == "br":
            if self.cells:
                self.add(" ")
            elif self.current or self.lines:
                self.pending = min(2, self.pending + 1)  # <br><br> is a blank line
            return False
        if tag == "pre":  # preformatted: its own line breaks, spaces kept
            self.brk(2)
            for line in node.get_text().split("\n"):
                if line.strip():
                    self._settle()
                    self.lines.append(line.rstrip())
                self.brk(1 if line.strip() else 2)
            self.brk(2)
            return False
        if tag in ("td", "th"):
            layout = not self.cells and _holds_paragraphs(node)
            if _follows_a_cell(node):
                if self.cells or layout:  # cells of a nested table are words apart; see below
                    self.add(" ")
                else:
                    self.cell_separator()
            if layout:
                # A cell holding paragraphs lays out a page (a meeting page's "No. | Item"
                # table), it is not a row of data: its paragraphs stay lines, the first on
                # the line of the number beside it ("3. Proposed Police Precept").
                self.glue = bool(self.current)
                self.layout_cells.append(node)
                return True
            self.cells += 1
        elif _HEADING_TAG.fullmatch(tag):
            self.brk(2)
            self.prefix = "#" * int(tag[1]) + " "
        elif tag == "li":
            # The bullet goes on the item's first text, even inside a <p>; none if empty.
            self.brk(1)
            self.prefix = BULLET
            self.items += 1
        elif tag in _PARAGRAPH_TAGS:
            self.brk(self._gap())
        elif tag in _LINE_TAGS:
            self.brk(1)
        return True

    def _leave(self, tag: str, node: Any = None) -> None:
        if tag in ("td", "th"):
            if self.layout_cells and self.layout_cells[-1] is node:
                self.layout_cells.pop()
                self.brk(1)
            else:
                self.cells -= 1
        elif _HEADING_TAG.fullmatch(tag):
            self.prefix = ""
            self.brk(2)
        elif tag == "li":
            self.prefix = ""
            self.items -= 1
            self.brk(1)
        elif tag in _PARAGRAPH_TAGS:
            self.brk(self._gap())
        elif tag in _LINE_TAGS:
            self.brk(1)

    def _gap(self) -> int:
        # Inside a list item a paragraph or sub-list continues the list, no blank line.
        return 1 if self.items else 2


_BLOCK_TAGS = frozenset({"p", "div", "ul", "ol", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})


_ITEM_NUMBER_CELL = re.compile(r"^\s*(?:item\s+)?\(?\d{1,3}[a-z]?(?:[./]\d{1,2})?[.):]?\s*$", re.I)


def _holds_paragraphs(node: Any) -> bool:
    """Whether a cell lays out a page rather than holding data: the item beside its number
    on a meeting page ("3." | title, description, "Minutes:", what was said), or a long
    run of paragraphs. Two short paragraphs in a cell (Word's export) are still data."""
    blocks = sum(1 for child in node.find_all(True) if child.name in _BLOCK_TAGS)
    if blocks < 2:
        return False
    sibling = node.find_previous_sibling(["td", "th"])
    if sibling is not None and _ITEM_NUMBER_CELL.match(sibling.get_text(" ")):
        return True
    return blocks >= 4 and len(node.get_text(" ")) > 300


# A site's menus, breadcrumbs and cookie banners: no record is ever inside them.
_FURNITURE_MARK = re.compile(r"cookie|breadcrumb|skip-?link|site-?nav|menu", re.I)


def _is_site_furniture(tag: str, node: Any) -> bool:
    if tag == "nav" or node.get("role") in ("navigation", "search"):
        return True
    marks = " ".join([node.get("id") or "", *(node.get("class") or [])])
    return tag in ("div", "section", "aside", "ul", "header", "footer") and bool(marks and _FURNITURE_MARK.search(marks))


def _follows_a_cell(node: Any) -> bool:
    """Whether a <td>/<th> has a cell before it in its row (bs4's find_* are slow here)."""
    sibling = node.previous_sibling
    while sibling is not None:
        if getattr(sibling, "name", None) in ("td", "th"):
            return True
        sibling = sibling.previous_sibling
    return False


if __name__ == "__main__":
    if sys.argv[1:] != ["--pdf-worker"]:
        sys.exit("usage: python -m indexer.read --pdf-worker  (internal: PDF bytes on stdin)")
    sys.exit(_pdf_worker_main())

"""From extracted text to blocks: headings, paragraphs and bullets with offsets.

Extracted text comes in several layouts: PDF text wrapped at the page width (a bullet
is a glyph, or only a leading space, and its continuation lines start at column 0),
Word exports with one line per paragraph and tab-separated tables, and Markdown. This
module finds where each paragraph starts and ends, whatever the layout, and keeps the
character offsets so every later quote can be checked against the source.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from indexer.vocabulary import FURNITURE_RE

# A run of three spaces or more between words: in text from a PDF or a padded export, the
# gap between two columns, never a gap inside one entry.
COLUMN_GAP = r"(?<=\S)[ \t]{3,}(?=\S)"

# Bullet glyphs seen in exported governance papers, plus any private-use glyph
# (Symbol/Wingdings bullets come through PDF extraction as U+F0xx).
BULLET_RE = re.compile(r"^[ \t]*(?:[•·▪◦●○■□➢➤►▶✓\u2023\u2043\u25aa\ue000-\uf8ff]|[-*+](?=\s)|o(?=[ \t]+\S))[ \t]*")
SUB_BULLET_RE = re.compile(r"^[ \t]*(?:o|[◦○]|[-*+](?<=  [-*+]))[ \t]+")
MARKDOWN_HEADING_RE = re.compile(r"^[ \t]*(#{1,6})[ \t]+(.*?)[ \t#]*$")
# How agenda items and numbered paragraphs are numbered, tried in order; the number is the
# pattern's one group. "4.", "4i.", "94.", "1.1", "12)"; a minute number with its year
# ("57/21"); a reference carrying the meeting's date ("Ref/04/14/03/2025"); "(1)"; "Item 5".
NUMBER_FORMS: tuple[str, ...] = (
    r"(\d{1,3}(?:\.\d{1,2})*[a-z]{0,4}|[ivx]{1,5})(?:[.)](?!\d)|(?<=\d\.\d)|(?<=\d\.\d\d))",
    r"(\d{1,3}/\d{2})(?![/\d])[.:]?",
    r"([A-Za-z]{1,12}/\d{1,3}/\d{1,2}/\d{1,2}/(?:19|20)\d\d)[.:]?",
    r"\((\d{1,3}[a-z]?)\)",
    r"(?i:agenda\s+)?(?i:item)\s+(\d{1,3}[a-z]?)(?![/\d])[.:)]?",
)
NUMBER_RE = re.compile(r"^[ \t]*(?:" + "|".join(NUMBER_FORMS) + r")[ \t]+(?=\S)")
MARKDOWN_NUMBER_RE = re.compile(r"^(?:(\d{1,3}[a-z]{0,4})[.)]?|" + "|".join(NUMBER_FORMS[1:]) + r")[ \t]+(?=\S)")
# The agenda's number beside a minute's own ("(Item B1)", "(Agenda item 3)"): minutes are
# numbered by the record, so the two may differ; the item keeps the minute's number.
_AGENDA_NUMBER = r"\(\s*(?:Agenda\s+)?Item\s+[A-Z]?\d+[a-z]?\s*\)"
ITEM_MARKER_RE = re.compile(r"^\s*" + _AGENDA_NUMBER + r"\s*$", re.I)
TRAILING_ITEM_MARKER_RE = re.compile(r"\s*" + _AGENDA_NUMBER + r"\s*$", re.I)
URL_LINE_RE = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", re.I)
PAGE_LINE_RE = re.compile(r"^\s*(?:Page\s+\d+(?:\s+of\s+\d+)?|\d{1,3}|-\s*\d+\s*-)\s*$", re.I)
IMAGE_LINE_RE = re.compile(r"^\s*image\d*\.(?:png|jpe?g|gif|emf|wmf)\s*$", re.I)
DANGLING_RE = re.compile(r"(?:,|\b(?:the|of|and|to|a|an|in|for|with|on|by|from|that|its|their|his|her|was|were|is|are))\s*$")
TERMINAL_RE = re.compile(r"[.!?:;]['’\")\]]*\s*$")
EMPHASIS_RE = re.compile(r"\*\*|__")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’&-]*")
# A year or financial year among a heading's words ("Police and Crime Plan 2022-2025"), as
# opposed to the values of a table row.
YEAR_RE = re.compile(r"\(?(?:19|20)\d\d(?:[/-](?:\d\d){1,2})?\)?[,:]?")
# A line that says something rather than names it: a verb of a clause ("Kent Police had 187
# Police", "Victim Voice provides information on the Victims’") or a first person opening
# ("I'd like to thank the Special Constabulary, Community").
CLAUSE_RE = re.compile(
    r"\b(?:is|are|was|were|has|had|have|will|would|can|could|should|provides|provided|said|says)\b", re.I)
FIRST_PERSON_RE = re.compile(r"^(?:I|I['’](?:d|m|ve|ll)|We|We['’](?:re|ve|ll|d))\b")
# A colon line ending in a verb or a small word introduces a list; it heads nothing
# ("Complemented by:", "Workstreams include:", "Additional Funding were:").
LEAD_IN_RE = re.compile(
    r"\b(?:by|include|includes|including|were|are|was|is|follows|of|to|for|with|from|the|and|or|as)\s*:$", re.I)

# Words that may stay lower-case in a title ("Tackle violence against women and girls").
SMALL_WORDS = {
    "a", "an", "and", "the", "of", "in", "on", "for", "to", "with", "by", "at", "or", "from",
    "into", "its", "their", "our", "&", "as", "vs", "per", "up", "out",
}


@dataclass(frozen=True)
class Line:
    text: str  # the raw line, without its newline
    start: int
    end: int

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip(" \t"))


@dataclass(frozen=True)
class Block:
    """A unit of layout: a heading, a paragraph or a bullet."""

    kind: str  # heading | paragraph | bullet | subbullet | numbered
    text: str  # white space normalised, glyphs and Markdown emphasis removed
    start: int  # offsets of the block in the extracted text (glyph excluded)
    end: int
    number: str | None = None  # for numbered headings and paragraphs
    level: int = 0  # Markdown heading level; 0 otherwise
    lines: tuple[Line, ...] = ()


def item_number(m: re.Match[str]) -> str | None:
    """The number a NUMBER_RE or MARKDOWN_NUMBER_RE match read, whichever form it took."""
    return next((g for g in m.groups() if g), None)


def split_lines(text: str) -> list[Line]:
    lines: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append(Line(raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    return lines


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def clean_inline(text: str) -> str:
    """White space normalised and Markdown emphasis dropped, for display and matching."""
    return normalise_space(EMPHASIS_RE.sub("", text))


def furniture_lines(lines: list[Line]) -> set[str]:
    """Short lines repeated on many pages: running headers and footers."""
    counts = Counter(line.stripped for line in lines if 3 < len(line.stripped) < 80)
    return {text for text, n in counts.items() if n >= 3 and not _structural(text)}


def _structural(text: str) -> bool:
    # Repeated on purpose: action headings, table headers and rows with dates, bullet labels,
    # a meeting page's "Minutes:" under each item.
    if re.search(r"\d{1,2}/\d{1,2}/\d{2,4}|\b(?:19|20)\d\d\b", text):
        return True
    if text.endswith(":") or re.match(r"^(?:response|answer|reply|question)\b", text, re.I):
        return True  # a label before each part ("Response from the Commissioner:"), not a running header
    return bool(re.match(r"^(actions?|status|owner|due date|open|closed|force|opcc|resolved\b.*|minutes:)$", text, re.I)) or (
        BULLET_RE.match(text) is not None and len(text) > 40
    )


def is_furniture(line: Line, repeated: set[str]) -> bool:
    s = line.stripped
    return bool(
        URL_LINE_RE.match(s)
        or FURNITURE_RE.match(s)
        or PAGE_LINE_RE.match(s)
        or IMAGE_LINE_RE.match(s)
        or s in repeated
    )


def title_like(text: str, *, max_words: int = 16) -> bool:
    """A heading rather than a sentence: short, capitalised, no sentence ending."""
    text = clean_inline(text)
    if not text or len(text) > 130 or text[0].islower() or not (text[0].isalnum() or text[0] in "(‘'\"“"):
        return False  # "% change": a table's column head
    if re.search(r"[.,;]\s*$", text) and not re.search(r"\b[A-Z]{2,}\.$", text):
        return False
    if DANGLING_RE.search(text) or "☐" in text or "☒" in text or re.match(r"signature\s*:", text, re.I):
        return False
    words = WORD_RE.findall(text)
    if not words or len(words) > max_words:
        return False
    if text.endswith(":") and len(words) > 6:
        return False
    figures = re.findall(r"\S*\d\S*", text)
    if len(figures) >= 3 and len(figures) * 2 >= len(text.split()):
        return False  # a table row of figures ("Average queuing time 00:00:44 00:02:09 00:08:05")
    values = [f for f in figures if not YEAR_RE.fullmatch(f)]
    if len(values) >= 2 and re.search(r"\d\S*$", text):
        return False  # a label and its values ("Victim based crime 154,608 150,153 ▼ -2.9")
    if not text.endswith(("?", ":")) and (
        (len(words) > 6 and CLAUSE_RE.search(text)) or (len(words) > 4 and FIRST_PERSON_RE.match(text))
    ):
        return False  # the first line of a wrapped sentence, not a heading
    if text.endswith("?") and len(words) > 8:
        return False  # a question put to someone, not a heading that asks one ("What is RCRP?")
    # Sentences about people ("He said …") are not headings.
    if re.match(r"^(he|she|they|it|the (pcc|cc|dcc|dco|ce|chair|commissioner))\b", text, re.I) and len(words) > 4:
        return False
    return True


def capitalised_share(text: str) -> float:
    words = [w for w in WORD_RE.findall(clean_inline(text)) if w.lower() not in SMALL_WORDS]
    if not words:
        return 0.0
    return sum(1 for w in words if w[0].isupper()) / len(words)


def _ends_sentence(text: str) -> bool:
    return bool(TERMINAL_RE.search(text))


def _starts_lower(text: str) -> bool:
    s = text.lstrip()
    return bool(s) and (s[0].islower() or s[0] in "(,;–-&" and not s.startswith("(Item"))


def is_wrapped(lines: list[Line]) -> bool:
    """PDF-like text wrapped at the page width, rather than one line per paragraph.

    In wrapped text many lines continue a sentence and start in lower case; a Word or
    HTML export has almost none.
    """
    content = [ln for ln in lines if ln.stripped and not BULLET_RE.match(ln.text)]
    lower = sum(1 for ln in content if ln.stripped[0].islower())
    return bool(content) and lower / len(content) >= 0.08


def build_blocks(lines: list[Line], skip: set[int] | None = None, repeated: set[str] | None = None) -> list[Block]:
    """Group lines into blocks. `skip` holds indexes of lines already consumed (title blocks)."""
    skip = skip or set()
    wrapped = is_wrapped(lines)
    width = line_width(lines)
    repeated = repeated or set()
    blocks: list[Block] = []
    current: list[Line] = []
    current_kind = ""
    current_number: str | None = None
    current_level = 0
    blank_before = False

    def flush() -> None:
        nonlocal current, current_kind, current_number, current_level
        if current:
            blocks.append(_make_block(current_kind, current, current_number, current_level))
        current, current_kind, current_number, current_level = [], "", None, 0

    for i, line in enumerate(lines):
        if i in skip or is_furniture(line, repeated):
            # A block never spans a skipped line, so its offsets stay verbatim.
            flush()
            continue
        s = line.stripped
        if not s:
            blank_before = True
            continue
        heading = MARKDOWN_HEADING_RE.match(line.text)
        if heading:
            flush()
            inner = clean_inline(heading.group(2))
            number = MARKDOWN_NUMBER_RE.match(inner)
            current = [line]
            current_kind = "heading"
            current_level = len(heading.group(1))
            current_number = item_number(number) if number else None
            flush()
            blank_before = False
            continue
        if ITEM_MARKER_RE.match(s) and current and current_kind == "numbered":
            current.append(line)  # "(Item B1)" closes a panel minutes heading
            flush()
            blank_before = False
            continue
        bullet = BULLET_RE.match(line.text)
        numbered = NUMBER_RE.match(line.text)
        if bullet and not (numbered and numbered.end() > bullet.end()):
            flush()
            current = [line]
            current_kind = "subbullet" if SUB_BULLET_RE.match(line.text) else "bullet"
        elif numbered and current and not blank_before and (
            DANGLING_RE.search(current[-1].stripped) or (wrapped and not _ends_sentence(current[-1].stripped))
        ):
            current.append(line)  # "… he said there were" / "99.1 PCSOs so …": a wrapped figure
        elif numbered:
            flush()
            current = [line]
            current_kind = "numbered"
            current_number = item_number(numbered)
        elif _is_table_row(s):
            flush()
            current = [line]
            current_kind = "row"
            flush()
        elif current and (
            _continues(current, line, blank_before, wrapped, current_kind, width)
            or _bullet_goes_on(current, current_kind, line, wrapped)
        ):
            current.append(line)
        else:
            flush()
            current = [line]
            current_kind = "paragraph"
        blank_before = False
    flush()
    return _promote_headings(blocks)


def _is_table_row(stripped: str) -> bool:
    cells = [c for c in stripped.split("\t") if c.strip()]
    return len(cells) >= 3


def line_width(lines: list[Line]) -> int:
    """The page width in characters: nearly every wrapped line fills it."""
    lengths = sorted(len(ln.text.rstrip()) for ln in lines if ln.stripped)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def _continues(
    current: list[Line], line: Line, blank_before: bool, wrapped: bool, kind: str, width: int = 0
) -> bool:
    last = current[-1].stripped
    if DANGLING_RE.search(last):
        return True  # "… Police Reform and Social Responsibility Act 2011, the" goes on
    if _starts_lower(line.text):
        # A wrapped sentence goes on, even across a blank line left by a page break.
        return not blank_before or not _ends_sentence(last)
    if blank_before or not wrapped:
        return False  # one line per paragraph: a capital starts a new one
    if len(current) == 1 and _heading_line(_block_text(kind, current[0])):
        return False  # "4. Making Kent Safer Plan: Delivery & Performance" stands alone
    if _ends_sentence(last):
        # Wrapped text puts a new paragraph after a blank line, on an indented line (a
        # bullet whose glyph was lost), or after a line that stops well short of the page
        # width; otherwise a capital at column 0 goes on, unless the line is a heading.
        if width and len(current[-1].text.rstrip()) < 0.7 * width:
            return False
        return line.indent == 0 and not title_like(line.stripped)
    # An upper-case word mid-sentence ("… the \nChief Constable") continues.
    return True


def _block_text(kind: str, line: Line) -> str:
    pattern = {"numbered": NUMBER_RE, "bullet": BULLET_RE, "subbullet": BULLET_RE}.get(kind)
    m = pattern.match(line.text) if pattern else None
    return line.text[m.end():].strip() if m else line.stripped


def _heading_line(text: str) -> bool:
    return title_like(text, max_words=10) and (capitalised_share(text) >= 0.6 or len(WORD_RE.findall(text)) <= 4)


def _bullet_goes_on(current: list[Line], kind: str, line: Line, wrapped: bool) -> bool:
    """A bullet broken by a page break: "… visit to Prevent & Protect" / "" / "Team added to …"."""
    return (
        wrapped
        and kind in ("bullet", "subbullet")
        and not _ends_sentence(current[-1].stripped)
        and not title_like(line.stripped)
    )


def _make_block(kind: str, lines: list[Line], number: str | None, level: int) -> Block:
    first = lines[0]
    offset = 0
    if kind == "heading":
        m = MARKDOWN_HEADING_RE.match(first.text)
        offset = m.start(2) if m else 0
    elif kind in ("bullet", "subbullet"):
        offset = BULLET_RE.match(first.text).end()  # type: ignore[union-attr]
        second = BULLET_RE.match(first.text[offset:])  # "- o Provide …": a list inside a list
        if second:
            offset += second.end()
    elif kind == "numbered":
        offset = NUMBER_RE.match(first.text).end()  # type: ignore[union-attr]
    else:
        offset = first.indent
    start = first.start + offset
    end = lines[-1].start + len(lines[-1].text.rstrip())
    parts = [first.text[offset:]] + [ln.text for ln in lines[1:]]
    text = clean_inline(" ".join(parts))
    if kind == "heading" and number:
        text = MARKDOWN_NUMBER_RE.sub("", text, count=1)
    return Block(kind, text, start, max(start, end), number, level, tuple(lines))


def _promote_headings(blocks: list[Block]) -> list[Block]:
    """Decide which numbered blocks are agenda items and which plain lines are sub-headings."""
    out: list[Block] = []
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if block.kind == "numbered":
            has_marker = TRAILING_ITEM_MARKER_RE.search(block.lines[-1].stripped) is not None
            text = block.text
            if has_marker:
                text = clean_inline(TRAILING_ITEM_MARKER_RE.sub("", text))
            if has_marker or (title_like(text) and "." not in (block.number or "") and _colon_heading_ok(text)):
                out.append(Block("heading", text, block.start, block.end, block.number, 0, block.lines))
                continue
        if block.kind == "paragraph" and len(block.lines) <= 2 and _reads_as_heading(block, nxt):
            out.append(Block("heading", block.text, block.start, block.end, None, 0, block.lines))
            continue
        out.append(block)
    return out


def _colon_heading_ok(text: str) -> bool:
    """"Introduction:" and "Structure of the FCR:" are headings; "The following graphs show:" is not."""
    if not text.endswith(":"):
        return True
    if LEAD_IN_RE.search(text):
        return False
    return len(WORD_RE.findall(text)) <= 3 or capitalised_share(text) >= 0.5


def _reads_as_heading(block: Block, nxt: Block | None) -> bool:
    text = block.text
    if not title_like(text, max_words=14):
        return False
    if text.endswith(":"):
        return _colon_heading_ok(text)
    if nxt is None:
        return False
    # A heading introduces something: a bullet, a numbered paragraph or another heading,
    # or a paragraph that starts a new sentence.
    return nxt.kind in ("bullet", "subbullet", "numbered", "heading", "row") or (
        nxt.kind == "paragraph" and not _starts_lower(nxt.text)
    )

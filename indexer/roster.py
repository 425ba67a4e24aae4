"""Who was at a meeting: attendee blocks into (name, role) entries.

Rosters are written in several ways, often in one document:
"Matthew Scott – Police and Crime Commissioner (PCC)", "Matthew Scott (Police and Crime
Commissioner)", "Chief Constable Alan Pughsley", "Mr P M Hill OBE (Chairman)",
"Cllr M Blakemore", grouped under organisation headers ("Kent Police:").
"""

from __future__ import annotations

import re

from indexer.layout import BULLET_RE, Line, clean_inline
from indexer.records import Attendee
from indexer.roles import canonical_role, role_pattern, role_title

HONOURS_RE = re.compile(r"\s+\b(?:OBE|MBE|CBE|KPM|QPM|KC|QC|DL|JP|BEM|MP)\b\.?", re.I)
HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Cllr|Councillor|Sir|Dame|Lord|Lady|Professor|Prof)\.?"
NAME_TOKEN = r"(?:[A-Z][a-zA-Z'’\-]+|[A-Z]\.?)"
NAME_RE = re.compile(rf"^(?:{HONORIFIC}\s+)?(?:{NAME_TOKEN}\s+){{0,4}}[A-Z][a-zA-Z'’\-]+$")
DASH_ENTRY_RE = re.compile(r"^(?P<name>[^–—\-(]+?)\s+[–—-]\s+(?P<role>.+?)(?:\s*\((?P<abbr>[A-Za-z/ ]{2,12})\))?\s*$")
PAREN_ENTRY_RE = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<role>[^()]+)\)\s*$")
ORG_HEADER_RE = re.compile(r"^(?:#+\s*)?(?:\*\*)?(?P<org>[A-Z][^:()]{2,80}?)(?:\*\*)?\s*:\s*(?P<rest>.*)$")
ORG_WORDS_RE = re.compile(r"\b(?:office|police|council|commissioner|panel|force|constabulary|authority|service|partnership)\b", re.I)
STATUS_BY_LABEL = {
    "attendees": "present", "present": "present", "also present": "present",
    "in attendance": "in attendance", "apologies": "apologies",
}


def _strip_bullet(text: str) -> str:
    m = BULLET_RE.match(text)
    return clean_inline(text[m.end():] if m else text)


def is_roster_line(text: str) -> bool:
    """Does this line continue an attendee block (an organisation header or names)?"""
    text = _strip_bullet(text)
    if not text or len(text) > 300:
        return False
    if _org_header(text) is not None:
        return True
    entries = [parse_entry(e) for e in split_entries(text)]
    # A bare pair of capitalised words ("Fighting Crime") is not enough to be a name.
    return bool(entries) and all(
        e is not None and (e[1] is not None or re.match(HONORIFIC, e[0]) is not None) for e in entries
    )


def _org_header(text: str) -> tuple[str, str] | None:
    text = re.sub(r"^#+\s*", "", text).strip("* ")
    m = ORG_HEADER_RE.match(text)
    if m and ORG_WORDS_RE.search(m.group("org")):
        return clean_inline(m.group("org")), m.group("rest").strip()
    if ORG_WORDS_RE.search(text) and len(text) < 70 and not re.search(r"[–—(]|\s-\s", text) and canonical_role(text) is None:
        if re.fullmatch(r"(?:the\s+)?[A-Z][\w&'’ ]+", text) and text.split()[0] in ("Office", "Kent", "The", "Police"):
            return clean_inline(text), ""
    return None


def split_entries(text: str) -> list[str]:
    """Split "A (x), B (y) and C (z)" at top-level commas and "and", not inside a role title."""
    protected = re.sub(role_pattern(), lambda m: m.group(0).replace(" and ", " \0 "), text)
    parts: list[str] = []
    depth = 0
    current = ""
    i = 0
    while i < len(protected):
        ch = protected[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and (ch == "," or protected.startswith(" and ", i)):
            parts.append(current)
            current = ""
            i += 5 if ch == " " else 1
            continue
        current += ch
        i += 1
    parts.append(current)
    return [p.replace(" \0 ", " and ").strip(" .;") for p in parts if p.strip(" .;")]


def clean_name(name: str) -> str:
    return clean_inline(HONOURS_RE.sub("", name)).strip(" ,")


def parse_entry(entry: str) -> tuple[str, str | None, str | None] | None:
    """One attendee as (name, role abbreviation, role as written), or None if not a name."""
    entry = clean_inline(entry)
    m = DASH_ENTRY_RE.match(entry)
    if m and NAME_RE.match(clean_name(m.group("name"))):
        role_text = m.group("role").strip()
        abbr = m.group("abbr")
        role = canonical_role(abbr) if abbr else None
        return clean_name(m.group("name")), role or canonical_role(role_text), role_text
    m = PAREN_ENTRY_RE.match(entry)
    if m and NAME_RE.match(clean_name(m.group("name"))):
        role_text = m.group("role").strip()
        role = canonical_role(role_text)
        if role is None and re.match(r"substitute|representing|for\b", role_text, re.I):
            return clean_name(m.group("name")), None, None
        return clean_name(m.group("name")), role, role_text
    # "Chief Constable Alan Pughsley": the title comes first.
    m = re.match(rf"^(?P<role>{role_pattern()})\s+(?P<name>.+)$", entry)
    if m and NAME_RE.match(clean_name(m.group("name"))):
        return clean_name(m.group("name")), canonical_role(m.group("role")), m.group("role")
    name = clean_name(entry)
    if NAME_RE.match(name) and not name.isupper() and canonical_role(name) is None and len(name.split()) >= 2:
        return name, None, None
    return None


def parse_roster(regions: list[tuple[str, list[Line]]], *, panel: bool = False) -> tuple[Attendee, ...]:
    """Attendees from the labelled regions of a title block, in order of appearance.

    On a panel, people listed as present without an office are its Members.
    """
    attendees: list[Attendee] = []
    for label, lines in regions:
        status = STATUS_BY_LABEL.get(label, "present")
        organisation: str | None = None
        for chunk in _chunks(lines):
            header = _org_header(chunk)
            if header is not None:
                organisation, chunk = header
                if not chunk:
                    continue
            for entry in split_entries(chunk):
                parsed = parse_entry(entry)
                if parsed is None:
                    continue
                name, role, role_text = parsed
                if role is None and panel and label == "present" and re.match(r"(?:Cllr|Councillor|Mr|Mrs|Ms|Miss|Dr)\b", name):
                    role = "Member"
                attendees.append(
                    Attendee(
                        name=name,
                        role=role,
                        role_title=role_text or (role_title(role) if role else None),
                        organisation=organisation,
                        status=status,
                    )
                )
    return tuple(attendees)


def _complete(chunk: str) -> bool:
    return chunk.count("(") == chunk.count(")") and not re.search(
        rf"(?:,|\band|\bof|\bthe|\b{HONORIFIC}|\b[A-Z])\s*$", chunk
    )


def _chunks(lines: list[Line]) -> list[str]:
    """Join wrapped lines; a bullet or an organisation header starts a new chunk.

    Line breaks in PDF text fall anywhere, even between "Cllr" and a name, so entries are
    split on commas and "and" after joining, never on line breaks.
    """
    chunks: list[str] = []
    for line in lines:
        text = _strip_bullet(line.text)
        starts_new = (
            BULLET_RE.match(line.text) is not None
            or _org_header(text) is not None
            or (bool(chunks) and _complete(chunks[-1]) and is_roster_line(text))
        )
        if chunks and not starts_new:
            chunks[-1] = f"{chunks[-1]} {text}"
        else:
            chunks.append(text)
    return chunks

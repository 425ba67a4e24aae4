"""Who was at a meeting: attendee blocks into (name, role) entries.

Rosters are written in many ways, often several in one document:

* "Matthew Scott – Police and Crime Commissioner (PCC)", one a line or several on one line
  separated by ";" ("Attendees: A – PCC (PCC); B – Chief Constable (CC)");
* "Matthew Scott (Police and Crime Commissioner)", "Mr P M Hill OBE (Chairman)";
* "Chief Constable Alan Pughsley", "T/DCC Jane Ward", "Acting Chief Constable Sam Lee";
* "Tom Reed (TR) Chief Constable" and "Chief Constable Tom Reed (TR)", the initials that the
  minutes then use for speakers ("TR advised"), also as table rows ("Tom Reed | TR | CC");
* a paragraph of names with commas, semicolons or "and" between them, or one name a line,
  wrapped anywhere, set out in columns or typed in capitals; "Councillors Abbott, Baker and
  Clarke" gives each the title;
* "Jane Doe, Chief Constable", "Sarah Quayle (Chief Executive (OPCC))", and an office of any
  wording before a name its initials close ("Head of Finance Marcus Lyle (ML)");
* table rows under a "Name | Role" or "Attendee | Organisation" header;
* grouped under organisation headers ("Kent Police:", "Office of the Sussex PCC").

Titles (Cllr, Mrs, Dr, Prof, Lord …) and post-nominals (OBE, MP …) are not part of a name:
the vocabulary module strips them, so "Prof A Jones" on the roster and "Prof Jones said" in
the text meet on "A Jones". An acting or temporary rank is the office, marked acting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from indexer.layout import BULLET_RE, COLUMN_GAP, Line, clean_inline
from indexer.records import Attendee
from indexer.roles import canonical_role, is_acting, role_pattern, role_title
from indexer.vocabulary import BODY_ACRONYMS, HONORIFIC_PATTERN, POLICE_AREAS, POST_NOMINALS, strip_titles

NAME_TOKEN = r"(?:[A-Z][a-zA-Z'’\-]+|[A-Z]\.?)"
# A name as written on a roster: an optional run of titles, up to four given names or
# initials, and a surname ("Cllr Mrs J Hollingsbee", "Tom Reed", "Baroness Ann Hale").
# A peer's title may end in a place: "Lord Bramwell of Esher".
NAME_RE = re.compile(
    rf"^(?:{HONORIFIC_PATTERN}\s+)*(?:{NAME_TOKEN}\s+){{0,4}}(?:[A-Z][a-zA-Z'’\-]+|[A-Z]{{2,}})"
    r"(?:\s+of\s+[A-Z][a-zA-Z'’\-]+)?$"
)
TITLED_RE = re.compile(rf"^{HONORIFIC_PATTERN}\s", re.I)
DASH_ENTRY_RE = re.compile(r"^(?P<name>[^–—\-(]+?)\s+[–—-]\s+(?P<role>.+?)(?:\s*\((?P<abbr>[A-Za-z/ ]{2,12})\))?\s*$")
# The brackets may hold brackets of their own: "Sarah Quayle (Chief Executive (OPCC))".
PAREN_ENTRY_RE = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<role>(?:[^()]|\([^()]*\))+)\)\s*$")
# "Head of Finance Marcus Lyle (ML)", "Chief Executive (OPCC) Colin Dray (CD)": an office of
# any wording, then the name whose initials close the line.
TRAILING_INITIALS_RE = re.compile(r"^(?P<lead>.+?)\s*\((?P<initials>[A-Z]{2,4})\)\s*$")
# Words that make a phrase an office, not a name: "Jane Doe, Head of Performance".
OFFICE_WORDS_RE = re.compile(
    r"\b(?:officer|head|director|manager|lead|adviser|advisor|analyst|secretary|clerk|treasurer|chair(?:man)?|member|"
    r"inspector|superintendent|commissioner|constable|executive|solicitor|coordinator|co-ordinator)\b",
    re.I,
)
# An office's owner written after it ("Chief Executive (OPCC)", "Chief Executive, OPCC"):
# the office is the same.
OWNER_AFTER_RE = re.compile(r"\s*(?:,\s*|\(\s*|\s+(?:of|for|to)\s+)(?:the\s+)?(?:OPCC|OPFCC|PCC|PFCC|Office\s+of\s+the\s+[^()]+)\)?\s*$", re.I)
# "Tom Reed (TR) Chief Constable", "Tom Reed (TR) – Chief Constable": initials between name and office.
INITIALS_ENTRY_RE = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<initials>[A-Z]{2,4})\)\s*[–—:,-]?\s*(?P<role>[^()]*)$")
# "… and Assistant Chief Constable Daniel Marrick attended the meeting.": the sentence's end
# is no part of the last name.
ATTENDED_RE = re.compile(
    r"\s+(?:also\s+)?(?:attended(?:\s+the\s+meeting)?|(?:was|were)\s+(?:also\s+)?(?:present|in\s+attendance))\s*\.?\s*$",
    re.I)
# The welcoming sentences of a meeting's first items that name who sat at the table: "The
# Chair welcomed Jo Penn, the Police and Crime Commissioner, who was accompanied by …", "In
# attendance for this item were …", and a confirmation hearing's "proposed to appoint
# Deputy Chief Constable Jo Penn". What follows each is a list of people with their offices.
WELCOMED_RE = re.compile(
    r"\b(?:welcomed|(?:was|were)\s+(?:accompanied|joined)\s+by|in\s+attendance\s+for\s+this\s+item\s+(?:was|were)"
    r"|proposed\s+to\s+appoint)\s+",
    re.I)
# Where a welcomed list ends: the sentence's end (not an initial's full stop), a clause
# about the person ("…, who had led …"), or what they were welcomed as or to.
_WELCOMED_END_RE = re.compile(r"(?<![A-Z])\.(?:\s|$)|,?\s+(?:who|as|to)\s|\s*[;:]")
# A description in apposition: "the independent member of the appointment panel".
_DESCRIPTION_RE = re.compile(r"^(?:the|an?)\s+[a-z]", re.I)
# Whose office it is, said of the person just named: "Chief Executive of her office".
_THEIR_OFFICE_RE = re.compile(r"\s+of\s+(?:his|her|their)\s+office$", re.I)
# A description before a titled name: "Independent Co-opted Member Mrs J. Fairburn".
DESCRIBED_NAME_RE = re.compile(rf"^[A-Z][\w-]*(?:\s+[\w-]+){{0,4}}?\s+(?P<name>{HONORIFIC_PATTERN}\s.+)$")
# "Chair: Cllr Ann Bell".
ROLE_COLON_RE = re.compile(r"^(?P<role>[^:]{2,60}):\s*(?P<name>.+)$")
# Table cells: a pipe, a tab, or a wide gap between columns.
CELL_SPLIT_RE = re.compile(r"\s*\|\s*|\t+|\s{3,}")
INITIALS_RE = re.compile(r"^[A-Z]{2,4}$")
ORG_HEADER_RE = re.compile(r"^(?:#+\s*)?(?:\*\*)?(?P<org>[A-Z][^:()]{2,80}?)(?:\*\*)?\s*:\s*(?P<rest>.*)$")
ORG_WORDS_RE = re.compile(r"\b(?:office|police|council|commissioner|panel|force|constabulary|authority|service|partnership)\b", re.I)
_AREA_START_RE = re.compile(
    r"^(?:" + "|".join(
        re.escape(n).replace(r"\ ", r"\s+")
        for n in sorted({n for a, al in POLICE_AREAS.items() for n in (a, *al)}, key=len, reverse=True)
    ) + r")\b"
)

# Roster labels (as the title block reads them, lower case) and the status they give.
STATUS_BY_LABEL = {
    "attendees": "present", "present": "present", "also present": "present",
    "members present": "present", "officers present": "in attendance",
    "in attendance": "in attendance", "also in attendance": "in attendance",
    "apologies": "apologies",
}
# A table's attendance column: "Present", "Attended (remotely)", "Apologies received".
# "Absent" reads as apologies: of the statuses, the one that says they were not there.
# After the status word only a note in brackets or a few words of how they attended: a
# cell such as "Online Safety Lead" is an office, not a status.
STATUS_CELL_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^(?:present|attended|in\s+person|virtual(?:ly)?|remote(?:ly)?|online)"
            r"(?:\s*\([^()]*\)|\s+(?:in\s+person|virtual(?:ly)?|remote(?:ly)?|online|via\s+\w+|by\s+(?:video|phone|teams|zoom)))?$",
            re.I,
        ),
        "present",
    ),
    (re.compile(r"^(?:also\s+)?in\s+attendance$", re.I), "in attendance"),
    (re.compile(r"^(?:apologies(?:\s+(?:received|given|sent|noted))?|sent\s+apologies|absent|did\s+not\s+attend|not\s+present)$", re.I), "apologies"),
)


def cell_status(cell: str) -> str | None:
    """The status an attendance cell gives, or None if the cell says none."""
    cell = cell.strip(" .*")
    return next((status for pattern, status in STATUS_CELL_FORMS if pattern.match(cell)), None)


# Words of headings and topics that look like a name in capitals ("Fighting Crime"): a line
# of bare capitalised words holding one of them is not a list of people.
NOT_NAME_WORDS = frozenset(
    """welcome introduction introductions minutes matters arising actions action any other
    business date next meeting apologies declarations declaration interest interests update
    updates report reports performance crime crimes police policing plan budget finance
    questions question agenda item items summary purpose background recommendation
    recommendations close closing board panel delivery strategy fighting safer safety community
    communities public confidence victims victim violence domestic abuse risk risks register
    work programme precept proposal annual review notes overview attendance present absent
    force office council commissioner members member officers officer decision decisions record
    complaints estates objectives priorities contents appendix annex section part page table
    total total exempt private papers paper schedule conclusion conclusions discussion
    presentation service services partnership partnerships scrutiny governance audit name
    names initials role roles title organisation position""".split()
)


@dataclass(frozen=True)
class RosterEntry:
    """One attendee as read from an entry, before the roster's label gives a status."""

    name: str  # without titles or post-nominals
    role: str | None  # canonical abbreviation
    role_text: str | None  # the office as written
    titled: bool = False  # written with a title ("Cllr", "Mrs"): on a panel, a Member
    acting: bool = False
    initials: str | None = None
    organisation: str | None = None  # as the entry itself names it: "(Sussex Police)"
    status: str | None = None  # as the entry's own cell says it ("Apologies"), over the label's


def _strip_bullet(text: str) -> str:
    m = BULLET_RE.match(text)
    text = text[m.end():] if m else text
    # A key padded to line up its dashes ("CC      – Chief Constable (…)") is one entry.
    text = re.sub(r"(?<=\S)[ \t]{2,}(?=[–—-]\s)", " ", text.strip())
    cells = _WIDE_GAP_RE.split(text)
    if len(cells) == 2 and office_only(cells[1]) and not office_only(cells[0]):
        # "Jo Penn CPFA        Head of Audit (contracted)": a name, then its office.
        return clean_inline(f"{cells[0]} ({cells[1]})")
    # Names set out in columns (PDF text): a wide gap is never inside one entry.
    return clean_inline(_WIDE_GAP_RE.sub("; ", text))


_WIDE_GAP_RE = re.compile(COLUMN_GAP)


def _table_row(text: str) -> bool:
    """A row of a table: cells between pipes (Markdown) or tabs (Word, PDF exports)."""
    return "|" in text or "\t" in text.strip()


def _row_text(text: str) -> str:
    """A table row with its cells kept apart: outer pipes and white space removed."""
    return text.strip().strip("|").strip()


def is_roster_line(text: str) -> bool:
    """Does this line continue an attendee block (an organisation header or names)?"""
    text = _row_text(text) if _table_row(text) else _strip_bullet(text)
    text = re.sub(r"(?:\s+and|\s*[,;])$", "", text)  # "Councillors Ashworth, Coles and" / "Dalby"
    if not text or len(text) > 300:
        return False
    if _table_row(text):
        entry = parse_entry(text)
        return entry is not None
    if _org_header(text) is not None:
        return True
    entries = [parse_entry(e) for e in _rejoined(_whole_pieces(text))]
    if _starts_mid_entry(text):
        # "Ealing, Cllr Emma Foster, …": the end of a name wrapped above, and whole entries.
        return all(e is not None and _credible(e) for e in entries[1:])
    # A bare pair of capitalised words ("Fighting Crime") is a name only if none of its
    # words is a heading's.
    return bool(entries) and all(e is not None and _credible(e) for e in entries)


_DANGLING_RE = re.compile(rf"^(?:{HONORIFIC_PATTERN}\s*)+$|^[A-Z]\.?$")
_GIVEN_NAME_RE = re.compile(r"^[A-Z][a-z'’-]+$")


def _whole_pieces(text: str) -> list[str]:
    """The entries of a line as far as the line holds them: less a title, initial or given
    name left at its end by the wrap ("…, Cllr", "…, Rupert"), and an office the wrap cut
    short closed ("…, Gail Lamb (Head of Policy,")."""
    open_brackets = text.count("(") - text.count(")")
    if open_brackets > 0:
        text = text.rstrip(" ,;") + ")" * open_brackets
    pieces = _entry_texts(text)
    if len(pieces) > 1 and (_DANGLING_RE.match(pieces[-1]) or _GIVEN_NAME_RE.match(pieces[-1])):
        return pieces[:-1]
    return pieces


def _entry_texts(text: str) -> list[str]:
    """A line's entries as written; a keyed entry ("CC – Chief Constable, Cumbria (Jo
    Penn)") is one whatever its commas."""
    return [text] if _keyed_entry(clean_inline(text)) is not None else split_entries(text)


def _rejoined(pieces: list[str]) -> list[str]:
    """Pieces split at a comma inside an office rejoined: "Alison Greer – Chief Executive" and
    "OPCC (CE)", or "… – Chief Constable" and "Cumbria Constabulary", are one entry when the
    second reads as no one alone; and an office alone before a name in apposition ("the
    Police and Crime Commissioner, Mr Desmond Hale") is that person's."""
    out: list[str] = []
    for piece in pieces:
        alone = parse_entry(piece)
        if out and (alone is None or not _credible(alone)) and parse_entry(f"{out[-1]}, {piece}") is not None:
            out[-1] = f"{out[-1]}, {piece}"
        elif out and alone is not None and alone.role is None and not alone.initials and (office := _office_alone(out[-1])):
            out[-1] = f"{office} {piece}"
        else:
            out.append(piece)
    return out


def _office_alone(piece: str) -> str | None:
    """A piece that is an office and nothing else ("the Police and Crime Commissioner"), as
    written without its article; None otherwise."""
    office = re.sub(r"^the\s+", "", piece.strip(), flags=re.I)
    if parse_entry(piece) is None and canonical_role(office) is not None and re.fullmatch(role_pattern(), office):
        return office
    return None


def _starts_mid_entry(text: str) -> bool:
    """A wrapped line that begins with the rest of the entry above it: "Ealing, Cllr Emma
    Foster, Cllr Finn Grey" after "…, Cllr Dev". The first piece is a word or two in
    capitals that is no entry alone, and the entries after it are."""
    pieces = _whole_pieces(_strip_bullet(text))
    if not pieces:
        return False
    # "Wood (Independent Member)" after "… and Mr Vic": a surname alone, then its office.
    bracketed = re.fullmatch(r"[A-Z][\w'’\-]*\s*\([^()]+\)", pieces[0]) is not None
    if not bracketed and (len(pieces) < 2 or not re.fullmatch(r"[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)?", pieces[0])):
        return False
    first = parse_entry(pieces[0])
    if first is not None and _credible(first) and not bracketed:
        return False
    rest = [parse_entry(p) for p in pieces[1:]]
    return all(e is not None and _credible(e) for e in rest)


def _credible(entry: RosterEntry) -> bool:
    if entry.role is not None or entry.titled or entry.initials:
        return True
    words = entry.name.replace("’", "'").split()
    # "Cumbria Constabulary" after a comma is the organisation of the entry before it.
    return 2 <= len(words) <= 4 and not any(w.lower().strip(".") in NOT_NAME_WORDS for w in words) and not ORG_WORDS_RE.search(entry.name)


def _org_header(text: str) -> tuple[str, str] | None:
    text = re.sub(r"^#+\s*", "", text).strip("* ")
    m = ORG_HEADER_RE.match(text)
    if m and ORG_WORDS_RE.search(m.group("org")) and canonical_role(m.group("org")) is None:
        return clean_inline(m.group("org")), m.group("rest").strip()
    if ORG_WORDS_RE.search(text) and len(text) < 70 and not re.search(r"[–—(]|\s-\s", text) and canonical_role(text) is None:
        if re.fullmatch(r"(?:the\s+)?[A-Z][\w&'’ -]+", text) and (
            text.split()[0] in ("Office", "The", "Police") or _AREA_START_RE.match(text)
        ):
            return clean_inline(text), ""
    return None


def split_entries(text: str) -> list[str]:
    """Split "A (x), B (y); C (z) and D" at top-level commas, semicolons and "and", not inside
    an office's title ("Police and Crime Commissioner") or brackets."""
    protected = re.sub(role_pattern(), lambda m: m.group(0).replace(" and ", " \0 ").replace(",", "\1"), text)
    protected = ORG_AND_RE.sub(" \0 ", protected)
    parts: list[str] = []
    depth = 0
    current = ""
    i = 0
    while i < len(protected):
        ch = protected[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and (ch in ",;" or protected.startswith(" and ", i)):
            parts.append(current)
            current = ""
            i += 5 if ch == " " else 1
            continue
        current += ch
        i += 1
    parts.append(current)
    pieces = [p.replace(" \0 ", " and ").replace("\1", ",").strip(" .;") for p in parts if p.strip(" .;")]
    return _plural_titles(pieces)


# "and" inside an organisation's name: "Cumbria Fire and Rescue Service", "Audit and Risk
# Authority"; the words after it, to the next separator, end in an organisation's word.
ORG_AND_RE = re.compile(
    r" and (?=(?:[A-Z][\w'’-]*\s+){0,3}(?:Service|Services|Police|Council|Authority|Partnership|Constabulary|Trust|Board|"
    r"Committee|Office|Unit|Team|Panel)\b\s*(?:[,;()]|$))"
)


PLURAL_TITLE_RE = re.compile(r"^(?P<title>Councillors|Cllrs\.?|County\s+Councillors)\s+(?P<rest>.+)$", re.I)
_SURNAME_ONLY_RE = re.compile(r"^(?:[A-Z]\.?\s+){0,3}[A-Z][\w'’\-]+(?:\s*\([^()]+\))?$")


def _plural_titles(pieces: list[str]) -> list[str]:
    """"Councillors Abbott, Baker and Clarke": the title of the first is each one's, up to
    an entry with a title or office of its own."""
    out: list[str] = []
    title: str | None = None
    for piece in pieces:
        m = PLURAL_TITLE_RE.match(piece)
        if m:
            title = "Councillor"
            piece = f"{title} {m.group('rest')}"
        elif title and _SURNAME_ONLY_RE.match(piece) and not TITLED_RE.match(piece) and _office(piece) is None:
            piece = f"{title} {piece}"
        else:
            title = None
        out.append(piece)
    return out


def clean_name(name: str) -> str:
    """A name without bullets, titles or post-nominals: "Mr P M Hill OBE" → "P M Hill"."""
    return strip_titles(clean_inline(name))


def _name_ok(raw: str) -> bool:
    """Whether `raw` reads as a person's name, not an office followed by one."""
    raw = clean_inline(raw).strip(" ,")
    if _office_first_re().match(raw):
        return False
    return NAME_RE.match(strip_titles(raw) if TITLED_RE.match(raw) else raw) is not None and bool(clean_name(raw))


@lru_cache(maxsize=1)
def _office_first_re() -> re.Pattern[str]:
    return re.compile(rf"^(?:{role_pattern()})\s")


def _office(text: str | None) -> str | None:
    """The office an entry's words name, its owner after it set aside."""
    if not text:
        return None
    text = re.sub(r"^in\s+the\s+(?=chair)", "", text.strip(), flags=re.I)  # "(in the Chair)"
    found = canonical_role(text) or canonical_role(OWNER_AFTER_RE.sub("", text))
    # "DCC (Temporary)", "Chief Constable (Lancashire Constabulary)": a note in brackets.
    found = found or canonical_role(re.sub(r"\s*\([^()]*\)\s*$", "", text))
    if found is None:
        # A joint post is the first office named: "Chief Executive & Monitoring Officer".
        first = re.split(r"\s*(?:&|/|,|\band\b)\s*", text, maxsplit=1)[0]
        found = canonical_role(first) if first != text else None
    return found


def _entry(raw_name: str, role_text: str | None, role: str | None = None, initials: str | None = None) -> RosterEntry:
    role_text = role_text.strip() if role_text else None
    return RosterEntry(
        name=clean_name(raw_name),
        role=role if role is not None else _office(role_text),
        role_text=role_text or None,
        titled=TITLED_RE.match(clean_inline(raw_name)) is not None,
        acting=bool(role_text) and is_acting(role_text),  # type: ignore[arg-type]
        initials=initials,
    )


# Each reader takes one entry's text and returns what it reads, or None; the first that
# reads the entry wins. Most specific forms first.


def _cells(entry: str) -> RosterEntry | None:
    """A table row: "Tom Reed | TR | Chief Constable", in any order of columns."""
    cells = [c for c in CELL_SPLIT_RE.split(entry) if c]
    if len(cells) < 2:
        return None
    name = initials = role_text = organisation = status = None
    for cell in cells:
        said = cell_status(cell) if status is None else None
        if said is not None:
            status = said  # "Present", "Apologies": the row's own status
            continue
        with_initials = TRAILING_INITIALS_RE.match(cell)
        if with_initials and name is None and _bare_name(with_initials.group("lead")) is not None:
            name, initials = with_initials.group("lead"), with_initials.group("initials")  # "Fiona Castell (FC)"
            continue
        as_name = _bare_name(cell)
        if INITIALS_RE.match(cell) and canonical_role(cell) is None and initials is None:
            initials = cell
        elif _office(cell) is not None and role_text is None:
            role_text = cell
        elif as_name is not None and _credible(as_name) and name is None and not ORG_WORDS_RE.search(cell):
            name = cell
        elif ORG_WORDS_RE.search(cell) or INITIALS_RE.match(cell):
            organisation = organisation or cell  # "Derbyshire Constabulary", "OPCC"
        elif role_text is None:
            role_text = cell  # an office the table names that is not one of ours
    if not name:
        return None
    return replace(_entry(name, role_text, initials=initials), organisation=organisation, status=status)


# "CC – Chief Constable (Jo Penn)", "ML – Head of Finance, OPCC (Marcus Lyle) – minutes": a
# key the notes then use, its office, and the name in brackets; a note may follow.
KEYED_ENTRY_RE = re.compile(
    r"^(?P<key>[A-Z][A-Za-z/]{1,7})\s*[–—:-]\s*(?P<role>[^()]+?(?:\([^()]*\)[^()]*?)?)\s*\((?P<name>[^()]+)\)"
    r"(?:\s*[–—-]\s*[^()]+)?$"
)


def _keyed_entry(entry: str) -> RosterEntry | None:
    """"DCC – Deputy Chief Constable (Ann Lee)": the key is the office's abbreviation or the
    person's initials ("AL – Head of Estates (Ann Lee)"), which the notes use for speakers."""
    m = KEYED_ENTRY_RE.match(entry)
    if not m or _bare_name(m.group("name")) is None:
        return None
    key, role_text = m.group("key"), m.group("role").strip(" ,")
    office = canonical_role(key)
    if office is None and initials_of(clean_name(m.group("name"))) != key.upper():
        return None  # "Item – Budget (Ann Lee)" keys nothing
    if office is not None:
        return _entry(m.group("name"), role_text, role=_office(role_text) or office)
    return _entry(m.group("name"), role_text, initials=key)


def _initials_entry(entry: str) -> RosterEntry | None:
    """"Tom Reed (TR) Chief Constable"; "Chief Constable Tom Reed (TR)"."""
    m = INITIALS_ENTRY_RE.match(entry)
    if not m or canonical_role(m.group("initials")) is not None:
        return None
    name, role_text = m.group("name"), m.group("role").strip() or None
    if not _name_ok(name):
        first = re.match(rf"^(?P<role>{role_pattern()})\s+(?P<name>.+)$", name)
        if not first or not _name_ok(first.group("name")):
            return None
        name, role_text = first.group("name"), first.group("role")
    return _entry(name, role_text, initials=m.group("initials"))


def _initials_last(entry: str) -> RosterEntry | None:
    """"Head of Finance Marcus Lyle (ML)": the words before the initials that they abbreviate
    are the name, what precedes them the office, whatever its wording."""
    m = TRAILING_INITIALS_RE.match(entry)
    if not m:
        return None
    words = m.group("lead").split()
    for size in range(min(len(words) - 1, 4), 1, -1):
        name = " ".join(words[-size:])
        if initials_of(clean_name(name)) == m.group("initials") and _name_ok(name):
            office = " ".join(words[:-size]).strip(" ,:–—-")
            # "Head of Finance" could be read as a peer's name; an office has a small word.
            if office and (_office(office) or re.search(r"\b[a-z]", office) or not _name_ok(office)):
                return _entry(name, office, initials=m.group("initials"))
    return None


def _comma_entry(entry: str) -> RosterEntry | None:
    """"Jane Doe, Chief Constable"; "Jane Doe, Head of Performance": a name, then its office."""
    m = re.match(r"^(?P<name>[^,()]+),\s*(?P<role>.+)$", entry)
    if not m or not _name_ok(m.group("name")):
        return None
    if len(clean_name(m.group("name")).split()) < 2 and not TITLED_RE.match(m.group("name")):
        return None  # "Smith, Chief Constable" could be the end of a list
    role = m.group("role").strip()
    if _office(role) is None and not OFFICE_WORDS_RE.search(role):
        return None
    return _entry(m.group("name"), role)


def _dash_entry(entry: str) -> RosterEntry | None:
    """"Matthew Scott – Police and Crime Commissioner (PCC)"."""
    m = DASH_ENTRY_RE.match(entry)
    if not m or not _name_ok(m.group("name")):
        return None
    abbr = m.group("abbr")
    role = canonical_role(abbr) if abbr else None
    return _entry(m.group("name"), m.group("role"), role=role or canonical_role(m.group("role")))


def _paren_entry(entry: str) -> RosterEntry | None:
    """"Mr P M Hill OBE (Chairman)", "Mark Ellery (Chief Executive, OPCC)"; "Chief Constable
    Jo Pennant QPM (Sussex Police)", where the brackets name the organisation; "(substitute
    for …)" gives no office."""
    m = PAREN_ENTRY_RE.match(entry)
    if not m:
        return None
    name, bracketed = m.group("name"), m.group("role").strip()
    # "Chief Executive, OPCC": the office, then whose.
    office = _office(bracketed)
    described = DESCRIBED_NAME_RE.match(name)
    if described and not _name_ok(name) and _name_ok(described.group("name")):
        name = described.group("name")  # "Independent Co-opted Member Mrs J. Fairburn (Chairman)"
    if not _name_ok(name) or clean_name(name).isupper():  # "OPCC (CE)" is no one's name
        first = _role_first(name)
        if first is None:
            return None
        return first if office is not None else replace(first, organisation=bracketed)
    if office is None and re.match(r"substitute|representing|for\b", bracketed, re.I):
        return _entry(name, None)
    return _entry(name, bracketed, role=office)


def _role_first(entry: str) -> RosterEntry | None:
    """"Chief Constable Alan Pughsley", "T/DCC Jane Ward", "Chair: Cllr Ann Bell"."""
    m = re.match(rf"^(?P<role>{role_pattern()})\s*:?\s+(?P<name>.+)$", entry)
    if m and _name_ok(m.group("name")):
        return _entry(m.group("name"), m.group("role"))
    m = ROLE_COLON_RE.match(entry)
    if m and canonical_role(m.group("role")) is not None and _name_ok(m.group("name")):
        return _entry(m.group("name"), m.group("role"))
    return None


def _bare_name(entry: str) -> RosterEntry | None:
    """A name alone: two words or more, not all capitals, not an office."""
    raw = clean_inline(entry).strip(" ,")
    name = clean_name(raw)
    if not _name_ok(raw) or name.isupper() or canonical_role(name) is not None:
        return None
    if len(name.split()) < 2 and not TITLED_RE.match(raw):
        return None
    of = re.match(r"^(?P<office>.+?)\s+of\s+", name)
    if of and OFFICE_WORDS_RE.search(of.group("office")):
        return None  # "Head of Strategy" is an office, not a peer
    return _entry(raw, None)


ENTRY_READERS = (_keyed_entry, _initials_entry, _initials_last, _dash_entry, _paren_entry, _role_first, _comma_entry, _bare_name)


_KEPT_CAPITALS = frozenset(POST_NOMINALS)


def _ordinary_case(entry: str) -> str:
    """An entry typed in capitals ("COUNCILLOR H DUNMORE (CHAIRMAN)") in ordinary case, so
    that names and offices read as they do elsewhere; initials, post-nominals and offices'
    abbreviations stay in capitals."""
    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        if len(w) == 1 or w in _KEPT_CAPITALS or (len(w) <= 5 and canonical_role(w) is not None):
            return w
        return w.capitalize()

    return re.sub(r"[A-Z][A-Z'’]*", word, entry)


def _shouting(entry: str) -> bool:
    """Typed in capitals: two words or more that are no office or abbreviation ("OPCC (CE)" is not)."""
    letters = [c for c in entry if c.isalpha()]
    words = [w for w in re.findall(r"[A-Z]{2,}", entry) if canonical_role(w) is None and w not in BODY_ACRONYMS]
    return bool(letters) and all(c.isupper() for c in letters) and len(words) >= 2


@lru_cache(maxsize=8192)  # the same line is read again as lines are joined into entries
def parse_entry(entry: str) -> RosterEntry | None:
    """One attendee as read from its entry, or None if the text is not a person."""
    if _table_row(entry):
        return _cells(_row_text(entry))  # a row's cells are read as cells, never as one name
    entry = ATTENDED_RE.sub("", clean_inline(entry))
    if _shouting(entry):
        entry = _ordinary_case(entry)
    for reader in ENTRY_READERS:
        found = reader(entry)
        if found is not None:
            return found
    return None


def initials_of(name: str) -> str:
    """"Tom Reed" → "TR"; "Mary-Jane O'Neil" → "MJO"; "P M Hill" → "PMH"."""
    return "".join(part[0] for part in re.split(r"[\s\-]+", name) if part[:1].isalpha()).upper()


def parse_roster(regions: list[tuple[str, list[Line]]], *, panel: bool = False) -> tuple[Attendee, ...]:
    """Attendees from the labelled regions of a title block, in order of appearance.

    On a panel, people listed as present with a title and no office are its Members.
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
            pieces = [chunk] if _table_row(chunk) else _entry_texts(chunk)
            for piece in pieces if _table_row(chunk) else _rejoined(pieces):
                entry = parse_entry(piece)
                if entry is None:
                    continue
                role = entry.role
                row_status = entry.status or status
                if role is None and panel and row_status == "present" and entry.titled:
                    role = "Member"
                attendees.append(
                    Attendee(
                        name=entry.name,
                        role=role,
                        role_title=entry.role_text or (role_title(role) if role else None),
                        organisation=entry.organisation or organisation,
                        status=row_status,
                        acting=entry.acting,
                        initials=entry.initials,
                    )
                )
    return tuple(attendees)


def _complete(chunk: str) -> bool:
    # "… Mrs A Lund - Chief" / "Finance Officer": an office's first word ends no entry, nor
    # does an office alone: "… and Assistant Chief Constable" / "Daniel Marrick".
    if chunk.count("(") != chunk.count(")") or re.search(
        rf"(?:[,;]|\band|\bof|\bthe|\b{HONORIFIC_PATTERN}|\b[A-Z]|\b(?:Chief|Deputy|Assistant|Acting|Temporary|Interim|Head|Vice|Director))\s*$",
        chunk,
    ):
        return False
    # An office alone at the end that "and" joins with no comma before it is the next
    # person's; "Jo Penn, Chief Finance Officer and Deputy Chief Executive" is complete (the
    # office is the entry's second post), and so is "Amos Lulworth, Chief Constable".
    pieces = split_entries(chunk)
    if not pieces or _office_alone(pieces[-1]) is None:
        return True
    joined = re.search(rf"[^,;\s]\s+(?:and|&)\s+{re.escape(pieces[-1].strip())}\s*$", chunk)
    return joined is None or (len(pieces) >= 2 and _office_alone(pieces[-2]) is not None)


def office_then_name(office: str, name: str) -> str | None:
    """An office on one line and its holder's name alone on the next ("Chief Executive, OPCC"
    / "Jo Bloggs") as one entry, "Jo Bloggs (Chief Executive, OPCC)"; None unless the first
    line is an office (its words an office's, no sentence or topic) and the second a name."""
    if _table_row(office) or _table_row(name):
        return None  # a table's rows are read as rows
    if is_roster_line(office):
        return None  # a person's line already: "Jo Bloggs      Chief Constable"
    office, name = clean_inline(office).strip(), clean_inline(name).strip()
    if len(office) > 100 or not _office_words(office) or not _whole_office(office):
        return None  # a topic: "Head of Estates Report"
    as_entry = parse_entry(office)
    if as_entry is not None and _office(as_entry.name) is None and not OFFICE_WORDS_RE.search(as_entry.name):
        return None  # a person already: "Jo Bloggs (Chief Constable)"
    person = _bare_name(name)
    if person is None or not _credible(person) or ORG_WORDS_RE.search(name):
        return None
    return f"{name} ({office})"


# What a heading names after "Head of …" when it is a topic, not an office.
_TOPIC_TAIL_WORDS = frozenset(
    "report reports update updates paper papers presentation briefing review item plan minutes proposal overview summary".split()
)
_HEAD_OF_RE = re.compile(r"^(?:(?:deputy|assistant|interim|acting)\s+)?(?:head|director)\s+of\s+", re.I)


def _whole_office(text: str) -> bool:
    """Is all of the text an office ("Chief Constable", "Head of Strategy, OPCC", "Internal
    Audit Manager (contracted)"), not a topic that holds an office's word ("Head of Estates
    Report")? Its owner after a comma and a note in brackets set aside, it is one of our
    offices, ends in an office's word, or is a "Head of …" whose last word is no topic's."""
    if _office(text) is not None:
        return True
    core = re.sub(r"\([^()]*\)", "", text.split(",")[0]).strip()
    words = core.split()
    if not words:
        return False
    if OFFICE_WORDS_RE.fullmatch(words[-1]):
        return True
    return bool(_HEAD_OF_RE.match(core)) and words[-1].lower() not in _TOPIC_TAIL_WORDS


def office_only(text: str) -> bool:
    """Words that name an office and no person: "Chief Finance Officer, OPCC", "Internal
    Audit Manager (contracted)"; not "Ms C Dunn (Chief Executive, OPCC)"."""
    text = clean_inline(text).strip()
    if TITLED_RE.match(text) or not _office_words(text):
        return False
    as_entry = parse_entry(text)
    return as_entry is None or _office(as_entry.name) is not None or OFFICE_WORDS_RE.search(as_entry.name) is not None


def _office_words(text: str) -> bool:
    """Words that name an office, whatever the publisher's title for it: the office's own
    words in capitals, lower case only for small words ("Head of Performance and Insight,
    OPCC", "Assistant Chief Officer (People)"); not a topic ("Chief Constable update")."""
    if _office(text) is None and not OFFICE_WORDS_RE.search(text):
        return False
    words = re.findall(r"[A-Za-z][\w'’-]*", re.sub(r"\([^()]*\)", "", text))
    return all(w[0].isupper() or w in ("of", "and", "for", "the", "to", "in") for w in words)


def _chunks(lines: list[Line]) -> list[str]:
    """Join wrapped lines; a bullet, an organisation header or a new entry starts a chunk.

    Line breaks in PDF text fall anywhere, even between "Cllr" and a name, so entries are
    split on commas and "and" after joining, never on line breaks alone.
    """
    chunks: list[str] = []
    for line in lines:
        text = _row_text(line.text) if _table_row(line.text) else _strip_bullet(line.text)
        starts_new = (
            BULLET_RE.match(line.text) is not None
            or _org_header(text) is not None
            or (bool(chunks) and _complete(chunks[-1]) and is_roster_line(text) and not _starts_mid_entry(text))
        )
        if _table_row(text) or (chunks and _table_row(chunks[-1])):
            starts_new = True  # a row is one entry, whole
        if chunks and not starts_new:
            chunks[-1] = f"{chunks[-1]} {text}"
        else:
            chunks.append(text)
    return chunks


def welcomed_entries(sentence: str) -> list[str]:
    """The people a welcoming sentence names with their offices, each as one entry ("Jo
    Penn, the Police and Crime Commissioner"); empty if it names none. A person named
    without an office or description in apposition is left out: the sentence may welcome
    a report or thank someone, and only an office says who sat at the table."""
    sentence = clean_inline(sentence)
    entries: list[str] = []
    for m in WELCOMED_RE.finditer(sentence):
        rest = sentence[m.end():]
        nxt = WELCOMED_RE.search(rest)
        rest = rest[: nxt.start()] if nxt else rest
        end = _WELCOMED_END_RE.search(rest)
        entries.extend(_welcomed_list(rest[: end.start()] if end else rest))
    return entries


def _welcomed_list(text: str) -> list[str]:
    """People with their offices from "Jo Penn, Chief Executive, and Al Roe, the Treasurer":
    each name with the office or description pieces after it; the list ends at the first
    piece that is neither."""
    people: list[tuple[str, list[str]]] = []
    for piece in re.split(r"\s*,\s*(?:and\s+)?", text.strip(" ,")):
        piece = _THEIR_OFFICE_RE.sub("", piece.strip())
        first = parse_entry(piece) if not _DESCRIPTION_RE.match(piece) else None
        if first is not None and first.role is not None and _name_ok(first.name):
            people.append((piece, []))  # "Deputy Chief Constable Jo Penn": office and name
        elif people and (_DESCRIPTION_RE.match(piece) or _office_words(piece) or _organisation(piece)):
            people[-1][1].append(piece)
        elif _bare_name(piece) is not None and not ORG_WORDS_RE.search(piece):
            people.append((piece, []))
        else:
            break
    return [
        ", ".join([name, *offices]) if offices else name
        for name, offices in people
        if offices or (parse_entry(name) or RosterEntry("", None, None)).role is not None
    ]


def _organisation(piece: str) -> bool:
    """An organisation after an office: "Northshire Police", "Office of the PCC"."""
    return ORG_WORDS_RE.search(piece) is not None and all(
        w[0].isupper() or w in ("of", "and", "for", "the") for w in piece.split()
    )

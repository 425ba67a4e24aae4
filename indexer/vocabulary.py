"""The words governance records are written in, kept as data in one place.

The parser (dates, rosters, speakers, document kinds, areas) and the question reader
share these tables, so "Prof Jones said" and a roster's "Prof A Jones" agree on what a
title is. Each table is plain data; patterns built from them live beside them so every
module matches the same words the same way. Offices (PCC, CC, …) are in `roles.py`.
"""

from __future__ import annotations

import calendar
import re
from enum import StrEnum

# -- people ---------------------------------------------------------------------------

# How a person is addressed. Not part of their name, and not an office: a councillor on a
# panel is a Member.
HONORIFICS: tuple[str, ...] = (
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame", "Lord", "Lady",
    "Baroness", "Baron", "Rev", "Revd", "Reverend", "Cllr", "Councillor", "County Councillor",
    "Alderman", "Judge", "HHJ", "Hon", "Rt Hon",
)
# Letters after a name: honours, decorations and professional marks ("Mr P M Hill OBE").
POST_NOMINALS: tuple[str, ...] = (
    "OBE", "MBE", "CBE", "KBE", "DBE", "CB", "CMG", "CVO", "LVO", "MVO", "KCB", "QPM", "KPM",
    "BEM", "DL", "JP", "MP", "MS", "MSP", "AM", "QC", "KC", "FRSA", "PhD", "CPFA", "FCA", "ACA",
    # Accountants' and managers' bodies, as audit committees list their members and officers.
    "FCPFA", "CIPFA", "ACCA", "FCCA", "ACMA", "FCMA", "CGMA", "CMgr", "FCMI", "MCMI",
)


def _alternation(words: tuple[str, ...]) -> str:
    """Longest first, so "County Councillor" wins over "Councillor"."""
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered) + ")"


# "Cllr", "Cllr.", "Councillor" — followed by white space where used before a name.
HONORIFIC_PATTERN = _alternation(HONORIFICS) + r"\.?"
# Post-nominals stand after the name as whole words; "MS" and "AM" only in capitals.
POST_NOMINAL_RE = re.compile(r"(?:,?\s+\b" + _alternation(POST_NOMINALS) + r"\b\.?)+\s*$")
HONORIFIC_PREFIX_RE = re.compile(r"^(?:" + HONORIFIC_PATTERN + r"\s+)+", re.I)


def strip_titles(name: str) -> str:
    """A person's name without titles before it or post-nominals after it."""
    name = HONORIFIC_PREFIX_RE.sub("", " ".join(name.split()))
    return POST_NOMINAL_RE.sub("", name).strip(" ,")


# Verbs the minute-taker uses to report speech ("the CC advised", "KM asked").
SPEECH_VERBS: tuple[str, ...] = (
    "said", "stated", "reported", "advised", "asked", "added", "explained", "noted", "highlighted",
    "confirmed", "commented", "requested", "sought", "queried", "questioned", "welcomed", "thanked",
    "expressed", "acknowledged", "outlined", "agreed", "offered", "presented", "introduced",
    "proposed", "seconded", "emphasised", "emphasized", "reiterated", "re-iterated", "congratulated",
    "paid", "summarised", "summarized", "concluded", "urged", "cautioned", "clarified", "affirmed",
    "reaffirmed", "assured", "promoted", "informed", "referenced", "referred", "described", "felt",
    "believed", "recognised", "recognized", "mentioned", "spoke", "shared", "declared", "echoed",
    "stressed", "applauded", "appreciated", "commended", "observed", "detailed", "raised",
    "responded", "replied", "suggested", "indicated", "accepted", "updated", "warned", "conceded",
    "reinforced", "impressed", "drew", "invited", "praised", "considered", "remarked", "answered",
    "insisted", "argued", "announced", "undertook", "committed", "pointed", "put", "provided",
    "gave", "set", "opened", "closed", "recommended", "reminded", "tabled", "moved", "wished",
    "hoped", "continued", "went", "focused", "focussed", "expanded", "elaborated", "challenged",
    "supported", "voiced", "sounded", "led", "took", "briefed", "enquired", "inquired", "recalled",
    "explored", "probed", "pressed", "contended", "maintained", "admitted", "agreed", "queried",
)
# Verbs that make the named person the one spoken *to*: "what was the PCC told about …".
ADDRESSEE_VERBS: tuple[str, ...] = (
    "told", "informed", "advised", "briefed", "reported to", "answered", "assured", "updated",
    "reminded", "shown", "given",
)
# Words for a figure going down or up, any of which says what the others ask: "how did
# violence fall" is answered by "a 4.7% reduction". Used by answers' check that the quoted
# sentences carry the question's terms, not to widen a search (most passages of a
# performance report say something went up or down).
CHANGE_WORDS: tuple[tuple[str, ...], ...] = (
    ("fall", "fell", "fallen", "drop", "dropped", "decline", "declined", "decrease", "reduction", "reduce",
     "reduced", "down", "lower", "cut"),
    ("rise", "rose", "risen", "increase", "increased", "grow", "grew", "growth", "up", "higher"),
)
# Verbs that say little without their particle: "get through", "take off", "turn up" mean
# nothing of "get", "take" or "turn" alone, so a phrase of one of them and small words is
# matched word for word (indexer.glossary).
LIGHT_VERBS: tuple[str, ...] = (
    "get", "got", "getting", "take", "taken", "taking", "took", "come", "came", "go", "going", "went",
    "turn", "let", "put", "make", "made", "hold", "keep", "give", "given", "set", "hang", "hung",
    "knock", "knocked",
)
# Their present forms, for "what did the CC tell the PCC about …".
ADDRESSEE_VERBS_PRESENT: tuple[str, ...] = (
    "tell", "inform", "advise", "brief", "report to", "answer", "assure", "update", "remind", "show", "give",
)

# Words written with a full stop that does not end a sentence. Matched whole and without
# regard to case, the final stop left off. Before a name or any word: "e.g. Kent",
# "(excl. Cannabis)", "Ch. Supt. Jones"; honorifics ("Cllr.", "Dr.") count too.
ABBREVIATIONS: tuple[str, ...] = (
    "e.g", "eg", "i.e", "ie", "viz", "cf", "vs", "v", "incl", "excl", "inc", "St", "Sgt", "Insp",
    "Supt", "Det", "Const", "Ch", "Asst", "Dept", "Govt", "Co", "Corp", "et al",
)
# Words the records write both in full and short ("Op Soteria", "Operation Soteria").
SHORT_FORMS: dict[str, str] = {
    "op": "operation", "ops": "operations", "supt": "superintendent", "insp": "inspector", "sgt": "sergeant",
    "dept": "department", "govt": "government", "approx": "approximately",
}
# Abbreviations only before a number ("No. 5", "approx. 400", "para. 3.2", "c. 1,600"):
# "no." before a capital ends a sentence ("The answer was no. The PCC …").
NUMBER_ABBREVIATIONS: tuple[str, ...] = (
    "No", "Nos", "approx", "est", "ref", "para", "paras", "fig", "figs", "p", "pp", "vol", "sect",
    "art", "c", "ca", "circa", "tel",
)

# -- dates ----------------------------------------------------------------------------

MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
# Welsh months, for the bilingual records of the Welsh forces' panels ("14 Mawrth 2025").
WELSH_MONTHS: dict[str, int] = {
    "ionawr": 1, "chwefror": 2, "mawrth": 3, "ebrill": 4, "mai": 5, "mehefin": 6, "gorffennaf": 7,
    "awst": 8, "medi": 9, "hydref": 10, "tachwedd": 11, "rhagfyr": 12,
}
MONTHS.update(WELSH_MONTHS)
# A month name or its abbreviation, with an optional full stop ("Sept.").
MONTH_PATTERN = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
WEEKDAYS: tuple[str, ...] = tuple(calendar.day_name)
WEEKDAY_PATTERN = (
    r"(?:" + "|".join(sorted((*WEEKDAYS, *calendar.day_abbr, "Tues", "Weds", "Thurs"), key=len, reverse=True)) + r")\.?"
)

# -- documents ------------------------------------------------------------------------


class DocumentKind(StrEnum):
    """What a document is. A StrEnum, so a kind compares equal to its plain name and writes
    to JSON as one."""

    MINUTES = "minutes"
    MEETING_NOTES = "meeting notes"
    AGENDA = "agenda"
    REPORT = "report"
    ANNUAL_REPORT = "annual report"
    DECISION = "decision"
    QUESTIONS = "questions"
    WORK_PROGRAMME = "work programme"


# Kinds that record a meeting: attendees and what was said.
MEETING_KINDS: frozenset[str] = frozenset({DocumentKind.MINUTES, DocumentKind.MEETING_NOTES})

# Other names users and publishers give to the kinds.
KIND_ALIASES: dict[str, DocumentKind] = {
    "minute": DocumentKind.MINUTES,
    "notes": DocumentKind.MEETING_NOTES,
    "note": DocumentKind.MEETING_NOTES,
    "meeting note": DocumentKind.MEETING_NOTES,
    "board notes": DocumentKind.MEETING_NOTES,
    "agendas": DocumentKind.AGENDA,
    "agenda pack": DocumentKind.AGENDA,
    "reports": DocumentKind.REPORT,
    "annual reports": DocumentKind.ANNUAL_REPORT,
    "decisions": DocumentKind.DECISION,
    "decision record": DocumentKind.DECISION,
    "decision records": DocumentKind.DECISION,
    "decision notice": DocumentKind.DECISION,
    "decision notices": DocumentKind.DECISION,
    "question": DocumentKind.QUESTIONS,
    "work programmes": DocumentKind.WORK_PROGRAMME,
}

# -- places ---------------------------------------------------------------------------

# The police areas of England and Wales (and the two other UK forces), by the name the
# force and its commissioner use, with other ways records write them. An area is what
# keeps Sussex's Chief Constable apart from Kent's.
POLICE_AREAS: dict[str, tuple[str, ...]] = {
    "Avon and Somerset": ("Avon & Somerset",),
    "Bedfordshire": (),
    "Cambridgeshire": ("Cambridgeshire and Peterborough",),
    "Cheshire": (),
    "City of London": (),
    "Cleveland": (),
    "Cumbria": (),
    "Derbyshire": (),
    "Devon and Cornwall": ("Devon & Cornwall", "Devon, Cornwall and the Isles of Scilly"),
    "Dorset": (),
    "Durham": ("County Durham", "Durham and Darlington"),
    "Dyfed-Powys": ("Dyfed Powys",),
    "Essex": (),
    "Gloucestershire": (),
    "Greater Manchester": (),
    "Gwent": (),
    "Hampshire": ("Hampshire and Isle of Wight", "Hampshire & Isle of Wight"),
    "Hertfordshire": (),
    "Humberside": (),
    "Kent": ("Kent and Medway", "Kent & Medway"),
    "Lancashire": (),
    "Leicestershire": ("Leicester, Leicestershire and Rutland",),
    "Lincolnshire": (),
    "Merseyside": (),
    "Metropolitan": ("London", "Metropolitan Police", "Met Police", "MOPAC"),
    "Norfolk": (),
    "North Wales": (),
    "North Yorkshire": ("York and North Yorkshire",),
    "Northamptonshire": (),
    "Northumbria": (),
    "Nottinghamshire": (),
    "South Wales": (),
    "South Yorkshire": (),
    "Staffordshire": (),
    "Suffolk": (),
    "Surrey": (),
    "Sussex": (),
    "Thames Valley": (),
    "Warwickshire": (),
    "West Mercia": (),
    "West Midlands": (),
    "West Yorkshire": (),
    "Wiltshire": ("Wiltshire and Swindon",),
    "Scotland": ("Police Scotland",),
    "Northern Ireland": ("PSNI",),
}


def _area_key(text: str) -> str:
    return " ".join(re.split(r"[\s-]+", text.lower()))


def _area_lookup() -> tuple[re.Pattern[str], dict[str, str]]:
    pairs = [(name, name) for name in POLICE_AREAS]
    pairs += [(alias, name) for name, aliases in POLICE_AREAS.items() for alias in aliases]
    # Longest first: "West Yorkshire" before "Yorkshire", "Kent and Medway" before "Kent".
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    alternation = "|".join(re.escape(alias).replace(r"\ ", r"[\s-]+") for alias, _ in pairs)
    # One pattern for every name: a line is searched once, not once per name.
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.I), {_area_key(a): n for a, n in pairs}


_AREA_RE, _AREA_BY_KEY = _area_lookup()


def find_area(text: str) -> str | None:
    """The police area named earliest in `text` ("Sussex Police and Crime Panel" → "Sussex")."""
    m = _AREA_RE.search(text)
    return _AREA_BY_KEY[_area_key(m.group())] if m else None


# -- reading any publisher's documents ------------------------------------------------

# Headings that say what a document is, tried in order on the lines at its top (after a
# leading "#" or emphasis is removed); the first line that matches one decides.
KIND_HEADINGS: tuple[tuple[str, DocumentKind], ...] = (
    (r"(?:agenda\s+and\s+)?minutes(?:\s+(?:of|for)\b.*)?", DocumentKind.MINUTES),
    (r"(?:meeting\s+)?notes(?:\s+(?:of|from)\b.*)?", DocumentKind.MEETING_NOTES),
    (r"(?:record\s+of\s+(?:a\s+)?(?:decision|delegated\s+decision)|(?:delegated\s+)?decision\s+(?:record|notice|report|sheet))\b.*",
     DocumentKind.DECISION),
    (r"(?:summons\s+and\s+)?agenda(?:\s+(?:pack|for\b.*|of\b.*))?", DocumentKind.AGENDA),
    # Members' and the public's questions to the commissioner, with the answers given.
    (r"(?:(?:written|members['’]?|public)\s+)?questions\s+(?:to|for)\s+the\s+(?:police,?\s+(?:fire\s+and\s+)?(?:and\s+)?crime\s+)?"
     r"(?:commissioner|pcc|pfcc)\b.*|(?:written|members?['’]?|panel\s+members?['’]?|councillors?['’]?|public)\s+questions(?:\s+(?:to|for|from|by|and)\b.*)?|"
     r"questions\s+(?:from|by)\s+(?:the\s+)?(?:panel\s+)?(?:members|councillors|public)\b.*|(?:the\s+)?commissioner['’]s\s+question\s+time",
     DocumentKind.QUESTIONS),
)

# The last word of a meeting body's name: "Police and Crime Panel", "Accountability Board",
# "Joint Audit Committee", "Performance and Accountability Meeting".
BODY_NOUNS: tuple[str, ...] = ("Panel", "Board", "Committee", "Meeting", "Forum", "Group", "Commission")
# Words a body's name never starts with: what precedes a name in a heading, or a heading
# that only looks like one ("Notes of the meeting", "Date of next meeting").
NOT_BODY_STARTS: tuple[str, ...] = (
    "notes", "minutes", "agenda", "date", "the", "meeting", "details", "of", "from", "a", "next", "previous", "last",
    "future", "this", "that", "each", "every", "our", "his", "her", "their", "record",
)
# Abbreviations kept in capitals when an all-capitals heading is given ordinary case.
BODY_ACRONYMS: tuple[str, ...] = ("OPCC", "PCC", "PFCC", "PCP", "PFCP", "JAC", "JIAC", "CC", "MOPAC", "UK")

# Words that mark a line as about another meeting or a deadline, so its date is not the
# meeting's own ("minutes of the previous meeting held on …", "next meeting: …", "due by …").
OTHER_MEETING_WORDS: tuple[str, ...] = (
    "previous", "last", "next", "future", "forthcoming", "following", "earlier", "prior", "due", "deadline",
    "published", "despatched", "dispatched", "issued", "circulated", "printed", "updated",
)

# Page furniture: navigation, links and labels of a saved web page, headers and footers of
# a printed one. A line that is wholly one of these is never an agenda item or passage text.
FURNITURE_PATTERNS: tuple[str, ...] = (
    r"skip\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation)",
    r"print\s+(?:this\s+)?page",
    r"share\s+this\s+(?:item|page|meeting)",
    r"(?:view\s+the\s+)?(?:reasons?\s+for\s+the\s+)?(?:(?:pdf|word|doc|docx)\s+icon\s*)?(?:pdf|docx?|word)\s+\d+(?:\.\d+)?\s*[km]b"
    r"(?:\s+(?:(?:pdf|word|doc|docx)\s+icon\s*)?(?:pdf|docx?|word)\s+\d+(?:\.\d+)?\s*[km]b)*",
    r"additional\s+documents\s*:?",
    r"back\s+to\s+(?:the\s+)?(?:top|meeting|agenda|committee).*",
    r"(?:we|this\s+(?:web)?site)\s+uses?\s+(?:essential\s+)?cookies\b.*",
    r"(?:accept|reject|allow|manage|decline)\s+(?:all\s+|optional\s+|additional\s+)?cookies.*",
    r"cookie\s+(?:settings|preferences|policy|notice|banner)",
    r"home\s*(?:>|›|»)\s*.*",
    r"no\.?\s+item",
    r"page\s+\d+\s+(?:of|/)\s+\d+",
    r"[a-z]:\\\S.*",  # a Windows file path left in a footer
    r"\\\\[\w$.-]+\\\S.*",  # a network share path
    r"(?:/[\w .-]+){2,}\.(?:docx?|pdf|rtf|odt)",  # a Unix file path
)
FURNITURE_RE = re.compile(r"^\s*(?:" + "|".join(FURNITURE_PATTERNS) + r")\s*$", re.I)

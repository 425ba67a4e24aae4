"""Reading a researcher's question for the constraints in it: who spoke, when, where, in what.

"What did the Chief Constable say about 101 calls since 2019?" becomes the text "101 calls"
(for retrieval) with speaker CC and since 2019-01-01 (for the filters). Everything here is
regular expressions over the query, deterministic and explainable: each constraint found is
reported in `notes`, and anything not recognised stays in the text, so a misreading costs a
filter, never the topic words.

The rules, and the ambiguous cases they settle:

* Speaker. An office or a person is a speaker only where the grammar says they speak:
  - after an auxiliary that makes them the subject of a question: "what did the CC say",
    "has the PCC raised", "did Members ask";
  - as the subject of a speech verb: "the PCC asked about", "Tim Smith said", "the CC
    reports on" (a base form like "ask" needs "about"/"on" after it: "the PCC ask about");
  - after a speech verb and "by": "what was said by the Commissioner";
  - with a possessive speech noun: "the CC's comments on", "the Chair's questions";
  - after "according to", or alone at the start before "on"/"about"/":": "PCC on precept".
  A bare office in a topic phrase is not a speaker: "Chief Constable appointment process",
  "PCC funding for CCTV", "questions to the Commissioner". Offices come from indexer.roles, so
  any spelling works and the speaker is its canonical abbreviation. People are the
  `known_names` (full name, or a surname shared by no other known name) or anyone typed
  with a title ("Mr Sandher", "Cllr Hollingsbee"); a person is kept as typed. Two different
  speakers in one question ("what did the PCC and the CC say") set none, with a note.
* Dates need a date word: "since 2019", "in September 2025", "between 2021 and 2023",
  "before 2020", "after June 2023", "2021 onwards", a month with its year anywhere
  ("at the September 2025 board"), "2024 and 2025", ISO and UK day dates, and, relative to
  `today`, "last year" (the previous calendar year), "the last 2 years" (rolling), "this
  year". A bare year with no date word is a topic ("2021 census"), as are numbers that are
  not years ("101 calls", "999", "4.3%", "Section 136"), a year followed by a count noun
  ("in 2000 cases"), and financial years ("2022/23", "2022-23", "2019-2020"), which the
  records use as names of budgets and plans. "for 2025" is not a date filter either:
  targets "for 2025" are set at meetings in 2024.
  Semantics: since/from X → on or after the start of X; after X → after the end of X;
  before X → before the start of X; until X → up to the end of X; in/during/at/on X or X
  alone → within X. Several date phrases narrow each other; phrases that contradict each
  other are noted and dropped, so the search runs without a date rather than match nothing.
* Body: a known body's full name anywhere, or "at/in/by/to/of the … board/panel/committee"
  when the words fit exactly one of `known_bodies` ("at the board", "at the Police and Crime
  Panel"); an acronym of a known body ("PCP") also counts. Without known bodies, no body.
* Kind: "in the minutes", "in (the) reports", "in the board notes", "in the annual report",
  "decision records", "the PCC's decisions". A kind word without a document phrase is a
  topic ("charging decisions", "answered within 10 minutes").
* Area: a police area named in the question ("in Sussex", "Sussex's Chief Constable", "Sussex
  Police", by any name the vocabulary gives it) is an area filter when the records hold more
  than one area and that one among them. With one area in the records there is nothing to
  choose; an area the records do not hold is noted and not filtered on. A body's name is read
  first, so "the Kent and Medway Police and Crime Panel" stays a body; "the Panel" that fits
  several panels is the one of the area named ("at the Panel in Sussex").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from indexer.errors import QueryError
from indexer.people import name_tokens
from search.filters import PERIOD_ENDS, Filters, canonical_kind
from indexer.roles import canonical_role, role_pattern
from indexer.vocabulary import HONORIFIC_PATTERN, MONTH_PATTERN, MONTHS, POLICE_AREAS, find_area


@dataclass(frozen=True)
class Understood:
    """A query split into topic words (`text`) and the constraints found in it (`filters`).

    The reader's speaker is a canonical role ("CC") or a person's name as typed, its body one
    of the known bodies as spelled, its kind one of search.filters.DOCUMENT_KINDS and its area
    a police area as indexer.vocabulary.POLICE_AREAS names it.
    """

    text: str  # the query without its constraint phrases: what retrieval should match
    filters: Filters = Filters()
    notes: tuple[str, ...] = ()  # what was understood, for the researcher: "speaker: CC"
    # The dates were read against today ("last year", "the past two years"), not named: a
    # reader may mean the records' last year, so a search may widen them (search.engine).
    dates_from_today: bool = False


# -- dates ---------------------------------------------------------------------------

_MONTHS = MONTHS  # the vocabulary's month names and abbreviations
_MONTH = MONTH_PATTERN + r"(?![a-z])"
# A year is 1990-2099 standing alone: not part of a longer number ("20245"), an amount
# ("£2019", "2,019"), a percentage, a financial year ("2022/23", "2022-23") or a decimal.
_YEAR_CORE = r"(?<![\w£$€./,:\-–])(?:199\d|20\d\d)(?![\w%/]|[.,:]\d)"
_YEAR = _YEAR_CORE + r"(?!\s*[-–]\s*\d)"  # alone, not the left side of "2019-20"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_ISO_DAY = r"(?<![\w/.\-])\d{4}-\d{2}-\d{2}(?![\w/\-])"
_UK_DAY = r"(?<![\w/.\-])\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})(?![\w/%\-])"
_ISO_MONTH = r"(?<![\w/.\-])\d{4}-\d{2}(?![\w/\-])"
_DMY = rf"(?<![\w/.\-]){_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}"
_MDY = rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}"
_MY = rf"{_MONTH},?\s+{_YEAR}"
# A point in time with a month or day in it: a date on its own, whatever surrounds it.
_STRICT = rf"(?:{_ISO_DAY}|{_UK_DAY}|{_DMY}|{_MDY}|{_MY}|{_ISO_MONTH})"
_POINT = rf"(?:{_STRICT}|{_YEAR})"
_POINT_LEFT = rf"(?:{_STRICT}|{_YEAR_CORE})"  # may be followed by "-2023" in a range
# ... and the right side may follow the hyphen of "2019-2021".
_POINT_RIGHT = (
    rf"(?:{_STRICT}|(?<![\w£$€./,:])(?:199\d|20\d\d)(?![\w%/]|[.,:]\d|\s*[-–]\s*\d))"
)

# What turns a point into a start: "2021 onwards", "from 2019 to now", "in 2019 compared with
# the years since", "between 2019 and today".
_ONWARDS = (
    r"(?:\s+(?:onwards?|and\s+(?:later|after|since)|or\s+later"
    r"|(?:(?:up\s+)?(?:to|until|till|through)|and)\s+(?:now|today|date|the\s+present(?:\s+day)?)"
    r"|compared\s+(?:with|to)\s+(?:now|today|since|(?:later|recent)\s+years"
    r"|the\s+(?:years?|period|time)\s+(?:since|after))"
    r"|and\s+(?:in\s+)?the\s+(?:years?|period|time)\s+(?:since|after)))"
)

_PREP_SEMANTICS: dict[str, str] = {
    "since": "since", "from": "since", "as of": "since", "starting": "since",
    "after": "after",
    "before": "before", "prior to": "before", "earlier than": "before",
    "until": "until", "till": "until", "up to": "until", "up until": "until",
    "through": "until",
    "in": "within", "during": "within", "within": "within", "throughout": "within",
    "at": "within", "on": "within", "between": "within",
}
_PREP = (
    r"(?:since|from|as\s+of|starting|after|before|prior\s+to|earlier\s+than|until|till"
    r"|up\s+(?:to|until)|through|in|during|within|throughout|at|on|between)"
)
_RANGE_PREP = r"(?:between|from|in|during|within|throughout)"
_RANGE_SEP = r"(?:\s*[-–—]\s*|\s+(?:to|until|till|through|thru|and|&)\s+)"

# Plural nouns that may follow a bare year in a date phrase ("in 2023 meetings"); any other
# plural there makes the number a count ("in 2000 cases", "at 2023 prices").
_DATE_FOLLOWERS = frozenset(
    "meetings minutes notes reports boards panels decisions papers agendas onwards "
    "records documents sessions".split()
)
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}

_RE_RANGE = re.compile(
    rf"\b(?P<prep>{_RANGE_PREP})\s+(?P<a>{_POINT_LEFT}){_RANGE_SEP}(?P<b>{_POINT_RIGHT})",
    re.IGNORECASE,
)
_RE_BARE_RANGE = re.compile(
    rf"(?P<a>{_POINT_LEFT})(?:\s+(?:to|until|till|through)\s+)(?P<b>{_POINT})"
    rf"|(?P<ya>{_YEAR})\s+(?:and|&)\s+(?P<yb>{_YEAR})",
    re.IGNORECASE,
)
_RE_PREP = re.compile(
    rf"\b(?P<prep>{_PREP})\s+(?P<a>{_POINT})(?P<onwards>{_ONWARDS})?", re.IGNORECASE
)
# "pre-2020", "post 2019": the hyphen would hide the year from _YEAR's look-behind.
_RE_AFFIX = re.compile(
    r"\b(?P<affix>pre|post)[\s-](?P<a>199\d|20\d\d)(?![\w%/]|[.,:]\d|\s*[-–]\s*\d)",
    re.IGNORECASE,
)
_RE_BARE = re.compile(
    rf"(?P<a>{_STRICT}|{_YEAR}(?={_ONWARDS}))(?P<onwards>{_ONWARDS})?", re.IGNORECASE
)
_RE_RELATIVE = re.compile(
    r"\b(?:(?:in|during|over|within|for|throughout)\s+)?(?P<the>the\s+)?"
    r"(?P<which>last|past|previous|preceding)\s+"
    r"(?:(?P<n>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+)?"
    r"(?P<unit>years?|months?)\b(?!['’]s)"
    r"|\b(?:(?:so\s+far\s+)?(?:in\s+|during\s+)?)this\s+(?P<this>year|month)\b(?!['’]s)",
    re.IGNORECASE,
)

Period = tuple[date, date]


def _year_period(year: int) -> Period:
    return date(year, 1, 1), date(year, 12, 31)


def _month_period(year: int, month: int) -> Period:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _two_digit_year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _parse_point(text: str) -> Period | None:
    """The period a matched date phrase covers, or None when it is not a real date."""
    t = " ".join(text.lower().replace(",", " ").replace(".", " ").split())
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t):
            d = date(int(m[1]), int(m[2]), int(m[3]))
            return d, d
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", t):
            d = date(_two_digit_year(m[3]), int(m[2]), int(m[1]))  # UK order: day first
            return d, d
        if m := re.fullmatch(r"(\d{4})-(\d{2})", t):
            year, month = int(m[1]), int(m[2])
            if month == (year + 1) % 100:  # "2011-12" is a financial year, not December
                return None
            return _month_period(year, month)
        if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+) (\d{4})", t):
            d = date(int(m[3]), _MONTHS[m[2][:3]], int(m[1]))
            return d, d
        if m := re.fullmatch(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)? (\d{4})", t):
            d = date(int(m[3]), _MONTHS[m[1][:3]], int(m[2]))
            return d, d
        if m := re.fullmatch(r"([a-z]+) (\d{4})", t):
            return _month_period(int(m[2]), _MONTHS[m[1][:3]])
        if m := re.fullmatch(r"\d{4}", t):
            return _year_period(int(t))
    except (ValueError, KeyError):  # 31 February, month 13
        return None
    return None


def _is_count(text: str, end: int) -> bool:
    """Whether the bare year ending at `end` is really a count: "in 2000 cases"."""
    m = re.match(r"\s+([a-z]+s)\b", text[end:])
    return bool(m) and m[1] not in _DATE_FOLLOWERS and len(m[1]) > 3


@dataclass(frozen=True)
class _DateHit:
    start: int
    end: int
    since: date | None
    until: date | None
    from_today: bool = False  # "last year", "the past 12 months": relative to today


def _apply(semantics: str, period: Period) -> tuple[date | None, date | None]:
    first, last = period
    if semantics == "since":
        return first, None
    if semantics == "after":
        return last + timedelta(days=1), None
    if semantics == "before":
        return None, first - timedelta(days=1)
    if semantics == "until":
        return None, last
    return first, last


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _relative(m: re.Match[str], today: date) -> tuple[date | None, date | None]:
    if m["this"]:
        if m["this"].lower() == "year":
            return _year_period(today.year)
        return _month_period(today.year, today.month)
    unit = m["unit"].lower().rstrip("s")
    which = m["which"].lower()
    n_text = (m["n"] or "").lower()
    n = int(n_text) if n_text.isdigit() else _NUMBER_WORDS.get(n_text, 1)
    # "last year" and "the previous month" are calendar periods; "the last year", "the past
    # 2 years" and "past year" are rolling, ending today.
    rolling = bool(m["n"]) or which == "past" or (bool(m["the"]) and which == "last")
    if not rolling:
        if unit == "year":
            return _year_period(today.year - 1)
        previous = _add_months(today.replace(day=1), -1)
        return _month_period(previous.year, previous.month)
    months = 12 * n if unit == "year" else n
    return _add_months(today, -months), today


def _find_dates(text: str, today: date) -> list[_DateHit]:
    """Every date phrase in `text`, earliest pattern first, never overlapping."""
    hits: list[_DateHit] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(start: int, end: int, since: date | None, until: date | None, from_today: bool = False) -> None:
        taken.append((start, end))
        hits.append(_DateHit(start, end, since, until, from_today))

    for m in _RE_RANGE.finditer(text):
        a, b = _parse_point(m["a"]), _parse_point(m["b"])
        if a is None or b is None or not free(m.start(), m.end()):
            continue
        sep = text[m.end("a"):m.start("b")].strip()
        if sep in "-–—" and re.fullmatch(r"\d{4}", m["a"]) and re.fullmatch(r"\d{4}", m["b"]):
            if int(m["b"]) == int(m["a"]) + 1:  # "2019-2020": a financial year, a topic
                continue
        first, last = sorted((a, b))
        add(m.start(), m.end(), first[0], last[1])
    for m in _RE_BARE_RANGE.finditer(text):
        a_text, b_text = (m["a"], m["b"]) if m["a"] else (m["ya"], m["yb"])
        a, b = _parse_point(a_text), _parse_point(b_text)
        if a is None or b is None or not free(m.start(), m.end()):
            continue
        start = m.start()
        # "in 2024 and 2025": take the preposition with the pair.
        before = re.search(r"\b(?:in|during|within|throughout)\s+$", text[:start], re.IGNORECASE)
        if before:
            start = before.start()
        first, last = sorted((a, b))
        add(start, m.end(), first[0], last[1])
    for m in _RE_PREP.finditer(text):
        period = _parse_point(m["a"])
        if period is None or not free(m.start(), m.end()):
            continue
        if re.fullmatch(r"\d{4}", m["a"]) and not m["onwards"] and _is_count(text, m.end()):
            continue
        semantics = _PREP_SEMANTICS[" ".join(m["prep"].lower().split())]
        if m["onwards"]:
            semantics = "since"
        add(m.start(), m.end(), *_apply(semantics, period))
    for m in _RE_AFFIX.finditer(text):
        period = _parse_point(m["a"])
        if period is not None and free(m.start(), m.end()):
            semantics = "before" if m["affix"].lower() == "pre" else "after"
            add(m.start(), m.end(), *_apply(semantics, period))
    for m in _RE_BARE.finditer(text):
        period = _parse_point(m["a"])
        if period is None or not free(m.start(), m.end()):
            continue
        add(m.start(), m.end(), *_apply("since" if m["onwards"] else "within", period))
    for m in _RE_RELATIVE.finditer(text):
        if free(m.start(), m.end()):
            add(m.start(), m.end(), *_relative(m, today), from_today=True)
    return sorted(hits, key=lambda h: h.start)


# -- kinds ---------------------------------------------------------------------------

_OWNER = (
    r"(?:panel|board|pcc['’]?s?|commissioner['’]?s?|opcc|meeting"
    r"|performance\s+(?:and|&)\s+delivery\s+board)"
)
_RE_KIND_PHRASE = re.compile(
    rf"\b(?:in|from|within|across|according\s+to)\s+"
    rf"(?P<det>(?:the|a|an|any|all|its|their)\s+)?(?:(?P<owner>{_OWNER})\s+)?"
    r"(?P<kind>annual\s+reports?|meeting\s+notes|board\s+notes|minutes|notes|reports?"
    r"|decision\s+(?:records?|notices?)|records?\s+of\s+decisions?|decisions?)\b",
    re.IGNORECASE,
)
_RE_KIND_BARE = re.compile(
    r"\b(?:(?:the\s+)?(?P<owner>pcc['’]?s?|commissioner['’]?s?|opcc)\s+)?"
    r"(?P<kind>annual\s+reports?|decision\s+(?:records?|notices?)|records?\s+of\s+decisions?)\b"
    r"|\b(?:the\s+)?(?:pcc|commissioner)['’]?s?\s+(?P<kind2>decisions)\b"
    r"(?:\s+(?:on|about|regarding|concerning)\b)?",
    re.IGNORECASE,
)


def _kind_of(word: str) -> str:
    word = " ".join(word.lower().split())
    if word.startswith("record"):
        return "decision"
    if word == "board notes":
        return "meeting notes"
    return canonical_kind(word)


# -- bodies --------------------------------------------------------------------------

_BODY_STOP = frozenset(
    "and the a an of last latest recent next previous meeting meetings monthly quarterly "
    "this that our its".split()
)
_HEADS = r"(?:board|panel|sub-panel|committee)"
_RE_BODY_PHRASE = re.compile(
    r"\b(?P<prep>at|in|by|to|before|of)\s+(?:(?:the|a|an|its)\s+)?"
    r"(?P<mods>(?:(?!(?:at|in|by|to|before|from|of|on|about|for|regarding|with|the|what|which)\b)"
    r"[\w&'’-]+\s+){0,5}?)"
    rf"(?P<head>{_HEADS})s?\b(?!\s+members?\b)",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("&", " and ").replace("’", "'"))


def _acronyms(body: str) -> set[str]:
    """Acronyms of a body's name and of its trailing words: "KMPCP", "MPCP", "PCP"."""
    initials = [w[0] for w in _words(body) if w not in _BODY_STOP]
    return {"".join(initials[i:]).upper() for i in range(len(initials) - 2)}


def _flexible(phrase: str) -> str:
    """A phrase as a regex that accepts "&" for "and" and any white space between words."""
    words = phrase.replace("&", " and ").split()
    return r"\s+".join(r"(?:and|&)" if w.lower() == "and" else re.escape(w) for w in words)


# -- speakers ------------------------------------------------------------------------

def _verb_forms(base: str) -> list[str]:
    irregular = {
        "say": ["say", "says", "said", "saying"],
        "tell": ["tell", "tells", "told", "telling"],
        "seek": ["seek", "seeks", "sought", "seeking"],
        "speak": ["speak", "speaks", "spoke", "spoken", "speaking"],
        "admit": ["admit", "admits", "admitted", "admitting"],
        "commit": ["commit", "commits", "committed", "committing"],
        "think": ["think", "thinks", "thought", "thinking"],
        "write": ["write", "writes", "wrote", "written", "writing"],
    }
    if base in irregular:
        return irregular[base]
    if base.endswith("y") and base[-2] not in "aeiou":
        return [base, base[:-1] + "ies", base[:-1] + "ied", base + "ing"]
    if base.endswith("e"):
        return [base, base + "s", base + "d", base[:-1] + "ing"]
    third = base + ("es" if base.endswith(("s", "sh", "ch", "x")) else "s")
    return [base, third, base + "ed", base + "ing"]


_SPEECH_VERBS = (
    "say tell ask report state mention raise note comment explain highlight advise confirm "
    "question query respond answer update discuss argue claim acknowledge reply seek "
    "challenge promise announce describe emphasise emphasize stress express outline inform "
    "suggest propose warn indicate reveal admit accept agree recommend request welcome "
    "praise commend criticise criticize concede reassure assure insist add reiterate speak "
    "talk present brief share commit think write cite caution clarify offer pledge undertake "
    "decide approve"
).split()
_BASES = sorted(set(_SPEECH_VERBS), key=len, reverse=True)
_ALL_FORMS = sorted({f for b in _SPEECH_VERBS for f in _verb_forms(b)}, key=len, reverse=True)
_FINITE = sorted(set(_ALL_FORMS) - set(_BASES), key=len, reverse=True)
_PAST = sorted(
    {f for b in _SPEECH_VERBS for f in _verb_forms(b)[2:] if not f.endswith("ing")} - set(_BASES),
    key=len, reverse=True,
)
_VERB_ANY = r"(?:" + "|".join(_ALL_FORMS) + r")\b"
_VERB_FINITE = r"(?:" + "|".join(_FINITE) + r")\b"
_VERB_BASE = r"(?:" + "|".join(_BASES) + r")\b"
_VERB_PAST = r"(?:" + "|".join(_PAST) + r")\b"
_ABOUT = (
    r"(?:about|on|regarding|concerning|re:?|around|in\s+relation\s+to|in\s+respect\s+of"
    r"|with\s+regards?\s+to|relating\s+to)\b"
)
_OBJECT = r"(?:(?:the|a|an|any|some)\s+)?[\w’'-]+"
_ADVERB = (
    r"(?:ever|previously|already|recently|publicly|actually|specifically|also|then|further"
    r"|again|not|never|first|last|have|has|had|been|was|were)"
)
# Nouns that make an office a topic, not a speaker: "has the PCC budget risen".
_TOPIC_NOUNS = (
    r"(?:budget|budgets|funding|fund|funds|precept|grant|grants|appointment|recruitment|office"
    r"|plan|strategy|election|salary|pay|team|estate|reserves|commissioning|review|process"
    r"|role|post|vacancy|accountability|priorities|group|board|panel|decision|decisions)\b"
)
# A speech verb after the speaker, with what may stand between: "has the CC (not) (ever)
# said", "did the DCC have to say".
_SPEECH = rf"(?:{_ADVERB}\s+){{0,2}}(?:(?:have|has|had)\s+to\s+)?{_VERB_ANY}"
_CAP = r"(?-i:[A-Z])"
_HONORIFIC_NAME = rf"(?:{HONORIFIC_PATTERN}\s+)+(?:{_CAP}\.?\s+){{0,3}}{_CAP}[\w'’-]+(?:\s+{_CAP}[\w'’-]+)?"
# "members of the public" and "a member of staff" are not the panel's Members.
_ROLE_REF = (
    rf"(?:(?:the|a|an|our)\s+)?(?:(?:acting|temporary|interim)\s+)?(?:{role_pattern()})"
    r"(?!\s+of\s+(?:the\s+)?(?:public|community|communities|staff|parliament|society)\b)"
)


def _names_pattern(known_names: Sequence[str]) -> str:
    """Known full names, surnames unique among them, and anyone typed with a title."""
    names = {" ".join(n.split()) for n in known_names if n and len(n.strip()) > 1}
    surnames: dict[str, set[str]] = {}
    for n in names:
        tokens = name_tokens(n)
        if tokens:
            surnames.setdefault(tokens[-1], set()).add(" ".join(tokens))
    unique = [
        s for s, people in surnames.items()
        if len(people) == 1 and len(s) > 2 and canonical_role(s) is None
    ]
    alternatives = sorted(names | set(unique), key=len, reverse=True)
    parts = [_HONORIFIC_NAME]
    if alternatives:
        parts.insert(0, rf"(?<![\w])(?:{'|'.join(_flexible(a) for a in alternatives)})(?![\w])")
    return "(?:" + "|".join(parts) + ")"


@dataclass(frozen=True)
class _SpeakerPatterns:
    ref: re.Pattern[str]  # one reference, with groups: name | role
    phrases: tuple[re.Pattern[str], ...]  # in order of precedence


@lru_cache(maxsize=16)  # compiling these takes milliseconds; the names rarely change
def _speaker_patterns(known_names: tuple[str, ...]) -> _SpeakerPatterns:
    names = _names_pattern(known_names)
    ref = rf"(?:(?:{_ROLE_REF})\s+)?{names}|{_ROLE_REF}"
    refs = rf"(?:{ref})(?:\s*(?:,|\band\b|\bor\b|&)\s*(?:{ref}))*"
    not_topic = rf"(?!['’]s\b)(?!\s+{_TOPIC_NOUNS})"
    flags = re.IGNORECASE
    phrases = (
        # "what did the CC say about", "has the PCC raised", "did Members ask"
        re.compile(
            rf"\b(?:(?:what|which)\s+)?(?:did|does|do|has|have|had)\s+(?:not\s+)?"
            rf"(?P<refs>{refs}){not_topic}"
            # The verb goes with the speaker when "about" follows or nothing does. Some other
            # verb makes the office an actor, not a speaker: "how much did the commissioner
            # hand out", "has the PCC visited the control room".
            rf"(?:\s+{_SPEECH}(?:(?:\s+{_OBJECT})?\s+{_ABOUT}|(?=\s*[?.!]*\s*$))"
            rf"|(?=\s+{_SPEECH})|(?=\s*[?.!]*\s*$)|\s+{_ABOUT})",
            flags,
        ),
        # "what was said by the Commissioner about"
        re.compile(
            rf"(?:\b(?:(?:what|which)\s+)?(?:was|were|has\s+been|have\s+been|had\s+been)\s+)?"
            rf"\b{_VERB_PAST}\s+by\s+(?P<refs>{refs})(?:\s+{_ABOUT})?",
            flags,
        ),
        # "the CC's comments on"
        re.compile(
            rf"(?<![\w’'])(?P<refs>{ref})['’]s?\s+(?:comments?|views?|remarks?|statements?"
            r"|responses?|answers?|replies|reply|questions?|concerns?|words|position"
            rf"|explanations?|assurances?|updates?)\b(?:\s+{_ABOUT})?",
            flags,
        ),
        # "according to the PCC"
        re.compile(rf"\baccording\s+to\s+(?P<refs>{refs})", flags),
        # "the PCC asked about", "Tim Smith said", "the PCC ask about"
        re.compile(
            rf"(?<![\w’'])(?P<refs>{refs}){not_topic}\s+(?:{_ADVERB}\s+){{0,2}}"
            rf"(?:{_VERB_FINITE}(?:(?:\s+{_OBJECT})?\s+{_ABOUT})?"
            rf"|{_VERB_BASE}(?:\s+{_OBJECT})?\s+{_ABOUT})",
            flags,
        ),
        # "PCC on precept", "CC: 101 calls" at the start of a keyword query
        re.compile(rf"^\s*(?P<refs>{refs})\s*(?::|\s(?:on|about|re)\b:?)", flags),
    )
    # An office before a name ("Chief Constable Tim Smith") is one reference: the person.
    single = rf"(?:(?:{_ROLE_REF})\s+)?(?P<name>{names})|(?P<role>{_ROLE_REF})"
    return _SpeakerPatterns(re.compile(single, flags), phrases)


def _ref_values(refs: str, patterns: _SpeakerPatterns) -> list[str]:
    """The speakers in a matched list of references: canonical roles, or names as typed."""
    values: list[str] = []
    for m in patterns.ref.finditer(refs):
        if m["name"]:
            value = " ".join(m["name"].split())
        else:
            value = canonical_role(m["role"]) or " ".join(m["role"].split())
        if value not in values:
            values.append(value)
    return values


# -- the whole query -----------------------------------------------------------------

def _remove(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        out.append(text[last:start])
        out.append(" ")
        last = max(last, end)
    out.append(text[last:])
    return " ".join("".join(out).split())


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([?!.,;:])", r"\1", " ".join(text.split()))
    return text.strip(" ,;:-–—").rstrip("?!. ").strip(" ,;:-–—")


# A numeric date after a date word ("since 2023-13-45"): one that is not a real date is an
# error to report, not words to search for.
_RE_NUMERIC_DATE = re.compile(
    rf"\b{_PREP}\s+(?P<d>\d{{4}}-\d{{1,2}}(?:-\d{{1,2}})?|\d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}}))(?![\w/-])",
    re.IGNORECASE,
)


def _check_numeric_dates(text: str) -> None:
    for m in _RE_NUMERIC_DATE.finditer(text):
        d = m["d"]
        if re.fullmatch(r"(\d{4})-(\d{2})", d) and int(d[5:]) == (int(d[:4]) + 1) % 100:
            continue  # "2023-24", a financial year
        padded = re.sub(r"^(\d{4})-(\d)(?=-|$)", r"\1-0\2", d)
        padded = re.sub(r"^(\d{4}-\d{2})-(\d)$", r"\1-0\2", padded)
        if _parse_point(padded) is None:
            raise QueryError(
                f"dates: {m.group(0).strip()!r} is not a real date; write it as YYYY-MM-DD, YYYY-MM or YYYY"
            )


def _dates(text: str, today: date) -> tuple[str, date | None, date | None, list[str], bool]:
    _check_numeric_dates(text)
    hits = _find_dates(text, today)
    if not hits:
        return text, None, None, [], False
    sinces = [h.since for h in hits if h.since is not None]
    untils = [h.until for h in hits if h.until is not None]
    since = max(sinces) if sinces else None  # several phrases narrow each other
    until = min(untils) if untils else None
    notes = []
    if since is not None:
        notes.append(f"since {since.isoformat()}")
    if until is not None:
        notes.append(f"until {until.isoformat()}")
    from_today = all(h.from_today for h in hits)
    return _remove(text, [(h.start, h.end) for h in hits]), since, until, notes, from_today


def _kinds(text: str) -> tuple[str, str | None, str | None, list[str]]:
    found: list[tuple[int, int, str, str | None]] = []
    for m in _RE_KIND_PHRASE.finditer(text):
        word = " ".join(m["kind"].lower().split())
        if word in ("minutes", "notes") and not (m["det"] or m["owner"]):
            continue  # "answered in minutes" is a duration, not a document
        owner = (m["owner"] or "").lower()
        hint = None  # "the panel minutes", "the board notes" also name a body
        if "board" in owner or word == "board notes":
            hint = "board"
        elif owner == "panel":
            hint = "panel"
        found.append((m.start(), m.end(), _kind_of(word), hint))
    for m in _RE_KIND_BARE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e, _, _ in found):
            continue
        found.append((m.start(), m.end(), _kind_of(m["kind"] or m["kind2"]), None))
    kinds = sorted({k for _, _, k, _ in found})
    if not kinds:
        return text, None, None, []
    if len(kinds) > 1:
        note = f"kind: several named ({', '.join(kinds)}); not filtering by kind"
        return text, None, None, [note]
    hints = [h for _, _, _, h in found if h]
    return (
        _remove(text, [(s, e) for s, e, _, _ in found]),
        kinds[0],
        hints[0] if hints else None,
        [f"kind: {kinds[0]}"],
    )


def _fitting_bodies(words: Sequence[str], known_bodies: Sequence[str]) -> list[str]:
    wanted = {w for w in words if w not in _BODY_STOP}
    return [b for b in known_bodies if wanted <= set(_words(b))]


def _bodies(
    text: str, known_bodies: Sequence[str], hint: str | None
) -> tuple[str, str | None, list[str]]:
    bodies = [b for b in dict.fromkeys(" ".join(b.split()) for b in known_bodies) if b]
    if not bodies:
        return text, None, []
    prefix = r"(?:\b(?:at|in|by|to|before|from|of|for)\s+)?(?:the\s+)?"
    for body in sorted(bodies, key=len, reverse=True):  # the full name, anywhere
        m = re.search(rf"{prefix}(?<![\w]){_flexible(body)}(?![\w])", text, re.IGNORECASE)
        if m:
            return _remove(text, [m.span()]), body, [f"body: {body}"]
    for m in _RE_BODY_PHRASE.finditer(text):
        words = _words(m["mods"]) + [m["head"].lower().replace("sub-panel", "panel")]
        fits = _fitting_bodies(words, bodies)
        if len(fits) == 1:
            return _remove(text, [m.span()]), fits[0], [f"body: {fits[0]}"]
        if len(fits) > 1:
            note = f"body: '{m.group().strip()}' fits several ({'; '.join(fits)}); not filtering by body"
            return text, None, [note]
    for m in re.finditer(r"(?:\b(?:at|in|by|to|before|of)\s+)?(?:the\s+)?\b([A-Z]{3,6})\b", text):
        if canonical_role(m[1]) is not None:
            continue
        fits = [b for b in bodies if m[1] in _acronyms(b)]
        if len(fits) == 1:
            return _remove(text, [m.span()]), fits[0], [f"body: {fits[0]}"]
    if hint is not None:
        fits = _fitting_bodies([hint], bodies)
        if len(fits) == 1:
            return text, fits[0], [f"body: {fits[0]}"]
    return text, None, []


# -- areas ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _area_re() -> re.Pattern[str]:
    names = sorted({n for area, aliases in POLICE_AREAS.items() for n in (area, *aliases)}, key=len, reverse=True)
    area = "|".join(
        re.escape(n).replace(r"\ and\ ", r"\s+(?:and|&)\s+").replace(r"\ ", r"[\s-]+") for n in names
    )
    # "in Sussex", "across Sussex", "Sussex's" (the owner of an office that follows), "Sussex
    # Police": the words that say where, removed with the area.
    return re.compile(
        rf"(?:\b(?:in|at|for|across|from|within|throughout|of|by)\s+)?(?:the\s+)?(?<![\w-])(?P<area>{area})(?![\w-])"
        r"(?:['’]s\b|\s+(?:police|constabulary|force|area)\b(?!\s+(?:and|&)\s+crime))?",
        re.IGNORECASE,
    )


def _areas(text: str, known_areas: Sequence[str]) -> tuple[str, str | None, list[str]]:
    hits = [(m.span(), find_area(m["area"])) for m in _area_re().finditer(text)]
    found = list(dict.fromkeys(area for _, area in hits if area))
    if not found:
        return text, None, []
    if len(found) > 1:
        return text, None, [f"area: several named ({', '.join(found)}); not filtering by area"]
    known = set(known_areas)
    if found[0] not in known:
        return text, None, [f"area: no records from {found[0]} in the index; not filtering by area"] if known else []
    if len(known) < 2:
        return text, None, []  # one area in the records: nothing to choose between
    return _remove(text, [span for span, _ in hits]), found[0], [f"area: {found[0]}"]


# A clause that only sets the scene for the question's own subject: "what did the OPCC
# undertake after the Chief Constable reported on 101" asks what the OPCC did, so the CC
# there is no speaker. Only where a main clause with its own subject comes before it.
_SUBORDINATE_BEFORE = re.compile(
    r"\b(?:after|before|once|following|because|since|until|although|though|when|while"
    r"|whereas)\s+$",
    re.IGNORECASE,
)
_MAIN_CLAUSE = re.compile(
    r"\b(?:did|does|do|has|have|had|will|would|was|were|is|are)\s+(?:not\s+)?[\w’'-]+",
    re.IGNORECASE,
)


# An office named after "and" or "or" whose partner the reader does not know as a speaker:
# "what did the police and the commissioner say about …" asks after both, so filtering on
# the commissioner alone would drop what the police said.
_JOINED_BEFORE = re.compile(r"\b(?:and|or)\s+$|&\s*$", re.IGNORECASE)


def _in_subordinate_clause(text: str, start: int) -> bool:
    before = text[:start]
    return bool(_SUBORDINATE_BEFORE.search(before)) and bool(_MAIN_CLAUSE.search(before))


def _speakers(text: str, known_names: Sequence[str]) -> tuple[str, str | None, list[str]]:
    patterns = _speaker_patterns(tuple(known_names))
    spans: list[tuple[int, int]] = []
    values: list[str] = []
    for pattern in patterns.phrases:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in spans):
                continue
            if _in_subordinate_clause(text, m.start()):
                continue
            if _JOINED_BEFORE.search(text[: m.start()]):
                return text, None, [
                    f"speaker: {', '.join(_ref_values(m['refs'], patterns))} named with others; "
                    "not filtering by speaker - choose one with the speaker filter"
                ]
            spans.append(m.span())
            values.extend(v for v in _ref_values(m["refs"], patterns) if v not in values)
    if not values:
        return text, None, []
    if len(values) > 1:
        return text, None, [
            f"speaker: several named ({', '.join(values)}); not filtering by speaker - "
            "choose one with the speaker filter"
        ]
    return _remove(text, spans), values[0], [f"speaker: {values[0]}"]


def understand(
    query: str,
    *,
    known_names: Sequence[str] = (),
    known_bodies: Sequence[str] = (),
    known_areas: Sequence[str] = (),
    today: date | None = None,
) -> Understood:
    """The topic words of `query` and the constraints phrased in it (see the module docstring).

    `known_names` are speakers' names in the index, `known_bodies` its bodies, `known_areas`
    its police areas; `today` anchors "last year" and the like. An empty or unreadable query
    is understood as itself with no constraints; an impossible date typed in it ("since
    2023-13-45") raises QueryError naming it.
    """
    today = today or date.today()
    text = " ".join(query.split())
    text, since, until, date_notes, from_today = _dates(text, today)
    text, kind, body_hint, kind_notes = _kinds(text)
    text, body, body_notes = _bodies(text, known_bodies, body_hint)
    text, area, area_notes = _areas(text, known_areas)
    if body is None and area is not None and any(n.startswith("body:") for n in body_notes):
        # "the Panel" fits several panels, but only one of them is in the area named.
        local = [b for b in known_bodies if find_area(b) == area]
        text_local, body_local, notes_local = _bodies(text, local, body_hint)
        if body_local is not None:
            text, body, body_notes = text_local, body_local, notes_local
    text, speaker, speaker_notes = _speakers(text, known_names)
    notes = speaker_notes + date_notes + body_notes + kind_notes + area_notes
    if since is not None and until is not None and since > until:
        # Read wrongly or contradictory: search without a date rather than match nothing
        # (Filters refuses a since after until).
        since = until = None
        notes = [n for n in notes if not n.startswith(("since", "until"))]
        notes.append("dates in the question contradict each other: ignored")
    return Understood(
        text=_tidy(text),
        filters=Filters(speaker=speaker, since=since, until=until, body=body, kind=kind, area=area),
        notes=tuple(notes),
        dates_from_today=from_today and (since is not None or until is not None),
    )


# -- explicit filters ----------------------------------------------------------------

_DATE_FORMAT = "use YYYY-MM-DD (e.g. 2019-01-01), or YYYY-MM or YYYY"


def parse_date(field: str, value: date | str, *, end: bool = False) -> date:
    """A date typed in a filter: a date, "YYYY-MM-DD", "YYYY-MM" or "YYYY".

    A month or year means its first day, or its last with `end` (for "until"). Raises
    QueryError naming `field` and the expected format.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            first, last = _month_period(int(m[1]), int(m[2]))
            return last if end else first
        if re.fullmatch(r"\d{4}", text):
            first, last = _year_period(int(text))
            return last if end else first
    except ValueError:
        pass
    raise QueryError(f"{field}: {value!r} is not a date; {_DATE_FORMAT}")


def typed_filters(**typed: str | date | None) -> Filters:
    """Filters from values typed in filter fields (command-line options, form boxes, batch
    lines), named as Filters' fields. Empty values count as not given; dates are read by
    `parse_date`, a month or year meaning its last day where PERIOD_ENDS says so ("until").
    Raises QueryError for a bad value or for since after until.
    """
    values: dict[str, object] = {}
    for f in fields(Filters):
        value = typed.pop(f.name, None)
        if value is None or not str(value).strip():
            continue
        if f.name in PERIOD_ENDS:
            value = parse_date(f.name, value, end=PERIOD_ENDS[f.name])
        values[f.name] = value
    if typed:
        raise TypeError(f"not a filter: {', '.join(sorted(typed))}")
    return Filters(**values)  # type: ignore[arg-type]


def merge(understood: Understood, explicit: Filters) -> Understood:
    """`understood` with explicit filters applied: each one given wins over the query's.

    Raises QueryError when the result has since after until.
    """
    given = explicit.given()
    if not given:
        return understood
    filters = replace(understood.filters, **given)  # type: ignore[arg-type]
    # Notes about a field that is now explicit are replaced by one saying so.
    kept = [
        n for n in understood.notes
        if not any(n.startswith(f) for f in given)
        and not (n.startswith("dates:") and any(f in given for f in PERIOD_ENDS))
    ]
    for field_name, value in given.items():
        shown = value.isoformat() if isinstance(value, date) else value
        sep = " " if field_name in PERIOD_ENDS else ": "
        kept.append(f"{field_name}{sep}{shown} (explicit)")
    explicit_dates = any(f in given for f in PERIOD_ENDS)
    return replace(understood, filters=filters, notes=tuple(kept),
                   dates_from_today=understood.dates_from_today and not explicit_dates)


# -- the person spoken to -----------------------------------------------------------------


@lru_cache(maxsize=1)
def _addressee_res() -> tuple[re.Pattern[str], ...]:
    from indexer.vocabulary import ADDRESSEE_VERBS, ADDRESSEE_VERBS_PRESENT

    role = rf"(?P<who>(?:the\s+)?(?P<role>{role_pattern()}))"

    def verbs(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in sorted(words, key=len, reverse=True))

    past, present = verbs(ADDRESSEE_VERBS), verbs(ADDRESSEE_VERBS_PRESENT)
    return (
        # "what was the PCC told about", "has the Commissioner been briefed on"
        re.compile(rf"\b(?:was|were|has|have|had|is|been|being|get|got)\s+{role}\s+(?:been\s+)?(?:{past})\b", re.I),
        # "what did the CC tell the PCC", "answers given to the PCC", "reported to the Commissioner"
        re.compile(rf"\b(?:{present}|{past}|said|given|answers?|replies|responses?)\s+(?:to\s+)?{role}(?=\s+(?:about|on|of|regarding|that|when|at|in)\b|\s*[?.]?$)", re.I),
    )


def addressee(query: str) -> tuple[str | None, str]:
    """The office a question asks what was said *to* ("what was the PCC told about 101
    calls" → PCC), and the question without that phrase, so the office is not read as the
    speaker. (None, query) when the question names no one spoken to."""
    for pattern in _addressee_res():
        m = pattern.search(query)
        if m:
            role = canonical_role(m.group("role"))
            if role:
                rest = (query[: m.start("who")] + query[m.end("who") :]) if pattern is _addressee_res()[1] else (
                    query[: m.start()] + " " + query[m.end() :])
                return role, " ".join(rest.split())
    return None, query


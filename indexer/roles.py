"""The offices that speak in police-and-crime governance records, and every way they are written.

One table serves both sides of the index: the parser uses `role_pattern()` to find who is
speaking ("the CC advised…", "The Commissioner explained…"), and search uses `canonical_role()`
to turn what a researcher types ("the Chief Constable") into the abbreviation stored on each
passage ("CC"). Keeping both on one table is what makes "PCC" find the panel minutes' "the
Commissioner": they are aliases of the same office, so they share one abbreviation.

Titles are not roles: "Cllr", "Mr", "Mrs" say how a person is addressed, not which office they
hold, so they are not here (a councillor on the panel is a Member).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from indexer.errors import QueryError
from indexer.vocabulary import POLICE_AREAS


@dataclass(frozen=True)
class Role:
    """One office: the abbreviation stored on passages, its full title, and other spellings."""

    abbreviation: str  # canonical: what Speaker.role and Attendee.role hold
    title: str  # the full title, for display
    aliases: tuple[str, ...] = ()  # other ways the records write it (the title is implied)

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling: abbreviation, title and aliases, without duplicates."""
        seen: dict[str, None] = {}
        for name in (self.abbreviation, self.title, *self.aliases):
            seen.setdefault(name, None)
        return tuple(seen)


ROLES: tuple[Role, ...] = (
    # Office of the Police and Crime Commissioner. Board notes write "the PCC"; panel minutes
    # write "the Commissioner" and "Mr M Scott (Kent Police and Crime Commissioner)". Where the
    # commissioner also governs the fire service the office is the PFCC: the same office here.
    # The area before or after a title ("Sussex PCC", "… for Essex") is read by `canonical_role`
    # and `role_pattern` from the vocabulary's list of areas, not spelled out per area.
    Role("PCC", "Police and Crime Commissioner", (
        "Commissioner", "PFCC", "Police, Fire and Crime Commissioner",
    )),
    Role("DPCC", "Deputy Police and Crime Commissioner", (
        "Deputy Commissioner", "Deputy PCC", "DPFCC", "Deputy Police, Fire and Crime Commissioner",
    )),
    # The OPCC's Chief Executive is also its Head of Paid Service and, in Kent, its Monitoring
    # Officer; the panel minutes name the latter separately, so it keeps its own entry below.
    Role("CE", "Chief Executive", (
        "CEO", "Chief Executive Officer", "PCC's Chief Executive", "OPCC Chief Executive",
        "Commissioner's Chief Executive", "Head of Paid Service",
    )),
    Role("DCE", "Deputy Chief Executive", ("PCC's Deputy Chief Executive",)),
    # The PCC's statutory finance officer (s.151 of the Local Government Act 1972).
    Role("CFO", "Chief Finance Officer", (
        "Chief Financial Officer", "PCC's Chief Finance Officer", "OPCC Chief Finance Officer",
        "Commissioner's Chief Finance Officer", "Section 151 Officer", "S151 Officer",
    )),
    Role("Monitoring Officer", "Monitoring Officer", ("PCC's Monitoring Officer",)),
    Role("Head of Policy", "Head of Policy Coordination and Research", (
        "Head of Policy", "Head of Policy and Research", "PCC's Head of Policy",
        "PCC's Head of Policy Coordination and Research",
    )),
    # The force's chief officers.
    Role("CC", "Chief Constable", ()),
    Role("DCC", "Deputy Chief Constable", ()),
    Role("ACC", "Assistant Chief Constable", ("T/ACC", "Temporary Assistant Chief Constable")),
    Role("DCO", "Deputy Chief Officer", ()),
    Role("Director of Finance", "Director of Finance", ("Force Director of Finance",)),
    # Ranks below chief officer that present papers to the board.
    Role("Ch Supt", "Chief Superintendent", (
        "Chief Supt", "C/Supt", "Det Ch Supt", "Detective Chief Superintendent",
    )),
    Role("Supt", "Superintendent", ("Det Supt", "Detective Superintendent")),
    Role("Ch Insp", "Chief Inspector", ("DCI", "Detective Chief Inspector")),
    # The Police and Crime Panel and its officers (a host council supports the panel).
    Role("Chair", "Chair", ("Chairman", "Chairwoman", "Chairperson", "Panel Chair")),
    Role("Vice Chair", "Vice Chair", (
        "Vice-Chair", "Vice Chairman", "Vice-Chairman", "Vice Chairwoman", "Deputy Chair",
    )),
    # "A Member asked…" and "Members asked…" are the panel's usual way of not naming people.
    Role("Member", "Member", (
        "Panel Member", "Independent Member", "Co-opted Member", "Members", "Panel Members",
    )),
    Role("Scrutiny Research Officer", "Scrutiny Research Officer", ("Research Officer",)),
    Role("Democratic Services Officer", "Democratic Services Officer", ()),
)

# Words stripped from the front of a phrase before the lookup: articles, and the owner
# prefixes the records put before an office ("the PCC's Chief Executive", "Kent's Chief
# Constable"). "Acting"/"Temporary" make no difference to which office is meant.
_LEADING = re.compile(
    r"^(?:(?:t/|a/|(?:the|an|a|acting|temporary|interim)\b)\s*)+", re.IGNORECASE
)
# Acting and temporary holders ("A/CC", "T/DCC", "Acting Chief Constable") hold the office
# for the time being: the same office, marked acting on the roster.
ACTING_RE = re.compile(r"^\s*(?:(?:the|an?)\s+)?(?:acting|temporary|interim|[AT]\s*/)", re.IGNORECASE)


def _area_alternation() -> str:
    """Every police area's name and other names, folded as `_key` folds, longest first."""
    names = {" ".join(re.sub(r"[(),.]", " ", n.replace("&", " and ")).replace("-", " ").lower().split())
             for area, aliases in POLICE_AREAS.items() for n in (area, *aliases)}
    return "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"


_AREA_KEY = _area_alternation()
# "Kent Police Chief Constable", "Sussex's Chief Constable", "the force's CC", "PCC's Chief
# Executive": an owner before the office does not change which office it is.
_OWNERS = re.compile(
    rf"^(?:(?:{_AREA_KEY}(?:\s+(?:police|constabulary))?|the\s+force|force|opcc|pcc|commissioner|panel)(?:'s)?\s+)",
    re.IGNORECASE,
)
# The area alone, for "Essex Police, Fire and Crime Commissioner", where "Police" is the office's.
_AREA_OWNER = re.compile(rf"^{_AREA_KEY}(?:'s)?\s+", re.IGNORECASE)
# "Police and Crime Commissioner for Sussex": the area after the office.
_AREA_SUFFIX = re.compile(rf"\s+for\s+(?:the\s+)?{_AREA_KEY}$", re.IGNORECASE)


def is_acting(text: str) -> bool:
    """Whether an office as written is held for the time being: "T/DCC", "Acting Chief Constable"."""
    return ACTING_RE.match(text) is not None


def _fold(text: str) -> str:
    """Straight apostrophes, "&" as "and", hyphens and brackets as spaces; case kept."""
    text = text.replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = re.sub(r"[()\[\]{}\"“”,;:.!?]+", " ", text)  # "(PCC)", "the CC," …
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)  # "Vice-Chair" is "Vice Chair"
    return " ".join(text.split())


def _key(text: str) -> str:
    """The lookup key: `_fold` in lower case."""
    return _fold(text).lower()


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for role in ROLES:
        for name in role.names:
            key = _key(name)
            if key in table and table[key] != role.abbreviation:
                # Caught by the tests; a clash would silently send one office's words to another.
                raise AssertionError(f"role alias {name!r} is claimed twice")
            table[key] = role.abbreviation
    return table


@lru_cache(maxsize=65536)  # filters call this for every speaker of every passage
def canonical_role(text: str) -> str | None:
    """The abbreviation for any spelling of an office, or None when `text` names no office.

    Case-insensitive and tolerant of what surrounds an office in running text: a leading
    "the"/"a", "acting"/"temporary", a possessive ("the PCC's" is the PCC), an owner prefix
    ("PCC's Chief Executive", "Kent Police Chief Constable"), "&" for "and", hyphens, and
    brackets ("(CC)"). The whole phrase must be an office: "Information Commissioner" and
    "Chief Constable appointment" are not.
    """
    table = _lookup()
    key = _key(text)
    for candidate in _candidates(key):
        if candidate in table:
            return table[candidate]
    return None


def _candidates(key: str) -> list[str]:
    """`key`, then with articles, possessive and owner prefix removed, most specific first."""
    out = [key]
    bare = _AREA_SUFFIX.sub("", _LEADING.sub("", key))
    out.append(bare)
    if bare.endswith("'s") or bare.endswith("s'"):
        out.append(bare[:-2])
    for owners in (_OWNERS, _AREA_OWNER):
        owned = owners.sub("", bare)
        if owned != bare:
            out.append(owned)
            if owned.endswith("'s"):
                out.append(owned[:-2])
    return out


def role_title(abbrev: str) -> str:
    """The full title of an office, from its abbreviation or any of its spellings.

    Raises QueryError listing the valid abbreviations when `abbrev` names no office.
    """
    canonical = canonical_role(abbrev)
    if canonical is None:
        raise QueryError(
            f"unknown role {abbrev!r}: use one of {', '.join(r.abbreviation for r in ROLES)}"
        )
    return next(r.title for r in ROLES if r.abbreviation == canonical)


def role_by_abbreviation(abbrev: str) -> Role:
    """The Role for a canonical abbreviation (or any spelling); QueryError lists the valid ones."""
    canonical = canonical_role(abbrev)
    if canonical is None:
        raise QueryError(
            f"unknown role {abbrev!r}: use one of {', '.join(r.abbreviation for r in ROLES)}"
        )
    return next(r for r in ROLES if r.abbreviation == canonical)


_OTHER_COMMISSIONERS = (
    "Information", "Victims'", "Victims’", "Victims", "Abuse", "Biometrics", "Children's",
    "Children’s", "Assistant", "Deputy", "Surveillance", "Slavery",
)


def _alias_regex(name: str) -> str:
    """One spelling as a regex that accepts the variants `_key` folds together."""
    parts = []
    for word in _fold(name).split(" "):
        if word == "and":
            parts.append(r"(?:and|&)")
        else:
            # "PCC's" may be typed with a curly apostrophe.
            parts.append(re.escape(word).replace("'", "['’]"))
    # Words may be separated by spaces, a line break or a hyphen ("Vice-Chair"), and by a
    # comma where the title lists ("Police, Fire and Crime Commissioner").
    regex = r",?[\s\-]+".join(parts)
    if name == "Commissioner":
        # Other commissioners appear in PCC records and are not the PCC.
        regex = "".join(rf"(?<!{re.escape(q)} )" for q in _OTHER_COMMISSIONERS) + regex
    return regex


@lru_cache(maxsize=1)
def role_pattern() -> str:
    """A regex alternation of every spelling of every office, longest first.

    Longest first so that "Deputy Chief Constable" wins over "Chief Constable" and "Vice
    Chairman" over "Vice Chair" when both could match at the same place. Each spelling is
    wrapped in word boundaries so "PCC" does not match inside "OPCC". The pattern has no
    capturing groups and no flags: compile it with re.IGNORECASE for typed queries, or
    without it for records, where "the CC" is always in capitals and lower-case "cc" is not
    an office. Map a match back to the office with `canonical_role(match)`.
    """
    names = sorted({n for role in ROLES for n in role.names}, key=lambda n: (-len(n), n))
    alternation = "|".join(_alias_regex(n) for n in names)
    area = _area_text_pattern()
    # An area before the office ("the Sussex Police Chief Constable", "Kent PCC") or after
    # it ("Police and Crime Commissioner for Essex") is part of the mention, and so is an
    # acting rank ("T/DCC", "A/CC", "Acting Chief Constable").
    before = rf"(?:{area}(?:['’]s)?\s+(?:(?:Police|Constabulary)\s+)?)?"
    acting = r"(?:(?:[AT]/\s?)|(?:Acting|Temporary|Interim)\s+)?"
    after = rf"(?:\s+for\s+(?:the\s+)?{area}(?![\w/]))?"
    return rf"(?<![\w/])(?:{before}{acting}(?:{alternation})(?![\w/]){after})"


@lru_cache(maxsize=1)
def _area_text_pattern() -> str:
    """Police areas as written in running text, capitalised ("Kent", "Avon & Somerset")."""
    names = sorted({n for area, aliases in POLICE_AREAS.items() for n in (area, *aliases)}, key=len, reverse=True)
    return "(?:" + "|".join(
        re.escape(n).replace(r"\ and\ ", r"\s+(?:and|&)\s+").replace(r"\ ", r"[\s-]+") for n in names
    ) + ")"

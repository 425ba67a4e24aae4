"""Who speaks in each paragraph of reported speech.

Minutes and notes report speech in the third person: "the CC reported", "Noting …, the
PCC asked … The CC advised …", "He added …", "Mr Sandher stated", "Prof Jones said", "TR
advised", "Tom Reed confirmed". A speaker is a subject followed by a verb of speech (the
vocabulary's SPEECH_VERBS); "he/she" is the last speaker named.

Each kind of subject has its own small reader, tried in order (`MENTION_READERS`): an office,
a person with a title, the initials the roster gives, a full name on the roster. A person
is matched to the roster by the first of `PERSON_MATCHERS` that finds exactly one present
attendee: the full name, then initial and surname, then surname alone. Roles are resolved
to names through the meeting's roster only; a role with no holder present keeps its role and
no name, because a wrong name is worse than none. Someone who sent apologies is named for
nothing said at that meeting, and an office named with another area ("the Essex PFCC" in
Kent's minutes) is never given the local holder's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from indexer.records import Attendee, Speaker
from indexer.roles import canonical_role, role_pattern
from indexer.roster import initials_of
from indexer.vocabulary import HONORIFIC_PATTERN, SPEECH_VERBS, find_area, strip_titles

# "was" only with a state of mind: "the PCC was pleased to hear".
WAS_STATES = r"was\s+(?:pleased|keen|grateful|confident|comfortable|satisfied|concerned|happy|clear|reassured|disappointed|delighted|encouraged|aware|interested)"
ADVERBS = r"(?:(?:also|again|then|further|personally|subsequently|however|briefly|later|additionally|firmly|very|fully|strongly|particularly|specifically|both|once\s+more|in\s+turn)\s+)*"
PRONOUN_RE = re.compile(r"\b(?P<pronoun>[Hh]e|[Ss]he)\s+" + ADVERBS + r"(?P<verb>\w+(?:-\w+)?)")
_SPEECH = frozenset(SPEECH_VERBS)


@lru_cache(maxsize=1)
def _verb_tail() -> str:
    """What follows a subject: an optional "(ABBR)", an aside in commas, adverbs, the verb."""
    verbs = "|".join(sorted(_SPEECH, key=len, reverse=True))
    # An aside may stand between subject and verb: "The Commissioner, in response to a
    # question from a Member, stated …". "The Police and Crime Commissioner (PCC) welcomed".
    return rf"(?:\s*\([A-Z]{{2,5}}\))?(?P<aside>\s*,[^,]{{1,90}},)?\s+{ADVERBS}(?P<verb>(?:{verbs})\b|{WAS_STATES}\b)"


@lru_cache(maxsize=1)
def _role_re() -> re.Pattern[str]:
    article = r"(?P<article>\b[Tt]he\s+|\b[Aa]n?\s+|\b[Hh]is\s+|\b[Hh]er\s+)?"
    return re.compile(rf"{article}(?P<role>{role_pattern()}){_verb_tail()}")


@lru_cache(maxsize=1)
def _titled_re() -> re.Pattern[str]:
    # "Cllr Mrs J Hollingsbee", "Prof Jones", "Councillor Patel", "Councillor Omar Petts":
    # initials or given names, then the surname.
    return re.compile(
        rf"(?P<person>\b(?:{HONORIFIC_PATTERN}\s+)+(?:[A-Z](?:\.|[a-zA-Z'’\-]+)?\s+){{0,3}}[A-Z][a-zA-Z'’\-]+){_verb_tail()}"
    )


@lru_cache(maxsize=1)
def _initials_re() -> re.Pattern[str]:
    return re.compile(rf"(?<![\w/])(?P<initials>[A-Z]{{2,4}})(?![\w/]){_verb_tail()}")


@lru_cache(maxsize=1)
def _full_name_re() -> re.Pattern[str]:
    return re.compile(rf"(?<![\w’'])(?P<name>[A-Z][a-z][a-zA-Z'’\-]*(?:\s+[A-Z][a-zA-Z'’\-]+){{1,2}}){_verb_tail()}")


# -- matching people to the roster ----------------------------------------------------

def _words(name: str) -> list[str]:
    return strip_titles(name).replace(".", " ").split()


def _by_full_name(mention: str, roster: Sequence[Attendee]) -> list[Attendee]:
    wanted = [w.lower() for w in _words(mention)]
    return [a for a in roster if len(wanted) > 1 and [w.lower() for w in _words(a.name)] == wanted]


def _by_initial_and_surname(mention: str, roster: Sequence[Attendee]) -> list[Attendee]:
    wanted = _words(mention)
    if len(wanted) < 2:
        return []
    return [
        a for a in roster
        if _words(a.name) and _words(a.name)[-1].lower() == wanted[-1].lower()
        and len(_words(a.name)) > 1 and _words(a.name)[0][0].lower() == wanted[0][0].lower()
    ]


def _by_surname(mention: str, roster: Sequence[Attendee]) -> list[Attendee]:
    wanted = _words(mention)
    if not wanted:
        return []
    return [a for a in roster if _words(a.name) and _words(a.name)[-1].lower() == wanted[-1].lower()]


PersonMatcher = Callable[[str, Sequence[Attendee]], list[Attendee]]
# Most exact first; the first that finds exactly one attendee decides.
PERSON_MATCHERS: tuple[PersonMatcher, ...] = (_by_full_name, _by_initial_and_surname, _by_surname)


def _present(roster: Sequence[Attendee]) -> list[Attendee]:
    return [a for a in roster if a.status != "apologies"]


def match_person(mention: str, roster: Sequence[Attendee]) -> Attendee | None:
    """The one roster entry (apologies included) that `mention` names, by `PERSON_MATCHERS`."""
    for matcher in PERSON_MATCHERS:
        found = matcher(mention, roster)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None  # two people fit: naming either would be a guess
    return None


def match_initials(initials: str, roster: Sequence[Attendee]) -> Attendee | None:
    """The attendee the roster gives these initials, or whose name has them, if only one."""
    stated = [a for a in roster if a.initials == initials]
    if stated:
        return stated[0] if len(stated) == 1 else None
    derived = [a for a in roster if initials_of(a.name) == initials]
    return derived[0] if len(derived) == 1 else None


# -- readers of subjects ----------------------------------------------------------------

Mention = tuple[int, int, Speaker]  # start, end, who


def _role_mentions(text: str, roster: Sequence[Attendee]) -> list[Mention]:
    out = []
    for m in _role_re().finditer(text):
        role = canonical_role(m.group("role"))
        if role is None:
            continue
        as_named = f"{(m.group('article') or '').strip()} {m.group('role')}".strip()
        out.append((m.start(), m.end("role"), resolve_role(role, roster, " ".join(as_named.split()))))
    return out


def _titled_mentions(text: str, roster: Sequence[Attendee]) -> list[Mention]:
    out = []
    for m in _titled_re().finditer(text):
        speaker = resolve_person(m.group("person"), roster)
        if speaker is not None:
            out.append((m.start(), m.end("person"), speaker))
    return out


# "the MP said", "a local MP said": capitals after a determiner are a title or an
# organisation, not someone's initials.
_DETERMINED_RE = re.compile(r"\b(?:the|a|an|his|her|their|its|our|local|each|every|any)\s+$", re.I)


def _initials_mentions(text: str, roster: Sequence[Attendee]) -> list[Mention]:
    out = []
    for m in _initials_re().finditer(text):
        if _DETERMINED_RE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        who = match_initials(m.group("initials"), roster)
        if who is not None and who.status != "apologies":
            out.append((m.start(), m.end("initials"), Speaker(who.role, who.name, m.group("initials"))))
    return out


def _full_name_mentions(text: str, roster: Sequence[Attendee]) -> list[Mention]:
    out = []
    for m in _full_name_re().finditer(text):
        found = _by_full_name(m.group("name"), roster)
        if len(found) == 1 and found[0].status != "apologies":
            out.append((m.start(), m.end("name"), Speaker(found[0].role, found[0].name, m.group("name"))))
    return out


MentionReader = Callable[[str, Sequence[Attendee]], list[Mention]]
# In order of precedence where two readers claim the same words ("CC" is an office before
# it is anyone's initials).
MENTION_READERS: tuple[MentionReader, ...] = (
    _role_mentions, _titled_mentions, _initials_mentions, _full_name_mentions,
)


def find_speakers(
    text: str,
    roster: tuple[Attendee, ...],
    previous: Speaker | None = None,
) -> tuple[list[Speaker], Speaker | None]:
    """Speakers of a paragraph in order of first appearance, and the last one named."""
    ordered = speaker_mentions(text, roster, previous)
    speakers: list[Speaker] = []
    for _, s in ordered:
        if all((s.role, s.name) != (t.role, t.name) for t in speakers):
            speakers.append(s)
    last = ordered[-1][1] if ordered else previous
    return speakers, last


def speaker_at(text: str, position: int, roster: tuple[Attendee, ...], previous: Speaker | None) -> Speaker | None:
    """Who is speaking at a point of the text: the last subject named before it."""
    before = [s for pos, s in speaker_mentions(text, roster, previous) if pos <= position]
    return before[-1] if before else previous


def speaker_mentions(
    text: str, roster: tuple[Attendee, ...], previous: Speaker | None = None
) -> list[tuple[int, Speaker]]:
    """Every speaker mention (explicit or "he"/"she") with its position, in order."""
    taken: list[Mention] = []
    for reader in MENTION_READERS:
        for start, end, speaker in reader(text, roster):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, speaker))
    explicit = sorted(((s, sp) for s, _, sp in taken), key=lambda t: t[0])
    found = list(explicit)
    # Pronouns: "he added" is the last speaker named before it, in this paragraph or before.
    for m in PRONOUN_RE.finditer(text):
        if not _is_speech_verb(m.group("verb"), text[m.end("verb") :]):
            continue
        before = [s for pos, s in explicit if pos < m.start()]
        referent = before[-1] if before else previous
        if referent is not None:
            found.append((m.start(), referent))
    return sorted(found, key=lambda t: t[0])


def _is_speech_verb(verb: str, after: str) -> bool:
    if verb == "was":
        return re.match(WAS_STATES[4:], after.lstrip()) is not None  # "was" + state
    return verb.lower() in _SPEECH


# -- resolution ---------------------------------------------------------------------------

def _names_area(attendee: Attendee, area: str) -> bool:
    return any(find_area(text) == area for text in (attendee.role_title, attendee.organisation) if text)


def resolve_role(role: str, roster: Sequence[Attendee], as_named: str) -> Speaker:
    """The office's holder at this meeting, when exactly one is present.

    An office named with an area ("the Essex PFCC") is the holder of that area's office: only
    a roster entry that names the same area can be them.
    """
    holders = [a for a in _present(roster) if a.role == role]
    area = find_area(as_named)
    if area is not None:
        holders = [a for a in holders if _names_area(a, area)]
    name = holders[0].name if len(holders) == 1 else None
    return Speaker(role=role, name=name, as_named=as_named)


def resolve_person(mention: str, roster: Sequence[Attendee]) -> Speaker | None:
    """"Mr Sandher", "Prof Jones", "Cllr Mrs J Hollingsbee": the roster entry they name.

    Someone who sent apologies did not speak at the meeting: None. Someone not on the roster
    keeps their name as written, without titles, and no office.
    """
    who = match_person(mention, roster)
    if who is not None:
        if who.status == "apologies":
            return None
        return Speaker(role=who.role, name=who.name, as_named=mention)
    return Speaker(role=None, name=strip_titles(mention) or mention, as_named=mention)

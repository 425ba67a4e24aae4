"""Who speaks in each paragraph of reported speech.

Minutes and notes report speech in the third person: "the CC reported", "Noting …, the
PCC asked … The CC advised …", "He added …", "Mr Sandher stated". A speaker is a role or
named person in subject position followed by a verb of speech; "he/she" is the last
speaker named. Roles are resolved to names through the meeting's roster only; a role
with no holder at the meeting keeps its role and no name, because a wrong name is worse
than none.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.records import Attendee, Speaker
from indexer.roles import canonical_role, role_pattern

SPEECH_VERBS = (
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
    "gave", "set", "opened", "closed", "recommended", "reminded", "tabled", "moved", "invited",
    "wished", "hoped", "continued", "went", "spoke", "focused", "focussed", "expanded", "elaborated",
    "challenged", "thanked", "requested", "supported", "voiced", "sounded", "led", "took", "was",
)
# "was" only with a state of mind: "the PCC was pleased to hear".
WAS_STATES = r"was\s+(?:pleased|keen|grateful|confident|comfortable|satisfied|concerned|happy|clear|reassured|disappointed|delighted|encouraged|aware|interested)"
ADVERBS = r"(?:(?:also|again|then|further|personally|subsequently|however|briefly|later|additionally|firmly|very|fully|strongly|particularly|specifically|both|once\s+more|in\s+turn)\s+)*"
HONORIFIC = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Cllr|Councillor|Sir|Dame)\.?"
PRONOUN_RE = re.compile(r"\b(?P<pronoun>[Hh]e|[Ss]he)\s+" + ADVERBS + r"(?P<verb>\w+(?:-\w+)?)")


@lru_cache(maxsize=1)
def _subject_re() -> re.Pattern[str]:
    verbs = "|".join(sorted({v for v in SPEECH_VERBS if v != "was"}, key=len, reverse=True))
    role = role_pattern()
    subject = (
        rf"(?P<article>\b[Tt]he\s+|\b[Aa]n?\s+|\b[Tt]he\s+[Kk]ent\s+|\b[Hh]is\s+)?(?P<role>{role})"
        rf"|(?P<person>\b{HONORIFIC}\s+(?:[A-Z]\.?\s+){{0,3}}[A-Z][a-zA-Z'’\-]+)"
    )
    # An aside may stand between subject and verb: "The Commissioner, in response to a
    # question from a Member, stated …".
    # "The Police and Crime Commissioner (PCC) welcomed …": the abbreviation in brackets.
    return re.compile(
        rf"(?:{subject})(?:\s*\([A-Z]{{2,5}}\))?(?P<aside>\s*,[^,]{{1,90}},)?\s+{ADVERBS}(?P<verb>(?:{verbs})\b|{WAS_STATES}\b)"
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
    found: list[tuple[int, Speaker]] = []
    for m in _subject_re().finditer(text):
        if m.group("role"):
            role = canonical_role(m.group("role"))
            as_named = f"{(m.group('article') or '').strip()} {m.group('role')}".strip()
            speaker = resolve_role(role, roster, as_named) if role else None
        else:
            speaker = resolve_person(m.group("person"), roster)
        if speaker is not None:
            found.append((m.start(), speaker))
    explicit = sorted(found, key=lambda t: t[0])
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
    return verb.lower() in SPEECH_VERBS


def resolve_role(role: str, roster: tuple[Attendee, ...], as_named: str) -> Speaker:
    holders = [a for a in roster if a.role == role and a.status != "apologies"]
    name = holders[0].name if len(holders) == 1 else None
    return Speaker(role=role, name=name, as_named=as_named)


def resolve_person(mention: str, roster: tuple[Attendee, ...]) -> Speaker | None:
    """"Mr Sandher" or "Cllr Hollingsbee": the roster entry with that surname."""
    surname = mention.split()[-1].lower()
    matches = [a for a in roster if a.name.split()[-1].lower() == surname]
    if len(matches) == 1:
        return Speaker(role=matches[0].role, name=matches[0].name, as_named=mention)
    return Speaker(role=None, name=mention, as_named=mention)

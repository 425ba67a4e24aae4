"""Which passages a researcher's constraints allow: speaker, date range, body, document kind.

The mask is applied to every passage before ranking is cut to the top k, so a filter never
empties a result list that had matches further down.

Rules, chosen for a researcher who would rather see a flagged passage than miss one:

* Speaker, as an office: any spelling ("the Chief Constable", "CC") is turned into its
  canonical abbreviation, and matches every passage with a speaker holding that office,
  whoever held it then. "CC since 2019" therefore finds Alan Pughsley in 2019 and Tim Smith
  later, and "PCC" finds the panel minutes' "the Commissioner".
* Speaker, as a person: case-insensitive, ignoring titles ("Mr", "Cllr") and post-nominals
  ("MBE"); given names may be initials ("T Smith" is "Tim Smith"); a surname alone ("Smith",
  "Mr Sandher") matches any speaker with that surname. Over a whole list of passages
  (`filter_mask`), a surname that fits two different people is refused with a QueryError that
  names them. Names inferred from neighbouring meetings (`name_inferred`) count.
* Dates compare the meeting date. A passage without one never passes a date filter. A
  passage whose date was inferred carries only the start of its range; pass `date_ranges`
  (document id to (first, last) date) and it passes when its range overlaps the filter's,
  otherwise its start date is used.
* Body: case-insensitive, "&" read as "and", whole words in order anywhere in the body's
  name, so "panel" matches "Kent and Medway Police and Crime Panel" and "board" matches
  "Performance & Delivery Board", but "pan" matches nothing.
* Kind: exact, after folding case and plurals ("Reports" is "report"); an unknown kind is a
  QueryError that lists the valid ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from indexer.errors import QueryError
from indexer.records import Passage, Speaker
from indexer.roles import canonical_role

# The kinds the indexer gives documents (indexer.records.Document.kind).
DOCUMENT_KINDS: tuple[str, ...] = (
    "minutes",
    "meeting notes",
    "report",
    "annual report",
    "decision",
    "questions",
    "work programme",
)

# What people type for a kind, folded onto the kind itself.
_KIND_ALIASES: dict[str, str] = {
    "minute": "minutes",
    "notes": "meeting notes",
    "meeting note": "meeting notes",
    "board notes": "meeting notes",
    "reports": "report",
    "annual reports": "annual report",
    "decisions": "decision",
    "decision record": "decision",
    "decision records": "decision",
    "decision notice": "decision",
    "decision notices": "decision",
    "question": "questions",
    "work programmes": "work programme",
}


def canonical_kind(kind: str) -> str:
    """The document kind for `kind` as typed; QueryError lists the valid kinds otherwise."""
    key = " ".join(kind.lower().replace("-", " ").split())
    key = _KIND_ALIASES.get(key, key)
    if key not in DOCUMENT_KINDS:
        raise QueryError(f"kind: unknown kind {kind!r}; use one of {', '.join(DOCUMENT_KINDS)}")
    return key


@dataclass(frozen=True)
class Filters:
    """Constraints on passages; None means "any". Values are checked and folded on creation.

    `speaker` becomes a canonical role abbreviation when it names an office and otherwise
    stays a person's name as typed; `kind` becomes one of DOCUMENT_KINDS; empty strings are
    None. Raises QueryError for an unknown kind or a since after until.
    """

    speaker: str | None = None
    since: date | None = None
    until: date | None = None
    body: str | None = None
    kind: str | None = None

    def __post_init__(self) -> None:
        # Folding here (not at match time) means two Filters that mean the same thing are
        # equal, and a bad kind fails where it was typed, not deep inside a search.
        speaker = _blank_to_none(self.speaker)
        if speaker is not None:
            speaker = canonical_role(speaker) or speaker
        object.__setattr__(self, "speaker", speaker)
        object.__setattr__(self, "body", _blank_to_none(self.body))
        kind = _blank_to_none(self.kind)
        object.__setattr__(self, "kind", canonical_kind(kind) if kind is not None else None)
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                raise QueryError(f"{name}: expected a date, got {value!r}")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise QueryError(
                f"since {self.since.isoformat()} is after until {self.until.isoformat()}: "
                "no passage can match; swap or correct the dates"
            )

    @property
    def active(self) -> bool:
        """True when any constraint is set."""
        return any(v is not None for v in (self.speaker, self.since, self.until, self.body, self.kind))


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


# -- names ---------------------------------------------------------------------------

_HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir dame lord lady baroness cllr councillor rev revd".split()
)
_POST_NOMINALS = frozenset("obe mbe cbe kbe dbe qpm kpm dl jp bem qc kc cvo lvo".split())


@lru_cache(maxsize=65536)  # called for every speaker of every passage
def name_tokens(name: str) -> tuple[str, ...]:
    """A person's name as lower-case words, without titles, post-nominals, dots or a role.

    "Mr G Sandher MBE" → ("g", "sandher"); "Chief Constable Tim Smith" → ("tim", "smith").
    """
    text = name.replace("’", "'").replace(".", " ").replace(",", " ")
    words = [w for w in text.lower().split() if w not in _HONORIFICS and w not in _POST_NOMINALS]
    # A leading office ("Chief Constable Tim Smith", "DCC Peter Ayling") is not part of the
    # name: drop the longest run of leading words that names an office.
    for cut in range(min(len(words) - 1, 5), 0, -1):
        if canonical_role(" ".join(words[:cut])) is not None:
            words = words[cut:]
            break
    return tuple(words)


def names_compatible(query: Sequence[str], name: Sequence[str]) -> bool:
    """Whether typed name words `query` can refer to the person named `name` (both tokens).

    Surnames must be equal. Given names are compared from the first: two full words must be
    equal, an initial matches a word with that first letter, and extra given names on either
    side are ignored, so "Smith", "T Smith" and "Tim Smith" all fit "Tim Smith".
    """
    if not query or not name or query[-1] != name[-1]:
        return False
    for a, b in zip(query[:-1], name[:-1]):
        if len(a) > 1 and len(b) > 1:
            if a != b:
                return False
        elif a[0] != b[0]:
            return False
    return True


def _speaker_names(speaker: Speaker) -> list[tuple[str, ...]]:
    """The names a speaker may be found by: the resolved name, and the words that named them."""
    out = []
    for text in (speaker.name, speaker.as_named):
        if text and canonical_role(text) is None:  # "the Commissioner" is an office, not a name
            tokens = name_tokens(text)
            if tokens:
                out.append(tokens)
    return out


# -- body ----------------------------------------------------------------------------

def _body_words(text: str) -> tuple[str, ...]:
    text = text.replace("&", " and ").replace("’", "'")
    return tuple(re.findall(r"[a-z0-9']+", text.lower()))


def body_matches(wanted: str, body: str | None) -> bool:
    """Whether the words of `wanted` occur, in order and adjacent, in the body's name."""
    if body is None:
        return False
    needle, hay = _body_words(wanted), _body_words(body)
    if not needle:
        return False
    n = len(needle)
    return any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


# -- matching ------------------------------------------------------------------------

DateRanges = Mapping[str, tuple[date, date]]


def _speaker_predicate(speaker: str) -> Callable[[Passage], bool]:
    role = canonical_role(speaker)
    if role is not None:
        def by_role(p: Passage) -> bool:
            for s in p.speakers:
                # Tolerate an uncanonical stored role, or one only recoverable from the words.
                if s.role == role or (s.role and canonical_role(s.role) == role):
                    return True
                if s.role is None and canonical_role(s.as_named) == role:
                    return True
            return False
        return by_role
    wanted = name_tokens(speaker)
    if not wanted:
        raise QueryError(f"speaker: {speaker!r} is neither an office nor a person's name")

    def by_name(p: Passage) -> bool:
        return any(
            names_compatible(wanted, tokens) for s in p.speakers for tokens in _speaker_names(s)
        )
    return by_name


def _date_predicate(
    since: date | None, until: date | None, date_ranges: DateRanges | None
) -> Callable[[Passage], bool]:
    def in_range(p: Passage) -> bool:
        if p.meeting_date is None:
            return False
        first = last = p.meeting_date
        if p.date_inferred and date_ranges is not None and p.document_id in date_ranges:
            first, last = date_ranges[p.document_id]
        # Overlap of [first, last] with [since, until]; for a stated date first == last.
        if since is not None and last < since:
            return False
        if until is not None and first > until:
            return False
        return True
    return in_range


def compile_filters(
    f: Filters, date_ranges: DateRanges | None = None
) -> Callable[[Passage], bool]:
    """One predicate for all of `f`'s constraints, built once and applied to many passages."""
    checks: list[Callable[[Passage], bool]] = []
    if f.kind is not None:
        kind = f.kind
        checks.append(lambda p: p.document_kind == kind)
    if f.body is not None:
        body = f.body
        checks.append(lambda p: body_matches(body, p.body))
    if f.since is not None or f.until is not None:
        checks.append(_date_predicate(f.since, f.until, date_ranges))
    if f.speaker is not None:
        checks.append(_speaker_predicate(f.speaker))
    return lambda p: all(check(p) for check in checks)


def passage_matches(p: Passage, f: Filters, date_ranges: DateRanges | None = None) -> bool:
    """Whether one passage meets every constraint of `f` (see the module docstring)."""
    return compile_filters(f, date_ranges)(p)


def filter_mask(
    passages: Sequence[Passage], f: Filters, date_ranges: DateRanges | None = None
) -> np.ndarray:
    """A boolean array, one entry per passage, True where the passage meets `f`.

    Raises QueryError when the speaker is a surname (or initial and surname) that fits more
    than one person among these passages, naming them, so the researcher can pick one.
    """
    if not f.active:
        return np.ones(len(passages), dtype=bool)
    if f.speaker is not None and canonical_role(f.speaker) is None:
        _check_unambiguous(f.speaker, passages)
    match = compile_filters(f, date_ranges)
    return np.fromiter((match(p) for p in passages), dtype=bool, count=len(passages))


def _check_unambiguous(speaker: str, passages: Sequence[Passage]) -> None:
    wanted = name_tokens(speaker)
    fits: dict[tuple[str, ...], str] = {}
    for p in passages:
        for s in p.speakers:
            if s.name and canonical_role(s.name) is None:
                tokens = name_tokens(s.name)
                if names_compatible(wanted, tokens):
                    fits.setdefault(tokens, s.name)
    # Two spellings of one person ("T Smith", "Tim Smith") are not two people: keep only the
    # fullest spelling of each.
    def fuller(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return (sum(map(len, a)), a) > (sum(map(len, b)), b)

    people = [t for t in fits if not any(_same_person(t, o) and fuller(o, t) for o in fits)]
    if len(people) > 1:
        names = sorted(fits[t] for t in people)
        raise QueryError(
            f"speaker: {speaker!r} could be {', '.join(names)}; type the full name"
        )


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return names_compatible(a, b) and names_compatible(b, a)

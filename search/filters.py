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
* Area: the police area, by any name the vocabulary knows ("Avon & Somerset", "Kent and
  Medway" is Kent); a passage passes when its document is of that area. A passage whose area
  is unknown never passes an area filter. An unknown area is a QueryError.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from indexer.backend import Where, name_key
from indexer.errors import QueryError
from indexer.records import Passage
from indexer.roles import canonical_role
from indexer.people import name_tokens, names_compatible, speaker_names, speaker_roles
from indexer.vocabulary import KIND_ALIASES, POLICE_AREAS, DocumentKind, find_area

# The kinds the indexer gives documents, and what people type for them: the vocabulary's.
# Records of what was said and decided first, the agenda (what was to be discussed) last.
DOCUMENT_KINDS: tuple[str, ...] = tuple(sorted(DocumentKind, key=lambda k: k == DocumentKind.AGENDA))
_KIND_ALIASES: dict[str, str] = dict(KIND_ALIASES)


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
    area: str | None = None  # a police area's name, as indexer.vocabulary.POLICE_AREAS has it

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
        area = _blank_to_none(self.area)
        object.__setattr__(self, "area", canonical_area(area) if area is not None else None)
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
        return any(getattr(self, f.name) is not None for f in fields(self))

    def given(self) -> dict[str, object]:
        """The constraints that are set, by field name, in field order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


# The date constraints, and whether a month or year typed for one means its last day
# ("until 2021" is up to 31 December 2021) rather than its first.
PERIOD_ENDS: Mapping[str, bool] = {"since": False, "until": True}


def canonical_area(area: str) -> str:
    """The police area `area` names ("avon & somerset", "Sussex Police"); QueryError otherwise."""
    found = find_area(area)
    if found is None:
        examples = ", ".join(list(POLICE_AREAS)[:3])
        raise QueryError(f"area: unknown police area {area!r}; use an area's name, e.g. {examples} or Sussex")
    return found


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


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


def _wanted_name(speaker: str) -> tuple[str, ...]:
    """The name words of a speaker filter that names no office; QueryError if there are none."""
    wanted = name_tokens(speaker)
    if not wanted:
        raise QueryError(f"speaker: {speaker!r} is neither an office nor a person's name")
    return wanted


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
    wanted = _wanted_name(speaker)

    def by_name(p: Passage) -> bool:
        return any(
            names_compatible(wanted, tokens) for s in p.speakers for tokens in speaker_names(s)
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
    if f.area is not None:
        area = f.area
        checks.append(lambda p: p.area == area)
    return lambda p: all(check(p) for check in checks)


def passage_matches(p: Passage, f: Filters, date_ranges: DateRanges | None = None) -> bool:
    """Whether one passage meets every constraint of `f` (see the module docstring)."""
    return compile_filters(f, date_ranges)(p)


class PassageTable:
    """What the filters look at, as one column per field over a sequence of passages.

    Built once (one pass in Python), it turns a filter into a few numpy operations, where
    `compile_filters` calls a predicate per passage: at 100,000 passages, well under a
    millisecond instead of a few hundred. `mask` gives exactly what `passage_matches`
    gives for each passage (tests/test_filters.py checks this on random passages).
    """

    def __init__(self, passages: Sequence[Passage]) -> None:
        n = len(passages)
        self.size = n
        kinds: dict[str, int] = {}
        bodies: dict[str | None, int] = {}
        areas: dict[str | None, int] = {}
        self.area_codes = np.empty(n, dtype=np.int32)
        self.kind_codes = np.empty(n, dtype=np.int32)
        self.body_codes = np.empty(n, dtype=np.int32)
        self.has_date = np.zeros(n, dtype=bool)
        self.day = np.zeros(n, dtype=np.int64)  # proleptic ordinal of the meeting date
        inferred_rows: list[int] = []
        inferred_codes: list[int] = []
        inferred_docs: dict[str, int] = {}
        role_rows: dict[str, list[int]] = {}
        name_rows: dict[tuple[str, ...], list[int]] = {}
        # Each person's first spelling, as `_check_unambiguous` names them.
        self.people: dict[tuple[str, ...], str] = {}
        for row, p in enumerate(passages):
            self.kind_codes[row] = kinds.setdefault(p.document_kind, len(kinds))
            self.body_codes[row] = bodies.setdefault(p.body, len(bodies))
            self.area_codes[row] = areas.setdefault(p.area, len(areas))
            if p.meeting_date is not None:
                self.has_date[row] = True
                self.day[row] = p.meeting_date.toordinal()
                if p.date_inferred:
                    inferred_rows.append(row)
                    inferred_codes.append(inferred_docs.setdefault(p.document_id, len(inferred_docs)))
            for s in p.speakers:
                for role in speaker_roles(s):
                    _add_row(role_rows.setdefault(role, []), row)
                for tokens in speaker_names(s):
                    _add_row(name_rows.setdefault(tokens, []), row)
                if s.name and canonical_role(s.name) is None:
                    self.people.setdefault(name_tokens(s.name), s.name)
        self.kinds = kinds
        self.bodies = tuple(bodies)
        self.areas = areas
        self.inferred_rows = np.asarray(inferred_rows, dtype=np.int64)
        self.inferred_codes = np.asarray(inferred_codes, dtype=np.int64)
        self.inferred_docs = tuple(inferred_docs)
        self.role_rows = {k: np.asarray(v, dtype=np.int64) for k, v in role_rows.items()}
        self.name_rows = {k: np.asarray(v, dtype=np.int64) for k, v in name_rows.items()}

    def __len__(self) -> int:
        return self.size

    def mask(self, f: Filters, date_ranges: DateRanges | None = None) -> np.ndarray:
        """A boolean array, True where the passage meets `f`; errors as `filter_mask`."""
        n = self.size
        if not f.active:
            return np.ones(n, dtype=bool)
        wanted: tuple[str, ...] | None = None
        if f.speaker is not None and canonical_role(f.speaker) is None:
            _check_unambiguous(f.speaker, self.people)
            wanted = _wanted_name(f.speaker)
        mask = np.ones(n, dtype=bool)
        if f.kind is not None:
            code = self.kinds.get(f.kind)
            mask &= self.kind_codes == code if code is not None else False
        if f.body is not None:
            fits = np.fromiter((body_matches(f.body, b) for b in self.bodies), dtype=bool, count=len(self.bodies))
            mask &= fits[self.body_codes] if fits.size else False
        if f.area is not None:
            code = self.areas.get(f.area)
            mask &= self.area_codes == code if code is not None else False
        if f.since is not None or f.until is not None:
            mask &= self._dates(f.since, f.until, date_ranges)
        if f.speaker is not None:
            found = np.zeros(n, dtype=bool)
            if wanted is None:
                role = canonical_role(f.speaker)
                if role in self.role_rows:
                    found[self.role_rows[role]] = True
            else:
                for tokens, rows in self.name_rows.items():
                    if names_compatible(wanted, tokens):
                        found[rows] = True
            mask &= found
        return mask

    def _dates(self, since: date | None, until: date | None, date_ranges: DateRanges | None) -> np.ndarray:
        first = last = self.day
        if date_ranges is not None and self.inferred_docs:
            # An inferred date overlaps its document's range, where one is given.
            n_docs = len(self.inferred_docs)
            doc_first = np.zeros(n_docs, dtype=np.int64)
            doc_last = np.zeros(n_docs, dtype=np.int64)
            known = np.zeros(n_docs, dtype=bool)
            for code, doc in enumerate(self.inferred_docs):
                if doc in date_ranges:
                    a, b = date_ranges[doc]
                    doc_first[code], doc_last[code], known[code] = a.toordinal(), b.toordinal(), True
            if known.any():
                use = known[self.inferred_codes]
                rows, codes = self.inferred_rows[use], self.inferred_codes[use]
                first, last = first.copy(), last.copy()
                first[rows], last[rows] = doc_first[codes], doc_last[codes]
        mask = self.has_date.copy()
        if since is not None:
            mask &= last >= since.toordinal()
        if until is not None:
            mask &= first <= until.toordinal()
        return mask


def _add_row(rows: list[int], row: int) -> None:
    if not rows or rows[-1] != row:  # a passage with two speakers of one office counts once
        rows.append(row)


# The tables of the last few tuples of passages filtered (a loaded index's passages are a
# tuple, filtered on every search). Keyed by identity, holding the tuple itself so that
# its id cannot be reused while cached; a tuple of frozen records cannot change under it.
_TABLE_CACHE_SIZE = 2
_tables: OrderedDict[int, tuple[tuple[Passage, ...], PassageTable]] = OrderedDict()
_tables_lock = threading.Lock()


def passage_table(passages: Sequence[Passage]) -> PassageTable:
    """The PassageTable of `passages`: cached for a tuple, built afresh for anything else."""
    if type(passages) is not tuple:
        return PassageTable(passages)
    with _tables_lock:  # one build per tuple, even when two threads search at once
        entry = _tables.get(id(passages))
        if entry is not None and entry[0] is passages:
            _tables.move_to_end(id(passages))
            return entry[1]
        table = PassageTable(passages)
        _tables[id(passages)] = (passages, table)
        while len(_tables) > _TABLE_CACHE_SIZE:
            _tables.popitem(last=False)
        return table


def filter_mask(
    passages: Sequence[Passage], f: Filters, date_ranges: DateRanges | None = None
) -> np.ndarray:
    """A boolean array, one entry per passage, True where the passage meets `f`.

    Raises QueryError when the speaker is a surname (or initial and surname) that fits more
    than one person among these passages, naming them, so the researcher can pick one.
    Vectorised through `passage_table`, so a tuple of passages is read once, not per call.
    """
    if not f.active:
        return np.ones(len(passages), dtype=bool)
    return passage_table(passages).mask(f, date_ranges)


def _check_unambiguous(speaker: str, people: Mapping[tuple[str, ...], str]) -> None:
    """QueryError if `speaker` fits two people; `people` maps name words to a spelling."""
    wanted = name_tokens(speaker)
    fits = {tokens: name for tokens, name in people.items() if names_compatible(wanted, tokens)}
    # Two spellings of one person ("T Smith", "Tim Smith") are not two people: keep only the
    # fullest spelling of each.
    def fuller(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        return (sum(map(len, a)), a) > (sum(map(len, b)), b)

    people_found = [t for t in fits if not any(_same_person(t, o) and fuller(o, t) for o in fits)]
    if len(people_found) > 1:
        names = sorted(fits[t] for t in people_found)
        raise QueryError(
            f"speaker: {speaker!r} could be {', '.join(names)}; type the full name"
        )


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return names_compatible(a, b) and names_compatible(b, a)


def where(f: Filters, passages: Sequence[Passage]) -> Where | None:
    """`f` as the payload constraints a search backend applies (indexer.backend.Where).

    The open-ended parts are resolved against the passages here, once, so a backend only
    compares stored values: a body filter becomes the bodies whose names fit it, a person's
    name the name keys compatible with it (QueryError when it fits two people, as
    `filter_mask`). For passages stored with `indexer.backend.payload(p, date_ranges[...])`,
    a backend applying the result keeps exactly the passages `filter_mask` keeps.
    """
    if not f.active:
        return None
    table = passage_table(passages)
    roles = names = None
    if f.speaker is not None:
        role = canonical_role(f.speaker)
        if role is not None:
            roles = (role,)
        else:
            _check_unambiguous(f.speaker, table.people)
            wanted = _wanted_name(f.speaker)
            names = tuple(name_key(t) for t in table.name_rows if names_compatible(wanted, t))
    return Where(
        kinds=(f.kind,) if f.kind is not None else None,
        areas=(f.area,) if f.area is not None else None,
        bodies=tuple(b for b in table.bodies if b is not None and body_matches(f.body, b)) if f.body is not None else None,
        roles=roles,
        names=names,
        since=f.since,
        until=f.until,
    )

"""Corpus-wide resolution: names for roles that a document states without a roster.

An undated board's notes say "the CC" but list no attendees. If the same person held
that office at the meetings just before and just after (by the rosters of other
documents), that is who spoke; the name is marked inferred. If the holders differ, or
evidence exists on one side only, the name stays unknown: a wrong name is worse than
none. Abbreviated roster names ("M Scott") take the fuller form the corpus gives the
same office-holder elsewhere ("Matthew Scott") so one person is found under one name.

Offices are held per police area: Sussex's Chief Constable is not Kent's. Holders are
collected per area and a document only hears of its own area's holders. A document whose
area is unknown shares holders with the other documents of unknown area and, when the
corpus knows a single area, with that one; with two areas or more it gets none of theirs.
A speaker named with another area ("the Essex PFCC" in Kent's minutes) is never given a name
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from indexer.records import Document, ParsedFile, Speaker
from indexer.vocabulary import find_area, strip_titles


def _parts(name: str) -> tuple[str, str]:
    """(first names or initials, surname) without titles."""
    words = strip_titles(name).split()
    return (" ".join(words[:-1]), words[-1]) if words else ("", "")


def same_person(a: str, b: str) -> bool:
    """"Mr M Scott" and "Matthew Scott" are the same person; "Alan Pughsley" and "Tim Smith" are not."""
    first_a, last_a = _parts(a)
    first_b, last_b = _parts(b)
    if last_a.lower() != last_b.lower() or not last_a:
        return False
    if not first_a or not first_b:
        return True
    return first_a[0].lower() == first_b[0].lower()


def _fullness(name: str) -> int:
    first, _ = _parts(name)
    return sum(len(w) for w in first.split() if len(w.strip(".")) > 1)


Holding = tuple[date, str]  # (meeting date, holder's name)


def document_area(doc: Document) -> str | None:
    """The document's police area: as recorded, else as its title or body names it."""
    return doc.area or find_area(" ".join(t for t in (doc.title, doc.body) if t))


def _holder_area(doc: Document, attendee_title: str | None, organisation: str | None) -> str | None:
    """An office holder's area: the one their roster line names, else their document's."""
    for text in (attendee_title, organisation):
        if text and find_area(text):
            return find_area(text)
    return document_area(doc)


def area_role_holders(documents: Sequence[Document]) -> dict[str | None, dict[str, list[Holding]]]:
    """Who held each office at each dated meeting, per police area (None: area unknown)."""
    holders: dict[str | None, dict[str, list[Holding]]] = {}
    for doc in documents:
        if doc.date is None:
            continue
        for a in doc.attendees:
            if a.role and a.role not in ("Member",):
                area = _holder_area(doc, a.role_title, a.organisation)
                holders.setdefault(area, {}).setdefault(a.role, []).append((doc.date, a.name))
    for by_role in holders.values():
        for role in by_role:
            by_role[role].sort()
    return holders


def holders_for(area: str | None, holders: dict[str | None, dict[str, list[Holding]]]) -> dict[str, list[Holding]]:
    """The holders a document of `area` may be told about (see the module docstring)."""
    known = [a for a in holders if a is not None]
    shared = [area] if area is not None else [None]
    if area is None and len(known) == 1:
        shared.append(known[0])
    elif area is not None and len(known) == 1 and known[0] == area:
        shared.append(None)
    out: dict[str, list[Holding]] = {}
    for key in shared:
        for role, held in holders.get(key, {}).items():
            out.setdefault(role, []).extend(held)
    return {role: sorted(held) for role, held in out.items()}


def _bracketed_holder(role: str, doc: Document, holders: dict[str, list[Holding]]) -> str | None:
    span = (doc.date, doc.date) if doc.date else doc.date_range
    if span is None or role not in holders:
        return None
    before = [name for d, name in holders[role] if d <= span[0]]
    after = [name for d, name in holders[role] if d >= span[1]]
    if not before or not after or not same_person(before[-1], after[0]):
        return None
    return max((before[-1], after[0]), key=_fullness)


def _fuller_name(role: str | None, name: str, holders: dict[str, list[Holding]]) -> str:
    candidates = [n for _, n in holders.get(role or "", []) if same_person(n, name)] if role else []
    best = max(candidates + [name], key=_fullness)
    return best if _fullness(best) > _fullness(name) else name


def resolve_corpus(files: Sequence[ParsedFile]) -> list[ParsedFile]:
    """Fill speaker names the corpus can vouch for; earlier inferences are redone."""
    documents = [d for f in files for d in f.documents]
    by_area = area_role_holders(documents)
    by_id = {d.id: d for d in documents}
    areas = {d.id: document_area(d) for d in documents}
    known = {a for a in by_area if a is not None} | {a for a in areas.values() if a is not None}
    if len(known) == 1:  # one area in the corpus: a document that names none is in it
        areas = {doc_id: area or next(iter(known)) for doc_id, area in areas.items()}
    visible = {area: holders_for(area, by_area) for area in set(areas.values())}
    out = []
    for f in files:
        def fix(speaker: Speaker, doc_id: str) -> Speaker:
            doc = by_id.get(doc_id)
            if speaker.name_inferred:
                speaker = replace(speaker, name=None, name_inferred=False)
            if speaker.role is None or doc is None:
                return speaker
            holders = visible[areas[doc_id]]
            named_area = find_area(speaker.as_named)
            if named_area is not None and named_area != areas[doc_id]:
                return speaker  # another area's office: not this corpus's holder to name
            if speaker.name is not None:
                fuller = _fuller_name(speaker.role, speaker.name, holders)
                return replace(speaker, name=fuller) if fuller != speaker.name else speaker
            # Only where the document's own roster says nothing about this office.
            if any(a.role == speaker.role for a in doc.attendees):
                return speaker
            name = _bracketed_holder(speaker.role, doc, holders)
            return replace(speaker, name=name, name_inferred=True) if name else speaker

        def doc_of(start: int) -> str:
            for d in f.documents:
                if d.start <= start < d.end:
                    return d.id
            return f.documents[-1].id if f.documents else ""

        paragraphs = tuple(
            replace(p, speakers=tuple(fix(s, doc_of(p.start)) for s in p.speakers)) for p in f.paragraphs
        )
        passages = tuple(
            replace(p, speakers=tuple(fix(s, p.document_id) for s in p.speakers)) for p in f.passages
        )
        actions = tuple(
            replace(a, speaker=fix(a.speaker, a.document_id)) if a.speaker else a for a in f.actions
        )
        out.append(replace(f, paragraphs=paragraphs, passages=passages, actions=actions))
    return out

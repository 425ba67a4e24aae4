"""Paragraphs into passages: within one agenda item and section, never across.

A speaker's turn (consecutive paragraphs with the same speakers) is kept together up to
the token limit; a paragraph longer than the limit is split at sentence boundaries.
Tokens are counted with tiktoken so the limit means the same for every layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from indexer.layout import clean_inline
from indexer.records import Document, Paragraph, Passage
from indexer.sentences import sentence_spans
from indexer.tokens import count_tokens

MAX_TOKENS = 200
# Short paragraphs ("The PCC said he was grateful for the updates.") join their neighbour
# rather than stand alone as passages too small to rank well.
MIN_TOKENS = 60


def chunk_paragraphs(
    document: Document,
    paragraphs: Sequence[Paragraph],
    source_text: str | None = None,
    *,
    max_tokens: int = MAX_TOKENS,
    min_tokens: int = MIN_TOKENS,
) -> list[Passage]:
    pieces: list[tuple[Paragraph, int]] = []
    for paragraph in paragraphs:
        for piece in _split_long(paragraph, max_tokens):
            pieces.append((piece, count_tokens(piece.text)))

    groups: list[list[tuple[Paragraph, int]]] = []
    for piece, tokens in pieces:
        if groups and _joins(groups[-1], piece, tokens, max_tokens, min_tokens):
            groups[-1].append((piece, tokens))
        else:
            groups.append([(piece, tokens)])
    return [_passage(document, n, group) for n, group in enumerate(groups)]


def _same_place(a: Paragraph, b: Paragraph) -> bool:
    return (a.item_number, a.item_title, a.section) == (b.item_number, b.item_title, b.section)


def _joins(group: list[tuple[Paragraph, int]], piece: Paragraph, tokens: int, max_tokens: int, min_tokens: int) -> bool:
    last = group[-1][0]
    if not _same_place(last, piece):
        return False
    total = sum(t for _, t in group)
    if total + tokens > max_tokens:
        return False
    same_turn = {(s.role, s.name) for s in last.speakers} == {(s.role, s.name) for s in piece.speakers}
    # A turn stays together; different speakers share a passage only when one is tiny.
    return (same_turn and total < max_tokens * 0.6) or total < min_tokens or tokens < min_tokens // 2


def _split_long(paragraph: Paragraph, max_tokens: int) -> list[Paragraph]:
    if count_tokens(paragraph.text) <= max_tokens:
        return [paragraph]
    # Cut only where a sentence ends (not inside "29.7%" or after "No."), each piece a
    # verbatim stretch of the paragraph.
    starts = [start for start, _ in sentence_spans(paragraph.text)][1:]
    bounds = list(zip([0, *starts], [*starts, len(paragraph.text)]))
    text = paragraph.text
    pieces: list[tuple[int, int]] = []
    start, end = bounds[0]
    for next_start, next_end in bounds[1:]:
        if count_tokens(text[start:next_end]) > max_tokens:
            pieces.append((start, end))
            start = next_start
        end = next_end
    pieces.append((start, end))
    return [_piece(paragraph, text[a:b].strip()) for a, b in pieces]


def _piece(paragraph: Paragraph, text: str) -> Paragraph:
    # Offsets stay those of the whole paragraph: the piece is a verbatim part of it.
    return replace(paragraph, text=text)


def _passage(document: Document, n: int, group: list[tuple[Paragraph, int]]) -> Passage:
    first = group[0][0]
    speakers: list = []
    for paragraph, _ in group:
        for s in paragraph.speakers:
            if all((s.role, s.name) != (t.role, t.name) for t in speakers):
                speakers.append(s)
    return Passage(
        id=f"{document.id}:{n}",
        source=document.source,
        document_id=document.id,
        document_title=document.title,
        document_kind=document.kind,
        body=document.body,
        meeting_date=document.meeting_date,
        date_inferred=document.date_inferred,
        item_number=first.item_number,
        item_title=first.item_title,
        section=first.section,
        speakers=tuple(speakers),
        text="\n".join(clean_inline(p.text) for p, _ in group),
        start=min(p.start for p, _ in group),
        end=max(p.end for p, _ in group),
        tokens=sum(t for _, t in group),
        area=document.area,
    )

"""Paragraphs into passages: within one agenda item and section, never across.

A passage is a stretch of discussion under one heading: the member's question with the
answer it got, the points made on one topic. A section within the token limit is one
passage; a longer one is cut at paragraph boundaries into parts of about equal size (not a
full part and a scrap), and a paragraph longer than the limit is cut at sentence
boundaries. Tokens are counted with tiktoken so the limit means the same for every layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from indexer.config import IndexConfig
from indexer.layout import clean_inline
from indexer.records import Document, Paragraph, Passage
from indexer.sentences import sentence_spans
from indexer.tokens import count_tokens

# About one screen of reading (some 350 words). The embedder reads the first 256 of a
# passage's word pieces; every sentence also has a vector of its own (indexer.build), so
# the rest of a long passage is still found by meaning.
MAX_TOKENS = IndexConfig.chunk_max_tokens


def chunk_paragraphs(
    document: Document,
    paragraphs: Sequence[Paragraph],
    source_text: str | None = None,
    *,
    max_tokens: int = MAX_TOKENS,
) -> list[Passage]:
    pieces: list[tuple[Paragraph, int]] = []
    for paragraph in paragraphs:
        for piece in _split_long(paragraph, max_tokens):
            pieces.append((piece, count_tokens(piece.text)))

    sections: list[list[tuple[Paragraph, int]]] = []
    for piece, tokens in pieces:
        if sections and _same_place(sections[-1][-1][0], piece):
            sections[-1].append((piece, tokens))
        else:
            sections.append([(piece, tokens)])
    groups = [group for section in sections for group in _balanced(section, max_tokens)]
    return [_passage(document, n, group) for n, group in enumerate(groups)]


def _same_place(a: Paragraph, b: Paragraph) -> bool:
    return (a.item_number, a.item_title, a.section) == (b.item_number, b.item_title, b.section)


def _balanced(section: list[tuple[Paragraph, int]], max_tokens: int) -> list[list[tuple[Paragraph, int]]]:
    """One section's paragraphs in as few parts as the limit allows, of about equal size:
    a part ends before the paragraph that would carry it more than halfway past its share."""
    total = sum(tokens for _, tokens in section)
    share = total / max(1, math.ceil(total / max_tokens))
    parts: list[list[tuple[Paragraph, int]]] = [[]]
    size = 0
    for piece, tokens in section:
        if parts[-1] and (size + tokens > max_tokens or size + tokens / 2 > share):
            parts.append([])
            size = 0
        parts[-1].append((piece, tokens))
        size += tokens
    return parts


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
    turns: list[tuple[int, tuple[int, ...]]] = []
    at = 0
    for paragraph, _ in group:
        for s in paragraph.speakers:
            if all((s.role, s.name) != (t.role, t.name) for t in speakers):
                speakers.append(s)
        keys = [(t.role, t.name) for t in speakers]
        turns.append((at, tuple(keys.index((s.role, s.name)) for s in paragraph.speakers)))
        at += len(clean_inline(paragraph.text)) + 1  # the "\n" joining paragraphs
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
        date_range=document.date_range if document.date_inferred else None,
        turns=tuple(turns),
    )

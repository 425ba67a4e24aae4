"""Sentences of a passage and who says each: for answers, briefs and ranking by speaker."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from indexer.records import Passage, Speaker
from indexer.sentences import sentence_spans
from indexer.speakers import speaker_mentions
from indexer.lexical import tokenize

def sentences(text: str) -> list[tuple[int, str]]:
    """Sentences with their offsets in `text` (see indexer.sentences: never cut inside a
    number or after an abbreviation); fragments under three words are left out."""
    return [(start, text[start:end]) for start, end in sentence_spans(text) if len(tokenize(text[start:end])) >= 3]


def passage_mentions(passage: Passage) -> tuple[tuple[int, Speaker], ...]:
    """Every speaker mention of the passage with its offset, each paragraph read on its own:
    a "he" at the start of the CC's turn is not the PCC who spoke last in the one before."""
    return _turn_mentions(passage.text, tuple(start for start, _ in passage.turns))


@lru_cache(maxsize=4096)
def _turn_mentions(text: str, starts: tuple[int, ...]) -> tuple[tuple[int, Speaker], ...]:
    bounds = [*(starts or (0,)), len(text)]
    return tuple(
        (a + pos, s) for a, b in zip(bounds, bounds[1:]) for pos, s in speaker_mentions(text[a:b], (), None)
    )


def sentence_speakers(
    passage: Passage, offset: int, length: int | None = None, mentions: Sequence[tuple[int, Speaker]] | None = None
) -> tuple[Speaker, ...]:
    """Who says the sentence at `offset`: its own subject ("…, the CC explained …"), else
    the last speaker named before it in the same paragraph, else the paragraph's one
    speaker, resolved to the passage's named speakers. `mentions` is
    `passage_mentions(passage)`, for a caller that has it already."""
    end = passage.text.find("\n", offset) if length is None else offset + length
    end = len(passage.text) if end < 0 else end
    turn_start, turn_speakers = passage.turn_at(offset)
    mentions = passage_mentions(passage) if mentions is None else mentions
    own = [s for pos, s in mentions if offset <= pos < end]
    earlier = [s for pos, s in mentions if turn_start <= pos <= offset]
    found = own[0] if own else (earlier[-1] if earlier else None)
    if found is None:
        if len(turn_speakers) == 1:
            return turn_speakers
        return passage.speakers[:1] if len(passage.speakers) == 1 else ()
    for s in passage.speakers:
        if found.role is not None and s.role == found.role:
            return (s,)
        if found.role is None and s.name and found.name and s.name.endswith(found.name.split()[-1]):
            return (s,)
    return (found,)


def said_by(speakers: tuple[Speaker, ...], wanted: str) -> bool:
    from indexer.people import name_tokens, names_compatible

    return any(
        s.role == wanted or (s.name is not None and names_compatible(name_tokens(wanted), name_tokens(s.name)))
        for s in speakers
    )



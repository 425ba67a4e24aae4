"""Sentences of a passage and who says each: for answers, briefs and ranking by speaker."""

from __future__ import annotations

from indexer.records import Passage, Speaker
from indexer.sentences import sentence_spans
from indexer.speakers import speaker_at, speaker_mentions
from search.lexical import tokenize

def sentences(text: str) -> list[tuple[int, str]]:
    """Sentences with their offsets in `text` (see indexer.sentences: never cut inside a
    number or after an abbreviation); fragments under three words are left out."""
    return [(start, text[start:end]) for start, end in sentence_spans(text) if len(tokenize(text[start:end])) >= 3]


def sentence_speakers(
    passage: Passage, offset: int, length: int | None = None, mentions: list[tuple[int, Speaker]] | None = None
) -> tuple[Speaker, ...]:
    """Who says the sentence at `offset`: its own subject ("…, the CC explained …"), else
    the last speaker named before it, resolved to the passage's named speakers.

    Asking about several sentences of one passage, pass `mentions`
    (`speaker_mentions(passage.text, (), None)`): the text is then scanned once, not twice
    per sentence.
    """
    end = passage.text.find("\n", offset) if length is None else offset + length
    end = len(passage.text) if end < 0 else end
    if mentions is None:
        own = [s for pos, s in speaker_mentions(passage.text[:end], (), None) if pos >= offset]
        found = own[0] if own else speaker_at(passage.text, offset, (), None)
    else:
        own = [s for pos, s in mentions if offset <= pos < end]
        earlier = [s for pos, s in mentions if pos <= offset]
        found = own[0] if own else (earlier[-1] if earlier else None)
    if found is None:
        return passage.speakers[:1] if len(passage.speakers) == 1 else ()
    for s in passage.speakers:
        if found.role is not None and s.role == found.role:
            return (s,)
        if found.role is None and s.name and found.name and s.name.endswith(found.name.split()[-1]):
            return (s,)
    return (found,)


def said_by(speakers: tuple[Speaker, ...], wanted: str) -> bool:
    from search.filters import name_tokens, names_compatible

    return any(
        s.role == wanted or (s.name is not None and names_compatible(name_tokens(wanted), name_tokens(s.name)))
        for s in speakers
    )



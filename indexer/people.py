"""People in the records as the filters and the search backends key them: a speaker's
offices and the words of their name, without titles, post-nominals or a leading office.

Both building (payloads stored beside each passage in a search backend) and searching (the
speaker filter) read speakers through these functions, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from indexer.records import Speaker
from indexer.roles import canonical_role
from indexer.vocabulary import HONORIFICS, POST_NOMINALS

# The vocabulary's titles and letters after a name, as lower-case words.
_HONORIFICS = frozenset(w.lower() for title in HONORIFICS for w in title.split())
_POST_NOMINALS = frozenset(p.lower() for p in POST_NOMINALS)


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


def speaker_names(speaker: Speaker) -> list[tuple[str, ...]]:
    """The names a speaker may be found by: the resolved name, and the words that named them."""
    out = []
    for text in (speaker.name, speaker.as_named):
        if text and canonical_role(text) is None:  # "the Commissioner" is an office, not a name
            tokens = name_tokens(text)
            if tokens:
                out.append(tokens)
    return out



def speaker_roles(speaker: Speaker) -> tuple[str, ...]:
    """Every office a role filter may name and find this speaker by (as search.filters' role filter does)."""
    if speaker.role is None:
        role = canonical_role(speaker.as_named)
        return (role,) if role is not None else ()
    if not speaker.role:
        return ()
    canonical = canonical_role(speaker.role)
    return (speaker.role,) if canonical is None or canonical == speaker.role else (speaker.role, canonical)

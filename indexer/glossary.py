"""Abbreviations the records define for themselves: "domestic abuse (DA)", "violence
against women and girls (VAWG)", "Out of Court Resolutions (OoCRs)".

Minutes switch to the short form after defining it, so a researcher typing "domestic
abuse" must also find "DA", and one typing "RCRP" must find "Right Care Right Person".
This glossary is mined from the corpus itself, so it grows with the documents users add;
a hand-written policing vocabulary (below) adds what the records never define.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.errors import ScrutinyError
from indexer.lexical import phrase_words, tokenize
from indexer.vocabulary import LIGHT_VERBS

DEFINITION_RE = re.compile(r"((?:[A-Za-z][\w'’\-]*[ \t]+){1,9}?)\(([A-Z][A-Za-z&]{1,9})\)")
SMALL = {"of", "and", "the", "for", "in", "on", "to", "&", "a", "an", "at", "by", "with"}


def _letters(abbreviation: str) -> str:
    """The letters that stand for words: capitals, without a plural "s" ("OoCRs" → "OCR")."""
    core = abbreviation[:-1] if abbreviation.endswith("s") and len(abbreviation) > 2 else abbreviation
    capitals = "".join(c for c in core if c.isupper())
    return (capitals if len(capitals) >= 2 else core).lower()


def _long_form(words: list[str], abbreviation: str) -> str | None:
    letters = _letters(abbreviation)
    for n in range(1, len(words) + 1):
        candidate = words[-n:]
        content = [w for w in candidate if w.lower() not in SMALL]
        whole = "".join(w[0] for w in content).lower()
        # "Anti-social behaviour (ASB)": each part of a hyphenated word may give a letter.
        parts = "".join(p[0] for w in content for p in w.split("-") if p).lower()
        if letters in (whole, parts) and candidate[0].lower() not in SMALL:
            return " ".join(candidate)
        if len(whole) > len(letters):
            return None
    return None


def mine(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation → its most frequent long form in the texts."""
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for m in DEFINITION_RE.finditer(text):
            long_form = _long_form(m.group(1).split(), m.group(2))
            if long_form:
                seen.setdefault(m.group(2), Counter())[long_form.lower()] += 1
    return {abbr: forms.most_common(1)[0][0] for abbr, forms in seen.items()}


def expand(query: str, glossary: dict[str, str]) -> str:
    """The query with the other form of every abbreviation or long form it contains."""
    lowered = " ".join(query.lower().split())
    additions = []
    for abbr, long_form in glossary.items():
        if re.search(rf"\b{re.escape(abbr)}\b", query) and long_form not in lowered:
            additions.append(long_form)
        elif re.search(rf"\b{re.escape(long_form)}\b", lowered) and not re.search(rf"\b{re.escape(abbr)}\b", query):
            additions.append(abbr)
    return f"{query} {' '.join(additions)}" if additions else query


# -- the hand-written policing vocabulary ------------------------------------------
#
# The mined glossary only knows what the records define. People ask in their own words
# ("domestic violence", "people hanging up on 101", "bobbies on the beat") and in acronyms
# the records never spell out, so a hand-written vocabulary adds what a UK policing reader
# knows. It is data (indexer/policing_terms.json), not code:
#   acronyms  ASB -> "anti-social behaviour"; each form finds the other
#   synonyms  groups of phrases that mean the same; each finds the others
#   related   a plain phrase -> the terms records use for it ("hanging up" -> "abandoned")
# A term applies only when it is a whole word or phrase of the query (compared as stemmed
# words, so "hanging up" also matches "hang up"); acronyms match with their capitals.

TERMS_PATH = Path(__file__).with_name("policing_terms.json")
ACRONYM_RE = re.compile(r"^[A-Z][A-Za-z&]{1,9}$")


@dataclass(frozen=True)
class Vocabulary:
    """The hand-written vocabulary, checked and ready to match against queries."""

    acronyms: Mapping[str, str]
    synonyms: tuple[tuple[str, ...], ...]
    related: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Expansion:
    """A term found in a query and the phrases it stands for (any one of them will do).

    `kind` says how close the alternatives are, and so how much they weigh:
      defined  the records' own definition ("domestic abuse (DA)"), mined from the corpus;
      same     an acronym and its long form, or a synonym group, from the vocabulary;
      related  the records' nearby terms for a plain phrase ("hanging up" -> "abandonment").
    """

    term: str
    alternatives: tuple[str, ...]
    kind: str = "same"


def _phrase_error(path: Path, field_name: str, problem: str) -> ScrutinyError:
    return ScrutinyError(f"{path}: {field_name} {problem}: fix the entry or remove it")


def parse_vocabulary(data: Any, path: Path = TERMS_PATH) -> Vocabulary:
    """Check the vocabulary's shape and entries; a bad entry is named with its field."""
    if not isinstance(data, dict):
        raise ScrutinyError(f"{path}: expected a JSON object with acronyms, synonyms and related: fix the file")
    acronyms = data.get("acronyms", {})
    synonyms = data.get("synonyms", [])
    related = data.get("related", {})
    if not isinstance(acronyms, dict) or not isinstance(synonyms, list) or not isinstance(related, dict):
        raise ScrutinyError(f"{path}: acronyms and related must be objects, synonyms a list: fix the file")
    for abbr, long_form in acronyms.items():
        if not ACRONYM_RE.match(abbr):
            raise _phrase_error(path, f"acronyms[{abbr!r}]", "is not an acronym (a capital, then 1-9 letters)")
        if not isinstance(long_form, str) or not tokenize(long_form):
            raise _phrase_error(path, f"acronyms[{abbr!r}]", "has no long form")
    groups = []
    for n, group in enumerate(synonyms):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(p, str) and tokenize(p) for p in group):
            raise _phrase_error(path, f"synonyms[{n}]", "must list two or more phrases with words in them")
        stems = [tuple(tokenize(p)) for p in group]
        if len(set(stems)) != len(stems):
            raise _phrase_error(path, f"synonyms[{n}]", "repeats a phrase (after stemming)")
        groups.append(tuple(group))
    checked: dict[str, tuple[str, ...]] = {}
    for term, targets in related.items():
        if not tokenize(term):
            raise _phrase_error(path, f"related[{term!r}]", "has no searchable words")
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) and tokenize(t) for t in targets):
            raise _phrase_error(path, f"related[{term!r}]", "must list one or more phrases with words in them")
        if any(tuple(tokenize(t)) == tuple(tokenize(term)) for t in targets):
            raise _phrase_error(path, f"related[{term!r}]", "lists itself")
        checked[term] = tuple(targets)
    return Vocabulary(dict(acronyms), tuple(groups), checked)


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = TERMS_PATH) -> Vocabulary:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScrutinyError(f"{path}: unreadable vocabulary ({exc}): restore it from the repository") from exc
    return parse_vocabulary(data, Path(path))


@lru_cache(maxsize=16384)
def _stems(phrase: str) -> tuple[str, ...]:
    # Every query checks every entry: stem each phrase once per process, not once per query.
    return tuple(tokenize(phrase))


@lru_cache(maxsize=16384)
def _words(phrase: str) -> tuple[str, ...]:
    return tuple(phrase_words(phrase))


LIGHT_VERB_STEMS = frozenset(tokenize(" ".join(LIGHT_VERBS)))


@lru_cache(maxsize=16384)
def _acronym_pattern(abbr: str) -> re.Pattern[str]:
    # Capitals as written ("DA", not "da"), a plural allowed: "PCSOs", "OCGs".
    return re.compile(rf"(?<![\w&]){re.escape(abbr)}s?(?![\w&])")


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(tuple(haystack[i:i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def _acronym_in(query: str, abbr: str) -> bool:
    return abbr in query and _acronym_pattern(abbr).search(query) is not None


def expansions(
    query: str, vocabulary: Vocabulary | None = None, glossary: Mapping[str, str] | None = None
) -> tuple[Expansion, ...]:
    """Every vocabulary or glossary term that is a whole word or phrase of the query, with
    the phrases it stands for; alternatives already in the query are left out."""
    vocabulary = vocabulary or load_vocabulary()
    stems = tokenize(query)
    words = phrase_words(query)

    def in_query(term: str, name: bool = False) -> bool:
        # Found by its stems, small words aside ("keeping the officers" holds "keeping
        # officers"), unless those leave only a light verb: "get through", "take off", "turn
        # up" are found word for word, not in every "get", "take" or "turn". So is a name
        # that small words leave one word of: "no further action" is not every "action".
        needle = _stems(term)
        if len(needle) == 1 and (name or needle[0] in LIGHT_VERB_STEMS) and len(_words(term)) > 1:
            return _contains(words, _words(term))
        return _contains(stems, needle)

    found: dict[tuple[tuple[str, ...], str], tuple[str, list[str]]] = {}

    def add(term: str, alternatives: Iterable[str], kind: str) -> None:
        new = [a for a in alternatives if not _contains(stems, _stems(a)) and not _acronym_in(query, a)]
        if new:
            # "hanging up" and "hang up" are one term of the query, not two.
            _, kept = found.setdefault((_stems(term) or (term,), kind), (term, []))
            kept.extend(a for a in new if a not in kept)

    pairs = [(a, f, "defined") for a, f in (glossary or {}).items()]
    pairs += [(a, f, "same") for a, f in vocabulary.acronyms.items() if a not in (glossary or {})]
    for abbr, long_form, kind in pairs:
        if _acronym_in(query, abbr):
            add(abbr, [long_form], kind)
        elif in_query(long_form, name=True):
            add(long_form, [abbr], kind)
    for group in vocabulary.synonyms:
        for phrase in group:
            if in_query(phrase):
                add(phrase, [p for p in group if p != phrase], "same")
    for term, targets in vocabulary.related.items():
        if in_query(term):
            add(term, targets, "related")
    return tuple(Expansion(term, tuple(alts), kind) for (_, kind), (term, alts) in found.items())

"""Abbreviations the records define for themselves: "domestic abuse (DA)", "violence
against women and girls (VAWG)", "Out of Court Resolutions (OoCRs)".

Minutes switch to the short form after defining it, so a researcher typing "domestic
abuse" must also find "DA", and one typing "RCRP" must find "Right Care Right Person".
The glossary is mined from the corpus itself, never written by hand, so it grows with
the documents users add.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

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

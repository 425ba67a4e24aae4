"""Sentences of a text: the one splitter shared by the parser (chunks, offers), search,
answers and the brief.

A quote is a whole sentence of the record, so a full stop ends a sentence only where a
sentence ends: not inside a number (29.7%, £2.8m, 3.82%), after an initial ("A. Pughsley"),
after an abbreviation ("No. 5", "e.g. Kent", "Cllr. Hollingsbee", "approx. 400",
"(excl. Cannabis)") or after the number of a paragraph or list item ("3.2 The CC …",
"1. Introduction", "(iv) …"). A line break ends a sentence (records are reflowed into one
paragraph a line), and so does a list bullet standing mid-line.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.vocabulary import ABBREVIATIONS, HONORIFICS, MONTHS, NUMBER_ABBREVIATIONS

# Glyphs that mark a list item; "o" is the sub-bullet of Word exports ("o Force to provide").
BULLETS = "•●▪◦‣∙·■□➢➤►✓✔"
LEADING_MARK_RE = re.compile(rf"^(?:[{BULLETS}*\-–—]|o(?=\s+[A-Z0-9£$€]))\s+")
# A sentence's end: stops (and "…"), then any closing quotes or brackets, then a space or the end.
END_RE = re.compile(r"[.!?…]+['’\"”)\]]*(?=\s|$)")
MID_BULLET_RE = re.compile(rf"\s(?=[{BULLETS}]\s)")
# What stands before a list item's text: "1.", "3.2", "(a)", "iv.", "b)".
LIST_NUMBER_RE = re.compile(r"^\s*[(\[]?(?:\d+(?:\.\d+)*|[a-zA-Z]|[ivxlcIVXLC]{1,5})[.)\]]?$")
WORD_BEFORE_RE = re.compile(r"(?:^|(?<=[\s(\[\"'‘“]))([A-Za-z][A-Za-z.]*)$")
INITIALS_RE = re.compile(r"^(?:[A-Z]\.)*[A-Z]$")
# HTML left in a text by its export: "22<sup>nd</sup>", "<br>".
MARKUP_RE = re.compile(r"</?(?:sup|sub|b|i|u|em|strong|span|br|p|small)\b[^>]*>", re.I)


@lru_cache(maxsize=1)
def _abbreviations() -> tuple[frozenset[str], frozenset[str]]:
    always = {a.lower() for a in ABBREVIATIONS}
    always |= {h.lower() for h in HONORIFICS if " " not in h}
    before_number = {a.lower() for a in NUMBER_ABBREVIATIONS} | {m for m in MONTHS if len(m) <= 4}
    return frozenset(always), frozenset(before_number)


def _ends_here(line: str, stop: re.Match[str]) -> bool:
    """Whether the stop matched in `line` ends a sentence."""
    rest = line[stop.end() :].lstrip()
    if not rest:
        return True
    following = rest[0]
    if following.islower():
        return False  # "approx. four", "the C.C. said"
    if not (following.isupper() or following.isdigit() or following in "‘'\"“([£$€#" + BULLETS):
        return False
    if stop.group(0)[0] != ".":
        return True  # "?" and "!" end a sentence before a capital or a number
    before = line[: stop.start()]
    if LIST_NUMBER_RE.match(before):
        return False  # "1. Introduction", "3.2. The CC…"
    word = WORD_BEFORE_RE.search(before)
    if word is None:
        return True
    token = word.group(1).rstrip(".")
    always, before_number = _abbreviations()
    lowered = token.lower()
    if lowered in always:
        return False
    if lowered in before_number and (following.isdigit() or following in "£$€#"):
        return False
    if INITIALS_RE.match(token) and following.isupper():
        return False  # "A. Pughsley", "J.R. Hartley"; an initialism ends nothing before a name
    return True


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, without surrounding spaces or a leading
    list bullet; never across a line break."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        cuts = [0]
        for stop in END_RE.finditer(line):
            if _ends_here(line, stop):
                cuts.append(stop.end())
        cuts.extend(m.end() for m in MID_BULLET_RE.finditer(line))
        cuts.append(len(line))
        cuts = sorted(set(cuts))
        for start, end in zip(cuts, cuts[1:]):
            piece = line[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            lead = len(piece) - len(piece.lstrip())
            mark = LEADING_MARK_RE.match(stripped)
            if mark:
                lead += mark.end()
                stripped = stripped[mark.end() :]
                if not stripped.strip():
                    continue
            s = offset + start + lead
            spans.append((s, s + len(stripped.rstrip())))
        offset += len(line) + 1
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, each verbatim."""
    return [text[s:e] for s, e in sentence_spans(text)]


def readable(text: str) -> str:
    """A quote as a reader should see it: markup an export left in ("22<sup>nd</sup>")
    removed, the words unchanged."""
    return MARKUP_RE.sub("", text)

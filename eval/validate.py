"""Check a question set against the corpus: ``python -m eval.validate eval/questions.jsonl``.

Every gold quote must occur, after :func:`eval.metrics.normalise`, within a single line
of the seed file it names (``file`` is the original seed name; ``corpus/manifest.csv``
maps it to the corpus copy). The format checks follow ``dev.jsonl``: ids unique, a known
``type``, ISO dates or null, grades 1 or 2, and ``relevant: []`` exactly for negatives.

Exit status 0 when the set is valid, 1 when any problem is found (each printed on one
line naming the file, line, question id and field), 2 when the set cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import load_manifest, normalise

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TYPES = ("topic", "speaker", "temporal", "commitment", "numeric", "paraphrase", "negative")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_QUESTION_KEYS = {"id", "query", "type", "filters", "relevant", "answer"}
_FILTER_KEYS = {"speaker_role", "date_from", "date_to"}
_GOLD_KEYS = {"file", "quote", "meeting_date", "speaker", "grade"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the set; ``warning`` problems do not fail validation."""

    where: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{'warning' if self.warning else 'error'}: {self.where}: {self.message}"


class Corpus:
    """The seed files' lines, normalised once, keyed by original name."""

    def __init__(self, corpus_dir: Path) -> None:
        manifest = load_manifest(corpus_dir / "manifest.csv")
        self.paths: dict[str, Path] = {}
        self.lines: dict[str, list[str]] = {}
        self.whole: dict[str, str] = {}
        for corpus_name, original in manifest.items():
            path = corpus_dir / corpus_name
            text = path.read_text(encoding="utf-8")
            self.paths[original] = path
            self.lines[original] = [normalise(line) for line in text.splitlines()]
            self.whole[original] = normalise(text)

    def line_numbers(self, original: str, quote: str) -> list[int]:
        """1-based numbers of the lines of ``original`` that contain ``quote``."""
        needle = normalise(quote)
        return [n for n, line in enumerate(self.lines[original], start=1) if needle in line]

    def other_files_with(self, original: str, quote: str) -> list[str]:
        """Other seed files whose text contains ``quote`` (a sign it may be ambiguous)."""
        needle = normalise(quote)
        return [name for name, text in self.whole.items() if name != original and needle in text]


def _is_date(value: Any) -> bool:
    return value is None or (isinstance(value, str) and bool(_ISO_DATE.match(value)))


def check_question(question: Mapping[str, Any], where: str, corpus: Corpus) -> list[Problem]:
    """Every problem with one question object."""
    problems: list[Problem] = []
    missing = _QUESTION_KEYS - question.keys()
    if missing:
        return [Problem(where, f"missing keys {sorted(missing)}")]
    extra = question.keys() - _QUESTION_KEYS
    if extra:
        problems.append(Problem(where, f"unexpected keys {sorted(extra)}", warning=True))
    if not isinstance(question["query"], str) or not question["query"].strip():
        problems.append(Problem(where, "query must be a non-empty string"))
    if question["type"] not in TYPES:
        problems.append(Problem(where, f"type {question['type']!r} is not one of {', '.join(TYPES)}"))
    if not isinstance(question["answer"], str) or not question["answer"].strip():
        problems.append(Problem(where, "answer must be a non-empty string"))

    filters = question["filters"]
    if not isinstance(filters, dict) or set(filters) != _FILTER_KEYS:
        problems.append(Problem(where, f"filters must have exactly the keys {sorted(_FILTER_KEYS)}"))
    else:
        for key in ("date_from", "date_to"):
            if not _is_date(filters[key]):
                problems.append(Problem(where, f"filters.{key} {filters[key]!r} is not an ISO date or null"))
        role = filters["speaker_role"]
        if role is not None and (not isinstance(role, str) or not role.strip()):
            problems.append(Problem(where, "filters.speaker_role must be a role name or null"))

    relevant = question["relevant"]
    if not isinstance(relevant, list):
        return problems + [Problem(where, "relevant must be a list")]
    if question["type"] == "negative" and relevant:
        problems.append(Problem(where, "a negative question must have relevant: []"))
    if question["type"] != "negative" and not relevant:
        problems.append(Problem(where, "only negative questions may have relevant: []"))

    seen: set[tuple[str, str]] = set()
    for i, gold in enumerate(relevant):
        here = f"{where} relevant[{i}]"
        if not isinstance(gold, dict) or set(gold) != _GOLD_KEYS:
            problems.append(Problem(here, f"must have exactly the keys {sorted(_GOLD_KEYS)}"))
            continue
        if gold["grade"] not in (1, 2) or isinstance(gold["grade"], bool):
            problems.append(Problem(here, f"grade {gold['grade']!r} must be 1 or 2"))
        if not _is_date(gold["meeting_date"]):
            problems.append(Problem(here, f"meeting_date {gold['meeting_date']!r} is not an ISO date or null"))
        if gold["speaker"] is not None and (not isinstance(gold["speaker"], str) or not gold["speaker"].strip()):
            problems.append(Problem(here, "speaker must be a role name or null"))
        name, quote = gold["file"], gold["quote"]
        if name not in corpus.lines:
            problems.append(Problem(here, f"file {name!r} is not an original_name in corpus/manifest.csv"))
            continue
        if not isinstance(quote, str) or not normalise(quote):
            problems.append(Problem(here, "quote must be a non-empty string"))
            continue
        key = (name, normalise(quote))
        if key in seen:
            problems.append(Problem(here, "the same quote is listed twice"))
        seen.add(key)
        lines = corpus.line_numbers(name, quote)
        if not lines:
            problems.append(
                Problem(here, f"quote not found within one line of {name} ({corpus.paths[name].name}): {quote[:60]!r}")
            )
            continue
        others = corpus.other_files_with(name, quote)
        if others:
            problems.append(Problem(here, f"quote also occurs in {', '.join(others)}", warning=True))
    return problems


def validate(rows: Iterable[str], label: str, corpus: Corpus) -> list[Problem]:
    """Every problem in a JSON-lines question set, read from ``rows``."""
    problems: list[Problem] = []
    ids: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        where = f"{label}:{number}"
        try:
            question = json.loads(row)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(question, dict):
            problems.append(Problem(where, "each line must be a JSON object"))
            continue
        qid = question.get("id")
        where = f"{where} ({qid})"
        if not isinstance(qid, str) or not qid:
            problems.append(Problem(where, "id must be a non-empty string"))
        elif qid in ids:
            problems.append(Problem(where, f"duplicate id {qid!r}"))
        else:
            ids.add(qid)
        problems.extend(check_question(question, where, corpus))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.validate", description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="+", type=Path, help="JSON-lines question set(s)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder with manifest.csv")
    args = parser.parse_args(argv)
    try:
        corpus = Corpus(args.corpus)
    except (OSError, KeyError, UnicodeDecodeError) as exc:
        print(f"error: cannot read the corpus in {args.corpus}: {exc}; pass --corpus FOLDER", file=sys.stderr)
        return 2
    status = 0
    for path in args.questions:
        try:
            rows = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: cannot read {path}: {exc}", file=sys.stderr)
            return 2
        problems = validate(rows, str(path), corpus)
        for problem in problems:
            print(problem)
        errors = sum(not p.warning for p in problems)
        questions = [json.loads(r) for r in rows if r.strip()] if not errors else []
        quotes = sum(len(q["relevant"]) for q in questions)
        summary = f"{path}: {len(questions)} questions, {quotes} quotes" if not errors else f"{path}: {errors} error(s)"
        print(summary + f", {sum(p.warning for p in problems)} warning(s)")
        if errors:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

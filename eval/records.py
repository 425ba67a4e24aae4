"""How well the parser reads records from police areas and publishers it was not written
against: ``python -m eval.records [--json] [--index DIR]``.

``eval/areas/corpus`` holds small documents in other publishers' layouts (ModernGov and
CMIS pages, older PDF text, board notes, a Markdown export, a decision record…) and
``eval/areas/truth.json`` says, by hand, what each holds. Every file is read and parsed
the way ``scrutiny index`` does it (read_file, parse_file without a manifest row, then
resolve_corpus), and each document of the truth is scored:

* date: the document's meeting date (stated, or the start of an inferred range) equals
  the one the record states;
* body: equal after :func:`normalise_body` to the truth's body or one of its aliases, so
  the body must name both the area and the kind of body ("Sussex Police and Crime Panel",
  not "Police and Crime Panel");
* kind and area: equal after folding case (and the kind's aliases);
* attendees: each person of the truth found among the parsed attendees by
  :func:`same_person` (titles, post-nominals and initials set aside); among those found,
  the role right for the offices that attribution depends on (PCC, CC, DCC, CE) and
  the status (present or apologies) right.

With ``--index`` the retrieval figures of ``eval/areas/questions.jsonl`` follow, from
eval.run over an index of the same corpus (``SCRUTINY_INDEX=DIR scrutiny index
eval/areas/corpus`` builds one).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from indexer.errors import ScrutinyError
from indexer.records import Attendee, Document, ParsedFile
from indexer.vocabulary import KIND_ALIASES, strip_titles

AREAS = Path(__file__).resolve().parent / "areas"
CORPUS = AREAS / "corpus"
TRUTH = AREAS / "truth.json"
QUESTIONS = AREAS / "questions.jsonl"

# Offices whose holder a search by role must find; a wrong role here misattributes quotes.
SCORED_ROLES = frozenset({"PCC", "CC", "DCC", "CE"})
STATUSES = ("present", "apologies")


class TruthError(ScrutinyError):
    """truth.json is malformed: the message names the file, the entry and the field."""


@dataclass(frozen=True)
class TruthAttendee:
    name: str
    role: str | None
    status: str  # present | apologies


@dataclass(frozen=True)
class TruthDocument:
    file: str
    kind: str
    body: str
    area: str
    date: date | None  # None where the record states no date
    attendees: tuple[TruthAttendee, ...]
    body_aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentScore:
    """One document of the truth against the parsed document it was paired with."""

    file: str
    found: bool  # the file was parsed into at least one document to pair with
    date_ok: bool | None  # None where the record states no date
    body_ok: bool
    kind_ok: bool
    area_ok: bool
    attendees: int  # in the truth
    attendees_found: int
    roles_scored: int  # found attendees whose true role is one of SCORED_ROLES
    roles_ok: int
    status_ok: int  # found attendees with the right status
    got_date: str | None = None
    got_body: str | None = None
    got_kind: str | None = None
    got_area: str | None = None
    error: str | None = None


# -- truth -------------------------------------------------------------------------

def _field(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise TruthError(f"{where}: missing field {key!r}; add it (see the 'about' note at the top of truth.json)")
    return entry[key]


def _iso(value: Any, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TruthError(f"{where}: date {value!r} is not YYYY-MM-DD; write it as 2020-09-15 or null") from None


def load_truth(path: Path = TRUTH) -> list[TruthDocument]:
    """The documents of truth.json, in file order."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TruthError(f"{path}: cannot read ({exc}); fix the file or pass --truth FILE") from None
    documents = []
    for name, entry in _field(data, "files", str(path)).items():
        for n, doc in enumerate(_field(entry, "documents", f"{path}: {name}")):
            where = f"{path}: {name} document {n}"
            attendees = []
            for a in _field(doc, "attendees", where):
                status = a.get("status", "present")
                if status not in STATUSES:
                    raise TruthError(f"{where}: attendee {a.get('name')!r} has status {status!r}; use one of {', '.join(STATUSES)}")
                attendees.append(TruthAttendee(_field(a, "name", where), a.get("role"), status))
            documents.append(TruthDocument(
                file=name,
                kind=_field(doc, "kind", where),
                body=_field(doc, "body", where),
                area=_field(doc, "area", where),
                date=_iso(_field(doc, "date", where), where),
                attendees=tuple(attendees),
                body_aliases=tuple(doc.get("body_aliases", ())),
            ))
    return documents


# -- comparisons --------------------------------------------------------------------

_PUNCT = re.compile(r"[^\w\s]|_")
_THE = re.compile(r"\bthe\b")


def normalise_body(name: str | None) -> str:
    """Fold case, "&" to "and", drop "the" and punctuation: "The Sussex Police & Crime
    Panel" and "Sussex Police and Crime Panel" compare equal."""
    if not name:
        return ""
    text = name.casefold().replace("&", " and ")
    text = _PUNCT.sub(" ", text.replace("’", "'").replace("'s ", " "))
    text = _THE.sub(" ", text)
    return " ".join(text.split())


def body_matches(got: str | None, truth: TruthDocument) -> bool:
    wanted = {normalise_body(b) for b in (truth.body, *truth.body_aliases)}
    return bool(got) and normalise_body(got) in wanted


def kind_matches(got: str | None, truth: str) -> bool:
    def fold(kind: str | None) -> str:
        key = " ".join((kind or "").casefold().split())
        return str(KIND_ALIASES.get(key, key))

    return fold(got) == fold(truth)


def area_matches(got: str | None, truth: str) -> bool:
    def fold(area: str | None) -> str:
        return " ".join((area or "").casefold().replace("-", " ").split())

    return bool(got) and fold(got) == fold(truth)


def date_matches(got: date | None, truth: date | None) -> bool | None:
    """None where the record states no date (not scored); else whether they are equal."""
    if truth is None:
        return None
    return got == truth


def _name_parts(name: str) -> tuple[str, set[str]]:
    """(surname, initials of the other words), titles and post-nominals removed;
    "Fairburn, J." is read as "J. Fairburn"."""
    name = strip_titles(name)
    if "," in name:
        surname, _, given = name.partition(",")
        name = f"{given} {surname}"
    words = [w for w in re.split(r"[\s.]+", strip_titles(name)) if w]
    if not words:
        return "", set()
    return words[-1].casefold(), {w[0].casefold() for w in words[:-1]}


def same_person(a: str, b: str) -> bool:
    """Same surname, and where both names give initials, one's are among the other's:
    "Cllr J. Fairburn", "Fairburn, Jane" and "Fairburn" are one person, and so are
    "Jo Pennant" and a name still carrying its rank, "Chief Constable Jo Pennant"."""
    surname_a, initials_a = _name_parts(a)
    surname_b, initials_b = _name_parts(b)
    if not surname_a or surname_a != surname_b:
        return False
    return not initials_a or not initials_b or initials_a <= initials_b or initials_b <= initials_a


def _status(attendee: Attendee) -> str:
    return "apologies" if attendee.status == "apologies" else "present"


def match_attendees(truth: Sequence[TruthAttendee], got: Sequence[Attendee]) -> list[tuple[TruthAttendee, Attendee | None]]:
    """Each true attendee paired with the first unused parsed attendee naming the same person."""
    unused = list(got)
    pairs: list[tuple[TruthAttendee, Attendee | None]] = []
    for person in truth:
        match = next((a for a in unused if same_person(person.name, a.name)), None)
        if match is not None:
            unused.remove(match)
        pairs.append((person, match))
    return pairs


def score_document(truth: TruthDocument, got: Document | None, error: str | None = None) -> DocumentScore:
    """One truth document against the parsed document paired with it (None: nothing parsed)."""
    if got is None:
        return DocumentScore(
            file=truth.file, found=False, date_ok=date_matches(None, truth.date), body_ok=False, kind_ok=False,
            area_ok=False, attendees=len(truth.attendees), attendees_found=0, roles_scored=0, roles_ok=0,
            status_ok=0, error=error,
        )
    found = [(person, a) for person, a in match_attendees(truth.attendees, got.attendees) if a is not None]
    scored = [(person, a) for person, a in found if person.role in SCORED_ROLES]
    got_date = got.meeting_date
    return DocumentScore(
        file=truth.file,
        found=True,
        date_ok=date_matches(got_date, truth.date),
        body_ok=body_matches(got.body, truth),
        kind_ok=kind_matches(got.kind, truth.kind),
        area_ok=area_matches(got.area, truth.area),
        attendees=len(truth.attendees),
        attendees_found=len(found),
        roles_scored=len(scored),
        roles_ok=sum((a.role or "").casefold() == (person.role or "").casefold() for person, a in scored),
        status_ok=sum(_status(a) == person.status for person, a in found),
        got_date=got_date.isoformat() if got_date else None,
        got_body=got.body,
        got_kind=str(got.kind),
        got_area=got.area,
        error=error,
    )


def _agreement(score: DocumentScore) -> tuple[int, ...]:
    return (int(bool(score.date_ok)), int(score.kind_ok), int(score.body_ok), score.attendees_found)


def score_file(truths: Sequence[TruthDocument], parsed: ParsedFile | None, error: str | None = None) -> list[DocumentScore]:
    """Pair each truth document of one file with the parsed document that agrees with it
    most (each parsed document used once) and score the pair."""
    unused = list(parsed.documents) if parsed else []
    scores = []
    for truth in truths:
        candidates = [(score_document(truth, doc), doc) for doc in unused]
        if not candidates:
            scores.append(score_document(truth, None, error))
            continue
        best, doc = max(candidates, key=lambda pair: _agreement(pair[0]))
        unused.remove(doc)
        scores.append(best)
    return scores


# -- running ------------------------------------------------------------------------

def parse_records(corpus: Path = CORPUS) -> tuple[dict[str, ParsedFile], dict[str, str]]:
    """Every file of the corpus parsed as `scrutiny index` would (no manifest), names
    resolved across the corpus; and a one-line error for each file that failed."""
    from indexer.errors import ReadError
    from indexer.parse import parse_file
    from indexer.read import corpus_files, read_file
    from indexer.resolve import resolve_corpus

    parsed: list[ParsedFile] = []
    errors: dict[str, str] = {}
    for path in corpus_files([corpus]):
        try:
            parsed.append(parse_file(read_file(path), None))
        except ReadError as exc:
            errors[path.name] = str(exc)
        except Exception as exc:  # a parser failure is a result to report, not a reason to stop
            errors[path.name] = f"{path.name}: could not be parsed ({type(exc).__name__}: {exc})"
    return {f.source: f for f in resolve_corpus(parsed)}, errors


def score_records(truth: Sequence[TruthDocument], parsed: dict[str, ParsedFile], errors: dict[str, str]) -> list[DocumentScore]:
    by_file: dict[str, list[TruthDocument]] = {}
    for doc in truth:
        by_file.setdefault(doc.file, []).append(doc)
    scores = []
    for name, truths in by_file.items():
        error = errors.get(name) or (None if name in parsed else f"{name}: not in the corpus")
        scores.extend(score_file(truths, parsed.get(name), error))
    return scores


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def summary(scores: Sequence[DocumentScore]) -> dict[str, Any]:
    """The shares the parser is judged by, over every truth document."""
    dated = [s for s in scores if s.date_ok is not None]
    return {
        "documents": len(scores),
        "date": _share(sum(bool(s.date_ok) for s in dated), len(dated)),
        "body": _share(sum(s.body_ok for s in scores), len(scores)),
        "kind": _share(sum(s.kind_ok for s in scores), len(scores)),
        "area": _share(sum(s.area_ok for s in scores), len(scores)),
        "attendees_found": _share(sum(s.attendees_found for s in scores), sum(s.attendees for s in scores)),
        "roles_right": _share(sum(s.roles_ok for s in scores), sum(s.roles_scored for s in scores)),
        "status_right": _share(sum(s.status_ok for s in scores), sum(s.attendees_found for s in scores)),
        "unreadable": sum(not s.found for s in scores),
    }


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else ("ok" if ok else "x")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_records(scores: Sequence[DocumentScore]) -> str:
    """A row per document (what the parser found where it is wrong), then the shares."""
    lines = [f"{'file':<48} {'date':<16} {'kind':<20} {'area':<14} {'people':>7} {'roles':>6}  body"]
    for s in scores:
        date_cell = _mark(s.date_ok) + ("" if s.date_ok in (True, None) else f" {s.got_date or 'none'}")
        kind_cell = _mark(s.kind_ok) + ("" if s.kind_ok else f" {s.got_kind or 'none'}")
        area_cell = _mark(s.area_ok) + ("" if s.area_ok else f" {s.got_area or 'none'}")
        body_cell = _mark(s.body_ok) + ("" if s.body_ok else f" {s.got_body or 'none'}")
        lines.append(
            f"{s.file[:48]:<48} {date_cell:<16} {kind_cell:<20} {area_cell:<14} "
            f"{f'{s.attendees_found}/{s.attendees}':>7} {f'{s.roles_ok}/{s.roles_scored}':>6}  {body_cell}"
        )
        if s.error:
            lines.append(f"    error: {s.error}")
    total = summary(scores)
    lines.append(
        f"{total['documents']} documents: date {_pct(total['date'])}, body {_pct(total['body'])}, "
        f"kind {_pct(total['kind'])}, area {_pct(total['area'])}, attendees found {_pct(total['attendees_found'])}, "
        f"PCC/CC/DCC/CE roles right {_pct(total['roles_right'])}, status right {_pct(total['status_right'])}"
    )
    return "\n".join(lines)


def score_corpus(corpus: Path = CORPUS, truth_path: Path = TRUTH) -> list[DocumentScore]:
    """Parse the corpus and score every document of the truth."""
    truth = load_truth(truth_path)
    parsed, errors = parse_records(corpus)
    return score_records(truth, parsed, errors)


def records_json(scores: Sequence[DocumentScore]) -> dict[str, Any]:
    return {"summary": summary(scores), "documents": [asdict(s) for s in scores]}


def identity_manifest(corpus: Path, folder: Path) -> Path:
    """A manifest.csv naming each corpus file as itself, so that eval.metrics credits a
    quote only in the file its gold passage names."""
    from indexer.read import corpus_files

    path = folder / "manifest.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "original_name"])
        for file in corpus_files([corpus]):
            writer.writerow([file.name, file.name])
    return path


def unindexed_quotes(questions: Sequence[dict[str, Any]], passages: Sequence[Any]) -> list[str]:
    """Gold quotes that no passage of their file contains: text the parser dropped, which
    no ranking can find ("question id: file: quote")."""
    from eval.metrics import normalise

    texts: dict[str, list[str]] = {}
    for passage in passages:
        texts.setdefault(passage.source, []).append(normalise(passage.text))
    missing = []
    for question in questions:
        for gold in question["relevant"]:
            needle = normalise(gold["quote"])
            if not any(needle in text for text in texts.get(gold["file"], [])):
                missing.append(f"{question['id']}: {gold['file']}: {gold['quote']}")
    return missing


def retrieval_report(index_dir: Path, questions: Path = QUESTIONS, corpus: Path = CORPUS) -> dict[str, Any]:
    """eval.run's figures for the question set over an index of the corpus, and the gold
    quotes that never reached the index."""
    from eval.naive import load_questions
    from eval.run import evaluate
    from search.engine import open_searcher

    searcher = open_searcher(index_dir)
    with tempfile.TemporaryDirectory() as folder:
        report = evaluate(searcher, questions, identity_manifest(corpus, Path(folder)))
    report["unindexed_quotes"] = unindexed_quotes(load_questions(questions), searcher.index.passages)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.records", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--truth", type=Path, default=TRUTH)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--index", type=Path, help="An index of the corpus: also score retrieval on the questions.")
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    args = parser.parse_args(argv)
    try:
        scores = score_corpus(args.corpus, args.truth)
        retrieval = retrieval_report(args.index, args.questions, args.corpus) if args.index else None
    except ScrutinyError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"records": records_json(scores), "retrieval": retrieval}, ensure_ascii=False, indent=2))
        return 0
    print(format_records(scores))
    if retrieval is not None:
        from eval.naive import load_questions
        from eval.run import format_report, per_type

        print()
        print(format_report(retrieval))
        print(per_type(retrieval))
        missing = retrieval["unindexed_quotes"]
        n_quotes = sum(len(q["relevant"]) for q in load_questions(args.questions))
        print(f"gold quotes in no passage of their file: {len(missing)} of {n_quotes}")
        for line in missing:
            print(f"    {line[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

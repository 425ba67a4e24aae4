"""The held-out records of eval/areas: the scoring rules on small hand-made cases, the
data's integrity (every gold quote in its file, every truth file present), and the
scorer and retrieval run end to end with the fake embedder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from eval import records
from eval.metrics import normalise
from eval.records import (
    DocumentScore, TruthAttendee, TruthDocument, TruthError, area_matches, body_matches, date_matches,
    kind_matches, load_truth, match_attendees, normalise_body, same_person, score_document, score_file,
    summary, unindexed_quotes,
)
from indexer.records import Attendee, Document, ParsedFile


def _truth(**changes: object) -> TruthDocument:
    fields: dict[str, object] = dict(
        file="a.txt", kind="minutes", body="Sussex Police and Crime Panel", area="Sussex",
        date=date(2020, 9, 15), attendees=(
            TruthAttendee("Katrina Bellweather", "PCC", "present"),
            TruthAttendee("Jo Pennant", "CC", "present"),
            TruthAttendee("Tom Baverstock", "Member", "apologies"),
        ),
    )
    fields.update(changes)
    return TruthDocument(**fields)  # type: ignore[arg-type]


def _document(n: int = 0, **changes: object) -> Document:
    fields: dict[str, object] = dict(
        id=f"a.txt#{n}", source="a.txt", kind="minutes", title="Minutes", body="Sussex Police & Crime Panel",
        date=date(2020, 9, 15), date_range=None, date_inferred=False, attendees=(
            Attendee("Mrs Katrina Bellweather", "PCC", "Police and Crime Commissioner"),
            Attendee("Chief Constable Jo Pennant QPM", "DCC", "Chief Constable"),
            Attendee("Cllr T. Baverstock", "Member", None, status="apologies"),
        ), items=(), start=0, end=100, area="Sussex",
    )
    fields.update(changes)
    return Document(**fields)  # type: ignore[arg-type]


# -- dates, bodies, kinds, areas ------------------------------------------------------

def test_a_date_is_right_only_when_it_is_the_stated_one() -> None:
    assert date_matches(date(2017, 7, 28), date(2017, 7, 28)) is True
    assert date_matches(date(2017, 3, 24), date(2017, 7, 28)) is False  # the previous meeting's date
    assert date_matches(None, date(2017, 7, 28)) is False
    assert date_matches(date(2017, 7, 28), None) is None  # the record states none: not scored


def test_an_inferred_range_is_not_the_stated_date() -> None:
    doc = _document(date=None, date_range=(date(2020, 6, 27), date(2021, 1, 21)), date_inferred=True)
    score = score_document(_truth(), doc)
    assert score.date_ok is False and score.got_date == "2020-06-27"


def test_body_names_compare_without_case_the_article_or_ampersand() -> None:
    assert normalise_body("The Sussex Police & Crime Panel") == normalise_body("sussex police and crime panel")
    assert body_matches("SUSSEX POLICE AND CRIME PANEL", _truth())
    assert body_matches("Police, Fire and Crime Commissioner for Essex",
                        _truth(body="Essex Police, Fire and Crime Commissioner",
                               body_aliases=("Police, Fire and Crime Commissioner for Essex",)))


def test_a_body_without_its_area_is_wrong() -> None:
    assert not body_matches("Police and Crime Panel", _truth())
    assert not body_matches("Kent Police and Crime Panel", _truth())
    assert not body_matches(None, _truth())


def test_kinds_compare_through_the_vocabulary_aliases() -> None:
    assert kind_matches("decision", "decision")
    assert kind_matches("decision record", "decision")
    assert kind_matches("Meeting Notes", "meeting notes")
    assert not kind_matches("report", "minutes")
    assert not kind_matches(None, "agenda")


def test_areas_compare_without_case_or_hyphens() -> None:
    assert area_matches("Dyfed Powys", "Dyfed-Powys")
    assert not area_matches("Kent", "Sussex")
    assert not area_matches(None, "Sussex")


# -- people -------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("Councillor Derek Ashworth", "Derek Ashworth"),
    ("Mrs J. Fairburn", "Jane Fairburn"),
    ("Dr Owain Beddoe QPM", "Owain Beddoe"),
    ("Cllr Kettlewell", "Kettlewell"),
    ("Professor Ifan Meredith", "I Meredith"),
    ("Rhodri Lloyd-Evans", "Councillor Rhodri Lloyd-Evans"),
    ("Fairburn, J.", "Jane Fairburn"),
    ("Chief Constable Jo Pennant QPM", "Jo Pennant"),  # a rank left before the name
])
def test_the_same_person_whatever_the_titles_and_initials(a: str, b: str) -> None:
    assert same_person(a, b) and same_person(b, a)


@pytest.mark.parametrize("a, b", [
    ("Tom Baverstock", "Anne Baverstock"),
    ("Derek Ashworth", "Derek Ashcroft"),
    ("Councillor Derek Ashworth Chair Present", "Derek Ashworth"),  # a table row read as one name
    ("", "Ashworth"),
])
def test_different_people(a: str, b: str) -> None:
    assert not same_person(a, b)


def test_each_parsed_attendee_is_matched_once() -> None:
    truth = (TruthAttendee("John Smith", "CC", "present"), TruthAttendee("Jane Smith", "CE", "present"))
    got = (Attendee("J Smith", "CC", None),)
    pairs = match_attendees(truth, got)
    assert pairs[0][1] is got[0] and pairs[1][1] is None


def test_roles_are_scored_for_the_offices_of_attribution_only() -> None:
    score = score_document(_truth(), _document())
    assert score.attendees_found == 3
    assert score.roles_scored == 2  # PCC and CC; the Member's role is not scored
    assert score.roles_ok == 1  # the Chief Constable was read as DCC
    assert score.status_ok == 3
    assert score.body_ok and score.kind_ok and score.area_ok and score.date_ok


def test_in_attendance_counts_as_present_and_apologies_must_match() -> None:
    doc = _document(attendees=(
        Attendee("Katrina Bellweather", "PCC", None, status="in attendance"),
        Attendee("Tom Baverstock", "Member", None, status="present"),
    ))
    score = score_document(_truth(), doc)
    assert score.attendees_found == 2 and score.status_ok == 1


def test_a_file_that_could_not_be_read_scores_nothing_and_says_why() -> None:
    score = score_file([_truth()], None, "a.txt: empty file")[0]
    assert not score.found and score.date_ok is False and score.attendees_found == 0
    assert score.error == "a.txt: empty file"


def test_each_truth_document_is_paired_with_the_parsed_document_that_agrees_with_it() -> None:
    cover = _document(0, kind="report", date=None, body=None, attendees=())
    minutes = _document(1)
    parsed = ParsedFile(source="a.txt", text="", documents=(cover, minutes))
    [score] = score_file([_truth()], parsed)
    assert score.kind_ok and score.date_ok and score.attendees_found == 3


def test_summary_shares_leave_undated_records_out_of_the_date_share() -> None:
    scores = [
        score_document(_truth(), _document()),
        score_document(_truth(date=None), _document(date=date(2021, 1, 1))),
        score_document(_truth(), None),
    ]
    total = summary(scores)
    assert total["documents"] == 3
    assert total["date"] == pytest.approx(1 / 2)
    assert total["kind"] == pytest.approx(2 / 3)
    assert total["attendees_found"] == pytest.approx(6 / 9)
    assert total["roles_right"] == pytest.approx(2 / 4)
    assert total["unreadable"] == 1


def test_a_malformed_truth_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    path.write_text(json.dumps({"files": {"a.txt": {"documents": [{"kind": "minutes", "body": "B", "area": "Kent",
                                                                    "attendees": []}]}}}), encoding="utf-8")
    with pytest.raises(TruthError, match=r"truth\.json: a\.txt document 0: missing field 'date'"):
        load_truth(path)
    path.write_text(json.dumps({"files": {"a.txt": {"documents": [{"kind": "minutes", "body": "B", "area": "Kent",
                                                                    "date": "15/09/2020", "attendees": []}]}}}),
                    encoding="utf-8")
    with pytest.raises(TruthError, match="not YYYY-MM-DD"):
        load_truth(path)


# -- the data -----------------------------------------------------------------------

def _questions() -> list[dict]:
    return [json.loads(line) for line in records.QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_truth_file_exists_and_every_corpus_file_has_a_truth() -> None:
    truth_files = {doc.file for doc in load_truth()}
    corpus_files = {p.name for p in records.CORPUS.iterdir() if p.is_file()}
    assert truth_files == corpus_files
    for name in corpus_files:
        assert 1_000 <= (records.CORPUS / name).stat().st_size <= 6_000, name


# The later sets, and whether the parser has been taught their layouts yet.
LATER_SETS = [(records.AREAS.parent / name, taught) for name, taught in (("areas2", True), ("areas3", True), ("areas4", False))]


@pytest.mark.parametrize(("folder", "taught"), LATER_SETS, ids=lambda v: getattr(v, "name", ""))
def test_each_later_records_set_has_a_truth_for_every_file_and_reads_whole(folder: Path, taught: bool) -> None:
    truth = load_truth(folder / "truth.json")
    assert {doc.file for doc in truth} == {p.name for p in (folder / "corpus").iterdir() if p.is_file()}
    scores = records.score_corpus(folder / "corpus", folder / "truth.json")
    assert len(scores) == len(truth) and all(s.error is None for s in scores)
    if not taught:
        return
    # A set whose layouts have been taught to the parser: every date, body, person, office
    # and attendance is read, and must stay so.
    total = summary(scores)
    assert {k: total[k] for k in ("date", "body", "kind", "area", "attendees_found", "roles_right", "status_right")} == {
        k: 1.0 for k in ("date", "body", "kind", "area", "attendees_found", "roles_right", "status_right")}


def test_every_gold_quote_occurs_within_one_line_of_its_file() -> None:
    for question in _questions():
        for gold in question["relevant"]:
            lines = (records.CORPUS / gold["file"]).read_text(encoding="utf-8").splitlines()
            assert any(normalise(gold["quote"]) in normalise(line) for line in lines), (question["id"], gold["quote"])


def test_question_set_shape() -> None:
    questions = _questions()
    dates = {doc.file: doc.date for doc in load_truth()}
    assert 25 <= len(questions) <= 30
    assert len({q["id"] for q in questions}) == len(questions)
    assert sum(not q["relevant"] for q in questions) == 3
    assert all((q["type"] == "negative") == (not q["relevant"]) for q in questions)
    for q in questions:
        assert set(q["filters"]) == {"speaker_role", "date_from", "date_to"}
        for gold in q["relevant"]:
            assert gold["grade"] in (1, 2)
            assert gold["meeting_date"] == (dates[gold["file"]].isoformat() if dates[gold["file"]] else None)


# -- end to end ---------------------------------------------------------------------

def test_the_scorer_runs_over_the_whole_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    assert records.main(["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    total = report["records"]["summary"]
    assert total["documents"] == len(load_truth())
    for key in ("date", "body", "kind", "area", "attendees_found"):
        assert 0.0 <= total[key] <= 1.0
    assert report["retrieval"] is None
    assert {d["file"] for d in report["records"]["documents"]} == {doc.file for doc in load_truth()}


def test_retrieval_over_an_index_of_the_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ui.cli import main

    index_dir = tmp_path / "areas-index"
    result = CliRunner().invoke(main, ["index", str(records.CORPUS), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert records.main(["--json", "--index", str(index_dir)]) == 0
    retrieval = json.loads(capsys.readouterr().out)["retrieval"]
    assert retrieval["n_questions"] == len(_questions()) and retrieval["n_negative"] == 3
    for system in ("bm25", "dense", "hybrid"):
        assert 0.0 <= retrieval["systems"][system]["recall@10"] <= 1.0

    result = CliRunner().invoke(main, ["eval", "--records", "--index", str(index_dir),
                                       "--questions", str(records.QUESTIONS), "--json"])
    assert result.exit_code == 0, result.output
    both = json.loads(result.output)
    assert both["records"]["summary"]["documents"] == len(load_truth())
    assert both["retrieval"][0]["naive"] is None  # the naive baseline reads corpus/ only


def test_unindexed_quotes_names_text_that_never_reached_a_passage() -> None:
    from types import SimpleNamespace

    questions = [{"id": "x1", "relevant": [{"file": "a.txt", "quote": "Rural   Crime Team"},
                                           {"file": "a.txt", "quote": "farm thefts"}]}]
    passages = [SimpleNamespace(source="a.txt", text="The rural crime team grew."),
                SimpleNamespace(source="b.txt", text="farm thefts rose")]
    assert unindexed_quotes(questions, passages) == ["x1: a.txt: farm thefts"]


def test_eval_records_flag_prints_the_table() -> None:
    from ui.cli import main

    result = CliRunner().invoke(main, ["eval", "--records"])
    assert result.exit_code == 0, result.output
    assert "sussex-panel_2020-09-15_moderngov.html" in result.output
    assert "PCC/CC/DCC/CE roles right" in result.output


def test_score_rows_carry_what_the_parser_found() -> None:
    score = score_document(_truth(), _document(kind="report", body=None))
    assert isinstance(score, DocumentScore)
    assert score.got_kind == "report" and score.got_body is None and not score.body_ok

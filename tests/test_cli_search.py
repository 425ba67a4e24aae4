"""`scrutiny search` through click's runner, on an index of the seed corpus built with the
fake embedder: filters, the JSON fields, the batch interface, weak evidence, odd queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import Seed, fake_env
from ui.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
UNDATED_2024 = "performance-delivery-board_2024-undated_notes.txt"
PANEL = "Kent and Medway Police and Crime Panel"
RESULT_FIELDS = {
    "text", "score", "meeting_date", "date_inferred", "body", "document", "source", "item",
    "speakers", "lexical_rank", "dense_rank",
}


@pytest.fixture(scope="module")
def seed(cli_seed: Seed) -> Seed:
    """The seed corpus indexed once (tests only read it)."""
    return cli_seed


@pytest.fixture(autouse=True)
def _fake_embedder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_env(monkeypatch, tmp_path / "cache")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def search_json(seed: Seed, *args: str) -> dict[str, Any]:
    result = invoke("search", *args, "--json", "--index", str(seed.index))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def roles(hit: dict[str, Any]) -> set[str | None]:
    return {s["role"] for s in hit["speakers"]}


def names(hit: dict[str, Any]) -> set[str | None]:
    return {s["name"] for s in hit["speakers"]}


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# -- filters ------------------------------------------------------------------------

def test_cc_since_2019_sorted_by_date_finds_both_chief_constables(seed: Seed) -> None:
    data = search_json(seed, "101 calls", "--speaker", "CC", "--since", "2019-01-01", "--sort", "date", "--k", "20")
    hits = data["results"]
    assert hits
    assert all("CC" in roles(h) for h in hits)
    dates = [h["meeting_date"] for h in hits]
    assert all(d is not None and d >= "2019-01-01" for d in dates)
    assert dates == sorted(dates)
    holders = set().union(*(names(h) for h in hits))
    # The office changed hands: "CC since 2019" means both holders, not one name.
    assert {"Alan Pughsley", "Tim Smith"} <= holders
    assert any(d.startswith("2019") for d in dates) and any(d >= "2023" for d in dates)
    assert data["understood"]["speaker"] == "CC" and data["understood"]["since"] == "2019-01-01"


def test_speaker_by_name_returns_only_that_person(seed: Seed) -> None:
    hits = search_json(seed, "101 calls", "--speaker", "Tim Smith", "--k", "30")["results"]
    assert hits
    assert all("Tim Smith" in names(h) for h in hits)
    assert not any("Alan Pughsley" in names(h) for h in hits)


def test_speaker_pcc_includes_panel_minutes_naming_the_commissioner(seed: Seed) -> None:
    hits = search_json(seed, "neighbourhood policing review", "--speaker", "PCC", "--k", "30")["results"]
    assert hits
    assert all("PCC" in roles(h) for h in hits)
    commissioner = [
        h for h in hits
        if any(s["role"] == "PCC" and (s["as_named"] or "").lower() == "the commissioner" for s in h["speakers"])
    ]
    assert commissioner, "the panel minutes' 'the Commissioner' is the PCC"
    assert all(h["body"] == PANEL for h in commissioner)
    # The same office at the board, named "the PCC", is found by the same filter.
    assert any(s["as_named"].lower() == "the pcc" for h in hits for s in h["speakers"] if s["role"] == "PCC")


def test_body_panel_restricts_to_the_police_and_crime_panel(seed: Seed) -> None:
    unfiltered = search_json(seed, "precept", "--k", "30")["results"]
    assert any(h["body"] != PANEL for h in unfiltered)  # so the filter has something to remove
    hits = search_json(seed, "precept", "--body", "panel", "--k", "30")["results"]
    assert hits
    assert {h["body"] for h in hits} == {PANEL}


def test_until_restricts_to_2019(seed: Seed) -> None:
    data = search_json(seed, "101 calls", "--until", "2019-12-31", "--k", "30")
    hits = data["results"]
    assert hits
    assert all(h["meeting_date"] is not None and h["meeting_date"].startswith("2019") for h in hits)
    assert data["understood"]["until"] == "2019-12-31"


def test_natural_language_question_is_understood(seed: Seed) -> None:
    data = search_json(seed, "what did the CC say about 101 calls since 2019?", "--k", "20")
    understood = data["understood"]
    assert understood["speaker"] == "CC"
    assert understood["since"] == "2019-01-01"
    assert "101" in understood["text"]
    hits = data["results"]
    assert hits
    assert all("CC" in roles(h) and h["meeting_date"] >= "2019-01-01" for h in hits)
    assert any("101" in h["text"] for h in hits[:3])


def test_each_result_carries_its_provenance(seed: Seed) -> None:
    hits = search_json(seed, "101 calls", "--k", "20")["results"]
    assert len(hits) == 20
    for h in hits:
        assert RESULT_FIELDS <= set(h)
        assert isinstance(h["text"], str) and h["text"].strip()
        assert isinstance(h["score"], float) and h["score"] > 0
        assert isinstance(h["date_inferred"], bool)
        assert h["source"] in {p.name for p in CORPUS.iterdir()}
        assert set(h["item"]) >= {"number", "title"}
        assert all({"role", "name"} <= set(s) for s in h["speakers"])
        assert h["lexical_rank"] is not None or h["dense_rank"] is not None
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert any(h["lexical_rank"] is not None and h["dense_rank"] is not None for h in hits)
    top = hits[0]
    assert "101" in top["text"]
    # Offsets point into the source file, so a quote can be checked against it.
    source_text = (CORPUS / top["source"]).read_text(encoding="utf-8")
    assert " ".join(top["text"].split())[:60] in " ".join(source_text.split())


def test_undated_2024_notes_carry_the_inferred_range_start(seed: Seed) -> None:
    docs = json.loads(invoke("documents", str(seed.corpus), "--json").stdout)
    ranges = {tuple(d["date_range"]) for d in docs if d["source"] == UNDATED_2024}
    assert ranges == {("2024-06-13", "2024-12-10")}
    hits = search_json(seed, "Terms of Reference review period", "--k", "10")["results"]
    undated = [h for h in hits if h["source"] == UNDATED_2024]
    assert undated
    assert all(h["date_inferred"] is True and h["meeting_date"] == "2024-06-13" for h in undated)
    # Board notes that state their date are not marked inferred.
    dated = search_json(seed, "Terms of Reference review period", "--body", "Performance and Delivery Board", "--k", "50")
    assert any(h["source"] == "performance-delivery-board_2019-09-25_notes.txt" for h in dated["results"])
    assert all(h["date_inferred"] is False for h in dated["results"] if h["source"] != UNDATED_2024)


def test_table_output_shows_date_speaker_and_item(seed: Seed) -> None:
    result = invoke("search", "101 calls", "--speaker", "CC", "--until", "2019-12-31", "--index", str(seed.index))
    assert result.exit_code == 0, result.output
    assert "Understood: speaker: CC" in result.stdout
    assert "2019-09-25 · Performance and Delivery Board" in result.stdout
    assert "Alan Pughsley (CC)" in result.stdout
    assert "item: 3. Safer in Kent Plan: Delivery & Performance" in result.stdout


# -- batch ----------------------------------------------------------------------------

def run_batch(seed: Seed, tmp_path: Path, lines: list[str]) -> tuple[Result, list[dict[str, Any]]]:
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("search", "--batch", str(batch), "--json", "--index", str(seed.index))
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, out


def test_batch_writes_one_json_line_per_question(seed: Seed, tmp_path: Path) -> None:
    questions = [
        {"id": "cc-2019", "query": "101 calls",
         "filters": {"speaker_role": "CC", "date_from": "2019-01-01", "date_to": "2019-12-31"}},
        {"id": "cc-since", "query": "101 calls", "filters": {"speaker_role": "CC", "date_from": "2023-01-01", "date_to": None}},
        {"id": "no-filters", "query": "knife crime arrests", "filters": None},
        {"id": "absent", "query": "domestic abuse victim satisfaction"},
        {"id": "nothing", "query": "quantum cryptography blockchain", "filters": {}},
    ]
    result, out = run_batch(seed, tmp_path, [json.dumps(q) for q in questions])
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in out] == [q["id"] for q in questions]
    for o in out:
        assert set(o) >= {"id", "understood", "weak", "results"}
        assert all(RESULT_FIELDS <= set(h) for h in o["results"])
    by_id = {o["id"]: o for o in out}

    cc_2019 = by_id["cc-2019"]
    assert (cc_2019["understood"]["speaker"], cc_2019["understood"]["since"], cc_2019["understood"]["until"]) == (
        "CC", "2019-01-01", "2019-12-31")
    assert cc_2019["results"] and cc_2019["weak"] is False
    assert all("CC" in roles(h) and h["meeting_date"].startswith("2019") for h in cc_2019["results"])

    cc_since = by_id["cc-since"]
    assert cc_since["results"]
    assert all("Tim Smith" in names(h) and h["meeting_date"] >= "2023-01-01" for h in cc_since["results"])

    for key in ("no-filters", "absent"):
        assert by_id[key]["understood"]["speaker"] is None and by_id[key]["understood"]["since"] is None
        assert by_id[key]["results"] and by_id[key]["weak"] is False
    assert by_id["nothing"]["weak"] is True
    # A batch answer is the same search as the single query.
    single = search_json(seed, "knife crime arrests")
    assert [h["passage_id"] for h in by_id["no-filters"]["results"]] == [h["passage_id"] for h in single["results"]]


def test_batch_malformed_line_gets_an_error_line_and_the_rest_continue(seed: Seed, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "query": "101 calls"}),
        "this is not json",
        json.dumps({"id": "b", "query": "knife crime arrests"}),
    ]
    result, out = run_batch(seed, tmp_path, lines)
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    assert len(out) == 3
    assert out[0]["id"] == "a" and out[0]["results"]
    assert out[1]["line"] == 2 and out[1]["error"]
    assert "results" not in out[1]
    assert out[2]["id"] == "b" and out[2]["results"]


def test_batch_error_line_does_not_take_the_previous_questions_id(seed: Seed, tmp_path: Path) -> None:
    result, out = run_batch(seed, tmp_path, [json.dumps({"id": "a", "query": "101 calls"}), "{not json"])
    assert result.exit_code == 0, result.output
    assert out[1]["line"] == 2
    # Line 2 has no readable id; reporting "a" would pin the error on a question that was answered.
    assert out[1]["id"] is None


@pytest.mark.parametrize(
    "bad",
    [
        "[1, 2]",
        "42",
        json.dumps({"id": "q", "query": "knife crime", "filters": "CC"}),
        json.dumps({"id": "q", "query": None}),
        json.dumps({"id": "q"}),
        json.dumps({"id": "q", "query": "   "}),
    ],
    ids=["array", "number", "filters-not-object", "query-null", "query-missing", "query-blank"],
)
def test_batch_question_of_the_wrong_shape_is_an_error_line(seed: Seed, tmp_path: Path, bad: str) -> None:
    lines = [json.dumps({"id": "first", "query": "101 calls"}), bad, json.dumps({"id": "last", "query": "knife crime"})]
    result, out = run_batch(seed, tmp_path, lines)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert [o.get("id") for o in (out[0], out[2])] == ["first", "last"]
    assert out[1].get("line") == 2 and out[1].get("error"), out[1]
    assert "results" not in out[1]


# -- weak evidence ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "query",
    [
        "quantum cryptography blockchain",
        "volcano eruption insurance",
        # The DCC sent apologies to the September 2023 board: nothing he said is recorded.
        "what did the DCC say at the September 2023 board",
    ],
)
def test_unanswerable_question_is_flagged_weak(seed: Seed, query: str) -> None:
    data = search_json(seed, query)
    assert data["weak"] is True
    assert not any("DCC" in roles(h) and h["meeting_date"] == "2023-09-13" for h in data["results"])


def test_dcc_absent_from_september_2023_board(seed: Seed) -> None:
    docs = json.loads(invoke("documents", str(seed.corpus), "--json").stdout)
    (board,) = [d for d in docs if d["date"] == "2023-09-13"]
    dcc = [a for a in board["attendees"] if a["role"] == "DCC"]
    assert dcc and all(a["status"] == "apologies" for a in dcc)
    data = search_json(seed, "what did the DCC say at the September 2023 board")
    assert data["understood"]["speaker"] == "DCC"
    assert (data["understood"]["since"], data["understood"]["until"]) == ("2023-09-01", "2023-09-30")
    assert data["results"] == []


@pytest.mark.parametrize(
    "query", ["101 calls", "knife crime arrests", "domestic abuse victim satisfaction", "Crimestoppers update"]
)
def test_well_supported_question_is_not_weak(seed: Seed, query: str) -> None:
    data = search_json(seed, query)
    assert data["weak"] is False
    assert data["results"]
    top = data["results"][0]["text"].lower()
    assert any(word in top for word in query.lower().split())


def test_weak_is_said_in_the_table_output(seed: Seed) -> None:
    weak = invoke("search", "quantum cryptography blockchain", "--index", str(seed.index))
    strong = invoke("search", "knife crime arrests", "--index", str(seed.index))
    assert weak.exit_code == 0 and strong.exit_code == 0
    assert "Weak evidence" in weak.stdout
    assert "Weak evidence" not in strong.stdout


# -- odd queries ------------------------------------------------------------------------

@pytest.mark.parametrize("args", [[""], ["   "], []], ids=["empty", "blank", "none"])
def test_empty_query_is_a_one_line_error(seed: Seed, args: list[str]) -> None:
    result = invoke("search", *args, "--index", str(seed.index))
    assert result.exit_code != 0
    assert_no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "query" in lines[0].lower()
    assert result.stdout == ""


@pytest.mark.parametrize(
    "query",
    [
        ("what did the CC say about 101 calls since 2019? " * 300)[:10_000],
        "a" * 10_000,
        " ".join(CORPUS.joinpath("performance-delivery-board_2019-09-25_notes.txt").read_text(encoding="utf-8").split())[:10_000],
    ],
    ids=["repeated-question", "one-long-word", "pasted-minutes"],
)
def test_ten_thousand_character_query_does_not_crash(seed: Seed, query: str) -> None:
    assert len(query) == 10_000
    result = invoke("search", query, "--json", "--index", str(seed.index))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data["weak"], bool)
    assert len(data["results"]) <= 10


@pytest.mark.parametrize("query", ["%%%$$$###", "?!", "— … ‘’ “”"])
def test_symbols_only_query_does_not_crash(seed: Seed, query: str) -> None:
    result = invoke("search", query, "--json", "--index", str(seed.index))
    assert_no_traceback(result)
    if result.exit_code == 0:
        data = json.loads(result.stdout)
        assert isinstance(data["weak"], bool) and isinstance(data["results"], list)
    else:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "query" in lines[0].lower()


@pytest.mark.parametrize("query", ["%%%$$$###", "?!", "..."])
def test_query_with_no_words_and_no_filters_is_not_answered_confidently(seed: Seed, query: str) -> None:
    """Nothing to rank by and nothing to filter by: refuse like an empty query, or flag
    whatever is shown as weak; never present arbitrary passages as a good answer."""
    result = invoke("search", query, "--json", "--index", str(seed.index))
    assert_no_traceback(result)
    if result.exit_code != 0:
        assert len(result.stderr.strip().splitlines()) == 1
        return
    data = json.loads(result.stdout)
    assert data["weak"] is True or data["results"] == [], [h["text"][:60] for h in data["results"][:3]]


def test_bad_date_filter_is_a_one_line_error(seed: Seed) -> None:
    result = invoke("search", "101 calls", "--since", "last tuesday-ish", "--index", str(seed.index))
    assert_no_traceback(result)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "last tuesday-ish" in lines[0]

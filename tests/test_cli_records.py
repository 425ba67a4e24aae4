"""`scrutiny documents` and `scrutiny actions` through click's runner, on the seed corpus."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ui.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_documents_json_lists_every_document_with_its_fields():
    result = CliRunner().invoke(main, ["documents", str(CORPUS), "--json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    assert len(docs) == 13
    assert {"source", "kind", "body", "title", "date", "date_range", "attendees", "items"} <= set(docs[0])
    undated = next(d for d in docs if d["source"].startswith("performance-delivery-board_2024"))
    assert undated["date"] is None and undated["date_range"] == ["2024-06-13", "2024-12-10"]
    sept_2019 = next(d for d in docs if d["date"] == "2019-09-25")
    assert {"role": "CC", "name": "Alan Pughsley"} in [{"role": a["role"], "name": a["name"]} for a in sept_2019["attendees"]]
    assert {"number": "3", "title": "Safer in Kent Plan: Delivery & Performance"} in sept_2019["items"]


def test_documents_table_is_readable():
    result = CliRunner().invoke(main, ["documents", str(CORPUS)])
    assert result.exit_code == 0
    assert "2024-06-13..2024-12-10 (inferred)" in result.output
    assert "13 documents in 5 files" in result.output


def test_actions_json_and_filters():
    result = CliRunner().invoke(main, ["actions", str(CORPUS), "--json", "--kind", "action", "--owner", "OPCC"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 1
    (row,) = rows
    assert {"text", "owner", "due", "meeting_date", "source", "status"} <= set(row)
    assert (row["owner"], row["due"], row["meeting_date"]) == ("OPCC", "2023-11-29", "2023-09-13")


def test_a_bad_file_is_reported_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text((CORPUS / "performance-delivery-board_2019-09-25_notes.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    result = CliRunner().invoke(main, ["documents", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert "empty.txt: empty file" in result.stderr
    assert "binary.txt" in result.stderr and "binary" in result.stderr
    docs = json.loads(result.stdout)
    assert [d["source"] for d in docs] == ["good.txt"]

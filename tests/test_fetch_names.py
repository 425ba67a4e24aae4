"""Corpus file names for fetched documents, and manifest rows written by fetch."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from indexer.errors import FetchError
from indexer.fetch.names import document_name, inside, remote_name, slug, unique_name
from indexer.manifest import read_manifest, upsert_rows


def test_names_say_body_date_and_kind_in_safe_characters() -> None:
    assert document_name("Kent & Medway Police and Crime Panel", date(2023, 10, 17), "agenda pack", "pdf") == \
        "kent-medway-police-and-crime-panel_2023-10-17_agenda-pack.pdf"
    assert document_name("Bwrdd Plismona – Dyfed-Powys", None, None, "docx") == "bwrdd-plismona-dyfed-powys_undated_document.docx"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("") == "document"
    assert len(slug("word " * 100)) <= 60


def test_a_taken_name_gets_a_number() -> None:
    assert unique_name("a_2023-01-01_minutes.pdf", set()) == "a_2023-01-01_minutes.pdf"
    assert unique_name("a_2023-01-01_minutes.pdf", {"a_2023-01-01_minutes.pdf", "a_2023-01-01_minutes-2.pdf"}) == \
        "a_2023-01-01_minutes-3.pdf"


@pytest.mark.parametrize("name", ["../escape.pdf", "..", "sub/file.pdf", "..\\file.pdf", "/etc/passwd", ""])
def test_nothing_outside_the_folder_is_accepted(tmp_path: Path, name: str) -> None:
    with pytest.raises(FetchError):
        inside(tmp_path, name)


def test_remote_names_lose_their_folders() -> None:
    assert remote_name("/documents/g1/Printed%20minutes.pdf", None) == "Printed minutes.pdf"
    assert remote_name("/x", "../../evil.pdf") == "evil.pdf"
    assert remote_name("/x", "..\\..\\win.pdf") == "win.pdf"


def test_rows_are_added_to_a_manifest_keeping_its_rows_and_columns(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,body,document_type,source_url,date,notes\nold.txt,Old Board,minutes,,2020-01-01,kept\n",
                        encoding="utf-8")
    upsert_rows(manifest, [{"file": "new.pdf", "body": "Sussex Police and Crime Panel", "area": "Sussex", "date": "2023-06-27"}])
    upsert_rows(manifest, [{"file": "new.pdf", "document_type": "minutes"}])
    rows = read_manifest(manifest)
    assert rows["old.txt"]["notes"] == "kept" and rows["old.txt"]["area"] == ""
    assert rows["new.pdf"] == {"file": "new.pdf", "body": "Sussex Police and Crime Panel", "document_type": "minutes",
                               "source_url": "", "date": "2023-06-27", "notes": "", "area": "Sussex"}
    assert manifest.read_text(encoding="utf-8").splitlines()[0] == "file,body,document_type,source_url,date,notes,area"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.csv"]  # no temporary file left beside it


def test_a_new_manifest_gets_the_standard_columns(tmp_path: Path) -> None:
    upsert_rows(tmp_path / "manifest.csv", [{"file": "a.pdf", "body": "Board"}])
    assert (tmp_path / "manifest.csv").read_text(encoding="utf-8").splitlines()[0] == \
        "file,original_name,publisher,body,area,document_type,source_url,date"

"""Abbreviations mined from the records and used to widen lexical queries."""

from __future__ import annotations

from pathlib import Path

from indexer.glossary import expand, mine

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_definitions_in_the_seed_corpus_are_mined():
    glossary = mine(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.*") if p.suffix in (".txt", ".md"))
    assert glossary["DA"] == "domestic abuse"
    assert glossary["VAWG"] == "violence against women and girls"
    assert glossary["OoCRs"] == "out of court resolutions"
    assert glossary["FCR"] == "force control room"


def test_only_initials_that_match_make_a_definition():
    glossary = mine(["The report (Appendix) was noted. Anti-social behaviour (ASB) fell. Work with partners (WP2)."])
    assert glossary == {"ASB": "anti-social behaviour"}


def test_expand_adds_the_other_form_once():
    glossary = {"DA": "domestic abuse", "VAWG": "violence against women and girls"}
    assert expand("domestic abuse charge rate", glossary) == "domestic abuse charge rate DA"
    assert expand("VAWG walk and talk", glossary) == "VAWG walk and talk violence against women and girls"
    assert expand("DA and domestic abuse", glossary) == "DA and domestic abuse"
    assert expand("data protection", glossary) == "data protection"  # "da" inside a word is not DA


def test_speaker_questions_prefer_the_speakers_own_turn(fake_searcher):
    result = fake_searcher.search("What did the PCC ask about domestic abuse?")
    top = result.hits[0].passage
    assert any(s.role == "PCC" for s in top.speakers)
    assert "PCC asked" in top.text or "PCC sought" in top.text or "PCC queried" in top.text

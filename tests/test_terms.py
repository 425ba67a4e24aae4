"""The hand-written policing vocabulary (indexer/policing_terms.json) and query expansion."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import ScrutinyError
from indexer.glossary import TERMS_PATH, expansions, load_vocabulary, parse_vocabulary
from indexer.lexical import LexicalIndex, tokenize

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _pairs_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    counts = Counter(key for key, _ in pairs)
    repeated = [key for key, n in counts.items() if n > 1]
    assert not repeated, f"duplicate keys in {TERMS_PATH.name}: {repeated}"
    return dict(pairs)


def test_the_vocabulary_file_is_well_formed():
    data = json.loads(TERMS_PATH.read_text(encoding="utf-8"), object_pairs_hook=_pairs_without_duplicates)
    vocabulary = parse_vocabulary(data)  # shapes, non-empty expansions, no self-loops
    assert len(vocabulary.acronyms) >= 100 and len(vocabulary.related) >= 80
    # An acronym is listed once, whatever its case ("OCG" and "OCGs" would be the same entry).
    assert len({a.lower() for a in vocabulary.acronyms}) == len(vocabulary.acronyms)
    # A phrase belongs to one synonym group at most, or two groups would silently merge.
    members = Counter(tuple(tokenize(p)) for group in vocabulary.synonyms for p in group)
    assert [m for m, n in members.items() if n > 1] == []
    for term, targets in vocabulary.related.items():
        assert tuple(tokenize(term)) not in {tuple(tokenize(t)) for t in targets}, term


@pytest.mark.parametrize(
    "data, field",
    [
        ({"acronyms": {"asb": "anti-social behaviour"}}, "acronyms['asb']"),
        ({"acronyms": {"ASB": "  "}}, "acronyms['ASB']"),
        ({"synonyms": [["knife crime"]]}, "synonyms[0]"),
        ({"synonyms": [["stop and search", "stop and searches"]]}, "synonyms[0]"),
        ({"related": {"hanging up": []}}, "related['hanging up']"),
        ({"related": {"speeding": ["speed"]}}, "related['speeding']"),
    ],
)
def test_a_bad_entry_is_refused_in_one_line_naming_it(data, field):
    with pytest.raises(ScrutinyError) as caught:
        parse_vocabulary(data, Path("terms.json"))
    message = str(caught.value)
    assert "terms.json" in message and field in message and "\n" not in message


def test_a_healthy_share_of_the_vocabulary_applies_to_the_seed_records():
    """Which entries the seed corpus uses: an entry applies when the records hold one of its
    record-side forms. A general vocabulary reaches beyond five Kent documents, so not all
    apply, but most should, or the entries are not the words records use."""
    words = tokenize(" ".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.*") if p.suffix in (".txt", ".md")))
    text = " " + " ".join(words) + " "
    raw = " ".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.*") if p.suffix in (".txt", ".md"))

    def held(phrase: str) -> bool:
        return f" {' '.join(tokenize(phrase))} " in text

    vocabulary = load_vocabulary()
    acronyms = {a: (f" {a} " in raw or f"({a})" in raw or f" {a}s " in raw or held(long)) for a, long in vocabulary.acronyms.items()}
    groups = {" | ".join(g): sum(held(p) for p in g) >= 1 for g in vocabulary.synonyms}
    related = {term: any(held(t) for t in targets) for term, targets in vocabulary.related.items()}
    for name, used in (("acronyms", acronyms), ("synonyms", groups), ("related", related)):
        share = sum(used.values()) / len(used)
        assert share >= 0.6, f"only {share:.0%} of {name} apply; unused: {sorted(k for k, v in used.items() if not v)}"
    assert acronyms["ASB"] and acronyms["VAWG"] and acronyms["OCG"] and groups["domestic violence | domestic abuse"]


@pytest.mark.parametrize(
    "query, term, alternative",
    [
        ("What is being done about domestic violence?", "domestic violence", "domestic abuse"),
        ("people hanging up before 101 answers", "hanging up", "abandoned"),
        ("How many PCSOs are there?", "PCSO", "police community support officer"),
        ("What did the OPCC fund?", "OPCC", "office of the police and crime commissioner"),
        ("anti-social behaviour in Margate", "anti-social behaviour", "ASB"),
        ("getting rape cases to court", "cases to court", "charge rate"),
    ],
)
def test_a_whole_term_of_the_query_is_expanded(query, term, alternative):
    found = {e.term: e.alternatives for e in expansions(query)}
    assert alternative in found[term]


@pytest.mark.parametrize(
    "query",
    [
        "data protection breaches",  # "DA" inside a word
        "what did the da say",  # an acronym only in capitals
        "what did the police say at the meeting",  # ordinary words expand nothing
        "knifepoint robbery",  # "knife" is not a whole word here
        "what came of the week of action",  # "no further action" less its small words is not a name
    ],
)
def test_no_expansion_without_a_whole_term(query):
    assert expansions(query) == ()


def test_a_phrasal_verb_is_found_by_its_particle_too():
    # "hang" is a light verb: "hang on to recruits" is not "hanging up" on 101.
    assert [e.term for e in expansions("what is done to hang on to new recruits")] == ["hang on to"]
    assert [e.term for e in expansions("are callers hanging up")] == ["hanging up"]
    # "knock" too: "knock-off cigarettes" are not someone "knocked about" at home.
    assert expansions("who sells knock-off cigarettes") == ()
    assert [e.term for e in expansions("men being knocked about by their partners")] == ["knocked about"]


def test_one_term_of_the_query_is_one_expansion_whatever_its_spellings():
    found = expansions("are people hanging up on 101")
    assert [e.term for e in found] == ["hanging up"]  # "hang up" is the same words, stemmed
    assert "domestic abuse" not in [a for e in expansions("domestic violence and domestic abuse") for a in e.alternatives]


def test_plain_phrases_are_marked_apart_from_exact_equivalents():
    kinds = {e.term: e.kind for e in expansions("people hanging up on the ASB line", glossary={"ASB": "anti-social behaviour"})}
    assert kinds == {"hanging up": "related", "ASB": "defined"}
    assert [e.kind for e in expansions("the ASB line")] == ["same"]


def test_mined_abbreviations_expand_too():
    found = {e.term: e.alternatives for e in expansions("the RTF in Ashford", glossary={"RTF": "rural task force"})}
    assert found["RTF"] == ("rural task force",)


TEXTS = [
    "Domestic abuse reports fell this quarter.",
    "Domestic violence reports fell this quarter.",
    "The abandonment rate and the attrition rate of calls both fell.",
    "The abandonment rate of calls fell last year.",
    "Officers attended the carnival.",
]


def test_expansion_weight_zero_is_plain_bm25():
    index = LexicalIndex.build(TEXTS)
    plain = index.scores("domestic violence")
    assert np.array_equal(index.expanded_scores("domestic violence", [(("domestic abuse",), 0.0)]), plain)


def test_the_users_own_words_outrank_the_expansion():
    index = LexicalIndex.build(TEXTS)
    scores = index.expanded_scores("domestic violence", [(("domestic abuse",), 0.5)])
    assert scores[1] > scores[0] > 0  # typed words first, the expansion still found
    rows, _ = index.top("domestic violence", 5, expansions=[(("domestic abuse",), 0.5)])
    assert list(rows[:2]) == [1, 0]


def test_alternatives_of_one_term_count_once_by_the_best():
    index = LexicalIndex.build(TEXTS)
    both = index.expanded_scores("hanging up", [(("abandonment", "attrition"), 1.0)])
    best_single = np.maximum(index.scores("abandonment"), index.scores("attrition"))
    assert np.allclose(both, best_single)


def test_offices_are_left_to_the_roles_table():
    """"CC", "DCO", "CFO" are read as speakers by the question reader (indexer/roles.py);
    the vocabulary does not widen them as well."""
    from indexer.roles import ROLES

    offices = {role.abbreviation for role in ROLES}
    assert offices and not offices & set(load_vocabulary().acronyms)


def test_the_search_says_what_else_it_searched_for(fake_searcher):
    result = fake_searcher.search("What is being done about domestic violence?", mode="lexical")
    assert "also searched: domestic violence → domestic abuse" in result.understood.notes
    assert not any(n.startswith("also searched") for n in fake_searcher.search("Taser uplift").understood.notes)


def test_a_phrase_of_a_light_verb_is_found_word_for_word_and_others_by_their_stems():
    def terms(query: str) -> set[str]:
        return {e.term for e in expansions(query)}

    assert "get through" in terms("Can people get through to 101 quickly?")
    assert "get through" not in terms("Are shoplifters getting caught and charged?")  # not every "get"
    assert "take off" not in terms("Why does it take so long to get a check back?")
    # Other phrases still skip the small words inside the question: "children being groomed".
    assert "children groomed" in terms("What about children being groomed?")

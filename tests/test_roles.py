import re
from pathlib import Path

import pytest

from indexer.errors import QueryError
from indexer.roles import ROLES, Role, canonical_role, role_by_abbreviation, role_pattern, role_title

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PCC", "PCC"),
        ("the PCC", "PCC"),
        ("The Commissioner", "PCC"),
        ("Commissioner", "PCC"),
        ("Police and Crime Commissioner", "PCC"),
        ("Police & Crime Commissioner", "PCC"),
        ("Kent Police and Crime Commissioner", "PCC"),
        ("Kent Police & Crime Commissioner", "PCC"),
        ("the PCC's", "PCC"),
        ("(PCC)", "PCC"),
        ("CC", "CC"),
        ("the Chief Constable", "CC"),
        ("chief constable", "CC"),
        ("Acting Chief Constable", "CC"),
        ("Kent Police Chief Constable", "CC"),
        ("the CC,", "CC"),
        ("Deputy Chief Constable", "DCC"),
        ("the DCC", "DCC"),
        ("Assistant Chief Constable", "ACC"),
        ("T/ACC", "ACC"),
        ("Deputy Chief Officer", "DCO"),
        ("Chief Executive", "CE"),
        ("CEO", "CE"),
        ("PCC's Chief Executive", "CE"),
        ("PCC’s Chief Executive", "CE"),  # curly apostrophe, as in the panel minutes
        ("Chief Finance Officer", "CFO"),
        ("PCC’s Chief Finance Officer", "CFO"),
        ("Chair", "Chair"),
        ("The Chairman", "Chair"),
        ("Chairwoman", "Chair"),
        ("Vice Chair", "Vice Chair"),
        ("Vice-Chair", "Vice Chair"),
        ("Vice Chairman", "Vice Chair"),
        ("the Vice-Chairman", "Vice Chair"),
        ("a Member", "Member"),
        ("Panel Member", "Member"),
        ("Independent Member", "Member"),
        ("Members", "Member"),
        ("Monitoring Officer", "Monitoring Officer"),
        ("PCC’s Monitoring Officer", "Monitoring Officer"),
        ("Head of Policy Coordination and Research", "Head of Policy"),
        ("PCC’s Head of Policy Coordination & Research", "Head of Policy"),
        ("The Scrutiny Research Officer", "Scrutiny Research Officer"),
        ("Democratic Services Officer", "Democratic Services Officer"),
        ("Chief Superintendent", "Ch Supt"),
        ("a Chief Superintendent", "Ch Supt"),
        ("Superintendent", "Supt"),
        ("Director of Finance", "Director of Finance"),
        ("Deputy Police and Crime Commissioner", "DPCC"),
    ],
)
def test_canonical_role(text: str, expected: str) -> None:
    assert canonical_role(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Cllr",  # a title, not an office
        "Mr",
        "Councillor",
        "Information Commissioner",
        "Chief Constable appointment",
        "CCs",  # "recommendations for CCs": plural, not a speaker
        "OPCC",  # the office as an organisation
        "Kent Police",
        "101 calls",
        "achair",
    ],
)
def test_not_a_role(text: str) -> None:
    assert canonical_role(text) is None


def test_commissioner_and_pcc_are_one_office() -> None:
    # Board notes say "the PCC", panel minutes "the Commissioner": one office, one abbreviation.
    assert canonical_role("the Commissioner") == canonical_role("the PCC") == "PCC"


def test_every_spelling_maps_to_its_own_role() -> None:
    for role in ROLES:
        for name in role.names:
            assert canonical_role(name) == role.abbreviation, name


def test_abbreviations_are_unique() -> None:
    abbreviations = [r.abbreviation for r in ROLES]
    assert len(abbreviations) == len(set(abbreviations))


def test_role_is_frozen() -> None:
    role = ROLES[0]
    assert isinstance(role, Role)
    with pytest.raises(AttributeError):
        role.abbreviation = "X"  # type: ignore[misc]


def test_role_title() -> None:
    assert role_title("CC") == "Chief Constable"
    assert role_title("PCC") == "Police and Crime Commissioner"
    assert role_title("cfo") == "Chief Finance Officer"
    assert role_title("the Commissioner") == "Police and Crime Commissioner"
    assert role_by_abbreviation("DCC").title == "Deputy Chief Constable"


def test_role_title_unknown_lists_valid_choices() -> None:
    with pytest.raises(QueryError) as err:
        role_title("Sheriff")
    message = str(err.value)
    assert "Sheriff" in message
    for abbreviation in ("PCC", "CC", "DCC", "Chair", "Member"):
        assert abbreviation in message


def _find(text: str, flags: int = 0) -> list[str]:
    return [m.group() for m in re.finditer(role_pattern(), text, flags)]


def test_role_pattern_prefers_longest() -> None:
    assert _find("Deputy Chief Constable Tony Blaker") == ["Deputy Chief Constable"]
    assert _find("The Vice Chairman asked") == ["Vice Chairman"]
    assert _find("Mr A Harper (PCC’s Chief Executive)") == ["PCC’s Chief Executive"]
    assert _find("the Kent Police and Crime Commissioner said") == ["Kent Police and Crime Commissioner"]


def test_role_pattern_respects_word_boundaries() -> None:
    assert _find("the OPCC and CCTV in PCCs") == []
    assert _find("The PCC asked the CC.") == ["PCC", "CC"]
    assert _find("The PCC's view") == ["PCC"]


def test_role_pattern_skips_other_commissioners() -> None:
    text = "the Information Commissioner, the Domestic Abuse Commissioner and the Victims’ Commissioner"
    assert _find(text) == []
    assert _find("the Deputy Commissioner") == ["Deputy Commissioner"]


def test_role_pattern_variants() -> None:
    assert _find("the Vice-Chair") == ["Vice-Chair"]
    assert _find("Police & Crime Commissioner") == ["Police & Crime Commissioner"]
    assert _find("Chief\nConstable") == ["Chief\nConstable"]
    assert _find("the chief constable") == []  # records write offices in capitals
    assert _find("the chief constable", re.IGNORECASE) == ["chief constable"]


def test_role_pattern_matches_map_back() -> None:
    text = (
        "The PCC asked the CC; the DCC and the DCO replied. The Commissioner, the Chair, "
        "the Vice Chair and a Member spoke. PCC’s Chief Finance Officer"
    )
    found = [canonical_role(m) for m in _find(text)]
    assert found == ["PCC", "CC", "DCC", "DCO", "PCC", "Chair", "Vice Chair", "Member", "CFO"]


def test_role_pattern_on_seed_corpus() -> None:
    # Every office written in the seed records' speaker positions is in the table.
    counts: dict[str, int] = {}
    for path in CORPUS.glob("*.*"):
        if path.suffix not in (".txt", ".md"):
            continue
        for m in re.finditer(role_pattern(), path.read_text(encoding="utf-8", errors="replace")):
            role = canonical_role(m.group())
            assert role is not None, m.group()
            counts[role] = counts.get(role, 0) + 1
    for role in ("PCC", "CC", "DCC", "DCO", "CE", "CFO", "Chair", "Vice Chair", "Member"):
        assert counts.get(role, 0) > 0, role

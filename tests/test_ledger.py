"""The ledger's status rules on small invented boards: a status is claimed only where the
records can show it, and one commitment is one entry."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import numpy as np

from indexer.records import Action, Document, Passage, Speaker
from search.brief import meeting_brief
from search.ledger import build_ledger

BODY = "Northshire Scrutiny Board"


def embed(texts: Sequence[str]) -> np.ndarray:
    """Bag-of-words vectors: texts sharing words are similar, as with the real model."""
    vocabulary: dict[str, int] = {}
    rows = []
    for text in texts:
        words = re.findall(r"[a-z]{4,}", text.lower())
        rows.append([vocabulary.setdefault(w, len(vocabulary)) for w in words])
    out = np.zeros((len(texts), max(1, len(vocabulary))), dtype=np.float32)
    for n, ids in enumerate(rows):
        for i in ids:
            out[n, i] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


def meeting(day: date | None, n: int, date_range: tuple[date, date] | None = None) -> Document:
    return Document(
        id=f"board-{n}.txt#0", source=f"board-{n}.txt", kind="meeting notes", title="Notes", body=BODY, date=day,
        date_range=date_range, date_inferred=day is None, attendees=(), items=(), start=0, end=1000,
    )


def action(doc: Document, text: str, *, kind: str = "action", status: str = "open", due: date | None = None,
           owner: str | None = "Force", refers_to: date | None = None, start: int = 0) -> Action:
    return Action(
        text=text, owner=owner if kind != "update" else None, due=due, meeting_date=doc.meeting_date,
        date_inferred=doc.date_inferred, source=doc.source, document_id=doc.id, body=BODY, item_number="3",
        item_title="Performance", kind=kind, status=status, quote=text, start=start, end=start + len(text),
        speaker=Speaker("CC", "Ada Brook", "the CC") if kind == "offer" else None, refers_to=refers_to,
    )


MARCH, JUNE, SEPT = meeting(date(2022, 3, 2), 1), meeting(date(2022, 6, 8), 2), meeting(date(2022, 9, 14), 3)


def test_overdue_only_where_the_due_meeting_is_in_the_records() -> None:
    # March's action was due in June, and June's notes report on March without it: overdue.
    # September's is due at 7 December 2022, after the newest meeting: unknown, and why.
    docs = [MARCH, JUNE, SEPT]
    actions = [
        action(MARCH, "Provide the knife crime arrest figures for Westport", due=date(2022, 6, 8)),
        action(JUNE, "Reviewed notes of previous meeting", kind="update", status="noted", refers_to=date(2022, 3, 2)),
        action(SEPT, "Provide the rural theft survey results", due=date(2022, 12, 7)),
    ]
    entries = {e.action.text: e for e in build_ledger(actions, docs, embed)}
    assert entries["Provide the knife crime arrest figures for Westport"].status == "overdue"
    later = entries["Provide the rural theft survey results"]
    assert later.status == "unknown" and "no later meeting of the Northshire Scrutiny Board" in later.reason

    # A gap: the meeting after September (7 December 2022) is missing; the next notes in
    # the records report on 1 February 2023, so nothing can be said of September's action.
    march_2023 = meeting(date(2023, 3, 15), 4)
    update = action(march_2023, "Provide the drone patrol costs – received", kind="update", status="discharged",
                    refers_to=date(2023, 2, 1))
    entries = {e.action.text: e for e in build_ledger([*actions, update], [*docs, march_2023], embed)}
    gap = entries["Provide the rural theft survey results"]
    assert gap.status == "unknown"
    assert gap.reason == "due at the meeting of 7 December 2022, which is not in the records"
    assert not entries["Provide the drone patrol costs – received"].set_at_in_corpus


def test_an_action_put_off_under_a_discharged_heading_is_deferred_with_its_new_due_date() -> None:
    docs = [MARCH, JUNE]
    deferred = action(JUNE, "Force to provide the custody audit - to be provided before December meeting",
                      kind="update", status="deferred", due=date(2022, 12, 7), refers_to=date(2022, 3, 2))
    (entry,) = build_ledger([deferred], docs, embed)
    assert entry.status == "deferred" and entry.due == date(2022, 12, 7)
    assert "7 December 2022" in entry.reason


def test_an_offer_the_meeting_minuted_is_one_commitment() -> None:
    offer = action(JUNE, "The CC offered to provide the Westport knife crime arrest figures outside the meeting",
                   kind="offer", owner="CC", start=10)
    minuted = action(JUNE, "Provide the Westport knife crime arrest figures outside of meeting",
                     due=date(2022, 9, 14), start=500)
    other = action(JUNE, "Provide the rural theft survey results", due=date(2022, 9, 14), start=600)
    entries = build_ledger([offer, minuted, other], [MARCH, JUNE, SEPT], embed)
    assert len(entries) == 2
    knife = next(e for e in entries if "knife" in e.action.text)
    assert knife.action is minuted and knife.offers == (offer,) and knife.action.owner == "Force"
    assert knife.status == "overdue"  # due at September's meeting, which records no delivery


def test_the_brief_lists_the_last_meetings_actions_first() -> None:
    undated = meeting(None, 5, (date(2022, 9, 15), date(2022, 12, 6)))
    docs = [JUNE, SEPT, undated]
    actions = [
        action(SEPT, "Provide the rural theft survey results", due=date(2022, 12, 7)),
        action(undated, "Provide an update on cycle theft at the next meeting", due=date(2023, 3, 1)),
    ]
    passage = Passage(
        id="board-5.txt#0:0", source="board-5.txt", document_id=undated.id, document_title="Notes",
        document_kind="meeting notes", body=BODY, meeting_date=date(2022, 9, 15), date_inferred=True, item_number="3",
        item_title="Performance", section=None, speakers=(), text="The PCC asked about cycle theft.", start=0, end=30,
        tokens=8,
    )
    markdown = meeting_brief([passage], docs, build_ledger(actions, docs, embed), BODY)
    sections = markdown.split("\n## ")
    assert sections[1].startswith("Actions set at the last meeting (undated; between 14 September and 7 December 2022)")
    assert "cycle theft" in sections[1] and "**due at the next meeting**" in sections[1]
    assert "rural theft" not in sections[1]


def test_an_entrys_pieces_are_its_action_its_offer_and_the_update_that_reports_on_it() -> None:
    offer = action(JUNE, "The CC offered to provide the Westport knife crime arrest figures outside the meeting",
                   kind="offer", owner="CC", start=10)
    minuted = action(JUNE, "Provide the Westport knife crime arrest figures outside of meeting",
                     due=date(2022, 9, 14), start=500)
    update = action(SEPT, "Westport knife crime arrest figures provided - discharged", kind="update",
                    status="discharged", refers_to=date(2022, 6, 8))
    other = action(SEPT, "Provide the rural theft survey results", due=date(2022, 12, 7), start=600)
    entries = {e.action.text: e for e in build_ledger([offer, minuted, update, other], [JUNE, SEPT], embed)}
    knife = entries[minuted.text]
    assert knife.update is update and knife.pieces == (minuted, offer, update)
    assert entries[other.text].pieces == (other,)

"""Evaluation figures per question type: nDCG and recall for each system."""

from __future__ import annotations

from eval.naive import score
from eval.run import per_type


def test_per_type_reports_ndcg_and_recall_for_each_system():
    questions = [
        {"id": "a", "type": "synonym", "relevant": [{"file": "f.txt", "quote": "domestic abuse", "grade": 2},
                                                   {"file": "f.txt", "quote": "charge rate", "grade": 2}]},
        {"id": "b", "type": "change", "relevant": [{"file": "f.txt", "quote": "101 calls", "grade": 2}]},
    ]
    hit = lambda text: {"text": text, "source": "f.txt"}  # noqa: E731
    rankings = {
        "bm25": [[hit("domestic abuse fell")], [hit("nothing here")]],
        "dense": [[hit("the charge rate rose"), hit("domestic abuse fell")], [hit("101 calls answered")]],
        "hybrid": [[hit("nothing")], [hit("101 calls answered")]],
    }
    report = score(questions, rankings, {}, k=10)
    assert report["by_type"]["synonym"]["recall"] == {"bm25": 0.5, "dense": 1.0, "hybrid": 0.0}
    assert report["by_type"]["change"]["recall"]["hybrid"] == 1.0
    table = per_type(report)
    assert "hybrid R@10" in table.splitlines()[0]
    synonym_row = next(line for line in table.splitlines() if line.startswith("synonym"))
    assert synonym_row.split()[-3:] == ["0.500", "1.000", "0.000"]

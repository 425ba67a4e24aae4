"""Evaluate the index's retrieval on a question set: BM25 alone, dense alone and hybrid,
scored with eval.metrics, plus how well the `weak` flag separates questions the records
cannot answer from those they can."""

from __future__ import annotations

import json
from dataclasses import replace
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import metrics
from eval.naive import SYSTEMS, load_questions, score
from search.engine import Searcher, hit_json
from search.filters import Filters
from search.understand import typed_filters


def question_filters(q: dict[str, Any]) -> Filters:
    """A question's filters, by the names the question files use, as one Filters."""
    given = q.get("filters") or {}
    return typed_filters(speaker=given.get("speaker_role"), since=given.get("date_from"), until=given.get("date_to"))

# "fused" is hybrid without the reranking model (search.rerank), so its share shows.
SCRUTINY_SYSTEMS = ("bm25", "dense", "fused", "hybrid")
MODES = {"bm25": "lexical", "dense": "dense", "fused": "hybrid", "hybrid": "hybrid"}
K = 10


def evaluate(searcher: Searcher, questions_path: Path, manifest_path: Path, k: int = K) -> dict[str, Any]:
    questions = load_questions(questions_path)
    rankings: dict[str, list[list[dict[str, Any]]]] = {}
    weak: dict[str, list[bool]] = {}
    base = searcher.config
    for system in SCRUTINY_SYSTEMS:
        rankings[system], weak[system] = [], []
        searcher.config = replace(base, rerank=base.rerank and system != "fused")
        try:
            for q in questions:
                result = searcher.search(q["query"], k=k, mode=MODES[system], filters=question_filters(q))
                rankings[system].append([hit_json(h) for h in result.hits])
                weak[system].append(result.weak)
        finally:
            searcher.config = base
    report = score(questions, rankings, metrics.load_manifest(manifest_path), k)
    for system in SCRUTINY_SYSTEMS:
        negative = [w for q, w in zip(questions, weak[system]) if not q["relevant"]]
        answerable = [w for q, w in zip(questions, weak[system]) if q["relevant"]]
        report["systems"][system]["correct_refusals"] = sum(negative) / len(negative) if negative else None
        report["systems"][system]["false_refusals"] = sum(answerable) / len(answerable) if answerable else None
        for record, w in zip(report["per_question"], weak[system]):
            record[system]["weak"] = w
    report["questions"] = str(questions_path)
    return report


def _fmt(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.3f}"


def format_report(report: dict[str, Any], naive: dict[str, Any] | None = None) -> str:
    k = report["k"]
    lines = [
        f"{report['questions']}: {report['n_questions']} questions ({report['n_scored']} with answers, {report['n_negative']} without)",
        f"{'system':<16} {'nDCG@' + str(k):>8} {'R@' + str(k):>8} {'MRR@' + str(k):>8} {'date+spk':>8} {'refuse+':>8} {'refuse-':>8}",
    ]

    def row(name: str, s: dict[str, Any]) -> str:
        return (
            f"{name:<16} {_fmt(s[f'ndcg@{k}']):>8} {_fmt(s[f'recall@{k}']):>8} {_fmt(s[f'mrr@{k}']):>8} "
            f"{_fmt(s['attribution']):>8} {_fmt(s.get('correct_refusals')):>8} {_fmt(s.get('false_refusals')):>8}"
        )

    if naive is not None:
        for system in SYSTEMS:
            lines.append(row(f"naive {system}", naive["systems"][system]))
    for system in SCRUTINY_SYSTEMS:
        if system in report["systems"]:
            lines.append(row(f"scrutiny {system}", report["systems"][system]))
    lines.append(
        "date+spk: share of matched gold passages with the right meeting date and speaker; "
        "refuse+: questions without an answer flagged weak; refuse-: answerable questions wrongly flagged weak"
    )
    return "\n".join(lines)


def per_type(report: dict[str, Any]) -> str:
    """nDCG@10 and Recall@10 of each system, by question type."""
    k = report["k"]
    systems = [s for s in SCRUTINY_SYSTEMS if s in report["systems"]]
    lines = [
        f"{'type':<12} {'n':>3} " + " ".join(f"{s + ' nDCG':>11}" for s in systems)
        + " " + " ".join(f"{s + ' R@' + str(k):>11}" for s in systems)
    ]
    for qtype, row in report["by_type"].items():
        recall = row.get("recall", {})
        lines.append(
            f"{qtype:<12} {row['n']:>3} " + " ".join(_fmt(row.get(s)).rjust(11) for s in systems)
            + " " + " ".join(_fmt(recall.get(s)).rjust(11) for s in systems)
        )
    return "\n".join(lines)


def weakest(report: dict[str, Any], system: str = "hybrid", n: int = 8) -> Sequence[str]:
    scored = [(r[system]["ndcg"], r["id"]) for r in report["per_question"] if r[system]["ndcg"] is not None]
    return [f"{qid}: {value:.3f}" for value, qid in sorted(scored)[:n]]


def answer_refusals(searcher: Searcher, questions_path: Path) -> dict[str, Any]:
    """How `scrutiny ask` behaves: questions without an answer refused, answerable ones not."""
    from search.answer import answer

    questions = load_questions(questions_path)
    refused_negative, refused_answerable = [], []
    for q in questions:
        result = answer(searcher, q["query"], filters=question_filters(q))
        (refused_answerable if q["relevant"] else refused_negative).append(not result.answered)
    return {
        "questions": str(questions_path),
        "negative": len(refused_negative),
        "answerable": len(refused_answerable),
        "correct_refusals": sum(refused_negative) / len(refused_negative) if refused_negative else None,
        "false_refusals": sum(refused_answerable) / len(refused_answerable) if refused_answerable else None,
    }


ANSWERS = Path(__file__).resolve().parent / "answers.jsonl"
NUMBER_RE = re.compile(r"[£$€~]?\d[\d,]*(?:\.\d+)?(?:%|m|bn|k)?")


def _plain(text: str) -> str:
    from indexer.sentences import readable

    return " ".join(readable(text).split()).lower()


def cut_inside_number(quote: str, passage_text: str) -> bool:
    """Whether a quote starts or ends inside a number of its passage ("82%" of "3.82%")."""
    start = passage_text.find(quote)
    if start < 0:
        return True  # not verbatim: as bad as a cut
    end = start + len(quote)
    return any(a < start < b or a < end < b for a, b in (m.span() for m in NUMBER_RE.finditer(passage_text)))


def score_answers(searcher: Searcher, path: Path = ANSWERS) -> dict[str, Any]:
    """`scrutiny ask` on questions with the phrases a right answer must quote: fully right
    (every phrase quoted), partly (some), wrong (none, or an answer where the records have
    none); refusals right and false; quotes cut inside a number."""
    from search.answer import answer

    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        result = answer(searcher, q["question"])
        quoted = _plain(" ".join(c.quote for c in result.citations))
        must = [_plain(m) for m in q["must"]]
        found = sum(1 for m in must if m in quoted)
        cuts = sum(1 for c in result.citations if cut_inside_number(c.quote, c.passage.text))
        if not must:
            verdict = "refused" if not result.answered else "answered"
        elif not result.answered:
            verdict = "refused"
        else:
            verdict = "right" if found == len(must) else "partly" if found else "wrong"
        rows.append({"id": q["id"], "type": q["type"], "answerable": bool(must), "verdict": verdict, "cuts": cuts,
                     "quotes": len(result.citations), "support": result.support})
    answerable = [r for r in rows if r["answerable"]]
    negative = [r for r in rows if not r["answerable"]]

    def share(rs: list[dict[str, Any]], verdict: str) -> float | None:
        return sum(r["verdict"] == verdict for r in rs) / len(rs) if rs else None

    return {
        "questions": str(path), "answerable": len(answerable), "negative": len(negative),
        "right": share(answerable, "right"), "partly": share(answerable, "partly"), "wrong": share(answerable, "wrong"),
        "false_refusals": share(answerable, "refused"), "correct_refusals": share(negative, "refused"),
        "quotes": sum(r["quotes"] for r in rows), "cut_inside_number": sum(r["cuts"] for r in rows), "per_question": rows,
    }


def format_answers(report: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.0%}"

    lines = [
        f"{report['questions']}: {report['answerable']} answerable, {report['negative']} without an answer",
        f"answerable: right {pct(report['right'])} · partly {pct(report['partly'])} · wrong {pct(report['wrong'])} · "
        f"wrongly refused {pct(report['false_refusals'])}",
        f"without an answer: refused {pct(report['correct_refusals'])}",
        f"quotes cut inside a number: {report['cut_inside_number']} of {report['quotes']}",
    ]
    misses = [f"{r['id']} {r['verdict']}" for r in report["per_question"]
              if r["verdict"] not in ("right",) and not (r["verdict"] == "refused" and not r["answerable"])]
    if misses:
        lines.append("not right: " + ", ".join(misses))
    return "\n".join(lines)

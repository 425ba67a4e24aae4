"""Extractive answers: the sentences of the top passages that best answer a question,
in date order, each quoted verbatim and cited. No language model, nothing generated:
every word of an answer is the record's own.

When the evidence is weak the answer says so ("No passage in the records answers
this") and lists the nearest passages, labelled as such, instead of a confident
paraphrase of something unrelated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from indexer.records import Passage, Speaker
from search.engine import Hit, Searcher, SearchResult
from search.lexical import tokenize
from search.sentences import said_by, sentence_speakers, sentences
from search.understand import Understood

NO_ANSWER = "No passage in the records answers this."
# How many passages the answer draws on, and how many sentences it quotes at most.
PASSAGES = 8
MAX_SENTENCES = 8
# A sentence is quoted when it is close in meaning to the question or shares most of its
# words; calibrated on eval/questions.jsonl.
MIN_SENTENCE_SCORE = 0.4
EMBEDDED_SENTENCES = 24


@dataclass(frozen=True)
class Citation:
    quote: str  # verbatim from the passage, and so from the source document
    passage: Passage
    speakers: tuple[Speaker, ...]  # who says this sentence, where known

    @property
    def label(self) -> str:
        p = self.passage
        when = p.meeting_date.strftime("%-d %B %Y") if p.meeting_date else "undated"
        if p.date_inferred:
            when = f"{when} (date inferred)"
        who = "; ".join(_speaker_label(s) for s in self.speakers) or "speaker not identified"
        item = f"item {p.item_number} {p.item_title}" if p.item_number else (p.item_title or p.document_title)
        return f"{when}, {p.body or p.document_title}, {who}, {item}"


@dataclass(frozen=True)
class Answer:
    question: str
    understood: Understood
    answered: bool
    text: str
    citations: tuple[Citation, ...]
    nearest: tuple[Hit, ...]  # shown when not answered, labelled as the nearest passages
    generated: bool = False  # written by the configured language model, its quotes checked
    dropped_claims: int = 0  # the model's claims removed because a quote was not in its passage
    notice: str | None = None  # why the configured model was not used for this answer (it failed)


def _speaker_label(s: Speaker) -> str:
    if s.name and s.role:
        return f"{s.name} ({s.role})"
    return s.name or s.role or s.as_named


def answer(searcher: Searcher, question: str, *, use_model: bool = True, **filters: object) -> Answer:
    """The answer to `question`: the configured model's checked claims when there is one
    (and `use_model`), else, or when the model fails, the quoted answer, with a notice
    saying why the model was not used."""
    result: SearchResult = searcher.search(question, k=PASSAGES, **filters)  # type: ignore[arg-type]
    if result.weak or not result.hits:
        return Answer(question, result.understood, False, NO_ANSWER, (), result.hits[:5])
    from search.generate import ModelUnavailable, configured_endpoint

    endpoint = configured_endpoint() if use_model else None
    notice = None
    if endpoint is not None:
        try:
            generated = _generated_answer(endpoint, question, result)
        except ModelUnavailable as exc:
            generated, notice = None, f"{' '.join(str(exc).split())}; this answer is quoted from the records instead."
        if generated is not None:
            return generated
    quoted = _quoted_answer(searcher, question, result)
    return replace(quoted, notice=notice) if notice else quoted


def _quoted_answer(searcher: Searcher, question: str, result: SearchResult) -> Answer:
    """The sentences of the top passages that best answer the question, in date order."""
    query_terms = set(tokenize(result.understood.text))
    candidates: list[tuple[float, int, int, str, Hit]] = []
    for rank, hit in enumerate(result.hits):
        for offset, sentence in sentences(hit.passage.text):
            candidates.append((0.0, rank, offset, sentence, hit))
    if not candidates:
        return Answer(question, result.understood, False, NO_ANSWER, (), result.hits[:5])
    # Embedding sentences is the slow part of an answer: only the likeliest are embedded,
    # those sharing the question's words first, then by their passage's rank.
    candidates.sort(key=lambda c: (-len(query_terms & set(tokenize(c[3]))), c[1], c[2]))
    candidates = candidates[:EMBEDDED_SENTENCES]
    vectors = searcher.embed_texts([c[3] for c in candidates])
    query_vector = searcher.embed_query(result.understood.text)
    meaning = vectors @ query_vector
    scored = []
    wanted = result.understood.speaker
    for (_, rank, offset, sentence, hit), cosine in zip(candidates, meaning):
        if wanted and not said_by(sentence_speakers(hit.passage, offset, len(sentence)), wanted):
            continue  # "what did the CC say": not the PCC's question in the same passage
        words = set(tokenize(sentence))
        overlap = len(query_terms & words) / len(query_terms) if query_terms else 0.0
        # Meaning and shared words, with a little credit for the passage's rank.
        scored.append((0.6 * float(cosine) + 0.4 * overlap + 0.02 * (PASSAGES - rank), rank, offset, sentence, hit))
    ranked = [item for item in sorted(scored, key=lambda t: -t[0]) if item[0] >= MIN_SENTENCE_SCORE]
    # The best sentence of each meeting first, so the answer traces the topic over time;
    # then the next best, at most two from one passage.
    chosen: list[tuple[float, int, int, str, Hit]] = []
    meetings: set[str] = set()
    for item in ranked:
        if item[4].passage.document_id not in meetings and len(chosen) < MAX_SENTENCES:
            meetings.add(item[4].passage.document_id)
            chosen.append(item)
    per_passage: dict[int, int] = {}
    for item in chosen:
        per_passage[item[1]] = per_passage.get(item[1], 0) + 1
    for item in ranked:
        if len(chosen) >= MAX_SENTENCES:
            break
        if item in chosen or per_passage.get(item[1], 0) >= 2:
            continue
        per_passage[item[1]] = per_passage.get(item[1], 0) + 1
        chosen.append(item)
    if not chosen:
        return Answer(question, result.understood, False, NO_ANSWER, (), result.hits[:5])
    chosen.sort(key=lambda t: (t[4].passage.meeting_date or date.min, t[4].passage.source, t[4].passage.start, t[2]))
    citations = tuple(Citation(sentence, hit.passage, sentence_speakers(hit.passage, offset, len(sentence))) for _, _, offset, sentence, hit in chosen)
    text = "\n".join(f"{c.quote} [{c.label}]" for c in citations)
    return Answer(question, result.understood, True, text, citations, ())


def _generated_answer(endpoint: object, question: str, result: SearchResult) -> Answer | None:
    """The model's claims whose quotes all check out, each cited; None to fall back."""
    from search.generate import Endpoint, generate

    assert isinstance(endpoint, Endpoint)
    output = generate(endpoint, question, [h.passage for h in result.hits])
    if not output.claims:
        return None
    citations = []
    lines = []
    for claim in output.claims:
        cited = [Citation(q.text, q.passage, q.passage.speakers) for q in claim.quotes]
        citations.extend(cited)
        lines.append(claim.text + " " + " ".join(f"“{c.quote}” [{c.label}]" for c in cited))
    return Answer(question, result.understood, True, "\n".join(lines), tuple(citations), (),
                  generated=True, dropped_claims=output.dropped)


def citation_json(c: Citation) -> dict[str, object]:
    p = c.passage
    return {
        "quote": c.quote,
        "meeting_date": p.meeting_date.isoformat() if p.meeting_date else None,
        "date_inferred": p.date_inferred,
        "body": p.body,
        "document": p.document_title,
        "item": {"number": p.item_number, "title": p.item_title},
        "speakers": [{"role": s.role, "name": s.name} for s in c.speakers],
        "source": p.source,
        "passage_id": p.id,
    }


def answer_json(a: Answer) -> dict[str, object]:
    from search.engine import hit_json, understood_json

    return {
        "question": a.question,
        "understood": understood_json(a.understood),
        "answered": a.answered,
        "generated": a.generated,
        "dropped_claims": a.dropped_claims,
        "notice": a.notice,
        "answer": a.text,
        "citations": [citation_json(c) for c in a.citations],
        "nearest": [hit_json(h) for h in a.nearest],
    }

"""Extractive answers: the sentences of the top passages that best answer a question,
in date order, each quoted verbatim and cited. No language model, nothing generated:
every word of an answer is the record's own.

When the evidence is weak the answer says so ("No passage in the records answers
this") and lists the nearest passages, labelled as such, instead of a confident
paraphrase of something unrelated. Weak means: retrieval found nothing close, or the
sentences that would be quoted do not carry the question's key terms (the thing asked
about, weighted by how rare each word is in the records, and any year it names) — the
nearest sentences of the one meeting a date filter leaves are not an answer.

"What was the PCC told about X" asks for what was said *to* the PCC: the question is
read without the PCC as speaker, and the answers given to the PCC are quoted, not the
PCC's own questions. A two-part question ("… and who owns the action?") has the best
sentence for each part quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as _replace
from datetime import date

import numpy as np

from indexer.records import Passage, Speaker
from indexer.sentences import readable
from indexer.vocabulary import CHANGE_WORDS
from search.engine import QUESTION_WORDS as SEARCH_QUESTION_WORDS, Hit, Searcher, SearchResult
from search.filters import Filters, compile_filters
from indexer.glossary import expand, expansions
from search.labels import meeting_label
from indexer.lexical import tokenize
from search.sentences import said_by, sentence_speakers, sentences
from search.understand import Understood, addressee

NO_ANSWER = "No passage in the records answers this."
# How many passages the answer draws on, and how many sentences it quotes at most.
PASSAGES = 8
MAX_SENTENCES = 8
# A sentence is quoted when it is close in meaning to the question or shares most of its
# words; calibrated on eval/questions.jsonl.
MIN_SENTENCE_SCORE = 0.4
EMBEDDED_SENTENCES = 32
PER_PASSAGE = 3
# The share of the question's key terms (weighted by rarity) the quoted sentences must carry.
MIN_SUPPORT = 0.5
# Words of a question that ask rather than name the subject.
# The search's question words (every police area's name among them), and these.
QUESTION_WORDS = SEARCH_QUESTION_WORDS | frozenset(tokenize(
    "what which who whom how many much when where why did does do was were is are has have had say said says "
    "tell told report reported reporting mention mentioned discuss discussed discussion records record board panel "
    "meeting meetings update updates give given provide provided happen happened latest current figure figures "
    "number level rate view views comment comments agreed agree year years anything information detail details "
    "pcc commissioner cc chief constable deputy dcc dco ce chair member members force kent police "
    "point points raise raised get got extra made make deal dealing done doing tackle tackling handle handled "
    "handling ask asked happens someone somebody anyone anybody people person goes go going gets getting "
    "still ever really actually"
))
# A question put at the meeting, and how far its reply runs after it.
QUESTION_RE = re.compile(r"\b(?:asked|sought|queried|questioned|requested|enquired|pressed|challenged)\b|\?$", re.I)
REPLY_SENTENCES = 4
# "How many …", "what share …": the sentence giving a figure; "what actions were agreed":
# the meeting's list of actions rather than its discussion.
NUMERIC_QUESTION_RE = re.compile(
    r"\bhow\s+(?:much|many|long|often)\b|\bwhat\s+(?:share|percentage|proportion|number|rate|price|figure|level)\b"
    r"|\bby\s+how\s+much\b", re.I)
ACTIONS_QUESTION_RE = re.compile(r"\bactions?\b(?!\s+plan)|\bcommitments?\b|\bagree[ds]?\s+to\b", re.I)
FIGURE_BONUS = 0.1
ACTION_BONUS = 0.15
REPLY_CREDIT = 0.9
YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b")
CHANGE_STEMS = tuple(frozenset(tokenize(" ".join(group))) for group in CHANGE_WORDS)
FINANCIAL_YEAR_TAIL_RE = re.compile(r"\b(?:19|20)\d{2}[/-](\d{2})\b")
FINANCIAL_YEAR_RE = re.compile(r"\b((?:19|20)\d{2})[/-]\d{2}\b")
# "… and who owns the action?": a second question joined to the first.
SECOND_PART_RE = re.compile(r",?\s+and\s+(?=(?:who|what|when|how|which|whether|is|are|was|were|has|have|did|does)\b)", re.I)


@dataclass(frozen=True)
class Citation:
    quote: str  # verbatim from the passage, and so from the source document
    passage: Passage
    speakers: tuple[Speaker, ...]  # who says this sentence, where known
    date_range: tuple[date, date] | None = None  # for an undated meeting: when it could have been

    @property
    def text(self) -> str:
        """The quote as shown: the record's words without markup an export left in."""
        return readable(self.quote)

    @property
    def when(self) -> str:
        return meeting_label(self.passage.meeting_date, self.date_range, self.passage.date_inferred)

    @property
    def label(self) -> str:
        p = self.passage
        who = "; ".join(_speaker_label(s) for s in self.speakers) or "speaker not identified"
        title = p.item_title or None
        item = f"item {p.item_number} {title or ''}".rstrip() if p.item_number else (title or p.document_title)
        return f"{self.when}, {p.body or p.document_title}, {who}, {item}"


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
    addressee: str | None = None  # "what was the PCC told": the office spoken to
    support: float | None = None  # share of the question's key terms the quoted sentences carry
    notice: str | None = None  # why the configured model was not used for this answer (it failed)


def _speaker_label(s: Speaker) -> str:
    if s.name and s.role:
        return f"{s.name} ({s.role})"
    return s.name or s.role or s.as_named


def key_terms(searcher: Searcher, text: str) -> dict[str, float]:
    """The words of a question that name its subject, each weighted by its rarity in the
    records. A word the records never use ("smuggled" for their "foreign") cannot be
    looked for: it is left out, unless no word of the question is in the records at all."""
    # A financial year is a year: "2024/25" names no "25" to look for.
    tails = set(FINANCIAL_YEAR_TAIL_RE.findall(text))
    terms = [t for t in dict.fromkeys(tokenize(text))
             if t not in QUESTION_WORDS and not YEAR_RE.fullmatch(t) and t not in tails]
    lexical = searcher.index.lexical
    known = {t: lexical.idf(t) for t in terms if lexical.document_frequency(t)}
    if terms and not known:
        return {t: 1.0 for t in terms}  # nothing the records know of: no sentence can carry it
    return known


# For each stem of a question's term, the phrases (as stems) that stand for that term.
Alternatives = dict[str, tuple[tuple[str, ...], ...]]


def term_alternatives(question: str, glossary: dict[str, str] | None) -> Alternatives:
    """What each word of the question may be written as in the records, from the policing
    vocabulary and the records' own definitions: "domestic violence" is carried by a
    sentence on "domestic abuse", "cases to court" by one on charge rates."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for expansion in expansions(question, glossary=glossary):
        phrases = [tuple(tokenize(a)) for a in expansion.alternatives]
        for stem in tokenize(expansion.term):
            found.setdefault(stem, []).extend(p for p in phrases if p)
    asked = set(tokenize(question))
    for group in CHANGE_STEMS:
        for stem in asked & group:
            found.setdefault(stem, []).extend((other,) for other in sorted(group - {stem}))
    return {stem: tuple(phrases) for stem, phrases in found.items()}


def support(
    terms: dict[str, float], quoted: list[str], glossary: dict[str, str] | None = None,
    alternatives: Alternatives | None = None,
) -> float:
    """Share of the key terms' weight found in the quoted sentences (an abbreviation the
    records define counts for its long form: "VAWG" for "violence against women and girls";
    a term counts as carried by any phrase that stands for it, see term_alternatives)."""
    if not terms:
        return 1.0
    joined = " ".join(quoted)
    words = set(tokenize(expand(joined, glossary) if glossary else joined))

    def carried(term: str) -> bool:
        return term in words or any(set(p) <= words for p in (alternatives or {}).get(term, ()))

    return sum(w for t, w in terms.items() if carried(t)) / sum(terms.values())


def _years_supported(text: str, citations: list[tuple[str, Hit]], on_topic: Callable[[str], bool]) -> bool:
    """Every year the topic names ("vans seized in 2021") is in a quoted sentence on the
    topic, or is the year of the meeting of one: a year in a sentence about something else
    ("Qtr 1 2024/25" of drug seizures) does not date an answer on the precept."""
    # A financial year ("2022/23") is reported at meetings of either calendar year.
    spans = {year: {year, str(int(year) + 1)} for year in FINANCIAL_YEAR_RE.findall(text)}
    for year in set(YEAR_RE.findall(text)):
        meeting_years = spans.get(year, {year})
        if not any(
            on_topic(sentence)
            and (year in sentence or (h.passage.meeting_date is not None and str(h.passage.meeting_date.year) in meeting_years))
            for sentence, h in citations
        ):
            return False
    return True


def _questions_before(hits: tuple[Hit, ...]) -> dict[tuple[str, int], list[str]]:
    """For each sentence of a reply (those after a question, up to the next question),
    that question."""
    out: dict[tuple[str, int], list[str]] = {}
    for hit in hits:
        found = sentences(hit.passage.text)
        for n, (_, sentence) in enumerate(found):
            if not QUESTION_RE.search(sentence):
                continue
            for offset, reply in found[n + 1 : n + 1 + REPLY_SENTENCES]:
                if QUESTION_RE.search(reply):
                    break
                out.setdefault((hit.passage.id, offset), []).append(sentence)
    return out


def _action_weight(p: Passage) -> float:
    """How much a passage is the meeting's own list of actions: 1 for an actions section or
    table, none for the report on the previous meeting's actions, a little otherwise."""
    from indexer.actions import ACTIONS_SECTION_RE, PREVIOUS_MEETING_ITEM_RE
    from indexer.parse import ACTION_TABLE_TITLE

    if (p.section and ACTIONS_SECTION_RE.match(p.section)) or p.item_title == ACTION_TABLE_TITLE:
        return 1.0
    if p.item_title and PREVIOUS_MEETING_ITEM_RE.search(p.item_title):
        return -2.0
    return 0.0


def _refusal(question: str, result: SearchResult, who: str | None, found: float | None = None) -> Answer:
    return Answer(question, result.understood, False, NO_ANSWER, (), result.hits[:5], addressee=who, support=found)


def _reported_later(searcher: Searcher, question: str, result: SearchResult, who: str | None) -> Answer | None:
    """A question naming a day's meeting the records lack ("actions from the 12 June 2024
    meeting"): what a later meeting's "Notes of Previous Meeting – 12 June 2024" reports of it."""
    from indexer.dates import find_dates

    days = [day for day, _, _ in find_dates(question)]
    if not days:
        return None
    # Of the area and body the question asks about; its dates are the point, not a filter.
    asked = result.understood.filters
    in_scope = compile_filters(Filters(body=asked.body, area=asked.area), searcher.date_ranges)
    pool = [p for p in searcher.passages if in_scope(p)]
    held = {p.meeting_date for p in pool if not p.date_inferred}
    for day in days:
        if day in held:
            continue
        named = f"{day.day} {day:%B %Y}"
        mentions = re.compile(rf"(?<!\d){re.escape(named)}\b")  # not "21 June 2024" for "1 June 2024"
        later = [p for p in pool if mentions.search(p.item_title or "")]
        citations = tuple(
            Citation(sentence, p, sentence_speakers(p, offset, len(sentence)), searcher.date_ranges.get(p.document_id))
            for p in later for offset, sentence in sentences(p.text)
        )[:MAX_SENTENCES]
        if citations:
            understood = _replace(result.understood, notes=result.understood.notes + (
                f"the meeting of {named} is not in the records: what a later meeting reports of it",))
            text = "\n".join(f"{c.text} [{c.label}]" for c in citations)
            return Answer(question, understood, True, text, citations, (), addressee=who)
    return None


def answer(searcher: Searcher, question: str, *, filters: Filters = Filters(), use_model: bool = True) -> Answer:
    """The answer to `question`: the configured model's checked claims when there is one
    (and `use_model`), else, or when the model fails, the quoted answer, with a notice
    saying why the model was not used."""
    who, asked = addressee(question)
    result: SearchResult = searcher.search(asked, k=PASSAGES, filters=filters)
    if who:
        result = _replace(result, understood=_replace(result.understood, notes=result.understood.notes + (f"spoken to: {who}",)))
    reported = _reported_later(searcher, question, result, who)
    if reported is not None:
        return reported
    if result.weak or not result.hits:
        return _refusal(question, result, who)
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
    quoted = _quoted_answer(searcher, question, asked, result, who)
    return _replace(quoted, notice=notice) if notice else quoted


def _quoted_answer(searcher: Searcher, question: str, asked: str, result: SearchResult, who: str | None) -> Answer:
    """The sentences of the top passages that best answer the question, in date order."""
    topic = result.understood.text
    parts = [p for p in SECOND_PART_RE.split(asked) if p.strip()] if SECOND_PART_RE.search(asked) else [asked]
    part_terms = [key_terms(searcher, searcher.understand(p).text if len(parts) > 1 else topic) for p in parts]
    terms = key_terms(searcher, topic)
    alternatives = term_alternatives(topic, searcher.glossary)
    query_terms = set(tokenize(topic))
    candidates: list[tuple[float, int, int, str, Hit]] = []
    for rank, hit in enumerate(result.hits):
        for offset, sentence in sentences(hit.passage.text):
            candidates.append((0.0, rank, offset, sentence, hit))
    if not candidates:
        return _refusal(question, result, who)
    asked_before = _questions_before(result.hits)

    def likely(c: tuple[float, int, int, str, Hit]) -> float:
        # A reply counts with the question it answers ("… police staff leaving?" "… low at 3.82%").
        asked = asked_before.get((c[4].passage.id, c[2]), [])
        own = support(terms, [c[3]], alternatives=alternatives)
        return max(own, REPLY_CREDIT * support(terms, [c[3], *asked], alternatives=alternatives)) if asked else own

    # Embedding sentences is the slow part of an answer: only the likeliest are embedded,
    # those carrying the question's rarest words first, then by their passage's rank.
    candidates.sort(key=lambda c: (-likely(c), -len(query_terms & set(tokenize(c[3]))), c[1], c[2]))
    candidates = candidates[:EMBEDDED_SENTENCES]
    vectors = searcher.embed_texts([c[3] for c in candidates])
    query_vector = searcher.embed_query(topic)
    meaning = vectors @ query_vector
    scored = []
    wanted = result.understood.filters.speaker
    glossary = searcher.glossary
    numeric = NUMERIC_QUESTION_RE.search(asked) is not None
    about_actions = ACTIONS_QUESTION_RE.search(asked) is not None
    for (_, rank, offset, sentence, hit), cosine in zip(candidates, meaning):
        speakers = sentence_speakers(hit.passage, offset, len(sentence))
        if wanted and not said_by(speakers, wanted):
            continue  # "what did the CC say": not the PCC's question in the same passage
        if who and said_by(speakers, who):
            continue  # "what was the PCC told": the answers given to him, not his questions
        # A reply ("the CC reported there were 111 in the RY") carries the subject of the
        # question it answers ("The PCC sought an update on victimless prosecutions").
        # So does a sentence of an agenda item its title names ("Violence against women
        # and girls": "A Member questioned what work was being undertaken …").
        context = [sentence, hit.passage.heading] + asked_before.get((hit.passage.id, offset), [])
        carried = max(
            max(support(t, [sentence], glossary, alternatives), REPLY_CREDIT * support(t, context, glossary, alternatives))
            for t in part_terms
        )
        # Meaning and the question's subject words (rare ones weigh most), with a little
        # credit for the passage's rank.
        bonus = 0.0
        if numeric and re.search(r"\d", sentence):
            bonus += FIGURE_BONUS  # "how many …": the sentence that gives the figure
        if about_actions:
            bonus += ACTION_BONUS * _action_weight(hit.passage)
        scored.append((0.5 * float(cosine) + 0.5 * carried + bonus + 0.02 * (PASSAGES - rank), rank, offset, sentence, hit))
    ranked = [item for item in sorted(scored, key=lambda t: -t[0]) if item[0] >= MIN_SENTENCE_SCORE]
    chosen: list[tuple[float, int, int, str, Hit]] = []
    # Each part of a two-part question gets its best sentence first.
    if len(parts) > 1:
        for t in part_terms:
            best = max(ranked, key=lambda item: (support(t, [item[3]]), item[0]), default=None)
            if best is not None and best not in chosen and support(t, [best[3]]) > 0:
                chosen.append(best)
    # The best sentence of each meeting, so the answer traces the topic over time; then
    # the next best, at most PER_PASSAGE from one passage.
    meetings: set[str] = {item[4].passage.document_id for item in chosen}
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
        if item in chosen or per_passage.get(item[1], 0) >= PER_PASSAGE:
            continue
        per_passage[item[1]] = per_passage.get(item[1], 0) + 1
        chosen.append(item)
    if not chosen:
        return _refusal(question, result, who)
    context = [q for item in chosen for q in asked_before.get((item[4].passage.id, item[2]), [])]
    context += [item[4].passage.heading for item in chosen]
    found = support(terms, [item[3] for item in chosen] + context, glossary, alternatives)
    def on_topic(sentence: str) -> bool:
        # Enough of the subject that a year beside it dates the answer, not a passing "increase".
        return support(terms, [sentence], glossary, alternatives) >= MIN_SUPPORT / 2

    if found < MIN_SUPPORT or not _years_supported(topic, [(item[3], item[4]) for item in chosen], on_topic):
        # The nearest sentences do not carry what was asked: say so, show them as nearest.
        return _refusal(question, result, who, found)
    chosen.sort(key=lambda t: (t[4].passage.meeting_date or date.min, t[4].passage.source, t[4].passage.start, t[2]))
    ranges = searcher.date_ranges
    citations = tuple(
        Citation(sentence, hit.passage, sentence_speakers(hit.passage, offset, len(sentence)), ranges.get(hit.passage.document_id))
        for _, _, offset, sentence, hit in chosen
    )
    text = "\n".join(f"{c.text} [{c.label}]" for c in citations)
    return Answer(question, result.understood, True, text, tuple(citations), (), addressee=who, support=found)


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
        lines.append(claim.text + " " + " ".join(f"“{c.text}” [{c.label}]" for c in cited))
    return Answer(question, result.understood, True, "\n".join(lines), tuple(citations), (),
                  generated=True, dropped_claims=output.dropped)


def citation_json(c: Citation) -> dict[str, object]:
    p = c.passage
    return {
        "quote": c.text,
        "meeting_date": p.meeting_date.isoformat() if p.meeting_date else None,
        "date_inferred": p.date_inferred,
        "when": c.when,
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
        "addressee": a.addressee,
        "support": a.support,
        "notice": a.notice,
        "answer": a.text,
        "citations": [citation_json(c) for c in a.citations],
        "nearest": [hit_json(h) for h in a.nearest],
    }

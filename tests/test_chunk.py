"""Property tests for chunking: passages cover every paragraph, in order, verbatim,
never cross an agenda item, stay within the token limit, and point back at their text."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.chunk import MAX_TOKENS, chunk_paragraphs
from indexer.records import Document, Paragraph, Speaker
from indexer.tokens import count_tokens

WORDS = st.sampled_from(
    "the chief constable reported calls answered within ten seconds force control room demand "
    "PCC asked whether knife crime had fallen 101 999 attrition percent budget officers".split()
)
SENTENCE = st.lists(WORDS, min_size=3, max_size=40).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=12).map(" ".join)
SPEAKERS = st.sampled_from([(), (Speaker("CC", "Tim Smith", "the CC"),), (Speaker("PCC", "Matthew Scott", "the PCC"),)])
ITEM = st.sampled_from([("1", "Welcome"), ("4", "Making Kent Safer Plan"), ("5", "Finance")])


@st.composite
def documents(draw: st.DrawFn) -> tuple[Document, str, list[Paragraph]]:
    texts = draw(st.lists(PARAGRAPH, min_size=1, max_size=12))
    items = sorted(draw(st.lists(ITEM, min_size=len(texts), max_size=len(texts))), key=lambda i: int(i[0]))
    source, paragraphs = "", []
    for text, (number, title) in zip(texts, items):
        start = len(source)
        source += text + "\n\n"
        paragraphs.append(Paragraph(text, start, start + len(text), number, title, None, draw(SPEAKERS)))
    doc = Document("f.txt#0", "f.txt", "meeting notes", "Board notes", "Board", date(2024, 1, 1), None, False,
                   (), (), 0, len(source))
    return doc, source, paragraphs


@settings(max_examples=60, deadline=None)
@given(documents())
def test_passages_cover_every_paragraph_in_order_within_items(case):
    doc, source, paragraphs = case
    passages = chunk_paragraphs(doc, paragraphs)
    # Every word of every paragraph, in order, and nothing else.
    assert " ".join(" ".join(p.text.split("\n")) for p in passages).split() == " ".join(p.text for p in paragraphs).split()
    for passage in passages:
        assert passage.tokens <= MAX_TOKENS + max(count_tokens(s) for s in passage.text.split(". "))
        members = [p for p in paragraphs if passage.start <= p.start and p.end <= passage.end]
        assert members, "a passage points back at the paragraphs it holds"
        assert {(p.item_number, p.item_title) for p in members} == {(passage.item_number, passage.item_title)}
        for line in passage.text.split("\n"):
            assert line in source[passage.start : passage.end]  # verbatim, found by its offsets
        assert {(s.role, s.name) for s in passage.speakers} == {(s.role, s.name) for p in members for s in p.speakers}


def test_a_question_and_its_answer_share_a_passage_and_each_sentence_keeps_its_speaker() -> None:
    from indexer.sentences import sentence_spans
    from search.sentences import sentence_speakers

    member, pcc, cc = Speaker("Member", "A Other", "Cllr Other"), Speaker("PCC", "Matthew Scott", "the Commissioner"), \
        Speaker("CC", "Tim Smith", "the CC")
    texts = [
        ("Can the Commissioner explain how off-road bikes are being tackled in town centres?\n"
         "(Cllr Ann Other, Borough Council)", (member,)),
        ("In response, the Commissioner said a plan was being put together. He added it was a priority.", (pcc,)),
        ("The PCC asked about the numbers seized.", (pcc,)),
        ("He said forty bikes had been seized since May.", (cc,)),
    ]
    source, paragraphs = "", []
    for text, who in texts:
        start = len(source)
        source += text + "\n\n"
        paragraphs.append(Paragraph(text, start, start + len(text), "7", "Questions", None, who))
    doc = Document("q.txt#0", "q.txt", "minutes", "Panel minutes", "Panel", date(2024, 1, 1), None, False,
                   (), (), 0, len(source))
    (passage,) = chunk_paragraphs(doc, paragraphs)
    said = {passage.text[a:b][:20]: sentence_speakers(passage, a, b - a) for a, b in sentence_spans(passage.text)}
    assert said["Can the Commissioner"] == (member,) and said["(Cllr Ann Other, Bor"] == (member,)
    assert said["In response, the Com"] == said["He added it was a pr"] == (pcc,)
    assert said["The PCC asked about "] == (pcc,)
    assert said["He said forty bikes "] == (cc,)  # the next turn, not the PCC named just before

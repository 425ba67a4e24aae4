"""The search backend contract, held by both backends: the embedded one (bm25s + FAISS) and
Qdrant in local mode (in process, no server). A test against a real Qdrant server runs when
SCRUTINY_QDRANT_URL is set."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.backend import BackendChoice, EmbeddedBackend, Where, meets, payload
from indexer.errors import QueryError, ScrutinyError
from indexer.lexical import tokenize
from eval.run import question_filters
from search.filters import Filters, filter_mask, passage_matches, where

pytest.importorskip("qdrant_client")

from indexer.qdrant import QdrantBackend, sparse_document, token_id  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("embedded", "qdrant")
# Read at import: the autouse fixture clears it, so that other tests' commands stay embedded.
REAL_SERVER = os.environ.get("SCRUTINY_QDRANT_URL", "")
_names = itertools.count()


def _qdrant(searcher: Any, url: str = "memory") -> QdrantBackend:
    index = searcher.index
    backend = QdrantBackend.open(
        BackendChoice("qdrant", url, f"contract-{os.getpid()}-{next(_names)}"),
        dim=index.config.embedding_dim, fingerprint=searcher.embedder.fingerprint, create=True, recreate=True,
    )
    backend.set_avgdl(float(np.mean([len(tokenize(p.index_text)) for p in index.passages])))
    backend.add(index.passages, index.embeddings, searcher.date_ranges)
    return backend


def _embedded(searcher: Any) -> EmbeddedBackend:
    backend = EmbeddedBackend()
    backend.add(searcher.index.passages, searcher.index.embeddings, searcher.date_ranges)
    return backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, fake_searcher: Any) -> Iterator[Any]:
    made = _qdrant(fake_searcher) if request.param == "qdrant" else _embedded(fake_searcher)
    yield made
    made.close()


@pytest.fixture(scope="module")
def shared_qdrant(fake_searcher: Any) -> Iterator[QdrantBackend]:
    """One collection for the property test (which must not modify it)."""
    made = _qdrant(fake_searcher)
    yield made
    made.close()


def _ids(ranking: tuple[tuple[str, float], ...]) -> list[str]:
    return [i for i, _ in ranking]


# -- storing -------------------------------------------------------------------------

def test_counts_agree_with_the_index(backend: Any, fake_searcher: Any) -> None:
    assert backend.count() == len(fake_searcher.passages) > 0


def test_delete_by_source_removes_every_passage_of_that_file_and_no_other(backend: Any, fake_searcher: Any) -> None:
    source = fake_searcher.passages[0].source
    held = sum(p.source == source for p in fake_searcher.passages)
    assert 0 < held < len(fake_searcher.passages)
    backend.delete(source)
    assert backend.count() == len(fake_searcher.passages) - held
    vector = fake_searcher.embed_query("police and crime panel meeting")
    found = backend.search("police crime panel meeting", vector, len(fake_searcher.passages))
    rows = {p.id: p for p in fake_searcher.passages}
    assert found.lexical and found.dense
    assert all(rows[i].source != source for i in _ids(found.lexical) + _ids(found.dense))
    backend.delete(source)  # deleting again is harmless
    assert backend.count() == len(fake_searcher.passages) - held


def test_adding_the_same_passages_again_changes_nothing(backend: Any, fake_searcher: Any) -> None:
    vector = fake_searcher.embed_query("firearms licensing waiting times")
    before = backend.search("firearms licensing waiting times", vector, 10)
    backend.add(fake_searcher.index.passages, fake_searcher.index.embeddings, fake_searcher.date_ranges)
    assert backend.count() == len(fake_searcher.passages)
    after = backend.search("firearms licensing waiting times", vector, 10)
    assert _ids(after.lexical) == _ids(before.lexical) and _ids(after.dense) == _ids(before.dense)


def test_a_where_that_allows_nothing_finds_nothing(backend: Any, fake_searcher: Any) -> None:
    vector = fake_searcher.embed_query("taser")
    assert backend.search("taser", vector, 10, Where(bodies=())) == backend.search("x", None, 0)


# -- ranking -------------------------------------------------------------------------

def test_qdrant_bm25_scores_equal_the_embedded_index(fake_searcher: Any, shared_qdrant: QdrantBackend) -> None:
    """Same tokenizer and stemmer, Lucene's BM25 on both sides: the same passages, the same
    scores (to float32 rounding)."""
    embedded = _embedded(fake_searcher)
    for text in ("domestic abuse domestic", "stop and search", "101 calls answered", "Taser uplift for Special Constables"):
        ours, theirs = embedded.search(text, None, 20, mode="lexical"), shared_qdrant.search(text, None, 20, mode="lexical")
        assert theirs.dense == ()
        assert dict(ours.lexical).keys() == dict(theirs.lexical).keys()
        for (a, x), (b, y) in zip(ours.lexical, theirs.lexical):
            assert x == pytest.approx(y, rel=1e-4)


def test_expanded_queries_score_alike_on_both_backends(fake_searcher: Any, shared_qdrant: QdrantBackend) -> None:
    """A term widened by alternatives counts by its best alternative on both backends."""
    embedded = _embedded(fake_searcher)
    widening = [(("domestic abuse", "violence against women and girls"), 0.5), (("101", "non-emergency"), 0.3)]
    ours = embedded.search("DA calls", None, 15, mode="lexical", expansions=widening)
    theirs = shared_qdrant.search("DA calls", None, 15, mode="lexical", expansions=widening)
    assert len(ours.lexical) == len(theirs.lexical) == 15
    for (_, x), (_, y) in zip(ours.lexical, theirs.lexical):
        assert x == pytest.approx(y, rel=1e-4)
    # Equal scores may come in another order (rows here, passage ids there); above the
    # last score kept, the passages are the same.
    cut = ours.lexical[-1][1] * (1 + 1e-4)
    assert {i for i, x in ours.lexical if x > cut} == {i for i, x in theirs.lexical if x > cut}


def test_sparse_document_weights_are_bm25_term_frequency_parts() -> None:
    indices, values = sparse_document(["cadet", "cadet", "scheme"], avgdl=3.0, k1=1.5, b=0.75)
    by_id = dict(zip(indices, values))
    norm = 1.5 * (1 - 0.75 + 0.75 * 3 / 3.0)
    assert by_id[token_id("cadet")] == pytest.approx(2 / (2 + norm))
    assert by_id[token_id("scheme")] == pytest.approx(1 / (1 + norm))
    assert token_id("cadet") == token_id("cadet") != token_id("cadets")


def test_server_fusion_filters_in_every_prefetch(fake_searcher: Any, shared_qdrant: QdrantBackend) -> None:
    """Qdrant's own fusion (kept for comparison) sees only the filtered passages too."""
    kind = "annual report"
    vector = fake_searcher.embed_query("victims commissioning grants")
    fused = shared_qdrant.search_fused("victims commissioning grants", vector, 10, Where(kinds=(kind,)))
    by_id = {p.id: p for p in fake_searcher.passages}
    assert len(fused) == 10 and all(by_id[i].document_kind == kind for i in fused)
    assert shared_qdrant.search_fused("victims", vector, 10, Where(kinds=())) == []


# -- filters -------------------------------------------------------------------------

def _filter_values(passages: Any) -> dict[str, list[Any]]:
    roles = sorted({s.role for p in passages for s in p.speakers if s.role})
    names = sorted({s.name for p in passages for s in p.speakers if s.name})
    surnames = sorted({n.split()[-1] for n in names})
    bodies = sorted({p.body for p in passages if p.body})
    words = sorted({w for b in bodies for w in b.split() if w.isalpha() and len(w) > 3})
    return {
        "speaker": [None, *roles, *names, *surnames],
        "kind": [None, *sorted({p.document_kind for p in passages})],
        "body": [None, *bodies, *words],
        "area": [None, *sorted({p.area for p in passages if p.area})],
        "day": [None, *sorted({p.meeting_date for p in passages if p.meeting_date}),
                date(2019, 1, 1), date(2023, 7, 1), date(2030, 1, 1)],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_filters_always_hold_on_both_backends(data: st.DataObject, fake_searcher: Any, shared_qdrant: QdrantBackend) -> None:
    """Whatever the filters, every hit of either backend meets them, and a search as deep as
    the corpus finds exactly the passages the filters allow (the filter is applied before
    the cut, not after)."""
    passages = fake_searcher.passages
    values = _filter_values(passages)
    since, until = sorted([data.draw(st.sampled_from(values["day"])), data.draw(st.sampled_from(values["day"]))],
                          key=lambda d: d or date.min)
    try:
        f = Filters(speaker=data.draw(st.sampled_from(values["speaker"])), kind=data.draw(st.sampled_from(values["kind"])),
                    body=data.draw(st.sampled_from(values["body"])), area=data.draw(st.sampled_from(values["area"])),
                    since=since, until=until)
        constraint = where(f, passages)
        allowed = filter_mask(passages, f, fake_searcher.date_ranges)
    except QueryError:  # a surname two people share: refused before any backend is asked
        return
    expected = {passages[r].id for r in np.flatnonzero(allowed)}
    vector = fake_searcher.embed_query("the panel asked about the budget")
    by_id = {p.id: p for p in passages}
    for backend in (shared_qdrant, EmbeddedBackend.over(passages, fake_searcher.index.embeddings,
                                                        fake_searcher.index.lexical, fake_searcher.index.dense,
                                                        fake_searcher.date_ranges)):
        found = backend.search("panel asked budget", vector, len(passages), constraint)
        for pid in _ids(found.lexical) + _ids(found.dense):
            assert passage_matches(by_id[pid], f, fake_searcher.date_ranges), (f, pid)
        assert set(_ids(found.dense)) == expected


def test_payload_rule_is_the_filter_rule_for_inferred_dates(fake_searcher: Any) -> None:
    inferred = [p for p in fake_searcher.passages if p.date_inferred]
    assert inferred, "the seed corpus has an undated meeting whose date is inferred"
    p = inferred[0]
    first, last = fake_searcher.date_ranges[p.document_id]
    stored = payload(p, (first, last))
    assert meets(stored, Where(since=last)) and meets(stored, Where(until=first))
    assert passage_matches(p, Filters(since=last), fake_searcher.date_ranges)
    assert not meets(stored, Where(until=date(1990, 1, 1)))


# -- the whole search, on the project's questions ---------------------------------------

def _build(tmp: Path, choice: BackendChoice) -> Any:
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, FakeEmbedder, config_for
    from indexer.manifest import read_manifest
    from indexer.parse import parse_file
    from indexer.resolve import resolve_corpus
    from search.engine import open_searcher

    embedder = FakeEmbedder()
    with EmbeddingCache(tmp / "cache.sqlite") as cache:
        report = build_index(
            [ROOT / "corpus"], tmp / "index", embedder=embedder, cache=cache, parse=parse_file,
            manifest_rows=read_manifest(ROOT / "corpus" / "manifest.csv"), config=config_for(embedder),
            progress=False, finalise=resolve_corpus, backend=choice,
        )
    return report, open_searcher(tmp / "index", embedder)


def test_the_project_questions_rank_alike_on_both_backends(tmp_path: Path, fake_searcher: Any) -> None:
    """Top-10 sets overlap at least 90% and nDCG@10 stays within 0.02 of the embedded index."""
    from eval.run import evaluate

    report, searcher = _build(tmp_path, BackendChoice("qdrant", "memory", f"questions-{os.getpid()}"))
    assert report.sent_to_backend == len(searcher.passages)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["backend"]["name"] == "qdrant"
    assert isinstance(searcher.backend, QdrantBackend)
    questions = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    overlaps = []
    for q in questions:
        kwargs = dict(k=10, filters=question_filters(q))
        ours = {h.passage.id for h in fake_searcher.search(q["query"], **kwargs).hits}
        theirs = {h.passage.id for h in searcher.search(q["query"], **kwargs).hits}
        overlaps.append(len(ours & theirs) / max(len(ours), 1))
    assert np.mean(overlaps) >= 0.9
    manifest_csv = ROOT / "corpus" / "manifest.csv"
    a = evaluate(fake_searcher, ROOT / "eval" / "questions.jsonl", manifest_csv)["systems"]["hybrid"]
    b = evaluate(searcher, ROOT / "eval" / "questions.jsonl", manifest_csv)["systems"]["hybrid"]
    key = next(k for k in a if k.lower().startswith("ndcg"))
    assert abs(a[key] - b[key]) <= 0.02
    searcher.close()


def test_incremental_indexing_sends_only_changed_files_and_deletes_removed_ones(tmp_path: Path) -> None:
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, FakeEmbedder, config_for
    from indexer.parse import parse_file
    from indexer.resolve import resolve_corpus

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    choice = BackendChoice("qdrant", str(tmp_path / "qdrant"), "incremental")
    embedder = FakeEmbedder()

    def run(rebuild: bool = False, backend: BackendChoice | None = choice) -> Any:
        with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
            return build_index([corpus], tmp_path / "index", embedder=embedder, cache=cache, parse=parse_file,
                               config=config_for(embedder), progress=False, finalise=resolve_corpus,
                               backend=backend, rebuild=rebuild)

    first = run()
    assert first.sent_to_backend == first.passages
    assert run().sent_to_backend == 0  # nothing changed: nothing sent
    victim = sorted(p for p in corpus.iterdir() if p.suffix in (".txt", ".md"))[-1]
    victim.unlink()
    third = run()
    backend = QdrantBackend.open(choice, dim=embedder.dim, fingerprint=embedder.fingerprint)
    try:
        assert backend.count() == third.passages < first.passages
        assert victim.name not in backend.sources()
    finally:
        backend.close()
    assert run(rebuild=True).sent_to_backend == third.passages
    kept = run(backend=None)  # no backend asked for: the index keeps the one it records
    assert kept.backend == choice and kept.sent_to_backend == 0


# -- failure -------------------------------------------------------------------------

def test_an_unreachable_server_is_one_line_and_the_index_is_untouched(tmp_path: Path, cli_seed: Any) -> None:
    from click.testing import CliRunner

    from ui.cli import main

    index = tmp_path / "index"
    shutil.copytree(cli_seed.index, index)
    before = (index / "manifest.json").read_bytes()
    result = CliRunner().invoke(main, ["index", str(cli_seed.corpus), "--index", str(index), "--quiet",
                                       "--backend", "qdrant", "--qdrant-url", "http://127.0.0.1:9"])
    assert result.exit_code != 0
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "http://127.0.0.1:9" in message and "--qdrant-url" in message
    assert "Traceback" not in result.output
    assert (index / "manifest.json").read_bytes() == before


def test_a_collection_made_with_another_model_is_refused_naming_it(fake_searcher: Any) -> None:
    choice = BackendChoice("qdrant", "memory", f"other-model-{os.getpid()}")
    QdrantBackend.open(choice, dim=384, fingerprint="another-model", create=True, recreate=True).close()
    with pytest.raises(ScrutinyError) as caught:
        QdrantBackend.open(choice, dim=384, fingerprint=fake_searcher.embedder.fingerprint, create=True)
    message = str(caught.value)
    assert "another-model" in message and "--rebuild" in message and "\n" not in message


def test_a_quantized_collection_still_finds_the_nearest_passage(fake_searcher: Any) -> None:
    choice = BackendChoice("qdrant", "memory", f"int8-{os.getpid()}", quantize=True)
    backend = QdrantBackend.open(choice, dim=fake_searcher.index.config.embedding_dim,
                                 fingerprint=fake_searcher.embedder.fingerprint, create=True, recreate=True)
    try:
        # Local mode searches exactly and keeps no quantisation; a server keeps int8 copies
        # and rescores with the originals, so the nearest passage is still found.
        backend.add(fake_searcher.index.passages[:50], fake_searcher.index.embeddings[:50], fake_searcher.date_ranges)
        vector = fake_searcher.index.embeddings[7]
        assert backend.search("x", vector, 1, mode="dense").dense[0][0] == fake_searcher.index.passages[7].id
    finally:
        backend.close()


def test_qdrant_needs_an_address() -> None:
    with pytest.raises(ScrutinyError, match="--qdrant-url"):
        BackendChoice("qdrant")
    with pytest.raises(ScrutinyError, match="embedded, qdrant"):
        BackendChoice("elastic")


# -- a real server -------------------------------------------------------------------

@pytest.mark.skipif(not REAL_SERVER.startswith("http"),
                    reason="no Qdrant server: set SCRUTINY_QDRANT_URL=http://host:6333 to run")
def test_a_real_server_agrees_with_the_embedded_index(fake_searcher: Any) -> None:
    backend = _qdrant(fake_searcher, REAL_SERVER)
    try:
        assert backend.count() == len(fake_searcher.passages)
        embedded = _embedded(fake_searcher)
        vector = fake_searcher.embed_query("cadets waiting list")
        ours, theirs = embedded.search("cadets waiting list", vector, 10), backend.search("cadets waiting list", vector, 10)
        assert _ids(ours.lexical) == _ids(theirs.lexical)
        assert len(set(_ids(ours.dense)) & set(_ids(theirs.dense))) >= 9
    finally:
        backend._client.delete_collection(backend.collection)
        backend.close()

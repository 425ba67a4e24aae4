"""The `scrutiny` command. No retrieval logic lives here: each command calls one stage
and prints its result as a table or JSON."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from indexer.errors import QueryError, ScrutinyError
from indexer.records import Action, Document, to_json
from indexer.sentences import readable
from search.labels import meeting_label

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Every error a user can see is one line on stderr, no traceback, exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ScrutinyError as exc:
            raise click.ClickException(" ".join(str(exc).split())) from None
        except KeyboardInterrupt:
            raise click.ClickException("Interrupted") from None

    return wrapper  # type: ignore[return-value]


def warn(line: str) -> None:
    click.echo(f"warning: {line}", err=True)


def corpus_paths(paths: Sequence[str]) -> list[Path]:
    return [Path(p) for p in paths] or [DEFAULT_CORPUS]


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def table(rows: list[list[str]], headers: list[str], widths: list[int]) -> str:
    def cell(text: str, width: int) -> str:
        text = " ".join(str(text).split())
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = ["  ".join(cell(h, w).ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell(c, w).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


index_option = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), envvar="SCRUTINY_INDEX",
    help="Index folder (default data/index; or $SCRUTINY_INDEX).",
)


def filter_options(command: F) -> F:
    """--speaker, --since, --until, --body and --area, the same on every command that searches."""
    for option in reversed((
        click.option("--speaker", help="Role (CC, PCC, DCC…) or name (\"Tim Smith\")."),
        click.option("--since", help="From this date (YYYY-MM-DD, YYYY-MM or YYYY)."),
        click.option("--until", help="Up to this date (YYYY-MM-DD, YYYY-MM or YYYY)."),
        click.option("--body", help="Body, e.g. \"Performance and Delivery Board\" or \"panel\"."),
        click.option("--area", help="Police area, e.g. \"Kent\" or \"Sussex\"."),
    )):
        command = option(command)
    return command


@click.group()
@click.version_option(package_name="scrutiny")
def main() -> None:
    """Search and question-answering over police and crime governance records."""


# -- documents -------------------------------------------------------------------

def document_json(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "source": doc.source,
        "kind": doc.kind,
        "body": doc.body,
        "title": doc.title,
        "date": doc.date.isoformat() if doc.date else None,
        "date_range": [d.isoformat() for d in doc.date_range] if doc.date_range else None,
        "date_inferred": doc.date_inferred,
        "attendees": [
            {"role": a.role, "name": a.name, "role_title": a.role_title, "organisation": a.organisation, "status": a.status,
             "acting": a.acting, "initials": a.initials}
            for a in doc.attendees
        ],
        "items": [{"number": i.number, "title": i.title} for i in doc.items],
        "source_url": doc.source_url,
    }


def _office(a: Any) -> str:
    """"CC", "CC, acting", or the title as written when it is none of ours."""
    office = a.role or a.role_title or "-"
    return f"{office}, acting" if a.acting else office


def date_label(doc_date: Any, date_range: Any, inferred: bool) -> str:
    if doc_date:
        return doc_date.isoformat()
    if date_range:
        start, end = date_range
        return f"{start.isoformat()} (inferred)" if start == end else f"{start.isoformat()}..{end.isoformat()} (inferred)"
    return "undated"


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON array of documents.")
@one_line_errors
def documents(paths: tuple[str, ...], as_json: bool) -> None:
    """List the documents found in the corpus: kind, body, date, attendees, items."""
    from indexer.corpus import parse_corpus

    parsed = parse_corpus(corpus_paths(paths), on_error=warn)
    docs = [d for f in parsed for d in f.documents]
    if as_json:
        print_json([document_json(d) for d in docs])
        return
    for d in docs:
        click.echo(f"{date_label(d.date, d.date_range, d.date_inferred):<34} {d.kind:<15} {d.body or '-'}"
                   + (f"  [{d.area}]" if d.area else ""))
        click.echo(f"    {d.title}  [{d.source}]")
        present = [a for a in d.attendees if a.status != "apologies"]
        if present:
            click.echo("    attendees: " + "; ".join(f"{a.name} ({_office(a)})" for a in present))
        apologies = [a for a in d.attendees if a.status == "apologies"]
        if apologies:
            click.echo("    apologies: " + "; ".join(f"{a.name} ({a.role or '-'})" for a in apologies))
        numbered = [i for i in d.items if i.number]
        if numbered:
            click.echo("    items: " + "; ".join(f"{i.number}. {i.title}" for i in numbered))
        click.echo()
    click.echo(f"{len(docs)} documents in {len(parsed)} files")


# -- actions ---------------------------------------------------------------------

def action_json(a: Action) -> dict[str, Any]:
    data = to_json(a)
    data["item"] = {"number": a.item_number, "title": a.item_title}
    return data


def load_records(paths: tuple[str, ...], index_dir: Path | None) -> tuple[list[Action], list[Document], Any]:
    """Actions and documents from the index when there is one (and no paths are given),
    else parsed from the corpus; with the embedder to match them by meaning."""
    from indexer.config import default_index_dir
    from indexer.corpus import parse_corpus
    from indexer.embed import default_embedder
    from indexer.errors import IndexMissingError

    if not paths:
        try:
            from search.engine import open_searcher

            searcher = open_searcher(index_dir)
            return list(searcher.index.actions), list(searcher.index.documents), searcher.embedder
        except IndexMissingError:
            if index_dir is not None and index_dir != default_index_dir():
                raise
    parsed = parse_corpus(corpus_paths(paths), on_error=warn)
    return [a for f in parsed for a in f.actions], [d for f in parsed for d in f.documents], default_embedder()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@index_option
@click.option("--status", type=click.Choice(["open", "done", "deferred", "overdue", "unknown", "any"]), default="any", show_default=True)
@click.option("--owner", help="Only commitments whose owner contains this (Force, OPCC, CC…).")
@click.option("--kind", type=click.Choice(["action", "offer", "any"]), default="any", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of commitments with status and evidence.")
@one_line_errors
def actions(paths: tuple[str, ...], index_dir: Path | None, status: str, owner: str | None, kind: str, as_json: bool) -> None:
    """The commitments ledger: actions and offers, their owner, due date and status
    (done / open / overdue / unknown) with the evidence for it."""
    from search.ledger import build_ledger, cached_embed, entry_json

    found_actions, documents, embedder = load_records(paths, index_dir)
    entries = build_ledger(found_actions, documents, cached_embed(embedder))
    if kind != "any":
        entries = [e for e in entries if (e.action.kind if e.set_at_in_corpus else "action") == kind]
    if owner:
        entries = [e for e in entries if e.action.owner and owner.lower() in e.action.owner.lower()]
    if status != "any":
        entries = [e for e in entries if e.status == status]
    if as_json:
        print_json([entry_json(e) for e in entries])
        return
    rows = []
    for e in entries:
        set_at = e.set_at.isoformat() if e.set_at else "undated"
        if e.action.date_inferred and e.set_at_in_corpus:
            set_at += "~"
        if not e.set_at_in_corpus:
            set_at += "*"
        ev = e.evidence[0] if e.evidence else None
        evidence = (f"{ev.meeting_date.isoformat()}: " if ev and ev.meeting_date else "") + (ev.note if ev else "")
        kind_label = e.action.kind if e.set_at_in_corpus else "action"
        if e.offers:
            kind_label += "+offer"
        rows.append([set_at, kind_label, e.status, e.action.owner or "-",
                     e.due.isoformat() if e.due else "-", e.action.text, evidence])
    click.echo(table(rows, ["set at", "kind", "status", "owner", "due", "commitment", "evidence"], [11, 12, 8, 6, 10, 70, 60]))
    click.echo(f"\n{len(entries)} commitments · ~ date inferred · * set at a meeting not in the records, known from a later update"
               " · +offer: also offered in discussion (one commitment)")


# -- index -----------------------------------------------------------------------

def warm_ledger(index_dir: Path, embedder: Any, cache_path: Path) -> None:
    """Embed the commitments ledger's texts into the cache now, while the model is loaded,
    so that `actions` and `brief` never need to load it."""
    from indexer.store import load_index
    from search.ledger import build_ledger, cached_embed

    index = load_index(index_dir, verify_checksums=False)  # just written and checked
    build_ledger(index.actions, index.documents, cached_embed(embedder, cache_path))


def check_cache_writable(cache_path: Path) -> None:
    """A read-only cache is named as such, before any work (SQLite would only say "unable
    to open" or "readonly database" half-way through)."""
    fix = "make it writable, or point SCRUTINY_CACHE at a writable file"
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScrutinyError(f"Cannot create the embedding cache's folder {cache_path.parent} ({exc.strerror}): {fix}") from None
    if cache_path.exists() and not os.access(cache_path, os.W_OK):
        raise ScrutinyError(f"The embedding cache {cache_path} is read-only: {fix}")
    if not os.access(cache_path.parent, os.W_OK | os.X_OK):
        raise ScrutinyError(f"The embedding cache's folder {cache_path.parent} is read-only: {fix}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@index_option
@click.option("--rebuild", is_flag=True, help="Re-read and re-parse every file (cached embeddings are still reused).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--embedder", type=click.Choice(["onnx-int8", "onnx-fp32", "torch"]),
              help="How the model runs: onnx-int8 (default, fastest), onnx-fp32 (equal to torch), "
                   "torch (slow start); or $SCRUTINY_EMBEDDER. Queries use the index's own.")
@click.option("--model", "model_key", type=click.Choice(["mpnet", "minilm"]),
              help="The embedding model: mpnet (default for a new index; finds more of what people "
                   "put in their own words) or minilm (about six times faster to index); or "
                   "$SCRUTINY_MODEL. Default: the model of the existing index. Queries use the index's own.")
@click.option("--backend", type=click.Choice(["embedded", "qdrant"]), envvar="SCRUTINY_BACKEND",
              help="Where passages are ranked: embedded (bm25s + FAISS, the default) or qdrant "
                   "(or $SCRUTINY_BACKEND). Default: the backend of the existing index.")
@click.option("--qdrant-url", envvar="SCRUTINY_QDRANT_URL",
              help="Qdrant server (http://host:6333), a folder for Qdrant's local mode, or `memory` "
                   "(or $SCRUTINY_QDRANT_URL).")
@click.option("--qdrant-collection", help="Collection name (default scrutiny).")
@click.option("--quantize", is_flag=True, help="qdrant: int8 scalar quantisation of the dense vectors (a quarter of the memory).")
@click.option("--qdrant-shards", type=click.IntRange(1), help="qdrant cluster: shards of a new collection.")
@click.option("--qdrant-replicas", type=click.IntRange(1), help="qdrant cluster: copies of each shard (replication factor).")
@one_line_errors
def index(paths: tuple[str, ...], index_dir: Path | None, rebuild: bool, quiet: bool, embedder: str | None = None,
          model_key: str | None = None, backend: str | None = None, qdrant_url: str | None = None, qdrant_collection: str | None = None,
          quantize: bool = False, qdrant_shards: int | None = None, qdrant_replicas: int | None = None) -> None:
    """Read the corpus and build (or refresh) the search index."""
    from indexer.build import build_index
    from indexer.config import default_cache_path, default_index_dir
    from indexer.embed import MODEL_ENV, EmbeddingCache, config_for, default_embedder, model_key_of
    from indexer.manifest import find_manifest, read_manifest
    from indexer.parse import parse_file
    from indexer.resolve import resolve_corpus
    from indexer.store import built_with

    folders = corpus_paths(paths)
    manifest = find_manifest(folders)
    target = index_dir or default_index_dir()
    # A refresh keeps the model the index was built with unless another is asked for.
    model = default_embedder(embedder, model_key or os.environ.get(MODEL_ENV) or model_key_of(built_with(target)[1]))
    choice = _backend_choice(target, backend, qdrant_url, qdrant_collection, quantize, qdrant_shards, qdrant_replicas)
    cache_path = default_cache_path()
    check_cache_writable(cache_path)
    with EmbeddingCache(cache_path) as cache:
        report = build_index(
            folders, target, embedder=model, cache=cache, parse=parse_file,
            manifest_rows=read_manifest(manifest) if manifest else {}, config=config_for(model),
            rebuild=rebuild, progress=not quiet, finalise=resolve_corpus, backend=choice,
        )
    warm_ledger(target, model, cache_path)
    s = report.seconds
    click.echo(
        f"Indexed {report.passages} passages from {report.files_indexed + report.files_reused} files "
        f"({report.files_indexed} read, {report.files_reused} unchanged, {report.files_failed} failed) into {target}"
    )
    click.echo(
        f"Embedded {report.embedded_new} new passages, {report.embedded_cached} from the cache; "
        f"reading {s['reading']:.1f}s, parsing {s['parsing']:.1f}s, embedding {s['embedding']:.1f}s, indexing {s['indexing']:.1f}s"
    )
    if report.backend.name == "qdrant":
        choice = report.backend
        click.echo(f"Qdrant at {choice.url}, collection {choice.collection or 'scrutiny'}: "
                   f"{report.sent_to_backend} passages sent, the others unchanged there")


def _backend_choice(target: Path, backend: str | None, url: str | None, collection: str | None, quantize: bool,
                    shards: int | None = None, replicas: int | None = None) -> Any:
    """The backend asked for; None when none is (the build keeps the existing index's)."""
    from indexer.backend import BackendChoice

    if backend is None and url is None:
        return None
    name = backend or "qdrant"
    if name == "embedded":
        return BackendChoice()
    return BackendChoice(name, url, collection, quantize, shards, replicas)


# -- search ----------------------------------------------------------------------

def _hit_lines(n: int, hit: Any) -> list[str]:
    p = hit.passage
    if p.date_inferred:
        when = meeting_label(p.meeting_date, p.date_range, p.date_inferred)
    else:
        when = p.meeting_date.isoformat() if p.meeting_date else "undated"
    who = "; ".join(
        f"{s.name or 'name unknown'} ({s.role or s.as_named})" + (" [name inferred]" if s.name_inferred else "")
        for s in p.speakers
    ) or "speaker not identified"
    item = f"{p.item_number}. {p.item_title}" if p.item_number else (p.item_title or "-")
    ranks = f"bm25 #{hit.lexical_rank or '-'} · dense #{hit.dense_rank or '-'}"
    return [
        f"{n}. {when} · {p.body or '-'} · {p.document_kind}",
        f"   item: {item}" + (f" › {p.section}" if p.section else ""),
        f"   speaker: {who}",
        f"   {ranks} · score {hit.score:.4f} · {p.source}" + (f" (also in {', '.join(p.also_in)})" if p.also_in else ""),
        *("   | " + line for line in readable(p.text).split("\n")),
        "",
    ]


# A batch line's filters, by the names the question files use.
BATCH_FILTERS = {"speaker_role": "speaker", "date_from": "since", "date_to": "until", "body": "body", "kind": "kind",
                 "area": "area"}


def _check_text(n: int, field: str, value: object) -> None:
    """Lone surrogates ("\\ud800") are valid JSON but not text: refuse them by name."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise QueryError(f'line {n}: "{field}" holds an invalid character (a lone surrogate); fix the line') from None


def batch_line(searcher: Any, n: int, line: str, *, k: int, mode: str, sort: str, defaults: dict[str, str | None]) -> str:
    """One JSON line out for one question line in: its results, or {"id", "line", "error"}.
    Nothing in one line can stop the batch."""
    from search.engine import hit_json, understood_json
    from search.understand import typed_filters

    item: Any = None
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise QueryError(f"line {n}: each question must be a JSON object")
        query = item.get("query")
        if not isinstance(query, str) or not query.strip():
            raise QueryError(f'line {n} needs a non-empty "query" string')
        _check_text(n, "query", query)
        filters = item.get("filters") or {}
        if not isinstance(filters, dict):
            raise QueryError(f'line {n}: "filters" must be an object or null')
        chosen = dict(defaults)
        for name, option in BATCH_FILTERS.items():
            value = filters.get(name)
            if value in (None, ""):
                continue
            if not isinstance(value, str):
                raise QueryError(f'line {n}: filter "{name}" must be a string, not {type(value).__name__}')
            _check_text(n, name, value)
            chosen[option] = value
        result = searcher.search(query, k=k, mode=mode, sort=sort, filters=typed_filters(**chosen))
        qid = item.get("id")
        _check_text(n, "id", qid)
        return json.dumps({
            "id": qid, "understood": understood_json(result.understood), "weak": result.weak,
            "notice": result.notice, "results": [hit_json(h) for h in result.hits],
        }, ensure_ascii=False)
    except Exception as exc:  # noqa: BLE001 - one bad line is one error line; the batch goes on
        message = " ".join(str(exc).split()) if isinstance(exc, (ValueError, ScrutinyError)) else type(exc).__name__
        qid = item.get("id") if isinstance(item, dict) else None
        if isinstance(qid, str):
            qid = qid.encode("utf-8", "replace").decode("utf-8")
        # ensure_ascii: an error line must print whatever the line held.
        return json.dumps({"id": qid, "line": n, "error": message.encode("utf-8", "replace").decode("utf-8")})


@main.command()
@click.argument("query", required=False)
@index_option
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 1000), help="How many results.")
@filter_options
@click.option("--kind", help="Document kind: minutes, meeting notes, report, annual report, decision…")
@click.option("--mode", type=click.Choice(["hybrid", "lexical", "dense"]), default="hybrid", show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="JSONL questions: {id, query, filters}; one JSON line out per question.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@one_line_errors
def search(query: str | None, index_dir: Path | None, k: int, speaker: str | None, since: str | None,
           until: str | None, body: str | None, area: str | None, kind: str | None, mode: str, sort: str, batch: Any,
           as_json: bool) -> None:
    """Ranked passages with meeting date, body, agenda item and speaker."""
    from search.engine import hit_json, open_searcher, understood_json
    from search.understand import typed_filters

    if batch is None and not (query or "").strip():
        raise QueryError("Give a query (keywords or a question), or --batch FILE")
    searcher = open_searcher(index_dir)
    if batch is not None:
        for n, line in enumerate(batch, start=1):
            if line.strip():
                click.echo(batch_line(searcher, n, line, k=k, mode=mode, sort=sort, defaults={
                    "speaker": speaker, "since": since, "until": until, "body": body, "kind": kind, "area": area}))
        return
    filters = typed_filters(speaker=speaker, since=since, until=until, body=body, kind=kind, area=area)
    result = searcher.search(query or "", k=k, filters=filters, mode=mode, sort=sort)
    if as_json:
        print_json({"query": query, "understood": understood_json(result.understood), "weak": result.weak,
                    "notice": result.notice, "matched": result.matched, "results": [hit_json(h) for h in result.hits]})
        return
    notes = " · ".join(result.understood.notes) or "no filters"
    click.echo(f"Understood: {notes} · searching for: {result.understood.text!r} · {result.matched} passages pass the filters")
    if result.notice:
        click.echo(result.notice)
    if not result.hits:
        click.echo("No passage passes these filters: widen the dates or drop a filter.")
    elif result.weak:
        click.echo("Weak evidence: no passage matches this closely; the nearest are shown below.")
    click.echo()
    for n, hit in enumerate(result.hits, start=1):
        click.echo("\n".join(_hit_lines(n, hit)))


# -- ask -------------------------------------------------------------------------

@main.command()
@click.argument("question")
@index_option
@filter_options
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def ask(question: str, index_dir: Path | None, speaker: str | None, since: str | None, until: str | None,
        body: str | None, area: str | None, as_json: bool) -> None:
    """An answer quoted from the records, in date order, every sentence cited."""
    from search.answer import NO_ANSWER, answer, answer_json
    from search.engine import open_searcher
    from search.understand import typed_filters

    searcher = open_searcher(index_dir)
    result = answer(searcher, question, filters=typed_filters(speaker=speaker, since=since, until=until, body=body, area=area))
    if as_json:
        print_json(answer_json(result))
        return
    notes = " · ".join(result.understood.notes) or "no filters"
    click.echo(f"Understood: {notes}\n")
    if result.notice:
        click.echo(f"Note: {result.notice}\n")
    if not result.answered:
        click.echo(NO_ANSWER)
        if result.nearest:
            click.echo("\nNearest passages (they do not answer the question):")
            for n, hit in enumerate(result.nearest, start=1):
                click.echo("\n".join(_hit_lines(n, hit)))
        return
    for c in result.citations:
        click.echo(f"• “{c.text}”\n    — {c.label}  [{c.passage.source}]")


# -- timeline --------------------------------------------------------------------

@main.command()
@click.argument("topic")
@index_option
@filter_options
@click.option("--json", "as_json", is_flag=True, help="A list of {meeting_date, body, count, speakers, top} in date order.")
@one_line_errors
def timeline(topic: str, index_dir: Path | None, speaker: str | None, since: str | None, until: str | None,
             body: str | None, area: str | None, as_json: bool) -> None:
    """How much was said about a topic, by whom, meeting by meeting."""
    from search.engine import open_searcher
    from search.timeline import point_json, timeline as trace
    from search.understand import typed_filters

    searcher = open_searcher(index_dir)
    understood, points = trace(searcher, topic, filters=typed_filters(speaker=speaker, since=since, until=until, body=body, area=area))
    if as_json:
        print_json([point_json(p) for p in points])
        return
    click.echo(f"Understood: {' · '.join(understood.notes) or 'no filters'} · topic: {understood.text!r}\n")
    if not points:
        click.echo("No passage in the records is about this.")
        return
    width = max(p.count for p in points)
    for p in points:
        when = p.meeting_date.isoformat() if p.meeting_date else "undated"
        if p.date_inferred:
            when += "~"
        bar = "█" * max(1, round(20 * p.count / width))
        who = ", ".join(f"{s.role or s.name} {s.passages}" for s in p.speakers[:4]) or "-"
        click.echo(f"{when:<11} {bar:<20} {p.count:>3}  {p.body or '-'} · {p.top.passage.document_kind}  ({who})")
        if p.date_inferred:
            click.echo(f"            {p.when}")
        click.echo(f"            “{readable(p.top.passage.text.splitlines()[0][:160])}”")
    click.echo("\n~ date inferred: the meeting is undated (placed at the start of its range)")


# -- brief -----------------------------------------------------------------------

@main.command()
@index_option
@click.option("--body", help="The body to brief on (default: the one with most meetings).")
@click.option("--json", "as_json", is_flag=True, help="{body, markdown}.")
@one_line_errors
def brief(index_dir: Path | None, body: str | None, as_json: bool) -> None:
    """A Markdown brief for the next meeting: open commitments, questions asked, promises."""
    from search.brief import choose_body, meeting_brief
    from search.engine import open_searcher

    searcher = open_searcher(index_dir)
    index = searcher.index
    markdown = meeting_brief(index.passages, index.documents, searcher.ledger, body)
    if as_json:
        print_json({"body": choose_body(index.documents, body), "markdown": markdown})
    else:
        click.echo(markdown)


# -- eval ------------------------------------------------------------------------

DEV_QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"


@main.command(name="eval")
@click.option("--questions", "question_files", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Question sets (JSONL); default eval/questions.jsonl and, where present, ../shared/eval/dev.jsonl.")
@index_option
@click.option("--baseline/--no-baseline", default=True, show_default=True, help="Also score the naive fixed-chunk pipeline.")
@click.option("--details", is_flag=True, help="Also list the weakest questions.")
@click.option("--answers", is_flag=True, help="Also run `ask` on every question (refusal rates) and score it on eval/answers.jsonl (slower).")
@click.option("--records", is_flag=True,
              help="Score the parser on the held-out records of eval/areas (date, body, kind, area, attendees); "
                   "retrieval only with --questions (an index of eval/areas/corpus, no naive baseline: it reads corpus/ only).")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def evaluate_command(question_files: tuple[Path, ...], index_dir: Path | None, baseline: bool, details: bool,
                     answers: bool, records: bool, as_json: bool) -> None:
    """nDCG@10, Recall@10, MRR@10 and attribution for BM25, dense and hybrid retrieval."""
    from eval.naive import run_naive
    from eval.run import answer_refusals, evaluate, format_report, per_type, weakest
    from search.engine import open_searcher

    if records:
        from eval.records import format_records, records_json, score_corpus

        scores = score_corpus()
        parsing = records_json(scores)
        if as_json and not question_files:
            print_json(parsing)
        elif not as_json:
            click.echo(format_records(scores) + "\n")
        if not question_files:
            return
    files = list(question_files) or [p for p in (PROJECT_ROOT / "eval" / "questions.jsonl", DEV_QUESTIONS) if p.exists()]
    searcher = open_searcher(index_dir)
    reports = []
    for path in files:
        report = evaluate(searcher, path, DEFAULT_CORPUS / "manifest.csv")
        naive = run_naive(path) if baseline and not records else None
        refusals = answer_refusals(searcher, path) if answers else None
        reports.append({"ours": report, "naive": naive, "answers": refusals})
        if not as_json:
            click.echo(format_report(report, naive))
            if refusals:
                def share(value: float | None) -> str:
                    return "-" if value is None else f"{value:.0%}"  # a set may have no questions of a kind

                click.echo(
                    f"scrutiny ask: refused {share(refusals['correct_refusals'])} of the {refusals['negative']} questions "
                    f"without an answer; wrongly refused {share(refusals['false_refusals'])} of the {refusals['answerable']} answerable"
                )
            click.echo(per_type(report))
            if details:
                click.echo("weakest (hybrid nDCG@10): " + ", ".join(weakest(report)))
            click.echo()
    if answers and not records:  # eval/answers.jsonl is written for the seed corpus
        from eval.run import ANSWERS, format_answers, score_answers

        scored = score_answers(searcher, ANSWERS)
        reports.append({"answers_set": scored})
        if not as_json:
            click.echo(format_answers(scored))
    if as_json:
        print_json({"records": parsing, "retrieval": reports} if records else reports)


# -- fetch -----------------------------------------------------------------------

def fetch_options(command: F) -> F:
    """Where to put what is fetched, and how politely to fetch it: the same on every fetch command."""
    for option in reversed((
        click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_CORPUS,
                     show_default="corpus/", help="Corpus folder the documents and manifest rows go into."),
        click.option("--publisher", help="Publisher for the manifest (default: the site's host name)."),
        click.option("--area", help="Police area for the manifest (default: read from the body's name)."),
        click.option("--delay", default=1.0, show_default=True, type=click.FloatRange(0), help="Seconds between requests."),
        click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1), help="Seconds before a request times out."),
        click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 10), help="Tries again after a 5xx or time-out."),
        click.option("--max-mb", default=50.0, show_default=True, type=click.FloatRange(0.001), help="Largest file fetched."),
        click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
                     help="Another host redirects and links may lead to (repeatable)."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    )):
        command = option(command)
    return command


def _fetch_client(site: str, delay: float, timeout: float, retries: int, max_mb: float, allow_hosts: tuple[str, ...]) -> Any:
    from indexer.fetch.client import Client, FetchPolicy

    policy = FetchPolicy(delay=delay, timeout=timeout, retries=retries, max_bytes=int(max_mb * 1024 * 1024),
                         allow_hosts=frozenset(h.lower() for h in allow_hosts))
    return Client(site, policy)


def _fetch_summary(report: Any, source: str, corpus_dir: Path) -> None:
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("new", "changed", "unchanged", "failed"))
    click.echo(f"Fetched {len(report.outcomes)} documents from {source} into {corpus_dir} ({counts}; {report.requests} requests)")
    if report.count("new") or report.count("changed"):
        click.echo(f"Run `scrutiny index {corpus_dir}` to index them.")


@main.group()
def fetch() -> None:
    """Fetch records from their publishers into the corpus, each with a manifest row."""


@fetch.command(name="moderngov")
@click.argument("site")
@click.option("--committee", required=True, help="The committee's number (841) or name (\"Police and Crime Panel\").")
@click.option("--since", help="Meetings from this date (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--until", help="Meetings up to this date (YYYY-MM-DD, YYYY-MM or YYYY).")
@fetch_options
@one_line_errors
def fetch_moderngov(site: str, committee: str, since: str | None, until: str | None, corpus_dir: Path,
                    publisher: str | None, area: str | None, delay: float, timeout: float, retries: int,
                    max_mb: float, allow_hosts: tuple[str, ...], quiet: bool) -> None:
    """The minutes and agenda packs of a committee's meetings from a ModernGov site."""
    from indexer.fetch.moderngov import committee_papers, site_root
    from indexer.fetch.save import save_documents
    from search.understand import parse_date

    start = parse_date("--since", since) if since else None
    end = parse_date("--until", until, end=True) if until else None
    root = site_root(site)
    client = _fetch_client(root, delay, timeout, retries, max_mb, allow_hosts)
    chosen, wanted = committee_papers(client, root, committee, since=start, until=end,
                                      publisher=publisher, area=area, on_error=warn)
    click.echo(f"{chosen.title} (committee {chosen.id}): {len(wanted)} documents listed", err=True)
    report = save_documents(client, wanted, corpus_dir, progress=not quiet, on_error=warn)
    _fetch_summary(report, root, corpus_dir)


@fetch.command(name="page")
@click.argument("url")
@click.option("--match", help="Only links whose text or address contains this (any case).")
@click.option("--body", help="Body for the manifest (default: the page's heading).")
@click.option("--kind", "document_type", help="Document type for the manifest (default: read from each link).")
@fetch_options
@one_line_errors
def fetch_page(url: str, match: str | None, body: str | None, document_type: str | None, corpus_dir: Path,
               publisher: str | None, area: str | None, delay: float, timeout: float, retries: int,
               max_mb: float, allow_hosts: tuple[str, ...], quiet: bool) -> None:
    """Every PDF, DOCX or HTML document a publication page links to."""
    from indexer.fetch.page import page_papers
    from indexer.fetch.save import save_documents

    client = _fetch_client(url if "://" in url else f"https://{url}", delay, timeout, retries, max_mb, allow_hosts)
    wanted, elsewhere = page_papers(client, client.site, match=match, body=body, document_type=document_type,
                                    publisher=publisher, area=area)
    if elsewhere:
        warn(f"{len(elsewhere)} linked documents on other hosts were left out (first: {elsewhere[0].url}); "
             f"pass --allow-host to fetch them")
    report = save_documents(client, wanted, corpus_dir, progress=not quiet, on_error=warn)
    _fetch_summary(report, client.site, corpus_dir)


# -- serve -----------------------------------------------------------------------

@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but localhost needs --auth.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@click.option("--auth", envvar="SCRUTINY_AUTH", metavar="USER:PASSWORD",
              help="Require this sign-in (or $SCRUTINY_AUTH); required when not on localhost.")
@click.pass_context
@one_line_errors
def serve(ctx: click.Context, index_dir: Path | None, host: str, port: int, auth: str | None) -> None:
    """The web app: search, cited answers, timelines, commitments and documents."""
    from indexer.config import default_index_dir
    from indexer.errors import IndexMissingError
    from search.engine import open_searcher
    from ui.app import check_access, run

    credentials = check_access(host, auth)  # before anything slow: a refusal is immediate
    target = index_dir or default_index_dir()
    try:
        searcher = open_searcher(index_dir)
    except IndexMissingError:
        # Only where there is no index at all: a damaged or mismatched one is the user's
        # (perhaps of their own corpus) and is never replaced unasked.
        click.echo(f"No index at {target} — building it from {DEFAULT_CORPUS} now.", err=True)
        ctx.invoke(index, paths=(), index_dir=index_dir, rebuild=False, quiet=True)
        searcher = open_searcher(index_dir)
    run(searcher, host=host, port=port, credentials=credentials,
        protect=[index_dir or default_index_dir(), DEFAULT_CORPUS], echo=click.echo)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

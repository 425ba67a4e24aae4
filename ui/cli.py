"""The `scrutiny` command. No retrieval logic lives here: each command calls one stage
and prints its result as a table or JSON."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from indexer.errors import ScrutinyError
from indexer.records import Action, Document, to_json

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
            {"role": a.role, "name": a.name, "role_title": a.role_title, "organisation": a.organisation, "status": a.status}
            for a in doc.attendees
        ],
        "items": [{"number": i.number, "title": i.title} for i in doc.items],
        "source_url": doc.source_url,
    }


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
        click.echo(f"{date_label(d.date, d.date_range, d.date_inferred):<34} {d.kind:<15} {d.body or '-'}")
        click.echo(f"    {d.title}  [{d.source}]")
        present = [a for a in d.attendees if a.status != "apologies"]
        if present:
            click.echo("    attendees: " + "; ".join(f"{a.name} ({a.role or a.role_title or '-'})" for a in present))
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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--status", type=click.Choice(["open", "done", "overdue", "unknown", "any"]), default="any", show_default=True)
@click.option("--owner", help="Only actions whose owner contains this (Force, OPCC, CC…).")
@click.option("--kind", type=click.Choice(["action", "offer", "request", "update", "any"]), default="any", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of actions.")
@one_line_errors
def actions(paths: tuple[str, ...], status: str, owner: str | None, kind: str, as_json: bool) -> None:
    """Commitments made at meetings: action lists and tables, offers, and later updates."""
    from indexer.corpus import parse_corpus

    parsed = parse_corpus(corpus_paths(paths), on_error=warn)
    found = [a for f in parsed for a in f.actions]
    if kind != "any":
        found = [a for a in found if a.kind == kind]
    if owner:
        found = [a for a in found if a.owner and owner.lower() in a.owner.lower()]
    if status != "any":
        found = [a for a in found if _status_group(a.status) == status]
    found.sort(key=lambda a: (a.meeting_date or a.due or __import__("datetime").date.min, a.source, a.start))
    if as_json:
        print_json([action_json(a) for a in found])
        return
    rows = [
        [a.meeting_date.isoformat() if a.meeting_date else "undated", a.kind, a.status, a.owner or "-",
         a.due.isoformat() if a.due else "-", a.text]
        for a in found
    ]
    click.echo(table(rows, ["meeting", "kind", "status", "owner", "due", "action"], [10, 7, 11, 8, 10, 90]))
    click.echo(f"\n{len(found)} actions")


def _status_group(status: str) -> str:
    return {"discharged": "done", "complete": "done", "completed": "done", "closed": "done"}.get(status, status)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

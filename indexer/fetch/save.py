"""Download the wanted documents into a corpus folder, each with a manifest row.

Each document is downloaded to a hidden temporary file (`<corpus>/.fetch/partial/`),
checked, and only then moved into the corpus under a name saying body, date and kind;
its manifest row and the fetch record are written after it, atomically. A second run
asks the server for each address again with the validators it gave (ETag,
Last-Modified) and keeps the file when the server says it is unchanged or its bytes
hash the same; a changed file replaces the old one under the same name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from tqdm import tqdm

from indexer.errors import FetchError
from indexer.fetch.client import DOCUMENT_KINDS, Client
from indexer.fetch.names import SUFFIXES, document_name, inside, remote_name, unique_name
from indexer.fetch.state import FetchedFile, load_state, save_state, state_dir
from indexer.manifest import MANIFEST_NAMES, read_manifest, upsert_rows

NEW, CHANGED, UNCHANGED, FAILED = "new", "changed", "unchanged", "failed"


@dataclass(frozen=True)
class Wanted:
    """A document to fetch and what its publisher says about it."""

    url: str
    body: str | None
    date: date | None
    document_type: str | None
    publisher: str | None = None
    area: str | None = None
    expect: tuple[str, ...] = DOCUMENT_KINDS
    label: str = ""  # the link text or the document's title, for messages


@dataclass(frozen=True)
class Outcome:
    url: str
    status: str  # new, changed, unchanged or failed
    file: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class FetchReport:
    outcomes: tuple[Outcome, ...]
    requests: int

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def manifest_path(corpus: Path) -> Path:
    return corpus / MANIFEST_NAMES[0]


def save_documents(
    client: Client,
    wanted: Sequence[Wanted],
    corpus: Path,
    *,
    progress: bool = True,
    on_error: Callable[[str], None] = lambda line: None,
) -> FetchReport:
    """Fetch each wanted document into `corpus`; one bad document costs one line, the rest go on."""
    corpus.mkdir(parents=True, exist_ok=True)
    state = load_state(corpus)
    manifest = manifest_path(corpus)
    if manifest.is_file():
        read_manifest(manifest)  # a malformed manifest stops the run before anything is downloaded
    partial = state_dir(corpus) / "partial"
    partial.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    bar = tqdm(wanted, desc="Fetching", unit="file", leave=False, disable=not progress or not wanted)
    for item in bar:
        try:
            outcome = _save_one(client, item, corpus, manifest, partial, state)
        except FetchError as exc:
            line = " ".join(str(exc).split())
            outcome = Outcome(item.url, FAILED, message=f"{item.label}: {line}" if item.label else line)
            bar.clear()  # the line is not printed through the bar
            on_error(outcome.message or "")
            bar.refresh()
        outcomes.append(outcome)
    bar.close()
    return FetchReport(tuple(outcomes), client.requests)


def _save_one(client: Client, item: Wanted, corpus: Path, manifest: Path, partial: Path,
              state: dict[str, FetchedFile]) -> Outcome:
    url = client.check_url(item.url)
    prior = state.get(url)
    removed = prior if prior is not None and not (corpus / prior.file).is_file() else None
    if removed is not None:
        prior = None  # removed from the corpus since: fetched afresh, under its old name
    temp = partial / f"{uuid.uuid4().hex}.part"
    try:
        fetched = client.get(url, item.expect, into=temp,
                             etag=prior.etag if prior else None, last_modified=prior.last_modified if prior else None)
        if prior is not None and (fetched.status == 304 or fetched.sha256 == prior.sha256):
            state[url] = FetchedFile(url, prior.file, prior.sha256, fetched.etag or prior.etag,
                                     fetched.last_modified or prior.last_modified)
            save_state(corpus, state)
            if not manifest.is_file() or prior.file not in read_manifest(manifest):
                _record(manifest, item, prior.file, url, None)  # a row deleted by hand comes back; an edited one stays
            return Outcome(url, UNCHANGED, prior.file)
        if fetched.kind is None or fetched.sha256 is None:
            raise FetchError(f"{url}: the server answered 304 to a request that sent no validators")
        same_kind = prior is not None and prior.file.endswith(SUFFIXES[fetched.kind])
        if prior is not None and same_kind:
            name = prior.file
        elif removed is not None and removed.file.endswith(SUFFIXES[fetched.kind]):
            name = removed.file
        else:
            name = _new_name(corpus, manifest, item, fetched.kind, state)
        os.replace(temp, inside(corpus, name))
        state[url] = FetchedFile(url, name, fetched.sha256, fetched.etag, fetched.last_modified)
        save_state(corpus, state)
        _record(manifest, item, name, url, remote_name(urlsplit(fetched.final_url).path, fetched.filename))
        return Outcome(url, NEW if prior is None else CHANGED, name)
    finally:
        temp.unlink(missing_ok=True)


def _new_name(corpus: Path, manifest: Path, item: Wanted, kind: str, state: dict[str, FetchedFile]) -> str:
    taken = {p.name.lower() for p in corpus.iterdir()}
    taken |= {f.file.lower() for f in state.values()}
    if manifest.is_file():
        taken |= {name.lower() for name in read_manifest(manifest)}
    return unique_name(document_name(item.body, item.date, item.document_type, kind), taken)


def _record(manifest: Path, item: Wanted, name: str, url: str, original: str | None) -> None:
    row = {
        "file": name,
        "publisher": item.publisher or "",
        "body": item.body or "",
        "area": item.area or "",
        "document_type": item.document_type or "",
        "source_url": url,
        "date": item.date.isoformat() if item.date else "",
    }
    if original is not None:
        row["original_name"] = original
    upsert_rows(manifest, [row])

"""Read and parse a whole corpus without building an index (documents and actions
listings, and the tests): every file that can be read is parsed, every file that
cannot costs one line naming it, and names are resolved across the corpus."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from indexer.errors import ReadError, ScrutinyError
from indexer.manifest import find_manifest, read_manifest
from indexer.parse import parse_file
from indexer.read import corpus_files, read_file
from indexer.records import ParsedFile
from indexer.resolve import resolve_corpus


def parse_corpus(paths: Sequence[Path], *, on_error: Callable[[str], None]) -> list[ParsedFile]:
    files = corpus_files(paths)
    if not files:
        raise ScrutinyError(f"No corpus files found in {', '.join(str(p) for p in paths)}")
    manifest = find_manifest(list(paths))
    rows = read_manifest(manifest) if manifest else {}
    parsed: list[ParsedFile] = []
    for path in files:
        try:
            parsed.append(parse_file(read_file(path), rows.get(path.name)))
        except ReadError as exc:
            on_error(str(exc))
        except Exception as exc:  # the parser is heuristic: one bad file must not stop the rest
            on_error(f"{path}: could not be parsed ({type(exc).__name__}: {exc})")
    return resolve_corpus(parsed)

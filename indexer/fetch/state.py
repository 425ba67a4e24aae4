"""What was fetched before, so that a second run fetches only what is new or changed.

Kept in `<corpus>/.fetch/state.json` (a hidden folder, which the indexer never reads):
for each source address, the corpus file it was saved as, the server's validators
(ETag, Last-Modified) and the sha256 of the bytes. Written atomically after every file,
so an interrupted run keeps what it completed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.errors import FetchError

STATE_DIR = ".fetch"
STATE_FILE = "state.json"
FORMAT = 1


@dataclass(frozen=True)
class FetchedFile:
    """One document fetched into the corpus."""

    url: str
    file: str
    sha256: str
    etag: str | None = None
    last_modified: str | None = None


def state_dir(corpus: Path) -> Path:
    return corpus / STATE_DIR


def load_state(corpus: Path) -> dict[str, FetchedFile]:
    """Fetched files by source address; empty when nothing was fetched into `corpus` yet."""
    path = state_dir(corpus) / STATE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {row["url"]: FetchedFile(**row) for row in data["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"{path}: unreadable fetch record ({exc}); delete it to fetch everything again") from None


def save_state(corpus: Path, files: dict[str, FetchedFile]) -> None:
    folder = state_dir(corpus)
    path = folder / STATE_FILE
    temp = folder / f".{STATE_FILE}.{os.getpid()}.tmp"
    payload = {"format": FORMAT, "files": [asdict(f) for f in sorted(files.values(), key=lambda f: f.url)]}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:  # a full disk or a read-only corpus: one line, no half-written record
        temp.unlink(missing_ok=True)
        raise FetchError(f"{path}: cannot write the record of fetched files ({exc.strerror or exc})") from exc

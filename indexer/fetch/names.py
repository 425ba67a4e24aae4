"""Corpus file names for fetched documents: body, date and kind, e.g.
`kent-and-medway-police-and-crime-panel_2023-10-17_agenda-pack.pdf`.

Names are built only from letters, digits and hyphens of our own making; nothing the
remote side sends (a link, a Content-Disposition file name) becomes a path, so no name
can climb out of the corpus folder, and `inside` checks that once more.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from indexer.errors import FetchError

SUFFIXES: dict[str, str] = {"pdf": ".pdf", "docx": ".docx", "html": ".html"}
MAX_SLUG = 60


def slug(text: str, max_length: int = MAX_SLUG) -> str:
    """Lower-case ASCII words joined by hyphens ("Kent & Medway Panel" → "kent-medway-panel")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:max_length].rstrip("-")
    return out or "document"


def document_name(body: str | None, when: date | None, kind: str | None, file_kind: str) -> str:
    """The file name for a document of `body` on `when`, of `kind`, stored as `file_kind`."""
    return f"{slug(body or 'document')}_{when.isoformat() if when else 'undated'}_{slug(kind or 'document')}{SUFFIXES[file_kind]}"


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name` with -2, -3… before the suffix when another file has it."""
    if name.lower() not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    n = 2
    while f"{stem}-{n}{dot}{suffix}".lower() in taken:
        n += 1
    return f"{stem}-{n}{dot}{suffix}"


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refusing any name that is not a plain file name within `folder`."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve() or name in ("", ".", "..") or "/" in name or "\\" in name:
        raise FetchError(f"{name!r}: not a plain file name inside {folder}; refused")
    return target


def remote_name(url_path: str, suggested: str | None) -> str:
    """The publisher's own name for a file, for the manifest's original_name column only:
    the last path segment, or the server's suggestion, reduced to safe characters."""
    raw = suggested or unquote(url_path.rstrip("/").rsplit("/", 1)[-1])
    raw = raw.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^\w.\- ()&,']+", "_", raw).strip(" ._")
    return cleaned[:200]

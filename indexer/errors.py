"""Every error a user may see. The CLI prints each as one line, without a traceback."""

from __future__ import annotations


class ScrutinyError(Exception):
    """Base class: the message says what went wrong, where, and what to do next."""


class ReadError(ScrutinyError):
    """A corpus file could not be read: the message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ManifestError(ScrutinyError):
    """The corpus manifest is malformed: the message names the row and field."""


class IndexMissingError(ScrutinyError):
    """No index where one was expected."""


class IndexMismatchError(ScrutinyError):
    """An index built with another model, config or format, or a damaged file."""


class QueryError(ScrutinyError):
    """A query or filter that cannot be understood."""


class FetchError(ScrutinyError):
    """A document or listing could not be fetched: the message names the address and why."""


def one_line(exc: BaseException) -> str:
    """An exception's message on one line of at most 160 characters, for user-facing errors."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."

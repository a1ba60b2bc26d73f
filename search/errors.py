"""Every error the library raises on purpose, defined once.

Each edge translates them once: the HTTP layer into a JSON body with a status code,
the CLI into a one-line message and a non-zero exit.
"""


class SearchError(Exception):
    """Base class: a problem we can explain to the user in one line."""

    status_code = 500
    # Extra response headers at the HTTP edge (WWW-Authenticate, Retry-After).
    headers: dict[str, str] = {}

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidQuery(SearchError):
    """The request is well formed but asks for something that does not exist."""

    status_code = 422


class IndexNotFound(SearchError):
    status_code = 503


class IndexMismatch(SearchError):
    """The index on disk was built with another model, dimension or schema."""

    status_code = 503


class IndexCorrupt(SearchError):
    status_code = 503


class CorpusError(SearchError):
    """A corpus file or folder cannot be read."""

    status_code = 400


class DocumentNotFound(SearchError):
    """No document with that id in the index or the corpus."""

    status_code = 404


class Unauthorized(SearchError):
    """No API key, or one that is not configured."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(SearchError):
    """A valid key that may not use this route (an admin route, a non-admin key)."""

    status_code = 403


class RateLimited(SearchError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class PayloadTooLarge(SearchError):
    status_code = 413


class EvalDataError(SearchError):
    """A question set or BEIR folder that cannot be used as it is."""

    status_code = 400


class NotExportable(SearchError):
    """The model's shape is not one the ONNX exporter reproduces exactly; queries use torch."""

"""The one error the site's own logic raises for a request it must refuse."""

from __future__ import annotations


class Refused(Exception):
    """A request that cannot be carried out; `status` is the HTTP status, `errors` the design issues."""

    def __init__(self, status: int, detail: str, errors: list | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []

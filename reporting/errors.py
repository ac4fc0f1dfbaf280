"""The one exception of progress reporting: a user error with a Vietnamese message."""
from __future__ import annotations

from typing import Optional


class ReportingError(Exception):
    """A user error (unknown unit, unapproved reporter, bad number…) with a Vietnamese message
    that the chat and the CLI show as is.  ``candidates`` lists what the user may have meant."""

    def __init__(self, message: str, candidates: Optional[list[str]] = None):
        super().__init__(message)
        self.message = message
        self.candidates = candidates or []


__all__ = ["ReportingError"]

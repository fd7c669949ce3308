"""A channel's refusal of a post, sorted by what the sender should do next."""
from __future__ import annotations

from typing import Optional


class Refusal(Exception):
    """The channel did not take the post (or we cannot tell whether it did).

    ``reason`` is short and never holds personal data: it is stored and shown.
    ``permanent``: retrying will not help (a wrong channel, a revoked token).
    ``maybe_posted``: the post may have arrived (a timeout, a server error).
    ``retry_after``: the channel asked us to wait this many seconds.
    """

    def __init__(self, reason: str, *, permanent: bool = False, maybe_posted: bool = False,
                 retry_after: Optional[float] = None):
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent
        self.maybe_posted = maybe_posted
        self.retry_after = retry_after


def retry_after_seconds(headers) -> Optional[float]:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None

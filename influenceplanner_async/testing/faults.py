"""Constructors for the faults that ``FakePartnerAPI.faults`` injects.

Example::

    from influenceplanner_async.testing import faults

    api.faults.push(faults.status(503), times=2)
    api.faults.push(faults.drop_connection(), path="/schedule/create")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from influenceplanner_async.testing._faults import (
    DateSkewFault,
    DelayFault,
    DropConnectionFault,
    HtmlErrorPageFault,
    MalformedJsonFault,
    RateLimitedFault,
    ResetFormatFault,
    StatusFault,
    TruncatedJsonFault,
    WrongTypesFault,
)

if TYPE_CHECKING:
    from influenceplanner_async.testing._headers import ResetFormat

__all__ = [
    "date_skew",
    "delay",
    "drop_connection",
    "html_error_page",
    "malformed_json",
    "rate_limited",
    "reset_format",
    "status",
    "truncated_json",
    "wrong_types",
]


def status(
    code: int,
    body: str | bytes | None = None,
    *,
    content_type: str = "application/json",
) -> StatusFault:
    """Reply with ``code`` (typically a 5xx) and ``body``.

    A ``None`` body becomes the API's JSON error body for that status.
    """
    return StatusFault(status=code, body=body, content_type=content_type)


def rate_limited(
    *, with_headers: bool = True, retry_after: str | int | None = None
) -> RateLimitedFault:
    """Reply with 429, with or without the ``X-RateLimit-*`` headers.

    ``retry_after`` adds a ``Retry-After`` header with that value (seconds or
    an HTTP-date).
    """
    return RateLimitedFault(with_headers=with_headers, retry_after=retry_after)


def delay(seconds: float) -> DelayFault:
    """Serve the real response after ``seconds`` of extra latency."""
    return DelayFault(seconds=seconds)


def drop_connection(*, after_processing: bool = False) -> DropConnectionFault:
    """Close the connection without an HTTP response.

    With ``after_processing=True`` the request is counted and handled first.
    """
    return DropConnectionFault(after_processing=after_processing)


def truncated_json() -> TruncatedJsonFault:
    """Send the first half of the real JSON body."""
    return TruncatedJsonFault()


def malformed_json() -> MalformedJsonFault:
    """Send a 200 whose JSON body does not parse."""
    return MalformedJsonFault()


def html_error_page(
    status: int = 502, *, with_headers: bool = False
) -> HtmlErrorPageFault:
    """Send a ``text/html`` error page as a reverse proxy would."""
    return HtmlErrorPageFault(status=status, with_headers=with_headers)


def reset_format(fmt: ResetFormat) -> ResetFormatFault:
    """Serve the real response with ``X-RateLimit-Reset`` in the form ``fmt``."""
    return ResetFormatFault(reset_format=fmt)


def date_skew(seconds: float, *, shift_reset: bool = False) -> DateSkewFault:
    """Serve the real response with its ``Date`` header moved by ``seconds``."""
    return DateSkewFault(seconds=seconds, shift_reset=shift_reset)


def wrong_types() -> WrongTypesFault:
    """Send a 200 whose JSON values have the wrong types."""
    return WrongTypesFault()

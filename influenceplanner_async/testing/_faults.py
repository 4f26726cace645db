"""Faults that tests inject into the fake API's responses.

A fault either replaces the response the fake would have sent (a status, a
429, a dropped connection, a broken body) or changes it (extra latency, another
reset format, a skewed Date header). Faults wait in a ``FaultQueue`` and each
request takes the first one whose path and method match.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import attrs

from influenceplanner_async.testing._headers import check_reset_format
from influenceplanner_async.testing._paths import relative_path

if TYPE_CHECKING:
    from influenceplanner_async.testing._headers import ResetFormat

__all__ = [
    "DateSkewFault",
    "DelayFault",
    "DropConnectionFault",
    "Fault",
    "FaultQueue",
    "HtmlErrorPageFault",
    "MalformedJsonFault",
    "RateLimitedFault",
    "ResetFormatFault",
    "StatusFault",
    "TruncatedJsonFault",
    "WrongTypesFault",
]


@attrs.frozen(kw_only=True)
class StatusFault:
    """Reply with ``status`` and ``body`` instead of the real response.

    A ``None`` body becomes the API's JSON error body for that status.
    """

    status: int
    body: str | bytes | None = None
    content_type: str = "application/json"


@attrs.frozen(kw_only=True)
class RateLimitedFault:
    """Reply with 429 although the window has room.

    ``with_headers=False`` leaves out the ``X-RateLimit-*`` headers, and
    ``retry_after`` adds a ``Retry-After`` header with that value.
    """

    with_headers: bool = True
    retry_after: str | int | None = None


@attrs.frozen(kw_only=True)
class DelayFault:
    """Serve the real response after ``seconds`` of extra latency."""

    seconds: float


@attrs.frozen(kw_only=True)
class DropConnectionFault:
    """Close the connection without sending an HTTP response.

    By default the request is dropped before it reaches the handler and is not
    counted in the window. With ``after_processing=True`` the fake counts and
    handles the request first (a schedule is created) and then drops the
    response, which is the case that makes a retried POST unsafe.
    """

    after_processing: bool = False


@attrs.frozen(kw_only=True)
class TruncatedJsonFault:
    """Send the first half of the real JSON body, with the real status."""


@attrs.frozen(kw_only=True)
class MalformedJsonFault:
    """Send a 200 whose ``application/json`` body is not valid JSON."""


@attrs.frozen(kw_only=True)
class HtmlErrorPageFault:
    """Send a ``text/html`` error page as a reverse proxy in front of the API would.

    The page carries no ``X-RateLimit-*`` headers unless ``with_headers`` is
    set, because the proxy sends it without reaching the API.
    """

    status: int = 502
    with_headers: bool = False


@attrs.frozen(kw_only=True)
class ResetFormatFault:
    """Serve the real response with ``X-RateLimit-Reset`` in another form."""

    reset_format: ResetFormat = attrs.field(converter=check_reset_format)


@attrs.frozen(kw_only=True)
class DateSkewFault:
    """Serve the real response with the ``Date`` header moved by ``seconds``.

    With ``shift_reset=True`` the absolute forms of ``X-RateLimit-Reset`` move
    too, as if the server's whole clock were off.
    """

    seconds: float
    shift_reset: bool = False


@attrs.frozen(kw_only=True)
class WrongTypesFault:
    """Send a 200 whose JSON has values of the wrong types.

    For a listing, each member has ``followers`` as a string and ``name`` as
    null, and ``totalPages`` is a string. For other paths ``data`` is a string.
    """


Fault = (
    StatusFault
    | RateLimitedFault
    | DelayFault
    | DropConnectionFault
    | TruncatedJsonFault
    | MalformedJsonFault
    | HtmlErrorPageFault
    | ResetFormatFault
    | DateSkewFault
    | WrongTypesFault
)


@attrs.define
class _QueuedFault:
    fault: Fault
    remaining: int
    path: str | None
    method: str | None

    def matches(self, path: str, method: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or relative_path(path) == self.path


class FaultQueue:
    """Faults waiting for the next matching requests, first pushed first used."""

    def __init__(self) -> None:
        self._queue: deque[_QueuedFault] = deque()

    def __len__(self) -> int:
        return sum(entry.remaining for entry in self._queue)

    def push(
        self,
        fault: Fault,
        times: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests.

        Args:
            fault: The fault to inject, for example ``faults.status(503)``.
            times: Number of requests that get the fault, at least 1.
            path: Only requests to this path get it. Either the full path
                (``/partner/v1/network/members``) or the part after the base
                (``/network/members``). ``None`` matches every path.
            method: Only requests with this HTTP method get it.

        Raises:
            ValueError: If ``times`` is less than 1.
        """
        if times < 1:
            message = f"times must be at least 1, got {times!r}."
            raise ValueError(message)
        wanted_path = None if path is None else relative_path(path)
        self._queue.append(_QueuedFault(fault, times, wanted_path, method))

    def clear(self) -> None:
        """Drop every queued fault."""
        self._queue.clear()

    def take(self, path: str, method: str) -> Fault | None:
        """Return the first fault that matches the request, using it up once."""
        for entry in self._queue:
            if entry.matches(path, method):
                entry.remaining -= 1
                if entry.remaining == 0:
                    self._queue.remove(entry)
                return entry.fault
        return None

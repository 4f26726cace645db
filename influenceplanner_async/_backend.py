"""The interface between the client and a rate-limit backend.

The client's request pipeline talks to its limiter only through
:class:`RateLimiterBackend`. :class:`~influenceplanner_async.WindowLimiter`
implements it inside one process; ``RedisRateLimiter`` implements it with the
window state in Redis, so that several processes that share an API key share
one budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from ._headers import ResponseHeaders, parse_response_headers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._headers import RateLimitHeaders
    from ._models import RateLimit
    from ._ratelimit import LimiterStats

__all__ = ["PermitT", "RateLimiterBackend", "observe_response"]

PermitT = TypeVar("PermitT")


class RateLimiterBackend(Protocol[PermitT]):
    """Hands out permits for requests and learns from their responses.

    A permit is opaque to the client: it receives one from :meth:`acquire`
    and hands it back exactly once, to :meth:`observe` when a response came
    back or to :meth:`release` when none did.

    Every method runs on the event loop of the client that uses the backend.
    """

    @property
    def limit(self) -> int:
        """Requests per window, as last announced by the server."""
        ...

    @property
    def in_flight(self) -> int:
        """Permits handed out by this backend whose outcome is not known yet."""
        ...

    @property
    def snapshot(self) -> RateLimit | None:
        """The latest rate-limit headers as a :class:`RateLimit`, if any."""
        ...

    @property
    def stats(self) -> LimiterStats:
        """Counters of this process: requests sent, 429s, retries and waits."""
        ...

    def ready_at(self) -> float | None:
        """Return the loop time at which budget is expected, or ``None``."""
        ...

    def server_now(self) -> float:
        """Return the current time on the server's clock, in epoch seconds."""
        ...

    async def acquire(self, *, deadline: float | None = None) -> PermitT:
        """Wait for budget and return a permit for one request.

        Args:
            deadline: Loop time after which the caller would rather fail
                than wait. ``None`` waits as long as needed.

        Raises:
            BudgetUnavailable: Budget will not return before ``deadline``.
        """
        ...

    def observe(
        self,
        permit: PermitT,
        headers: RateLimitHeaders | None,
        *,
        status: int,
        server_date: float | None = None,
        sent_at: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Settle a permit with the response that its request received.

        Args:
            permit: The permit that :meth:`acquire` returned for the request.
            headers: The response's rate-limit headers, ``None`` when absent.
            status: The response's HTTP status.
            server_date: The ``Date`` header in epoch seconds, if present.
            sent_at: Epoch seconds on the local clock when the request left.
            retry_after: The ``Retry-After`` header in seconds, if present.
        """
        ...

    def release(self, permit: PermitT, *, sent: bool) -> None:
        """Settle a permit whose request got no usable response.

        Args:
            permit: The permit that :meth:`acquire` returned for the request.
            sent: ``True`` when the request may have reached the server, which
                then counted it against the window.
        """
        ...


def observe_response(
    backend: RateLimiterBackend[PermitT],
    permit: PermitT,
    headers: Mapping[str, str],
    *,
    status: int,
    sent_at: float,
) -> ResponseHeaders:
    """Parse a response's headers, settle ``permit`` with them, and return them."""
    # A reset given as seconds until the boundary counts from the moment the
    # server responded. The backend's estimate of the server's clock is finer
    # than the whole seconds of Date.
    parsed = parse_response_headers(headers, server_now=backend.server_now())
    backend.observe(
        permit,
        parsed.rate_limit,
        status=status,
        server_date=parsed.server_date,
        sent_at=sent_at,
        retry_after=parsed.retry_after,
    )
    return parsed

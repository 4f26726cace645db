"""Client-side tracking of the Partner API's fixed rate-limit window.

Theory of operation
-------------------
The service counts requests per API key in fixed periods (60 s today) and
responds with 429 for the rest of a period once the count passes
``X-RateLimit-Limit``. Every response carries the server's view of the
current period: ``Limit``, ``Remaining`` and ``Reset``.

:class:`WindowLimiter` keeps that view and hands out permits:

1. Budget. A request may start while ``remaining - in_flight > 0``, where
   ``remaining`` is the lowest ``Remaining`` seen in the current window and
   ``in_flight`` counts permits whose response has not come back. A response
   may already include some in-flight requests, so the estimate errs low and
   never high.
2. Windows. A response whose reset lies later than the current one, by more
   than the header's jitter (50 ms for an absolute timestamp, about a second
   for whole seconds until the reset), opens a new window. A response whose
   reset lies that much earlier is late news from an old window, so it only
   frees its permit.
3. Reset. When the clock passes ``reset + margin`` the limiter assumes a fresh
   window of ``limit`` requests and releases waiters in arrival order, at most
   as many as that window allows. One timer does this: nothing polls.
4. Unknown state. Before the first response, a single probe request goes out
   alone so that a crowd of tasks cannot overrun a window that another client
   already spent. A server that sends no rate-limit headers is paced by the
   ``aiolimiter`` bucket alone, sized to ``limit`` per window.
5. 429. A rejection closes the gate until ``Retry-After``, else the reset the
   429 announces, else a capped backoff. A 429 soon after the limiter assumed
   a reset means the server's boundary is later than the headers suggest, so
   the margin doubles (up to ``max_margin`` and a quarter of the window)
   instead of repeating the mistake. Until one assumed reset has been
   confirmed by a success, the first request of each new window is sent
   alone, so such a mistake costs one 429 and not a burst.

Resets are compared on the server's clock (epoch seconds from the headers),
so a change in the skew estimate cannot make one window look like two. The
skew is corrected from the ``Date`` header only when the local clock is
provably off by more than the header's one-second resolution, allowing for
the time that the request spent in flight.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs
from aiolimiter import AsyncLimiter

from ._backend import observe_response
from ._clock import ServerClock
from ._headers import RateLimitHeaders
from ._models import RateLimit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["BudgetUnavailable", "LimiterStats", "Permit", "WindowLimiter"]

logger = logging.getLogger("influenceplanner_async.ratelimit")

DEFAULT_LIMIT = 30
DEFAULT_WINDOW = 60.0
DEFAULT_MARGIN = 0.1
_MAX_BACKOFF_429 = 60.0


class BudgetUnavailable(Exception):
    """Raised inside the client when budget will not return before a deadline.

    ``ready_at`` is the loop time at which the limiter expects budget, or
    ``None`` when it cannot tell.
    """

    def __init__(self, ready_at: float | None) -> None:
        self.ready_at = ready_at
        super().__init__(ready_at)


@attrs.define
class LimiterStats:
    """Counters that a service can export.

    ``wait_seconds`` is the total time that calls spent waiting for budget,
    summed over calls, so concurrent waits add up.
    """

    requests_sent: int = 0
    responses_429: int = 0
    retries: int = 0
    waits: int = 0
    wait_seconds: float = 0.0


@attrs.frozen
class _Steady:
    """Header texts of the latest response, and the values parsed from them."""

    limit_text: str | None
    reset_text: str | None
    date_text: str | None
    reset: float
    server_date: float | None


@attrs.define(eq=False)
class Permit:
    """Right to send one request, handed out by :meth:`WindowLimiter.acquire`."""

    window: int
    settled: bool = False


class WindowLimiter:
    """Shares one rate-limit budget among every task of a client.

    Args:
        limit: Requests per window until the server announces its own limit.
        window: Length of the server's window in seconds.
        margin: Seconds to wait past the announced reset before assuming a
            fresh window, for a reset rounded down or clocks slightly apart.
        max_margin: Upper bound for the margin that the limiter learns from
            429s that arrive just after a reset.
        min_interval: Minimum seconds between two request starts, for limits
            that the headers do not announce. 0 disables it.
        wall_clock: Epoch-seconds clock, injectable for tests.

    All methods must run on one event loop.
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        margin: float = DEFAULT_MARGIN,
        max_margin: float = 2.0,
        min_interval: float = 0.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.window = window
        self._configured_window = window
        self._clamp_warned_at: float | None = None
        self._reset_jitter = 0.0
        self.margin = margin
        self.max_margin = max_margin
        self.min_interval = min_interval
        self.stats = LimiterStats()
        self._wall_clock = wall_clock
        self._limit = limit
        self._bucket = AsyncLimiter(limit, window)
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._server_reset: float | None = None
        self._window_learned = False
        self._window_id = 0
        self._rolled_at: float | None = None
        self._gate_until: float | None = None
        self._in_flight = 0
        self._headers_seen = False
        self._calibrated = False
        self._headers_absent = False
        self._last_start: float | None = None
        self._consecutive_429 = 0
        self._server_clock = ServerClock(wall_clock)
        self._waiters: collections.deque[asyncio.Future[Permit]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._snapshot: RateLimit | None = None
        self._snapshot_values: tuple[int, int, float] | None = None
        self._wait_logged_until: float | None = None
        self._steady: _Steady | None = None

    # -- public state -------------------------------------------------------

    @property
    def limit(self) -> int:
        """Requests per window, as last announced by the server."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Permits handed out whose outcome is not known yet."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Tasks queued for budget."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    @property
    def snapshot(self) -> RateLimit | None:
        """The latest rate-limit headers as a :class:`RateLimit`, if any."""
        if self._snapshot is None and self._snapshot_values is not None:
            limit, remaining, reset_at = self._snapshot_values
            reset_epoch = self._wall_clock() + (reset_at - self._now())
            self._snapshot = RateLimit(
                limit=limit,
                remaining=remaining,
                reset=datetime.fromtimestamp(reset_epoch, UTC),
            )
        return self._snapshot

    def ready_at(self) -> float | None:
        """Return the loop time at which budget is expected, or ``None``.

        ``None`` means that only a response can tell, for example while the
        first request is still out and no window is known.
        """
        now = self._now()
        if self._remaining is None and self._in_flight > 0 and not self._headers_absent:
            return None
        blockers = [
            t for t in (self._gate_until, self._next_spacing_slot()) if t is not None
        ]
        if self._remaining is not None and self._available(now) <= 0:
            if self._reset_at is None:
                return None
            blockers.append(self._reset_at + self.margin)
        return max(blockers, default=now)

    # -- acquiring ----------------------------------------------------------

    async def acquire(self, *, deadline: float | None = None) -> Permit:
        """Wait for budget and return a permit for one request.

        Args:
            deadline: Loop time after which the caller would rather fail
                than wait. ``None`` waits as long as needed.

        Raises:
            BudgetUnavailable: Budget will not return before ``deadline``.
        """
        loop = self._loop or self._bind_loop()
        if self._headers_absent:
            await self._acquire_bucket(deadline)
        if not self._waiters:
            now = loop.time()
            if self._can_start(now):
                return self._take(now)
        return await self._wait_in_queue(deadline)

    async def _acquire_bucket(self, deadline: float | None) -> None:
        if deadline is None:
            await self._bucket.acquire()
            return
        try:
            async with asyncio.timeout_at(deadline):
                await self._bucket.acquire()
        except TimeoutError:
            raise BudgetUnavailable(None) from None

    async def _wait_in_queue(self, deadline: float | None) -> Permit:
        ready_at = self.ready_at()
        if deadline is not None and ready_at is not None and ready_at > deadline:
            raise BudgetUnavailable(ready_at)
        loop = self._bind_loop()
        future: asyncio.Future[Permit] = loop.create_future()
        self._waiters.append(future)
        started = loop.time()
        self.stats.waits += 1
        self._log_wait(started)
        self._wake()
        try:
            if deadline is None:
                permit = await future
            else:
                async with asyncio.timeout_at(deadline):
                    permit = await future
        except TimeoutError:
            self._give_back(future)
            raise BudgetUnavailable(self.ready_at()) from None
        except BaseException:
            self._give_back(future)
            raise
        finally:
            self.stats.wait_seconds += loop.time() - started
        return permit

    def _give_back(self, future: asyncio.Future[Permit]) -> None:
        # A waiter cancelled or timed out just after being granted a permit
        # returns it, so that budget is not counted for a request never sent.
        if not future.done():
            future.cancel()
        elif not future.cancelled() and future.exception() is None:
            self.release(future.result(), sent=False)
        self._wake()

    # -- settling -----------------------------------------------------------

    def release(self, permit: Permit, *, sent: bool) -> None:
        """Settle a permit whose request got no usable response.

        Args:
            sent: ``True`` when the request may have reached the server, which
                then counted it, so one unit of the window is taken as spent.
        """
        if not self._settle(permit):
            return
        if sent and permit.window == self._window_id and self._remaining is not None:
            self._remaining = max(self._remaining - 1, 0)
        self._wake()

    def observe(
        self,
        permit: Permit,
        headers: RateLimitHeaders | None,
        *,
        status: int,
        server_date: float | None = None,
        sent_at: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Settle a permit with the response that its request received.

        Args:
            permit: The permit that the request was sent under.
            headers: The response's rate-limit headers, if it had any.
            status: HTTP status of the response.
            server_date: The ``Date`` header in epoch seconds, if present.
            sent_at: Epoch seconds on the local clock when the request left.
            retry_after: The ``Retry-After`` header in seconds, if present.
        """
        if permit.settled:
            return
        permit.settled = True
        self._in_flight -= 1
        now = self._now()
        if server_date is not None:
            self._server_clock.learn(server_date, sent_at)
        self._finish_headers(
            permit, headers, status=status, now=now, retry_after=retry_after
        )

    def _finish_headers(
        self,
        permit: Permit,
        headers: RateLimitHeaders | None,
        *,
        status: int,
        now: float,
        retry_after: float | None,
    ) -> None:
        if headers is None:
            self._note_missing_headers(status)
        else:
            self._headers_seen = True
            self._headers_absent = False
            confirmed_roll = self._apply_headers(headers, now, permit)
            if confirmed_roll and status != 429:
                self._calibrated = True
        if status == 429:
            self._on_429(permit, headers, now, retry_after)
        else:
            self._consecutive_429 = 0
        if self._waiters or self._timer is not None:
            self._wake()

    def _observe_response(
        self,
        permit: Permit,
        headers: Mapping[str, str],
        *,
        status: int,
        sent_at: float,
    ) -> None:
        """Settle a permit with the headers of the response to its request.

        This has the effect of parsing the headers and calling
        :meth:`observe`, at a lower cost for a response like the one before
        it: one that repeats the ``Limit``, ``Reset`` and ``Date`` texts of a
        window that the limiter already follows only lowers the remaining
        budget and the skew estimate.
        """
        steady = self._steady
        get = headers.get
        if (
            steady is not None
            and status < 400
            and not permit.settled
            and self._rolled_at is None
            and self._server_reset == steady.reset
            and get("X-RateLimit-Reset") == steady.reset_text
            and get("X-RateLimit-Limit") == steady.limit_text
            and get("Date") == steady.date_text
            and "Retry-After" not in headers
            and self._observe_steady(
                permit, steady, get("X-RateLimit-Remaining"), status, sent_at
            )
        ):
            return
        parsed = observe_response(self, permit, headers, status=status, sent_at=sent_at)
        rate_limit = parsed.rate_limit
        self._steady = None
        if (
            status < 400
            and rate_limit is not None
            and rate_limit.reset is not None
            # An absolute reset: a relative one moves with the clock.
            and rate_limit.reset_jitter == 0.0
            and parsed.retry_after is None
            and self._rolled_at is None
            and self._server_reset == rate_limit.reset
        ):
            self._steady = _Steady(
                limit_text=get("X-RateLimit-Limit"),
                reset_text=get("X-RateLimit-Reset"),
                date_text=get("Date"),
                reset=rate_limit.reset,
                server_date=parsed.server_date,
            )

    def _observe_steady(
        self,
        permit: Permit,
        steady: _Steady,
        remaining_text: str | None,
        status: int,
        sent_at: float,
    ) -> bool:
        # The work of observe() for a response that repeats the window of the
        # one before: same reset, same limit, no 429 and no assumed roll.
        # Returns False, with nothing changed, when observe() must run.
        if remaining_text is None:
            return False
        try:
            remaining = int(remaining_text)
        except ValueError:
            return False
        if remaining < 0:
            return False

        permit.settled = True
        self._in_flight -= 1
        now = self._now()
        if steady.server_date is not None:
            self._server_clock.learn(steady.server_date, sent_at)
        server_now = self._server_clock.server_now()

        reset = steady.reset
        if self._clamp_reset(reset, server_now) != reset:
            # The clock moved so far that the reset is out of bounds. The
            # clamp warned; the rest of observe() decides.
            self._steady = None
            self._finish_headers(
                permit,
                RateLimitHeaders(self._limit, remaining, reset, 0.0),
                status=status,
                now=now,
                retry_after=None,
            )
            return True

        self._reset_at = now + (reset - server_now)
        self._lower_remaining(remaining)
        self._consecutive_429 = 0
        if self._waiters or self._timer is not None:
            self._wake()
        return True

    def _settle(self, permit: Permit) -> bool:
        if permit.settled:
            return False
        permit.settled = True
        self._in_flight -= 1
        return True

    def _note_missing_headers(self, status: int) -> None:
        if not self._headers_seen and status < 500:
            self._headers_absent = True

    def _apply_headers(
        self, headers: RateLimitHeaders, now: float, permit: Permit
    ) -> bool:
        """Reconcile with one response.

        Returns whether the response confirmed a window that the limiter had
        assumed at a reset.
        """
        rolled = self._rolled_at is not None
        if headers.limit is not None and headers.limit != self._limit:
            self._resize(headers.limit)
        self._reset_jitter = headers.reset_jitter
        server_now = self._server_clock.server_now()
        reset_at = headers.reset
        if reset_at is not None:
            reset_at = self._clamp_reset(reset_at, server_now)
        if reset_at is None and self._server_reset is None:
            # No usable reset: assume the window ends one length from now.
            reset_at = server_now + self.window
        window_state = self._classify(reset_at)
        if window_state == "old":
            return False
        if (
            window_state == "same"
            and self._rolled_at is not None
            and (permit.window == self._window_id)
        ):
            # Sent after the assumed reset, yet counted in the old window.
            self._learn_margin(now)
        elif window_state == "new":
            self._enter_server_window(reset_at)
        elif reset_at is not None and self._server_reset is not None:
            # Same window: keep the latest announced boundary, the safe side
            # when the server rounds its reset down.
            self._server_reset = max(self._server_reset, reset_at)
            if self._rolled_at is None:
                self._reset_at = now + (self._server_reset - server_now)
        if headers.remaining is not None:
            self._lower_remaining(headers.remaining)
        return rolled and window_state == "new"

    def _lower_remaining(self, remaining: int) -> None:
        # The lowest Remaining of the window is the budget left.
        if self._remaining is None or remaining < self._remaining:
            self._remaining = remaining
        if self._reset_at is not None:
            # The RateLimit object is built when read, not on every response.
            self._snapshot_values = (self._limit, remaining, self._reset_at)
            self._snapshot = None

    def _classify(self, reset_at: float | None) -> str:
        # Resets within the tolerance are one window. Absolute timestamps
        # repeat exactly; a reset sent as whole seconds until the boundary
        # varies by up to a second between responses.
        if reset_at is None or self._server_reset is None:
            return "new" if reset_at is not None else "same"
        tolerance = min(0.05 + self._reset_jitter, self.window / 4)
        if reset_at > self._server_reset + tolerance:
            return "new"
        if reset_at < self._server_reset - tolerance:
            return "old"
        return "same"

    def _sent_after_roll(self, permit: Permit) -> bool:
        return self._rolled_at is not None and permit.window == self._window_id

    def _enter_server_window(self, reset_at: float | None) -> None:
        assert reset_at is not None
        previous = self._server_reset
        if previous is not None:
            gap = reset_at - previous
            # After an idle spell the gap spans several windows. A response
            # less than half a gap past the old reset can only come from the
            # very next window, so only such a gap teaches the length.
            if self.server_now() - previous < gap / 2:
                self._learn_window(gap)
        if self._rolled_at is None:
            # The server moved on before the limiter assumed it would.
            self._window_id += 1
            self._remaining = None
        self._server_reset = reset_at
        self._reset_at = self._to_loop_time(reset_at)
        self._rolled_at = None

    def _learn_window(self, gap: float) -> None:
        # Consecutive resets are whole windows apart, so the smallest gap seen
        # is the window length. The first gap replaces the configured length.
        if gap <= 0:
            return
        if not self._window_learned or gap < self.window - 1e-6:
            if abs(gap - self.window) > 1e-6:
                logger.info("Server window length is %.3f s", gap)
            self.window = gap
            self._window_learned = True

    def _reset_of(self, headers: RateLimitHeaders) -> float | None:
        """Return the announced reset in server epoch seconds, clamped."""
        if headers.reset is None:
            return None
        return self._clamp_reset(headers.reset, self.server_now())

    def _on_429(
        self,
        permit: Permit,
        headers: RateLimitHeaders | None,
        now: float,
        retry_after: float | None,
    ) -> None:
        self.stats.responses_429 += 1
        self._consecutive_429 += 1
        self._remaining = 0
        if self._sent_after_roll(permit) and (
            headers is None or self._classify(self._reset_of(headers)) != "new"
        ):
            self._learn_margin(now)
        if retry_after is not None:
            gate = now + retry_after
        elif headers is not None and headers.reset is not None and self._reset_at:
            # Repeated 429s back off even when the announced reset has passed,
            # so a server whose window outlasts its headers is not hammered.
            pause = min(0.05 * 2.0 ** (self._consecutive_429 - 1), self.window)
            gate = max(self._reset_at + self.margin, now + pause)
        else:
            gate = now + min(2.0 ** (self._consecutive_429 - 1), _MAX_BACKOFF_429)
        self._gate_until = max(self._gate_until or gate, gate)
        if self._reset_at is None:
            # No window is known, so nothing would ever reopen one: after the
            # gate, probe with a single request as at start.
            self._remaining = None
        logger.info(
            "Received 429; new requests wait %.2f s until the server accepts them",
            gate - now,
        )

    def _learn_margin(self, now: float) -> None:
        # The server had not opened the window that the limiter assumed: step
        # back to the old window, wait longer past each reset from now on, and
        # probe again with one request at the next attempt.
        # Double the margin from at least 50 ms, but never past a quarter of
        # the window, which may still be the configured length rather than
        # the server's.
        ceiling = min(self.max_margin, self.window / 4)
        learned = min(ceiling, max(self.margin * 2, 0.05))
        if learned > self.margin:
            logger.warning(
                "The server counted a request sent %.3f s after the assumed reset "
                "in the old window; waiting %.3f s past each reset from now on",
                now - (self._rolled_at or now),
                learned,
            )
            self.margin = learned
        if self._server_reset is not None:
            self._reset_at = self._to_loop_time(self._server_reset)
        self._window_id -= 1
        self._rolled_at = None
        self._calibrated = False
        self._remaining = 0

    def _resize(self, limit: int) -> None:
        logger.info("Server limit changed from %d to %d per window", self._limit, limit)
        self._limit = limit
        self._bucket = AsyncLimiter(limit, self.window)

    # -- granting -----------------------------------------------------------

    def _can_start(self, now: float) -> bool:
        if self._gate_until is not None:
            if now < self._gate_until:
                return False
            self._gate_until = None
        if (
            self.min_interval > 0
            and self._last_start is not None
            and now < self._last_start + self.min_interval
        ):
            return False
        self._roll_if_due(now)
        if self._remaining is None:
            # Unknown window: one probe at a time until headers arrive.
            return self._headers_absent or self._in_flight == 0
        return self._remaining - self._in_flight > 0

    def _available(self, now: float) -> int:
        self._roll_if_due(now)
        if self._remaining is None:
            return self._limit
        return self._remaining - self._in_flight

    def _roll_if_due(self, now: float) -> None:
        if self._reset_at is None or now < self._reset_at + self.margin:
            return
        # Assume the server opened a fresh window. Requests still in flight
        # stay counted against it until their responses show otherwise.
        self._window_id += 1
        self._rolled_at = now
        # Until one reset has been confirmed by a successful response, the
        # first request after a reset goes alone, so that a boundary later
        # than the headers suggest costs one 429 and not a whole burst.
        self._remaining = self._limit if self._calibrated else None
        self._reset_at += self.window * max(
            1, int((now - self._reset_at) // self.window) + 1
        )

    def _next_spacing_slot(self) -> float | None:
        if self.min_interval <= 0 or self._last_start is None:
            return None
        return self._last_start + self.min_interval

    def _take(self, now: float) -> Permit:
        self._in_flight += 1
        self._last_start = now
        self.stats.requests_sent += 1
        return Permit(self._window_id)

    def _wake(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._waiters:
            return
        now = self._now()
        while self._waiters:
            if self._waiters[0].done():
                self._waiters.popleft()
                continue
            if not self._can_start(now):
                break
            self._waiters.popleft().set_result(self._take(now))
        if self._waiters and any(not waiter.done() for waiter in self._waiters):
            self._schedule_timer(now)

    def _schedule_timer(self, now: float) -> None:
        wake_at = self.ready_at()
        if wake_at is None or wake_at <= now:
            # Only responses can free budget now, and observe() or release()
            # calls _wake() when one arrives.
            return
        loop = self._bind_loop()
        self._timer = loop.call_at(max(wake_at, now), self._wake)

    def _log_wait(self, now: float) -> None:
        ready_at = self.ready_at()
        if ready_at is None or ready_at <= now:
            return
        if self._wait_logged_until is not None and self._wait_logged_until >= ready_at:
            return
        self._wait_logged_until = ready_at
        logger.info(
            "Rate-limit budget spent; requests wait %.2f s for the next window",
            ready_at - now,
        )

    # -- clocks -------------------------------------------------------------

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _now(self) -> float:
        loop = self._loop
        if loop is None:
            loop = self._bind_loop()
        return loop.time()

    def server_now(self) -> float:
        """Return the current time on the server's clock, in epoch seconds.

        The local clock, corrected by the skew learned from ``Date`` headers.
        """
        return self._server_clock.server_now()

    def _to_loop_time(self, epoch: float) -> float:
        return self._now() + (epoch - self.server_now())

    def _clamp_reset(self, reset: float, server_now: float) -> float:
        # Bounds use the larger of the configured and the learned window, so a
        # short window learned in error cannot make every reset look too far.
        window = max(self.window, self._configured_window)
        if reset > server_now + 2 * window:
            self._warn_clamp(
                server_now,
                "X-RateLimit-Reset is %.1f s ahead, more than two windows; "
                "using one window instead",
                reset - server_now,
            )
            return server_now + window
        if reset < server_now - window:
            self._warn_clamp(
                server_now,
                "X-RateLimit-Reset is %.1f s in the past; treating the window as reset",
                server_now - reset,
            )
            return server_now
        return reset

    def _warn_clamp(self, server_now: float, message: str, seconds: float) -> None:
        # Every response of a window carries the same bad reset: warn once
        # per window, not once per response.
        if self._clamp_warned_at is not None and (
            server_now - self._clamp_warned_at < self.window
        ):
            return
        self._clamp_warned_at = server_now
        logger.warning(message, seconds)

"""A rate limiter whose window lives in Redis, shared by many processes.

Theory of operation
-------------------
Workers on several hosts that use one API key share one budget. Each process
runs a :class:`RedisRateLimiter` on the same Redis key (the username); the
Lua scripts in ``_redis_scripts`` keep the server's view of the window there
and apply the same rules as :class:`~influenceplanner_async.WindowLimiter`.

1. Queueing. Inside a process, tasks queue in arrival order and only the
   first one talks to Redis. It holds one ticket in a queue shared by every
   process and takes a permit when its ticket's rank is below the budget
   left, so processes are served in turns and none starves.
2. Waiting. When the window is spent, the script returns the time of the
   next reset on Redis's clock and the task sleeps until then (with a little
   jitter so processes do not arrive at once). When budget is held by
   requests in flight or claimed by tickets ahead, it polls again after a
   short jittered ``poll_interval``.
3. Reconciling. Every response's headers go to Redis, converted to "reset in
   so many seconds" so that the script places the reset on Redis's clock.
   Settling runs in a background task; the next acquire of the process
   waits for it, so each process sees its own updates in order.
4. Expiry. Each permit expires after ``permit_ttl`` and every key after a
   few windows without use, so a crashed worker cannot hold budget forever.
5. Fallback. When Redis fails or does not answer within ``redis_timeout``,
   the process limits with its own :class:`WindowLimiter`, logs one WARNING,
   and probes Redis every ``probe_interval`` until it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import attrs
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ._clock import ServerClock
from ._errors import ValidationError
from ._models import RateLimit
from ._ratelimit import (
    DEFAULT_LIMIT,
    DEFAULT_MARGIN,
    DEFAULT_WINDOW,
    BudgetUnavailable,
    LimiterStats,
    Permit,
    WindowLimiter,
)
from ._redis_scripts import (
    Grant,
    SettleResult,
    SharedWindow,
    SharedWindowState,
    WindowDefaults,
    WindowKeys,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from types import TracebackType

    from ._headers import RateLimitHeaders

__all__ = ["RedisRateLimiter", "SharedPermit"]

logger = logging.getLogger("influenceplanner_async.ratelimit")

DEFAULT_PREFIX = "influenceplanner:ratelimit"
_REDIS_FAILURES = (RedisError, OSError, TimeoutError)


@attrs.define(eq=False)
class SharedPermit:
    """Right to send one request, handed out by :meth:`RedisRateLimiter.acquire`.

    ``local`` is set when the permit came from the local fallback limiter.
    """

    id: str
    window: int
    local: Permit | None = None
    settled: bool = False


class RedisRateLimiter:
    """Shares one rate-limit budget among processes through Redis.

    Use one instance per process and API key, and give every process the same
    ``key``::

        async with RedisRateLimiter("redis://redis:6379/0", key="alice") as limiter:
            async with Client("alice", api_key, limiter=limiter) as client:
                ...

    Args:
        redis: A ``redis://`` URL, or a ``redis.asyncio.Redis`` client. The
            limiter closes a client it created from a URL in :meth:`aclose`
            and never closes one it was given.
        key: The API key's username; processes with the same key and
            ``prefix`` share one budget.
        limit: Requests per window until the server announces its own limit.
        window: Length of the server's window in seconds.
        margin: Seconds to wait past the announced reset before assuming a
            fresh window.
        max_margin: Upper bound for the margin learned from 429s.
        min_interval: Minimum seconds between two request starts across all
            processes. 0 disables it.
        permit_ttl: Seconds after which a permit whose response never came
            back stops counting, for a worker that died mid-request. Keep it
            above the longest request, connect and read timeouts included.
        redis_timeout: Seconds that one Redis call may take before the
            limiter falls back to its local limiter.
        probe_interval: Seconds between attempts to reach Redis again while
            the local limiter is in use.
        poll_interval: Seconds between checks while budget is held by
            requests in flight or by other processes ahead in the queue.
        prefix: Prefix of the Redis key names.
        fallback: The local limiter to use while Redis is unreachable;
            defaults to a ``WindowLimiter`` with the same settings. It shares
            this limiter's ``stats``.

    Raises:
        ValidationError: An argument is out of range.

    All methods must run on one event loop.
    """

    def __init__(
        self,
        redis: str | Redis,
        *,
        key: str,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        margin: float = DEFAULT_MARGIN,
        max_margin: float = 2.0,
        min_interval: float = 0.0,
        permit_ttl: float = 75.0,
        redis_timeout: float = 0.5,
        probe_interval: float = 5.0,
        poll_interval: float = 0.02,
        prefix: str = DEFAULT_PREFIX,
        fallback: WindowLimiter | None = None,
    ) -> None:
        _check_settings(
            key=key,
            limit=limit,
            positive={"window": window, "permit_ttl": permit_ttl},
            not_negative={
                "margin": margin,
                "max_margin": max_margin,
                "min_interval": min_interval,
                "redis_timeout": redis_timeout,
                "probe_interval": probe_interval,
                "poll_interval": poll_interval,
            },
        )
        self.key = key
        self.window = window
        self.redis_timeout = redis_timeout
        self.probe_interval = probe_interval
        self.poll_interval = poll_interval
        self._owns_redis = isinstance(redis, str)
        self._redis = (
            _connect(redis, redis_timeout) if isinstance(redis, str) else redis
        )
        self._where = _describe(redis)
        defaults = WindowDefaults(
            limit=limit,
            window=window,
            margin=margin,
            max_margin=max_margin,
            min_interval=min_interval,
            permit_ttl=permit_ttl,
            ticket_ttl=1.0 + 4 * poll_interval + redis_timeout,
        )
        self._window = SharedWindow(
            self._redis, WindowKeys.for_key(prefix, key), defaults
        )
        self._local = fallback or WindowLimiter(
            limit=limit,
            window=window,
            margin=margin,
            max_margin=max_margin,
            min_interval=min_interval,
        )
        self._stats = self._local.stats
        self._limit = limit
        self._margin = margin
        self._in_flight = 0
        self._snapshot: RateLimit | None = None
        self._ready_at: float | None = None
        self._is_shared = True
        self._next_probe = 0.0
        self._ticket = uuid.uuid4().hex
        self._turn: asyncio.Lock | None = None
        self._settling: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wait_logged_until: float | None = None
        self._skew = ServerClock()
        self._rng = random.Random()

    def __repr__(self) -> str:
        mode = "shared" if self._is_shared else "local fallback"
        return f"<RedisRateLimiter key={self.key!r} redis={self._where!r} {mode}>"

    # -- public state -------------------------------------------------------

    @property
    def limit(self) -> int:
        """Requests per window, as last announced by the server."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Permits of this process whose outcome is not known yet."""
        return self._in_flight + self._local.in_flight

    @property
    def snapshot(self) -> RateLimit | None:
        """The latest rate-limit headers this process received, if any."""
        return self._snapshot

    @property
    def stats(self) -> LimiterStats:
        """Counters of this process, shared with the fallback limiter."""
        return self._stats

    @property
    def is_shared(self) -> bool:
        """Whether new permits come from Redis rather than the local fallback."""
        return self._is_shared

    @property
    def fallback(self) -> WindowLimiter:
        """The local limiter used while Redis is unreachable."""
        return self._local

    def ready_at(self) -> float | None:
        """Return the loop time at which budget is expected, or ``None``."""
        if not self._is_shared:
            return self._local.ready_at()
        return self._ready_at

    def server_now(self) -> float:
        """Return the current time on the server's clock, in epoch seconds."""
        return self._skew.server_now()

    async def shared_state(self) -> SharedWindowState:
        """Read the window that every process shares, for monitoring.

        Raises:
            redis.exceptions.RedisError: Redis failed or is unreachable.
        """
        return await self._window.read()

    # -- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Finish pending updates and close the Redis client if it is ours.

        Safe to call more than once. A client passed to the constructor
        stays open.
        """
        await self._finish_settling()
        if self._owns_redis:
            await self._redis.aclose()

    # -- acquiring ----------------------------------------------------------

    async def acquire(self, *, deadline: float | None = None) -> SharedPermit:
        """Wait for budget and return a permit for one request.

        Args:
            deadline: Loop time after which the caller would rather fail
                than wait. ``None`` waits as long as needed.

        Raises:
            BudgetUnavailable: Budget will not return before ``deadline``.
        """
        loop = self._bind_loop()
        await self._finish_settling()
        if not self._is_shared:
            await self._probe_if_due()
        if self._is_shared:
            started = loop.time()
            try:
                permit = await self._acquire_shared(deadline)
            finally:
                self._count_wait(loop.time() - started)
            if permit is not None:
                return permit
        local = await self._local.acquire(deadline=deadline)
        return SharedPermit(id="", window=local.window, local=local)

    async def _acquire_shared(self, deadline: float | None) -> SharedPermit | None:
        """Return a permit from Redis, or ``None`` once Redis has failed."""
        if self._turn is None:
            self._turn = asyncio.Lock()
        try:
            async with asyncio.timeout_at(deadline), self._turn:
                return await self._queue_in_redis(deadline)
        except TimeoutError:
            raise BudgetUnavailable(self._ready_at) from None

    async def _queue_in_redis(self, deadline: float | None) -> SharedPermit | None:
        loop = self._bind_loop()
        try:
            while self._is_shared:
                permit_id = uuid.uuid4().hex
                grant = await self._call(self._window.acquire(self._ticket, permit_id))
                self._limit = grant.limit
                if grant.granted:
                    return self._take(permit_id, grant)
                delay = self._delay(grant)
                ready_at = loop.time() + delay
                self._ready_at = ready_at if grant.wake_at is not None else None
                if deadline is not None and ready_at > deadline:
                    raise BudgetUnavailable(ready_at)
                self._log_wait(grant, loop.time())
                await asyncio.sleep(delay)
        except _REDIS_FAILURES as error:
            self._fall_back(error)
        except BaseException:
            # Leaving on a deadline or cancellation: free the queue place at
            # once rather than when the ticket expires.
            self._leave_queue()
            raise
        return None

    def _take(self, permit_id: str, grant: Grant) -> SharedPermit:
        self._ticket = uuid.uuid4().hex
        self._ready_at = None
        self._in_flight += 1
        self._stats.requests_sent += 1
        return SharedPermit(id=permit_id, window=grant.window)

    def _delay(self, grant: Grant) -> float:
        # Jitter spreads the processes that wake for one reset, and keeps
        # polls of different processes from running in lockstep.
        jitter = self._rng.uniform(0.0, self.poll_interval)
        if grant.wake_at is None:
            return self.poll_interval / 2 + jitter
        return max(grant.wake_at - grant.now, 0.0) + jitter

    def _leave_queue(self) -> None:
        ticket, self._ticket = self._ticket, uuid.uuid4().hex
        self._run_in_background(self._window.leave(ticket), settle=None)

    def _count_wait(self, seconds: float) -> None:
        # An acquire that got its permit on the first call took only a round
        # trip to Redis; anything longer is a wait for budget or a turn.
        if seconds > self.redis_timeout or self._ready_at is not None:
            self._stats.waits += 1
            self._stats.wait_seconds += seconds

    def _log_wait(self, grant: Grant, now: float) -> None:
        if grant.wake_at is None:
            return
        wait = grant.wake_at - grant.now
        until = now + wait
        if self._wait_logged_until is not None and self._wait_logged_until >= until:
            return
        self._wait_logged_until = until
        logger.info(
            "Shared rate-limit budget spent; requests wait %.2f s for the next window",
            wait,
        )

    # -- settling -----------------------------------------------------------

    def observe(
        self,
        permit: SharedPermit,
        headers: RateLimitHeaders | None,
        *,
        status: int,
        server_date: float | None = None,
        sent_at: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Settle a permit with its response and share what the headers say."""
        if permit.local is not None:
            self._local.observe(
                permit.local,
                headers,
                status=status,
                server_date=server_date,
                sent_at=sent_at,
                retry_after=retry_after,
            )
            return
        if not self._settle(permit):
            return
        self._skew.learn(server_date, sent_at)
        if status == 429:
            self._stats.responses_429 += 1
        reset_in = None
        if headers is not None:
            self._update_snapshot(headers)
            reset_in = self._reset_in(headers)
        update = self._window.observe(
            permit.id,
            permit.window,
            status=status,
            limit=None if headers is None else headers.limit,
            remaining=None if headers is None else headers.remaining,
            reset_in=reset_in,
            retry_after=retry_after,
            has_headers=headers is not None,
        )
        self._run_in_background(update, settle=status)

    def release(self, permit: SharedPermit, *, sent: bool) -> None:
        """Settle a permit whose request got no usable response.

        Args:
            sent: ``True`` when the request may have reached the server, which
                then counted it, so one unit of the window is taken as spent.
        """
        if permit.local is not None:
            self._local.release(permit.local, sent=sent)
            return
        if not self._settle(permit):
            return
        update = self._window.release(permit.id, permit.window, sent=sent)
        self._run_in_background(update, settle=0)

    def _settle(self, permit: SharedPermit) -> bool:
        if permit.settled:
            return False
        permit.settled = True
        self._in_flight -= 1
        return True

    def _reset_in(self, headers: RateLimitHeaders) -> float | None:
        if headers.reset is None:
            return None
        reset_in = headers.reset - self._skew.server_now()
        if reset_in > 2 * self.window:
            logger.warning(
                "X-RateLimit-Reset is %.1f s ahead, more than two windows; "
                "using one window instead",
                reset_in,
            )
            return self.window
        if reset_in < -self.window:
            logger.warning(
                "X-RateLimit-Reset is %.1f s in the past; treating the window as reset",
                -reset_in,
            )
            return 0.0
        return reset_in

    def _update_snapshot(self, headers: RateLimitHeaders) -> None:
        if headers.limit is not None:
            self._limit = headers.limit
        if headers.remaining is None or headers.reset is None:
            return
        reset = headers.reset - self._skew.offset()
        self._snapshot = RateLimit(
            limit=self._limit,
            remaining=headers.remaining,
            reset=datetime.fromtimestamp(reset, UTC),
        )

    def _after_settle(self, result: SettleResult, status: int) -> None:
        self._limit = result.limit
        if result.margin_raised:
            logger.warning(
                "The server counted a request sent after the assumed reset in the "
                "old window; every process now waits %.3f s past each reset",
                result.margin,
            )
        if status == 429 and result.gate is not None:
            logger.info(
                "Received 429; new requests of every process wait %.2f s until "
                "the server accepts them",
                max(result.gate - result.now, 0.0),
            )

    # -- Redis calls and fallback -------------------------------------------

    async def _call(self, call: Awaitable[Grant]) -> Grant:
        async with asyncio.timeout(self.redis_timeout):
            return await call

    def _run_in_background(
        self, call: Awaitable[SettleResult | None], *, settle: int | None
    ) -> None:
        async def run() -> None:
            try:
                async with asyncio.timeout(self.redis_timeout):
                    result = await call
            except _REDIS_FAILURES as error:
                # The permit expires in Redis on its own.
                self._fall_back(error)
                return
            if result is not None and settle is not None:
                self._after_settle(result, settle)

        task = self._bind_loop().create_task(run())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _finish_settling(self) -> None:
        if self._settling:
            await asyncio.wait(list(self._settling))

    def _fall_back(self, error: BaseException) -> None:
        self._next_probe = self._bind_loop().time() + self.probe_interval
        self._ready_at = None
        if not self._is_shared:
            return
        self._is_shared = False
        logger.warning(
            "Redis at %s failed (%s); this process limits requests on its own "
            "until Redis answers again, probing every %.1f s",
            self._where,
            _describe_error(error),
            self.probe_interval,
        )

    async def _probe_if_due(self) -> None:
        loop = self._bind_loop()
        if loop.time() < self._next_probe:
            return
        # One task probes; the others keep using the local limiter meanwhile.
        self._next_probe = loop.time() + self.probe_interval
        try:
            async with asyncio.timeout(self.redis_timeout):
                await self._redis.ping()
        except _REDIS_FAILURES:
            return
        if not self._is_shared:
            self._is_shared = True
            logger.info("Redis at %s answers again; sharing the budget", self._where)

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            msg = (
                "This RedisRateLimiter belongs to another event loop; "
                "create one limiter per event loop"
            )
            raise RuntimeError(msg)
        return self._loop


def _connect(url: str, timeout: float) -> Redis:
    # No retries inside redis-py: a failed call falls back at once instead of
    # backing off while requests wait.
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _describe(redis: str | Redis) -> str:
    """Name a Redis server for log lines, without any password."""
    if isinstance(redis, str):
        parts = urlsplit(redis)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    options = redis.connection_pool.connection_kwargs
    if "path" in options:
        return f"unix://{options['path']}"
    return f"redis://{options.get('host', 'localhost')}:{options.get('port', 6379)}"


def _describe_error(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _check_settings(
    *,
    key: str,
    limit: int,
    positive: dict[str, float],
    not_negative: dict[str, float],
) -> None:
    if not isinstance(key, str) or not key:
        raise ValidationError("key", key, "must be a non-empty string (the username)")
    if not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit", limit, "must be an integer of at least 1")
    for name, value in positive.items():
        if not value > 0:
            raise ValidationError(name, value, "must be a positive number of seconds")
    for name, value in not_negative.items():
        if not value >= 0:
            raise ValidationError(name, value, "must be 0 or more seconds")

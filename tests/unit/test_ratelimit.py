"""Tests of WindowLimiter on virtual time against a simulated fixed window.

``looptime`` fast-forwards the event loop's clock whenever every task sleeps,
so windows of a whole minute cost nothing and the timings are exact.
"""

from __future__ import annotations

import asyncio
import math

import attrs
import pytest

from influenceplanner_async._headers import RateLimitHeaders
from influenceplanner_async._ratelimit import BudgetUnavailable, WindowLimiter

EPOCH0 = 1_800_000_000.0


@attrs.define
class SimulatedWindow:
    """A server-side fixed window that counts requests by loop time."""

    limit: int = 30
    window: float = 60.0
    phase: float = 0.0
    reset_rounding: str = "exact"
    accepted: dict[int, int] = attrs.field(factory=dict)
    rejected: int = 0

    def index(self, now: float) -> int:
        return math.floor((now - self.phase) / self.window)

    def handle(self, now: float) -> tuple[int, RateLimitHeaders]:
        index = self.index(now)
        used = self.accepted.get(index, 0)
        reset = EPOCH0 + self.phase + (index + 1) * self.window
        if self.reset_rounding == "floor":
            reset = math.floor(reset)
        if used >= self.limit:
            self.rejected += 1
            return 429, RateLimitHeaders(self.limit, 0, reset)
        self.accepted[index] = used + 1
        return 200, RateLimitHeaders(self.limit, self.limit - used - 1, reset)


def make_limiter(**kwargs: float) -> WindowLimiter:
    loop = asyncio.get_running_loop()
    return WindowLimiter(wall_clock=lambda: EPOCH0 + loop.time(), **kwargs)  # type: ignore[arg-type]


async def drive(
    limiter: WindowLimiter,
    server: SimulatedWindow,
    *,
    requests: int,
    concurrency: int,
    latency: float = 0.0,
) -> float:
    """Send ``requests`` through the limiter from ``concurrency`` tasks."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    remaining = [requests]

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            while True:
                permit = await limiter.acquire()
                await asyncio.sleep(latency / 2)
                status, headers = server.handle(loop.time())
                await asyncio.sleep(latency / 2)
                limiter.observe(permit, headers, status=status)
                if status != 429:
                    break

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return loop.time() - started


@pytest.mark.looptime
@pytest.mark.parametrize("concurrency", [1, 10, 100, 1000])
@pytest.mark.parametrize("latency", [0.0, 0.05, 0.25])
async def test_limiter_no_429_full_windows(concurrency: int, latency: float) -> None:
    """Every window is filled to its limit and the server never responds 429."""
    server = SimulatedWindow(limit=30, window=3.0, phase=1.3)
    limiter = make_limiter(window=3.0, margin=0.01)

    elapsed = await drive(
        limiter, server, requests=300, concurrency=concurrency, latency=latency
    )

    assert server.rejected == 0
    assert max(server.accepted.values()) <= 30
    assert sum(server.accepted.values()) == 300
    assert limiter.in_flight == 0
    if concurrency >= 30:
        # Demand exceeds the budget, so every window but the last is full.
        counts = [server.accepted[index] for index in sorted(server.accepted)]
        assert all(count == 30 for count in counts[:-1]), counts
        # The first window ends 1.7 s after the start, then nine more open.
        floor = (3.0 - 1.3) + 8 * 3.0 + latency
        assert elapsed <= floor + 8 * 0.01 + latency + 0.05


@pytest.mark.looptime
async def test_limiter_releases_waiters_in_order() -> None:
    """Waiters are released in the order in which they queued."""
    server = SimulatedWindow(limit=2, window=10.0)
    limiter = make_limiter(limit=2, window=10.0, margin=0.0)
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    limiter.observe(permit, server.handle(loop.time())[1], status=200)
    order: list[int] = []

    async def task(number: int) -> None:
        acquired = await limiter.acquire()
        order.append(number)
        limiter.observe(acquired, server.handle(loop.time())[1], status=200)

    await asyncio.gather(*(task(number) for number in range(5)))

    assert order == [0, 1, 2, 3, 4]
    assert server.rejected == 0


@pytest.mark.looptime
async def test_limiter_cancelled_waiter_frees_place() -> None:
    """Cancelling queued tasks leaves no permit counted and the queue empty."""
    server = SimulatedWindow(limit=1, window=60.0)
    limiter = make_limiter(limit=1, window=60.0)
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    limiter.observe(permit, server.handle(loop.time())[1], status=200)

    waiters = [asyncio.create_task(limiter.acquire()) for _ in range(20)]
    await asyncio.sleep(1)
    for waiter in waiters:
        waiter.cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)

    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    assert limiter.in_flight == 0
    assert limiter.waiting == 0
    later = await limiter.acquire()
    assert later.window >= 1
    assert limiter.in_flight == 1


@pytest.mark.looptime
async def test_limiter_release_unsent_keeps_budget() -> None:
    """A permit released unsent does not lower the remaining budget."""
    server = SimulatedWindow(limit=3, window=60.0)
    limiter = make_limiter(limit=3, window=60.0)
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    limiter.observe(permit, server.handle(loop.time())[1], status=200)

    for _ in range(5):
        unsent = await limiter.acquire()
        limiter.release(unsent, sent=False)
    first = await limiter.acquire()
    second = await limiter.acquire()

    assert limiter.in_flight == 2
    assert first.window == second.window
    assert loop.time() == 0


@pytest.mark.looptime
async def test_limiter_deadline_raises_with_ready_time() -> None:
    """A wait past the deadline raises BudgetUnavailable with the reset time."""
    server = SimulatedWindow(limit=1, window=60.0)
    limiter = make_limiter(limit=1, window=60.0, margin=0.5)
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    limiter.observe(permit, server.handle(loop.time())[1], status=200)

    with pytest.raises(BudgetUnavailable) as caught:
        await limiter.acquire(deadline=loop.time() + 5)

    assert caught.value.ready_at == pytest.approx(60.5)
    assert loop.time() == 0


@pytest.mark.looptime
async def test_limiter_learns_margin_from_429() -> None:
    """A reset rounded down causes 429s only until the margin has grown."""
    server = SimulatedWindow(limit=10, window=3.0, phase=0.6, reset_rounding="floor")
    limiter = make_limiter(limit=10, window=3.0, margin=0.0)

    await drive(limiter, server, requests=200, concurrency=50)

    assert sum(server.accepted.values()) == 200
    assert limiter.margin > 0.0
    # The margin doubles from 0.05 s until it passes the 0.6 s that rounding
    # hides, capped at a quarter window: 0.05, 0.1, 0.2, 0.4, 0.75.
    assert server.rejected <= 5
    assert limiter.margin >= 0.6


@pytest.mark.looptime
async def test_limiter_adopts_changed_limit() -> None:
    """A larger X-RateLimit-Limit lets more requests into each window."""
    server = SimulatedWindow(limit=50, window=3.0)
    limiter = make_limiter(limit=10, window=3.0, margin=0.01)

    await drive(limiter, server, requests=200, concurrency=100)

    assert limiter.limit == 50
    assert server.rejected == 0
    assert max(server.accepted.values()) == 50


@pytest.mark.looptime
async def test_limiter_gate_after_429_retry_after() -> None:
    """A 429 with Retry-After delays every new request until it passes."""
    limiter = make_limiter(limit=30, window=60.0)
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    limiter.observe(
        permit,
        RateLimitHeaders(30, 0, EPOCH0 + 60.0),
        status=429,
        retry_after=7.0,
    )

    await limiter.acquire()

    assert loop.time() == pytest.approx(60.0 + limiter.margin)
    assert limiter.stats.responses_429 == 1


@pytest.mark.looptime
async def test_limiter_skewed_server_clock() -> None:
    """A server clock 30 s ahead is corrected through the Date header."""
    limiter = make_limiter(limit=1, window=60.0, margin=0.0)
    loop = asyncio.get_running_loop()
    skew = 30.0
    permit = await limiter.acquire()
    # Server time is EPOCH0 + 30; its window ends at EPOCH0 + 60 server time,
    # which is 30 s from now on the local clock.
    limiter.observe(
        permit,
        RateLimitHeaders(1, 0, EPOCH0 + 60.0),
        status=200,
        server_date=EPOCH0 + skew,
    )

    await limiter.acquire()

    assert loop.time() == pytest.approx(30.0, abs=1.0)
    assert loop.time() >= 30.0


@pytest.mark.looptime
async def test_limiter_without_headers_uses_bucket() -> None:
    """A server that sends no rate-limit headers is paced by the bucket."""
    limiter = make_limiter(limit=10, window=10.0)
    loop = asyncio.get_running_loop()
    for _ in range(25):
        permit = await limiter.acquire()
        limiter.observe(permit, None, status=200)

    # 10 in the first burst, then one per second from the leaky bucket.
    assert loop.time() == pytest.approx(15.0, abs=1.0)


@pytest.mark.looptime
async def test_limiter_learns_window_length() -> None:
    """A limiter set for 60 s windows adapts to a server with 3 s windows."""
    server = SimulatedWindow(limit=10, window=3.0, phase=0.5)
    limiter = make_limiter(limit=10, window=60.0, margin=0.01)

    elapsed = await drive(limiter, server, requests=100, concurrency=20)

    assert limiter.window == pytest.approx(3.0)
    # The first reset came before the window length was known; it must not
    # be mistaken for a reset that the server had not reached.
    assert limiter.margin == pytest.approx(0.01)
    assert server.rejected == 0
    assert sum(server.accepted.values()) == 100
    # Ten windows of ten: the first ends after 2.5 s, nine more follow.
    assert elapsed < 2.5 + 9 * 3.0 + 1.0


@pytest.mark.looptime
async def test_limiter_whole_second_delta_reset() -> None:
    """Resets sent as whole seconds until the boundary still form one window."""

    @attrs.define
    class DeltaWindow(SimulatedWindow):
        def handle(self, now: float) -> tuple[int, RateLimitHeaders]:
            status, headers = super().handle(now)
            assert headers.reset is not None
            # The server sends ceil(seconds until reset), as an integer delta.
            delta = math.ceil(headers.reset - (EPOCH0 + now))
            return status, RateLimitHeaders(
                headers.limit, headers.remaining, EPOCH0 + now + delta
            )

    server = DeltaWindow(limit=10, window=4.0, phase=0.3)
    limiter = make_limiter(limit=10, window=4.0, margin=0.01)

    await drive(limiter, server, requests=100, concurrency=30, latency=0.05)

    assert server.rejected == 0
    assert sum(server.accepted.values()) == 100


@pytest.mark.looptime
async def test_limiter_date_near_second_no_skew() -> None:
    """A Date written just before a whole second, then delayed, is no skew."""
    limiter = make_limiter(limit=30, window=60.0)
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.97)
    for _ in range(5):
        sent_at = EPOCH0 + loop.time()
        permit = await limiter.acquire()
        # The server writes Date at 0.98 s past a whole second; the response
        # arrives 50 ms later, after the next whole second.
        date = math.floor(EPOCH0 + loop.time())
        await asyncio.sleep(0.05)
        limiter.observe(
            permit,
            RateLimitHeaders(30, 29, EPOCH0 + 60.0),
            status=200,
            server_date=date,
            sent_at=sent_at,
        )
        await asyncio.sleep(0.95)

    assert limiter.server_now() == pytest.approx(EPOCH0 + loop.time())


@pytest.mark.looptime
async def test_limiter_one_second_window_default_config() -> None:
    """A limiter left at 60 s learns a 1 s window without growing its margin."""
    server = SimulatedWindow(limit=10, window=1.0, phase=0.5)
    limiter = make_limiter(limit=10, window=60.0, margin=0.1)

    await drive(limiter, server, requests=100, concurrency=50)

    assert limiter.window == pytest.approx(1.0)
    assert limiter.margin == pytest.approx(0.1)
    assert server.rejected == 0


@pytest.mark.looptime
async def test_limiter_idle_gap_not_learned_as_window() -> None:
    """A request after several idle windows does not teach a longer window."""
    server = SimulatedWindow(limit=5, window=1.0)
    limiter = make_limiter(limit=5, window=60.0, margin=0.01)
    loop = asyncio.get_running_loop()
    permit = await limiter.acquire()
    limiter.observe(permit, server.handle(loop.time())[1], status=200)

    await asyncio.sleep(3.2)
    permit = await limiter.acquire()
    limiter.observe(permit, server.handle(loop.time())[1], status=200)

    assert limiter.window == pytest.approx(60.0)

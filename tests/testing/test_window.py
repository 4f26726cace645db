"""Tests of the fake's fixed-window rate limit and its headers."""

from __future__ import annotations

import base64
import math
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import aiohttp
import pytest

from influenceplanner_async.testing import (
    RESET_FORMATS,
    FakePartnerAPI,
    ManualClock,
    WindowStats,
    run_fake_api,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from influenceplanner_async.testing import FakeServer

# Window of 3 seconds with room for 3 requests: a compressed 30-per-60s limit.
LIMIT = 3
WINDOW = 3.0


@pytest.fixture
async def limited(clock: ManualClock) -> AsyncIterator[FakeServer]:
    """Serve a fake with a limit of 3 requests per 3-second window."""
    async with run_fake_api(
        clock=clock,
        limit=LIMIT,
        window_seconds=WINDOW,
        credentials={"alice": "ip-1234", "bob": "ip-5678"},
    ) as running:
        yield running


async def get_status(
    session: aiohttp.ClientSession, server: FakeServer
) -> tuple[int, dict[str, str]]:
    """Send a listing request and return its status and headers."""
    async with session.get(server.base_url + "/network/members?limit=1") as response:
        return response.status, dict(response.headers)


async def test_window_counts_down_then_429(
    limited: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """Remaining counts down to 0 and the request past the limit gets 429."""
    reset = str(int(clock() + WINDOW))
    replies = [await get_status(session, limited) for _ in range(LIMIT + 1)]

    assert [status for status, _ in replies] == [200, 200, 200, 429]
    assert [h["X-RateLimit-Remaining"] for _, h in replies] == ["2", "1", "0", "0"]
    assert all(h["X-RateLimit-Limit"] == "3" for _, h in replies)
    assert all(h["X-RateLimit-Reset"] == reset for _, h in replies)
    assert limited.api.count_429 == 1


async def test_window_blocked_until_boundary(
    limited: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """A blocked window rejects every request until it ends, then a new one opens."""
    for _ in range(LIMIT + 1):
        await get_status(session, limited)

    clock.advance(WINDOW - 0.001)
    late_status, _ = await get_status(session, limited)
    clock.advance(0.001)
    next_status, next_headers = await get_status(session, limited)

    assert late_status == 429
    assert next_status == 200
    assert next_headers["X-RateLimit-Remaining"] == "2"


async def test_window_stats_per_user(
    limited: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """Statistics list accepted and rejected requests per window and username."""
    start = clock()
    for _ in range(5):
        await get_status(session, limited)
    clock.advance(WINDOW)
    await get_status(session, limited)

    assert limited.api.window_stats() == {
        "alice": [WindowStats(start, 3, 2), WindowStats(start + WINDOW, 1, 0)]
    }


async def test_window_count_rejected_option(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    """Without counting rejections the decisions stay the same."""
    async with run_fake_api(
        clock=clock, limit=2, window_seconds=WINDOW, count_rejected=False
    ) as server:
        statuses = [(await get_status(session, server))[0] for _ in range(4)]
        stats = server.api.window_stats()["alice"]

    assert statuses == [200, 200, 429, 429]
    assert stats == [WindowStats(clock(), 2, 2)]
    assert server.api.limiter.peek("alice", clock()).remaining == 0


async def test_window_shared_by_sessions(
    limited: FakeServer, authorization: str
) -> None:
    """Two sessions with the same credentials share one window."""
    headers = {"Authorization": authorization}
    async with (
        aiohttp.ClientSession(headers=headers) as first,
        aiohttp.ClientSession(headers=headers) as second,
    ):
        statuses = [
            (await get_status(first, limited))[0],
            (await get_status(second, limited))[0],
            (await get_status(first, limited))[0],
            (await get_status(second, limited))[0],
        ]

    assert statuses == [200, 200, 200, 429]


async def test_window_separate_per_user(
    limited: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Another username has its own window."""
    for _ in range(LIMIT + 1):
        await get_status(session, limited)
    bob = "Basic " + base64.b64encode(b"bob:ip-5678").decode()

    async with aiohttp.ClientSession(headers={"Authorization": bob}) as other:
        status, headers = await get_status(other, limited)

    assert status == 200
    assert headers["X-RateLimit-Remaining"] == "2"


async def test_window_anonymous_separate(
    limited: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Unauthenticated requests use their own window and get 429 past the limit."""
    async with aiohttp.ClientSession() as anonymous:
        replies = [await get_status(anonymous, limited) for _ in range(LIMIT + 1)]
    alice_status, _ = await get_status(session, limited)

    assert [status for status, _ in replies] == [401, 401, 401, 429]
    assert replies[0][1]["X-RateLimit-Remaining"] == "2"
    assert alice_status == 200
    assert list(limited.api.window_stats()) == [None, "alice"]


async def test_window_every_response_has_headers(
    limited: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Success, 400, 404, 405 and 429 responses all carry the rate-limit headers."""
    base = limited.base_url
    async with session.get(base + "/network/members") as success:
        pass
    async with session.get(base + "/network/members?limit=0") as bad:
        pass
    async with session.get(base + "/nothing") as missing:
        pass
    async with session.post(base + "/network/members") as wrong_method:
        pass

    for response in (success, bad, missing, wrong_method):
        assert "X-RateLimit-Limit" in response.headers
        assert "X-RateLimit-Remaining" in response.headers
        assert "X-RateLimit-Reset" in response.headers
        assert "Date" in response.headers
    assert [success.status, bad.status, missing.status, wrong_method.status] == [
        200,
        400,
        404,
        429,
    ]


async def test_window_set_limit(
    limited: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """set_limit lowers the limit at once and raises it for the next window."""
    await get_status(session, limited)
    limited.api.set_limit(1)
    lowered_status, lowered_headers = await get_status(session, limited)

    limited.api.set_limit(10)
    still_blocked, _ = await get_status(session, limited)
    clock.advance(WINDOW)
    raised_status, raised_headers = await get_status(session, limited)

    assert lowered_status == 429
    assert lowered_headers["X-RateLimit-Limit"] == "1"
    assert still_blocked == 429
    assert raised_status == 200
    assert raised_headers["X-RateLimit-Limit"] == "10"
    assert raised_headers["X-RateLimit-Remaining"] == "9"


async def test_window_retry_after_option(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    """With send_retry_after a limiter 429 carries the seconds left in the window."""
    async with run_fake_api(
        clock=clock, limit=1, window_seconds=60.0, send_retry_after=True
    ) as server:
        first_status, first_headers = await get_status(session, server)
        clock.advance(20.5)
        status, headers = await get_status(session, server)

    assert first_status == 200
    assert "Retry-After" not in first_headers
    assert status == 429
    assert headers["Retry-After"] == "40"


async def test_window_phase_shifts_boundaries(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    """A window phase moves the boundary off the multiples of the window length."""
    async with run_fake_api(
        clock=clock, limit=5, window_seconds=WINDOW, window_phase=0.25
    ) as server:
        _, headers = await get_status(session, server)

    assert headers["X-RateLimit-Reset"] == f"{clock() + 0.25:.2f}"


def parse_reset(value: str, reset_format: str, *, now: float) -> float:
    """Return the epoch seconds that a reset header value in ``reset_format`` names."""
    if reset_format in {"epoch", "epoch_float"}:
        return float(value)
    if reset_format == "epoch_ms":
        return int(value) / 1000
    if reset_format == "delta":
        return now + float(value)
    if reset_format == "http_date":
        return parsedate_to_datetime(value).timestamp()
    return datetime.fromisoformat(value).timestamp()


@pytest.mark.parametrize("reset_format", RESET_FORMATS)
@pytest.mark.parametrize("phase", [0.0, 0.5])
async def test_reset_format_names_boundary(
    clock: ManualClock,
    session: aiohttp.ClientSession,
    reset_format: str,
    phase: float,
) -> None:
    """Each reset format names the instant the next window begins."""
    clock.advance(7.25)
    expected = clock() - 7.25 + 10.0 + phase
    api = FakePartnerAPI(
        clock=clock,
        window_seconds=10.0,
        window_phase=phase,
        reset_format=reset_format,  # type: ignore[arg-type]
    )
    async with run_fake_api(api) as server:
        _, headers = await get_status(session, server)

    parsed = parse_reset(headers["X-RateLimit-Reset"], reset_format, now=clock())
    if reset_format == "http_date":
        # An HTTP-date has whole seconds, and the fake rounds up to stay safe.
        assert parsed == math.ceil(expected)
    else:
        assert parsed == pytest.approx(expected, abs=1e-6)


def test_reset_format_unknown_rejected() -> None:
    """An unknown reset format raises ValueError when the fake is built."""
    with pytest.raises(ValueError, match="reset_format"):
        FakePartnerAPI(reset_format="weekday")  # type: ignore[arg-type]

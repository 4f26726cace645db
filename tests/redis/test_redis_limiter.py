"""Tests of RedisRateLimiter with a client, the fake API and a real Redis."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    Client,
    RateLimiterBackend,
    RedisRateLimiter,
    RetryPolicy,
    ValidationError,
)
from influenceplanner_async._ratelimit import BudgetUnavailable
from influenceplanner_async.testing import run_fake_api, seed_members
from tests.redis_server import free_port

if TYPE_CHECKING:
    from influenceplanner_async._redis_limiter import SharedPermit
    from influenceplanner_async._redis_scripts import SharedWindowState
    from tests.redis_server import RedisServer

FALLBACK_MESSAGE = "limits requests on its own"


def make_limiter(url: str, **options: float) -> RedisRateLimiter:
    """Return a limiter for alice that probes Redis on every acquire."""
    settings: dict[str, float] = {"probe_interval": 0.0, "redis_timeout": 0.5}
    settings.update(options)
    return RedisRateLimiter(url, key="alice", **settings)  # type: ignore[arg-type]


async def read_state(url: str) -> SharedWindowState:
    """Read alice's shared window through a limiter of its own."""
    async with make_limiter(url) as reader:
        return await reader.shared_state()


def fallback_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the WARNING records that announce a switch to the local limiter."""
    return [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and FALLBACK_MESSAGE in record.getMessage()
    ]


def test_limiter_satisfies_backend_protocol() -> None:
    """RedisRateLimiter type-checks as a RateLimiterBackend of its permits."""
    backend: RateLimiterBackend[SharedPermit] = make_limiter("redis://127.0.0.1:1/0")

    assert backend.limit == 30
    assert backend.in_flight == 0


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        pytest.param("window", 0.0, id="window-zero"),
        pytest.param("permit_ttl", -1.0, id="permit-ttl-negative"),
        pytest.param("poll_interval", -0.1, id="poll-negative"),
    ],
)
def test_limiter_rejects_bad_settings(argument: str, value: float) -> None:
    """Out-of-range settings raise ValidationError naming the argument."""
    with pytest.raises(ValidationError, match=argument):
        RedisRateLimiter(
            "redis://127.0.0.1:1/0",
            key="alice",
            **{argument: value},  # type: ignore[arg-type]
        )


def test_limiter_rejects_empty_key() -> None:
    """An empty key raises ValidationError."""
    with pytest.raises(ValidationError, match="key"):
        RedisRateLimiter("redis://127.0.0.1:1/0", key="")


def test_limiter_repr_hides_password() -> None:
    """The repr names the Redis server without the password in its URL."""
    limiter = RedisRateLimiter("redis://user:s3cret@127.0.0.1:6390/2", key="alice")

    assert "s3cret" not in repr(limiter)
    assert "127.0.0.1:6390/2" in repr(limiter)


async def test_limiter_client_calls_share_state(redis_server: RedisServer) -> None:
    """Responses seen by one limiter are visible in the shared state."""
    async with (
        run_fake_api(members=seed_members(5), limit=20) as server,
        make_limiter(redis_server.url) as limiter,
        Client("alice", "ip-1234", base_url=server.base_url, limiter=limiter) as client,
    ):
        for _ in range(3):
            await client.list_members(limit=1)
        await limiter.aclose()
        state = await read_state(redis_server.url)

    assert limiter.is_shared
    assert client.stats.requests_sent == 3
    assert client.rate_limit is not None
    assert client.rate_limit.remaining == 17
    assert state.remaining == 17
    assert state.in_flight == 0


async def test_limiter_deadline_raises_budget_unavailable(
    redis_server: RedisServer,
) -> None:
    """A spent window with a far reset raises before the deadline passes."""
    async with make_limiter(redis_server.url) as limiter:
        permit = await limiter.acquire()
        limiter.observe(permit, None, status=429, retry_after=30.0)
        loop = asyncio.get_running_loop()

        with pytest.raises(BudgetUnavailable) as raised:
            await limiter.acquire(deadline=loop.time() + 1.0)

    assert raised.value.ready_at is not None
    assert raised.value.ready_at - loop.time() > 25.0


async def test_limiter_unreachable_redis_falls_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With no Redis at all, requests go through and one WARNING is logged."""
    caplog.set_level(logging.INFO, logger="influenceplanner_async")
    limiter = make_limiter(f"redis://127.0.0.1:{free_port()}/0", probe_interval=60.0)
    async with (
        run_fake_api(members=seed_members(5), limit=20) as server,
        limiter,
        Client("alice", "ip-1234", base_url=server.base_url, limiter=limiter) as client,
    ):
        for _ in range(5):
            await client.list_members(limit=1)

    assert not limiter.is_shared
    assert server.api.count_429 == 0
    assert client.stats.requests_sent == 5
    assert len(fallback_warnings(caplog)) == 1


async def test_limiter_redis_restart_resumes_sharing(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stopped mid-run: calls continue locally, then share again."""
    caplog.set_level(logging.INFO, logger="influenceplanner_async")
    limiter = make_limiter(redis_server.url)
    async with (
        run_fake_api(members=seed_members(5), limit=50, window_seconds=60.0) as server,
        limiter,
        Client(
            "alice",
            "ip-1234",
            base_url=server.base_url,
            limiter=limiter,
            retry=RetryPolicy(initial_delay=0.0),
        ) as client,
    ):
        await client.list_members(limit=1)
        shared_before = limiter.is_shared

        redis_server.stop()
        for _ in range(6):
            await client.list_members(limit=1)
        shared_during = limiter.is_shared

        redis_server.start()
        await client.list_members(limit=1)
        await client.list_members(limit=1)
        shared_after = limiter.is_shared
        await limiter.aclose()
        state = await read_state(redis_server.url)

    assert shared_before
    assert not shared_during
    assert shared_after
    assert client.stats.requests_sent == 9
    assert server.api.count_429 == 0
    assert len(fallback_warnings(caplog)) == 1
    # The restarted server lost everything; the last call's response rebuilt
    # the window there.
    assert state.remaining is not None
    assert state.in_flight == 0


async def test_limiter_cancelled_waiter_leaves_queue(redis_server: RedisServer) -> None:
    """Cancelling a waiting acquire removes its ticket from the shared queue."""
    async with make_limiter(redis_server.url) as limiter:
        first = await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        for _ in range(1000):
            if (await limiter.shared_state()).waiting == 1:
                break
            await asyncio.sleep(0.005)
        waiting_before = (await limiter.shared_state()).waiting

        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        limiter.release(first, sent=False)
        await limiter.aclose()
        state = await read_state(redis_server.url)

    assert waiting_before == 1
    assert state.waiting == 0
    assert state.in_flight == 0

"""Tests of the Lua scripts that keep the shared window in Redis."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest
from redis.asyncio import BlockingConnectionPool, Redis

from influenceplanner_async._redis_scripts import (
    SharedWindow,
    WindowDefaults,
    WindowKeys,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.redis_server import RedisServer

KEYS = WindowKeys.for_key("test:ratelimit", "alice")


def make_defaults(**changes: float) -> WindowDefaults:
    """Return window defaults for tests: 10 per 60 s, permits held 30 s."""
    values: dict[str, float] = {
        "limit": 10,
        "window": 60.0,
        "margin": 0.1,
        "max_margin": 2.0,
        "min_interval": 0.0,
        "permit_ttl": 30.0,
        "ticket_ttl": 5.0,
    }
    values.update(changes)
    return WindowDefaults(
        limit=int(values["limit"]),
        window=values["window"],
        margin=values["margin"],
        max_margin=values["max_margin"],
        min_interval=values["min_interval"],
        permit_ttl=values["permit_ttl"],
        ticket_ttl=values["ticket_ttl"],
    )


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """Connect to the test's Redis server; concurrent calls use 32 connections."""
    pool = BlockingConnectionPool.from_url(redis_server.url, max_connections=32)
    client = Redis.from_pool(pool)
    yield client
    await client.aclose()


def new_id() -> str:
    """Return a fresh ticket or permit id."""
    return uuid.uuid4().hex


async def open_window(window: SharedWindow, *, remaining: int, reset_in: float) -> None:
    """Probe once and settle with headers, as the first response would."""
    grant = await window.acquire(new_id(), "probe")
    assert grant.granted
    await window.observe(
        "probe",
        grant.window,
        status=200,
        limit=window.defaults.limit,
        remaining=remaining,
        reset_in=reset_in,
        retry_after=None,
        has_headers=True,
    )


async def test_scripts_first_acquire_probes_alone(redis: Redis) -> None:
    """With no known window, one permit goes out and the next caller waits."""
    window = SharedWindow(redis, KEYS, make_defaults())

    first = await window.acquire(new_id(), new_id())
    second = await window.acquire(new_id(), new_id())

    assert first.granted
    assert not second.granted
    assert second.wake_at is None


async def test_scripts_concurrent_acquires_grant_remaining(redis: Redis) -> None:
    """Of 200 concurrent acquires, exactly the remaining budget is granted."""
    window = SharedWindow(redis, KEYS, make_defaults(limit=50))
    await open_window(window, remaining=37, reset_in=30.0)

    grants = await asyncio.gather(
        *(window.acquire(new_id(), new_id()) for _ in range(200))
    )

    assert sum(grant.granted for grant in grants) == 37
    state = await window.read()
    assert state.in_flight == 37


async def test_scripts_concurrent_observes_keep_lowest(redis: Redis) -> None:
    """Concurrent responses leave the lowest remaining that any of them saw."""
    window = SharedWindow(redis, KEYS, make_defaults(limit=50))
    await open_window(window, remaining=40, reset_in=30.0)
    permits = [new_id() for _ in range(30)]
    grants = [await window.acquire(new_id(), permit) for permit in permits]
    assert all(grant.granted for grant in grants)

    await asyncio.gather(
        *(
            window.observe(
                permit,
                grant.window,
                status=200,
                limit=50,
                remaining=remaining,
                reset_in=30.0,
                retry_after=None,
                has_headers=True,
            )
            for permit, grant, remaining in zip(
                permits, grants, range(39, 9, -1), strict=True
            )
        )
    )

    state = await window.read()
    assert state.remaining == 10
    assert state.in_flight == 0


async def test_scripts_spent_window_wakes_at_reset(redis: Redis) -> None:
    """A spent window tells the waiter to come back at reset plus margin."""
    window = SharedWindow(redis, KEYS, make_defaults())
    await open_window(window, remaining=0, reset_in=20.0)

    grant = await window.acquire(new_id(), new_id())

    assert not grant.granted
    assert grant.wake_at is not None
    # reset_in counts from the observe call, a few milliseconds earlier.
    assert grant.wake_at - grant.now == pytest.approx(20.1, abs=0.5)


async def test_scripts_tickets_served_in_arrival_order(redis: Redis) -> None:
    """With one unit left, the older ticket gets it and the newer one waits."""
    window = SharedWindow(redis, KEYS, make_defaults())
    await open_window(window, remaining=1, reset_in=30.0)
    held = new_id()
    assert (await window.acquire(new_id(), held)).granted
    older, newer = new_id(), new_id()
    assert not (await window.acquire(older, new_id())).granted
    assert not (await window.acquire(newer, new_id())).granted

    await window.release(held, 1, sent=False)
    newer_try = await window.acquire(newer, new_id())
    older_try = await window.acquire(older, new_id())

    assert not newer_try.granted
    assert older_try.granted


async def test_scripts_left_ticket_frees_turn(redis: Redis) -> None:
    """A ticket that leaves the queue no longer blocks the ones behind it."""
    window = SharedWindow(redis, KEYS, make_defaults())
    await open_window(window, remaining=1, reset_in=30.0)
    held = new_id()
    assert (await window.acquire(new_id(), held)).granted
    gone, waiting = new_id(), new_id()
    await window.acquire(gone, new_id())
    await window.acquire(waiting, new_id())

    await window.leave(gone)
    await window.release(held, 1, sent=False)

    assert (await window.acquire(waiting, new_id())).granted


async def test_scripts_429_closes_gate(redis: Redis) -> None:
    """A 429 with Retry-After blocks every caller until it passes."""
    window = SharedWindow(redis, KEYS, make_defaults())
    await open_window(window, remaining=5, reset_in=30.0)
    permit = new_id()
    grant = await window.acquire(new_id(), permit)

    result = await window.observe(
        permit,
        grant.window,
        status=429,
        limit=10,
        remaining=0,
        reset_in=30.0,
        retry_after=12.0,
        has_headers=True,
    )
    blocked = await window.acquire(new_id(), new_id())

    assert result.gate is not None
    assert result.gate - result.now == pytest.approx(12.0, abs=0.01)
    assert not blocked.granted
    assert blocked.wake_at == result.gate


async def test_scripts_release_sent_spends_unit(redis: Redis) -> None:
    """Releasing a sent request takes one unit; an unsent one takes none."""
    window = SharedWindow(redis, KEYS, make_defaults())
    await open_window(window, remaining=5, reset_in=30.0)
    sent, unsent = new_id(), new_id()
    first = await window.acquire(new_id(), sent)
    second = await window.acquire(new_id(), unsent)

    await window.release(sent, first.window, sent=True)
    await window.release(unsent, second.window, sent=False)

    state = await window.read()
    assert state.remaining == 4
    assert state.in_flight == 0


async def test_scripts_expired_permit_stops_counting(redis: Redis) -> None:
    """A permit never settled stops holding budget once its TTL passes."""
    window = SharedWindow(redis, KEYS, make_defaults(permit_ttl=0.05))
    assert (await window.acquire(new_id(), new_id())).granted
    assert (await window.read()).in_flight == 1

    # The probe's permit blocks the unknown window until it expires; poll
    # until Redis's clock passes its expiry instead of sleeping a fixed time.
    ticket = new_id()
    for _ in range(1000):
        grant = await window.acquire(ticket, new_id())
        if grant.granted:
            break
        await asyncio.sleep(0.01)

    assert grant.granted


async def test_scripts_keys_expire(redis: Redis) -> None:
    """Every key of the window carries a TTL, so idle state disappears."""
    window = SharedWindow(redis, KEYS, make_defaults(window=2.0, permit_ttl=1.0))
    await open_window(window, remaining=5, reset_in=1.0)
    await window.acquire(new_id(), new_id())
    await window.acquire(new_id(), new_id())

    limit_ms = window.defaults.state_ttl * 1000
    for key in (KEYS.state, KEYS.inflight):
        ttl = await redis.pttl(key)
        assert 0 < ttl <= limit_ms, key


async def test_scripts_reset_opens_new_window(redis: Redis) -> None:
    """Past reset plus margin the window rolls, and one probe goes alone."""
    window = SharedWindow(redis, KEYS, make_defaults(margin=0.0))
    await open_window(window, remaining=0, reset_in=0.05)

    ticket = new_id()
    for _ in range(1000):
        grant = await window.acquire(ticket, new_id())
        if grant.granted:
            break
        await asyncio.sleep(0.01)
    after = await window.acquire(new_id(), new_id())

    assert grant.granted
    assert grant.window == 2
    assert not after.granted


async def test_scripts_429_after_assumed_reset_raises_margin(redis: Redis) -> None:
    """A 429 for a request sent after an assumed reset doubles the margin."""
    window = SharedWindow(redis, KEYS, make_defaults(margin=0.01, window=2.0))
    await open_window(window, remaining=0, reset_in=0.05)
    ticket = new_id()
    for _ in range(1000):
        permit = new_id()
        grant = await window.acquire(ticket, permit)
        if grant.granted:
            break
        await asyncio.sleep(0.01)

    result = await window.observe(
        permit,
        grant.window,
        status=429,
        limit=10,
        remaining=0,
        reset_in=None,
        retry_after=None,
        has_headers=False,
    )

    assert result.margin_raised
    assert result.margin == pytest.approx(0.04)

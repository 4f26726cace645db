"""Tests of RedisStore against a real redis-server on a loopback port."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from redis.asyncio import Redis

from influenceplanner_async import CacheStats, Client, MemberCache, RedisStore

from .conftest import API_KEY, USERNAME
from .test_client_cache import NO_RETRY, member_requests

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from influenceplanner_async.testing import FakeServer, ManualClock

    from .conftest import RedisServer

CACHE_LOGGER = "influenceplanner_async.cache"


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    """Return a store on the test's redis-server, closed after the test."""
    redis_store = RedisStore.from_url(redis_server.url)
    yield redis_store
    await redis_store.aclose()


@pytest.fixture
async def raw_redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """Return a plain Redis client on the test's server, to inspect keys."""
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def make_client(server: FakeServer, settings: MemberCache) -> Client:
    """Build alice's client for the fake with ``settings`` and no retries."""
    return Client(
        USERNAME, API_KEY, base_url=server.base_url, cache=settings, retry=NO_RETRY
    )


async def test_redis_store_round_trip(store: RedisStore) -> None:
    """A stored value reads back until it is deleted."""
    await store.set("members:a:1", b"page", 60)
    stored = await store.get("members:a:1")
    await store.delete("members:a:1")

    assert stored == b"page"
    assert await store.get("members:a:1") is None
    assert await store.get("members:a:missing") is None


async def test_redis_store_sets_expiry(store: RedisStore, raw_redis: Redis) -> None:
    """Redis stores an entry with its TTL in milliseconds."""
    await store.set("members:a:1", b"page", 1.5)

    remaining = await raw_redis.pttl("influenceplanner:cache:members:a:1")
    # PTTL counts down from 1500 ms; a loaded machine may take a while to ask.
    assert 1000 < remaining <= 1500


async def test_redis_store_clear_matches_prefix(
    store: RedisStore, raw_redis: Redis
) -> None:
    """clear removes the prefix's keys only, and treats glob characters literally."""
    await store.set("members:a*:1", b"1", 60)
    await store.set("members:ab:1", b"2", 60)
    await store.set("members:b:1", b"3", 60)
    await raw_redis.set("other-data", b"4")

    await store.clear("members:a*:")
    remaining_after_prefix = sorted(await raw_redis.keys("*"))
    await store.clear()

    assert remaining_after_prefix == [
        b"influenceplanner:cache:members:ab:1",
        b"influenceplanner:cache:members:b:1",
        b"other-data",
    ]
    assert await raw_redis.keys("*") == [b"other-data"]


async def test_redis_store_shared_by_clients(
    server: FakeServer, store: RedisStore, clock: ManualClock
) -> None:
    """A page that one client stored serves another client without a request."""
    settings = MemberCache(ttl=60, store=store, clock=clock)
    async with make_client(server, settings) as first:
        page = await first.list_members(offset=10)
    async with make_client(server, settings) as second:
        cached = await second.list_members(offset=10)

    assert cached == page
    assert member_requests(server.api) == 1
    assert second.cache_stats == CacheStats(hits=1)


async def test_redis_invalidate_clears_account(
    server: FakeServer, store: RedisStore, raw_redis: Redis, clock: ManualClock
) -> None:
    """invalidate_cache deletes the account's keys from Redis."""
    await raw_redis.set("influenceplanner:cache:members:other:1", b"keep")
    settings = MemberCache(ttl=60, store=store, clock=clock)
    async with make_client(server, settings) as client:
        await client.list_members(offset=0)
        await client.list_members(offset=25)
        keys_before = len(await raw_redis.keys("*"))
        await client.invalidate_cache()

    assert keys_before == 3
    assert await raw_redis.keys("*") == [b"influenceplanner:cache:members:other:1"]


async def test_redis_outage_falls_back_with_one_warning(
    server: FakeServer,
    store: RedisStore,
    redis_server: RedisServer,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With Redis stopped mid-test, calls still succeed and one WARNING is logged."""
    caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)
    settings = MemberCache(ttl=60, store=store, clock=clock)
    async with make_client(server, settings) as client:
        await client.list_members()
        await client.list_members()
        redis_server.stop()
        pages = [await client.list_members(offset=offset) for offset in (0, 0, 25)]
        await client.invalidate_cache()
        await client.list_members(offset=50)

    warnings = [
        record for record in caplog.records if record.levelno == logging.WARNING
    ]
    assert all(page.size > 0 for page in pages)
    assert len(warnings) == 1
    assert "calls go to the API without caching" in warnings[0].getMessage()
    assert member_requests(server.api) == 5
    assert client.cache_stats.store_errors == 1


async def test_redis_recovery_resumes_caching(
    server: FakeServer,
    store: RedisStore,
    redis_server: RedisServer,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After Redis comes back, the cache uses it again and logs INFO once."""
    caplog.set_level(logging.INFO, logger=CACHE_LOGGER)
    # A tiny retry interval makes every call after the outage try Redis again.
    settings = MemberCache(ttl=60, store=store, clock=clock, store_retry_after=1e-9)
    async with make_client(server, settings) as client:
        redis_server.stop()
        await client.list_members()
        redis_server.start()
        await client.list_members()
        await client.list_members()

    messages = [record.getMessage() for record in caplog.records]
    assert member_requests(server.api) == 2
    assert client.cache_stats.hits == 1
    assert sum("available again" in message for message in messages) == 1
    assert sum("failed" in message for message in messages) == 1


async def test_redis_store_repr_hides_url(redis_server: RedisServer) -> None:
    """The store's repr shows no connection URL, which may hold a password."""
    store = RedisStore.from_url(
        f"redis://:secret-password@127.0.0.1:{redis_server.port}"
    )

    assert "secret-password" not in repr(store)
    await store.aclose()

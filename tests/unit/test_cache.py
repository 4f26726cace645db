"""Unit tests of the cache: entries, keys, stores, the store guard and PageCache.

``looptime`` fast-forwards the event loop's clock whenever every task sleeps,
so TTLs and retry intervals of many seconds cost nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from influenceplanner_async import (
    CacheStats,
    Client,
    MemberCache,
    MemberPage,
    MemoryStore,
    ResponseDecodeError,
    ValidationError,
)
from influenceplanner_async._cache import (
    PageCache,
    account_prefix,
    page_key,
)
from influenceplanner_async._cache_store import StoreGuard
from influenceplanner_async.testing import ManualClock

from .test_cache_entries import make_page

CACHE_LOGGER = "influenceplanner_async.cache"
QUERY = {"offset": "0", "limit": "25"}
BASE_URL = "http://127.0.0.1/partner/v1"


class CountingFetch:
    """A fetch function that counts its calls and returns or raises on demand."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.error: Exception | None = None

    async def __call__(self) -> MemberPage:
        self.calls += 1
        number = self.calls
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return make_page(followers=number)


class BrokenStore:
    """A store whose every operation raises, like Redis while it is down."""

    def __init__(self) -> None:
        self.calls = 0

    async def get(self, key: str) -> bytes | None:
        self.calls += 1
        raise ConnectionError("store is down")

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self.calls += 1
        raise ConnectionError("store is down")

    async def delete(self, key: str) -> None:
        self.calls += 1
        raise ConnectionError("store is down")

    async def clear(self, prefix: str = "") -> None:
        self.calls += 1
        raise ConnectionError("store is down")


class HangingStore(BrokenStore):
    """A store whose reads never return."""

    async def get(self, key: str) -> bytes | None:
        await asyncio.sleep(3600)
        return None


def make_cache(**settings: Any) -> PageCache:
    """Build alice's PageCache with the given MemberCache settings."""
    settings.setdefault("ttl", 30)
    return PageCache(
        MemberCache(**settings),
        base_url="http://127.0.0.1/partner/v1",
        username="alice",
    )


# -- MemoryStore --------------------------------------------------------------


async def test_memory_store_evicts_least_recently_used() -> None:
    """Past max_entries, the entry read or written longest ago goes first."""
    store = MemoryStore(max_entries=2, clock=ManualClock())
    await store.set("a", b"1", 60)
    await store.set("b", b"2", 60)
    await store.get("a")
    await store.set("c", b"3", 60)

    assert await store.get("b") is None
    assert await store.get("a") == b"1"
    assert await store.get("c") == b"3"
    assert store.evictions == 1


async def test_memory_store_expires_entries() -> None:
    """An entry is gone once its TTL has passed."""
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    await store.set("a", b"1", 10)
    clock.advance(9.5)
    before = await store.get("a")
    clock.advance(0.5)

    assert before == b"1"
    assert await store.get("a") is None
    assert len(store) == 0


async def test_memory_store_expired_drop_is_no_eviction() -> None:
    """Dropping an expired entry to make room does not count as an eviction."""
    clock = ManualClock()
    store = MemoryStore(max_entries=1, clock=clock)
    await store.set("a", b"1", 1)
    clock.advance(2)
    await store.set("b", b"2", 60)

    assert store.evictions == 0
    assert await store.get("b") == b"2"


async def test_memory_store_clear_by_prefix() -> None:
    """clear removes the keys with the prefix and keeps the rest."""
    store = MemoryStore()
    await store.set("members:a:1", b"1", 60)
    await store.set("members:a:2", b"2", 60)
    await store.set("members:b:1", b"3", 60)
    await store.clear("members:a:")
    after_prefix = len(store)
    await store.delete("members:b:1")

    assert after_prefix == 1
    assert len(store) == 0


# -- StoreGuard ---------------------------------------------------------------


@pytest.mark.looptime
async def test_guard_warns_once_and_skips_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Repeated failures log one WARNING and the store is skipped until retry."""
    caplog.set_level(logging.INFO, logger=CACHE_LOGGER)
    store = BrokenStore()
    guard = StoreGuard(timeout=1.0, retry_after=30.0)
    results = [await guard.run("read", lambda: store.get("k")) for _ in range(5)]
    calls_during_outage = store.calls
    await asyncio.sleep(30)
    await guard.run("read", lambda: store.get("k"))

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert results == [(False, None)] * 5
    assert calls_during_outage == 1
    assert store.calls == 2
    assert len(warnings) == 1
    assert guard.errors == 2
    assert guard.in_outage


@pytest.mark.looptime
async def test_guard_recovers_with_info(caplog: pytest.LogCaptureFixture) -> None:
    """The first success after an outage logs INFO and ends the outage."""
    caplog.set_level(logging.INFO, logger=CACHE_LOGGER)
    store = MemoryStore()
    guard = StoreGuard(timeout=1.0, retry_after=5.0)
    await guard.run("read", BrokenStore().clear)
    await asyncio.sleep(5)
    result = await guard.run("read", lambda: store.get("k"))

    levels = [record.levelno for record in caplog.records]
    assert result == (True, None)
    assert levels == [logging.WARNING, logging.INFO]
    assert not guard.in_outage


@pytest.mark.looptime
async def test_guard_times_out_hanging_store() -> None:
    """An operation slower than the timeout counts as a failure."""
    guard = StoreGuard(timeout=0.5, retry_after=30.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await guard.run("read", lambda: HangingStore().get("k"))

    assert result == (False, None)
    assert loop.time() - started == pytest.approx(0.5)
    assert guard.errors == 1


# -- PageCache ----------------------------------------------------------------


@pytest.mark.looptime
async def test_page_cache_ttl_on_virtual_time() -> None:
    """A page is a hit until ttl seconds of loop time have passed."""
    loop = asyncio.get_running_loop()
    cache = make_cache(ttl=60, clock=loop.time)
    fetch = CountingFetch()
    first = await cache.get_page(QUERY, fetch, ttl=None)
    await asyncio.sleep(59)
    second = await cache.get_page(QUERY, fetch, ttl=None)
    await asyncio.sleep(1)
    third = await cache.get_page(QUERY, fetch, ttl=None)

    assert second == first
    assert third.results[0].followers == 2
    assert fetch.calls == 2
    assert cache.stats == CacheStats(hits=1, misses=2)


@pytest.mark.looptime
async def test_page_cache_coalesces_slow_fetch() -> None:
    """Callers arriving during a 5 s fetch share it and get the same page."""
    loop = asyncio.get_running_loop()
    cache = make_cache(ttl=60, clock=loop.time)
    fetch = CountingFetch(delay=5)

    async def call_later(delay: float) -> MemberPage:
        await asyncio.sleep(delay)
        return await cache.get_page(QUERY, fetch, ttl=None)

    pages = await asyncio.gather(*(call_later(index / 100) for index in range(400)))

    assert fetch.calls == 1
    assert all(page == pages[0] for page in pages)
    assert cache.stats == CacheStats(misses=1, coalesced=399)


@pytest.mark.looptime
async def test_invalidate_discards_page_in_flight() -> None:
    """A fetch started before invalidation returns to its callers but is not stored."""
    loop = asyncio.get_running_loop()
    cache = make_cache(ttl=60, clock=loop.time)
    fetch = CountingFetch(delay=5)
    before = asyncio.create_task(cache.get_page(QUERY, fetch, ttl=None))
    await asyncio.sleep(1)
    await cache.invalidate()
    after = asyncio.create_task(cache.get_page(QUERY, fetch, ttl=None))
    old_page, new_page = await asyncio.gather(before, after)
    cached = await cache.get_page(QUERY, fetch, ttl=None)

    assert old_page.results[0].followers == 1
    assert new_page.results[0].followers == 2
    assert cached == new_page
    assert fetch.calls == 2


async def test_invalidate_hides_entries_store_kept() -> None:
    """Entries stored before invalidation are stale even when clear fails."""
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    cache = make_cache(ttl=60, clock=clock, store=store)
    fetch = CountingFetch()
    await cache.get_page(QUERY, fetch, ttl=None)
    saved = dict(store._entries)
    clock.advance(1)
    await cache.invalidate()
    store._entries.update(saved)
    await cache.get_page(QUERY, fetch, ttl=None)

    assert fetch.calls == 2


async def test_corrupt_entry_is_replaced(caplog: pytest.LogCaptureFixture) -> None:
    """A corrupt entry logs one WARNING, is deleted and is fetched again."""
    caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    cache = make_cache(ttl=60, clock=clock, store=store)
    fetch = CountingFetch()
    prefix = account_prefix(BASE_URL, "alice")
    for offset in ("0", "25"):
        query = {**QUERY, "offset": offset}
        await store.set(page_key(prefix, query), b"not an entry", 60)
        await cache.get_page(query, fetch, ttl=None)
    await cache.get_page(QUERY, fetch, ttl=None)

    assert fetch.calls == 2
    assert len(caplog.records) == 1
    assert cache.stats == CacheStats(hits=1, misses=2, store_errors=2)


async def test_broken_store_never_fails_calls() -> None:
    """With a store that always raises, every call still returns a page."""
    cache = make_cache(store=BrokenStore())
    fetch = CountingFetch()
    pages = [await cache.get_page(QUERY, fetch, ttl=None) for _ in range(3)]
    await cache.invalidate()

    assert [page.results[0].followers for page in pages] == [1, 2, 3]
    assert cache.stats.misses == 3


@pytest.mark.looptime
async def test_hanging_store_is_bypassed() -> None:
    """A store that never replies delays a call by store_timeout at most."""
    loop = asyncio.get_running_loop()
    cache = make_cache(store=HangingStore(), store_timeout=0.25)
    started = loop.time()
    page = await cache.get_page(QUERY, CountingFetch(), ttl=None)

    assert page.size == 2
    assert loop.time() - started == pytest.approx(0.25)


async def test_fetch_error_reaches_caller() -> None:
    """The fetch's exception propagates and nothing is stored."""
    cache = make_cache()
    fetch = CountingFetch()
    fetch.error = ResponseDecodeError("bad body")
    with pytest.raises(ResponseDecodeError):
        await cache.get_page(QUERY, fetch, ttl=None)
    fetch.error = None
    await cache.get_page(QUERY, fetch, ttl=None)

    assert fetch.calls == 2


def test_client_rejects_cache_seconds() -> None:
    """cache=60 raises ValidationError that points to MemberCache."""
    with pytest.raises(ValidationError, match=r"MemberCache\(ttl=60\)"):
        Client("alice", "ip-1234", cache=60)  # type: ignore[arg-type]

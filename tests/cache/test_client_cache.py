"""Tests of the member-listing cache through the client, against the fake API."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest

from influenceplanner_async import (
    CacheStats,
    Client,
    ClientStateError,
    MemberCache,
    MemoryStore,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    ValidationError,
)
from influenceplanner_async.testing import faults

from .conftest import API_KEY, OTHER_API_KEY, OTHER_USERNAME, USERNAME

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async.testing import FakePartnerAPI, FakeServer, ManualClock

NO_RETRY = RetryPolicy(max_attempts=1, max_rate_limit_retries=0)
CACHE_LOGGER = "influenceplanner_async.cache"


def make_client(
    server: FakeServer, cache: MemberCache | None, **options: Any
) -> Client:
    """Build alice's client for the fake, with ``cache`` and no retries."""
    options.setdefault("retry", NO_RETRY)
    return Client(USERNAME, API_KEY, base_url=server.base_url, cache=cache, **options)


def member_requests(api: FakePartnerAPI) -> int:
    """Count the listing requests that the fake received."""
    return sum(1 for request in api.requests if request.path.endswith("/members"))


class Gate:
    """A request hook that delays every request until the test opens it."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.opened = asyncio.Event()

    async def __call__(self, request: web.Request) -> None:
        self.arrived.set()
        await self.opened.wait()


async def test_cache_repeat_sends_one_request(
    server: FakeServer, clock: ManualClock
) -> None:
    """A repeated listing within the TTL is served without a request."""
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        first = await client.list_members(offset=5, limit=10)
        second = await client.list_members(offset=5, limit=10)

    assert second == first
    assert member_requests(server.api) == 1
    assert client.cache_stats == CacheStats(hits=1, misses=1)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"offset": 1}, id="offset"),
        pytest.param({"limit": 9}, id="limit"),
        pytest.param({"search_term": "a"}, id="search"),
        pytest.param({"sort_by": "FOLLOWERS"}, id="sort-by"),
        pytest.param({"sort_dir": "ASC"}, id="sort-dir"),
    ],
)
async def test_cache_key_covers_query(
    server: FakeServer, clock: ManualClock, changes: dict[str, Any]
) -> None:
    """Listings that differ in any query parameter are cached apart."""
    base: dict[str, Any] = {"offset": 0, "limit": 10}
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        await client.list_members(**base)
        await client.list_members(**{**base, **changes})
        await client.list_members(**{**base, **changes})

    assert member_requests(server.api) == 2
    assert client.cache_stats.hits == 1


async def test_cache_keeps_accounts_apart(
    server: FakeServer, clock: ManualClock
) -> None:
    """Two accounts sharing one store never read each other's pages."""
    store = MemoryStore(clock=clock)
    settings = MemberCache(ttl=60, store=store, clock=clock)
    async with (
        make_client(server, settings) as alice,
        Client(
            OTHER_USERNAME, OTHER_API_KEY, base_url=server.base_url, cache=settings
        ) as bob,
    ):
        await alice.list_members()
        await bob.list_members()
        await bob.list_members()

    usernames = [request.username for request in server.api.requests]
    assert usernames == [USERNAME, OTHER_USERNAME]
    assert len(store) == 2


async def test_cache_entry_expires_after_ttl(
    server: FakeServer, clock: ManualClock
) -> None:
    """A page is served until its TTL passes, then fetched again."""
    async with make_client(server, MemberCache(ttl=30, clock=clock)) as client:
        await client.list_members()
        clock.advance(29.9)
        await client.list_members()
        requests_before_expiry = member_requests(server.api)
        clock.advance(0.1)
        await client.list_members()

    assert requests_before_expiry == 1
    assert member_requests(server.api) == 2
    assert client.cache_stats == CacheStats(hits=1, misses=2)


async def test_call_ttl_lowers_maximum_age(
    server: FakeServer, clock: ManualClock
) -> None:
    """A call's cache_ttl below the page's age sends a request."""
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        await client.list_members()
        clock.advance(10)
        await client.list_members(cache_ttl=5)
        clock.advance(3)
        await client.list_members(cache_ttl=5)

    assert member_requests(server.api) == 2
    assert client.cache_stats.hits == 1


async def test_call_ttl_sets_stored_lifetime(
    server: FakeServer, clock: ManualClock
) -> None:
    """A page fetched with a longer cache_ttl outlives the cache's ttl."""
    async with make_client(server, MemberCache(ttl=10, clock=clock)) as client:
        await client.list_members(cache_ttl=120)
        clock.advance(100)
        await client.list_members(cache_ttl=120)
        await client.list_members()

    assert member_requests(server.api) == 2


async def test_call_ttl_zero_always_sends(
    server: FakeServer, clock: ManualClock
) -> None:
    """cache_ttl=0 neither serves nor stores a page."""
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        await client.list_members(cache_ttl=0)
        await client.list_members(cache_ttl=0)
        await client.list_members()

    assert member_requests(server.api) == 3


async def test_use_cache_false_bypasses(server: FakeServer, clock: ManualClock) -> None:
    """use_cache=False sends a request and leaves the cache untouched."""
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        await client.list_members()
        await client.list_members(use_cache=False)
        await client.list_members(use_cache=False)
        stats_after_bypass = client.cache_stats
        await client.list_members()

    assert member_requests(server.api) == 3
    assert stats_after_bypass == CacheStats(misses=1)
    assert client.cache_stats == CacheStats(hits=1, misses=1)


async def test_invalidate_fetches_changed_network(
    server: FakeServer, clock: ManualClock
) -> None:
    """After invalidate_cache the next listing shows the network's change."""
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        before = await client.list_members(sort_by="UPDATED", sort_dir="DESC")
        touched = server.api.touch_member(server.api.members[-1].membership_id)
        clock.advance(1)
        stale = await client.list_members(sort_by="UPDATED", sort_dir="DESC")
        await client.invalidate_cache()
        fresh = await client.list_members(sort_by="UPDATED", sort_dir="DESC")

    assert stale == before
    assert fresh.results[0].membership_id == touched.membership_id
    assert member_requests(server.api) == 2


async def test_invalidate_without_cache_does_nothing(server: FakeServer) -> None:
    """invalidate_cache on a client without a cache returns quietly."""
    async with make_client(server, None) as client:
        await client.invalidate_cache()
        await client.list_members()
        await client.list_members()

    assert member_requests(server.api) == 2
    assert client.cache_stats == CacheStats()


async def test_status_error_is_not_cached(
    server: FakeServer, clock: ManualClock
) -> None:
    """A failed listing raises and the next call sends a new request."""
    server.api.faults.push(faults.status(503), path="/network/members")
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        with pytest.raises(ServerError):
            await client.list_members()
        page = await client.list_members()
        await client.list_members()

    assert page.size > 0
    assert member_requests(server.api) == 2
    assert client.cache_stats == CacheStats(hits=1, misses=2)


async def test_decode_error_is_not_cached(
    server: FakeServer, clock: ManualClock
) -> None:
    """A body that does not decode is never stored."""
    server.api.faults.push(faults.wrong_types(), path="/network/members")
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        with pytest.raises(ResponseDecodeError):
            await client.list_members()
        await client.list_members()

    assert member_requests(server.api) == 2


async def test_concurrent_calls_share_one_request(
    server: FakeServer, clock: ManualClock
) -> None:
    """300 concurrent calls for 3 pages cost 3 requests."""
    gate = Gate()
    server.api.on_request.append(gate)
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        calls = [
            asyncio.create_task(client.list_members(offset=25 * (index % 3)))
            for index in range(300)
        ]
        await gate.arrived.wait()
        gate.opened.set()
        pages = await asyncio.gather(*calls)

    offsets = sorted({request.query["offset"] for request in server.api.requests})
    assert member_requests(server.api) == 3
    assert offsets == ["0", "25", "50"]
    assert all(page == pages[index % 3] for index, page in enumerate(pages))
    assert client.cache_stats == CacheStats(misses=3, coalesced=297)


async def test_shared_error_reaches_every_caller(
    server: FakeServer, clock: ManualClock
) -> None:
    """Every caller of a failed shared request gets the error; nothing is stored."""
    gate = Gate()
    server.api.on_request.append(gate)
    server.api.faults.push(faults.status(503), path="/network/members")
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        calls = [asyncio.create_task(client.list_members()) for _ in range(200)]
        await gate.arrived.wait()
        gate.opened.set()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        await client.list_members()

    assert all(isinstance(outcome, ServerError) for outcome in outcomes)
    assert member_requests(server.api) == 2
    assert client.cache_stats == CacheStats(misses=2, coalesced=199)


async def test_cancelled_caller_leaves_request_running(
    server: FakeServer, clock: ManualClock
) -> None:
    """Cancelling the call that started a request does not cancel it for others."""
    gate = Gate()
    server.api.on_request.append(gate)
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        leader = asyncio.create_task(client.list_members())
        await gate.arrived.wait()
        followers = [asyncio.create_task(client.list_members()) for _ in range(5)]
        await asyncio.sleep(0)
        leader.cancel()
        gate.opened.set()
        pages = await asyncio.gather(*followers)
        with pytest.raises(asyncio.CancelledError):
            await leader
        await client.list_members()

    assert member_requests(server.api) == 1
    assert all(page == pages[0] for page in pages)
    assert client.cache_stats == CacheStats(hits=1, misses=1, coalesced=5)


async def test_request_completes_after_every_caller_cancels(
    server: FakeServer, clock: ManualClock
) -> None:
    """A request whose callers all left still finishes and stores its page."""
    gate = Gate()
    server.api.on_request.append(gate)
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        call = asyncio.create_task(client.list_members())
        await gate.arrived.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        gate.opened.set()
        await client.list_members()

    assert member_requests(server.api) == 1
    assert client.cache_stats == CacheStats(misses=1, coalesced=1)


async def test_close_ends_shared_request(
    server: FakeServer, clock: ManualClock
) -> None:
    """Closing the client cancels a shared request; its callers get ClientStateError."""
    gate = Gate()
    server.api.on_request.append(gate)
    client = make_client(server, MemberCache(ttl=60, clock=clock))
    calls = [asyncio.create_task(client.list_members()) for _ in range(3)]
    await gate.arrived.wait()
    await client.aclose()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    gate.opened.set()

    assert all(isinstance(outcome, ClientStateError) for outcome in outcomes)


async def test_closed_client_rejects_cached_listing(
    server: FakeServer, clock: ManualClock
) -> None:
    """A closed client raises ClientStateError even for a cached page."""
    client = make_client(server, MemberCache(ttl=60, clock=clock))
    await client.list_members()
    await client.aclose()

    with pytest.raises(ClientStateError):
        await client.list_members()


async def test_invalid_cache_ttl_sends_nothing(
    server: FakeServer, clock: ManualClock
) -> None:
    """A negative cache_ttl raises ValidationError before any request."""
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        with pytest.raises(ValidationError, match="cache_ttl"):
            await client.list_members(cache_ttl=-1)

    assert member_requests(server.api) == 0


async def test_lru_eviction_refetches_oldest(
    server: FakeServer, clock: ManualClock
) -> None:
    """With room for two pages, a third evicts the least recently used."""
    settings = MemberCache(ttl=60, max_entries=2, clock=clock)
    async with make_client(server, settings) as client:
        await client.list_members(offset=0)
        await client.list_members(offset=25)
        await client.list_members(offset=0)
        await client.list_members(offset=50)
        await client.list_members(offset=0)
        requests_before = member_requests(server.api)
        await client.list_members(offset=25)

    assert requests_before == 3
    assert member_requests(server.api) == 4
    assert client.cache_stats.evictions == 2


async def test_hits_and_misses_logged_at_debug(
    server: FakeServer, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A miss and a hit each log one DEBUG line that names the query."""
    caplog.set_level(logging.DEBUG, logger=CACHE_LOGGER)
    async with make_client(server, MemberCache(ttl=60, clock=clock)) as client:
        await client.list_members(offset=3, search_term="ann")
        await client.list_members(offset=3, search_term="ann")

    messages = [
        record.getMessage() for record in caplog.records if record.name == CACHE_LOGGER
    ]
    assert len(messages) == 2
    assert messages[0].startswith("Cache miss for members")
    assert messages[1].startswith("Cache hit for members")
    assert "searchTerm='ann'" in messages[1]
    assert all(API_KEY not in message for message in messages)

"""Integration tests of outcomes that the caller must be able to tell apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    APIConnectionError,
    ClientStateError,
    RateLimitError,
    ResponseDecodeError,
    RetryPolicy,
    ScheduleSettings,
)
from influenceplanner_async.testing import (
    faults,
    run_fake_api,
    seed_members,
)

if TYPE_CHECKING:
    from influenceplanner_async.testing import FakeServer
    from tests.integration.support import ClientFactory

DEMO_TRACK = "https://soundcloud.com/example/demo"
SETTINGS = ScheduleSettings(date=datetime(2027, 1, 30, 21, tzinfo=UTC))


async def test_unreadable_success_on_create_is_unknown(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A created schedule whose response cannot be read is an unknown outcome."""
    fake_server.api.faults.push(faults.truncated_json(), path="/schedule/create")
    client = make_client(fake_server)
    target = fake_server.api.members[0].user_id

    with pytest.raises(ResponseDecodeError) as caught:
        await client.create_schedule(
            types=["LIKE"], medias=[DEMO_TRACK], targets=[target], settings=SETTINGS
        )

    assert caught.value.outcome_unknown is True
    assert "may or may not exist" in str(caught.value)
    assert len(fake_server.api.schedules) == 1


async def test_unreadable_listing_is_not_unknown(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A GET changes nothing, so its unreadable response has no unknown outcome."""
    fake_server.api.faults.push(faults.truncated_json(), path="/network/members")
    client = make_client(fake_server)

    with pytest.raises(ResponseDecodeError) as caught:
        await client.list_members()

    assert caught.value.outcome_unknown is False


async def test_dropped_get_not_resent_by_aiohttp(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Only the retry policy resends a GET whose kept-alive connection dropped."""
    client = make_client(fake_server, retry=RetryPolicy(max_attempts=1))
    await client.list_members(limit=1)
    fake_server.api.faults.push(faults.drop_connection(), path="/network/members")
    sent_before = len(fake_server.api.requests)

    with pytest.raises(APIConnectionError):
        await client.list_members(limit=1)

    assert len(fake_server.api.requests) - sent_before <= 1
    assert client.stats.requests_sent == 2


async def test_close_during_request_raises_state_error(
    make_client: ClientFactory,
) -> None:
    """Closing the client under a request in flight raises ClientStateError."""
    async with run_fake_api(members=seed_members(5)) as server:
        client = make_client(server, retry=RetryPolicy(initial_delay=0.0))
        await client.list_members(limit=1)
        server.api.faults.push(faults.delay(30.0), path="/network/members")
        entered = asyncio.Event()
        server.api.on_request.append(lambda request: entered.set())
        task = asyncio.create_task(client.list_members(limit=1))
        await entered.wait()

        await client.aclose()

        with pytest.raises(ClientStateError):
            await task


async def test_max_wait_error_is_not_a_retry(make_client: ClientFactory) -> None:
    """A call refused by max_wait raises at once and counts no retry."""
    async with run_fake_api(
        members=seed_members(5), limit=1, window_seconds=60.0
    ) as server:
        client = make_client(server, window=60.0)
        await client.list_members(limit=1)

        with pytest.raises(RateLimitError) as caught:
            await client.list_members(limit=1, max_wait=0.0)

        assert caught.value.request_sent is False
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 0
        assert "was not sent" in str(caught.value)
        assert client.stats.retries == 0
        assert len(server.api.requests) == 1

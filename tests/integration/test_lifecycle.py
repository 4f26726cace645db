"""Client lifecycle against the fake API: sessions, closing, loops, cancellation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from influenceplanner_async import (
    Client,
    ClientStateError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ValidationError,
    WindowLimiter,
)
from influenceplanner_async.testing import (
    ThreadedFakeAPI,
    faults,
    run_fake_api,
    seed_members,
)
from tests.integration.support import API_KEY, AUTHORIZATION, USERNAME

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async.testing import FakeServer
    from tests.integration.support import ClientFactory


def session_recorder() -> tuple[aiohttp.TraceConfig, list[aiohttp.ClientSession]]:
    """Return a trace config that records the session of each request."""
    sessions: list[aiohttp.ClientSession] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: Any
    ) -> None:
        sessions.append(session)

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_request_start)
    return trace_config, sessions


async def test_context_manager_closes_own_session(fake_server: FakeServer) -> None:
    """Leaving ``async with`` closes the session that the client opened."""
    trace_config, sessions = session_recorder()

    async with Client(
        USERNAME, API_KEY, base_url=fake_server.base_url, trace_configs=[trace_config]
    ) as client:
        await client.list_members(limit=1)
        assert sessions
        assert not sessions[0].closed

    assert client.closed
    assert sessions[0].closed


async def test_caller_session_stays_open(fake_server: FakeServer) -> None:
    """A session passed by the caller is used and left open after close."""
    async with aiohttp.ClientSession() as session:
        async with Client(
            USERNAME, API_KEY, base_url=fake_server.base_url, session=session
        ) as client:
            await client.list_members(limit=1)

        assert not session.closed
        headers = {"Authorization": AUTHORIZATION}
        url = fake_server.base_url + "/network/members"
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
    assert len(fake_server.api.requests) == 2
    sent = fake_server.api.requests[0].headers
    assert sent["Authorization"] == AUTHORIZATION
    assert sent["Accept"] == "application/json"
    assert sent["User-Agent"].startswith("influenceplanner-async/")


async def test_raising_session_keeps_typed_errors(fake_server: FakeServer) -> None:
    """A caller session that raises for error statuses still yields typed errors."""
    no_retry = RetryPolicy(max_attempts=1, max_rate_limit_retries=0)
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        client = Client(
            USERNAME,
            API_KEY,
            base_url=fake_server.base_url,
            session=session,
            retry=no_retry,
        )
        fake_server.api.faults.push(faults.status(503))
        with pytest.raises(ServerError):
            await client.list_members(limit=1)

        fake_server.api.faults.push(faults.rate_limited(retry_after=1))
        with pytest.raises(RateLimitError) as caught:
            await client.list_members(limit=1)

        assert caught.value.retry_after == 1.0
        assert client.stats.responses_429 == 1
        assert client.rate_limit is not None
        await client.aclose()


# aiohttp 3.14 deprecates BasicAuth and the auth argument, which still work.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_session_with_auth_rejected(fake_server: FakeServer) -> None:
    """A caller session with its own auth raises ValidationError, sending nothing."""
    auth = aiohttp.BasicAuth(USERNAME, API_KEY)
    async with aiohttp.ClientSession(auth=auth) as session:
        with pytest.raises(ValidationError) as caught:
            Client(USERNAME, API_KEY, base_url=fake_server.base_url, session=session)

    assert caught.value.argument == "session"
    assert API_KEY not in str(caught.value)
    assert not fake_server.api.requests


async def test_use_after_close_raises(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A call on a closed client raises ClientStateError and sends nothing."""
    client = make_client(fake_server)
    await client.list_members(limit=1)
    await client.aclose()

    with pytest.raises(ClientStateError):
        await client.list_members(limit=1)

    assert len(fake_server.api.requests) == 1


async def test_second_event_loop_raises(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A client used from a second event loop raises ClientStateError at once."""
    client = make_client(fake_server)
    await client.list_members(limit=1)

    def list_on_new_loop() -> None:
        asyncio.run(client.list_members(limit=1))

    # The guard only turns a hang into a failure. The error comes before any
    # network I/O.
    async with asyncio.timeout(10):
        with pytest.raises(ClientStateError):
            await asyncio.to_thread(list_on_new_loop)

    assert len(fake_server.api.requests) == 1
    page = await client.list_members(limit=1)
    assert len(page.results) == 1


def test_later_event_loop_raises() -> None:
    """A client used from another loop of the same thread raises ClientStateError."""
    with ThreadedFakeAPI(
        credentials={USERNAME: API_KEY}, members=seed_members(3)
    ) as fake:
        client = Client(USERNAME, API_KEY, base_url=fake.base_url)
        with asyncio.Runner() as first, asyncio.Runner() as second:
            first.run(client.list_members(limit=1))

            with pytest.raises(ClientStateError):
                second.run(client.list_members(limit=1))

            page = first.run(client.list_members(limit=1))
            first.run(client.aclose())

        assert len(page.results) == 1
        assert len(fake.api.requests) == 2


async def test_cancelled_request_frees_limiter(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Cancelling a call while its response is delayed frees its permit."""
    api = fake_server.api
    arrived = asyncio.Event()

    def note_arrival(request: web.Request) -> None:
        arrived.set()

    api.on_request.append(note_arrival)
    api.faults.push(faults.delay(5.0))
    client = make_client(fake_server)
    task = asyncio.create_task(client.list_members(limit=1))
    await arrived.wait()
    assert client.limiter.in_flight == 1

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert client.limiter.in_flight == 0
    page = await client.list_members(limit=2)
    assert len(page.results) == 2
    assert client.limiter.in_flight == 0


async def test_cancelled_waiter_leaves_queue(make_client: ClientFactory) -> None:
    """Cancelling a call that waits for budget removes it from the queue."""
    async with run_fake_api(members=seed_members(5), limit=1) as server:
        client = make_client(server)
        limiter = client.limiter
        assert isinstance(limiter, WindowLimiter)
        await client.list_members(limit=1)
        task = asyncio.create_task(client.list_members(limit=1))
        # The task runs without I/O until it queues for budget, so one pass
        # of the loop is enough.
        await asyncio.sleep(0)
        assert limiter.waiting == 1

        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert limiter.waiting == 0
        assert client.limiter.in_flight == 0
        assert len(server.api.requests) == 1

"""Failures injected into the fake API: retries, lost responses and bad bodies."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    APIConnectionError,
    APITimeoutError,
    ResponseDecodeError,
    RetryPolicy,
    ScheduleResult,
    ScheduleSettings,
    ServerError,
    Timeout,
)
from influenceplanner_async.testing import faults, run_fake_api, seed_members
from tests.integration.support import DEMO_TRACK, JOHN_DOE, expected_order

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async import Client
    from influenceplanner_async.testing import FakeServer, Fault
    from tests.integration.support import ClientFactory

SCHEDULE_PATH = "/schedule/create"
NO_RETRY = RetryPolicy(max_attempts=1, initial_delay=0)


async def create_demo_schedule(client: Client) -> ScheduleResult:
    """Create one REPOST of the demo track by John Doe."""
    return await client.create_schedule(
        types=["REPOST"],
        medias=[DEMO_TRACK],
        targets=[JOHN_DOE],
        settings=ScheduleSettings(),
    )


def count_arrivals(server: FakeServer) -> list[str]:
    """Return a list of request methods, appended on arrival before any delay."""
    arrivals: list[str] = []

    def record(request: web.Request) -> None:
        arrivals.append(request.method)

    server.api.on_request.append(record)
    return arrivals


@pytest.fixture
def refused_base_url() -> str:
    """Return a base URL on a local port that no server listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # NOTE: another process could bind the port after it is released, which
    # would turn the refused connection into an accepted one.
    return f"http://127.0.0.1:{port}/partner/v1"


async def test_get_retried_after_two_503s(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A GET that gets two 503s succeeds on the third attempt."""
    fake_server.api.faults.push(faults.status(503), times=2)
    client = make_client(fake_server)

    page = await client.list_members(limit=2)

    assert len(page.results) == 2
    assert [r.status for r in fake_server.api.requests] == [503, 503, 200]
    assert client.stats.retries == 2


async def test_post_500_not_resent(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A POST that gets a 500 raises with outcome_unknown and is sent once."""
    fake_server.api.faults.push(faults.status(500), path=SCHEDULE_PATH)
    client = make_client(fake_server)

    with pytest.raises(ServerError) as caught:
        await create_demo_schedule(client)

    assert caught.value.status == 500
    assert caught.value.outcome_unknown is True
    assert [r.method for r in fake_server.api.requests] == ["POST"]
    assert client.stats.retries == 0


async def test_post_500_resent_when_unsafe_allowed(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """With retry_unsafe a POST that gets a 500 is resent and succeeds."""
    fake_server.api.faults.push(faults.status(500), path=SCHEDULE_PATH)
    client = make_client(
        fake_server, retry=RetryPolicy(initial_delay=0, retry_unsafe=True)
    )

    result = await create_demo_schedule(client)

    assert [r.status for r in fake_server.api.requests] == [500, 200]
    assert len(fake_server.api.schedules) == 1
    assert result.schedule_ids == (fake_server.api.schedules[0].schedule_id,)


@pytest.mark.parametrize(
    ("after_processing", "schedules_created"),
    [
        pytest.param(False, 0, id="before-processing"),
        pytest.param(True, 1, id="after-processing"),
    ],
)
async def test_dropped_post_outcome_unknown(
    fake_server: FakeServer,
    make_client: ClientFactory,
    after_processing: bool,
    schedules_created: int,
) -> None:
    """A POST whose connection drops raises with outcome_unknown, sent once."""
    fault = faults.drop_connection(after_processing=after_processing)
    fake_server.api.faults.push(fault, path=SCHEDULE_PATH)
    client = make_client(fake_server)

    with pytest.raises(APIConnectionError) as caught:
        await create_demo_schedule(client)

    assert caught.value.request_sent is True
    assert caught.value.outcome_unknown is True
    assert [r.method for r in fake_server.api.requests] == ["POST"]
    assert len(fake_server.api.schedules) == schedules_created
    assert client.limiter.in_flight == 0


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(faults.truncated_json(), id="truncated"),
        pytest.param(faults.malformed_json(), id="malformed"),
        pytest.param(faults.html_error_page(200), id="html-200"),
    ],
)
async def test_unreadable_body_raises_decode_error(
    fake_server: FakeServer, make_client: ClientFactory, fault: Fault
) -> None:
    """A 200 whose body is not JSON raises ResponseDecodeError without a retry."""
    fake_server.api.faults.push(fault)
    client = make_client(fake_server)

    with pytest.raises(ResponseDecodeError) as caught:
        await client.list_members()

    assert caught.value.path == "$"
    assert caught.value.status == 200
    assert caught.value.method == "GET"
    assert len(fake_server.api.requests) == 1


async def test_html_502_raises_with_excerpt(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A proxy's HTML 502 page raises ServerError quoting the page."""
    fake_server.api.faults.push(faults.html_error_page(502))
    client = make_client(fake_server, retry=NO_RETRY)

    with pytest.raises(ServerError) as caught:
        await client.list_members()

    assert caught.value.status == 502
    assert caught.value.body is None
    assert "502 Bad Gateway" in caught.value.message
    assert "502 Bad Gateway" in str(caught.value)
    assert len(fake_server.api.requests) == 1


async def test_html_502_retried_for_get(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A GET that gets a proxy's HTML 502 page succeeds on the next attempt."""
    fake_server.api.faults.push(faults.html_error_page(502))
    client = make_client(fake_server)

    page = await client.list_members(limit=1)

    assert len(page.results) == 1
    assert [r.status for r in fake_server.api.requests] == [502, 200]


async def test_wrong_types_name_field_path(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A listing with a null name raises ResponseDecodeError naming that field."""
    fake_server.api.faults.push(faults.wrong_types())
    client = make_client(fake_server)

    with pytest.raises(ResponseDecodeError) as caught:
        await client.list_members()

    assert caught.value.path == "$.results[0].name"
    assert "$.results[0].name" in str(caught.value)
    assert len(fake_server.api.requests) == 1


async def test_wrong_schedule_data_type_raises(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A schedule result whose data is a string raises ResponseDecodeError."""
    fake_server.api.faults.push(faults.wrong_types(), path=SCHEDULE_PATH)
    client = make_client(fake_server)

    with pytest.raises(ResponseDecodeError) as caught:
        await create_demo_schedule(client)

    assert caught.value.path == "$.data"


async def test_slow_get_times_out(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A response slower than the read timeout raises APITimeoutError."""
    arrivals = count_arrivals(fake_server)
    fake_server.api.faults.push(faults.delay(1.0))
    client = make_client(fake_server, retry=NO_RETRY, timeout=Timeout(read=0.2))

    with pytest.raises(APITimeoutError) as caught:
        await client.list_members()

    assert caught.value.request_sent is True
    assert caught.value.outcome_unknown is False
    assert arrivals == ["GET"]
    assert client.limiter.in_flight == 0


async def test_slow_get_retried_after_timeout(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A GET that times out once is sent again and succeeds."""
    arrivals = count_arrivals(fake_server)
    fake_server.api.faults.push(faults.delay(1.0))
    client = make_client(fake_server, timeout=Timeout(read=0.2))

    page = await client.list_members(limit=1)

    assert len(page.results) == 1
    assert arrivals == ["GET", "GET"]
    assert client.stats.retries == 1


async def test_slow_post_times_out_once(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A POST that times out raises with outcome_unknown and is not resent."""
    arrivals = count_arrivals(fake_server)
    fake_server.api.faults.push(faults.delay(1.0), path=SCHEDULE_PATH)
    client = make_client(fake_server, timeout=Timeout(read=0.2))

    with pytest.raises(APITimeoutError) as caught:
        await create_demo_schedule(client)

    assert caught.value.outcome_unknown is True
    assert arrivals == ["POST"]
    assert client.stats.retries == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_refused_connection_retried(
    refused_base_url: str, make_client: ClientFactory, method: str
) -> None:
    """A closed port raises with request_sent False after every attempt."""
    client = make_client(
        refused_base_url, retry=RetryPolicy(max_attempts=3, initial_delay=0)
    )

    call = client.list_members() if method == "GET" else create_demo_schedule(client)
    with pytest.raises(APIConnectionError) as caught:
        await call

    assert caught.value.request_sent is False
    assert caught.value.outcome_unknown is False
    assert not isinstance(caught.value, APITimeoutError)
    # Nothing reached a server, so a POST is retried like a GET.
    assert client.stats.requests_sent == 3
    assert client.stats.retries == 2
    assert client.limiter.in_flight == 0


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(faults.status(503), id="503"),
        pytest.param(faults.rate_limited(), id="429"),
    ],
)
async def test_scan_resumes_at_failed_offset(
    make_client: ClientFactory, fault: Fault
) -> None:
    """A page fetch that fails once is repeated at its offset, not from the start."""
    async with run_fake_api(
        members=seed_members(120), limit=1_000, window_seconds=0.5
    ) as server:
        api = server.api

        def fail_first_third_page(request: web.Request) -> None:
            if request.query.get("offset") == "50":
                api.faults.push(fault)
                api.on_request.clear()

        api.on_request.append(fail_first_third_page)
        client = make_client(server, window=0.5)

        ids = [member.membership_id async for member in client.iter_members()]

    assert ids == expected_order(api.members)
    offsets = [request.query["offset"] for request in api.requests]
    assert offsets == ["0", "25", "50", "50", "75", "100"]
    assert [r.status for r in api.requests].count(200) == 5
    assert client.stats.retries == 1

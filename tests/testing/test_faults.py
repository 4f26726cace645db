"""Tests of fault injection into the fake's responses."""

from __future__ import annotations

import asyncio
import json
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from influenceplanner_async.testing import FaultQueue, ManualClock, faults

if TYPE_CHECKING:
    from influenceplanner_async.testing import FakeServer

SCHEDULE_BODY = {
    "types": ["REPOST"],
    "medias": ["https://soundcloud.com/example/demo"],
    "targets": ["SOUNDCLOUD-USER-1234"],
    "settings": {},
}


async def get_members(
    session: aiohttp.ClientSession, server: FakeServer
) -> tuple[int, dict[str, str], bytes]:
    """Send a listing request and return its status, headers and raw body."""
    async with session.get(server.base_url + "/network/members?limit=2") as response:
        return response.status, dict(response.headers), await response.read()


async def test_status_fault_default_body(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A status fault sends the API's JSON error body with rate-limit headers."""
    server.api.faults.push(faults.status(503))

    status, headers, raw = await get_members(session, server)

    assert status == 503
    assert json.loads(raw)["status"] == "SERVICE_UNAVAILABLE"
    assert "X-RateLimit-Remaining" in headers


async def test_status_fault_custom_body(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A status fault can send any body and content type."""
    server.api.faults.push(faults.status(500, "oops", content_type="text/plain"))

    status, headers, raw = await get_members(session, server)

    assert status == 500
    assert raw == b"oops"
    assert headers["Content-Type"].startswith("text/plain")


async def test_fault_times_then_normal(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A fault pushed for two requests affects exactly two."""
    server.api.faults.push(faults.status(502), times=2)

    statuses = [(await get_members(session, server))[0] for _ in range(3)]

    assert statuses == [502, 502, 200]
    assert len(server.api.faults) == 0


async def test_fault_restricted_to_path_and_method(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A fault restricted to a path and method leaves other requests alone."""
    server.api.faults.push(faults.status(503), path="/schedule/create", method="POST")
    server.api.faults.push(
        faults.status(504), path="/partner/v1/network/members", method="GET"
    )

    listing_status, _, _ = await get_members(session, server)
    url = server.base_url + "/schedule/create"
    async with session.post(url, json=SCHEDULE_BODY) as created:
        pass

    assert listing_status == 504
    assert created.status == 503


async def test_fault_counts_in_window(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A fault response still counts in the window."""
    server.api.faults.push(faults.status(500))

    await get_members(session, server)
    _, headers, _ = await get_members(session, server)

    assert headers["X-RateLimit-Remaining"] == "9998"


@pytest.mark.parametrize("with_headers", [True, False])
async def test_rate_limited_fault(
    server: FakeServer, session: aiohttp.ClientSession, with_headers: bool
) -> None:
    """A rate_limited fault sends 429 with or without the rate-limit headers."""
    server.api.faults.push(faults.rate_limited(with_headers=with_headers))

    status, headers, raw = await get_members(session, server)

    assert status == 429
    assert json.loads(raw)["status"] == "TOO_MANY_REQUESTS"
    assert ("X-RateLimit-Reset" in headers) is with_headers
    assert "Retry-After" not in headers
    assert server.api.count_429 == 1


async def test_rate_limited_fault_retry_after(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A rate_limited fault can carry a Retry-After header."""
    server.api.faults.push(faults.rate_limited(retry_after=7))

    _, headers, _ = await get_members(session, server)

    assert headers["Retry-After"] == "7"


async def test_delay_fault(server: FakeServer, session: aiohttp.ClientSession) -> None:
    """A delay fault serves the real response after the extra latency."""
    server.api.faults.push(faults.delay(0.05))
    loop = asyncio.get_running_loop()

    started = loop.time()
    status, _, _ = await get_members(session, server)
    elapsed = loop.time() - started

    assert status == 200
    assert elapsed >= 0.05


async def test_drop_connection_before_processing(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A dropped POST raises on the client, creates nothing and is not counted."""
    server.api.faults.push(faults.drop_connection())
    url = server.base_url + "/schedule/create"

    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.post(url, json=SCHEDULE_BODY):
            pass

    assert server.api.schedules == []
    assert server.api.requests[-1].status is None
    assert server.api.window_stats() == {}


async def test_drop_connection_after_processing(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A drop after processing creates the schedule and counts the request."""
    server.api.faults.push(faults.drop_connection(after_processing=True))
    url = server.base_url + "/schedule/create"

    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with session.post(url, json=SCHEDULE_BODY):
            pass

    assert len(server.api.schedules) == 1
    assert server.api.window_stats()["alice"][0].accepted == 1


async def test_truncated_json_fault(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A truncated body is the first half of the real JSON and does not parse."""
    server.api.faults.push(faults.truncated_json())

    status, headers, raw = await get_members(session, server)
    _, _, complete = await get_members(session, server)

    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert complete.startswith(raw)
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        json.loads(raw)


async def test_malformed_json_fault(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A malformed body is labelled JSON but does not parse."""
    server.api.faults.push(faults.malformed_json())

    status, headers, raw = await get_members(session, server)

    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError, match="Expecting"):
        json.loads(raw)


async def test_html_error_page_fault(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A proxy error page is text/html without the API's rate-limit headers."""
    server.api.faults.push(faults.html_error_page(504))

    status, headers, raw = await get_members(session, server)

    assert status == 504
    assert headers["Content-Type"].startswith("text/html")
    assert b"504 Gateway Time-out" in raw or b"504 Gateway Timeout" in raw
    assert "X-RateLimit-Limit" not in headers


async def test_reset_format_fault(
    server: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """A reset_format fault changes the reset header's form for one response."""
    server.api.faults.push(faults.reset_format("epoch_ms"))

    _, faulted, _ = await get_members(session, server)
    _, normal, _ = await get_members(session, server)

    assert faulted["X-RateLimit-Reset"] == str(int((clock() + 60) * 1000))
    assert normal["X-RateLimit-Reset"] == str(int(clock() + 60))


@pytest.mark.parametrize(
    ("shift_reset", "reset_offset"), [(False, 0.0), (True, -3600.0)]
)
async def test_date_skew_fault(
    server: FakeServer,
    session: aiohttp.ClientSession,
    clock: ManualClock,
    shift_reset: bool,
    reset_offset: float,
) -> None:
    """A date_skew fault moves the Date header, and the reset too when asked."""
    server.api.faults.push(faults.date_skew(-3600, shift_reset=shift_reset))

    _, headers, _ = await get_members(session, server)

    date = parsedate_to_datetime(headers["Date"]).timestamp()
    assert date == clock() - 3600
    assert float(headers["X-RateLimit-Reset"]) == clock() + 60 + reset_offset


async def test_wrong_types_fault_listing(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A wrong_types listing has string followers, null names and string pages."""
    server.api.faults.push(faults.wrong_types())

    status, _, raw = await get_members(session, server)

    page: dict[str, Any] = json.loads(raw)
    assert status == 200
    assert isinstance(page["totalPages"], str)
    assert all(isinstance(member["followers"], str) for member in page["results"])
    assert all(member["name"] is None for member in page["results"])


async def test_wrong_types_fault_schedule(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A wrong_types schedule response has data as a string."""
    server.api.faults.push(faults.wrong_types(), path="/schedule/create")
    url = server.base_url + "/schedule/create"

    async with session.post(url, json=SCHEDULE_BODY) as response:
        body = await response.json()

    assert response.status == 200
    assert isinstance(body["data"], str)


def test_fault_queue_first_match_wins() -> None:
    """The queue hands out the first matching fault and skips others."""
    queue = FaultQueue()
    queue.push(faults.status(500), method="POST")
    queue.push(faults.status(502))

    assert queue.take("/partner/v1/network/members", "GET") == faults.status(502)
    assert queue.take("/partner/v1/schedule/create", "post") == faults.status(500)
    assert queue.take("/partner/v1/schedule/create", "POST") is None


def test_fault_queue_rejects_zero_times() -> None:
    """Pushing a fault for zero requests raises ValueError."""
    with pytest.raises(ValueError, match="times"):
        FaultQueue().push(faults.delay(1.0), times=0)


def test_fault_queue_clear() -> None:
    """clear drops every queued fault."""
    queue = FaultQueue()
    queue.push(faults.malformed_json(), times=3)
    queue.clear()

    assert len(queue) == 0

"""Tests of authentication, routing errors, headers and recorded traffic."""

from __future__ import annotations

import asyncio
import base64
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import aiohttp
import pytest

from influenceplanner_async.testing import ManualClock, run_fake_api

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async.testing import FakeServer

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def basic(credentials: bytes) -> str:
    """Return a Basic ``Authorization`` value for ``credentials``."""
    return "Basic " + base64.b64encode(credentials).decode()


async def test_auth_reference_header(server: FakeServer) -> None:
    """The API documentation's literal header for alice:ip-1234 is accepted."""
    headers = {"Authorization": "Basic YWxpY2U6aXAtMTIzNA=="}
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.base_url + "/network/members", headers=headers) as response,
    ):
        assert response.status == 200

    assert server.api.requests[-1].username == "alice"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param(basic(b"alice:wrong"), id="wrong-key"),
        pytest.param(basic(b"mallory:ip-1234"), id="unknown-user"),
        pytest.param(basic(b"alice"), id="no-colon"),
        pytest.param("Basic not-base64!", id="bad-base64"),
        pytest.param("Bearer " + "YWxpY2U6aXAtMTIzNA==", id="bearer-scheme"),
        pytest.param("Basic", id="no-token"),
    ],
)
async def test_auth_rejected(server: FakeServer, authorization: str | None) -> None:
    """Anything but valid Basic credentials gets 401 with rate-limit headers."""
    headers = {} if authorization is None else {"Authorization": authorization}
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.base_url + "/network/members", headers=headers) as response,
    ):
        body = await response.json()

    assert response.status == 401
    assert body["status"] == "UNAUTHORIZED"
    assert body["data"] is None
    assert all(name in response.headers for name in RATE_LIMIT_HEADERS)
    assert server.api.requests[-1].username is None


async def test_auth_forbidden_everywhere(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A forbidden user gets 403 on both endpoints."""
    server.api.forbidden_users.add("alice")

    async with session.get(server.base_url + "/network/members") as listing:
        listing_body = await listing.json()
    async with session.post(server.base_url + "/schedule/create", json={}) as created:
        pass

    assert listing.status == 403
    assert listing_body["status"] == "FORBIDDEN"
    assert created.status == 403


@pytest.mark.parametrize(
    "path",
    ["/partner/v1/network", "/partner/v1/network/members/61400", "/partner/v2/x", "/"],
)
async def test_unknown_path_not_found(
    server: FakeServer, session: aiohttp.ClientSession, path: str
) -> None:
    """An unknown path gets 404 with the JSON error body and rate-limit headers."""
    url = f"http://{server.host}:{server.port}{path}"
    async with session.get(url) as response:
        body = await response.json()

    assert response.status == 404
    assert body["status"] == "NOT_FOUND"
    assert all(name in response.headers for name in RATE_LIMIT_HEADERS)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        pytest.param("POST", "/network/members", "GET", id="post-members"),
        pytest.param("DELETE", "/network/members", "GET", id="delete-members"),
        pytest.param("HEAD", "/network/members", "GET", id="head-members"),
        pytest.param("GET", "/schedule/create", "POST", id="get-schedule"),
    ],
)
async def test_wrong_method_not_allowed(
    server: FakeServer,
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    allowed: str,
) -> None:
    """A known path with another method gets 405 and an Allow header."""
    async with session.request(method, server.base_url + path) as response:
        pass

    assert response.status == 405
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        pytest.param("text/html", 406, id="html-only"),
        pytest.param("application/xml, text/plain", 406, id="xml-or-text"),
        pytest.param("application/json;q=0, */*;q=0", 406, id="json-q-zero"),
        pytest.param("application/json", 200, id="json"),
        pytest.param("application/*", 200, id="application-wildcard"),
        pytest.param("text/html, */*;q=0.1", 200, id="any-low-quality"),
        pytest.param("Application/JSON; charset=utf-8", 200, id="json-parameters"),
    ],
)
async def test_accept_header(
    server: FakeServer, session: aiohttp.ClientSession, accept: str, status: int
) -> None:
    """An Accept header that excludes application/json gets 406."""
    headers = {"Accept": accept}
    url = server.base_url + "/network/members"
    async with session.get(url, headers=headers) as response:
        body = await response.json(content_type=None)

    assert response.status == status
    if status == 406:
        assert body["status"] == "NOT_ACCEPTABLE"


async def test_date_header_from_clock(
    server: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """The Date header is the injected clock's time."""
    clock.advance(12.7)

    async with session.get(server.base_url + "/network/members") as response:
        pass

    sent = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert sent == int(clock())


async def test_requests_recorded(
    server: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """Each request is recorded with its query, body, status, user and time."""
    async with session.get(server.base_url + "/network/members?limit=3&searchTerm=a b"):
        pass
    url = server.base_url + "/schedule/create"
    async with session.post(url, json={"types": []}):
        pass

    listing, schedule = server.api.requests
    assert listing.method == "GET"
    assert listing.path == "/partner/v1/network/members"
    assert listing.query == {"limit": "3", "searchTerm": "a b"}
    assert listing.status == 200
    assert listing.username == "alice"
    assert listing.time == clock()
    assert listing.json is None
    assert schedule.json == {"types": []}
    assert schedule.status == 400
    assert schedule.headers["authorization"].startswith("Basic ")


async def test_request_repr_redacts_authorization(
    server: FakeServer, session: aiohttp.ClientSession, authorization: str
) -> None:
    """A recorded request's repr hides the Authorization value."""
    async with session.get(server.base_url + "/network/members"):
        pass

    text = repr(server.api.requests[0])
    assert authorization.split()[1] not in text
    assert "<redacted>" in text


async def test_on_request_hooks_run_in_order(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Plain and coroutine hooks run before each request, in order."""
    calls: list[str] = []

    def plain(request: web.Request) -> None:
        calls.append("plain " + request.path)

    async def coroutine(request: web.Request) -> None:
        calls.append("coroutine " + request.method)

    server.api.on_request.extend([plain, coroutine])
    async with session.get(server.base_url + "/network/members"):
        pass

    assert calls == ["plain /partner/v1/network/members", "coroutine GET"]


async def test_latency_option(session: aiohttp.ClientSession) -> None:
    """The latency option delays every response by at least that long."""
    async with run_fake_api(latency=0.05) as server:
        loop_time = asyncio.get_running_loop().time
        started = loop_time()
        async with session.get(server.base_url + "/network/members"):
            pass
        elapsed = loop_time() - started

    assert elapsed >= 0.05

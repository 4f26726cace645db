"""Tests of redirects and body limits against a small server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from influenceplanner_async import (
    ActionType,
    Client,
    RedirectError,
    ResponseTooLargeError,
    RetryPolicy,
    ScheduleSettings,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

API_KEY = "sk-live-transport-91c2"
BODY_LIMIT = 4096
MEMBER = {
    "membership_id": 61400,
    "status": "LINKED",
    "user_id": "SOUNDCLOUD-USER-1234",
    "name": "John Doe",
    "image_url": "https://i1.sndcdn.com/avatars-1234-large.jpg",
    "profile_url": "https://soundcloud.com/john-doe",
    "followers": 9800,
    "updated_at": "2025-07-01T22:24:44Z",
}


def page_body(padding: int) -> bytes:
    """Return a valid one-member page whose JSON is padded with spaces."""
    page = {
        "results": [MEMBER],
        "first": True,
        "last": True,
        "totalPages": 1,
        "totalElements": 1,
        "size": 1,
    }
    return json.dumps(page).encode() + b" " * padding


class Recorder:
    """Serves scripted responses and counts requests per path."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.authorization: dict[str, str | None] = {}

    def record(self, request: web.Request) -> None:
        """Count one request and keep its Authorization header."""
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        self.authorization[request.path] = request.headers.get("Authorization")


def build_app(recorder: Recorder) -> web.Application:
    """Build routes that redirect, send large bodies or serve the target."""

    async def redirect(request: web.Request) -> web.Response:
        recorder.record(request)
        status = int(request.match_info["status"])
        return web.Response(status=status, headers={"Location": "/elsewhere/v1"})

    async def redirect_without_location(request: web.Request) -> web.Response:
        recorder.record(request)
        return web.Response(status=301)

    async def elsewhere(request: web.Request) -> web.Response:
        recorder.record(request)
        return web.Response(body=page_body(0), content_type="application/json")

    async def sized(request: web.Request) -> web.Response:
        recorder.record(request)
        padding = int(request.match_info["padding"])
        return web.Response(body=page_body(padding), content_type="application/json")

    async def streamed(request: web.Request) -> web.StreamResponse:
        # Chunked transfer encoding: no Content-Length announces the size.
        recorder.record(request)
        response = web.StreamResponse()
        response.content_type = "application/json"
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(page_body(0))
        for _ in range(8):
            await response.write(b" " * 1024)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_route("*", "/redirect-{status:\\d+}/v1/{tail:.*}", redirect)
    app.router.add_route("*", "/bare/v1/{tail:.*}", redirect_without_location)
    app.router.add_route("*", "/elsewhere/v1/{tail:.*}", elsewhere)
    app.router.add_get("/sized-{padding:\\d+}/v1/network/members", sized)
    app.router.add_get("/streamed/v1/network/members", streamed)
    return app


@pytest.fixture
def recorder() -> Recorder:
    """Return an empty request recorder."""
    return Recorder()


@pytest.fixture
async def root_url(recorder: Recorder) -> AsyncIterator[str]:
    """Serve the scripted app on 127.0.0.1 and yield its root URL."""
    runner = web.AppRunner(build_app(recorder), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def make_client(base_url: str) -> Client:
    """Build a client with no retries and a small body limit."""
    return Client(
        "alice",
        API_KEY,
        base_url=base_url,
        retry=RetryPolicy(max_attempts=1, max_rate_limit_retries=0),
        max_response_size=BODY_LIMIT,
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_not_followed(
    root_url: str, recorder: Recorder, status: int
) -> None:
    """A 3xx raises RedirectError naming the Location; the target gets nothing."""
    async with make_client(f"{root_url}/redirect-{status}/v1") as client:
        with pytest.raises(RedirectError) as caught:
            await client.list_members()

    assert caught.value.status == status
    assert caught.value.location == "/elsewhere/v1"
    assert "'/elsewhere/v1'" in str(caught.value)
    assert recorder.hits == {f"/redirect-{status}/v1/network/members": 1}


async def test_redirect_on_schedule_create(root_url: str, recorder: Recorder) -> None:
    """A redirected POST raises too, and is neither followed nor resent."""
    async with make_client(f"{root_url}/redirect-307/v1") as client:
        with pytest.raises(RedirectError, match="elsewhere"):
            await client.create_schedule(
                types=[ActionType.REPOST],
                medias=["https://soundcloud.com/example/demo"],
                targets=["SOUNDCLOUD-USER-1234"],
                settings=ScheduleSettings(date=datetime(2026, 1, 30, tzinfo=UTC)),
            )

    assert recorder.hits == {"/redirect-307/v1/schedule/create": 1}


async def test_redirect_without_location(root_url: str) -> None:
    """A 3xx without a Location header still raises, saying so."""
    async with make_client(f"{root_url}/bare/v1") as client:
        with pytest.raises(RedirectError, match="no Location header") as caught:
            await client.list_members()

    assert caught.value.location is None


async def test_body_at_limit_accepted(root_url: str) -> None:
    """A body of exactly max_response_size bytes is read and decoded."""
    padding = BODY_LIMIT - len(page_body(0))

    async with make_client(f"{root_url}/sized-{padding}/v1") as client:
        page = await client.list_members()

    assert page.size == 1


async def test_body_over_limit_rejected(root_url: str) -> None:
    """A body one byte over the limit raises ResponseTooLargeError."""
    padding = BODY_LIMIT - len(page_body(0)) + 1

    async with make_client(f"{root_url}/sized-{padding}/v1") as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.list_members()

    assert caught.value.limit == BODY_LIMIT
    assert caught.value.status == 200
    assert f"max_response_size={BODY_LIMIT}" in str(caught.value)


async def test_chunked_body_over_limit_rejected(root_url: str) -> None:
    """A chunked body without Content-Length is cut off at the limit."""
    async with make_client(f"{root_url}/streamed/v1") as client:
        with pytest.raises(ResponseTooLargeError):
            await client.list_members()

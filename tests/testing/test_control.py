"""Tests of the control handle: member changes, the package surface and the runner."""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import influenceplanner_async.testing as testing
from influenceplanner_async.testing import (
    FakeServer,
    ManualClock,
    run_fake_api,
    seed_members,
    serve_forever,
)
from influenceplanner_async.testing.__main__ import build_parser

if TYPE_CHECKING:
    from aiohttp import web


async def first_ids(
    session: aiohttp.ClientSession, server: FakeServer, **params: str | int
) -> list[int]:
    """Return the membership ids of one listing page."""
    url = server.base_url + "/network/members"
    async with session.get(url, params=params) as response:
        page: dict[str, Any] = await response.json()
    return [member["membership_id"] for member in page["results"]]


def isort_key(name: str) -> tuple[int, str]:
    """Order constants first, then classes, then functions and modules."""
    if name.isupper():
        return 0, name
    return (1 if name[0].isupper() else 2), name


def test_all_sorted_and_complete() -> None:
    """__all__ is sorted and names exactly the public attributes of the package."""
    # pytest imports the plugin submodule, which sets it as an attribute; the
    # package itself never imports it, because it needs pytest. pytest's
    # assertion rewriting may add names such as "@py_builtins", which are not
    # identifiers.
    public = {
        name
        for name in vars(testing)
        if name.isidentifier() and not name.startswith("_") and name != "pytest_plugin"
    }

    assert testing.__all__ == sorted(testing.__all__, key=isort_key)
    assert set(testing.__all__) == public


async def test_touch_member_moves_to_front(
    server: FakeServer, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """A touched member comes first in the default order, with the clock's time."""
    last = server.api.members[-1]
    before = await first_ids(session, server, limit=5)

    server.api.touch_member(last.membership_id)
    after = await first_ids(session, server, limit=5)

    assert before[0] != last.membership_id
    assert after[0] == last.membership_id
    assert last.updated_at.timestamp() == clock()


async def test_add_and_remove_member(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Added and removed members change the listing at once."""
    added = server.api.add_member()
    with_added = await first_ids(session, server, sortBy="CREATED", limit=1)
    server.api.remove_member(added.membership_id)
    without = await first_ids(session, server, sortBy="CREATED", limit=1)

    assert with_added == [added.membership_id]
    assert without != [added.membership_id]
    assert added.status == "LINKED"


async def test_add_member_duplicate_rejected(server: FakeServer) -> None:
    """Adding a member whose ids are taken raises ValueError."""
    existing = server.api.members[0]

    with pytest.raises(ValueError, match="membership_id"):
        server.api.add_member(existing)


async def test_remove_unknown_member(server: FakeServer) -> None:
    """Removing an unknown membership id raises KeyError."""
    with pytest.raises(KeyError, match="12345"):
        server.api.remove_member(12345)


async def test_update_member_rebuilds_listing(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """update_member changes a member and the sorted listing follows."""
    member = server.api.members[10]

    server.api.update_member(member.membership_id, followers=50_000_000, name="Top")
    top = await first_ids(session, server, sortBy="FOLLOWERS", limit=1)

    assert top == [member.membership_id]
    with pytest.raises(AttributeError, match="nickname"):
        server.api.update_member(member.membership_id, nickname="x")


async def test_hook_changes_members_between_pages(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A hook that touches a later member before page two shifts the scan."""
    server.api.max_page_size = 50
    before = await first_ids(session, server, limit=50)
    touched = before[30]

    def touch_once(request: web.Request) -> None:
        server.api.on_request.clear()
        server.api.touch_member(touched)

    server.api.on_request.append(touch_once)
    second_page = await first_ids(session, server, offset=25, limit=25)

    # The touched member jumped to the front, so the second page starts one
    # member early (repeating the first page's last member) and misses it.
    assert second_page[0] == before[24]
    assert touched not in second_page
    assert server.api.on_request == []


async def test_run_fake_api_rejects_api_and_options() -> None:
    """Passing an api and options together raises TypeError."""
    with pytest.raises(TypeError, match="either"):
        async with run_fake_api(testing.FakePartnerAPI(), limit=5):
            pass


async def test_run_fake_api_frees_port(session: aiohttp.ClientSession) -> None:
    """After the block the port refuses connections."""
    async with run_fake_api(members=seed_members(5)) as server:
        url = server.base_url + "/network/members"
        assert server.base_url.startswith("http://127.0.0.1:")

    with pytest.raises(aiohttp.ClientConnectionError):
        async with session.get(url):
            pass


async def test_serve_forever_until_cancelled(session: aiohttp.ClientSession) -> None:
    """serve_forever reports the server when ready and stops on cancellation."""
    ready: asyncio.Future[FakeServer] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve_forever(port=0, on_ready=ready.set_result))

    server = await ready
    async with session.get(server.base_url + "/network/members") as response:
        status = response.status
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    assert status == 200


def test_command_line_defaults() -> None:
    """The runner's options default to a local demo on port 8080."""
    arguments = build_parser().parse_args([])

    assert arguments.host == "127.0.0.1"
    assert arguments.port == 8080
    assert arguments.members == 200
    assert arguments.limit == 30
    assert arguments.window == 60.0


def test_command_line_help_names_units() -> None:
    """The help text gives the window's unit, seconds."""
    help_text = io.StringIO()
    build_parser().print_help(help_text)

    assert "seconds" in help_text.getvalue()

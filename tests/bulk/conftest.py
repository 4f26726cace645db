"""Fixtures for bulk scheduling tests: a fake API with known tracks and members."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import Client, RetryPolicy
from influenceplanner_async.testing import (
    FakePartnerAPI,
    FakeServer,
    run_fake_api,
    seed_members,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

USERNAME = "alice"
API_KEY = "ip-1234"
TRACKS = tuple(f"https://soundcloud.com/bulk/track-{index}" for index in range(6))


@pytest.fixture
def fake_api() -> FakePartnerAPI:
    """Return a fake with 30 members, six known tracks and a generous limit."""
    return FakePartnerAPI(members=seed_members(30, seed=3), tracks=TRACKS, limit=1000)


@pytest.fixture
def tracks() -> tuple[str, ...]:
    """Return the media URLs that the fake accepts."""
    return TRACKS


@pytest.fixture
def targets(fake_api: FakePartnerAPI) -> list[str]:
    """Return the user ids of the fake's members, sorted."""
    return sorted(member.user_id for member in fake_api.members)


@pytest.fixture
async def server(fake_api: FakePartnerAPI) -> AsyncIterator[FakeServer]:
    """Serve ``fake_api`` on 127.0.0.1 for one test."""
    async with run_fake_api(fake_api) as running:
        yield running


@pytest.fixture
async def client(server: FakeServer) -> AsyncIterator[Client]:
    """Return a client of the fake that retries without waiting."""
    async with Client(
        USERNAME,
        API_KEY,
        base_url=server.base_url,
        retry=RetryPolicy(initial_delay=0.0),
    ) as opened:
        yield opened

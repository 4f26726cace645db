"""Fixtures for the fake API's tests: a manual clock, a server and a session."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import aiohttp
import pytest

from influenceplanner_async.testing import (
    FakeServer,
    ManualClock,
    run_fake_api,
    seed_members,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

# The API documentation's example credentials, which the fake accepts by default.
ALICE_AUTHORIZATION = "Basic " + base64.b64encode(b"alice:ip-1234").decode()


@pytest.fixture
def authorization() -> str:
    """Return alice's ``Authorization`` header value."""
    return ALICE_AUTHORIZATION


@pytest.fixture
def clock() -> ManualClock:
    """Return a clock at the start of a 60-second window."""
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[FakeServer]:
    """Serve a fake with 300 members and a limit high enough to stay out of the way."""
    async with run_fake_api(
        members=seed_members(300), clock=clock, limit=10_000
    ) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Open a client session that authenticates as alice."""
    headers = {"Authorization": ALICE_AUTHORIZATION}
    async with aiohttp.ClientSession(headers=headers) as client:
        yield client

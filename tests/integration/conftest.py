"""Fixtures of the integration tests: a fake API on 127.0.0.1 and client builders."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from influenceplanner_async import Client, RetryPolicy, WindowLimiter
from influenceplanner_async.testing import FakeServer, run_fake_api, seed_members
from tests.integration.support import API_KEY, USERNAME

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from influenceplanner_async import Timeout
    from tests.integration.support import ClientFactory

LIBRARY_VARIABLES = (
    "INFLUENCEPLANNER_USERNAME",
    "INFLUENCEPLANNER_API_KEY",
    "INFLUENCEPLANNER_BASE_URL",
)


@pytest.fixture(autouse=True)
def clear_library_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the library's environment variables so no test reads real ones."""
    for name in LIBRARY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeServer]:
    """Serve 300 members with a limit that the tests never reach."""
    async with run_fake_api(members=seed_members(300), limit=10_000) as server:
        yield server


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """Build clients for a fake server or a base URL, with zero backoff.

    The clients are closed when the test ends.
    """
    clients: list[Client] = []

    def build(
        server: FakeServer | str,
        *,
        window: float = 60.0,
        margin: float = 0.05,
        api_key: str = API_KEY,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
        wall_clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> Client:
        # The limiter's window matches the fake's, which the limiter would
        # otherwise learn only after two windows.
        client = Client(
            USERNAME,
            api_key,
            base_url=server if isinstance(server, str) else server.base_url,
            limiter=WindowLimiter(window=window, margin=margin, wall_clock=wall_clock),
            retry=retry or RetryPolicy(initial_delay=0),
            timeout=timeout,
            **options,
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()

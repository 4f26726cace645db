"""Fixtures for the command's tests: a fake API served from a thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from influenceplanner_async.testing import (
    FakePartnerAPI,
    FakeServer,
    run_fake_api,
    seed_members,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

# The documented example credentials, which the fake accepts by default.
USERNAME = "alice"
API_KEY = "ip-1234"
ENV_NAMES = (
    "INFLUENCEPLANNER_USERNAME",
    "INFLUENCEPLANNER_API_KEY",
    "INFLUENCEPLANNER_BASE_URL",
)
# How long a test waits for the fake's thread to start or stop before failing.
THREAD_TIMEOUT_SECONDS = 10.0


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the library's environment variables, so that no test reads a real key."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def main_thread_loop() -> Iterator[None]:
    """Give the main thread a loop that the test closes.

    Before each test, looptime's plugin calls the policy's
    ``get_event_loop()``, which creates a loop when none is set. The
    command's ``asyncio.run`` then unsets that loop without closing it, and
    the leak fails the run as a ResourceWarning. Providing the loop here lets
    teardown close it.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@contextlib.contextmanager
def serve_in_thread(api: FakePartnerAPI) -> Iterator[FakeServer]:
    """Serve ``api`` on 127.0.0.1 from a thread with its own event loop.

    The command under test calls ``asyncio.run`` itself, so the fake cannot
    share the test's thread.
    """
    ready: concurrent.futures.Future[
        tuple[FakeServer, asyncio.AbstractEventLoop, asyncio.Event]
    ] = concurrent.futures.Future()

    async def serve() -> None:
        stop = asyncio.Event()
        try:
            async with run_fake_api(api) as server:
                ready.set_result((server, asyncio.get_running_loop(), stop))
                await stop.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
            raise

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    server, loop, stop = ready.result(timeout=THREAD_TIMEOUT_SECONDS)
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
        assert not thread.is_alive(), "The fake API's thread did not stop."


@pytest.fixture
def fake_api() -> FakePartnerAPI:
    """Return a fake with 60 members and a limit that no test reaches."""
    return FakePartnerAPI(members=seed_members(60, seed=1), limit=1000)


@pytest.fixture
def fake_server(fake_api: FakePartnerAPI) -> Iterator[FakeServer]:
    """Serve ``fake_api`` for one test."""
    with serve_in_thread(fake_api) as server:
        yield server


@pytest.fixture
def api_env(fake_server: FakeServer) -> dict[str, str]:
    """Return the environment variables that point the command at the fake."""
    return {
        "INFLUENCEPLANNER_USERNAME": USERNAME,
        "INFLUENCEPLANNER_API_KEY": API_KEY,
        "INFLUENCEPLANNER_BASE_URL": fake_server.base_url,
    }


@pytest.fixture
def runner() -> CliRunner:
    """Return a click test runner."""
    return CliRunner()


@pytest.fixture
def closed_port() -> int:
    """Return a 127.0.0.1 port that was free a moment ago and has no listener."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port

"""Fixtures for the cache's tests: a fake API and a private redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import attrs
import pytest

from influenceplanner_async.testing import (
    FakePartnerAPI,
    FakeServer,
    ManualClock,
    run_fake_api,
    seed_members,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

# The API documentation's example credentials, which the fake accepts, and a
# second account for tests that keep accounts apart.
USERNAME = "alice"
API_KEY = "ip-1234"
OTHER_USERNAME = "bob"
OTHER_API_KEY = "ip-5678"
# How long redis-server gets to accept connections or to stop.
REDIS_START_TIMEOUT = 10.0


@pytest.fixture
def clock() -> ManualClock:
    """Return a clock that the cache and the fake share and only tests move."""
    return ManualClock()


@pytest.fixture
def fake_api(clock: ManualClock) -> FakePartnerAPI:
    """Return a fake with 100 members, two accounts and a limit no test reaches."""
    return FakePartnerAPI(
        members=seed_members(100, seed=3),
        credentials={USERNAME: API_KEY, OTHER_USERNAME: OTHER_API_KEY},
        clock=clock,
        limit=10_000,
    )


@pytest.fixture
async def server(fake_api: FakePartnerAPI) -> AsyncIterator[FakeServer]:
    """Serve the fake on 127.0.0.1 for one test."""
    async with run_fake_api(fake_api) as running:
        yield running


def free_port() -> int:
    """Return a 127.0.0.1 port that had no listener a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@attrs.define
class RedisServer:
    """A redis-server process that a test owns, on a loopback port."""

    binary: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server without persistence and wait until it replies to PING."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while not self._answers_ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server did not start on port {self.port}")
            # Poll for readiness; the server usually replies within 50 ms.
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server if it runs, and wait for the process to end."""
        if self.process is None:
            return
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout=REDIS_START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """Run a private redis-server on a free loopback port, or skip without one."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            "redis-server is not installed; install it (apt-get install "
            "redis-server) to run the Redis store's tests"
        )
    server = RedisServer(binary=binary, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""Fixtures and plugins shared by every test folder."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from tests.redis_server import RedisServer, running_redis_server

if TYPE_CHECKING:
    from collections.abc import Iterator

# pytester runs pytest on generated test files, which is how the tests of the
# package's pytest plugin use it as a user's project would.
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def main_thread_loop() -> Iterator[None]:
    """Give the main thread a loop that the test closes.

    Before each test, looptime's plugin calls the policy's
    ``get_event_loop()``, which creates a loop when none is set. The next
    async test, a command's ``asyncio.run`` or an inner pytest run unsets that
    loop without closing it, and the leak shows up as a ResourceWarning.
    Providing the loop here lets teardown close it.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """Run a private ``redis-server`` on a free loopback port for one test.

    The test may stop and start it again; it keeps its port. Skips the test
    when ``redis-server`` is not installed.
    """
    yield from running_redis_server()

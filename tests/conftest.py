"""Fixtures shared by every test folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.redis_server import RedisServer, running_redis_server

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """Run a private ``redis-server`` on a free loopback port for one test.

    The test may stop and start it again; it keeps its port. Skips the test
    when ``redis-server`` is not installed.
    """
    yield from running_redis_server()

"""Fixtures for the plugin's tests, which run pytest inside pytest."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def main_thread_loop() -> Iterator[None]:
    """Give the main thread a loop that the test closes.

    Before each test, looptime's plugin calls the policy's
    ``get_event_loop()``, which creates a loop when none is set, and the
    inner pytest run's asyncio plugin later unsets it without closing it.
    Providing the loop here lets teardown close it.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()

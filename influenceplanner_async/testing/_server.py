"""Running the fake API on a local TCP port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from influenceplanner_async.testing._api import FakePartnerAPI
from influenceplanner_async.testing._paths import BASE_PATH

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

__all__ = ["FakeServer", "run_fake_api", "serve_forever"]

logger = logging.getLogger("influenceplanner_async.testing")

DEFAULT_HOST = "127.0.0.1"
# Open connections get this long to finish when the server stops, so that a
# test's teardown never waits on a client that keeps its connection alive.
_SHUTDOWN_TIMEOUT_SECONDS = 0.5


@attrs.frozen(kw_only=True)
class FakeServer:
    """A running fake: where it listens and the API object that it serves."""

    api: FakePartnerAPI
    host: str
    port: int

    @property
    def base_url(self) -> str:
        """The API's base URL, such as ``http://127.0.0.1:8080/partner/v1``."""
        return f"http://{self.host}:{self.port}{BASE_PATH}"


@contextlib.asynccontextmanager
async def run_fake_api(
    api: FakePartnerAPI | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    **options: Any,
) -> AsyncIterator[FakeServer]:
    """Serve a fake API for the duration of an ``async with`` block.

    Args:
        api: The fake to serve. ``None`` builds ``FakePartnerAPI(**options)``.
        host: Address to bind.
        port: Port to bind; 0 picks a free one.
        **options: Keyword arguments of ``FakePartnerAPI``, used when ``api``
            is ``None``.

    Yields:
        The running server; ``base_url`` is where clients send requests.

    Raises:
        TypeError: If both ``api`` and ``options`` are given.
    """
    if api is not None and options:
        message = "Pass either api or FakePartnerAPI options, not both."
        raise TypeError(message)
    if api is None:
        api = FakePartnerAPI(**options)

    runner = web.AppRunner(
        api.make_app(), access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_SECONDS
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = _bound_port(runner)
        logger.debug("Fake Partner API listening on %s:%d", host, bound_port)
        yield FakeServer(api=api, host=host, port=bound_port)
    finally:
        await runner.cleanup()
        logger.debug("Fake Partner API on %s stopped", host)


async def serve_forever(
    api: FakePartnerAPI | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = 8080,
    on_ready: Callable[[FakeServer], None] | None = None,
) -> None:
    """Serve a fake API until the task is cancelled.

    Args:
        api: The fake to serve; ``None`` builds one with the defaults.
        host: Address to bind.
        port: Port to bind; 0 picks a free one.
        on_ready: Called with the running server once it listens, for example
            to print its base URL.
    """
    async with run_fake_api(api, host=host, port=port) as server:
        if on_ready is not None:
            on_ready(server)
        await asyncio.Event().wait()


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    message = "The fake API's server is not bound to a TCP port."
    raise RuntimeError(message)

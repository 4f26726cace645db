"""The fake API served from a background thread, with a thread-safe handle.

A test's event loop, or a command that calls ``asyncio.run`` itself, cannot
share a loop with a server that must outlive it, so the fake gets a thread
and a loop of its own. Every method of the handle that reads or changes the
fake runs on that loop, so it never races a request being served.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any, Self, TypeVar

from influenceplanner_async._client import Client
from influenceplanner_async._ratelimit import WindowLimiter
from influenceplanner_async.testing._api import FakePartnerAPI
from influenceplanner_async.testing._members import seed_members
from influenceplanner_async.testing._network import MemberNetwork
from influenceplanner_async.testing._server import FakeServer, run_fake_api

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from influenceplanner_async.testing._faults import Fault
    from influenceplanner_async.testing._members import FakeMember
    from influenceplanner_async.testing._records import (
        CreatedSchedule,
        ReceivedRequest,
    )

__all__ = ["ThreadedFakeAPI"]

T = TypeVar("T")

# How long start, stop and each control call wait for the server's thread.
THREAD_TIMEOUT_SECONDS = 10.0


class ThreadedFakeAPI:
    """A :class:`FakePartnerAPI` served on 127.0.0.1 from a background thread.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with ThreadedFakeAPI(limit=30, window_seconds=3.0) as fake:
            fake.push_fault(faults.status(503))
            ...  # point a Client or a command at fake.base_url
            assert fake.requests[0].status == 503

    Args:
        api: The fake to serve; ``None`` builds ``FakePartnerAPI(**options)``.
        **options: Keyword arguments of ``FakePartnerAPI`` when ``api`` is
            ``None``, such as ``limit``, ``window_seconds`` or ``members``.

    Raises:
        TypeError: If both ``api`` and ``options`` are given.
    """

    def __init__(self, api: FakePartnerAPI | None = None, **options: Any) -> None:
        if api is not None and options:
            message = "Pass either api or FakePartnerAPI options, not both."
            raise TypeError(message)
        self._api = FakePartnerAPI(**options) if api is None else api
        self._server: FakeServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> Self:
        """Start serving and return once the server listens.

        Raises:
            RuntimeError: The fake is already running.
            OSError: The server could not bind its port.
        """
        if self._thread is not None:
            message = "This ThreadedFakeAPI is already running."
            raise RuntimeError(message)
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve(ready),),
            name="influenceplanner-fake-api",
            daemon=True,
        )
        self._thread.start()
        try:
            ready.result(timeout=THREAD_TIMEOUT_SECONDS)
        except BaseException:
            self._thread.join(timeout=THREAD_TIMEOUT_SECONDS)
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread to end. Safe to repeat."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
        self._server = self._loop = self._stop = None
        if thread.is_alive():
            message = "The fake API's thread did not stop in time."
            raise RuntimeError(message)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            async with run_fake_api(self._api) as server:
                self._server = server
                self._loop = asyncio.get_running_loop()
                self._stop = asyncio.Event()
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as error:
            if not ready.done():
                ready.set_exception(error)
                return
            raise

    # -- connection details -------------------------------------------------

    @property
    def api(self) -> FakePartnerAPI:
        """The fake itself. Change it through :meth:`call` while it runs."""
        return self._api

    @property
    def base_url(self) -> str:
        """The base URL to send requests to, such as ``http://127.0.0.1:PORT/partner/v1``.

        Raises:
            RuntimeError: The fake is not running.
        """
        return self._running_server().base_url

    @property
    def username(self) -> str:
        """A username that the fake accepts (its first credential)."""
        return next(iter(self._api.credentials))

    @property
    def api_key(self) -> str:
        """The API key of :attr:`username`."""
        return self._api.credentials[self.username]

    @property
    def env(self) -> dict[str, str]:
        """The ``INFLUENCEPLANNER_*`` variables that ``Client.from_env`` reads."""
        return {
            "INFLUENCEPLANNER_BASE_URL": self.base_url,
            "INFLUENCEPLANNER_USERNAME": self.username,
            "INFLUENCEPLANNER_API_KEY": self.api_key,
        }

    def client(self, **options: Any) -> Client:
        """Build a :class:`Client` for the fake; the caller closes it.

        The client's limiter uses the fake's window length unless ``options``
        gives a ``limiter``. Other options go to the ``Client`` constructor.
        """
        options.setdefault("limiter", WindowLimiter(window=self._api.window_seconds))
        return Client(self.username, self.api_key, base_url=self.base_url, **options)

    # -- control ------------------------------------------------------------

    def call(self, function: Callable[[FakePartnerAPI], T]) -> T:
        """Run ``function(api)`` on the server's loop and return its result.

        Between two requests the fake is never half changed, so a test may
        change anything on it this way while clients are sending requests.

        Raises:
            RuntimeError: The fake is not running.
        """
        self._running_server()
        assert self._loop is not None

        async def run() -> T:
            return function(self._api)

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(timeout=THREAD_TIMEOUT_SECONDS)

    def seed_members(
        self, count: int, *, seed: int = 0, include_reference_examples: bool = True
    ) -> list[FakeMember]:
        """Replace the network with ``count`` generated members and return them.

        The members are those of :func:`seed_members` for the same arguments.
        """
        members = seed_members(
            count, seed=seed, include_reference_examples=include_reference_examples
        )

        def replace(api: FakePartnerAPI) -> list[FakeMember]:
            api.network = MemberNetwork(members, ensure_ascii=api.ensure_ascii)
            return api.members

        return self.call(replace)

    def add_member(self, member: FakeMember | None = None) -> FakeMember:
        """Add ``member``, or a new LINKED member, and return it."""
        return self.call(lambda api: api.add_member(member))

    def push_fault(
        self,
        fault: Fault,
        times: int = 1,
        *,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests.

        ``path`` and ``method`` restrict the requests that get it, as in
        ``FaultQueue.push``.
        """
        self.call(lambda api: api.faults.push(fault, times, path=path, method=method))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self.call(lambda api: api.faults.clear())

    @property
    def members(self) -> list[FakeMember]:
        """The network's members in ascending membership id order (a copy)."""
        return self.call(lambda api: api.members)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received so far, oldest first (a copy)."""
        return self.call(lambda api: list(api.requests))

    @property
    def schedules(self) -> list[CreatedSchedule]:
        """Every schedule created so far, oldest first (a copy)."""
        return self.call(lambda api: list(api.schedules))

    def _running_server(self) -> FakeServer:
        if self._server is None:
            message = "The fake API is not running; call start() first."
            raise RuntimeError(message)
        return self._server

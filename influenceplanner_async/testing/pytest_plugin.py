"""pytest fixtures that serve the fake Partner API to a user's tests.

Installing the package registers this module with pytest (``pytest11`` entry
point), so the fixtures need no import:

* ``influenceplanner_fake_api``: a running :class:`ThreadedFakeAPI` with its
  base URL, credentials and control methods.
* ``influenceplanner_env``: the ``INFLUENCEPLANNER_*`` variables set for the
  fake, for code that calls ``Client.from_env``.
* ``influenceplanner_client``: an open ``Client`` for the fake, closed after
  the test. It needs pytest-asyncio and exists only when that is installed.

Mark a test with ``@pytest.mark.influenceplanner_fake_api(**options)`` to
pass ``FakePartnerAPI`` options, such as ``limit=5`` or ``window_seconds=1``.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async.testing._threaded import ThreadedFakeAPI

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from influenceplanner_async import Client

__all__ = [
    "influenceplanner_env",
    "influenceplanner_fake_api",
    "pytest_configure",
]

MARKER = "influenceplanner_fake_api"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that configures the fake."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): FakePartnerAPI options for the {MARKER} fixture",
    )


@pytest.fixture
def influenceplanner_fake_api(
    request: pytest.FixtureRequest,
) -> Iterator[ThreadedFakeAPI]:
    """Serve a fake Partner API on 127.0.0.1 for one test."""
    marker = request.node.get_closest_marker(MARKER)
    options = dict(marker.kwargs) if marker is not None else {}
    with ThreadedFakeAPI(**options) as fake:
        yield fake


@pytest.fixture
def influenceplanner_env(
    influenceplanner_fake_api: ThreadedFakeAPI, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Point the ``INFLUENCEPLANNER_*`` variables at the fake and return them."""
    env = influenceplanner_fake_api.env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def influenceplanner_client(
        influenceplanner_fake_api: ThreadedFakeAPI,
    ) -> AsyncIterator[Client]:
        """Open a ``Client`` for the fake and close it after the test."""
        async with influenceplanner_fake_api.client() as client:
            yield client

    __all__ += ["influenceplanner_client"]

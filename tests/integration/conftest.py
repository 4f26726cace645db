"""Fixtures for tests that run the client against the fake API over 127.0.0.1."""

from __future__ import annotations

import pytest

from influenceplanner_async import Client, RetryPolicy, WindowLimiter

# The API documentation's example credentials, which the fake accepts by default.
USERNAME = "alice"
API_KEY = "ip-1234"

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


def make_client(
    base_url: str, *, window: float = 60.0, max_page_size: int = 25
) -> Client:
    """Build a client for the fake with zero retry backoff and a small margin."""
    return Client(
        USERNAME,
        API_KEY,
        base_url=base_url,
        limiter=WindowLimiter(window=window, margin=0.01),
        retry=RetryPolicy(initial_delay=0.0),
        max_page_size=max_page_size,
    )

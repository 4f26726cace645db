"""A client builder for the member-scan tests."""

from __future__ import annotations

from influenceplanner_async import Client, RetryPolicy, WindowLimiter
from tests.integration.support import API_KEY, USERNAME


def make_client(
    base_url: str, *, window: float = 60.0, max_page_size: int = 25
) -> Client:
    """Build a client for the fake with zero retry backoff and a small margin.

    The caller closes it, usually with ``async with``.
    """
    return Client(
        USERNAME,
        API_KEY,
        base_url=base_url,
        limiter=WindowLimiter(window=window, margin=0.01),
        retry=RetryPolicy(initial_delay=0.0),
        max_page_size=max_page_size,
    )

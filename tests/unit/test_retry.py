"""Tests of the retry decisions of one call."""

from __future__ import annotations

import random

import pytest

from influenceplanner_async import (
    APIConnectionError,
    BadRequestError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from influenceplanner_async._retry import RetryState

URL = "https://api.test.invalid/partner/v1/network/members"


def server_error(method: str, retry_after: float | None = None) -> ServerError:
    return ServerError(
        status=503, method=method, url=URL, message="busy", retry_after=retry_after
    )


def test_retry_after_replaces_backoff() -> None:
    """A 5xx with Retry-After waits exactly that long."""
    state = RetryState(RetryPolicy(initial_delay=0.5))

    delay = state.next_delay(server_error("GET", 3.0), "GET", random.Random(1))

    assert delay == 3.0


def test_backoff_full_jitter_bounds() -> None:
    """Backoff delays stay within the doubling ceiling of full jitter."""
    policy = RetryPolicy(initial_delay=1.0, max_delay=4.0, max_attempts=10)
    state = RetryState(policy)
    rng = random.Random(7)

    delays = [state.next_delay(server_error("GET"), "GET", rng) for _ in range(5)]

    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert delay is not None
        assert 0.0 <= delay <= ceiling


def test_post_5xx_not_retried_by_default() -> None:
    """A POST that got a 5xx may have been processed, so it is not resent."""
    state = RetryState(RetryPolicy())

    assert state.next_delay(server_error("POST"), "POST", random.Random()) is None


def test_post_5xx_retried_when_unsafe_allowed() -> None:
    """retry_unsafe opts a POST into resending after a 5xx."""
    state = RetryState(RetryPolicy(retry_unsafe=True, initial_delay=0.0))

    assert state.next_delay(server_error("POST"), "POST", random.Random()) == 0.0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unsent_request_retried(method: str) -> None:
    """A connection that never opened is retried for every method."""
    state = RetryState(RetryPolicy(initial_delay=0.0))
    error = APIConnectionError("refused", method=method, url=URL, request_sent=False)

    assert state.next_delay(error, method, random.Random()) == 0.0


def test_rate_limit_retries_capped() -> None:
    """429 resends stop after max_rate_limit_retries."""
    state = RetryState(RetryPolicy(max_rate_limit_retries=2))
    error = RateLimitError(status=429, method="GET", url=URL, message="slow down")

    results = [state.next_delay(error, "GET", random.Random()) for _ in range(3)]

    assert results == [0.0, 0.0, None]


def test_max_attempts_counts_first_try() -> None:
    """max_attempts=3 allows two retries."""
    state = RetryState(RetryPolicy(max_attempts=3, initial_delay=0.0))
    error = server_error("GET")

    results = [state.next_delay(error, "GET", random.Random()) for _ in range(3)]

    assert results == [0.0, 0.0, None]


def test_max_total_delay_stops_retries() -> None:
    """Retries stop once the summed delays would pass max_total_delay."""
    state = RetryState(RetryPolicy(max_attempts=10, max_total_delay=5.0))

    first = state.next_delay(server_error("GET", 4.0), "GET", random.Random())
    second = state.next_delay(server_error("GET", 4.0), "GET", random.Random())

    assert first == 4.0
    assert second is None


def test_client_errors_not_retried() -> None:
    """A 400 is the caller's to fix and is never retried."""
    state = RetryState(RetryPolicy())
    error = BadRequestError(status=400, method="GET", url=URL, message="bad")

    assert state.next_delay(error, "GET", random.Random()) is None

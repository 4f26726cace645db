"""Retry decisions for one call, following a :class:`RetryPolicy`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import APIConnectionError, APIStatusError, RateLimitError, ServerError

if TYPE_CHECKING:
    import random

    from ._config import RetryPolicy

__all__ = ["RetryState", "describe_failure"]


class RetryState:
    """Counts the attempts of one call and decides whether to retry."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.failures = 0
        self.rate_limited = 0
        self.total_delay = 0.0

    def next_delay(
        self, error: Exception, method: str, rng: random.Random
    ) -> float | None:
        """Return the delay before the next attempt, or ``None`` to give up."""
        # 1. A 429 was not processed: resend after the limiter's gate opens.
        if isinstance(error, RateLimitError):
            self.rate_limited += 1
            if self.rate_limited > self.policy.max_rate_limit_retries:
                return None
            return 0.0
        # 2. The connection never opened: nothing reached the server.
        if isinstance(error, APIConnectionError) and not error.request_sent:
            return self._backoff(rng)
        # 3. A 5xx or a lost response: safe to resend only for GET.
        retryable = isinstance(error, ServerError | APIConnectionError)
        if not retryable:
            return None
        if method != "GET" and not self.policy.retry_unsafe:
            return None
        retry_after = error.retry_after if isinstance(error, APIStatusError) else None
        return self._backoff(rng, retry_after)

    def _backoff(
        self, rng: random.Random, retry_after: float | None = None
    ) -> float | None:
        self.failures += 1
        if self.failures >= self.policy.max_attempts:
            return None
        if retry_after is not None:
            # The server's Retry-After replaces the computed backoff.
            delay = retry_after
        else:
            delay = self.policy.backoff(self.failures, rng)
        if self.total_delay + delay > self.policy.max_total_delay:
            return None
        self.total_delay += delay
        return delay


def describe_failure(error: Exception) -> str:
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status}"
    return type(error).__name__

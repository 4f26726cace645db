"""Fixed-window rate limiter of the fake API.

Theory of operation: time on the injected epoch clock is cut into windows of
``window_seconds``, aligned to multiples of ``window_seconds`` plus an optional
phase. Each key (a username, or ``None`` for unauthenticated requests) has one
counter per window, shared by every connection that uses those credentials.
Every request is counted when it arrives. Once a request would take the count
past the limit, the window is blocked: that request and every later one until
the window ends are rejected with 429. The Partner API documentation states
that the API "stops processing any requests from your app for the remainder
of the current 60-second period". Whether rejected requests add to the count
is configurable. That choice changes only ``X-RateLimit-Remaining`` and the
statistics, never the decisions, because a blocked window stays blocked.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import attrs

__all__ = ["FixedWindowLimiter", "WindowDecision", "WindowStats"]


class WindowStats(NamedTuple):
    """Counts of one key's requests in one window."""

    window_start: float
    accepted: int
    rejected: int


@attrs.frozen(kw_only=True)
class WindowDecision:
    """Outcome of counting one request, with the values for its headers."""

    is_allowed: bool
    limit: int
    remaining: int
    window_start: float
    reset: float


@attrs.define
class _Window:
    start: float
    count: int = 0
    accepted: int = 0
    rejected: int = 0
    is_blocked: bool = False


class FixedWindowLimiter:
    """Per-key fixed-window counters with statistics for every window seen."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        window_phase: float = 0.0,
        count_rejected: bool = True,
    ) -> None:
        if window_seconds <= 0:
            message = f"window_seconds must be positive, got {window_seconds!r}."
            raise ValueError(message)
        self.limit = _check_limit(limit)
        self.window_seconds = window_seconds
        self.window_phase = window_phase
        self.count_rejected = count_rejected
        self._windows: dict[str | None, list[_Window]] = {}

    def set_limit(self, limit: int) -> None:
        """Change the limit from the next request on.

        A window that is already blocked stays blocked until it ends.
        """
        self.limit = _check_limit(limit)

    def window_start(self, now: float) -> float:
        """Return the start of the window that contains ``now`` (epoch seconds)."""
        index = math.floor((now - self.window_phase) / self.window_seconds)
        return index * self.window_seconds + self.window_phase

    def count(self, key: str | None, now: float) -> WindowDecision:
        """Count one request of ``key`` arriving at ``now`` and decide on it."""
        window = self._current(key, now)
        is_allowed = not window.is_blocked and window.count + 1 <= self.limit

        if is_allowed:
            window.count += 1
            window.accepted += 1
        else:
            window.is_blocked = True
            window.rejected += 1
            if self.count_rejected:
                window.count += 1

        return self._decision(window, is_allowed=is_allowed)

    def peek(self, key: str | None, now: float) -> WindowDecision:
        """Return the header values for ``key`` at ``now`` without counting."""
        window = self._current(key, now)
        return self._decision(window, is_allowed=not window.is_blocked)

    def stats(self) -> dict[str | None, list[WindowStats]]:
        """Return per-key statistics, oldest window first."""
        return {
            key: [WindowStats(w.start, w.accepted, w.rejected) for w in windows]
            for key, windows in self._windows.items()
        }

    def _current(self, key: str | None, now: float) -> _Window:
        start = self.window_start(now)
        windows = self._windows.setdefault(key, [])
        # A clock that goes backwards is served from an older window, which the
        # list lookup handles, though tests normally only move time forward.
        if windows and windows[-1].start == start:
            return windows[-1]
        for window in windows:
            if window.start == start:
                return window
        window = _Window(start)
        windows.append(window)
        windows.sort(key=lambda item: item.start)
        return window

    def _decision(self, window: _Window, *, is_allowed: bool) -> WindowDecision:
        return WindowDecision(
            is_allowed=is_allowed,
            limit=self.limit,
            remaining=max(0, self.limit - window.count),
            window_start=window.start,
            reset=window.start + self.window_seconds,
        )


def _check_limit(limit: int) -> int:
    if limit < 0:
        message = f"limit must be at least 0, got {limit!r}."
        raise ValueError(message)
    return limit

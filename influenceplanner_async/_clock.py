"""The server's clock as seen from this host, corrected from ``Date`` headers."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ServerClock"]


class ServerClock:
    """Offset of the server's clock from this host's, learned from ``Date``.

    ``Date`` has one-second resolution, so the server's clock lies in
    ``[date, date + 1)`` between the request's departure and the response's
    arrival. The offset is applied only when 0 lies outside the intersection
    of those intervals, taking the bound that delays.
    """

    def __init__(self, wall_clock: Callable[[], float] = time.time) -> None:
        self._wall_clock = wall_clock
        self._low = -math.inf
        self._high = math.inf

    def learn(self, server_date: float | None, sent_at: float | None) -> None:
        """Narrow the offset with one response's ``Date`` (epoch seconds).

        ``sent_at`` is the local epoch time at which the request left.
        """
        if server_date is None:
            return
        local = self._wall_clock()
        departed = local if sent_at is None else min(sent_at, local)
        low, high = server_date - local, server_date + 1.0 - departed
        if low > self._high or high < self._low:
            # The clocks jumped: start again from this sample.
            self._low, self._high = low, high
            return
        self._low = max(self._low, low)
        self._high = min(self._high, high)

    def offset(self) -> float:
        """Return the seconds to add to the local clock, 0 unless proven off."""
        if self._low > 0 or self._high < 0:
            return self._low
        return 0.0

    def server_now(self) -> float:
        """Return the current time on the server's clock, in epoch seconds."""
        low = self._low
        if low > 0 or self._high < 0:
            return self._wall_clock() + low
        return self._wall_clock()

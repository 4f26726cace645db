"""A clock that tests move by hand."""

from __future__ import annotations

__all__ = ["ManualClock"]

# 2025-10-09T08:54:00Z: a whole multiple of 60, 10 and 3 seconds, so windows
# of those lengths start exactly at the clock's start. It is later than every
# generated member's dates, so a touched member sorts as the newest.
DEFAULT_START = 1_760_000_040.0


class ManualClock:
    """An epoch-seconds clock that moves only when a test advances or sets it.

    Pass it as ``FakePartnerAPI(clock=...)`` so that window tests advance time
    instead of sleeping.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` and return the new time."""
        if seconds < 0:
            message = f"seconds must not be negative, got {seconds!r}."
            raise ValueError(message)
        self.now += seconds
        return self.now

    def set(self, now: float) -> None:
        """Set the clock to ``now`` (epoch seconds)."""
        self.now = now

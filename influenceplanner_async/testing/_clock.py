"""A clock that tests move by hand."""

from __future__ import annotations

__all__ = ["ManualClock"]

# 2023-11-14T22:14:00Z: a whole multiple of 60, 10 and 3 seconds, so windows
# of those lengths start exactly at the clock's start.
DEFAULT_START = 1_700_000_040.0


class ManualClock:
    """An epoch-seconds clock that only moves when told to.

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

"""What a full scan of the member listing costs: pages, windows and time."""

from __future__ import annotations

import math

import attrs

__all__ = ["ScanEstimate", "estimate_scan_cost"]


@attrs.frozen(kw_only=True)
class ScanEstimate:
    """Cost of reading a listing, estimated before the scan.

    Attributes:
        members: Members in the listing (``totalElements``).
        page_size: Members requested per page.
        pages: Requests that the scan needs if the list does not change.
        windows: Rate-limit windows that those requests touch, the current
            one included.
        seconds: Estimated time spent waiting for budget. It leaves out the
            time the server takes to answer, so a slow server makes the scan
            longer than this.
        limit: Requests per window that the estimate assumes.
        window: Window length in seconds that the estimate assumes.
    """

    members: int
    page_size: int
    pages: int
    windows: int
    seconds: float
    limit: int
    window: float

    def describe(self) -> str:
        """Return a one-line summary, such as for a command's output."""
        plural = "" if self.members == 1 else "s"
        pages = "page" if self.pages == 1 else "pages"
        windows = "window" if self.windows == 1 else "windows"
        return (
            f"{self.members:,} member{plural} in {self.pages:,} {pages} of "
            f"{self.page_size}, over {self.windows:,} rate-limit {windows}: about "
            f"{format_duration(self.seconds)} at {self.limit} requests per "
            f"{self.window:g} s"
        )


def estimate_scan_cost(
    members: int,
    *,
    page_size: int,
    limit: int,
    window: float,
    stable: bool = False,
    remaining: int | None = None,
    seconds_to_reset: float | None = None,
) -> ScanEstimate:
    """Estimate the pages, windows and waiting time of a scan.

    Args:
        members: Members in the listing.
        page_size: Members per page.
        limit: Requests per window.
        window: Window length in seconds.
        stable: Whether the scan re-reads one member per page to check its
            position, as a stable scan does.
        remaining: Requests left in the current window; ``None`` assumes a
            fresh window.
        seconds_to_reset: Seconds until the current window ends; used only
            with ``remaining``.
    """
    pages = count_pages(members, page_size=page_size, stable=stable)
    budget_now = limit if remaining is None else max(remaining, 0)
    later = max(pages - budget_now, 0)
    # Integer division throughout: totalElements comes from the server and
    # may exceed what a float holds.
    windows = 1 + -(-later // limit) if limit > 0 else 1
    seconds = 0.0
    if later:
        # The first request past the current budget waits for this window
        # to end, and each further window adds its whole length.
        first_wait = window
        if remaining is not None and seconds_to_reset is not None:
            first_wait = max(seconds_to_reset, 0.0)
        try:
            seconds = first_wait + (windows - 2) * window
        except OverflowError:
            seconds = math.inf
    return ScanEstimate(
        members=members,
        page_size=page_size,
        pages=pages,
        windows=windows,
        seconds=seconds,
        limit=limit,
        window=window,
    )


def count_pages(members: int, *, page_size: int, stable: bool = False) -> int:
    """Return the requests that a scan of ``members`` needs, at least 1.

    A stable scan's pages after the first start one member early, so each
    brings ``page_size - 1`` members not read before.
    """
    if members <= page_size:
        return 1
    if not stable or page_size < 2:
        return -(-members // page_size)
    return 1 + -(-(members - page_size) // (page_size - 1))


def format_duration(seconds: float) -> str:
    """Format seconds as ``2 h 05 min``, ``3 min 20 s`` or ``12 s``."""
    if not math.isfinite(seconds):
        return "an unbounded time"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"

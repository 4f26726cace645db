"""Rate-limit and Date header values of the fake API.

The Partner API documentation only calls ``X-RateLimit-Reset`` "a timestamp
value", so the fake can send it in each of the forms a client may meet.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal, get_args

__all__ = ["RESET_FORMATS", "ResetFormat", "format_http_date", "format_reset"]

ResetFormat = Literal["epoch", "epoch_float", "epoch_ms", "delta", "http_date", "iso"]
RESET_FORMATS: tuple[ResetFormat, ...] = get_args(ResetFormat)


def check_reset_format(value: str) -> ResetFormat:
    """Return ``value`` as a ``ResetFormat``.

    Raises:
        ValueError: If it is not one of ``RESET_FORMATS``.
    """
    for known in RESET_FORMATS:
        if value == known:
            return known
    message = f"reset_format must be one of {RESET_FORMATS!r}, got {value!r}."
    raise ValueError(message)


def format_http_date(epoch_seconds: float) -> str:
    """Format an instant as an HTTP-date (IMF-fixdate), truncated to seconds."""
    moment = datetime.fromtimestamp(math.floor(epoch_seconds), UTC)
    return format_datetime(moment, usegmt=True)


def format_reset(reset: float, *, now: float, reset_format: ResetFormat) -> str:
    """Format the instant ``reset`` (epoch seconds) for ``X-RateLimit-Reset``.

    Args:
        reset: Instant at which the next window begins.
        now: Current instant, used by the ``delta`` form.
        reset_format: ``epoch`` sends whole seconds when the boundary is a
            whole second and a fraction otherwise; ``epoch_float`` always sends
            a fraction; ``epoch_ms`` sends whole milliseconds; ``delta`` sends
            the seconds from ``now`` until the reset; ``http_date`` sends an
            IMF-fixdate rounded up to the next whole second, so that a client
            never waits too little; ``iso`` sends ISO 8601 UTC with a ``Z``.
    """
    if reset_format == "epoch":
        return _format_seconds(reset)
    if reset_format == "epoch_float":
        return repr(float(round(reset, 3)))
    if reset_format == "epoch_ms":
        return str(round(reset * 1000))
    if reset_format == "delta":
        return _format_seconds(max(0.0, reset - now))
    if reset_format == "http_date":
        return format_http_date(math.ceil(reset))
    return _format_iso(reset)


def _format_seconds(seconds: float) -> str:
    rounded = round(seconds, 3)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.3f}".rstrip("0")


def _format_iso(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(round(epoch_seconds, 3), UTC)
    timespec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"

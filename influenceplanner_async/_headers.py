"""Parsing of the rate-limit, ``Retry-After`` and ``Date`` response headers.

The Partner API documents ``X-RateLimit-Reset`` only as "a timestamp value
indicating when the next 60-second period begins". The parser therefore
accepts every common form and distinguishes them by magnitude:

* a number above 10^11 is epoch milliseconds (10^11 seconds is past 5000 AD);
* a number above 10^9 is epoch seconds (10^9 seconds is September 2001);
* a smaller number is seconds until the reset;
* anything else is tried as an HTTP-date, then as ISO 8601.

These functions do no I/O and read no clock: the caller passes "now".
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "RateLimitHeaders",
    "ResponseHeaders",
    "parse_date",
    "parse_rate_limit_headers",
    "parse_reset",
    "parse_response_headers",
    "parse_retry_after",
]

_EPOCH_MS_THRESHOLD = 1e11
_EPOCH_S_THRESHOLD = 1e9


@attrs.frozen
class RateLimitHeaders:
    """The three ``X-RateLimit-*`` values of one response.

    ``reset`` is epoch seconds on the server's clock, or ``None`` when the
    header was missing or unreadable. ``reset_jitter`` bounds how much
    ``reset`` can differ between responses of one window: 1 s for a whole
    number of seconds until the reset, 0 for an absolute timestamp.
    """

    limit: int | None
    remaining: int | None
    reset: float | None
    reset_jitter: float = 0.0


@attrs.frozen
class ResponseHeaders:
    """Rate-limit, ``Date`` and ``Retry-After`` values of one response.

    ``server_date`` is the ``Date`` header in epoch seconds and
    ``retry_after`` the ``Retry-After`` header in seconds, each ``None``
    when missing or unreadable.
    """

    rate_limit: RateLimitHeaders | None
    server_date: float | None
    retry_after: float | None


def parse_response_headers(
    headers: Mapping[str, str], *, server_now: float
) -> ResponseHeaders:
    """Read the rate-limit, ``Date`` and ``Retry-After`` headers of a response.

    Args:
        headers: Response headers, looked up case-insensitively.
        server_now: Epoch seconds on the server's clock, for a reset given as
            seconds until the reset and a ``Retry-After`` given as a date.
    """
    get = headers.get
    return ResponseHeaders(
        parse_rate_limit_headers(headers, server_now=server_now),
        parse_date(get("Date")),
        parse_retry_after(get("Retry-After"), now=server_now),
    )


def parse_rate_limit_headers(
    headers: Mapping[str, str], *, server_now: float
) -> RateLimitHeaders | None:
    """Read the rate-limit headers, or return ``None`` when none is present.

    Args:
        headers: Response headers, looked up case-insensitively by the caller's
            mapping (aiohttp's ``CIMultiDictProxy`` is).
        server_now: Epoch seconds on the server's clock when the response was
            sent, used for a reset given as seconds until the reset.
    """
    get = headers.get
    limit_text = get("X-RateLimit-Limit")
    remaining_text = get("X-RateLimit-Remaining")
    reset_text = get("X-RateLimit-Reset")
    if limit_text is None and remaining_text is None and reset_text is None:
        return None
    if reset_text is None:
        reset, jitter = None, 0.0
    else:
        relative, value, jitter = _parse_reset_form(reset_text)
        reset = server_now + value if relative and value is not None else value
    return RateLimitHeaders(
        _parse_count(limit_text, minimum=1),
        _parse_count(remaining_text, minimum=0),
        reset,
        jitter,
    )


def parse_reset(text: str, *, now: float) -> float | None:
    """Convert an ``X-RateLimit-Reset`` value into epoch seconds.

    Returns ``None`` for a value in no known form; the caller decides how to
    clamp values that are far in the past or the future.
    """
    relative, value, _ = _parse_reset_form(text)
    if relative and value is not None:
        return now + value
    return value


@functools.lru_cache(maxsize=16)
def _parse_reset_form(text: str) -> tuple[bool, float | None, float]:
    # Every response of a window repeats the same reset text, so the parsed
    # form is cached. Returns (relative, value, jitter): a relative value is
    # seconds from now, an absolute one epoch seconds. A relative reset
    # counts from a moment that the client only estimates, and a whole number
    # of seconds adds up to one second of rounding.
    text = text.strip()
    number = _parse_number(text)
    if number is None:
        return False, _parse_timestamp(text), 0.0
    if number >= _EPOCH_MS_THRESHOLD:
        return False, number / 1000.0, 0.0
    if number >= _EPOCH_S_THRESHOLD:
        return False, number, 0.0
    value = max(number, 0.0)
    return True, value, 1.0 if value == int(value) else 0.1


def parse_retry_after(text: str | None, *, now: float) -> float | None:
    """Convert a ``Retry-After`` value (seconds or HTTP-date) into seconds."""
    if text is None:
        return None
    text = text.strip()
    number = _parse_number(text)
    if number is not None:
        return max(number, 0.0)
    when = _parse_timestamp(text)
    if when is None:
        return None
    return max(when - now, 0.0)


def parse_date(text: str | None) -> float | None:
    """Convert a ``Date`` header (an HTTP-date) into epoch seconds."""
    if text is None:
        return None
    return _parse_http_date(text)


@functools.lru_cache(maxsize=16)
def _parse_http_date(text: str) -> float | None:
    # Date changes once a second, and the email module's parser costs tens
    # of microseconds, so consecutive responses share one parse.
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _parse_count(text: str | None, *, minimum: int) -> int | None:
    if text is None:
        return None
    try:
        # The usual form; int() also takes surrounding whitespace.
        count = int(text)
    except ValueError:
        pass
    else:
        return count if count >= minimum else None
    number = _parse_number(text.strip())
    if number is None or number < minimum or number != int(number):
        return None
    return int(number)


def _parse_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return number


def _parse_timestamp(text: str) -> float | None:
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()

"""Tests of the rate-limit, Retry-After and Date header parsers."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from influenceplanner_async._headers import (
    RateLimitHeaders,
    parse_date,
    parse_rate_limit_headers,
    parse_reset,
    parse_retry_after,
)

# 2025-06-15T15:06:40Z, a "now" for the server's clock.
NOW = 1_750_000_000.0
RESET = NOW + 60

# Epoch seconds from 10^9 (September 2001) up to, but excluding, 10^11, the
# range that parse_reset reads as epoch seconds rather than a delta or millis.
epoch_seconds = st.integers(min_value=1_000_000_000, max_value=99_999_999_999)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1750000060", RESET, id="epoch-seconds-int"),
        pytest.param("1750000060.5", RESET + 0.5, id="epoch-seconds-float"),
        pytest.param("1000000000", 1e9, id="epoch-seconds-threshold"),
        pytest.param("1750000060000", RESET, id="epoch-ms"),
        pytest.param("1750000060500", RESET + 0.5, id="epoch-ms-fraction"),
        pytest.param("60", RESET, id="delta-seconds"),
        pytest.param("2.5", NOW + 2.5, id="delta-float"),
        pytest.param("0", NOW, id="delta-zero"),
        pytest.param("-5", NOW, id="delta-negative-clamped"),
        pytest.param("  60\t", RESET, id="delta-padded"),
        pytest.param("Sun, 15 Jun 2025 15:07:40 GMT", RESET, id="http-date"),
        pytest.param("2025-06-15T15:07:40Z", RESET, id="iso-z"),
        pytest.param("2025-06-15T17:07:40+02:00", RESET, id="iso-offset"),
        pytest.param("2025-06-15T15:07:40.250Z", RESET + 0.25, id="iso-fraction"),
        pytest.param("2025-06-15T15:07:40", RESET, id="iso-naive-as-utc"),
    ],
)
def test_parse_reset_forms(text: str, expected: float) -> None:
    """Every documented reset form converts to epoch seconds."""
    assert parse_reset(text, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("soon", id="word"),
        pytest.param("nan", id="nan"),
        pytest.param("NaN", id="nan-upper"),
        pytest.param("inf", id="inf"),
        pytest.param("-Infinity", id="minus-infinity"),
        pytest.param("1e400", id="overflow"),
        pytest.param("0x3c", id="hex"),
        pytest.param("2025-13-45T99:99:99Z", id="bad-iso"),
        pytest.param("Sun, 45 Foo 2025 15:07:40 GMT", id="bad-http-date"),
    ],
)
def test_parse_reset_garbage_is_none(text: str) -> None:
    """A reset in no known form, or not finite, gives None."""
    assert parse_reset(text, now=NOW) is None


@given(st.text())
def test_parse_reset_never_raises(text: str) -> None:
    """parse_reset returns None or a finite float for any text."""
    result = parse_reset(text, now=NOW)

    assert result is None or (isinstance(result, float) and math.isfinite(result))


@given(
    st.from_regex(
        r"\A[+-]?\d{1,30}(\.\d{0,20})?(e[+-]?\d{1,4})?\Z"
        r"|\A\d{1,6}-\d{1,2}-\d{1,2}T\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)?\Z"
        r"|\A(Mon|Sun), \d{1,2} (Jan|Dec) \d{1,6} \d\d:\d\d:\d\d ([+-]\d{4}|GMT)\Z"
    )
)
def test_parse_reset_never_raises_near_forms(text: str) -> None:
    """Text shaped like a number or a timestamp never makes parse_reset raise."""
    result = parse_reset(text, now=NOW)

    assert result is None or math.isfinite(result)


@given(epoch_seconds)
def test_parse_reset_epoch_seconds_round_trip(epoch: int) -> None:
    """Whole epoch seconds come back unchanged."""
    assert parse_reset(str(epoch), now=NOW) == epoch


@given(st.floats(min_value=1e9, max_value=1e11, exclude_max=True))
def test_parse_reset_epoch_float_round_trip(epoch: float) -> None:
    """Fractional epoch seconds come back unchanged."""
    assert parse_reset(repr(epoch), now=NOW) == epoch


@given(epoch_seconds, st.integers(min_value=0, max_value=999))
def test_parse_reset_epoch_ms_round_trip(epoch: int, millis: int) -> None:
    """Epoch milliseconds come back as the same instant in seconds."""
    text = str(epoch * 1000 + millis)

    assert parse_reset(text, now=NOW) == pytest.approx(epoch + millis / 1000)


@given(epoch_seconds)
def test_parse_reset_http_date_round_trip(epoch: int) -> None:
    """An HTTP-date, which has whole seconds, comes back unchanged."""
    text = formatdate(epoch, usegmt=True)

    assert parse_reset(text, now=NOW) == epoch


@given(epoch_seconds, st.integers(min_value=0, max_value=999_999))
def test_parse_reset_iso_round_trip(epoch: int, micros: int) -> None:
    """ISO 8601 text with a Z suffix or an offset comes back unchanged."""
    instant = datetime.fromtimestamp(epoch, UTC).replace(microsecond=micros)
    expected = instant.timestamp()

    assert parse_reset(instant.isoformat(), now=NOW) == expected
    assert parse_reset(instant.isoformat().replace("+00:00", "Z"), now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, None, id="missing"),
        pytest.param("120", 120.0, id="seconds"),
        pytest.param(" 1.5 ", 1.5, id="float-seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-3", 0.0, id="negative-clamped"),
        pytest.param("Sun, 15 Jun 2025 15:07:40 GMT", 60.0, id="http-date"),
        pytest.param("Sun, 15 Jun 2025 15:05:40 GMT", 0.0, id="http-date-past"),
        pytest.param("Sunday, 15-Jun-25 15:07:40 GMT", 60.0, id="rfc850-date"),
        pytest.param("Sun Jun 15 15:07:40 2025", 60.0, id="asctime-date"),
        pytest.param("later", None, id="garbage"),
        pytest.param("nan", None, id="nan"),
        pytest.param("inf", None, id="inf"),
    ],
)
def test_parse_retry_after(text: str | None, expected: float | None) -> None:
    """Retry-After converts seconds or an HTTP-date into seconds to wait."""
    assert parse_retry_after(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Sun, 15 Jun 2025 15:06:40 GMT", NOW, id="http-date"),
        pytest.param(None, None, id="missing"),
        pytest.param("yesterday", None, id="garbage"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_date(text: str | None, expected: float | None) -> None:
    """The Date header converts to epoch seconds, or None when unreadable."""
    assert parse_date(text) == expected


def test_rate_limit_headers_all_present() -> None:
    """Three valid headers give limit, remaining and reset."""
    headers = {
        "X-RateLimit-Limit": "30",
        "X-RateLimit-Remaining": "29",
        "X-RateLimit-Reset": "60",
    }

    parsed = parse_rate_limit_headers(headers, server_now=NOW)

    # A whole number of seconds until the reset carries a second of jitter.
    assert parsed == RateLimitHeaders(
        limit=30, remaining=29, reset=RESET, reset_jitter=1.0
    )


def test_rate_limit_headers_absolute_reset_exact() -> None:
    """An epoch reset repeats exactly between responses, so it has no jitter."""
    headers = {"X-RateLimit-Reset": "1800000060"}

    parsed = parse_rate_limit_headers(headers, server_now=NOW)

    assert parsed is not None
    assert parsed.reset_jitter == 0.0


def test_rate_limit_headers_none_present() -> None:
    """Without any rate-limit header the parser returns None."""
    headers = {"Content-Type": "application/json"}

    assert parse_rate_limit_headers(headers, server_now=NOW) is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            {"X-RateLimit-Remaining": "0"},
            RateLimitHeaders(limit=None, remaining=0, reset=None),
            id="remaining-only",
        ),
        pytest.param(
            {"X-RateLimit-Reset": "1750000060"},
            RateLimitHeaders(limit=None, remaining=None, reset=RESET),
            id="reset-only",
        ),
        pytest.param(
            {
                "X-RateLimit-Limit": "lots",
                "X-RateLimit-Remaining": "some",
                "X-RateLimit-Reset": "soon",
            },
            RateLimitHeaders(limit=None, remaining=None, reset=None),
            id="all-garbage",
        ),
        pytest.param(
            {"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "-1"},
            RateLimitHeaders(limit=None, remaining=None, reset=None),
            id="below-minimum",
        ),
        pytest.param(
            {"X-RateLimit-Limit": "30.5", "X-RateLimit-Remaining": "2.5"},
            RateLimitHeaders(limit=None, remaining=None, reset=None),
            id="fractional-counts",
        ),
        pytest.param(
            {"X-RateLimit-Limit": " 30.0 ", "X-RateLimit-Remaining": "nan"},
            RateLimitHeaders(limit=30, remaining=None, reset=None),
            id="whole-float-and-nan",
        ),
        pytest.param(
            {"X-RateLimit-Limit": "30", "X-RateLimit-Reset": "inf"},
            RateLimitHeaders(limit=30, remaining=None, reset=None),
            id="infinite-reset",
        ),
    ],
)
def test_rate_limit_headers_partial(
    headers: dict[str, str], expected: RateLimitHeaders
) -> None:
    """Missing or unreadable header values become None, the others survive."""
    assert parse_rate_limit_headers(headers, server_now=NOW) == expected

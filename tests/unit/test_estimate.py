"""Tests of the scan estimate's arithmetic."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

from influenceplanner_async import MemberStatus, NetworkMember
from influenceplanner_async._estimate import (
    count_pages,
    estimate_scan_cost,
    format_duration,
)
from influenceplanner_async.cli._output import format_timestamp


def test_count_pages_rounds_up() -> None:
    assert count_pages(51, page_size=25) == 3
    assert count_pages(25, page_size=25) == 1
    assert count_pages(49, page_size=25, stable=True) == 2
    assert count_pages(50, page_size=25, stable=True) == 3


def test_huge_total_still_describes() -> None:
    # totalElements comes from the server, and a float cannot hold 10**400.
    estimate = estimate_scan_cost(10**400, page_size=25, limit=30, window=60.0)

    assert estimate.pages == 4 * 10**398
    assert estimate.seconds == math.inf
    assert "an unbounded time" in estimate.describe()


def test_format_duration_forms() -> None:
    assert format_duration(12.4) == "12 s"
    assert format_duration(200) == "3 min 20 s"
    assert format_duration(7500) == "2 h 05 min"
    assert format_duration(math.inf) == "an unbounded time"


def member_updated_at(moment: datetime) -> NetworkMember:
    """Build a member whose ``updated_at`` is ``moment``."""
    return NetworkMember(
        membership_id=1,
        status=MemberStatus.LINKED,
        user_id="SOUNDCLOUD-USER-1",
        name="Ana",
        image_url="https://i1.sndcdn.com/a.jpg",
        profile_url="https://soundcloud.com/ana",
        followers=1,
        updated_at=moment,
    )


def test_timestamp_output_is_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    member = member_updated_at(datetime(2025, 7, 1, 12, 0, tzinfo=plus_two))

    assert format_timestamp(member) == "2025-07-01T10:00:00Z"


def test_unconvertible_timestamp_keeps_offset() -> None:
    plus_one = timezone(timedelta(hours=1))
    member = member_updated_at(datetime(1, 1, 1, tzinfo=plus_one))

    assert format_timestamp(member) == "0001-01-01T00:00:00+01:00"
    assert format_timestamp(member_updated_at(datetime(1, 1, 1, 1, tzinfo=UTC))) == (
        "0001-01-01T01:00:00Z"
    )

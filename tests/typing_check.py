"""Uses of the public API that mypy checks; pytest does not collect this file.

A change that breaks a user's type-checked code breaks this file first, so
``mypy --strict`` fails before a release does.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from typing import assert_type

from influenceplanner_async import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_SIZE,
    ActionType,
    Client,
    InfluencePlannerError,
    LimiterStats,
    MemberPage,
    MemberStatus,
    NetworkMember,
    RateLimit,
    RedirectError,
    ResponseTooLargeError,
    RetryPolicy,
    ScheduleResult,
    ScheduleSettings,
    SortBy,
    SortDirection,
    Timeout,
    WindowLimiter,
    __version__,
)
from influenceplanner_async.testing import ThreadedFakeAPI, faults


async def use_client() -> None:
    """Call every public method with its documented argument types."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    async with Client(
        "alice",
        "ip-1234",
        base_url=DEFAULT_BASE_URL,
        timeout=Timeout(connect=5.0, read=None),
        retry=RetryPolicy(max_attempts=2),
        max_wait=30.0,
        limiter=WindowLimiter(window=60.0),
        ssl_context=context,
        max_response_size=DEFAULT_MAX_RESPONSE_SIZE,
    ) as client:
        assert_type(client, Client)
        page = await client.list_members(
            offset=0, limit=25, sort_by=SortBy.FOLLOWERS, sort_dir=SortDirection.ASC
        )
        assert_type(page, MemberPage)
        assert_type(page.results, tuple[NetworkMember, ...])
        async for member in client.iter_members(search_term="doe", max_items=10):
            assert_type(member, NetworkMember)
            assert_type(member.status, MemberStatus | str)
            assert_type(member.updated_at, datetime)
        result = await client.create_schedule(
            types=[ActionType.REPOST, "LIKE"],
            medias=["https://soundcloud.com/example/demo"],
            targets=["SOUNDCLOUD-USER-1234"],
            settings=ScheduleSettings(date=datetime(2026, 1, 30, tzinfo=UTC)),
            comment=None,
        )
        assert_type(result, ScheduleResult)
        assert_type(result.schedule_ids, tuple[str, ...])
        assert_type(client.rate_limit, RateLimit | None)
        assert_type(client.stats, LimiterStats)


def use_errors(error: InfluencePlannerError) -> str | None:
    """Narrow the library's errors to read their data."""
    if isinstance(error, RedirectError):
        assert_type(error.location, str | None)
        return error.location
    if isinstance(error, ResponseTooLargeError):
        assert_type(error.limit, int)
        return error.path
    return None


def use_testing() -> Client:
    """Start the threaded fake and build a client from it."""
    with ThreadedFakeAPI(limit=5) as fake:
        fake.push_fault(faults.status(503), path="/network/members")
        assert_type(fake.base_url, str)
        assert_type(fake.env, dict[str, str])
        return Client.from_env(fake.env)


assert_type(__version__, str)

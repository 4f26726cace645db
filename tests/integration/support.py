"""Shared helpers of the integration tests: client factory type and fake orders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from influenceplanner_async import SortBy, SortDirection

if TYPE_CHECKING:
    from collections.abc import Callable

    from influenceplanner_async import Client, RetryPolicy, Timeout
    from influenceplanner_async.testing import FakeMember, FakeServer

USERNAME = "alice"
API_KEY = "ip-1234"
# base64("alice:ip-1234"), the example that the API reference gives.
AUTHORIZATION = "Basic YWxpY2U6aXAtMTIzNA=="
DEMO_TRACK = "https://soundcloud.com/example/demo"
# The reference's example members, which seed_members puts first.
JOHN_DOE = "SOUNDCLOUD-USER-1234"
JANE_DOE = "SOUNDCLOUD-USER-4567"


class ClientFactory(Protocol):
    """Builds a client for a fake server and closes it when the test ends."""

    def __call__(
        self,
        server: FakeServer | str,
        *,
        window: float = ...,
        margin: float = ...,
        api_key: str = ...,
        retry: RetryPolicy | None = ...,
        timeout: Timeout | None = ...,
        wall_clock: Callable[[], float] = ...,
        **options: Any,
    ) -> Client: ...


_SORT_KEYS = {
    SortBy.STATUS: lambda member: member.status,
    SortBy.FOLLOWERS: lambda member: member.followers,
    SortBy.CREATED: lambda member: member.created_at,
    SortBy.UPDATED: lambda member: member.updated_at,
}


def expected_order(
    members: list[FakeMember],
    sort_by: SortBy = SortBy.UPDATED,
    direction: SortDirection = SortDirection.DESC,
) -> list[int]:
    """Return membership ids in the listing order that the API documents.

    The fake breaks ties by ascending membership id in both directions, so
    the ids are sorted first and a stable sort by the key follows.
    """
    ordered = sorted(members, key=lambda member: member.membership_id)
    ordered.sort(key=_SORT_KEYS[sort_by], reverse=direction == SortDirection.DESC)
    return [member.membership_id for member in ordered]


def accepted_per_window(server: FakeServer) -> list[int]:
    """Return how many of alice's requests each window of the fake accepted."""
    windows = server.api.window_stats().get(USERNAME, [])
    return [window.accepted for window in windows]


def rejected_per_window(server: FakeServer) -> list[int]:
    """Return how many of alice's requests each window of the fake rejected."""
    windows = server.api.window_stats().get(USERNAME, [])
    return [window.rejected for window in windows]

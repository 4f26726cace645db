"""Data classes for the Partner API's requests and responses.

Attribute names are snake_case. The wire names (``totalPages``,
``unrepostAfterHours`` and so on) appear only in the converter.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = [
    "ActionType",
    "MemberPage",
    "MemberStatus",
    "NetworkMember",
    "RateLimit",
    "ScheduleResult",
    "ScheduleSettings",
    "SortBy",
    "SortDirection",
]


class MemberStatus(enum.StrEnum):
    """Status of a network member.

    A status that this version of the library does not know is kept as the
    plain string that the server sent, so ``NetworkMember.status`` is typed
    ``MemberStatus | str``.
    """

    LINKED = "LINKED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    UNLINKED = "UNLINKED"
    DECLINED = "DECLINED"


class ActionType(enum.StrEnum):
    """Action that a schedule makes the target accounts perform on a media."""

    REPOST = "REPOST"
    UNREPOST = "UNREPOST"
    LIKE = "LIKE"
    COMMENT = "COMMENT"


class SortBy(enum.StrEnum):
    """Field that sorts a member listing."""

    STATUS = "STATUS"
    FOLLOWERS = "FOLLOWERS"
    CREATED = "CREATED"
    UPDATED = "UPDATED"


class SortDirection(enum.StrEnum):
    """Direction of a member listing's sort."""

    ASC = "ASC"
    DESC = "DESC"


# Not slotted: the converter builds members on the hot path of every listing
# by setting the instance dict in one step, which costs less than half of the
# generated frozen __init__ (measured in benchmarks/convert.py).
@attrs.frozen(kw_only=True, slots=False)
class NetworkMember:
    """One member of the caller's network."""

    membership_id: int
    status: MemberStatus | str
    user_id: str
    name: str
    image_url: str
    profile_url: str
    followers: int
    updated_at: datetime

    @property
    def is_linked(self) -> bool:
        """Whether the member is linked and so can be a schedule target."""
        return self.status == MemberStatus.LINKED


@attrs.frozen(kw_only=True)
class MemberPage:
    """One page of a member listing, with the server's pagination properties."""

    results: tuple[NetworkMember, ...]
    first: bool
    last: bool
    total_pages: int
    total_elements: int
    size: int


@attrs.frozen(kw_only=True)
class ScheduleSettings:
    """Timing of a schedule.

    ``date`` must be timezone-aware. Leave it ``None`` to let the service pick
    the time (auto-scheduling). Durations are whole hours or minutes.
    """

    date: datetime | None = None
    unrepost_after_hours: int | None = None
    spread_between_accounts_minutes: int | None = None
    spread_between_tracks_minutes: int | None = None


@attrs.frozen(kw_only=True)
class ScheduleResult:
    """Response of a schedule creation: one schedule URL per media."""

    status: str
    data: tuple[str, ...]
    message: str | None = None

    @property
    def schedule_ids(self) -> tuple[str, ...]:
        """Schedule ids, taken from the last path segment of each URL in ``data``."""
        return tuple(url.rstrip("/").rsplit("/", 1)[-1] for url in self.data)


@attrs.frozen(kw_only=True)
class RateLimit:
    """Snapshot of the rate-limit window from the latest response headers.

    ``reset`` is the timezone-aware time at which the next window begins.
    """

    limit: int
    remaining: int
    reset: datetime

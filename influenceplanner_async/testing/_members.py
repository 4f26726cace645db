"""Network members of the fake API and a deterministic generator for them."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from influenceplanner_async._models import MemberStatus
from influenceplanner_async._validation import is_utf8_encodable

__all__ = ["FakeMember", "format_timestamp", "seed_members"]

# Generated dates lie before this instant, so a seed gives the same members on
# every run whatever the wall-clock time.
_SEED_EPOCH = datetime(2025, 7, 15, tzinfo=UTC)
_MAX_AGE_DAYS = 5 * 365
_FIRST_GENERATED_ID = 61402
_MAX_FOLLOWERS_EXPONENT = 7.0

_GIVEN_NAMES = (
    "Alex",
    "Sam",
    "Maya",
    "Noah",
    "Émile",
    "Zoë",
    "Jürgen",
    "Søren",
    "Øystein",
    "François",
    "Çağla",
    "Иван",
    "Мария",
    "小龙",
    "美玲",
)
_FAMILY_NAMES = (
    "Smith",
    "Nguyen",
    "Groß",
    "Müller",
    "Ødegaard",
    "Çelik",
    "Lefèvre",
    "Петров",
    "Смирнова",
    "李",
    "王",
    "O'Brien",
)
_HANDLES = ("beats", "waves", "bass", "lofi", "ritmo", "музыка", "音乐", "nightdrive")
_EMOJI = ("🎧", "🔥", "🎵", "✨", "🌊", "❤", "☀", "🎹")

# LINKED dominates a real network; the other statuses are rarer.
_STATUS_WEIGHTS = {
    MemberStatus.LINKED: 60,
    MemberStatus.INVALID: 8,
    MemberStatus.PENDING: 10,
    MemberStatus.PENDING_APPROVAL: 8,
    MemberStatus.UNLINKED: 8,
    MemberStatus.DECLINED: 6,
}


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC with a ``Z`` suffix.

    Whole seconds are written without a fraction, as in the API's examples,
    and other instants with milliseconds.
    """
    utc = moment.astimezone(UTC)
    timespec = "seconds" if utc.microsecond == 0 else "milliseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


@attrs.define(kw_only=True)
class FakeMember:
    """A member of the fake network.

    ``created_at`` drives the ``CREATED`` sort but is not part of the wire
    object, because the API's member object has no such field. Change a member
    that the fake is serving through ``FakePartnerAPI.update_member`` so that
    the cached listings are rebuilt.
    """

    membership_id: int
    status: str
    user_id: str
    name: str
    image_url: str
    profile_url: str
    followers: int
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the member object as the API sends it (snake_case keys)."""
        return {
            "membership_id": self.membership_id,
            "status": self.status,
            "user_id": self.user_id,
            "name": self.name,
            "image_url": self.image_url,
            "profile_url": self.profile_url,
            "followers": self.followers,
            "updated_at": format_timestamp(self.updated_at),
        }

    def to_json_text(self, *, ensure_ascii: bool = False) -> str:
        """Return the member object encoded as compact JSON text.

        A member with an unpaired surrogate is escaped to ASCII even with
        ``ensure_ascii`` off, because UTF-8, the body's encoding, has no code
        for such a character.
        """
        text = json.dumps(
            self.to_json(), ensure_ascii=ensure_ascii, separators=(",", ":")
        )
        if ensure_ascii or is_utf8_encodable(text):
            return text
        return self.to_json_text(ensure_ascii=True)


def reference_members() -> list[FakeMember]:
    """Return the two members shown in the API documentation's listing example."""
    return [
        FakeMember(
            membership_id=61400,
            status=MemberStatus.LINKED.value,
            user_id="SOUNDCLOUD-USER-1234",
            name="John Doe",
            image_url="https://i1.sndcdn.com/avatars-1234-large.jpg",
            profile_url="https://soundcloud.com/john-doe",
            followers=9800,
            created_at=datetime(2024, 3, 2, 9, 15, 0, tzinfo=UTC),
            updated_at=datetime(2025, 7, 1, 22, 24, 44, tzinfo=UTC),
        ),
        FakeMember(
            membership_id=61401,
            status=MemberStatus.INVALID.value,
            user_id="SOUNDCLOUD-USER-4567",
            name="Jane Doe",
            image_url="https://i1.sndcdn.com/avatars-4567-large.jpg",
            profile_url="https://soundcloud.com/jane-doe",
            followers=1500,
            created_at=datetime(2024, 5, 19, 17, 40, 12, tzinfo=UTC),
            updated_at=datetime(2025, 6, 29, 1, 45, 29, tzinfo=UTC),
        ),
    ]


def seed_members(
    count: int, *, seed: int = 0, include_reference_examples: bool = True
) -> list[FakeMember]:
    """Generate ``count`` members, the same ones for the same arguments.

    Names mix ASCII, accented Latin, Cyrillic and CJK letters and emoji
    (including characters outside the Basic Multilingual Plane). Every
    ``MemberStatus`` appears once ``count`` leaves room for all six after the
    reference examples. Follower counts are log-uniform from 0 to about ten
    million, and dates lie in the five years before 2025-07-15 UTC.

    Args:
        count: Number of members to return, at least 0.
        seed: Seed of the ``random.Random`` that draws every value.
        include_reference_examples: Start with the reference's two example
            members (61400 John Doe and 61401 Jane Doe).

    Returns:
        Members with unique ``membership_id`` and ``user_id`` values.

    Raises:
        ValueError: If ``count`` is negative.
    """
    if count < 0:
        message = f"count must be at least 0, got {count!r}."
        raise ValueError(message)

    rng = random.Random(seed)
    members = reference_members()[:count] if include_reference_examples else []
    used_user_numbers = {1234, 4567}
    next_id = _FIRST_GENERATED_ID
    statuses = list(MemberStatus)

    while len(members) < count:
        # The first generated members take each status in turn, so that every
        # status is present in small networks too.
        generated = len(members) - (2 if include_reference_examples else 0)
        is_early = generated < len(statuses)
        status = statuses[generated] if is_early else _draw_status(rng)

        user_number = _draw_user_number(rng, used_user_numbers)
        members.append(_generate_member(rng, next_id, user_number, status))
        next_id += rng.randint(1, 3)

    return members


def generate_member(
    rng: random.Random, *, membership_id: int, user_number: int, moment: datetime
) -> FakeMember:
    """Generate one LINKED member created and updated at ``moment``."""
    member = _generate_member(rng, membership_id, user_number, MemberStatus.LINKED)
    member.created_at = moment
    member.updated_at = moment
    return member


def _draw_status(rng: random.Random) -> MemberStatus:
    statuses = list(_STATUS_WEIGHTS)
    weights = list(_STATUS_WEIGHTS.values())
    return rng.choices(statuses, weights=weights)[0]


def _draw_user_number(rng: random.Random, used: set[int]) -> int:
    while True:
        number = rng.randint(1000, 99_999_999)
        if number not in used:
            used.add(number)
            return number


def _generate_member(
    rng: random.Random, membership_id: int, user_number: int, status: str
) -> FakeMember:
    created_at = _SEED_EPOCH - timedelta(seconds=rng.randint(0, _MAX_AGE_DAYS * 86400))
    age_seconds = int((_SEED_EPOCH - created_at).total_seconds())
    updated_at = created_at + timedelta(seconds=rng.randint(0, age_seconds))
    followers = int(10 ** rng.uniform(0.0, _MAX_FOLLOWERS_EXPONENT)) - 1

    return FakeMember(
        membership_id=membership_id,
        status=str(status),
        user_id=f"SOUNDCLOUD-USER-{user_number}",
        name=_draw_name(rng),
        image_url=f"https://i1.sndcdn.com/avatars-{user_number}-large.jpg",
        profile_url=f"https://soundcloud.com/user-{user_number}",
        followers=followers,
        created_at=created_at,
        updated_at=updated_at,
    )


def _draw_name(rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return f"{rng.choice(_GIVEN_NAMES)} {rng.choice(_FAMILY_NAMES)}"
    if style == 1:
        return f"{rng.choice(_EMOJI)} {rng.choice(_GIVEN_NAMES)}"
    if style == 2:
        return f"DJ {rng.choice(_HANDLES)} {rng.choice(_EMOJI)}"
    return f"{rng.choice(_HANDLES)}_{rng.choice(_GIVEN_NAMES)}{rng.randint(1, 99)}"

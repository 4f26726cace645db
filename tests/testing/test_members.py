"""Tests of the generated network members."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from influenceplanner_async._models import MemberStatus
from influenceplanner_async.testing import FakeMember, seed_members


def test_seed_members_deterministic() -> None:
    """The same seed gives equal members and another seed different ones."""
    assert seed_members(50, seed=7) == seed_members(50, seed=7)
    assert seed_members(50, seed=7) != seed_members(50, seed=8)


def test_seed_members_reference_examples_first() -> None:
    """The first two members are the API documentation's example members."""
    john, jane = seed_members(10)[:2]

    assert john.to_json() == {
        "membership_id": 61400,
        "status": "LINKED",
        "user_id": "SOUNDCLOUD-USER-1234",
        "name": "John Doe",
        "image_url": "https://i1.sndcdn.com/avatars-1234-large.jpg",
        "profile_url": "https://soundcloud.com/john-doe",
        "followers": 9800,
        "updated_at": "2025-07-01T22:24:44Z",
    }
    assert jane.to_json() == {
        "membership_id": 61401,
        "status": "INVALID",
        "user_id": "SOUNDCLOUD-USER-4567",
        "name": "Jane Doe",
        "image_url": "https://i1.sndcdn.com/avatars-4567-large.jpg",
        "profile_url": "https://soundcloud.com/jane-doe",
        "followers": 1500,
        "updated_at": "2025-06-29T01:45:29Z",
    }


def test_seed_members_without_reference_examples() -> None:
    """Without the examples no member has their ids."""
    ids = {
        member.membership_id
        for member in seed_members(20, seed=0, include_reference_examples=False)
    }

    assert 61400 not in ids
    assert 61401 not in ids


def test_seed_members_unique_ids() -> None:
    """Membership ids and user ids are unique and user ids have the platform prefix."""
    members = seed_members(2000)

    assert len({member.membership_id for member in members}) == 2000
    assert len({member.user_id for member in members}) == 2000
    assert all(member.user_id.startswith("SOUNDCLOUD-USER-") for member in members)


@pytest.mark.parametrize("count", [8, 200])
def test_seed_members_every_status(count: int) -> None:
    """Every member status appears once the network has room for all of them."""
    statuses = {member.status for member in seed_members(count)}

    assert statuses == {status.value for status in MemberStatus}


def test_seed_members_names_mix_scripts() -> None:
    """Names include ASCII, accented, Cyrillic, CJK and astral-plane characters."""
    names = [member.name for member in seed_members(500)]

    assert any(name.isascii() for name in names)
    assert any(set(name) & set("éßØÇüö") for name in names)
    assert any(any("\u0400" <= char <= "\u04ff" for char in name) for name in names)
    assert any(any("\u4e00" <= char <= "\u9fff" for char in name) for name in names)
    assert any(any(ord(char) > 0xFFFF for char in name) for name in names)


def test_seed_members_followers_span_magnitudes() -> None:
    """Follower counts run from under 10 to over a million, below ten million."""
    followers = [member.followers for member in seed_members(2000)]

    assert min(followers) >= 0
    assert min(followers) < 10
    assert max(followers) > 1_000_000
    assert max(followers) < 10_000_000


def test_seed_members_dates_aware_and_past() -> None:
    """Dates are timezone-aware UTC, in the past, and never updated before created."""
    now = datetime.now(UTC)

    for member in seed_members(300):
        assert member.updated_at.tzinfo is not None
        assert member.created_at <= member.updated_at <= now


def test_seed_members_negative_count_rejected() -> None:
    """A negative count raises ValueError."""
    with pytest.raises(ValueError, match="count"):
        seed_members(-1)


def test_fake_member_to_json_fractional_time() -> None:
    """An updated_at with a fraction of a second is sent with milliseconds and Z."""
    member = seed_members(1)[0]
    member.updated_at = datetime(2025, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC)

    assert member.to_json()["updated_at"] == "2025-01-02T03:04:05.678Z"


def test_fake_member_to_json_has_no_created_at() -> None:
    """The wire object has exactly the API documentation's keys."""
    member: FakeMember = seed_members(3)[2]

    assert set(member.to_json()) == {
        "membership_id",
        "status",
        "user_id",
        "name",
        "image_url",
        "profile_url",
        "followers",
        "updated_at",
    }

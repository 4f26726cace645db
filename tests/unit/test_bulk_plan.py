"""Tests of the grouping of schedule items into API calls."""

from __future__ import annotations

import collections
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influenceplanner_async import (
    ActionType,
    ScheduleCall,
    ScheduleItem,
    ScheduleOptions,
    ScheduleSettings,
    ValidationError,
    plan_schedule_calls,
)
from influenceplanner_async._bulk_plan import check_items

if TYPE_CHECKING:
    import random

MEDIAS = [f"https://soundcloud.com/artist/track-{index}" for index in range(8)]
TARGETS = [f"SOUNDCLOUD-USER-{index}" for index in range(8)]
OPTION_CHOICES = [
    ScheduleOptions(types=[ActionType.REPOST]),
    ScheduleOptions(types=[ActionType.REPOST, ActionType.LIKE], shuffle=True),
    ScheduleOptions(types=[ActionType.COMMENT], comment="Great track"),
    ScheduleOptions(types=[ActionType.LIKE], comment="Another comment"),
]


def covered_pairs(calls: list[ScheduleCall]) -> collections.Counter[tuple[str, ...]]:
    """Count how often each (options, media, target) is created by the calls."""
    counts: collections.Counter[tuple[str, ...]] = collections.Counter()
    for call in calls:
        for media in call.medias:
            for target in call.targets:
                counts[(call.options.fingerprint, media, target)] += 1
    return counts


items_strategy = st.lists(
    st.builds(
        ScheduleItem,
        media=st.sampled_from(MEDIAS),
        target=st.sampled_from(TARGETS),
        options=st.sampled_from(OPTION_CHOICES),
    ),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(items_strategy)
def test_plan_covers_each_pair_once(items: list[ScheduleItem]) -> None:
    """Every requested pair is created exactly once, and nothing else is."""
    calls = plan_schedule_calls(items)

    requested = {(item.options.fingerprint, item.media, item.target) for item in items}
    counts = covered_pairs(calls)
    assert set(counts) == requested
    assert all(count == 1 for count in counts.values())


@settings(max_examples=200, deadline=None)
@given(items_strategy)
def test_plan_keeps_comment_rule(items: list[ScheduleItem]) -> None:
    """No call with a comment has more than 3 targets."""
    calls = plan_schedule_calls(items)

    for call in calls:
        if call.options.comment is not None:
            assert len(call.targets) <= 3


@settings(max_examples=100, deadline=None)
@given(items_strategy, st.randoms(use_true_random=False))
def test_plan_ignores_item_order(items: list[ScheduleItem], rng: random.Random) -> None:
    """Shuffled input yields the same calls with the same ids."""
    shuffled = list(items)
    rng.shuffle(shuffled)

    assert plan_schedule_calls(shuffled) == plan_schedule_calls(items)


@settings(max_examples=100, deadline=None)
@given(items_strategy)
def test_plan_ids_are_unique_content_hashes(items: list[ScheduleItem]) -> None:
    """Call ids are distinct and equal a rebuild of the call from its content."""
    calls = plan_schedule_calls(items)

    assert len({call.call_id for call in calls}) == len(calls)
    for call in calls:
        rebuilt = ScheduleCall.build(call.options, call.medias, call.targets)
        assert rebuilt.call_id == call.call_id


def test_plan_never_mixes_options() -> None:
    """Items that differ in any option go to different calls."""
    base = ScheduleOptions(types=[ActionType.REPOST])
    variants = [
        base,
        ScheduleOptions(types=[ActionType.LIKE]),
        ScheduleOptions(types=[ActionType.REPOST], shuffle=True),
        ScheduleOptions(types=[ActionType.REPOST], remove_duplicates=True),
        ScheduleOptions(
            types=[ActionType.REPOST],
            settings=ScheduleSettings(spread_between_accounts_minutes=5),
        ),
    ]
    items = [
        ScheduleItem(media=MEDIAS[0], target=TARGETS[0], options=options)
        for options in variants
    ]

    calls = plan_schedule_calls(items)

    assert len(calls) == len(variants)
    assert {call.options for call in calls} == set(variants)


def test_plan_full_rectangle_is_one_call() -> None:
    """Every track for every target without a comment takes one call."""
    items = ScheduleItem.product(MEDIAS, TARGETS, types=["REPOST"])

    calls = plan_schedule_calls(items)

    assert len(calls) == 1
    assert calls[0].medias == tuple(sorted(MEDIAS))
    assert calls[0].targets == tuple(sorted(TARGETS))


@pytest.mark.parametrize("target_count", [1, 3, 4, 7, 8])
def test_plan_comment_uses_groups_of_three(target_count: int) -> None:
    """A comment for every track and target takes ceil(targets / 3) calls."""
    items = ScheduleItem.product(
        MEDIAS, TARGETS[:target_count], types=["COMMENT"], comment="Nice"
    )

    calls = plan_schedule_calls(items)

    assert len(calls) == math.ceil(target_count / 3)
    assert all(call.medias == tuple(sorted(MEDIAS)) for call in calls)


def test_plan_disjoint_blocks_one_call_each() -> None:
    """Disjoint blocks of tracks and targets take one call per block."""
    items = [
        *ScheduleItem.product(MEDIAS[:3], TARGETS[:2], types=["REPOST"]),
        *ScheduleItem.product(MEDIAS[3:5], TARGETS[2:7], types=["REPOST"]),
        *ScheduleItem.product(MEDIAS[5:], TARGETS[7:], types=["REPOST"]),
    ]

    assert len(plan_schedule_calls(items)) == 3


def test_plan_staircase_matches_rank() -> None:
    """Nested target sets need one call per step, the matrix rank."""
    items = [
        item
        for step in range(1, 6)
        for item in ScheduleItem.product(
            MEDIAS[:step], [TARGETS[step]], types=["REPOST"]
        )
    ]

    assert len(plan_schedule_calls(items)) == 5


def test_plan_picks_media_classes_when_fewer() -> None:
    """Two genres followed by overlapping target groups take two calls."""
    genre_a, genre_b = MEDIAS[:3], MEDIAS[3:6]
    items = [
        *ScheduleItem.product(genre_a, TARGETS[:5], types=["REPOST"]),
        *ScheduleItem.product(genre_b, TARGETS[3:], types=["REPOST"]),
    ]

    calls = plan_schedule_calls(items)

    # Targets fall into 3 classes ({a}, {a, b}, {b}); medias into 2.
    assert len(calls) == 2


def test_plan_merges_duplicate_items() -> None:
    """The same item twice is one request."""
    item = ScheduleItem(media=MEDIAS[0], target=TARGETS[0], options=OPTION_CHOICES[0])

    calls = plan_schedule_calls([item, item])

    assert len(calls) == 1
    assert calls[0].pair_count == 1


def test_options_normalize_types_and_date() -> None:
    """Types in any order and dates at any offset for one instant are equal."""
    instant = datetime(2026, 1, 30, 21, tzinfo=UTC)
    first = ScheduleOptions(
        types=["unrepost", ActionType.REPOST],
        settings=ScheduleSettings(date=instant, unrepost_after_hours=24),
    )
    second = ScheduleOptions(
        types=[ActionType.REPOST, ActionType.UNREPOST, "REPOST"],
        settings=ScheduleSettings(
            date=instant.astimezone(timezone(timedelta(hours=2))),
            unrepost_after_hours=24,
        ),
    )

    assert first == second
    assert first.fingerprint == second.fingerprint
    assert first.types == (ActionType.REPOST, ActionType.UNREPOST)


def test_options_json_round_trip() -> None:
    """Options rebuilt from their JSON have the same fingerprint."""
    options = ScheduleOptions(
        types=["REPOST", "COMMENT"],
        settings=ScheduleSettings(
            date=datetime(2026, 1, 30, 21, tzinfo=UTC),
            spread_between_tracks_minutes=30,
        ),
        comment="Great",
        shuffle=True,
    )

    rebuilt = ScheduleOptions.from_json(options.to_json())

    assert rebuilt == options
    assert rebuilt.fingerprint == options.fingerprint


def test_options_reject_unknown_type() -> None:
    """An unknown action type raises ValidationError naming types."""
    with pytest.raises(ValidationError, match="types"):
        ScheduleOptions(types=["SHARE"])


def test_check_items_names_the_index() -> None:
    """A bad item is reported with its index before anything is sent."""
    good = ScheduleItem(media=MEDIAS[0], target=TARGETS[0], options=OPTION_CHOICES[0])
    bad = ScheduleItem(
        media="http://insecure.example/x", target=TARGETS[0], options=OPTION_CHOICES[0]
    )

    with pytest.raises(ValidationError) as caught:
        check_items([good, bad])

    assert caught.value.argument == "items[1].medias"


def test_check_items_requires_unrepost_hours() -> None:
    """UNREPOST without unrepost_after_hours is rejected."""
    item = ScheduleItem(
        media=MEDIAS[0],
        target=TARGETS[0],
        options=ScheduleOptions(types=["REPOST", "UNREPOST"]),
    )

    with pytest.raises(ValidationError, match="unrepost_after_hours"):
        check_items([item])

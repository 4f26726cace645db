"""Tests of the argument checks that run before any request is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from influenceplanner_async import (
    ActionType,
    InfluencePlannerError,
    ScheduleSettings,
    SortBy,
    SortDirection,
    ValidationError,
)
from influenceplanner_async._validation import (
    check_aware,
    check_page_args,
    check_schedule_args,
)

MEDIA = "https://soundcloud.com/example/demo"


def page_args(**overrides: Any) -> dict[str, Any]:
    """Return valid member listing arguments with ``overrides`` applied."""
    args: dict[str, Any] = {
        "offset": 0,
        "limit": 25,
        "search_term": None,
        "sort_by": None,
        "sort_dir": None,
    }
    args.update(overrides)
    return args


def schedule_args(**overrides: Any) -> dict[str, Any]:
    """Return valid schedule arguments with ``overrides`` applied."""
    args: dict[str, Any] = {
        "types": [ActionType.REPOST],
        "medias": [MEDIA],
        "targets": ["SOUNDCLOUD-USER-1234"],
        "settings": ScheduleSettings(),
        "comment": None,
    }
    args.update(overrides)
    return args


def assert_names_value_and_rule(
    error: ValidationError, argument: str, value: object, rule: str
) -> None:
    """Check that the error and its message carry argument, value and rule."""
    assert isinstance(error, InfluencePlannerError)
    assert isinstance(error, ValueError)
    assert error.argument == argument
    assert error.value == value
    assert rule in error.rule
    message = str(error)
    assert f"{argument}={value!r}" in message
    assert rule in message


@pytest.mark.parametrize(
    ("overrides", "argument", "value", "rule"),
    [
        pytest.param({"limit": 0}, "limit", 0, "at least 1", id="limit-0"),
        pytest.param({"limit": 26}, "limit", 26, "at most 25", id="limit-26"),
        pytest.param({"limit": True}, "limit", True, "integer", id="limit-bool"),
        pytest.param({"limit": "5"}, "limit", "5", "integer", id="limit-str"),
        pytest.param({"limit": None}, "limit", None, "integer", id="limit-none"),
        pytest.param({"offset": -1}, "offset", -1, "at least 0", id="offset-neg"),
        pytest.param({"offset": 1.5}, "offset", 1.5, "integer", id="offset-float"),
        pytest.param({"offset": False}, "offset", False, "integer", id="offset-bool"),
        pytest.param(
            {"search_term": 5}, "search_term", 5, "string or None", id="search-int"
        ),
        pytest.param(
            {"search_term": "a\ud800"},
            "search_term",
            "a\ud800",
            "unpaired surrogate",
            id="search-surrogate",
        ),
        pytest.param(
            {"sort_by": "NAME"},
            "sort_by",
            "NAME",
            "one of STATUS, FOLLOWERS, CREATED, UPDATED",
            id="sort-by-unknown",
        ),
        pytest.param({"sort_by": ""}, "sort_by", "", "one of", id="sort-by-empty"),
        pytest.param(
            {"sort_by": " UPDATED"}, "sort_by", " UPDATED", "one of", id="sort-by-space"
        ),
        pytest.param({"sort_by": 1}, "sort_by", 1, "one of", id="sort-by-int"),
        pytest.param(
            {"sort_by": SortDirection.ASC},
            "sort_by",
            SortDirection.ASC,
            "one of",
            id="sort-by-direction",
        ),
        pytest.param(
            {"sort_dir": "UP"}, "sort_dir", "UP", "one of ASC, DESC", id="sort-dir-up"
        ),
        pytest.param(
            {"sort_dir": "ascending"}, "sort_dir", "ascending", "one of", id="sort-dir"
        ),
    ],
)
def test_page_args_rejected(
    overrides: dict[str, Any], argument: str, value: object, rule: str
) -> None:
    """Each invalid listing argument raises ValidationError naming it."""
    with pytest.raises(ValidationError) as caught:
        check_page_args(**page_args(**overrides))

    assert_names_value_and_rule(caught.value, argument, value, rule)


def test_page_args_limit_bounds_accepted() -> None:
    """Limits of 1 and 25 and offset 0 are within the documented range."""
    assert check_page_args(**page_args(limit=1))[1] == 1
    assert check_page_args(**page_args(limit=25))[1] == 25
    assert check_page_args(**page_args(offset=0))[0] == 0


def test_page_args_max_page_size_override() -> None:
    """A smaller max_page_size lowers the largest accepted limit."""
    with pytest.raises(ValidationError, match="at most 10"):
        check_page_args(**page_args(limit=11), max_page_size=10)


@pytest.mark.parametrize(
    ("sort_by", "sort_dir", "expected_by", "expected_dir"),
    [
        pytest.param("followers", "asc", SortBy.FOLLOWERS, SortDirection.ASC, id="low"),
        pytest.param("Created", "Desc", SortBy.CREATED, SortDirection.DESC, id="mixed"),
        pytest.param("STATUS", "DESC", SortBy.STATUS, SortDirection.DESC, id="upper"),
        pytest.param(
            SortBy.UPDATED,
            SortDirection.ASC,
            SortBy.UPDATED,
            SortDirection.ASC,
            id="enum",
        ),
    ],
)
def test_page_args_sort_normalised(
    sort_by: object, sort_dir: object, expected_by: SortBy, expected_dir: SortDirection
) -> None:
    """Sort strings in any case become the matching enum members."""
    checked = check_page_args(**page_args(sort_by=sort_by, sort_dir=sort_dir))

    assert checked[3] is expected_by
    assert checked[4] is expected_dir


def test_page_args_defaults_stay_none() -> None:
    """Unset search and sort arguments stay None for the server's defaults."""
    assert check_page_args(**page_args()) == (0, 25, None, None, None)


@pytest.mark.parametrize(
    ("overrides", "argument", "value", "rule"),
    [
        pytest.param({"types": []}, "types", [], "at least one", id="types-empty"),
        pytest.param({"medias": []}, "medias", [], "at least one", id="medias-empty"),
        pytest.param(
            {"targets": []}, "targets", [], "at least one", id="targets-empty"
        ),
        pytest.param(
            {"types": iter(())}, "types", [], "at least one", id="types-empty-iter"
        ),
        pytest.param(
            {"types": "REPOST"}, "types", "REPOST", "must be a list", id="types-str"
        ),
        pytest.param({"medias": MEDIA}, "medias", MEDIA, "must be a list", id="media"),
        pytest.param(
            {"targets": "SOUNDCLOUD-USER-1234"},
            "targets",
            "SOUNDCLOUD-USER-1234",
            "must be a list",
            id="targets-str",
        ),
        pytest.param(
            {"targets": b"abc"}, "targets", b"abc", "must be a list", id="targets-bytes"
        ),
        pytest.param({"types": None}, "types", None, "must be a list", id="types-none"),
        pytest.param({"types": 5}, "types", 5, "must be a list", id="types-int"),
        pytest.param(
            {"types": ["SHARE"]},
            "types",
            "SHARE",
            "one of REPOST, UNREPOST, LIKE, COMMENT",
            id="types-unknown",
        ),
        pytest.param(
            {"medias": ["http://soundcloud.com/example/demo"]},
            "medias",
            "http://soundcloud.com/example/demo",
            "absolute https URL",
            id="media-http",
        ),
        pytest.param(
            {"medias": ["/example/demo"]},
            "medias",
            "/example/demo",
            "absolute https URL",
            id="media-relative",
        ),
        pytest.param(
            {"medias": ["soundcloud.com/example/demo"]},
            "medias",
            "soundcloud.com/example/demo",
            "absolute https URL",
            id="media-no-scheme",
        ),
        pytest.param(
            {"medias": ["https:///demo"]},
            "medias",
            "https:///demo",
            "absolute https URL",
            id="media-no-host",
        ),
        pytest.param({"medias": [5]}, "medias", 5, "URL string", id="media-int"),
        pytest.param({"targets": [""]}, "targets", "", "user_id", id="target-empty"),
        pytest.param(
            {"targets": ["  "]}, "targets", "  ", "user_id", id="target-blank"
        ),
        pytest.param({"targets": [1234]}, "targets", 1234, "user_id", id="target-int"),
        pytest.param(
            {"settings": {"date": None}},
            "settings",
            {"date": None},
            "ScheduleSettings",
            id="settings-dict",
        ),
        pytest.param(
            {"settings": None}, "settings", None, "ScheduleSettings", id="settings-none"
        ),
        pytest.param(
            {"comment": "Great track", "targets": ["U1", "U2", "U3", "U4"]},
            "comment",
            "Great track",
            "3 or fewer targets, but 4 were given",
            id="comment-4-targets",
        ),
        pytest.param(
            {"types": [ActionType.COMMENT]},
            "comment",
            None,
            "required when types include COMMENT",
            id="comment-missing",
        ),
        pytest.param(
            {"types": ["comment"], "comment": ""},
            "comment",
            "",
            "non-empty text",
            id="comment-empty",
        ),
        pytest.param(
            {"comment": "   "}, "comment", "   ", "non-empty text", id="comment-blank"
        ),
        pytest.param({"comment": 5}, "comment", 5, "non-empty text", id="comment-int"),
        pytest.param(
            {"types": [ActionType.REPOST, ActionType.UNREPOST]},
            "settings.unrepost_after_hours",
            None,
            "required when types include UNREPOST",
            id="unrepost-hours-missing",
        ),
    ],
)
def test_schedule_args_rejected(
    overrides: dict[str, Any], argument: str, value: object, rule: str
) -> None:
    """Each invalid schedule argument raises ValidationError naming it."""
    with pytest.raises(ValidationError) as caught:
        check_schedule_args(**schedule_args(**overrides))

    assert_names_value_and_rule(caught.value, argument, value, rule)


NAIVE_DATE = datetime(2026, 1, 30, 21, 0)


@pytest.mark.parametrize(
    ("settings", "argument", "value", "rule"),
    [
        pytest.param(
            ScheduleSettings(date=NAIVE_DATE),
            "settings.date",
            NAIVE_DATE,
            "must be timezone-aware",
            id="naive-date",
        ),
        pytest.param(
            ScheduleSettings(date="2026-01-30T21:00:00Z"),  # type: ignore[arg-type]
            "settings.date",
            "2026-01-30T21:00:00Z",
            "must be a datetime",
            id="str-date",
        ),
        pytest.param(
            ScheduleSettings(unrepost_after_hours=-1),
            "settings.unrepost_after_hours",
            -1,
            "at least 0",
            id="unrepost-negative",
        ),
        pytest.param(
            ScheduleSettings(spread_between_accounts_minutes=-1),
            "settings.spread_between_accounts_minutes",
            -1,
            "at least 0",
            id="accounts-negative",
        ),
        pytest.param(
            ScheduleSettings(spread_between_tracks_minutes=-60),
            "settings.spread_between_tracks_minutes",
            -60,
            "at least 0",
            id="tracks-negative",
        ),
        pytest.param(
            ScheduleSettings(spread_between_tracks_minutes=1.5),  # type: ignore[arg-type]
            "settings.spread_between_tracks_minutes",
            1.5,
            "integer",
            id="tracks-float",
        ),
        pytest.param(
            ScheduleSettings(unrepost_after_hours=True),
            "settings.unrepost_after_hours",
            True,
            "integer",
            id="unrepost-bool",
        ),
    ],
)
def test_schedule_settings_rejected(
    settings: ScheduleSettings, argument: str, value: object, rule: str
) -> None:
    """Each invalid settings field raises ValidationError naming it."""
    with pytest.raises(ValidationError) as caught:
        check_schedule_args(**schedule_args(settings=settings))

    assert_names_value_and_rule(caught.value, argument, value, rule)


def test_schedule_args_normalised() -> None:
    """Valid schedule arguments come back as tuples of enums and strings."""
    checked = check_schedule_args(
        **schedule_args(
            types=["repost", "UNREPOST", ActionType.LIKE],
            medias=(media for media in [MEDIA]),
            targets=["U1", "U2"],
            settings=ScheduleSettings(unrepost_after_hours=24),
        )
    )

    assert checked == (
        (ActionType.REPOST, ActionType.UNREPOST, ActionType.LIKE),
        (MEDIA,),
        ("U1", "U2"),
    )


def test_schedule_comment_three_targets_accepted() -> None:
    """A comment with exactly 3 targets is within the documented limit."""
    checked = check_schedule_args(
        **schedule_args(
            types=[ActionType.COMMENT],
            comment="Great track",
            targets=["U1", "U2", "U3"],
        )
    )

    assert checked[2] == ("U1", "U2", "U3")


def test_schedule_zero_durations_accepted() -> None:
    """Durations of zero hours or minutes are allowed."""
    settings = ScheduleSettings(
        unrepost_after_hours=0,
        spread_between_accounts_minutes=0,
        spread_between_tracks_minutes=0,
    )

    checked = check_schedule_args(
        **schedule_args(types=[ActionType.UNREPOST], settings=settings)
    )

    assert checked[0] == (ActionType.UNREPOST,)


def test_schedule_aware_date_accepted() -> None:
    """A date with any UTC offset passes the timezone check."""
    date = datetime(2026, 1, 31, 6, 0, tzinfo=timezone(timedelta(hours=9)))

    check_schedule_args(**schedule_args(settings=ScheduleSettings(date=date)))


def test_check_aware_rejects_naive() -> None:
    """check_aware raises for a naive datetime and names the argument."""
    with pytest.raises(ValidationError) as caught:
        check_aware("start", NAIVE_DATE)

    assert_names_value_and_rule(caught.value, "start", NAIVE_DATE, "timezone-aware")


def test_check_aware_accepts_utc() -> None:
    """check_aware returns quietly for a datetime in UTC."""
    check_aware("start", datetime(2026, 1, 30, 21, 0, tzinfo=UTC))


def test_validation_message_says_nothing_sent() -> None:
    """The message tells the caller that no request went out."""
    with pytest.raises(ValidationError) as caught:
        check_page_args(**page_args(limit=26))

    assert str(caught.value) == (
        "Invalid limit=26: must be at most 25. No request was sent."
    )

"""Tests of the converter between wire JSON and the models."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from influenceplanner_async import (
    MemberPage,
    MemberStatus,
    NetworkMember,
    ResponseDecodeError,
    ScheduleResult,
    ScheduleSettings,
)
from influenceplanner_async._converter import structure_response, unstructure_settings

# The member listing example of the API reference, without the trailing comma
# that makes the published example invalid JSON.
MEMBERS_EXAMPLE: dict[str, Any] = {
    "results": [
        {
            "membership_id": 61400,
            "status": "LINKED",
            "user_id": "SOUNDCLOUD-USER-1234",
            "name": "John Doe",
            "image_url": "https://i1.sndcdn.com/avatars-1234-large.jpg",
            "profile_url": "https://soundcloud.com/john-doe",
            "followers": 9800,
            "updated_at": "2025-07-01T22:24:44Z",
        },
        {
            "membership_id": 61401,
            "status": "INVALID",
            "user_id": "SOUNDCLOUD-USER-4567",
            "name": "Jane Doe",
            "image_url": "https://i1.sndcdn.com/avatars-4567-large.jpg",
            "profile_url": "https://soundcloud.com/jane-doe",
            "followers": 1500,
            "updated_at": "2025-06-29T01:45:29Z",
        },
    ],
    "first": True,
    "last": True,
    "totalPages": 1,
    "totalElements": 2,
    "size": 2,
}

SCHEDULE_EXAMPLE: dict[str, Any] = {
    "message": None,
    "status": "CREATED",
    "data": [
        "https://influenceplanner.com/planned/calendar/schedule/"
        "80808ba8-c347-45ed-b878-f3f5c802ed2b"
    ],
}


def members_example() -> dict[str, Any]:
    """Return a deep copy of the member listing example, safe to modify."""
    return copy.deepcopy(MEMBERS_EXAMPLE)


def decode_error(data: Any, model: type[Any]) -> ResponseDecodeError:
    """Return the ResponseDecodeError that decoding ``data`` raises."""
    with pytest.raises(ResponseDecodeError) as caught:
        structure_response(data, model)
    return caught.value


def test_members_example_decodes_to_page() -> None:
    """The reference's member listing decodes with its pagination properties."""
    page = structure_response(members_example(), MemberPage)

    assert page.first is True
    assert page.last is True
    assert page.total_pages == 1
    assert page.total_elements == 2
    assert page.size == 2
    assert len(page.results) == 2


def test_members_example_decodes_members() -> None:
    """Each member of the reference example keeps every documented field."""
    page = structure_response(members_example(), MemberPage)

    assert page.results[0] == NetworkMember(
        membership_id=61400,
        status=MemberStatus.LINKED,
        user_id="SOUNDCLOUD-USER-1234",
        name="John Doe",
        image_url="https://i1.sndcdn.com/avatars-1234-large.jpg",
        profile_url="https://soundcloud.com/john-doe",
        followers=9800,
        updated_at=datetime(2025, 7, 1, 22, 24, 44, tzinfo=UTC),
    )
    assert page.results[1].status is MemberStatus.INVALID
    assert page.results[0].is_linked
    assert not page.results[1].is_linked


def test_members_example_timestamps_are_aware() -> None:
    """Member timestamps decode as timezone-aware datetimes in UTC."""
    page = structure_response(members_example(), MemberPage)

    for member in page.results:
        assert member.updated_at.tzinfo is not None
        assert member.updated_at.utcoffset() == timedelta(0)


def test_member_timestamp_keeps_offset() -> None:
    """A timestamp with a non-UTC offset decodes to the same instant."""
    data = members_example()
    data["results"][0]["updated_at"] = "2025-07-02T00:24:44+02:00"

    page = structure_response(data, MemberPage)

    assert page.results[0].updated_at == datetime(2025, 7, 1, 22, 24, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2025-07-01T22:24:44.1234564Z",
            datetime(2025, 7, 1, 22, 24, 44, 123456, tzinfo=UTC),
            id="rounds down",
        ),
        pytest.param(
            "2025-07-01T22:24:44.1234565Z",
            datetime(2025, 7, 1, 22, 24, 44, 123457, tzinfo=UTC),
            id="rounds half up",
        ),
        pytest.param(
            "2025-12-31T23:59:59.99999951+01:00",
            datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
            id="carries into the next year",
        ),
        pytest.param(
            "2025-07-01t22:24:44.000000999z",
            datetime(2025, 7, 1, 22, 24, 44, 1, tzinfo=UTC),
            id="lowercase t and z",
        ),
        pytest.param(
            "20250701T222444.9999999Z",
            datetime(2025, 7, 1, 22, 24, 45, tzinfo=UTC),
            id="basic format",
        ),
        pytest.param(
            "2025-07-01T22:24:44+05:30:15.1234567",
            datetime(2025, 7, 1, 16, 54, 28, 876544, tzinfo=UTC),
            id="offset fraction does not round the time",
        ),
        pytest.param(
            "2025-07-01T22:24:44.123456\u0665Z",
            datetime(2025, 7, 1, 22, 24, 44, 123456, tzinfo=UTC),
            id="non-ASCII digit does not round",
        ),
    ],
)
def test_member_timestamp_rounds_to_microseconds(text: str, expected: datetime) -> None:
    data = members_example()
    data["results"][0]["updated_at"] = text

    page = structure_response(data, MemberPage)

    assert page.results[0].updated_at == expected


def test_timestamp_rounding_past_9999_named() -> None:
    data = members_example()
    data["results"][0]["updated_at"] = "9999-12-31T23:59:59.9999995Z"

    with pytest.raises(ResponseDecodeError) as caught:
        structure_response(data, MemberPage)

    assert caught.value.path == "$.results[0].updated_at"
    assert "before year 10000" in str(caught.value)


def test_schedule_example_decodes() -> None:
    """The reference's schedule response decodes into ScheduleResult."""
    result = structure_response(copy.deepcopy(SCHEDULE_EXAMPLE), ScheduleResult)

    assert result.status == "CREATED"
    assert result.message is None
    assert result.data == (SCHEDULE_EXAMPLE["data"][0],)


def test_schedule_ids_from_example() -> None:
    """schedule_ids takes the last path segment of each schedule URL."""
    result = structure_response(copy.deepcopy(SCHEDULE_EXAMPLE), ScheduleResult)

    assert result.schedule_ids == ("80808ba8-c347-45ed-b878-f3f5c802ed2b",)


def test_schedule_ids_ignore_trailing_slash() -> None:
    """A trailing slash does not turn a schedule id into an empty string."""
    result = ScheduleResult(
        status="CREATED",
        message=None,
        data=("https://example.test/schedule/abc/", "https://example.test/s/def"),
    )

    assert result.schedule_ids == ("abc", "def")


def test_unknown_fields_are_ignored() -> None:
    """Fields that the models do not know are skipped, as the API requires."""
    data = members_example()
    data["unknown_key"] = "unknown_value"
    data["results"][0]["unknown_key"] = {"nested": [1, 2]}

    page = structure_response(data, MemberPage)

    assert page == structure_response(members_example(), MemberPage)


def test_unknown_status_stays_raw_string() -> None:
    """A status that the library does not know is kept as the server's string."""
    data = members_example()
    data["results"][0]["status"] = "SUSPENDED"

    member = structure_response(data, MemberPage).results[0]

    assert member.status == "SUSPENDED"
    assert type(member.status) is str
    assert not member.is_linked


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        pytest.param("name", None, "expected a string, got null", id="null-string"),
        pytest.param("name", 5, "expected a string, got int 5", id="int-as-string"),
        pytest.param("user_id", ["a"], "expected a string", id="list-as-string"),
        pytest.param("membership_id", None, "got null", id="null-integer"),
        pytest.param("membership_id", "61401", "expected an integer", id="str-int"),
        pytest.param("membership_id", 1.0, "got float 1.0", id="float-as-int"),
        pytest.param("followers", True, "got bool True", id="bool-as-int"),
        pytest.param("status", None, "got null", id="null-status"),
        pytest.param("status", 3, "expected a status string", id="int-status"),
        pytest.param("updated_at", None, "got null", id="null-timestamp"),
        pytest.param("updated_at", 1751408684, "timestamp", id="epoch-timestamp"),
        pytest.param(
            "updated_at",
            "2025-06-29T01:45:29",
            "expected an ISO 8601 timestamp with a UTC offset",
            id="naive-timestamp",
        ),
        pytest.param("updated_at", "yesterday", "yesterday", id="garbage-timestamp"),
    ],
)
def test_bad_member_field_names_path(field: str, value: Any, reason: str) -> None:
    """A member field of the wrong type or null raises with the field's path."""
    data = members_example()
    data["results"][1][field] = value

    error = decode_error(data, MemberPage)

    assert error.path == f"$.results[1].{field}"
    assert f"$.results[1].{field}" in str(error)
    assert reason in str(error)
    assert error.__cause__ is not None


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("membership_id", id="membership_id"),
        pytest.param("status", id="status"),
        pytest.param("user_id", id="user_id"),
        pytest.param("name", id="name"),
        pytest.param("image_url", id="image_url"),
        pytest.param("profile_url", id="profile_url"),
        pytest.param("followers", id="followers"),
        pytest.param("updated_at", id="updated_at"),
    ],
)
def test_missing_member_field_names_path(field: str) -> None:
    """A member without a required field raises with that field's path."""
    data = members_example()
    del data["results"][1][field]

    error = decode_error(data, MemberPage)

    assert error.path == f"$.results[1].{field}"
    assert "missing" in str(error)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("first", 1, id="int-as-bool"),
        pytest.param("last", "true", id="str-as-bool"),
        pytest.param("first", None, id="null-bool"),
        pytest.param("size", False, id="bool-as-int"),
    ],
)
def test_bad_page_field_names_path(field: str, value: Any) -> None:
    """A pagination field of the wrong type raises with its path."""
    data = members_example()
    data[field] = value

    error = decode_error(data, MemberPage)

    assert error.path == f"$.{field}"


@pytest.mark.parametrize(
    "field",
    [
        pytest.param("results", id="results"),
        pytest.param("first", id="first"),
        pytest.param("size", id="size"),
    ],
)
def test_missing_page_field_names_path(field: str) -> None:
    """A page without a required field raises with that field's path."""
    data = members_example()
    del data[field]

    error = decode_error(data, MemberPage)

    assert error.path == f"$.{field}"


def test_bad_camel_case_field_names_wire_key() -> None:
    """A renamed field's path uses the JSON key that the server sent."""
    data = members_example()
    data["totalPages"] = None

    error = decode_error(data, MemberPage)

    assert error.path == "$.totalPages"


def test_results_string_names_results_path() -> None:
    """A string in place of the results list raises with the path $.results."""
    data = members_example()
    data["results"] = "not a list"

    error = decode_error(data, MemberPage)

    assert error.path == "$.results"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([MEMBERS_EXAMPLE], id="list"),
        pytest.param(None, id="null"),
        pytest.param("results", id="string"),
        pytest.param(2, id="number"),
    ],
)
def test_non_object_body_names_root(body: Any) -> None:
    """A body that is not a JSON object raises with the path $."""
    error = decode_error(body, MemberPage)

    assert error.path == "$"
    assert "expected a JSON object" in str(error)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        pytest.param(
            {"message": None, "status": None, "data": []}, "$.status", id="null-status"
        ),
        pytest.param(
            {"message": 5, "status": "CREATED", "data": []}, "$.message", id="int-msg"
        ),
        pytest.param(
            {"message": None, "status": "CREATED", "data": [1]},
            "$.data[0]",
            id="int-url",
        ),
        pytest.param(
            {"message": None, "status": "CREATED", "data": None}, "$.data", id="null"
        ),
        pytest.param({"message": None, "status": "CREATED"}, "$.data", id="no-data"),
    ],
)
def test_bad_schedule_result_names_path(data: dict[str, Any], path: str) -> None:
    """A schedule response that does not fit raises with the failing path."""
    error = decode_error(data, ScheduleResult)

    assert error.path == path


def test_schedule_data_string_is_rejected() -> None:
    """A string in place of the data list raises instead of being split."""
    data = {"message": None, "status": "CREATED", "data": "https://x.test/s/abc"}

    error = decode_error(data, ScheduleResult)

    assert error.path == "$.data"


def test_schedule_result_without_message_decodes() -> None:
    """A schedule response without the optional message decodes to None."""
    data = {"status": "CREATED", "data": ["https://x.test/s/abc"]}

    result = structure_response(data, ScheduleResult)

    assert result.message is None


def test_settings_unstructure_to_camel_case() -> None:
    """Settings use the wire's camelCase keys and a millisecond UTC date."""
    settings = ScheduleSettings(
        date=datetime(2026, 1, 30, 21, 0, tzinfo=UTC),
        unrepost_after_hours=24,
        spread_between_accounts_minutes=60,
        spread_between_tracks_minutes=60,
    )

    assert unstructure_settings(settings) == {
        "date": "2026-01-30T21:00:00.000Z",
        "unrepostAfterHours": 24,
        "spreadBetweenAccountsMinutes": 60,
        "spreadBetweenTracksMinutes": 60,
    }


def test_settings_date_converted_to_utc() -> None:
    """A date with a non-UTC offset is sent as the same instant in UTC."""
    tokyo = timezone(timedelta(hours=9))
    settings = ScheduleSettings(date=datetime(2026, 1, 31, 6, 0, tzinfo=tokyo))

    assert unstructure_settings(settings) == {"date": "2026-01-30T21:00:00.000Z"}


def test_settings_date_keeps_milliseconds() -> None:
    """The date keeps milliseconds and drops the finer microseconds."""
    settings = ScheduleSettings(date=datetime(2026, 1, 30, 21, 0, 0, 123987, UTC))

    assert unstructure_settings(settings) == {"date": "2026-01-30T21:00:00.123Z"}


def test_settings_none_fields_omitted() -> None:
    """Settings fields left as None are left out of the JSON object."""
    assert unstructure_settings(ScheduleSettings()) == {}
    assert unstructure_settings(ScheduleSettings(unrepost_after_hours=0)) == {
        "unrepostAfterHours": 0
    }

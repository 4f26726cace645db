"""Property tests: any response ends in a result or a library error.

Hypothesis feeds the response pipeline random statuses, headers and bodies
(random bytes, random JSON and the documented shapes with wrong types). No
input may escape as another exception type, and a body that fits the JSON
grammar but not the model names the path of the failing field.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from influenceplanner_async import (
    APIStatusError,
    Client,
    InfluencePlannerError,
    MemberPage,
    ResponseDecodeError,
    RetryPolicy,
    ScheduleResult,
    ScheduleSettings,
)
from influenceplanner_async._headers import (
    parse_date,
    parse_rate_limit_headers,
    parse_retry_after,
)
from influenceplanner_async._responses import (
    RawResponse,
    build_status_error,
    decode_body,
)
from tests.unit.test_client_http import MEMBER, PAGE, MockResponse

if TYPE_CHECKING:
    from collections.abc import Callable

BASE_URL = "https://api.fuzz.invalid/partner/v1"
SCHEDULE_BODY: dict[str, Any] = {
    "message": None,
    "status": "CREATED",
    "data": ["https://influenceplanner.com/planned/calendar/schedule/abc"],
}
# Enough examples to reach the rare branches, few enough to keep the suite fast.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30
)
rate_headers = st.dictionaries(
    st.sampled_from(
        [
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Retry-After",
            "Date",
            "Content-Type",
        ]
    ),
    header_text | st.integers(-(10**14), 10**14).map(str),
)


def member_paths() -> list[tuple[str, str]]:
    """Return each member field with its wire path in a one-member page."""
    return [(key, f"$.results[0].{key}") for key in MEMBER]


PAGE_FIELDS = [
    ("results", "$.results"),
    ("first", "$.first"),
    ("last", "$.last"),
    ("totalPages", "$.totalPages"),
    ("totalElements", "$.totalElements"),
    ("size", "$.size"),
]


def raw(status: int, body: bytes, headers: dict[str, str] | None = None) -> RawResponse:
    """Build a RawResponse as the transport would."""
    proxy = CIMultiDictProxy(CIMultiDict(headers or {}))
    return RawResponse(
        status=status,
        headers=proxy,
        body=body,
        method="GET",
        url=BASE_URL + "/network/members",
    )


def decode_error(response: RawResponse, model: type[Any]) -> ResponseDecodeError | None:
    """Decode ``response`` and return the error it raised, or ``None``."""
    try:
        decode_body(response, model)
    except ResponseDecodeError as error:
        return error
    return None


def wrong_value_for(value: Any) -> st.SearchStrategy[Any]:
    """Return JSON values of a type other than that of ``value``."""
    return json_values.filter(lambda other: type(other) is not type(value))


@FUZZ
@given(body=st.binary(max_size=200), status=st.integers(100, 599))
def test_decode_random_bytes(body: bytes, status: int) -> None:
    """Random bytes decode into a page or raise ResponseDecodeError."""
    error = decode_error(raw(status, body), MemberPage)

    if error is not None:
        assert error.status == status
        assert error.path.startswith("$")


@FUZZ
@given(value=json_values, model=st.sampled_from([MemberPage, ScheduleResult]))
def test_decode_random_json(value: Any, model: type[Any]) -> None:
    """Random JSON decodes into the model or raises ResponseDecodeError."""
    error = decode_error(raw(200, json.dumps(value).encode()), model)

    if error is not None:
        assert error.path.startswith("$")


@FUZZ
@given(data=st.data(), field=st.sampled_from(member_paths()))
def test_decode_wrong_member_field(data: st.DataObject, field: tuple[str, str]) -> None:
    """A member field of the wrong type is reported with its path."""
    key, path = field
    member = dict(MEMBER)
    member[key] = data.draw(wrong_value_for(MEMBER[key]))
    if key == "status" and isinstance(member[key], str):
        return
    page = {**PAGE, "results": [member]}

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(200, json.dumps(page).encode()), MemberPage)

    assert caught.value.path == path


@FUZZ
@given(data=st.data(), field=st.sampled_from(PAGE_FIELDS))
def test_decode_wrong_page_field(data: st.DataObject, field: tuple[str, str]) -> None:
    """A page field of the wrong type is reported with its wire path."""
    key, path = field
    page = dict(PAGE)
    page[key] = data.draw(wrong_value_for(PAGE[key]))

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(200, json.dumps(page).encode()), MemberPage)

    assert caught.value.path.startswith(path)


@FUZZ
@given(data=st.data(), key=st.sampled_from(["status", "data"]))
def test_decode_wrong_schedule_field(data: st.DataObject, key: str) -> None:
    """A schedule result field of the wrong type is reported with its path."""
    body = dict(SCHEDULE_BODY)
    body[key] = data.draw(wrong_value_for(SCHEDULE_BODY[key]))

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(200, json.dumps(body).encode()), ScheduleResult)

    assert caught.value.path.startswith(f"$.{key}")


@FUZZ
@given(
    status=st.integers(300, 599),
    body=st.binary(max_size=100) | json_values.map(lambda v: json.dumps(v).encode()),
    headers=rate_headers,
)
def test_status_error_random(status: int, body: bytes, headers: dict[str, str]) -> None:
    """Any error status and body build an APIStatusError with that status."""
    error = build_status_error(raw(status, body, headers))

    assert isinstance(error, APIStatusError)
    assert error.status == status
    assert str(error)


@FUZZ
@given(headers=rate_headers, now=st.floats(0, 4e9))
def test_header_parsers_total(headers: dict[str, str], now: float) -> None:
    """The header parsers return a value or None for any header text."""
    parse_rate_limit_headers(headers, server_now=now)
    parse_retry_after(headers.get("Retry-After"), now=now)
    parse_date(headers.get("Date"))


def make_client() -> Client:
    """Build a client that sends each request once."""
    return Client(
        "alice",
        "ip-1234",
        base_url=BASE_URL,
        retry=RetryPolicy(max_attempts=1, max_rate_limit_retries=0),
        max_wait=0.0,
    )


async def list_members(client: Client) -> object:
    """Fetch one page."""
    return await client.list_members()


async def create_schedule(client: Client) -> object:
    """Create one schedule."""
    return await client.create_schedule(
        types=["REPOST"],
        medias=["https://soundcloud.com/example/demo"],
        targets=["SOUNDCLOUD-USER-1234"],
        settings=ScheduleSettings(),
    )


CALLS: dict[str, Callable[[Client], Any]] = {
    "GET": list_members,
    "POST": create_schedule,
}


@FUZZ
@given(
    status=st.integers(200, 599),
    body=st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.just(json.dumps(PAGE).encode())
    | st.just(json.dumps(SCHEDULE_BODY).encode()),
    headers=rate_headers,
    method=st.sampled_from(["GET", "POST"]),
)
async def test_client_call_random_response(
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: bytes,
    headers: dict[str, str],
    method: str,
) -> None:
    """A whole client call ends in a result or an InfluencePlannerError."""
    monkeypatch.setattr("aioresponses.core.ClientResponse", MockResponse)
    with aioresponses() as mocked:
        mocked.add(
            f"{BASE_URL}/network/members?offset=0&limit=25"
            if method == "GET"
            else f"{BASE_URL}/schedule/create",
            method=method,
            status=status,
            body=body,
            headers=headers,
        )
        async with make_client() as client:
            # Any other exception type escapes and fails the example.
            with contextlib.suppress(InfluencePlannerError):
                await CALLS[method](client)

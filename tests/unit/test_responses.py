"""Tests of response interpretation: decoding bodies and building errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from influenceplanner_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    MemberPage,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ScheduleResult,
    ServerError,
)
from influenceplanner_async._responses import (
    RawResponse,
    build_status_error,
    decode_body,
)

MEMBERS_URL = "https://api.test.invalid/partner/v1/network/members"
SCHEDULE_URL = "https://api.test.invalid/partner/v1/schedule/create"
UNKNOWN_OUTCOME_TEXT = "the schedule may or may not exist"

HTML_BODY = b"""<!DOCTYPE html>
<html>
  <head><title>502 Bad Gateway</title></head>
  <body>
    <h1>502 Bad Gateway</h1>
    <p>nginx</p>
  </body>
</html>
"""


def raw_response(
    status: int,
    body: bytes | dict[str, Any],
    *,
    method: str = "GET",
    url: str = MEMBERS_URL,
    content_type: str = "application/json",
) -> RawResponse:
    """Build a RawResponse, encoding a dict body as JSON."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": content_type}))
    return RawResponse(
        status=status, headers=headers, body=data, method=method, url=url
    )


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        pytest.param(400, BadRequestError, id="400"),
        pytest.param(401, AuthenticationError, id="401"),
        pytest.param(402, PaymentRequiredError, id="402"),
        pytest.param(403, PermissionDeniedError, id="403"),
        pytest.param(404, NotFoundError, id="404"),
        pytest.param(405, MethodNotAllowedError, id="405"),
        pytest.param(406, NotAcceptableError, id="406"),
        pytest.param(429, RateLimitError, id="429"),
        pytest.param(500, ServerError, id="500"),
        pytest.param(502, ServerError, id="502"),
        pytest.param(503, ServerError, id="503"),
        pytest.param(409, APIStatusError, id="409"),
        pytest.param(451, APIStatusError, id="451"),
    ],
)
def test_build_status_error_class(
    status: int, error_class: type[APIStatusError]
) -> None:
    """Each status builds an error of its mapped class with request details."""
    response = raw_response(status, {"message": "Something failed"})

    error = build_status_error(response)

    assert type(error) is error_class
    assert error.status == status
    assert error.method == "GET"
    assert error.url == MEMBERS_URL


def test_build_status_error_uses_server_message() -> None:
    """The server's message field becomes the error's message."""
    body = {"message": "Invalid sortBy value", "status": "BAD_REQUEST"}
    response = raw_response(400, body)

    error = build_status_error(response)

    assert error.message == "Invalid sortBy value"
    assert error.body == body
    assert "Invalid sortBy value" in str(error)
    assert "HTTP 400" in str(error)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"error": "Forbidden"}, "Forbidden", id="error-field"),
        pytest.param({"status": "FORBIDDEN"}, "FORBIDDEN", id="status-field"),
        pytest.param(
            {"message": None, "error": "Forbidden"}, "Forbidden", id="null-message"
        ),
    ],
)
def test_build_status_error_message_fallbacks(
    body: dict[str, Any], expected: str
) -> None:
    """Without a message field the error or status field gives the message."""
    error = build_status_error(raw_response(403, body))

    assert error.message == expected


def test_build_status_error_json_without_text() -> None:
    """A JSON body without a usable text field is quoted as an excerpt."""
    error = build_status_error(raw_response(400, {"code": 17}))

    assert error.message == '{"code": 17}'
    assert error.body == {"code": 17}


def test_build_status_error_html_excerpt() -> None:
    """An HTML body gives a one-line excerpt and no decoded body."""
    response = raw_response(502, HTML_BODY, content_type="text/html")

    error = build_status_error(response)

    assert error.body is None
    assert error.message.startswith("<!DOCTYPE html> <html> <head>")
    assert "502 Bad Gateway" in error.message
    assert "\n" not in error.message


def test_build_status_error_long_body_truncated() -> None:
    """A long non-JSON body is cut to a short excerpt ending in dots."""
    response = raw_response(500, b"x" * 5000, content_type="text/plain")

    error = build_status_error(response)

    assert len(error.message) == 200
    assert error.message.endswith("...")


def test_build_status_error_empty_body() -> None:
    """An empty body is named as such in the message."""
    error = build_status_error(raw_response(503, b"", content_type="text/plain"))

    assert error.message == "(empty body)"


def test_build_status_error_post_server_error_hint() -> None:
    """A 5xx response to a POST is marked outcome-unknown with the hint."""
    response = raw_response(500, {"message": "oops"}, method="POST", url=SCHEDULE_URL)

    error = build_status_error(response)

    assert isinstance(error, ServerError)
    assert error.outcome_unknown is True
    assert error.method == "POST"
    assert error.url == SCHEDULE_URL
    assert UNKNOWN_OUTCOME_TEXT in str(error)


def test_build_status_error_get_server_error_no_hint() -> None:
    """A 5xx response to a GET has no unknown outcome and no hint."""
    error = build_status_error(raw_response(500, {"message": "oops"}))

    assert error.outcome_unknown is False
    assert UNKNOWN_OUTCOME_TEXT not in str(error)


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        pytest.param(401, "Check the username and API key", id="401"),
        pytest.param(402, "subscription plan", id="402"),
        pytest.param(404, "should end with /partner/v1", id="404"),
    ],
)
def test_build_status_error_status_hint(status: int, hint: str) -> None:
    """Statuses with a usual cause carry advice in the message."""
    error = build_status_error(raw_response(status, {"message": "No"}))

    assert hint in str(error)


def test_build_status_error_rate_limit_details() -> None:
    """A 429 error carries the reset and Retry-After that the caller passes."""
    reset = datetime(2026, 1, 30, 21, 0, tzinfo=UTC)
    response = raw_response(429, {"message": "Too Many Requests"})

    error = build_status_error(response, reset=reset, retry_after=3.0)

    assert isinstance(error, RateLimitError)
    assert error.reset == reset
    assert error.retry_after == 3.0
    assert error.message == "Too Many Requests"


def test_decode_body_success() -> None:
    """A JSON body that fits the model decodes into it."""
    body = {"message": None, "status": "CREATED", "data": ["https://x.test/s/abc"]}

    result = decode_body(raw_response(200, body), ScheduleResult)

    assert result == ScheduleResult(
        status="CREATED", message=None, data=("https://x.test/s/abc",)
    )


def test_decode_body_not_json() -> None:
    """A non-JSON success body raises with status, URL and an excerpt."""
    response = raw_response(200, HTML_BODY, content_type="text/html")

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(response, MemberPage)

    error = caught.value
    assert error.status == 200
    assert error.method == "GET"
    assert error.url == MEMBERS_URL
    assert error.path == "$"
    assert "not JSON (text/html)" in str(error)
    assert "502 Bad Gateway" in str(error)
    assert isinstance(error.__cause__, json.JSONDecodeError)


def test_decode_body_invalid_utf8() -> None:
    """A body that is not UTF-8 raises ResponseDecodeError, not UnicodeError."""
    response = raw_response(200, b"\xff\xfe\xfa", content_type="text/plain")

    with pytest.raises(ResponseDecodeError):
        decode_body(response, MemberPage)


def test_decode_body_wrong_shape_keeps_path() -> None:
    """A JSON body that does not fit keeps the path and gains request details."""
    body = {"message": None, "status": "CREATED", "data": [7]}
    response = raw_response(201, body, method="POST", url=SCHEDULE_URL)

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(response, ScheduleResult)

    error = caught.value
    assert error.path == "$.data[0]"
    assert error.status == 201
    assert error.method == "POST"
    assert error.url == SCHEDULE_URL

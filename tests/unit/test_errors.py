"""Tests of the exception hierarchy and the status-to-class mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from influenceplanner_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    InfluencePlannerError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    ValidationError,
)
from influenceplanner_async._errors import status_error_class, status_hint

SCHEDULE_URL = "https://api.test.invalid/partner/v1/schedule/create"
MEMBERS_URL = "https://api.test.invalid/partner/v1/network/members"
UNKNOWN_OUTCOME_TEXT = "the schedule may or may not exist"


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
        pytest.param(504, ServerError, id="504"),
        pytest.param(409, APIStatusError, id="409"),
        pytest.param(418, APIStatusError, id="418"),
        pytest.param(422, APIStatusError, id="422"),
    ],
)
def test_status_error_class(status: int, error_class: type[APIStatusError]) -> None:
    """Each documented status maps to its class, other 4xx to APIStatusError."""
    assert status_error_class(status) is error_class


@pytest.mark.parametrize(
    "error_class",
    [
        pytest.param(BadRequestError, id="400"),
        pytest.param(AuthenticationError, id="401"),
        pytest.param(PaymentRequiredError, id="402"),
        pytest.param(PermissionDeniedError, id="403"),
        pytest.param(NotFoundError, id="404"),
        pytest.param(MethodNotAllowedError, id="405"),
        pytest.param(NotAcceptableError, id="406"),
        pytest.param(RateLimitError, id="429"),
        pytest.param(ServerError, id="5xx"),
    ],
)
def test_status_classes_share_base(error_class: type[APIStatusError]) -> None:
    """Every status class is an APIStatusError and an InfluencePlannerError."""
    assert issubclass(error_class, APIStatusError)
    assert issubclass(error_class, InfluencePlannerError)


def test_hierarchy_builtin_bases() -> None:
    """Argument and state errors also derive from the matching builtins."""
    assert issubclass(ValidationError, ValueError)
    assert issubclass(ValidationError, InfluencePlannerError)
    assert issubclass(ClientStateError, RuntimeError)
    assert issubclass(ClientStateError, InfluencePlannerError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, InfluencePlannerError)
    assert issubclass(ResponseDecodeError, InfluencePlannerError)


def test_status_error_attributes() -> None:
    """A status error keeps status, method, URL, message and body."""
    error = BadRequestError(
        status=400,
        method="GET",
        url=MEMBERS_URL,
        message="Invalid sortBy value",
        body={"message": "Invalid sortBy value"},
    )

    assert error.status == 400
    assert error.method == "GET"
    assert error.url == MEMBERS_URL
    assert error.message == "Invalid sortBy value"
    assert error.body == {"message": "Invalid sortBy value"}
    assert str(error) == f"GET {MEMBERS_URL} failed with HTTP 400: Invalid sortBy value"


def test_status_error_appends_hint() -> None:
    """A hint follows the server's message as its own sentence."""
    error = AuthenticationError(
        status=401,
        method="GET",
        url=MEMBERS_URL,
        message="Unauthorized",
        hint="Check the username and API key",
    )

    assert str(error).endswith("Unauthorized. Check the username and API key")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_post_server_error_outcome_unknown(status: int) -> None:
    """A 5xx response to a POST marks the outcome unknown and advises a check."""
    error = ServerError(status=status, method="POST", url=SCHEDULE_URL, message="oops")

    assert error.outcome_unknown is True
    assert UNKNOWN_OUTCOME_TEXT in str(error)
    assert "check the schedule calendar" in str(error)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_get_server_error_outcome_known(status: int) -> None:
    """A 5xx response to a GET has no unknown outcome and no such hint."""
    error = ServerError(status=status, method="GET", url=MEMBERS_URL, message="oops")

    assert error.outcome_unknown is False
    assert UNKNOWN_OUTCOME_TEXT not in str(error)


def test_post_client_error_outcome_known() -> None:
    """A 4xx response to a POST was not processed, so its outcome is known."""
    error = BadRequestError(status=400, method="POST", url=SCHEDULE_URL, message="x")

    assert error.outcome_unknown is False
    assert UNKNOWN_OUTCOME_TEXT not in str(error)


def test_rate_limit_error_attributes() -> None:
    """RateLimitError carries the reset time and the Retry-After seconds."""
    reset = datetime(2026, 1, 30, 21, 0, tzinfo=UTC)

    error = RateLimitError(
        status=429,
        method="GET",
        url=MEMBERS_URL,
        message="Too Many Requests",
        reset=reset,
        retry_after=12.5,
    )

    assert error.reset == reset
    assert error.retry_after == 12.5
    assert error.status == 429


@pytest.mark.parametrize(
    ("method", "request_sent", "outcome_unknown"),
    [
        pytest.param("POST", True, True, id="post-sent"),
        pytest.param("POST", False, False, id="post-not-sent"),
        pytest.param("GET", True, False, id="get-sent"),
        pytest.param("GET", False, False, id="get-not-sent"),
    ],
)
def test_connection_error_outcome(
    method: str, request_sent: bool, outcome_unknown: bool
) -> None:
    """Only a POST that may have reached the server has an unknown outcome."""
    error = APIConnectionError(
        "Connection reset", method=method, url=SCHEDULE_URL, request_sent=request_sent
    )

    assert error.outcome_unknown is outcome_unknown
    assert (UNKNOWN_OUTCOME_TEXT in str(error)) is outcome_unknown
    assert error.request_sent is request_sent
    assert error.method == method
    assert error.url == SCHEDULE_URL


def test_timeout_error_outcome() -> None:
    """A POST timeout after sending keeps the unknown-outcome hint."""
    error = APITimeoutError(
        "POST timed out", method="POST", url=SCHEDULE_URL, request_sent=True
    )

    assert isinstance(error, APIConnectionError)
    assert error.outcome_unknown is True
    assert UNKNOWN_OUTCOME_TEXT in str(error)


def test_decode_error_defaults() -> None:
    """ResponseDecodeError defaults to the root path and no request details."""
    error = ResponseDecodeError("bad body")

    assert error.path == "$"
    assert error.status is None
    assert error.method is None
    assert error.url is None
    assert str(error) == "bad body"


def test_validation_error_attributes() -> None:
    """ValidationError keeps argument, value and rule and names all three."""
    error = ValidationError("limit", 26, "must be at most 25")

    assert error.argument == "limit"
    assert error.value == 26
    assert error.rule == "must be at most 25"
    assert str(error) == "Invalid limit=26: must be at most 25. No request was sent."


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(401, "Check the username and API key", id="401"),
        pytest.param(402, "subscription plan", id="402"),
        pytest.param(404, "/partner/v1", id="404"),
    ],
)
def test_status_hint(status: int, expected: str) -> None:
    """Statuses with a usual cause get advice on what to check."""
    assert expected in status_hint(status)


@pytest.mark.parametrize("status", [400, 403, 429, 500])
def test_status_hint_empty(status: int) -> None:
    """Statuses without a usual cause get no advice."""
    assert status_hint(status) == ""

"""Exceptions raised by the client.

Hierarchy::

    InfluencePlannerError
    ├── ValidationError (also ValueError): bad arguments, found before sending
    │   └── ScheduleFileError: a bad row or column in a CSV of schedules
    ├── JournalError: a bulk journal cannot be read, or another job holds it
    ├── ClientStateError (also RuntimeError): closed client or wrong event loop
    ├── APIConnectionError: the request could not be sent or the answer was lost
    │   └── APITimeoutError
    ├── ResponseDecodeError: the body is not the documented JSON
    │   └── ResponseTooLargeError: the body passed max_response_size
    └── APIStatusError: the server answered with an error status
        ├── RedirectError (3xx, never followed)
        ├── BadRequestError (400)
        ├── AuthenticationError (401)
        ├── PaymentRequiredError (402)
        ├── PermissionDeniedError (403)
        ├── NotFoundError (404)
        ├── MethodNotAllowedError (405)
        ├── NotAcceptableError (406)
        ├── RateLimitError (429)
        └── ServerError (5xx)

No exception stores or prints credentials or the Authorization header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientStateError",
    "InfluencePlannerError",
    "JournalError",
    "MethodNotAllowedError",
    "NotAcceptableError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ScheduleFileError",
    "ServerError",
    "ValidationError",
    "status_error_class",
]


UNKNOWN_OUTCOME_HINT = (
    "The request reached the server, so the schedule may or may not exist; "
    "check the schedule calendar before sending it again"
)


class InfluencePlannerError(Exception):
    """Base class of every exception that the client raises on purpose."""


class ValidationError(InfluencePlannerError, ValueError):
    """An argument breaks a rule of the Partner API; no request was sent.

    Attributes:
        argument: Name of the offending argument, such as ``"limit"``.
        value: The rejected value.
        rule: The rule that the value breaks.
    """

    def __init__(
        self, argument: str, value: object, rule: str, *, message: str | None = None
    ) -> None:
        self.argument = argument
        self.value = value
        self.rule = rule
        super().__init__(
            message or f"Invalid {argument}={value!r}: {rule}. No request was sent."
        )


class ScheduleFileError(ValidationError):
    """A CSV file of schedule requests has a bad row, column or header.

    Attributes:
        path: The file, as given.
        line: 1-based line number of the first problem (the header is line 1).
        column: Name of the column of the first problem, or ``None`` for a
            problem with the whole row or header.
        problems: Every problem found, as ``(line, column, message)``.
    """

    def __init__(self, path: str, problems: list[tuple[int, str | None, str]]) -> None:
        self.path = path
        self.problems = tuple(problems)
        self.line, self.column, first = problems[0]
        where = _describe_place(self.line, self.column)
        text = f"{path}: {where}: {first}"
        if len(problems) > 1:
            text = f"{text} (and {len(problems) - 1} more problems)"
        super().__init__("file", path, first, message=f"{text}. No request was sent.")


def _describe_place(line: int, column: str | None) -> str:
    if column is None:
        return f"line {line}"
    return f"line {line}, column {column!r}"


class JournalError(InfluencePlannerError):
    """A bulk journal cannot be used: unreadable, foreign or locked.

    Attributes:
        path: The journal file.
        line: 1-based line number of the bad record, if one is to blame.
    """

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        super().__init__(message)


class ClientStateError(InfluencePlannerError, RuntimeError):
    """The client cannot be used in its current state or on this event loop."""


class APIConnectionError(InfluencePlannerError):
    """The request failed on the network, before a complete response arrived.

    Attributes:
        method: HTTP method of the request.
        url: URL of the request, without credentials.
        request_sent: ``True`` when the request may have reached the server,
            ``False`` when the connection never opened, so the server cannot
            have processed it.
        outcome_unknown: ``True`` for a non-idempotent request (creating a
            schedule) that may have been processed: check before resending.
    """

    def __init__(
        self, message: str, *, method: str, url: str, request_sent: bool
    ) -> None:
        self.method = method
        self.url = url
        self.request_sent = request_sent
        self.outcome_unknown = request_sent and method != "GET"
        if self.outcome_unknown:
            message = f"{message.rstrip('.')}. {UNKNOWN_OUTCOME_HINT}"
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The connection or the response did not arrive within the timeout."""


class ResponseDecodeError(InfluencePlannerError):
    """The response body is not the JSON that the Partner API documents.

    Attributes:
        path: Path of the field that failed, such as ``$.results[3].followers``,
            or ``$`` when the body as a whole is wrong.
        status: HTTP status of the response.
        method: HTTP method of the request.
        url: URL of the request.
        outcome_unknown: ``True`` when a schedule creation received a success
            status with an unreadable body, so the schedule may exist.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "$",
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.path = path
        self.status = status
        self.method = method
        self.url = url
        self.outcome_unknown = False
        super().__init__(message)

    def mark_outcome_unknown(self) -> None:
        """Flag a success response to a non-idempotent request as unreadable.

        The server processed the request, so a schedule may exist although
        its URL could not be read. The message explains how to check.
        """
        self.outcome_unknown = True
        self.args = (f"{self.args[0]}. {UNKNOWN_OUTCOME_HINT}",)


class ResponseTooLargeError(ResponseDecodeError):
    """The response body is larger than the client's ``max_response_size``.

    The client stops reading at the limit, so a misbehaving proxy cannot
    exhaust memory.

    Attributes:
        limit: The ``max_response_size`` in bytes that the body passed.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: int,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.limit = limit
        super().__init__(message, status=status, method=method, url=url)


class APIStatusError(InfluencePlannerError):
    """The server responded with an error status.

    Attributes:
        status: HTTP status code.
        method: HTTP method of the request.
        url: URL of the request, without credentials.
        message: The server's ``message`` field, or a short excerpt of the body.
        body: The decoded JSON body, or ``None`` when the body was not JSON.
        outcome_unknown: ``True`` for a 5xx response to a non-idempotent request
            (creating a schedule), which the server may have processed.
        retry_after: Seconds from the ``Retry-After`` header, if the server
            sent one.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        message: str,
        body: Any = None,
        hint: str = "",
        retry_after: float | None = None,
        summary: str | None = None,
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.method = method
        self.url = url
        self.message = message
        self.body = body
        self.outcome_unknown = status >= 500 and method != "GET"
        if self.outcome_unknown and not hint:
            hint = UNKNOWN_OUTCOME_HINT
        text = summary or (
            f"{method} {url} failed with HTTP {status}: {message.rstrip('.')}"
        )
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text)


class RedirectError(APIStatusError):
    """HTTP 3xx: the server redirected, and the client does not follow.

    Following a redirect would send the ``Authorization`` header to another
    location, so the client raises instead.

    Attributes:
        location: The ``Location`` header, or ``None`` when it was missing.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        message: str,
        body: Any = None,
        hint: str = "",
        retry_after: float | None = None,
        location: str | None = None,
    ) -> None:
        self.location = location
        super().__init__(
            status=status,
            method=method,
            url=url,
            message=message,
            body=body,
            hint=hint,
            retry_after=retry_after,
        )


class BadRequestError(APIStatusError):
    """HTTP 400: the server rejected the request as invalid."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the username or API key is wrong or missing."""


class PaymentRequiredError(APIStatusError):
    """HTTP 402: the account's subscription does not include this feature."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the account may not perform this request."""


class NotFoundError(APIStatusError):
    """HTTP 404: the path does not exist, often a wrong base URL."""


class MethodNotAllowedError(APIStatusError):
    """HTTP 405: the path does not accept this HTTP method."""


class NotAcceptableError(APIStatusError):
    """HTTP 406: the server cannot respond with JSON."""


class RateLimitError(APIStatusError):
    """HTTP 429, or a wait for budget that would pass the caller's deadline.

    Attributes:
        reset: When the server's window resets, if known.
        retry_after: Seconds until a retry may succeed, if known.
        request_sent: ``False`` when the client raised it without sending,
            because budget would return only after the call's ``max_wait``.
    """

    reset: datetime | None

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        message: str,
        body: Any = None,
        hint: str = "",
        reset: datetime | None = None,
        retry_after: float | None = None,
        summary: str | None = None,
        request_sent: bool = True,
    ) -> None:
        self.reset = reset
        self.request_sent = request_sent
        super().__init__(
            status=status,
            method=method,
            url=url,
            message=message,
            body=body,
            hint=hint,
            retry_after=retry_after,
            summary=summary,
        )


class ServerError(APIStatusError):
    """HTTP 5xx: the service failed; the request may be retried later."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    406: NotAcceptableError,
    429: RateLimitError,
}

_STATUS_HINTS: dict[int, str] = {
    401: "Check the username and API key",
    402: "The account's subscription plan does not include this feature",
    404: "Check the base URL, which should end with /partner/v1",
}


def status_error_class(status: int) -> type[APIStatusError]:
    """Return the exception class for an HTTP error status."""
    if status >= 500:
        return ServerError
    if 300 <= status < 400:
        return RedirectError
    return _STATUS_CLASSES.get(status, APIStatusError)


def status_hint(status: int) -> str:
    """Return advice for an HTTP error status, or an empty string."""
    return _STATUS_HINTS.get(status, "")

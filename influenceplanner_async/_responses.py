"""Interpretation of HTTP responses, kept free of I/O so it tests without a loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
from multidict import CIMultiDictProxy

from ._converter import structure_checked_page, structure_response
from ._errors import (
    APIStatusError,
    RateLimitError,
    ResponseDecodeError,
    status_error_class,
    status_hint,
)
from ._models import MemberPage
from ._wire import decode_page, loads_json

if TYPE_CHECKING:
    from datetime import datetime


__all__ = ["RawResponse", "build_status_error", "decode_body"]

T = TypeVar("T")

_EXCERPT_LENGTH = 200


# Not frozen: one is built per response, and a frozen class's __init__ costs
# twice as much. Nothing changes a response after it is built.
@attrs.define
class RawResponse:
    """Status, headers and body of one response, read in full."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    method: str
    url: str


def decode_body(response: RawResponse, model: type[T]) -> T:
    """Decode a successful response into ``model``.

    Raises:
        ResponseDecodeError: The body is not JSON or does not fit the model.
    """
    if model is MemberPage:
        # The typed decoder, when installed, checks and decodes in one pass.
        typed = decode_page(response.body)
        if typed is not None:
            return cast("T", structure_checked_page(typed))
    data = _load_json(response)
    try:
        return structure_response(data, model)
    except ResponseDecodeError as error:
        error.status = response.status
        error.method = response.method
        error.url = response.url
        raise


def build_status_error(
    response: RawResponse,
    *,
    reset: datetime | None = None,
    retry_after: float | None = None,
    hint: str = "",
) -> APIStatusError:
    """Build the exception for an error status, with the server's message."""
    body, message = _error_details(response)
    error_class = status_error_class(response.status)
    hint = hint or status_hint(response.status)
    if error_class is RateLimitError:
        return RateLimitError(
            status=response.status,
            method=response.method,
            url=response.url,
            message=message,
            body=body,
            hint=hint,
            reset=reset,
            retry_after=retry_after,
        )
    return error_class(
        status=response.status,
        method=response.method,
        url=response.url,
        message=message,
        body=body,
        hint=hint,
        retry_after=retry_after,
    )


def _load_json(response: RawResponse) -> Any:
    try:
        return loads_json(response.body)
    except RecursionError:
        problem = "JSON nested too deeply to decode"
        cause = None
    except ValueError as error:
        content_type = response.headers.get("Content-Type", "no content type")
        problem = f"a body that is not JSON ({content_type})"
        cause = error
    msg = (
        f"{response.method} {response.url} returned HTTP {response.status} "
        f"with {problem}: {_excerpt(response.body)}"
    )
    raise ResponseDecodeError(
        msg, status=response.status, method=response.method, url=response.url
    ) from cause


def _error_details(response: RawResponse) -> tuple[Any, str]:
    try:
        body = loads_json(response.body)
    except (ValueError, RecursionError):
        return None, _excerpt(response.body) or "(empty body)"
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body.get("status")
        if isinstance(message, str) and message:
            return body, message
    return body, _excerpt(response.body)


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    text = " ".join(text.split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[: _EXCERPT_LENGTH - 3] + "..."
    return text

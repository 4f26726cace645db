"""Response bodies of the fake API: the JSON envelope and the broken bodies."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = [
    "corrupt_types",
    "error_response",
    "html_error_page",
    "json_response",
    "malformed_json_response",
    "truncate_body",
]

JSON_CONTENT_TYPE = "application/json"
_MALFORMED_JSON = '{"results": [{"membership_id": 61400, "status": "LINKED",]'


def json_response(
    payload: Any, *, status: int = 200, ensure_ascii: bool = False
) -> web.Response:
    """Return ``payload`` encoded as a UTF-8 JSON response."""
    text = json.dumps(payload, ensure_ascii=ensure_ascii, separators=(",", ":"))
    return web.Response(
        text=text, status=status, content_type=JSON_CONTENT_TYPE, charset="utf-8"
    )


def error_response(
    status: int, message: str, *, ensure_ascii: bool = False
) -> web.Response:
    """Return the API's error body, ``{"status", "message", "data": null}``.

    ``status`` in the body is the HTTP status name, such as ``NOT_FOUND``.
    """
    payload = {"status": HTTPStatus(status).name, "message": message, "data": None}
    return json_response(payload, status=status, ensure_ascii=ensure_ascii)


def html_error_page(status: int) -> web.Response:
    """Return a ``text/html`` error page like one from a reverse proxy."""
    phrase = HTTPStatus(status).phrase
    page = (
        "<html>\r\n"
        f"<head><title>{status} {phrase}</title></head>\r\n"
        "<body>\r\n"
        f"<center><h1>{status} {phrase}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n"
        "</body>\r\n"
        "</html>\r\n"
    )
    return web.Response(text=page, status=status, content_type="text/html")


def malformed_json_response() -> web.Response:
    """Return a 200 whose ``application/json`` body does not parse."""
    return web.Response(
        text=_MALFORMED_JSON, content_type=JSON_CONTENT_TYPE, charset="utf-8"
    )


def truncate_body(response: web.Response) -> web.Response:
    """Return ``response`` with only the first half of its body."""
    body = _body_bytes(response)
    return web.Response(
        body=body[: len(body) // 2],
        status=response.status,
        content_type=response.content_type,
        charset=response.charset,
    )


def corrupt_types(response: web.Response) -> web.Response:
    """Return a 200 whose JSON values have types the API never sends.

    A listing gets ``followers`` as a string and ``name`` as null in every
    member, and ``totalPages`` as a string. Any other body gets ``data`` as a
    string. A body that is not a JSON object becomes ``{"data": "..."}``.
    """
    try:
        payload = json.loads(_body_bytes(response))
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {}

    if isinstance(payload.get("results"), list):
        for member in payload["results"]:
            if isinstance(member, dict):
                member["followers"] = str(member.get("followers"))
                member["name"] = None
        payload["totalPages"] = str(payload.get("totalPages"))
    else:
        payload["data"] = "not-a-list"
    return json_response(payload)


def _body_bytes(response: web.Response) -> bytes:
    body = response.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return b""

"""The thin aiohttp layer: send one request, translate transport errors."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from ._errors import APIConnectionError, APITimeoutError
from ._responses import RawResponse

if TYPE_CHECKING:
    from ._config import Timeout

__all__ = ["send_once", "translate_transport_error"]

logger = logging.getLogger("influenceplanner_async.http")


async def send_once(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    timeouts: Timeout,
    params: dict[str, str] | None,
    json_body: dict[str, Any] | None,
) -> RawResponse:
    """Send one request and read the whole response.

    Raises:
        APIConnectionError: The network failed; ``request_sent`` tells
            whether the server may have received the request.
        APITimeoutError: A connect or read timeout passed.
    """
    wire_timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=timeouts.connect, sock_read=timeouts.read
    )
    started = time.perf_counter()
    try:
        async with session.request(
            method,
            url,
            params=params,
            json=json_body,
            headers=headers,
            timeout=wire_timeout,
            allow_redirects=False,
        ) as response:
            body = await response.read()
            raw = RawResponse(
                status=response.status,
                headers=response.headers,
                body=body,
                method=method,
                url=url,
            )
    except aiohttp.ClientError as error:
        raise translate_transport_error(error, method, url) from error
    except TimeoutError as error:
        msg = f"{method} {url} timed out waiting for the server"
        raise APITimeoutError(msg, method=method, url=url, request_sent=True) from error
    logger.debug(
        "%s %s -> %d in %.3f s (remaining %s)",
        method,
        url,
        raw.status,
        time.perf_counter() - started,
        raw.headers.get("X-RateLimit-Remaining", "unknown"),
    )
    return raw


def translate_transport_error(
    error: aiohttp.ClientError, method: str, url: str
) -> APIConnectionError:
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        msg = f"{method} {url} timed out while connecting; nothing was sent"
        return APITimeoutError(msg, method=method, url=url, request_sent=False)
    if isinstance(error, aiohttp.ServerTimeoutError):
        msg = f"{method} {url} timed out waiting for the server's response"
        return APITimeoutError(msg, method=method, url=url, request_sent=True)
    if isinstance(error, aiohttp.ClientConnectorError):
        reason = error.os_error.strerror or str(error)
        msg = f"Cannot connect to {url}: {reason}. Check the base URL and network"
        return APIConnectionError(msg, method=method, url=url, request_sent=False)
    msg = f"{method} {url} failed: {type(error).__name__}: {error}"
    return APIConnectionError(msg, method=method, url=url, request_sent=True)

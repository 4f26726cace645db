"""The thin aiohttp layer: send one request, translate transport errors.

Transport security lives here as well:

* a base URL must use https, except on a loopback host (127.0.0.0/8, ::1 or
  ``localhost``), where plain http reaches only this machine;
* the SSL context verifies certificates and rejects TLS older than 1.2, and
  is passed with every request, so a caller's own session uses it too;
* redirects are never followed, because following one would send the
  ``Authorization`` header to another location; a 3xx becomes
  :class:`RedirectError`;
* a response body is read in chunks up to a size limit, so that a broken
  proxy cannot exhaust memory.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import ssl
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from ._errors import (
    APIConnectionError,
    APITimeoutError,
    RedirectError,
    ResponseTooLargeError,
    ValidationError,
)
from ._responses import RawResponse

if TYPE_CHECKING:
    from ._config import Timeout

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "check_base_url",
    "check_max_response_size",
    "check_ssl_context",
    "is_loopback_host",
    "make_ssl_context",
    "send_once",
    "translate_transport_error",
    "wire_timeout",
]

logger = logging.getLogger("influenceplanner_async.http")

DEFAULT_MAX_RESPONSE_SIZE = 10 * 1024 * 1024
"""Largest response body in bytes that the client reads: 10 MiB.

A full page of 25 members like the reference's example is about 7 KiB of
JSON, so the limit leaves room for three orders of magnitude of growth."""

_CHUNK_SIZE = 64 * 1024
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def make_ssl_context() -> ssl.SSLContext:
    """Build the default SSL context: system CAs, hostname checks, TLS 1.2+."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """Return the default SSL context, built once and shared by every client.

    Loading the system's CA certificates takes tens of milliseconds of CPU,
    which a process that creates many clients should pay only once. aiohttp
    only reads the context, so sharing it is safe.
    """
    return make_ssl_context()


def check_ssl_context(context: ssl.SSLContext) -> ssl.SSLContext:
    """Return ``context`` if it verifies certificates and needs TLS 1.2 or newer.

    Raises:
        ValidationError: The context accepts TLS older than 1.2, or does not
            verify certificates or hostnames.
    """
    if not isinstance(context, ssl.SSLContext):
        raise ValidationError("ssl_context", context, "must be an ssl.SSLContext")
    # MINIMUM_SUPPORTED is a negative sentinel, so it compares below TLSv1_2.
    if context.minimum_version < ssl.TLSVersion.TLSv1_2:
        raise ValidationError(
            "ssl_context",
            context,
            f"minimum_version is {context.minimum_version.name}; set it to "
            "ssl.TLSVersion.TLSv1_2 or newer",
        )
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise ValidationError(
            "ssl_context",
            context,
            "must verify certificates and hostnames (verify_mode CERT_REQUIRED "
            "and check_hostname True)",
        )
    return context


def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names this machine: 127.0.0.0/8, ::1 or localhost."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: object) -> str:
    """Return ``base_url`` without a trailing slash, after checking its form.

    Raises:
        ValidationError: The URL is not absolute, carries a user name or
            password, or uses plain http for a host other than loopback.
    """
    if not isinstance(base_url, str) or "://" not in base_url:
        raise ValidationError(
            "base_url",
            base_url,
            "must be an absolute URL such as https://api.influenceplanner.com/partner/v1",
        )
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise ValidationError(
            "base_url", base_url, "must be an https URL with a host name"
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "base_url",
            "<URL with credentials>",
            "must not contain a user name or password; pass them as username "
            "and api_key",
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ValidationError(
            "base_url",
            base_url,
            "must use https, because http would send the API key in clear text; "
            "plain http is allowed only for loopback hosts such as 127.0.0.1",
        )
    return base_url.rstrip("/")


def check_max_response_size(value: object) -> int:
    """Return ``value`` if it is a positive number of bytes.

    Raises:
        ValidationError: ``value`` is not a positive integer.
    """
    if type(value) is not int or value < 1:
        raise ValidationError(
            "max_response_size", value, "must be a positive number of bytes"
        )
    return value


async def send_once(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None,
    wire_timeouts: aiohttp.ClientTimeout,
    params: dict[str, str] | None,
    json_body: dict[str, Any] | None,
    ssl_context: ssl.SSLContext,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
) -> RawResponse:
    """Send one request without following redirects, and read the response.

    Raises:
        APIConnectionError: The network failed. ``request_sent`` is true
            when the server may have received the request.
        APITimeoutError: A connect or read timeout passed.
        RedirectError: The server answered with a 3xx status.
        ResponseTooLargeError: The body is larger than ``max_response_size``.
    """
    debug = logger.isEnabledFor(logging.DEBUG)
    started = time.perf_counter() if debug else 0.0
    try:
        async with session.request(
            method,
            url,
            params=params,
            json=json_body,
            headers=headers,
            timeout=wire_timeouts,
            allow_redirects=False,
            # A caller's session may raise for error statuses. The client reads
            # them itself, for the limiter and the typed errors.
            raise_for_status=False,
            ssl=ssl_context,
        ) as response:
            status = response.status
            if 300 <= status < 400:
                raise _redirect_error(response, method, url)
            response_headers = response.headers
            # An oversized body that announces its size is rejected unread.
            declared = response.content_length
            if declared is not None and declared > max_response_size:
                raise _too_large_error(status, method, url, max_response_size)
            if (
                declared is not None
                and "Content-Encoding" not in response_headers
                and "Transfer-Encoding" not in response_headers
            ):
                # aiohttp stops a plain body at its Content-Length, so the
                # check above bounds it and one read() takes it whole.
                body = await response.read()
            else:
                body = await _read_chunks(response, max_response_size, method, url)
    except aiohttp.ClientError as error:
        raise translate_transport_error(error, method, url) from error
    except TimeoutError as error:
        msg = f"{method} {url} timed out waiting for the server"
        raise APITimeoutError(msg, method=method, url=url, request_sent=True) from error
    if debug:
        logger.debug(
            "%s %s -> %d in %.3f s (remaining %s)",
            method,
            url,
            status,
            time.perf_counter() - started,
            response_headers.get("X-RateLimit-Remaining", "unknown"),
        )
    return RawResponse(status, response_headers, body, method, url)


def wire_timeout(timeouts: Timeout) -> aiohttp.ClientTimeout:
    """Build the aiohttp timeout for ``timeouts``, which a client builds once."""
    return aiohttp.ClientTimeout(
        total=None, sock_connect=timeouts.connect, sock_read=timeouts.read
    )


async def _read_chunks(
    response: aiohttp.ClientResponse, limit: int, method: str, url: str
) -> bytes:
    # A chunked or compressed body, or one without Content-Length: a running
    # count bounds it. aiohttp inflates compressed bodies before this loop,
    # so the count is of the bytes that the client keeps.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK_SIZE):
        size += len(chunk)
        if size > limit:
            raise _too_large_error(response.status, method, url, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large_error(
    status: int, method: str, url: str, limit: int
) -> ResponseTooLargeError:
    msg = (
        f"{method} {url} returned HTTP {status} with a body larger than "
        f"max_response_size={limit} bytes, so the client stopped reading it. "
        "Check for a proxy in the way, or raise max_response_size"
    )
    return ResponseTooLargeError(
        msg, limit=limit, status=status, method=method, url=url
    )


def _redirect_error(
    response: aiohttp.ClientResponse, method: str, url: str
) -> RedirectError:
    location = response.headers.get("Location")
    shown = "no Location header" if location is None else f"Location {location!r}"
    return RedirectError(
        status=response.status,
        method=method,
        url=url,
        message=f"the server redirected to {shown}",
        hint=(
            "The client does not follow redirects, so that the API key never "
            "goes to another location; check the base URL"
        ),
        location=location,
    )


def translate_transport_error(
    error: aiohttp.ClientError, method: str, url: str
) -> APIConnectionError:
    """Turn an aiohttp exception into the library's connection error."""
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

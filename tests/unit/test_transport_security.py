"""Tests of the transport's security checks that need no server."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

import pytest
from aioresponses import aioresponses

from influenceplanner_async import (
    DEFAULT_MAX_RESPONSE_SIZE,
    Client,
    RedirectError,
    ValidationError,
)
from influenceplanner_async._transport import (
    check_base_url,
    check_ssl_context,
    is_loopback_host,
    make_ssl_context,
)
from tests.unit.test_client_http import MEMBERS_URL, PAGE, RATE_HEADERS, MockResponse

if TYPE_CHECKING:
    from collections.abc import Iterator

API_KEY = "sk-transport-7f3a"


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Intercept every aiohttp request for the duration of one test."""
    monkeypatch.setattr("aioresponses.core.ClientResponse", MockResponse)
    with aioresponses() as mock:
        yield mock


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://api.influenceplanner.com/partner/v1", id="https"),
        pytest.param("HTTPS://API.EXAMPLE.COM/partner/v1", id="https-upper"),
        pytest.param("http://127.0.0.1:8080/partner/v1", id="ipv4-loopback"),
        pytest.param("http://127.45.6.7/partner/v1", id="ipv4-loopback-range"),
        pytest.param("http://[::1]:8080/partner/v1", id="ipv6-loopback"),
        pytest.param("http://localhost:8080/partner/v1", id="localhost"),
        pytest.param("http://LocalHost/partner/v1", id="localhost-mixed-case"),
    ],
)
def test_base_url_accepted(url: str) -> None:
    """https URLs and http URLs on loopback hosts pass the check."""
    assert check_base_url(url + "/") == url


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        pytest.param("http://api.example.com/partner/v1", "must use https", id="http"),
        pytest.param("http://10.0.0.1/partner/v1", "must use https", id="private-ip"),
        pytest.param("http://0.0.0.0:8080/v1", "must use https", id="any-address"),
        pytest.param(
            "http://127.0.0.1.example.com/v1", "must use https", id="loopback-prefix"
        ),
        pytest.param(
            "http://localhost.example.com/v1", "must use https", id="localhost-prefix"
        ),
        pytest.param("ftp://api.example.com/v1", "https URL", id="ftp"),
        pytest.param("https:///partner/v1", "https URL", id="no-host"),
        pytest.param("api.example.com/v1", "absolute URL", id="relative"),
        pytest.param(
            "https://alice:secret@api.example.com/v1", "user name", id="userinfo"
        ),
    ],
)
def test_base_url_rejected(url: str, fragment: str) -> None:
    """Other schemes, remote http, relative URLs and userinfo are rejected."""
    with pytest.raises(ValidationError) as caught:
        check_base_url(url)

    assert caught.value.argument == "base_url"
    assert fragment in str(caught.value)


def test_base_url_userinfo_not_echoed() -> None:
    """A password in the base URL does not appear in the error message."""
    with pytest.raises(ValidationError) as caught:
        Client("alice", API_KEY, base_url="https://alice:hunter2@api.example.com/v1")

    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value.value)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("127.0.0.1", True, id="ipv4"),
        pytest.param("127.255.255.254", True, id="ipv4-range-end"),
        pytest.param("[::1]", True, id="ipv6-bracketed"),
        pytest.param("::1", True, id="ipv6"),
        pytest.param("localhost", True, id="localhost"),
        pytest.param("128.0.0.1", False, id="outside-range"),
        pytest.param("example.com", False, id="name"),
        pytest.param("::2", False, id="ipv6-other"),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    """Only 127.0.0.0/8, ::1 and localhost count as loopback."""
    assert is_loopback_host(host) is expected


async def test_http_base_url_rejected_before_request(mocked: Any) -> None:
    """A remote http base URL fails in the constructor, so nothing is sent."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    with pytest.raises(ValidationError, match="must use https"):
        Client("alice", API_KEY, base_url="http://api.test.invalid/partner/v1")

    assert mocked.requests == {}


def test_default_ssl_context_requires_tls12() -> None:
    """The default context verifies peers and rejects TLS older than 1.2."""
    context = make_ssl_context()

    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_ssl_context_old_tls_rejected() -> None:
    """A caller's context that allows TLS older than 1.2 is rejected."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED

    with pytest.raises(ValidationError, match="TLSv1_2") as caught:
        Client("alice", API_KEY, ssl_context=context)

    assert caught.value.argument == "ssl_context"


def test_ssl_context_without_verification_rejected() -> None:
    """A caller's context that skips certificate checks is rejected."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    with pytest.raises(ValidationError, match="verify"):
        check_ssl_context(context)


def test_ssl_context_wrong_type_rejected() -> None:
    """Something other than an SSLContext is rejected."""
    with pytest.raises(ValidationError, match=r"ssl\.SSLContext"):
        check_ssl_context(True)  # type: ignore[arg-type]


async def test_ssl_context_sent_per_request(mocked: Any) -> None:
    """Every request carries the client's SSL context as ``ssl=``."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)
    context = make_ssl_context()

    async with Client(
        "alice",
        API_KEY,
        base_url="https://api.test.invalid/partner/v1",
        ssl_context=context,
    ) as client:
        await client.list_members()

    (call,) = next(iter(mocked.requests.values()))
    assert call.kwargs["ssl"] is context
    assert call.kwargs["allow_redirects"] is False


def test_default_max_response_size() -> None:
    """The default body limit is 10 MiB."""
    assert DEFAULT_MAX_RESPONSE_SIZE == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(1.5, id="float"),
        pytest.param(True, id="bool"),
        pytest.param("1024", id="string"),
    ],
)
def test_max_response_size_rejected(value: Any) -> None:
    """A body limit that is not a positive integer is rejected."""
    with pytest.raises(ValidationError) as caught:
        Client("alice", API_KEY, max_response_size=value)

    assert caught.value.argument == "max_response_size"


@pytest.mark.parametrize(
    "api_key",
    [
        pytest.param("sk-line\nbreak", id="newline"),
        pytest.param("sk-\ud800-surrogate", id="lone-surrogate"),
    ],
)
def test_api_key_unusable_rejected(api_key: str) -> None:
    """An API key that cannot be sent is rejected without being echoed."""
    with pytest.raises(ValidationError) as caught:
        Client("alice", api_key)

    assert caught.value.value == "<hidden>"
    assert api_key not in str(caught.value)
    assert caught.value.__context__ is None


def test_redirect_error_for_3xx_status() -> None:
    """A 3xx status maps to RedirectError, which is an APIStatusError."""
    from influenceplanner_async._errors import status_error_class

    assert status_error_class(302) is RedirectError
    assert status_error_class(399) is RedirectError
    assert status_error_class(400) is not RedirectError

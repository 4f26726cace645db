"""Authentication against the fake API: credentials, headers and the secret key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import AuthenticationError, __version__
from tests.integration.support import API_KEY, AUTHORIZATION, USERNAME

if TYPE_CHECKING:
    from influenceplanner_async.testing import FakeServer
    from tests.integration.support import ClientFactory


async def test_right_credentials_list_members(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """The documented example credentials list the network's members."""
    client = make_client(fake_server)

    page = await client.list_members(limit=5)

    assert len(page.results) == 5
    assert page.total_elements == 300
    assert fake_server.api.requests[-1].username == USERNAME
    assert fake_server.api.requests[-1].status == 200


async def test_wrong_key_raises_without_retry(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A wrong API key raises AuthenticationError after one request."""
    client = make_client(fake_server, api_key="ip-wrong")

    with pytest.raises(AuthenticationError) as caught:
        await client.list_members()

    assert caught.value.status == 401
    assert caught.value.message == "Missing or invalid API credentials."
    assert "ip-wrong" not in str(caught.value)
    assert len(fake_server.api.requests) == 1
    assert client.stats.retries == 0


async def test_request_headers_match_reference(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Each request carries Basic credentials, Accept and a versioned User-Agent."""
    client = make_client(fake_server)

    await client.list_members()

    headers = fake_server.api.requests[-1].headers
    assert headers["Authorization"] == AUTHORIZATION
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(f"influenceplanner-async/{__version__}")


async def test_api_key_never_in_url(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Neither the key nor the encoded credentials appear in a request URL."""
    client = make_client(fake_server)

    await client.list_members(search_term="a", sort_by="FOLLOWERS", sort_dir="ASC")

    request = fake_server.api.requests[-1]
    url_parts = [request.path, *request.query.keys(), *request.query.values()]
    for part in url_parts:
        assert API_KEY not in part
        assert AUTHORIZATION.split()[1] not in part

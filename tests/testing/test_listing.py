"""Tests of GET /network/members: pagination, search, sorting and bad queries."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

from influenceplanner_async.testing import FakeMember, run_fake_api, seed_members

if TYPE_CHECKING:
    import aiohttp

    from influenceplanner_async.testing import FakeServer


async def get_members(
    session: aiohttp.ClientSession, server: FakeServer, **params: str | int
) -> tuple[int, Any]:
    """Send a listing request and return its status and decoded body."""
    url = server.base_url + "/network/members"
    async with session.get(url, params=params) as response:
        return response.status, await response.json()


def sort_value(member: FakeMember, sort_by: str) -> Any:
    """Return the attribute that ``sort_by`` orders members by."""
    attributes = {
        "STATUS": "status",
        "FOLLOWERS": "followers",
        "CREATED": "created_at",
        "UPDATED": "updated_at",
    }
    return getattr(member, attributes[sort_by])


async def test_listing_pages_cover_network(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Walking every page returns each member once with right page properties."""
    seen: list[int] = []
    offset = 0
    pages = 0

    while True:
        status, page = await get_members(session, server, offset=offset, limit=25)
        assert status == 200
        assert page["first"] is (offset == 0)
        assert page["totalElements"] == 300
        assert page["totalPages"] == 12
        assert page["size"] == len(page["results"])
        seen.extend(member["membership_id"] for member in page["results"])
        pages += 1
        offset += page["size"]
        if page["last"]:
            break

    assert pages == 12
    assert len(seen) == 300
    assert len(set(seen)) == 300


async def test_listing_defaults(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """Without parameters the first 25 members come newest-updated first."""
    status, page = await get_members(session, server)

    updated = [member["updated_at"] for member in page["results"]]
    assert status == 200
    assert page["size"] == 25
    assert page["first"] is True
    assert page["last"] is False
    assert updated == sorted(updated, reverse=True)


async def test_listing_partial_last_page(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A page that reaches the end is marked last and has the remaining size."""
    status, page = await get_members(session, server, offset=290, limit=25)

    assert status == 200
    assert page["size"] == 10
    assert page["last"] is True
    assert page["first"] is False


async def test_listing_offset_past_end(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """An offset past the end returns an empty last page."""
    status, page = await get_members(session, server, offset=1000)

    assert status == 200
    assert page["results"] == []
    assert page["size"] == 0
    assert page["last"] is True
    assert page["totalElements"] == 300


async def test_listing_reference_example(session: aiohttp.ClientSession) -> None:
    """The two example members reproduce the documented example response."""
    async with run_fake_api(members=seed_members(2)) as server:
        status, page = await get_members(session, server, offset=0, limit=5)

    assert status == 200
    assert [member["name"] for member in page["results"]] == ["John Doe", "Jane Doe"]
    assert page["first"] is True
    assert page["last"] is True
    assert page["totalPages"] == 1
    assert page["totalElements"] == 2
    assert page["size"] == 2


async def test_listing_empty_network(session: aiohttp.ClientSession) -> None:
    """An empty network has no pages and a first page that is also the last."""
    async with run_fake_api(members=[]) as server:
        status, page = await get_members(session, server)

    assert status == 200
    assert page["totalPages"] == 0
    assert page["first"] is True
    assert page["last"] is True


@pytest.mark.parametrize(
    "term",
    [
        pytest.param("dj", id="ascii-lowercase"),
        pytest.param("ÉMILE", id="accented-uppercase"),
        pytest.param("музыка", id="cyrillic"),
        pytest.param("🎧", id="astral-emoji"),
        pytest.param("DJ lofi", id="space"),
    ],
)
async def test_listing_search_case_insensitive(
    server: FakeServer, session: aiohttp.ClientSession, term: str
) -> None:
    """A search returns exactly the members whose names contain the term, any case."""
    expected = {
        member.membership_id
        for member in server.api.members
        if term.casefold() in member.name.casefold()
    }

    status, page = await get_members(session, server, searchTerm=term, limit=25)

    found = {member["membership_id"] for member in page["results"]}
    assert status == 200
    assert expected
    assert page["totalElements"] == len(expected)
    assert found <= expected
    assert page["size"] == min(25, len(expected))


@pytest.mark.parametrize("encoded", ["DJ%20lofi", "DJ+lofi"])
async def test_listing_search_encoded_space(
    server: FakeServer, session: aiohttp.ClientSession, encoded: str
) -> None:
    """A space sent as %20 or + in the query matches names with a space."""
    url = f"{server.base_url}/network/members?searchTerm={encoded}&limit=25"
    expected = [m for m in server.api.members if "dj lofi" in m.name.casefold()]

    async with session.get(url) as response:
        page = await response.json()

    assert response.status == 200
    assert page["totalElements"] == len(expected)
    assert page["totalElements"] > 0


@pytest.mark.parametrize("sort_by", ["STATUS", "FOLLOWERS", "CREATED", "UPDATED"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_listing_sorted(
    server: FakeServer,
    session: aiohttp.ClientSession,
    sort_by: str,
    direction: str,
) -> None:
    """Each sort returns the network in that order, ties by ascending membership id."""
    members = sorted(server.api.members, key=lambda member: member.membership_id)
    members.sort(
        key=lambda member: sort_value(member, sort_by), reverse=direction == "DESC"
    )
    server.api.max_page_size = 300

    status, page = await get_members(
        session, server, sortBy=sort_by, sortDir=direction, limit=300
    )

    returned = [member["membership_id"] for member in page["results"]]
    assert status == 200
    assert returned == [member.membership_id for member in members]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"offset": "-1"}, "offset", id="negative-offset"),
        pytest.param({"offset": "abc"}, "offset", id="text-offset"),
        pytest.param({"offset": "1.5"}, "offset", id="fractional-offset"),
        pytest.param({"limit": "0"}, "limit", id="zero-limit"),
        pytest.param({"limit": "26"}, "limit", id="limit-over-max"),
        pytest.param({"limit": ""}, "limit", id="empty-limit"),
        pytest.param({"sortBy": "NAME"}, "sortBy", id="unknown-sort"),
        pytest.param({"sortBy": "updated"}, "sortBy", id="lowercase-sort"),
        pytest.param({"sortDir": "UP"}, "sortDir", id="unknown-direction"),
    ],
)
async def test_listing_bad_query(
    server: FakeServer,
    session: aiohttp.ClientSession,
    params: dict[str, str],
    field: str,
) -> None:
    """A bad query value gets 400 with the API's error body naming the parameter."""
    status, body = await get_members(session, server, **params)

    assert status == 400
    assert body["status"] == "BAD_REQUEST"
    assert field in body["message"]
    assert body["data"] is None


async def test_listing_max_page_size_raised(session: aiohttp.ClientSession) -> None:
    """A raised max_page_size serves a large network in one page."""
    members = seed_members(20_000)
    async with run_fake_api(members=members, max_page_size=100_000) as server:
        status, page = await get_members(session, server, limit=100_000)

    assert status == 200
    assert page["size"] == 20_000
    assert page["last"] is True
    assert page["totalPages"] == math.ceil(20_000 / 100_000)


async def test_listing_ensure_ascii_escapes_emoji(
    session: aiohttp.ClientSession,
) -> None:
    """With ensure_ascii, astral-plane emoji travel as surrogate pair escapes."""
    members = seed_members(300)
    async with run_fake_api(members=members, ensure_ascii=True) as server:
        url = server.base_url + "/network/members?searchTerm=%F0%9F%8E%A7"
        async with session.get(url) as response:
            raw = await response.read()
            page = await response.json()

    assert raw.isascii()
    assert "\\ud83c\\udfa7" in raw.decode()
    assert all("🎧" in member["name"] for member in page["results"])


async def test_listing_escapes_unpaired_surrogates(
    session: aiohttp.ClientSession,
) -> None:
    """A name with half a surrogate pair is sent escaped, and other names as UTF-8."""
    members = seed_members(3)
    members[0].name = "Lone \ud83c half"
    members[1].name = "DJ 🎧"
    async with run_fake_api(members=members) as server:
        url = server.base_url + "/network/members"
        async with session.get(url) as response:
            status = response.status
            body = await response.read()

    assert status == 200
    assert b"Lone \\ud83c half" in body
    assert "DJ 🎧".encode() in body

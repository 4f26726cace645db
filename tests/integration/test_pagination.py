"""Member listing against the fake API: pages, search, sort and a changing list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import SortBy, SortDirection
from tests.integration.support import expected_order

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async.testing import FakeServer
    from tests.integration.support import ClientFactory


async def test_iter_members_yields_each_once(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Iterating the 300 seeded members yields each once, in the fake's order."""
    client = make_client(fake_server)

    ids = [member.membership_id async for member in client.iter_members()]

    assert len(ids) == 300
    assert len(set(ids)) == 300
    assert ids == expected_order(fake_server.api.members)
    offsets = [request.query["offset"] for request in fake_server.api.requests]
    assert offsets == [str(offset) for offset in range(0, 300, 25)]


async def test_iter_members_matches_fake_members(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Every yielded member equals the fake's member with the same id."""
    client = make_client(fake_server)
    by_id = {member.membership_id: member for member in fake_server.api.members}

    async for member in client.iter_members():
        fake = by_id[member.membership_id]
        assert member.status == fake.status
        assert member.user_id == fake.user_id
        assert member.name == fake.name
        assert member.image_url == fake.image_url
        assert member.profile_url == fake.profile_url
        assert member.followers == fake.followers
        assert member.updated_at == fake.updated_at


@pytest.mark.parametrize(
    ("offset", "size", "first", "last"),
    [
        pytest.param(0, 25, True, False, id="first-page"),
        pytest.param(25, 25, False, False, id="middle-page"),
        pytest.param(275, 25, False, True, id="last-full-page"),
        pytest.param(290, 10, False, True, id="last-short-page"),
        pytest.param(300, 0, False, True, id="past-the-end"),
    ],
)
async def test_list_members_page_properties(
    fake_server: FakeServer,
    make_client: ClientFactory,
    offset: int,
    size: int,
    first: bool,
    last: bool,
) -> None:
    """A page reports its size, first and last flags and the totals."""
    client = make_client(fake_server)

    page = await client.list_members(offset=offset, limit=25)

    assert page.size == size
    assert len(page.results) == size
    assert page.first is first
    assert page.last is last
    assert page.total_elements == 300
    assert page.total_pages == 12
    request = fake_server.api.requests[-1]
    assert request.query == {"offset": str(offset), "limit": "25"}


@pytest.mark.parametrize(
    "term",
    [
        pytest.param("müller", id="accented"),
        pytest.param("Иван", id="cyrillic"),
        pytest.param("🎧", id="emoji"),
        pytest.param("dj bass", id="spaces"),
        pytest.param("O'Brien", id="apostrophe"),
    ],
)
async def test_search_matches_fake_filter(
    fake_server: FakeServer, make_client: ClientFactory, term: str
) -> None:
    """A search term reaches the server intact and yields the fake's matches."""
    client = make_client(fake_server)
    matching = [
        member
        for member in fake_server.api.members
        if term.casefold() in member.name.casefold()
    ]
    assert matching, f"the seeded network has no name containing {term!r}"

    ids = [m.membership_id async for m in client.iter_members(search_term=term)]

    assert ids == expected_order(matching)
    assert fake_server.api.requests[0].query["searchTerm"] == term


@pytest.mark.parametrize("sort_by", list(SortBy))
@pytest.mark.parametrize("direction", list(SortDirection))
async def test_sort_matches_fake_order(
    fake_server: FakeServer,
    make_client: ClientFactory,
    sort_by: SortBy,
    direction: SortDirection,
) -> None:
    """Each sort field in both directions yields the fake's order."""
    client = make_client(fake_server)

    ids = [
        member.membership_id
        async for member in client.iter_members(sort_by=sort_by, sort_dir=direction)
    ]

    assert ids == expected_order(fake_server.api.members, sort_by, direction)
    assert fake_server.api.requests[0].query["sortBy"] == sort_by.value
    assert fake_server.api.requests[0].query["sortDir"] == direction.value


async def test_max_items_stops_early(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """max_items caps the members yielded and the pages fetched."""
    client = make_client(fake_server)

    ids = [m.membership_id async for m in client.iter_members(max_items=30)]

    assert ids == expected_order(fake_server.api.members)[:30]
    assert len(fake_server.api.requests) == 2


async def test_touched_member_not_duplicated(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A member moved to the front between pages shifts the list without a duplicate."""
    api = fake_server.api
    order = expected_order(api.members)
    touched_id = order[60]

    def touch_before_second_page(request: web.Request) -> None:
        if request.query.get("offset") == "25":
            api.touch_member(touched_id)
            api.on_request.clear()

    api.on_request.append(touch_before_second_page)
    client = make_client(fake_server)

    ids = [member.membership_id async for member in client.iter_members()]

    assert len(ids) == len(set(ids))
    # The touched member moved onto the page already read, so offset
    # pagination cannot return it again; everyone else appears once.
    assert set(ids) == set(order) - {touched_id}


async def test_added_member_not_duplicated(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Members added at the front during the scan cause no duplicate."""
    api = fake_server.api
    original = set(expected_order(api.members))

    def add_before_each_later_page(request: web.Request) -> None:
        if request.query.get("offset") in {"25", "100", "200"}:
            api.add_member()

    api.on_request.append(add_before_each_later_page)
    client = make_client(fake_server)

    ids = [member.membership_id async for member in client.iter_members()]

    assert len(ids) == len(set(ids))
    assert set(ids) == original
    assert len(api.members) == 303


async def test_removed_member_not_duplicated(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Members removed from a read page during the scan cause no duplicate."""
    api = fake_server.api
    order = expected_order(api.members)
    removed = [order[0], order[30]]

    def remove_before_third_page(request: web.Request) -> None:
        if request.query.get("offset") == "50":
            for membership_id in removed:
                api.remove_member(membership_id)
            api.on_request.clear()

    api.on_request.append(remove_before_third_page)
    client = make_client(fake_server)

    ids = [member.membership_id async for member in client.iter_members()]

    assert len(ids) == len(set(ids))
    assert set(removed) <= set(ids)
    # The removals shift two unread members onto a read page, where offset
    # pagination skips them.
    assert len(ids) == 298

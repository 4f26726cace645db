"""Tests of member scans against the fake API: order, prefetch, guards, resume."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    MemberPage,
    ScanStop,
    SortBy,
    SortDirection,
    ValidationError,
)
from influenceplanner_async.testing import (
    FakePartnerAPI,
    ManualClock,
    faults,
    run_fake_api,
    seed_members,
)
from tests.integration.scan_helpers import make_client

if TYPE_CHECKING:
    from aiohttp import web

MEMBERS_PATH = "/network/members"


def listing_ids(
    api: FakePartnerAPI,
    sort_by: SortBy = SortBy.UPDATED,
    direction: SortDirection = SortDirection.DESC,
) -> list[int]:
    """Return the membership ids in the fake's current listing order."""
    page = api.network.page(
        offset=0,
        limit=max(len(api.members), 1),
        search_term=None,
        sort_by=sort_by,
        direction=direction,
    )
    return [json.loads(text)["membership_id"] for text in page.results]


def page_body(api: FakePartnerAPI, offset: int, limit: int, *, last: bool) -> str:
    """Return the real listing page at ``offset`` with ``last`` forced."""
    page = api.network.page(
        offset=offset,
        limit=limit,
        search_term=None,
        sort_by=SortBy.UPDATED,
        direction=SortDirection.DESC,
    )
    body = json.loads(page.to_json_text())
    body["last"] = last
    return json.dumps(body)


def member_requests(api: FakePartnerAPI) -> list[dict[str, str]]:
    """Return the query of every listing request the fake received."""
    return [request.query for request in api.requests if request.method == "GET"]


async def test_scan_yields_listing_order() -> None:
    """A sequential scan yields every member once, in the server's order."""
    api = FakePartnerAPI(members=seed_members(53), limit=1000)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10)
        ids = [member.membership_id async for member in scan]

    assert ids == listing_ids(api)
    assert scan.stop_reason is ScanStop.LAST_PAGE
    assert scan.pages_fetched == 6
    assert scan.offset == 53
    assert scan.total_elements == 53
    assert scan.duplicates_skipped == 0


async def test_prefetch_yields_in_order() -> None:
    """With prefetch the members still arrive in listing order, each once."""
    api = FakePartnerAPI(members=seed_members(97), limit=1000, latency=0.005)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        ids = [m.membership_id async for m in client.iter_members(prefetch=4)]

    assert ids == listing_ids(api)
    offsets = sorted(int(query["offset"]) for query in member_requests(api))
    assert offsets == [0, 25, 50, 75]


async def test_prefetch_caps_requests_in_flight() -> None:
    """No more than ``prefetch`` listing requests are in flight at once."""
    api = FakePartnerAPI(members=seed_members(200), limit=1000, latency=0.01)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        in_flight: list[int] = []

        def record(request: web.Request) -> None:
            in_flight.append(client.limiter.in_flight)

        api.on_request.append(record)
        ids = [
            m.membership_id async for m in client.iter_members(page_size=10, prefetch=3)
        ]

    assert ids == listing_ids(api)
    assert max(in_flight) == 3
    assert len(in_flight) == 20


async def test_prefetch_stays_within_rate_limit() -> None:
    """Prefetching under a small compressed window draws no 429 from the fake."""
    # A 0.25 s window with 4 requests: 20 pages take five windows, about 1.3 s.
    api = FakePartnerAPI(
        members=seed_members(40),
        limit=4,
        window_seconds=0.25,
        reset_format="epoch_float",
    )
    async with (
        run_fake_api(api) as server,
        make_client(server.base_url, window=0.25) as client,
    ):
        ids = [
            m.membership_id async for m in client.iter_members(page_size=2, prefetch=8)
        ]

    assert ids == listing_ids(api)
    assert api.count_429 == 0
    assert len(member_requests(api)) == 20


async def test_max_items_stops_prefetch_early() -> None:
    """max_items ends the scan and prefetch plans no page beyond it."""
    api = FakePartnerAPI(members=seed_members(200), limit=1000)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10, max_items=25, prefetch=5)
        ids = [member.membership_id async for member in scan]

    assert ids == listing_ids(api)[:25]
    assert scan.stop_reason is ScanStop.MAX_ITEMS
    assert scan.offset == 25
    offsets = sorted(int(query["offset"]) for query in member_requests(api))
    assert offsets == [0, 10, 20]


async def test_max_items_zero_sends_nothing() -> None:
    """max_items=0 yields nothing and sends no request."""
    api = FakePartnerAPI(members=seed_members(20), limit=1000)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        ids = [m.membership_id async for m in client.iter_members(max_items=0)]

    assert ids == []
    assert api.requests == []


async def test_resume_from_saved_offset() -> None:
    """A new scan started at a saved mid-page offset yields the rest, once."""
    api = FakePartnerAPI(members=seed_members(60), limit=1000)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        first: list[int] = []
        async with client.iter_members(page_size=10, prefetch=2) as scan:
            async for member in scan:
                first.append(member.membership_id)
                if len(first) == 17:
                    break
        saved = scan.offset
        rest = [
            m.membership_id
            async for m in client.iter_members(page_size=10, start_offset=saved)
        ]

    assert saved == 17
    assert first + rest == listing_ids(api)


async def test_member_pages_are_whole_pages() -> None:
    """iter_member_pages yields MemberPage objects with the server's properties."""
    api = FakePartnerAPI(members=seed_members(45), limit=1000)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_member_pages(page_size=20, prefetch=2)
        pages = [page async for page in scan]

    assert all(isinstance(page, MemberPage) for page in pages)
    assert [len(page.results) for page in pages] == [20, 20, 5]
    assert [page.last for page in pages] == [False, False, True]
    assert pages[0].total_pages == 3
    assert scan.members_yielded == 45
    assert scan.offset == 45


async def test_guard_stops_when_last_never_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that never marks a page last is read up to totalElements only."""
    api = FakePartnerAPI(members=seed_members(30), limit=1000)

    def never_last(request: web.Request) -> None:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "25"))
        body = page_body(api, offset, limit, last=False)
        api.faults.push(faults.status(200, body=body), path=MEMBERS_PATH)

    api.on_request.append(never_last)
    caplog.set_level(logging.WARNING, logger="influenceplanner_async")
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10, prefetch=2)
        ids = [member.membership_id async for member in scan]

    assert ids == listing_ids(api)
    assert scan.stop_reason is ScanStop.END_OF_LIST
    assert len(member_requests(api)) == 3
    assert "did not mark a page last" in caplog.text


async def test_guard_stops_at_empty_page(caplog: pytest.LogCaptureFixture) -> None:
    """An empty page that is not marked last ends the scan with a warning."""
    api = FakePartnerAPI(members=seed_members(30), limit=1000)
    empty = json.dumps(
        {
            "results": [],
            "first": False,
            "last": False,
            "totalPages": 3,
            "totalElements": 30,
            "size": 0,
        }
    )

    def empty_after_first(request: web.Request) -> None:
        if request.query.get("offset", "0") != "0":
            api.faults.push(faults.status(200, body=empty), path=MEMBERS_PATH)

    api.on_request.append(empty_after_first)
    caplog.set_level(logging.WARNING, logger="influenceplanner_async")
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10)
        ids = [member.membership_id async for member in scan]

    assert ids == listing_ids(api)[:10]
    assert scan.stop_reason is ScanStop.EMPTY_PAGE
    assert len(member_requests(api)) == 2
    assert "empty page at offset 10" in caplog.text


async def test_guard_stops_when_offset_is_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that serves the first page for every offset is read four times."""
    api = FakePartnerAPI(members=seed_members(30), limit=1000)
    body = json.dumps(
        dict(json.loads(page_body(api, 0, 10, last=False)), totalElements=10**6)
    )
    api.faults.push(faults.status(200, body=body), times=100, path=MEMBERS_PATH)
    caplog.set_level(logging.WARNING, logger="influenceplanner_async")
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10)
        ids = [member.membership_id async for member in scan]

    assert ids == listing_ids(api)[:10]
    assert scan.stop_reason is ScanStop.NO_PROGRESS
    assert len(member_requests(api)) == 4
    assert scan.duplicates_skipped == 30
    assert "may ignore offset" in caplog.text


async def test_large_pages_need_max_page_size() -> None:
    """A client built with max_page_size asks for pages beyond 25."""
    api = FakePartnerAPI(members=seed_members(250), limit=1000, max_page_size=500)
    async with (
        run_fake_api(api) as server,
        make_client(server.base_url, max_page_size=500) as client,
    ):
        ids = [m.membership_id async for m in client.iter_members(page_size=100)]

    assert ids == listing_ids(api)
    assert [query["limit"] for query in member_requests(api)] == ["100"] * 3


async def test_estimate_scan_reads_total_once() -> None:
    """estimate_scan without a total sends one single-member request."""
    api = FakePartnerAPI(members=seed_members(1000), limit=30)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        estimate = await client.estimate_scan()

    assert [query["limit"] for query in member_requests(api)] == ["1"]
    assert estimate.members == 1000
    assert estimate.pages == 40
    assert estimate.limit == 30
    # 29 requests remain in the first window and 11 go to the second.
    assert estimate.windows == 2
    assert 0 < estimate.seconds <= 60


def test_iter_members_rejects_bad_arguments() -> None:
    """Invalid scan arguments raise ValidationError when the scan is built."""
    client = make_client("http://127.0.0.1:9/partner/v1")

    with pytest.raises(ValidationError, match="prefetch"):
        client.iter_members(prefetch=-1)
    with pytest.raises(ValidationError, match="max_items"):
        client.iter_members(max_items=-3)
    with pytest.raises(ValidationError, match="start_offset=-1"):
        client.iter_members(start_offset=-1)
    with pytest.raises(ValidationError, match="start_offset=-1"):
        client.iter_member_pages(start_offset=-1)
    with pytest.raises(ValidationError, match="stable"):
        client.iter_members(stable=True, sort_by="UPDATED")
    with pytest.raises(ValidationError, match="page_size"):
        client.iter_members(page_size=26)
    with pytest.raises(ValidationError, match="page_size"):
        client.iter_member_pages(stable=True, page_size=1)


async def test_stable_scan_overlaps_pages() -> None:
    """A stable scan requests CREATED ascending and yields that order."""
    api = FakePartnerAPI(members=seed_members(40), limit=1000, clock=ManualClock())
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10, stable=True)
        ids = [member.membership_id async for member in scan]

    assert ids == listing_ids(api, SortBy.CREATED, SortDirection.ASC)
    queries = member_requests(api)
    assert {query["sortBy"] for query in queries} == {"CREATED"}
    assert {query["sortDir"] for query in queries} == {"ASC"}
    # Pages after the first start one member early: 10 + 9 + 9 + 9 + 3.
    assert [int(query["offset"]) for query in queries] == [0, 9, 18, 27, 36]
    assert scan.duplicates_skipped == 0

"""Scans of a network that changes between page requests.

A hook on the fake runs before each listing request is served and moves,
adds and deletes members, the way other users of the account would during a
scan that takes hours. The tests check what each scan order promises.
"""

from __future__ import annotations

import json
import logging
import random
from typing import TYPE_CHECKING

import attrs
import pytest

from influenceplanner_async import SortBy, SortDirection
from influenceplanner_async.testing import (
    FakePartnerAPI,
    ManualClock,
    run_fake_api,
    seed_members,
)
from tests.integration.scan_helpers import make_client

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async import MemberScan


def listing_ids(
    api: FakePartnerAPI, sort_by: SortBy, direction: SortDirection
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


@attrs.define
class Churn:
    """Changes the fake's network before each listing request after the first.

    Each request moves one member that lies after the requested page (a
    touch, which sets ``updated_at`` to the clock's time), deletes up to
    ``deletions`` members that lie before the requested offset and adds a new
    one. Two deletions shift the list by more than a stable scan's initial
    overlap of one member. Every id that the
    hook deletes or adds is recorded, so the test knows which members
    existed for the whole scan.
    """

    api: FakePartnerAPI
    clock: ManualClock
    rng: random.Random
    sort_by: SortBy
    direction: SortDirection
    moves: bool = True
    deletions: int = 2
    insertions: bool = True
    requests: int = 0
    deleted: set[int] = attrs.field(factory=set)
    added: set[int] = attrs.field(factory=set)
    touched: set[int] = attrs.field(factory=set)

    def __call__(self, request: web.Request) -> None:
        self.requests += 1
        if self.requests == 1:
            return
        self.clock.advance(1.0)
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "25"))
        order = listing_ids(self.api, self.sort_by, self.direction)
        if self.moves and offset + limit < len(order):
            member_id = self.rng.choice(order[offset + limit :])
            self.api.touch_member(member_id)
            self.touched.add(member_id)
        before = order[: min(offset, len(order))]
        for member_id in self.rng.sample(before, min(self.deletions, len(before))):
            self.api.remove_member(member_id)
            self.deleted.add(member_id)
        if self.insertions:
            self.added.add(self.api.add_member().membership_id)


def make_churned_api(
    seed: int,
    sort_by: SortBy,
    direction: SortDirection,
    *,
    moves: bool = True,
    deletions: int = 2,
    insertions: bool = True,
) -> tuple[FakePartnerAPI, Churn]:
    """Build a fake with 150 members and a churn hook with its own seed."""
    clock = ManualClock()
    api = FakePartnerAPI(
        members=seed_members(150, seed=seed), limit=10_000, clock=clock, seed=seed
    )
    churn = Churn(
        api,
        clock,
        random.Random(seed),
        sort_by,
        direction,
        moves=moves,
        deletions=deletions,
        insertions=insertions,
    )
    api.on_request.append(churn)
    return api, churn


async def collect(scan: MemberScan) -> list[int]:
    """Return the membership ids that a scan yields, in order."""
    return [member.membership_id async for member in scan]


@pytest.mark.parametrize("prefetch", [pytest.param(0, id="sequential"), 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_stable_scan_misses_no_survivor(seed: int, prefetch: int) -> None:
    """A stable scan yields every member that existed for the whole scan, once."""
    api, churn = make_churned_api(seed, SortBy.CREATED, SortDirection.ASC)
    initial = {member.membership_id for member in api.members}
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10, stable=True, prefetch=prefetch)
        ids = await collect(scan)

    survivors = initial - churn.deleted
    assert churn.deleted, "the hook deleted nothing, so the test proves nothing"
    assert len(ids) == len(set(ids))
    assert survivors <= set(ids)
    assert set(ids) <= initial | churn.added
    assert scan.rereads > 0


@pytest.mark.parametrize("seed", [1, 2])
async def test_stable_scan_yields_members_added_before_end(seed: int) -> None:
    """New members append to the CREATED order, so a stable scan reaches them."""
    api, churn = make_churned_api(seed, SortBy.CREATED, SortDirection.ASC, deletions=0)
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        ids = await collect(client.iter_members(page_size=10, stable=True))

    # The hook adds one member before each request, and the last request
    # reads the end of the list after the last addition.
    assert churn.added <= set(ids)
    assert len(ids) == 150 + len(churn.added)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("prefetch", [pytest.param(0, id="sequential"), 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_default_order_never_repeats(
    seed: int, prefetch: int, caplog: pytest.LogCaptureFixture
) -> None:
    """In the default order duplicates are dropped and counted, never yielded."""
    api, _churn = make_churned_api(
        seed, SortBy.UPDATED, SortDirection.DESC, deletions=1
    )
    caplog.set_level(logging.WARNING, logger="influenceplanner_async")
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10, prefetch=prefetch)
        ids = await collect(scan)

    assert len(ids) == len(set(ids))
    # Each insertion and each touch puts a member at the front, which shifts
    # members already read onto the next page.
    assert scan.duplicates_skipped > 0
    # One deletion and one insertion per request cancel out in totalElements,
    # so this churn is invisible to the total-change check.
    assert scan.total_changes == 0
    assert "changed from" not in caplog.text


async def test_default_order_misses_touched_members() -> None:
    """A member updated ahead of the cursor moves behind it and is missed.

    This is the documented limit of the default order, which the stable
    order exists to avoid.
    """
    api, churn = make_churned_api(
        4, SortBy.UPDATED, SortDirection.DESC, deletions=0, insertions=False
    )
    initial = {member.membership_id for member in api.members}
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10)
        ids = await collect(scan)

    missed = initial - set(ids)
    assert missed
    assert missed <= churn.touched
    assert scan.duplicates_skipped == len(missed)


async def test_total_change_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    """Deletions change totalElements: one WARNING and a counter per change."""
    api, churn = make_churned_api(
        5,
        SortBy.UPDATED,
        SortDirection.DESC,
        moves=False,
        deletions=1,
        insertions=False,
    )
    caplog.set_level(logging.WARNING, logger="influenceplanner_async")
    async with run_fake_api(api) as server, make_client(server.base_url) as client:
        scan = client.iter_members(page_size=10)
        ids = await collect(scan)

    assert len(ids) == len(set(ids))
    assert scan.total_changes == len(churn.deleted)
    warnings = [r for r in caplog.records if "changed from" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING

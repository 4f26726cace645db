"""Deduplication and offsets of a member scan, on pages built in memory."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from influenceplanner_async import MemberPage, MemberStatus, NetworkMember
from influenceplanner_async._pagination import MemberScan, ScanStop


def member(membership_id: int) -> NetworkMember:
    """Build a member whose fields derive from ``membership_id``."""
    return NetworkMember(
        membership_id=membership_id,
        status=MemberStatus.LINKED,
        user_id=f"SOUNDCLOUD-USER-{membership_id}",
        name=f"Member {membership_id}",
        image_url=f"https://i1.sndcdn.com/avatars-{membership_id}-large.jpg",
        profile_url=f"https://soundcloud.com/member-{membership_id}",
        followers=membership_id * 10,
        updated_at=datetime(2025, 7, 1, tzinfo=UTC),
    )


def scan_of(pages: list[list[int]]) -> tuple[MemberScan, list[int]]:
    """Return a scan over ``pages`` of membership ids and the offsets it requests."""
    requested: list[int] = []
    total = sum(len(ids) for ids in pages)
    size = max(len(ids) for ids in pages)

    async def fetch(offset: int, limit: int) -> MemberPage:
        requested.append(offset)
        index = offset // size
        return MemberPage(
            results=tuple(member(i) for i in pages[index]),
            first=index == 0,
            last=index == len(pages) - 1,
            total_pages=len(pages),
            total_elements=total,
            size=limit,
        )

    scan = MemberScan(
        fetch, page_size=size, start_offset=0, prefetch=0, stable=False, max_items=None
    )
    return scan, requested


async def test_page_duplicate_yielded_once() -> None:
    scan, _ = scan_of([[1, 2, 1, 3], [4, 5, 6, 7]])
    seen = []
    offsets = []
    async for item in scan:
        seen.append(item.membership_id)
        offsets.append(scan.offset)

    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert offsets == [1, 2, 4, 5, 6, 7, 8]
    assert scan.duplicates_skipped == 1
    assert scan.members_yielded == 7


async def test_earlier_member_is_skipped() -> None:
    scan, requested = scan_of([[1, 2, 3], [3, 4, 5], [6, 2, 7]])
    seen = []
    offsets = []
    async for item in scan:
        seen.append(item.membership_id)
        offsets.append(scan.offset)

    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert offsets == [1, 2, 3, 5, 6, 7, 9]
    assert requested == [0, 3, 6]
    assert scan.duplicates_skipped == 2
    assert scan.offset == 9


async def test_all_new_pages_keep_offsets() -> None:
    scan, _ = scan_of([[10, 11], [12, 13], [14]])
    offsets = []
    async for _ in scan:
        offsets.append(scan.offset)

    assert offsets == [1, 2, 3, 4, 5]
    assert scan.duplicates_skipped == 0


async def stable_scan_under_churn(
    seed: int,
) -> tuple[MemberScan, set[int], list[int]]:
    """Scan a list that loses up to 4 and gains up to 2 members per request.

    Returns the scan, the members that existed for the whole scan and the ids
    yielded.
    """
    rng = random.Random(seed)
    listing = list(range(1, 201))
    deleted: set[int] = set()
    next_id = 200

    async def fetch(offset: int, limit: int) -> MemberPage:
        nonlocal next_id
        ids = listing[offset : offset + limit]
        page = MemberPage(
            results=tuple(member(i) for i in ids),
            first=offset == 0,
            last=offset + limit >= len(listing),
            total_pages=max(1, -(-len(listing) // limit)),
            total_elements=len(listing),
            size=limit,
        )
        for _ in range(rng.randint(0, 4)):
            if listing:
                deleted.add(listing.pop(rng.randrange(len(listing))))
        for _ in range(rng.randint(0, 2)):
            next_id += 1
            listing.append(next_id)
        return page

    scan = MemberScan(
        fetch, page_size=5, start_offset=0, prefetch=0, stable=True, max_items=None
    )
    yielded = [item.membership_id async for item in scan]
    return scan, set(range(1, 201)) - deleted, yielded


async def test_stable_churn_misses_nothing() -> None:
    # Re-reads after a step back contain only seen members, so they must not
    # count as pages without progress. Counted, they would end some of these
    # scans early, one of them before members that exist throughout.
    for seed in [216, *range(150)]:
        scan, survivors, yielded = await stable_scan_under_churn(seed)

        assert scan.stop_reason is ScanStop.LAST_PAGE, seed
        assert survivors <= set(yielded), seed
        assert len(yielded) == len(set(yielded)), seed


async def test_stable_empty_page_reads_back() -> None:
    # Deleting members 1 to 6 after the first page moves the list end below
    # the next offset, so the server returns an empty page for that offset.
    listing = list(range(1, 11))
    requested: list[int] = []

    async def fetch(offset: int, limit: int) -> MemberPage:
        requested.append(offset)
        ids = listing[offset : offset + limit]
        page = MemberPage(
            results=tuple(member(i) for i in ids),
            first=offset == 0,
            last=offset + limit >= len(listing),
            total_pages=max(1, -(-len(listing) // limit)),
            total_elements=len(listing),
            size=limit,
        )
        if len(requested) == 1:
            del listing[:6]
        return page

    scan = MemberScan(
        fetch, page_size=5, start_offset=0, prefetch=0, stable=True, max_items=None
    )
    yielded = [item.membership_id async for item in scan]

    assert yielded == [1, 2, 3, 4, 5, 7, 8, 9, 10]
    assert scan.stop_reason is ScanStop.LAST_PAGE
    assert scan.rereads >= 1

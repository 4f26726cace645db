"""Scans of the member listing: ordered pages, prefetch, dedupe and guards.

Theory of operation
-------------------
The listing is offset-paginated, so a scan is a cursor (the list position
after the last member handled) and a sequence of page requests.

1. Order. The first page is fetched alone because it announces
   ``totalElements``. Later pages may be fetched ahead, at most ``prefetch``
   requests at once, each through the client's shared rate limiter, and are
   handed out strictly in offset order.
2. Plan. Pages are planned at ``cursor``, ``cursor + step``, ... up to the
   latest ``totalElements``. A page shorter than planned means the list
   shrank, so the planned pages after it are dropped and planned again from
   the real cursor.
3. Position check (stable scans). A stable scan sorts by ``CREATED``
   ascending, an order that new members only append to and in which the
   survivors never change places. Each page after the first starts
   ``overlap`` positions early (1 at first), among members already read. If
   the page does not start with a member already seen, members before the
   cursor were deleted and the list shifted left past the overlap. The scan
   then doubles the overlap (up to half a page, and keeps it) and reads
   again from the cursor minus the overlap, stepping further back while the
   check fails. A page that starts with a seen member leaves no gap, because
   every survivor before that member was read earlier. An empty page fails
   the check: starting among read members, it can only be empty when the
   list shrank below its offset.
4. Dedupe. Every membership id seen is kept, so a member that moves ahead of
   the cursor and is served again is skipped and counted.
5. Guards. The scan stops at a page marked ``last``, at an empty page, when
   the cursor reaches ``totalElements``, or after three pages in a row that
   bring no new member (a server that ignores ``offset``). Each stop that the
   server did not announce logs a WARNING.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import itertools
import logging
from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import attrs

from ._errors import ValidationError
from ._models import MemberPage, NetworkMember, SortBy, SortDirection
from ._validation import check_page_args

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
    from types import TracebackType


ItemT = TypeVar("ItemT")

__all__ = [
    "MemberPageScan",
    "MemberScan",
    "ScanArgs",
    "ScanStop",
    "check_scan_args",
]

logger = logging.getLogger("influenceplanner_async.pagination")

# Pages in a row without a new member after which a scan stops: a server that
# ignores offset would otherwise be read until totalElements.
_MAX_PAGES_WITHOUT_PROGRESS = 3


class ScanStop(enum.StrEnum):
    """Reason why a scan ended."""

    LAST_PAGE = "last_page"
    """The server marked the page ``last``."""
    END_OF_LIST = "end_of_list"
    """The cursor reached ``totalElements`` without a page marked ``last``."""
    EMPTY_PAGE = "empty_page"
    """The server returned a page without members."""
    NO_PROGRESS = "no_progress"
    """Three pages in a row brought no member that was not seen before."""
    MAX_ITEMS = "max_items"
    """The scan yielded ``max_items`` members."""


@attrs.define
class _Accepted:
    """A page that passed the position check.

    ``fresh`` holds the members that no earlier page held, in page order, and
    ``positions`` the list position just after each of them. ``overlap`` is
    1 when the page starts with the member that a stable scan reads again on
    purpose.
    """

    offset: int
    page: MemberPage
    fresh: Sequence[NetworkMember]
    positions: Sequence[int]
    overlap: int

    @property
    def end(self) -> int:
        """List position just after the page's last member."""
        return self.offset + len(self.page.results)

    @property
    def duplicates(self) -> int:
        """Members that an earlier page held, beyond the planned overlap."""
        return max(len(self.page.results) - len(self.fresh) - self.overlap, 0)


_get_membership_id = attrgetter("membership_id")


class _PageStream:
    """Fetches pages in order, with bounded prefetch, position checks and guards.

    ``fetch(offset, limit)`` returns one page; the stream updates the counters
    of ``scan`` as pages arrive.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[MemberPage]],
        scan: _ScanBase[Any],
        *,
        page_size: int,
        prefetch: int,
        stable: bool,
        max_items: int | None,
    ) -> None:
        self._fetch = fetch
        self._scan = scan
        self._page_size = page_size
        # prefetch=0 fetches each page when the one before it is used up.
        self._in_flight_cap = prefetch
        self._stable = stable
        self._max_items = max_items
        self._seen: set[int] = set()
        self._pending: collections.deque[tuple[int, asyncio.Task[MemberPage]]] = (
            collections.deque()
        )
        self._no_progress = 0
        self._step_back_pages = 1
        # Members that each page of a stable scan reads again to check the
        # position: 1 at first, more after deletions.
        self._overlap = 1 if stable else 0
        self._max_overlap = max(page_size // 2, 1)
        self._cursor = 0
        # The furthest list position that an accepted page reached.
        self._frontier = 0
        self._accepted_new = 0
        # Offset of the next page to read, None before the first page.
        self._next: int | None = None
        self._stop: ScanStop | None = None

    async def next_page(self) -> _Accepted | None:
        """Return the next accepted page in list order, or ``None`` at the end.

        Call :meth:`close` when the scan stops, to cancel the pages fetched
        ahead.
        """
        if self._stop is not None:
            self._scan._stop = self._stop
            return None
        offset = self._next
        pending = self._pending
        if offset is None:
            offset = self._scan.offset
            page = await self._request(offset)
        elif pending and pending[0][0] == offset:
            self._scan._pages_fetched += 1
            page = await pending.popleft()[1]
        else:
            if pending:
                await self._cancel_pending()
            page = await self._request(offset)
        while True:
            accepted = self._accept(offset, page)
            if accepted is not None:
                break
            await self._cancel_pending()
            offset = self._step_back(offset)
            page = await self._request(offset)
        self._next = self._next_offset(accepted)
        self._stop = self._stop_reason(accepted)
        if self._stop is None and (self._in_flight_cap or pending):
            self._plan(self._next)
        return accepted

    async def close(self) -> None:
        """Cancel the pages fetched ahead and wait until they finished."""
        await self._cancel_pending()

    # -- requests -----------------------------------------------------------

    def _request(self, offset: int) -> Awaitable[MemberPage]:
        self._scan._pages_fetched += 1
        return self._fetch(offset, self._page_size)

    def _plan(self, next_offset: int) -> None:
        # Drop planned pages that no longer line up with the cursor, then fill
        # the in-flight budget with the pages that follow it.
        if self._pending and self._pending[0][0] != next_offset:
            self._cancel_pending_now()
        planned = self._pending[-1][0] + self._step() if self._pending else next_offset
        while len(self._pending) < self._in_flight_cap and self._is_worth(planned):
            task = asyncio.ensure_future(self._fetch(planned, self._page_size))
            self._pending.append((planned, task))
            planned += self._step()

    def _is_worth(self, offset: int) -> bool:
        total = self._scan.total_elements
        if total is not None and offset >= total:
            return False
        if self._max_items is None:
            return True
        return offset < self._cursor + self._max_items - self._accepted_new

    def _step(self) -> int:
        return self._page_size - self._overlap

    def _next_offset(self, accepted: _Accepted) -> int:
        cursor = accepted.offset + len(accepted.page.results)
        if self._overlap and cursor > 0 and self._seen:
            # Start early, at members already read, to check the position.
            return max(cursor - self._overlap, 0)
        return cursor

    def _cancel_pending_now(self) -> list[asyncio.Task[MemberPage]]:
        tasks = [task for _, task in self._pending]
        self._pending.clear()
        for task in tasks:
            task.cancel()
        return tasks

    async def _cancel_pending(self) -> None:
        tasks = self._cancel_pending_now()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- decisions ----------------------------------------------------------

    def _accept(self, offset: int, page: MemberPage) -> _Accepted | None:
        if self._stable and not self._position_verified(offset, page):
            self._scan._rereads += 1
            return None
        overlap = self._overlap if self._is_overlapping(offset) else 0
        self._note_total(page)
        fresh, positions = self._dedupe(offset, page.results)
        end = offset + len(page.results)
        if fresh:
            self._no_progress = 0
        elif end > self._frontier:
            # Only a page that reaches past every earlier page counts: pages
            # read again after a step back contain seen members by design.
            self._no_progress += 1
        self._frontier = max(self._frontier, end)
        self._accepted_new += len(fresh)
        self._cursor = end
        return _Accepted(
            offset=offset, page=page, fresh=fresh, positions=positions, overlap=overlap
        )

    def _dedupe(
        self, offset: int, results: tuple[NetworkMember, ...]
    ) -> tuple[Sequence[NetworkMember], Sequence[int]]:
        """Return the members not seen before, and the position after each."""
        ids = list(map(_get_membership_id, results))
        seen = self._seen
        size_before = len(seen)
        if seen.isdisjoint(ids):
            # The usual page: no member seen before, checked and recorded by
            # set operations over the whole page at once.
            seen.update(ids)
            if len(seen) - size_before == len(ids):
                return results, range(offset + 1, offset + len(results) + 1)
            # A member appears twice on this page: undo, then go one by one.
            seen.difference_update(ids)
        fresh: list[NetworkMember] = []
        positions: list[int] = []
        for position, member, membership_id in zip(
            itertools.count(offset + 1), results, ids
        ):
            if membership_id not in seen:
                seen.add(membership_id)
                fresh.append(member)
                positions.append(position)
        return fresh, positions

    def _is_overlapping(self, offset: int) -> bool:
        overlap = self._overlap
        return bool(overlap) and offset > 0 and offset == self._cursor - overlap

    def _position_verified(self, offset: int, page: MemberPage) -> bool:
        if not self._stable or offset == 0 or not self._seen:
            return True
        # A page that starts early on purpose can only be empty when the list
        # shrank below its offset, which leaves members before it unread.
        return bool(page.results) and page.results[0].membership_id in self._seen

    def _step_back(self, offset: int) -> int:
        # Deletions keep coming at some rate, so the overlap doubles (up to
        # half a page) and stays, and later pages absorb as many deletions.
        # Past that, the distance doubles on each failure, so that the scan
        # reaches offset 0 after a logarithmic number of requests at worst.
        if self._overlap < self._max_overlap:
            self._overlap = min(self._overlap * 2, self._max_overlap)
            distance = self._overlap
        else:
            self._step_back_pages *= 2
            distance = self._step_back_pages * self._overlap
        new_offset = max(self._cursor - distance, 0)
        logger.info(
            "Page at offset %d does not start with a member already seen, so "
            "members before it were deleted; the scan reads again from offset "
            "%d and overlaps later pages by %d members",
            offset,
            new_offset,
            self._overlap,
        )
        return new_offset

    def _note_total(self, page: MemberPage) -> None:
        total = page.total_elements
        previous = self._scan.total_elements
        self._scan._total_elements = total
        self._scan._total_pages = page.total_pages
        self._step_back_pages = 1
        if previous is None or previous == total:
            return
        self._scan._total_changes += 1
        if self._scan._total_changes > 1:
            return
        level = logging.INFO if self._stable else logging.WARNING
        logger.log(
            level,
            "totalElements changed from %d to %d during the scan; in this sort "
            "order members may be skipped or served twice (duplicates are "
            "dropped). A stable scan (stable=True) misses no member that exists "
            "for the whole scan",
            previous,
            total,
        )

    def _stop_reason(self, accepted: _Accepted) -> ScanStop | None:
        page = accepted.page
        cursor = accepted.offset + len(page.results)
        # 1. The server says this is the end.
        if page.last:
            return ScanStop.LAST_PAGE
        # 2. An empty page that is not marked last.
        if not page.results:
            logger.warning(
                "The server returned an empty page at offset %d that is not marked "
                "last (totalElements %d); stopping the scan",
                accepted.offset,
                page.total_elements,
            )
            return ScanStop.EMPTY_PAGE
        # 3. The cursor reached the announced total.
        if cursor >= page.total_elements:
            logger.warning(
                "The scan reached totalElements (%d) at offset %d but the server "
                "did not mark a page last; stopping the scan",
                page.total_elements,
                cursor,
            )
            return ScanStop.END_OF_LIST
        # 4. Pages that bring nothing new.
        if self._no_progress >= _MAX_PAGES_WITHOUT_PROGRESS:
            logger.warning(
                "%d pages in a row up to offset %d held only members already "
                "seen; the server may ignore offset, so the scan stops",
                self._no_progress,
                cursor,
            )
            return ScanStop.NO_PROGRESS
        return None


class _ScanBase(Generic[ItemT]):
    """State and counters shared by member and page scans."""

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[MemberPage]],
        *,
        page_size: int,
        start_offset: int,
        prefetch: int,
        stable: bool,
        max_items: int | None,
    ) -> None:
        self._offset = start_offset
        self._pages_fetched = 0
        # Members yielded before the current page. While a member scan hands
        # out a page, ``_index`` is the position in ``_positions`` of the
        # member that the caller is handling, and -1 between pages.
        self._members_yielded = 0
        self._positions: Sequence[int] = ()
        self._index = -1
        self._duplicates_skipped = 0
        self._total_changes = 0
        self._rereads = 0
        self._total_elements: int | None = None
        self._total_pages: int | None = None
        self._stop: ScanStop | None = None
        self._stream = _PageStream(
            fetch,
            self,
            page_size=page_size,
            prefetch=prefetch,
            stable=stable,
            max_items=max_items,
        )
        self._items: AsyncGenerator[ItemT, None] | None = None

    @property
    def offset(self) -> int:
        """List position after the last member handed out.

        Pass it as ``start_offset`` to a new scan to resume there. It can move
        back in a stable scan after deletions, because positions shift.
        """
        if self._index < 0:
            return self._offset
        return self._positions[self._index]

    @property
    def total_elements(self) -> int | None:
        """``totalElements`` of the latest page, or ``None`` before the first."""
        return self._total_elements

    @property
    def total_pages(self) -> int | None:
        """``totalPages`` of the latest page, or ``None`` before the first."""
        return self._total_pages

    @property
    def pages_fetched(self) -> int:
        """Pages received, including pages read again after a position check."""
        return self._pages_fetched

    @property
    def members_yielded(self) -> int:
        """Members handed out so far, each membership id once."""
        return self._members_yielded + self._index + 1

    @property
    def duplicates_skipped(self) -> int:
        """Members skipped because an earlier page already held them."""
        return self._duplicates_skipped

    @property
    def total_changes(self) -> int:
        """Times that ``totalElements`` differed from the previous page's value."""
        return self._total_changes

    @property
    def rereads(self) -> int:
        """Pages of a stable scan discarded because the list had shifted."""
        return self._rereads

    @property
    def stop_reason(self) -> ScanStop | None:
        """Why the scan ended, or ``None`` while it runs."""
        return self._stop

    def __aiter__(self) -> AsyncIterator[ItemT]:
        # `async for` drives the generator itself: one await per item instead
        # of two nested ones, which matters in a long export.
        if self._items is None:
            self._items = self._iterate()
        return self._items

    async def __anext__(self) -> ItemT:
        if self._items is None:
            self._items = self._iterate()
        return await self._items.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the scan and cancel its prefetched requests."""
        if self._items is not None:
            await self._items.aclose()

    def _iterate(self) -> AsyncGenerator[ItemT, None]:
        raise NotImplementedError


class MemberScan(_ScanBase[NetworkMember]):
    """Async iterator over the members of a listing, each membership id once.

    Built by :meth:`Client.iter_members`; read the counters while or after
    iterating. Leaving an ``async for`` loop early leaves prefetched requests
    running until :meth:`aclose`, so use ``async with`` when breaking out::

        async with client.iter_members(prefetch=4) as scan:
            async for member in scan:
                ...
            print(scan.offset, scan.duplicates_skipped)
    """

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[MemberPage]],
        *,
        page_size: int,
        start_offset: int,
        prefetch: int,
        stable: bool,
        max_items: int | None,
    ) -> None:
        super().__init__(
            fetch,
            page_size=page_size,
            start_offset=start_offset,
            prefetch=prefetch,
            stable=stable,
            max_items=max_items,
        )
        self._max_items = max_items

    async def _iterate(self) -> AsyncGenerator[NetworkMember, None]:
        if self._max_items == 0:
            self._stop = ScanStop.MAX_ITEMS
            return
        stream = self._stream
        try:
            while (accepted := await stream.next_page()) is not None:
                self._duplicates_skipped += accepted.duplicates
                fresh, positions = accepted.fresh, accepted.positions
                if self._max_items is not None:
                    room = self._max_items - self._members_yielded
                    fresh, positions = fresh[:room], positions[:room]
                # The index is the loop target, so that ``offset`` and
                # ``members_yielded`` are right while the caller handles each
                # member, at the cost of one store per member.
                self._positions = positions
                for self._index, member in enumerate(fresh):
                    yield member
                self._members_yielded += len(fresh)
                self._index = -1
                if self._members_yielded == self._max_items:
                    self._offset = positions[-1]
                    self._stop = ScanStop.MAX_ITEMS
                    return
                self._offset = accepted.end
        finally:
            await stream.close()


class MemberPageScan(_ScanBase[MemberPage]):
    """Async iterator over whole pages of a listing, as the server sent them.

    Pages are not deduplicated: a member may appear on two pages, and in a
    stable scan each page starts with the last member of the page before.
    ``members_yielded`` counts the members not seen on an earlier page.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[MemberPage]],
        *,
        page_size: int,
        start_offset: int,
        prefetch: int,
        stable: bool,
    ) -> None:
        super().__init__(
            fetch,
            page_size=page_size,
            start_offset=start_offset,
            prefetch=prefetch,
            stable=stable,
            max_items=None,
        )

    async def _iterate(self) -> AsyncGenerator[MemberPage, None]:
        stream = self._stream
        try:
            while (accepted := await stream.next_page()) is not None:
                self._members_yielded += len(accepted.fresh)
                self._duplicates_skipped += accepted.duplicates
                self._offset = accepted.end
                yield accepted.page
        finally:
            await stream.close()


@attrs.frozen(kw_only=True)
class ScanArgs:
    """Validated arguments of a scan, with the sort that it requests."""

    start_offset: int
    page_size: int
    search_term: str | None
    sort_by: SortBy | None
    sort_dir: SortDirection | None


def check_scan_args(
    *,
    start_offset: object,
    page_size: object,
    max_page_size: int,
    search_term: object,
    sort_by: object,
    sort_dir: object,
    prefetch: object,
    max_items: object,
    stable: bool,
) -> ScanArgs:
    """Validate the arguments of a scan and return them normalised.

    A stable scan sorts by ``CREATED`` ascending; asking for another order
    with ``stable=True`` raises.

    Raises:
        ValidationError: An argument is invalid.
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise ValidationError("page_size", page_size, "must be an integer")
    if not 1 <= page_size <= max_page_size:
        raise ValidationError(
            "page_size",
            page_size,
            f"must be from 1 to {max_page_size}, the client's max_page_size",
        )
    _check_count("start_offset", start_offset)
    _check_count("prefetch", prefetch)
    if max_items is not None:
        _check_count("max_items", max_items)
    offset, size, term, by, direction = check_page_args(
        offset=start_offset,
        limit=page_size,
        search_term=search_term,
        sort_by=sort_by,
        sort_dir=sort_dir,
        max_page_size=max_page_size,
    )
    if stable:
        by, direction = _stable_order(by, direction, size)
    return ScanArgs(
        start_offset=offset,
        page_size=size,
        search_term=term,
        sort_by=by,
        sort_dir=direction,
    )


def _check_count(argument: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(argument, value, "must be an integer, 0 or more")


def _stable_order(
    sort_by: SortBy | None, sort_dir: SortDirection | None, page_size: int
) -> tuple[SortBy, SortDirection]:
    if sort_by not in (None, SortBy.CREATED) or sort_dir not in (
        None,
        SortDirection.ASC,
    ):
        raise ValidationError(
            "stable",
            True,
            "sorts by CREATED ascending, so leave sort_by and sort_dir unset",
        )
    if page_size < 2:
        raise ValidationError(
            "page_size", page_size, "must be at least 2 in a stable scan"
        )
    return SortBy.CREATED, SortDirection.ASC

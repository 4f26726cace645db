"""The asynchronous client: one session, one rate-limit budget, typed results."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

import aiohttp

from ._auth import Credentials
from ._backend import observe_response
from ._bulk import DEFAULT_BULK_CONCURRENCY, BulkProgress, BulkReport, run_schedule_bulk
from ._cache import CacheStats, MemberCache, check_cache_ttl, open_page_cache
from ._config import DEFAULT_BASE_URL, RetryPolicy, Timeout, check_seconds
from ._converter import unstructure_settings
from ._errors import (
    APIConnectionError,
    APIStatusError,
    ClientStateError,
    RateLimitError,
    ResponseDecodeError,
    ValidationError,
)
from ._estimate import ScanEstimate, estimate_scan_cost
from ._headers import parse_retry_after
from ._models import (
    ActionType,
    MemberPage,
    RateLimit,
    ScheduleResult,
    ScheduleSettings,
    SortBy,
    SortDirection,
)
from ._pagination import MemberPageScan, MemberScan, ScanArgs, check_scan_args
from ._ratelimit import (
    DEFAULT_WINDOW,
    BudgetUnavailable,
    LimiterStats,
    Permit,
    WindowLimiter,
)
from ._responses import RawResponse, build_status_error, decode_body
from ._retry import RetryState, describe_failure
from ._transport import (
    DEFAULT_MAX_RESPONSE_SIZE,
    check_base_url,
    check_max_response_size,
    check_ssl_context,
    default_ssl_context,
    send_once,
    wire_timeout,
)
from ._validation import MAX_PAGE_SIZE, check_page_args, check_schedule_args
from ._version import __version__

if TYPE_CHECKING:
    import ssl
    from collections.abc import Awaitable, Callable, Iterable, Mapping
    from types import TracebackType

    from ._backend import RateLimiterBackend
    from ._bulk_plan import ScheduleItem
    from ._journal import Journal

__all__ = ["Client"]

logger = logging.getLogger("influenceplanner_async.http")

T = TypeVar("T")

USER_AGENT = f"influenceplanner-async/{__version__}"
_UNSET: Any = object()


class Client:
    """Asynchronous client for the InfluencePlanner Partner API.

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with Client("alice", "ip-1234") as client:
            page = await client.list_members(limit=25)

    Every task that shares a client shares one rate-limit budget. A client
    belongs to the event loop on which it first sends a request.

    Args:
        username: Partner API username.
        api_key: Partner API key. It never appears in a repr, log line or
            exception message.
        base_url: Root of the API, including the version path. It must use
            https unless its host is loopback (127.0.0.0/8, ::1, localhost).
        session: An ``aiohttp.ClientSession`` to send requests with. The client
            uses it as is and never closes it, except that it reads error
            statuses itself whatever the session's ``raise_for_status``. The
            session must not set ``auth``. Without one, the client opens its
            own on first use and closes it in :meth:`aclose`.
        timeout: Network timeouts; they exclude time spent waiting for budget.
        retry: Default retry policy; each call may override it.
        max_wait: Default cap in seconds on the time one call may spend
            waiting for rate-limit budget and backoff. ``None`` waits as long
            as needed. Each call may override it.
        limiter: The rate limiter to use: a ``WindowLimiter`` for tuning its
            margin or clock, or a ``RedisRateLimiter`` to share the budget
            with other processes. Defaults to ``WindowLimiter()``, 30
            requests per 60 s until the server announces its limit. The client
            never closes the limiter.
        user_agent: Extra text appended to the ``User-Agent`` header.
        trace_configs: aiohttp trace configs for a session the client creates.
        max_page_size: Largest page that ``list_members`` and the scans may
            request. The Partner API allows 25; raise it only for a server
            that allows more.
        cache: Settings of a cache of member listings, off by default. With
            one, identical listings within its ``ttl`` cost one request, and
            concurrent identical calls share one request.
        ssl_context: SSL context for https; it must verify certificates and
            require TLS 1.2 or newer. Defaults to the system's CAs with TLS
            1.2 as the minimum. It is passed with every request, so it applies
            to a caller's session too.
        max_response_size: Largest response body in bytes that the client
            reads before it raises ``ResponseTooLargeError``.

    Raises:
        ValidationError: An argument is invalid, such as an ``http://``
            base URL whose host is not loopback.
    """

    def __init__(
        self,
        username: str,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_wait: float | None = None,
        limiter: RateLimiterBackend[Any] | None = None,
        user_agent: str | None = None,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
        max_page_size: int = MAX_PAGE_SIZE,
        ssl_context: ssl.SSLContext | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        cache: MemberCache | None = None,
    ) -> None:
        _check_credential("username", username)
        _check_credential("api_key", api_key)
        if isinstance(max_page_size, bool) or not isinstance(max_page_size, int):
            raise ValidationError("max_page_size", max_page_size, "must be an integer")
        if max_page_size < 1:
            raise ValidationError("max_page_size", max_page_size, "must be at least 1")
        self._max_page_size = max_page_size
        self._credentials = Credentials(username, api_key)
        # A traceback that captures locals must not find the key in this frame.
        del api_key
        self._base_url = check_base_url(base_url)
        self._ssl_context = (
            default_ssl_context()
            if ssl_context is None
            else check_ssl_context(ssl_context)
        )
        self._max_response_size = check_max_response_size(max_response_size)
        self._timeout = timeout or Timeout()
        self._wire_timeout = wire_timeout(self._timeout)
        self._retry = retry or RetryPolicy()
        self._max_wait = (
            None
            if max_wait is None
            else check_seconds("max_wait", max_wait, allow_zero=True)
        )
        self._limiter: RateLimiterBackend[Any] = limiter or WindowLimiter()
        agent = f"{USER_AGENT} {user_agent}" if user_agent else USER_AGENT
        self._headers = {
            "Authorization": self._credentials.authorization,
            "Accept": "application/json",
            "User-Agent": agent,
        }
        # Headers sent with each request. A session that the client creates
        # sends them as its defaults, which aiohttp merges at less cost.
        self._request_headers: dict[str, str] | None = self._headers
        self._trace_configs = trace_configs
        if session is not None and session.auth is not None:
            raise ValidationError(
                "session",
                "<session with auth>",
                "must not set auth, because the client sends its own "
                "Authorization header; create the session without auth",
            )
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._closed = False
        self._rng = random.Random()
        self._cache = open_page_cache(cache, base_url=self._base_url, username=username)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Self:
        """Build a client from ``INFLUENCEPLANNER_*`` environment variables.

        Reads ``INFLUENCEPLANNER_USERNAME``, ``INFLUENCEPLANNER_API_KEY`` and
        the optional ``INFLUENCEPLANNER_BASE_URL``. Other keyword arguments go
        to the constructor.

        Raises:
            ValidationError: A required variable is missing or empty.
        """
        env = os.environ if environ is None else environ
        values = {}
        for name in ("INFLUENCEPLANNER_USERNAME", "INFLUENCEPLANNER_API_KEY"):
            value = env.get(name, "")
            if not value:
                raise ValidationError(
                    name,
                    None,
                    "environment variable is missing or empty",
                    message=f"Environment variable {name} is missing or empty; "
                    "set it before creating the client.",
                )
            values[name] = value
        base_url = env.get("INFLUENCEPLANNER_BASE_URL")
        if base_url:
            kwargs.setdefault("base_url", base_url)
        return cls(
            values["INFLUENCEPLANNER_USERNAME"],
            values["INFLUENCEPLANNER_API_KEY"],
            **kwargs,
        )

    def __repr__(self) -> str:
        # A debugger or a traceback with locals may show a half-built client,
        # so every attribute has a fallback.
        state = "closed" if getattr(self, "_closed", False) else "open"
        credentials = getattr(self, "_credentials", None)
        username = None if credentials is None else credentials.username
        base_url = getattr(self, "_base_url", None)
        return f"<Client username={username!r} base_url={base_url!r} {state}>"

    def __reduce__(self) -> Any:
        msg = "Client cannot be pickled: it holds a network session and credentials"
        raise TypeError(msg)

    # -- lifecycle ----------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._ensure_usable()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client, and its session if the client created it.

        Safe to call more than once. A caller's own session stays open.
        """
        if self._closed:
            return
        self._closed = True
        if self._cache is not None:
            await self._cache.aclose()
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._closed

    @property
    def base_url(self) -> str:
        """Root URL of the API that the client talks to."""
        return self._base_url

    @property
    def username(self) -> str:
        """Partner API username."""
        return self._credentials.username

    @property
    def rate_limit(self) -> RateLimit | None:
        """The latest rate-limit snapshot, or ``None`` before any response."""
        return self._limiter.snapshot

    @property
    def stats(self) -> LimiterStats:
        """Counters of requests sent, 429s, retries and time spent waiting."""
        return self._limiter.stats

    @property
    def max_page_size(self) -> int:
        """Largest page size that listing calls accept."""
        return self._max_page_size

    @property
    def limiter(self) -> RateLimiterBackend[Any]:
        """The rate limiter shared by every task of this client."""
        return self._limiter

    @property
    def cache_stats(self) -> CacheStats:
        """Counters of the member-listing cache; all 0 when caching is off."""
        return CacheStats() if self._cache is None else self._cache.stats

    async def invalidate_cache(self) -> None:
        """Drop this account's cached member pages, for when the network changed.

        Calls already waiting for a request get its response, which is not
        cached. Does nothing when caching is off. A store failure is logged,
        not raised.
        """
        if self._cache is not None:
            await self._cache.invalidate()

    def _ensure_usable(self) -> aiohttp.ClientSession:
        if self._closed:
            msg = "This Client is closed; create a new Client to send more requests"
            raise ClientStateError(msg)
        bound = self._loop
        if (
            bound is None
            or self._loop_thread != threading.get_ident()
            or not bound.is_running()
        ):
            self._check_loop()
        if self._session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl_context),
                headers=self._headers,
                trace_configs=self._trace_configs,
            )
            self._request_headers = None
            # NOTE: aiohttp 3.9+ silently resends an idempotent request once
            # when a kept-alive connection turns out closed. That resend
            # spends rate-limit budget that the limiter never counts, so the
            # client's own session turns it off and RetryPolicy decides.
            # aiohttp has no public switch; a caller's session is left as is.
            if hasattr(session, "_retry_connection"):
                session._retry_connection = False
            self._session = session
        return self._session

    def _check_loop(self) -> None:
        # Called only when the bound loop is not running in this thread. A
        # thread runs one loop at a time, so otherwise the bound loop is the
        # running one. Python 3.11 makes a getpid system call per lookup.
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            msg = (
                "This Client belongs to another event loop; create one Client "
                "per event loop"
            )
            raise ClientStateError(msg)
        self._loop_thread = threading.get_ident()

    # -- endpoints ----------------------------------------------------------

    async def list_members(
        self,
        *,
        offset: int = 0,
        limit: int = MAX_PAGE_SIZE,
        search_term: str | None = None,
        sort_by: SortBy | str | None = None,
        sort_dir: SortDirection | str | None = None,
        retry: RetryPolicy | None = None,
        max_wait: float | None = _UNSET,
        cache_ttl: float | None = None,
        use_cache: bool = True,
    ) -> MemberPage:
        """Fetch one page of the network's members.

        Args:
            offset: Number of members to skip, 0 or more.
            limit: Page size, 1 to ``max_page_size`` (25 unless the client
                was built with another).
            search_term: Case-insensitive filter on member names.
            sort_by: Sort field; the server defaults to ``UPDATED``.
            sort_dir: Sort direction; the server defaults to ``DESC``.
            retry: Retry policy for this call instead of the client's.
            max_wait: Cap in seconds on waiting for budget in this call.
            cache_ttl: With a cache, the maximum age in seconds of a cached
                page for this call and the time-to-live of a page it fetches,
                instead of the cache's ``ttl``. 0 always sends a request.
            use_cache: ``False`` sends a request of its own, shared with no
                other call, and neither reads nor writes the cache.

        A call that shares another call's request gets that call's result or
        exception, under that call's ``retry`` and ``max_wait``.

        Raises:
            ValidationError: An argument is invalid; nothing was sent.
            APIStatusError: The server responded with an error status.
            APIConnectionError: The network failed after every retry.
            ResponseDecodeError: The body is not the documented JSON.
        """
        offset, limit, search_term, by, direction = check_page_args(
            offset=offset,
            limit=limit,
            search_term=search_term,
            sort_by=sort_by,
            sort_dir=sort_dir,
            max_page_size=self._max_page_size,
        )
        params = _page_params(offset, limit, search_term, by, direction)
        return await self._get_page(
            params,
            retry=retry,
            max_wait=max_wait,
            ttl=check_cache_ttl(cache_ttl),
            use_cache=use_cache,
        )

    def _get_page(
        self,
        params: dict[str, str],
        *,
        retry: RetryPolicy | None = None,
        max_wait: float | None = _UNSET,
        ttl: float | None = None,
        use_cache: bool = True,
    ) -> Awaitable[MemberPage]:
        """Return the awaitable page that ``params`` (already validated) select."""
        if self._cache is None or not use_cache:
            return self._call(
                "GET",
                "/network/members",
                MemberPage,
                params=params,
                retry=retry,
                max_wait=max_wait,
            )
        return self._get_cached_page(params, retry=retry, max_wait=max_wait, ttl=ttl)

    async def _get_cached_page(
        self,
        params: dict[str, str],
        *,
        retry: RetryPolicy | None,
        max_wait: float | None,
        ttl: float | None,
    ) -> MemberPage:
        assert self._cache is not None
        fetch = functools.partial(
            self._call,
            "GET",
            "/network/members",
            MemberPage,
            params=params,
            retry=retry,
            max_wait=max_wait,
        )
        self._ensure_usable()
        return await self._cache.get_page(params, fetch, ttl=ttl)

    def iter_members(
        self,
        *,
        search_term: str | None = None,
        sort_by: SortBy | str | None = None,
        sort_dir: SortDirection | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        start_offset: int = 0,
        max_items: int | None = None,
        prefetch: int = 0,
        stable: bool = False,
    ) -> MemberScan:
        """Scan every member of the network, each membership id once.

        Use the result with ``async for``; it also exposes the scan's progress
        (``offset``, ``total_elements``, ``duplicates_skipped``, ...). Pages
        go through the shared budget. The scan stops at the page marked
        ``last``, at an empty page, at ``totalElements``, after three pages
        without a new member, or after ``max_items`` members.

        Consistency: offset pagination over a list that changes while it is
        read can skip or repeat members. Repeats are always dropped. In the
        default order (``UPDATED`` descending) a member updated during the
        scan moves to the front and is missed if the scan had not reached it,
        and a deletion before the cursor shifts the list so that the member
        after the cursor is missed. ``stable=True`` sorts by ``CREATED``
        ascending, which new members only append to, re-reads one member per
        page to check the position, and reads again after a deletion. It
        never misses a member that exists for the whole scan, and yields
        members added before it reads the end. See ``docs/pagination.md``.

        Args:
            search_term: Case-insensitive filter on member names.
            sort_by: Sort field; the server defaults to ``UPDATED``.
            sort_dir: Sort direction; the server defaults to ``DESC``.
            page_size: Members per request, 1 to ``max_page_size``.
            start_offset: List position to start at, such as the ``offset``
                of an earlier scan to resume it. Members that the earlier scan
                handled after it saved the offset are yielded again.
            max_items: Stop after this many members.
            prefetch: Pages to request ahead once the first page arrived, at
                most this many at once. 0 requests one page at a time.
            stable: Scan in the order that is stable under updates.

        Raises:
            ValidationError: An argument is invalid; raised here, before any
                request.
        """
        args = check_scan_args(
            start_offset=start_offset,
            page_size=page_size,
            max_page_size=self._max_page_size,
            search_term=search_term,
            sort_by=sort_by,
            sort_dir=sort_dir,
            prefetch=prefetch,
            max_items=max_items,
            stable=stable,
        )
        return MemberScan(
            self._page_fetcher(args),
            page_size=args.page_size,
            start_offset=args.start_offset,
            prefetch=prefetch,
            stable=stable,
            max_items=max_items,
        )

    def iter_member_pages(
        self,
        *,
        search_term: str | None = None,
        sort_by: SortBy | str | None = None,
        sort_dir: SortDirection | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        start_offset: int = 0,
        prefetch: int = 0,
        stable: bool = False,
    ) -> MemberPageScan:
        """Scan the listing page by page, as the server sends the pages.

        Takes the arguments of :meth:`iter_members` except ``max_items`` and
        stops on the same conditions. Pages are not deduplicated, and in a
        stable scan each page starts with the last member of the one before.

        Raises:
            ValidationError: An argument is invalid; raised here, before any
                request.
        """
        args = check_scan_args(
            start_offset=start_offset,
            page_size=page_size,
            max_page_size=self._max_page_size,
            search_term=search_term,
            sort_by=sort_by,
            sort_dir=sort_dir,
            prefetch=prefetch,
            max_items=None,
            stable=stable,
        )
        return MemberPageScan(
            self._page_fetcher(args),
            page_size=args.page_size,
            start_offset=args.start_offset,
            prefetch=prefetch,
            stable=stable,
        )

    def _page_fetcher(
        self, args: ScanArgs
    ) -> Callable[[int, int], Awaitable[MemberPage]]:
        # The scan validated its arguments once, so each page skips the
        # checks of list_members.
        get_page = self._get_page
        search_term, sort_by, sort_dir = args.search_term, args.sort_by, args.sort_dir

        def fetch(offset: int, limit: int) -> Awaitable[MemberPage]:
            return get_page(_page_params(offset, limit, search_term, sort_by, sort_dir))

        return fetch

    async def estimate_scan(
        self,
        *,
        total_elements: int | None = None,
        search_term: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        stable: bool = False,
    ) -> ScanEstimate:
        """Estimate the pages, windows and time that a full scan costs.

        The estimate uses the limiter's current limit, window length and,
        when known, the budget left in the current window. It assumes that
        the list does not change and leaves out response times.

        Args:
            total_elements: Members in the listing, such as
                ``scan.total_elements``. ``None`` sends one request for a
                single member to read ``totalElements``.
            search_term: Filter of the scan, used only to count members.
            page_size: Members per request of the scan.
            stable: Whether the scan is a stable scan.

        Raises:
            ValidationError: An argument is invalid; nothing was sent.
        """
        check_page_args(
            offset=0,
            limit=page_size,
            search_term=search_term,
            sort_by=None,
            sort_dir=None,
            max_page_size=self._max_page_size,
        )
        if total_elements is None:
            probe = await self.list_members(limit=1, search_term=search_term)
            total_elements = probe.total_elements
        # The latest headers tell the budget left, while their window lasts.
        snapshot = self._limiter.snapshot
        remaining = seconds_to_reset = None
        if snapshot is not None:
            seconds_to_reset = snapshot.reset.timestamp() - time.time()
            if seconds_to_reset > 0:
                remaining = snapshot.remaining
        # A backend other than WindowLimiter need not expose its window.
        window = float(getattr(self._limiter, "window", DEFAULT_WINDOW))
        return estimate_scan_cost(
            total_elements,
            page_size=page_size,
            limit=self._limiter.limit,
            window=window,
            stable=stable,
            remaining=remaining,
            seconds_to_reset=seconds_to_reset,
        )

    async def create_schedule(
        self,
        *,
        types: Iterable[ActionType | str],
        medias: Iterable[str],
        targets: Iterable[str],
        settings: ScheduleSettings,
        comment: str | None = None,
        remove_duplicates: bool = False,
        shuffle: bool = False,
        retry: RetryPolicy | None = None,
        max_wait: float | None = _UNSET,
    ) -> ScheduleResult:
        """Create schedules: every target performs every type on every media.

        The server returns one schedule URL per media.

        Args:
            types: Actions to perform, at least one.
            medias: Absolute https URLs of SoundCloud tracks, at least one.
            targets: ``user_id`` values of members of the network, at least one.
            settings: Timing of the schedule.
            comment: Comment text; allowed only with 3 or fewer targets, and
                required when ``types`` includes ``COMMENT``.
            remove_duplicates: Skip targets that already reposted the media.
            shuffle: Randomize the order of targets.
            retry: Retry policy for this call instead of the client's.
            max_wait: Cap in seconds on waiting for budget in this call.

        Raises:
            ValidationError: An argument is invalid; nothing was sent.
            ServerError, APITimeoutError, APIConnectionError: With
                ``outcome_unknown`` set, the request reached the server and the
                schedule may or may not exist, so check before sending it
                again.
        """
        checked_types, checked_medias, checked_targets = check_schedule_args(
            types=types,
            medias=medias,
            targets=targets,
            settings=settings,
            comment=comment,
        )
        body = {
            "types": [action.value for action in checked_types],
            "medias": list(checked_medias),
            "targets": list(checked_targets),
            "settings": unstructure_settings(settings),
            "comment": comment,
            "removeDuplicates": bool(remove_duplicates),
            "shuffle": bool(shuffle),
        }
        return await self._call(
            "POST",
            "/schedule/create",
            ScheduleResult,
            json_body=body,
            retry=retry,
            max_wait=max_wait,
        )

    async def schedule_bulk(
        self,
        items: Iterable[ScheduleItem],
        *,
        journal: Journal | str | os.PathLike[str] | None = None,
        concurrency: int = DEFAULT_BULK_CONCURRENCY,
        on_progress: Callable[[BulkProgress], None] | None = None,
    ) -> BulkReport:
        """Create many schedules with as few calls as the API's rules allow.

        Items with equal options are merged into calls that each carry a set
        of medias for a set of targets, with at most 3 targets when there is
        a comment; ``plan_schedule_calls`` documents how few. The calls run
        concurrently under this client's rate-limit budget and retry policy.
        A call that fails is reported, never raised.

        Args:
            items: The requested schedules, one media for one target each.
            journal: A :class:`Journal` or the path of one. Each call is
                recorded before it is sent and after it returns, so a run
                with the same journal skips what an earlier run created and
                never resends a call whose outcome is unknown.
            concurrency: Calls in flight at once, at least 1. At most that
                many calls have an unknown outcome if the process is killed.
            on_progress: Called with the counts at the start and after each
                call.

        Returns:
            Every item's outcome in input order: created (with its schedule
            URL), failed (with the error) or unknown (the request was sent and
            no answer came back; check the schedule calendar).

        Raises:
            ValidationError: An item or argument is invalid; nothing was sent.
            JournalError: The journal is unreadable or in use by another job.
        """
        return await run_schedule_bulk(
            self,
            items,
            journal=journal,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    # -- request pipeline ---------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        model: type[T],
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        retry: RetryPolicy | None,
        max_wait: float | None,
    ) -> T:
        session = self._ensure_usable()
        if max_wait is _UNSET:
            wait_cap = self._max_wait
        elif max_wait is None:
            wait_cap = None
        else:
            wait_cap = check_seconds("max_wait", max_wait, allow_zero=True)
        deadline = None
        if wait_cap is not None:
            deadline = asyncio.get_running_loop().time() + wait_cap
        url = self._base_url + path
        limiter = self._limiter
        attempt: RetryState | None = None
        while True:
            try:
                try:
                    permit = await limiter.acquire(deadline=deadline)
                except BudgetUnavailable as unavailable:
                    raise self._deadline_error(
                        method, url, unavailable.ready_at
                    ) from None
                try:
                    sent_at = time.time()
                    response = await send_once(
                        session,
                        method,
                        url,
                        headers=self._request_headers,
                        wire_timeouts=self._wire_timeout,
                        params=params,
                        json_body=json_body,
                        ssl_context=self._ssl_context,
                        max_response_size=self._max_response_size,
                    )
                except APIConnectionError as error:
                    limiter.release(permit, sent=error.request_sent)
                    raise
                except BaseException:
                    limiter.release(permit, sent=True)
                    raise
                self._settle(permit, response, sent_at)
                if response.status < 400:
                    return self._decode(response, model)
                raise self._status_error(response)
            except (APIStatusError, APIConnectionError) as error:
                if isinstance(error, RateLimitError) and not error.request_sent:
                    # Raised before sending because of max_wait: not a retry.
                    raise
                if self._closed:
                    msg = f"{method} {url} was interrupted because the Client closed"
                    raise ClientStateError(msg) from error
                if attempt is None:
                    attempt = RetryState(retry or self._retry)
                delay = attempt.next_delay(error, method, self._rng)
                if delay is None:
                    raise
                limiter.stats.retries += 1
                await self._back_off(error, delay, deadline, method, url)

    def _decode(self, response: RawResponse, model: type[T]) -> T:
        try:
            return decode_body(response, model)
        except ResponseDecodeError as error:
            if response.method != "GET":
                # The server responded with success, so it processed the request,
                # but what it created cannot be read from this body.
                error.mark_outcome_unknown()
            raise

    def _settle(self, permit: object, response: RawResponse, sent_at: float) -> None:
        limiter = self._limiter
        if type(limiter) is WindowLimiter:
            limiter._observe_response(
                cast("Permit", permit),
                response.headers,
                status=response.status,
                sent_at=sent_at,
            )
        else:
            observe_response(
                limiter,
                permit,
                response.headers,
                status=response.status,
                sent_at=sent_at,
            )

    def _status_error(self, response: RawResponse) -> APIStatusError:
        retry_after = parse_retry_after(
            response.headers.get("Retry-After"), now=self._limiter.server_now()
        )
        snapshot = self._limiter.snapshot
        reset = snapshot.reset if snapshot and response.status == 429 else None
        return build_status_error(response, reset=reset, retry_after=retry_after)

    def _deadline_error(
        self, method: str, url: str, ready_at: float | None
    ) -> RateLimitError:
        snapshot = self._limiter.snapshot
        loop = asyncio.get_running_loop()
        wait = None if ready_at is None else max(ready_at - loop.time(), 0.0)
        detail = "" if wait is None else f" for {wait:.1f} s"
        return RateLimitError(
            status=429,
            method=method,
            url=url,
            message=f"rate-limit budget is unavailable{detail}, past max_wait",
            hint="Raise max_wait, or retry after the reset",
            reset=snapshot.reset if snapshot else None,
            retry_after=wait,
            summary=(
                f"{method} {url} was not sent: the rate-limit budget returns "
                f"only after this call's max_wait"
            ),
            request_sent=False,
        )

    async def _back_off(
        self,
        error: Exception,
        delay: float,
        deadline: float | None,
        method: str,
        url: str,
    ) -> None:
        loop = asyncio.get_running_loop()
        if deadline is not None and loop.time() + delay > deadline:
            raise error
        if isinstance(error, RateLimitError):
            # The limiter delays the resend until the server's window allows it.
            logger.warning(
                "Retrying %s %s when the rate limit allows, after: %s",
                method,
                url,
                describe_failure(error),
            )
        else:
            logger.warning(
                "Retrying %s %s in %.2f s after: %s",
                method,
                url,
                delay,
                describe_failure(error),
            )
        if delay > 0:
            await asyncio.sleep(delay)


def _page_params(
    offset: int,
    limit: int,
    search_term: str | None,
    sort_by: SortBy | None,
    sort_dir: SortDirection | None,
) -> dict[str, str]:
    params = {"offset": str(offset), "limit": str(limit)}
    if search_term:
        params["searchTerm"] = search_term
    if sort_by is not None:
        params["sortBy"] = sort_by.value
    if sort_dir is not None:
        params["sortDir"] = sort_dir.value
    return params


def _check_credential(argument: str, value: object) -> None:
    shown = value if argument == "username" else "<hidden>"
    if not isinstance(value, str) or not value:
        raise ValidationError(argument, shown, "must be a non-empty string")
    if argument == "username" and ":" in value:
        raise ValidationError(argument, value, "must not contain ':'")
    if not value.isprintable():
        raise ValidationError(argument, shown, "must not contain control characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        # from None: the encoder's exception holds the whole value.
        raise ValidationError(argument, shown, "must be valid Unicode") from None

"""Caching and request coalescing for member listings.

Theory of operation
-------------------
A page is cached under a key built from the account (base URL and username)
and the full query: offset, limit, search term, sort field and direction.
One call with caching on goes through these steps:

1. In flight. If a request for the same key is already running in this
   client, the call waits for it instead of sending another one (coalescing).
2. Store. Otherwise the call reads the store. An entry younger than the
   call's time-to-live, and stored after the last invalidation, is a hit.
3. Miss. Otherwise the call starts the request as a task of the cache and
   waits for it. Callers that arrive meanwhile join it at step 1. When the
   request succeeds, the page is written to the store before the waiters
   resume, so a caller arriving later reads it at step 2. An error reaches
   every waiter and nothing is stored.

Each waiter awaits the shared task through ``asyncio.shield``, so cancelling
one waiter leaves the request running for the others. The cache keeps a
reference to every task until it ends, and closing the client cancels the
ones left.

Entries are JSON: the page in its wire form (the converter's unstructure
hooks) plus the wall-clock time at which it was stored, so that processes
sharing a store agree on an entry's age. The last entries decoded are kept
by their bytes, so a repeated hit costs a dictionary lookup, not a decode.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import attrs

from ._cache_store import DEFAULT_MAX_ENTRIES, CacheStore, MemoryStore, StoreGuard
from ._config import check_seconds
from ._converter import structure_response, unstructure_page
from ._errors import ClientStateError, ResponseDecodeError, ValidationError
from ._models import MemberPage
from ._wire import loads_json

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

__all__ = [
    "CacheStats",
    "MemberCache",
    "PageCache",
    "check_cache_ttl",
    "open_page_cache",
]

logger = logging.getLogger("influenceplanner_async.cache")

DEFAULT_STORE_TIMEOUT = 1.0
DEFAULT_STORE_RETRY_AFTER = 30.0
# Bumped when the entry layout changes; entries of another format are misses.
ENTRY_FORMAT = 1
# Decoded entries kept per client, keyed by their bytes, so that a hit on a
# recently seen entry skips JSON parsing. Pages are frozen, so sharing is safe.
DECODED_ENTRIES = 128


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    check_seconds(attribute.name, value, allow_zero=False)


@attrs.frozen(kw_only=True)
class MemberCache:
    """Settings of a client's cache of member listings.

    Pass it as ``Client(..., cache=MemberCache(ttl=60))``.

    Attributes:
        ttl: Seconds for which a page is served from the cache. Each call of
            ``list_members`` may lower or raise it with ``cache_ttl``.
        store: Where pages are kept. ``None`` gives each client its own
            :class:`MemoryStore` of ``max_entries`` pages. Share a
            :class:`RedisStore` between processes. The client never closes it.
        max_entries: Size of the default in-memory store, in pages.
        clock: Wall clock in epoch seconds that dates entries. Processes that
            share a store must agree on it; tests may inject a manual clock.
        store_timeout: Seconds that one store operation may take before it
            counts as a failure.
        store_retry_after: Seconds for which the store is skipped after a
            failure before it is tried again.
    """

    ttl: float = attrs.field(validator=_positive)
    store: CacheStore | None = None
    max_entries: int = attrs.field(
        default=DEFAULT_MAX_ENTRIES,
        validator=[attrs.validators.instance_of(int), attrs.validators.ge(1)],
    )
    clock: Callable[[], float] = time.time
    store_timeout: float = attrs.field(
        default=DEFAULT_STORE_TIMEOUT, validator=_positive
    )
    store_retry_after: float = attrs.field(
        default=DEFAULT_STORE_RETRY_AFTER, validator=_positive
    )


@attrs.frozen(kw_only=True)
class CacheStats:
    """Counters of a client's member-listing cache.

    Every call with caching on counts as exactly one of ``hits``, ``misses``
    (it sent the request) or ``coalesced`` (it shared another call's
    request). Calls with ``use_cache=False`` count as none of them.

    Attributes:
        hits: Calls served from the store.
        misses: Calls that sent a request.
        coalesced: Calls that waited for a request already in flight.
        evictions: Live pages that the in-memory store dropped to stay within
            ``max_entries``. A shared store evicts on its own terms and
            reports 0 here.
        store_errors: Store operations that failed or timed out, and entries
            that could not be decoded.
    """

    hits: int = 0
    misses: int = 0
    coalesced: int = 0
    evictions: int = 0
    store_errors: int = 0


def check_cache_ttl(value: object) -> float | None:
    """Validate a per-call ``cache_ttl``: ``None`` or seconds, 0 or more."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("cache_ttl", value, "must be a number of seconds or None")
    if not value >= 0 or math.isinf(value):
        raise ValidationError("cache_ttl", value, "must be a finite number, 0 or more")
    return float(value)


def open_page_cache(
    settings: object, *, base_url: str, username: str
) -> PageCache | None:
    """Build a client's cache from its ``cache`` argument; ``None`` turns it off.

    Raises:
        ValidationError: ``settings`` is neither ``None`` nor a MemberCache.
    """
    if settings is None:
        return None
    if not isinstance(settings, MemberCache):
        raise ValidationError(
            "cache", settings, "must be a MemberCache, such as MemberCache(ttl=60)"
        )
    return PageCache(settings, base_url=base_url, username=username)


def account_prefix(base_url: str, username: str) -> str:
    """Return the key prefix of one account's pages.

    Hashing keeps keys short and of one shape. No credential goes into it.
    """
    digest = hashlib.sha256(f"{base_url}\n{username}".encode()).hexdigest()
    return f"members:{digest[:16]}:"


def page_key(prefix: str, query: Mapping[str, str]) -> str:
    """Return the key of one page: the account prefix and the hashed query."""
    canonical = urlencode(sorted(query.items()))
    return prefix + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode_entry(page: MemberPage, stored_at: float) -> bytes:
    """Serialize a page and the time it was stored."""
    entry = {
        "format": ENTRY_FORMAT,
        "storedAt": stored_at,
        "page": unstructure_page(page),
    }
    # ASCII escapes keep any string, unpaired surrogates in names included,
    # which UTF-8 cannot encode.
    return json.dumps(entry, separators=(",", ":")).encode()


def decode_entry(data: bytes) -> tuple[MemberPage, float]:
    """Read back an entry written by :func:`encode_entry`.

    Raises:
        ResponseDecodeError: The data is not such an entry.
    """
    try:
        entry = loads_json(data)
    except (ValueError, RecursionError) as error:
        msg = f"Cache entry is not JSON: {type(error).__name__}: {error}"
        raise ResponseDecodeError(msg) from error
    if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
        msg = f"Cache entry is not in format {ENTRY_FORMAT}"
        raise ResponseDecodeError(msg)
    stored_at = entry.get("storedAt")
    if isinstance(stored_at, bool) or not isinstance(stored_at, int | float):
        msg = f"Cache entry has no valid storedAt: {stored_at!r}"
        raise ResponseDecodeError(msg)
    return structure_response(entry.get("page"), MemberPage), float(stored_at)


class PageCache:
    """The cache of one client: store access, coalescing and counters.

    Args:
        settings: The caller's cache settings.
        base_url: The client's base URL, part of every key.
        username: The client's username, part of every key.
    """

    def __init__(self, settings: MemberCache, *, base_url: str, username: str) -> None:
        self.settings = settings
        if settings.store is None:
            self.store: CacheStore = MemoryStore(
                max_entries=settings.max_entries, clock=settings.clock
            )
        else:
            self.store = settings.store
        self._guard = StoreGuard(
            timeout=settings.store_timeout, retry_after=settings.store_retry_after
        )
        self._prefix = account_prefix(base_url, username)
        self._in_flight: dict[str, asyncio.Task[MemberPage]] = {}
        self._tasks: set[asyncio.Task[MemberPage]] = set()
        self._joined: dict[asyncio.Task[MemberPage], int] = {}
        self._decoded: collections.OrderedDict[bytes, tuple[MemberPage, float]] = (
            collections.OrderedDict()
        )
        # Invalidation starts a new generation: requests of an older one do
        # not store their page, and entries stored before it are stale.
        self._generation = 0
        self._invalidated_at = -math.inf
        self._hits = 0
        self._misses = 0
        self._coalesced = 0

    @property
    def stats(self) -> CacheStats:
        """A snapshot of the counters."""
        store = self.store
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            coalesced=self._coalesced,
            evictions=store.evictions if isinstance(store, MemoryStore) else 0,
            store_errors=self._guard.errors,
        )

    async def get_page(
        self,
        query: Mapping[str, str],
        fetch: Callable[[], Awaitable[MemberPage]],
        *,
        ttl: float | None,
    ) -> MemberPage:
        """Return the page for ``query`` from the cache, a shared request or ``fetch``.

        Args:
            query: The request's query parameters, which identify the page.
            fetch: Sends the request; called at most once, in a task.
            ttl: Maximum age in seconds of a cached page for this call, and
                the time-to-live of a page that this call fetches. ``None``
                uses the settings' ``ttl``; 0 neither reads nor writes.

        Raises:
            Whatever ``fetch`` raises, in every caller that shared it.
            ClientStateError: The client closed while the call waited.
        """
        max_age = self.settings.ttl if ttl is None else ttl
        key = page_key(self._prefix, query)
        shared = self._in_flight.get(key)
        if shared is None and max_age > 0:
            page = await self._read_fresh(key, max_age, query)
            if page is not None:
                return page
            # Another caller may have started the request while this one
            # read the store.
            shared = self._in_flight.get(key)
        if shared is not None:
            self._coalesced += 1
            self._joined[shared] = self._joined.get(shared, 0) + 1
            return await self._wait_for(shared)
        self._misses += 1
        logger.debug("Cache miss for members %s; sending the request", _show(query))
        return await self._wait_for(self._start(key, fetch, max_age))

    async def invalidate(self) -> None:
        """Forget every page of this account, cached or in flight.

        Requests in flight still return their page to the callers that wait
        for them, but those pages are not stored, and later calls send new
        requests. Pages stored before now are never served by this client
        again, even if the store fails to delete them.
        """
        self._generation += 1
        self._invalidated_at = self.settings.clock()
        self._in_flight.clear()
        self._decoded.clear()
        await self._guard.run("clear", lambda: self.store.clear(self._prefix))

    async def aclose(self) -> None:
        """Cancel the requests in flight and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _read_fresh(
        self, key: str, max_age: float, query: Mapping[str, str]
    ) -> MemberPage | None:
        succeeded, data = await self._guard.run("read", lambda: self.store.get(key))
        if not succeeded or data is None:
            return None
        try:
            page, stored_at = self._decode(data)
        except ResponseDecodeError as error:
            self._guard.report_corrupt(key, error)
            await self._guard.run("delete", lambda: self.store.delete(key))
            return None
        age = max(self.settings.clock() - stored_at, 0.0)
        if age >= max_age or stored_at < self._invalidated_at:
            return None
        self._hits += 1
        logger.debug("Cache hit for members %s (age %.1f s)", _show(query), age)
        return page

    def _start(
        self, key: str, fetch: Callable[[], Awaitable[MemberPage]], ttl: float
    ) -> asyncio.Task[MemberPage]:
        task = asyncio.create_task(self._fetch_and_store(key, fetch, ttl))
        self._in_flight[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finish(key, done))
        return task

    async def _fetch_and_store(
        self, key: str, fetch: Callable[[], Awaitable[MemberPage]], ttl: float
    ) -> MemberPage:
        generation = self._generation
        page = await fetch()
        if ttl > 0 and generation == self._generation:
            stored_at = self.settings.clock()
            data = encode_entry(page, stored_at)
            self._remember(data, (page, stored_at))
            await self._guard.run("write", lambda: self.store.set(key, data, ttl))
        return page

    def _decode(self, data: bytes) -> tuple[MemberPage, float]:
        entry = self._decoded.get(data)
        if entry is None:
            entry = decode_entry(data)
            self._remember(data, entry)
        else:
            self._decoded.move_to_end(data)
        return entry

    def _remember(self, data: bytes, entry: tuple[MemberPage, float]) -> None:
        self._decoded[data] = entry
        if len(self._decoded) > DECODED_ENTRIES:
            self._decoded.popitem(last=False)

    def _finish(self, key: str, task: asyncio.Task[MemberPage]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        self._tasks.discard(task)
        joined = self._joined.pop(task, 0)
        if joined:
            logger.debug("Shared one response with %d more waiting calls", joined)
        # Mark the error as retrieved: every waiter may have been cancelled.
        if not task.cancelled():
            task.exception()

    async def _wait_for(self, task: asyncio.Task[MemberPage]) -> MemberPage:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or not current.cancelling()):
                msg = "The Client was closed while this call waited for its response"
                raise ClientStateError(msg) from None
            raise


def _show(query: Mapping[str, str]) -> str:
    return " ".join(f"{name}={value!r}" for name, value in sorted(query.items()))

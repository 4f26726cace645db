"""Where cached pages live: the store interface and the bounded in-memory store.

A store keeps opaque byte strings under string keys for a time-to-live. The
cache serializes pages itself, so a store never sees a model, and one store
may serve many clients and accounts because every key starts with an account
prefix.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["DEFAULT_MAX_ENTRIES", "CacheStore", "MemoryStore", "StoreGuard"]

logger = logging.getLogger("influenceplanner_async.cache")

DEFAULT_MAX_ENTRIES = 1000

T = TypeVar("T")


class CacheStore(Protocol):
    """Storage for cached member pages, shared by one or more clients.

    Methods may raise any exception when the storage fails. The cache catches
    it, logs one WARNING per outage and carries on without the store, so a
    failing store never fails a call.
    """

    async def get(self, key: str) -> bytes | None:
        """Return the value stored under ``key``, or ``None`` if absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (more than 0)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    async def clear(self, prefix: str = "") -> None:
        """Remove every key that starts with ``prefix``; ``""`` removes all."""
        ...


class MemoryStore:
    """A bounded in-process store that evicts the least recently used entry.

    Args:
        max_entries: Entries kept at most. Storing one more evicts the entry
            that was read or written longest ago.
        clock: Clock in seconds for expiry, injectable for tests.

    It belongs to one process; use a shared store such as
    :class:`RedisStore` to share pages between processes.
    """

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int):
            msg = f"max_entries must be an integer, got {max_entries!r}"
            raise TypeError(msg)
        if max_entries < 1:
            msg = f"max_entries must be at least 1, got {max_entries!r}"
            raise ValueError(msg)
        self.max_entries = max_entries
        self.evictions = 0
        self._clock = clock
        # Least recently used first; each value is (data, expires_at).
        self._entries: collections.OrderedDict[str, tuple[bytes, float]] = (
            collections.OrderedDict()
        )

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        """Return the live value under ``key`` and mark it recently used."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        data, expires_at = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return data

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds, evicting old entries past the limit."""
        self._entries[key] = (value, self._clock() + ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._evict_oldest()

    async def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        self._entries.pop(key, None)

    async def clear(self, prefix: str = "") -> None:
        """Remove every key that starts with ``prefix``."""
        for key in [key for key in self._entries if key.startswith(prefix)]:
            del self._entries[key]

    def _evict_oldest(self) -> None:
        _, (_, expires_at) = self._entries.popitem(last=False)
        # An expired entry leaving is not an eviction: it was dead already.
        if self._clock() < expires_at:
            self.evictions += 1


class StoreGuard:
    """Runs store operations so that a failing store only turns caching off.

    The first failure logs one WARNING and starts an outage, during which the
    store is skipped for ``retry_after`` seconds at a time. The first success
    after that logs INFO and ends the outage.

    Args:
        timeout: Seconds that one store operation may take.
        retry_after: Seconds to skip the store after a failure.
    """

    def __init__(self, *, timeout: float, retry_after: float) -> None:
        self.timeout = timeout
        self.retry_after = retry_after
        self.errors = 0
        self._in_outage = False
        self._corrupt_logged = False
        self._skip_until: float | None = None

    @property
    def in_outage(self) -> bool:
        """Whether the last store operation failed."""
        return self._in_outage

    async def run(
        self, operation: str, action: Callable[[], Awaitable[T]]
    ) -> tuple[bool, T | None]:
        """Run ``action`` and return ``(succeeded, result)``.

        Returns ``(False, None)`` without running it while the store is
        skipped, and when it raises or times out.
        """
        now = asyncio.get_running_loop().time()
        if self._skip_until is not None and now < self._skip_until:
            return False, None
        try:
            async with asyncio.timeout(self.timeout):
                result = await action()
        except Exception as error:
            # Any failure of any store only turns caching off for a while.
            self._fail(operation, error)
            return False, None
        self._recover()
        return True, result

    def report_corrupt(self, key: str, error: Exception) -> None:
        """Count an entry that could not be decoded, logging the first one."""
        self.errors += 1
        level = logging.DEBUG if self._corrupt_logged else logging.WARNING
        self._corrupt_logged = True
        logger.log(
            level,
            "Discarding the cache entry %s, which cannot be decoded: %s",
            key,
            error,
        )

    def _fail(self, operation: str, error: Exception) -> None:
        self.errors += 1
        loop = asyncio.get_running_loop()
        self._skip_until = loop.time() + self.retry_after
        if self._in_outage:
            return
        self._in_outage = True
        reason = "timed out" if isinstance(error, TimeoutError) else repr(error)
        logger.warning(
            "Cache store %s failed (%s); calls go to the API without caching and "
            "the store is retried every %.0f s",
            operation,
            reason,
            self.retry_after,
        )

    def _recover(self) -> None:
        self._skip_until = None
        if self._in_outage:
            self._in_outage = False
            logger.info("Cache store is available again; caching resumes")

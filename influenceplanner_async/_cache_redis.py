"""A cache store in Redis, for pages shared by several processes or hosts.

It needs the ``redis`` extra (``pip install 'influenceplanner-async[redis]'``),
which is imported only when a store is built.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["DEFAULT_NAMESPACE", "RedisStore"]

DEFAULT_NAMESPACE = "influenceplanner:cache:"
DEFAULT_SOCKET_TIMEOUT = 1.0
_SCAN_BATCH = 500
# Characters that SCAN's MATCH pattern treats as glob syntax.
_GLOB_SPECIAL = re.compile(r"([\\*?\[\]])")


class RedisStore:
    """Keeps cached pages in Redis, with Redis expiring them at their TTL.

    Build it from a URL, which gives the store its own connection pool that
    :meth:`aclose` closes, or from a ``redis.asyncio.Redis`` client that the
    caller owns::

        store = RedisStore.from_url("redis://127.0.0.1:6379/0")
        async with Client(..., cache=MemberCache(ttl=60, store=store)) as client:
            ...
        await store.aclose()

    Args:
        redis: A ``redis.asyncio.Redis`` client that returns bytes, that is
            built without ``decode_responses``.
        namespace: Text put before every key, to keep these keys apart from
            other data in the same database.

    Errors of the Redis client propagate; the cache that uses the store turns
    them into a WARNING and carries on without caching.
    """

    def __init__(self, redis: Redis, *, namespace: str = DEFAULT_NAMESPACE) -> None:
        self._redis = redis
        self._namespace = namespace
        self._owns_client = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
        **options: Any,
    ) -> RedisStore:
        """Connect to the Redis server at ``url``, such as ``redis://host:6379/0``.

        Connecting happens on first use. Other keyword arguments go to
        ``redis.asyncio.Redis.from_url``.

        Args:
            socket_timeout: Seconds to wait for a connection or a reply. The
                client does not retry a failed command, because the cache
                skips a failing store instead.

        Raises:
            ImportError: The ``redis`` package is not installed.
        """
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        options.setdefault("socket_timeout", socket_timeout)
        options.setdefault("socket_connect_timeout", socket_timeout)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        store = cls(Redis.from_url(url, **options), namespace=namespace)
        store._owns_client = True
        return store

    def __repr__(self) -> str:
        # The connection URL may carry a password, so it is not shown.
        return f"<RedisStore namespace={self._namespace!r}>"

    async def aclose(self) -> None:
        """Close the connection pool if :meth:`from_url` built it."""
        if self._owns_client:
            await self._redis.aclose()

    async def get(self, key: str) -> bytes | None:
        """Return the value under ``key``, or ``None``."""
        value = await self._redis.get(self._namespace + key)
        if value is None or isinstance(value, bytes):
            return value
        msg = "RedisStore needs a Redis client built without decode_responses"
        raise TypeError(msg)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key``; Redis deletes it after ``ttl`` seconds."""
        milliseconds = max(math.ceil(ttl * 1000), 1)
        await self._redis.set(self._namespace + key, value, px=milliseconds)

    async def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        await self._redis.delete(self._namespace + key)

    async def clear(self, prefix: str = "") -> None:
        """Remove every key of this namespace that starts with ``prefix``.

        Uses ``SCAN``, so keys written during the scan may survive it.
        """
        pattern = _GLOB_SPECIAL.sub(r"\\\1", self._namespace + prefix) + "*"
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=pattern, count=_SCAN_BATCH):
            batch.append(key)
            if len(batch) >= _SCAN_BATCH:
                await self._redis.delete(*batch)
                batch.clear()
        if batch:
            await self._redis.delete(*batch)

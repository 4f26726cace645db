"""A worker process for the multi-process tests: one client, one shared limit.

Usage: ``python shared_worker.py BASE_URL REDIS_URL REQUESTS TASKS WINDOW
PERMIT_TTL``. It sends ``REQUESTS`` listing calls from ``TASKS`` tasks through
a ``RedisRateLimiter`` keyed by ``alice`` and prints one JSON line with the
number of calls that succeeded and the client's counters.
"""

from __future__ import annotations

import asyncio
import json
import sys

from influenceplanner_async import Client, RedisRateLimiter, RetryPolicy


async def run(
    base_url: str,
    redis_url: str,
    requests: int,
    tasks: int,
    window: float,
    permit_ttl: float,
) -> dict[str, int]:
    """Send the requests and return the counts to report."""
    succeeded = 0
    async with (
        RedisRateLimiter(
            redis_url,
            key="alice",
            window=window,
            margin=0.02,
            permit_ttl=permit_ttl,
            redis_timeout=2.0,
        ) as limiter,
        Client(
            "alice",
            "ip-1234",
            base_url=base_url,
            limiter=limiter,
            retry=RetryPolicy(initial_delay=0.0),
        ) as client,
    ):
        queue = list(range(requests))

        async def work() -> None:
            nonlocal succeeded
            while queue:
                queue.pop()
                await client.list_members(limit=1)
                succeeded += 1

        await asyncio.gather(*(work() for _ in range(tasks)))
        return {
            "succeeded": succeeded,
            "responses_429": client.stats.responses_429,
            "shared": int(limiter.is_shared),
        }


def main() -> None:
    """Parse the arguments, run, and print the result as JSON."""
    base_url, redis_url = sys.argv[1], sys.argv[2]
    requests, tasks = int(sys.argv[3]), int(sys.argv[4])
    window, permit_ttl = float(sys.argv[5]), float(sys.argv[6])
    result = asyncio.run(run(base_url, redis_url, requests, tasks, window, permit_ttl))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

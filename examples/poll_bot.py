"""A long-running bot that polls the network politely and stops cleanly.

Every ``POLL_INTERVAL`` seconds (default 60) it fetches the first page of
members sorted by last update and prints what changed since the previous
poll. After a failure it waits twice as long, up to ``MAX_BACKOFF`` seconds,
so an outage does not turn into a stream of requests. SIGINT and SIGTERM end
the current wait at once; the bot then closes its client and exits with 0.

Run it::

    POLL_INTERVAL=10 python examples/poll_bot.py
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from influenceplanner_async import Client, InfluencePlannerError, SortBy

logger = logging.getLogger("poll_bot")

MAX_BACKOFF = 900.0


async def poll_once(client: Client, seen: dict[str, str]) -> int:
    """Fetch the most recently updated members; return how many changed."""
    page = await client.list_members(sort_by=SortBy.UPDATED, limit=25)
    changed = 0
    for member in page.results:
        stamp = member.updated_at.isoformat()
        if seen.get(member.user_id) != stamp:
            seen[member.user_id] = stamp
            changed += 1
    return changed


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep for ``seconds`` unless ``stop`` is set first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run(interval: float) -> int:
    """Poll until a signal arrives; return the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    seen: dict[str, str] = {}
    polls = 0
    delay = interval
    async with Client.from_env() as client:
        while not stop.is_set():
            try:
                changed = await poll_once(client, seen)
            except InfluencePlannerError as error:
                delay = min(delay * 2, MAX_BACKOFF)
                logger.warning("Poll failed, next try in %.0f s: %s", delay, error)
            else:
                polls += 1
                delay = interval
                print(f"poll {polls}: {changed} members changed", flush=True)
            await wait_or_stop(stop, delay)
    print(f"stopped after {polls} polls", flush=True)
    return 0


def main() -> int:
    """Run the bot with the interval from ``POLL_INTERVAL``."""
    logging.basicConfig(level=logging.INFO)
    interval = float(os.environ.get("POLL_INTERVAL", "60"))
    return asyncio.run(run(interval))


if __name__ == "__main__":
    sys.exit(main())

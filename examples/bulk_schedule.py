"""A bulk job: schedule reposts of some tracks by every LINKED member.

It lists the whole network once, splits the LINKED members into batches and
creates the schedules of all batches concurrently. The client's shared
limiter keeps the job inside the rate limit, so no batch needs its own
pacing. A batch whose outcome is unknown (the server may have created it) is
reported and not resent.

Run it::

    python examples/bulk_schedule.py https://soundcloud.com/example/demo
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from influenceplanner_async import (
    ActionType,
    APIConnectionError,
    APIStatusError,
    Client,
    ScheduleResult,
    ScheduleSettings,
)

DEFAULT_BATCH_SIZE = 100


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the media URLs and the batch size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("medias", nargs="+", metavar="MEDIA_URL")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help="targets per schedule request (default %(default)s)",
    )
    return parser.parse_args(argv)


async def schedule_batch(
    client: Client, medias: list[str], targets: list[str]
) -> ScheduleResult | None:
    """Create the schedules of one batch, or report why it failed."""
    try:
        return await client.create_schedule(
            types=[ActionType.REPOST],
            medias=medias,
            targets=targets,
            settings=ScheduleSettings(),
            remove_duplicates=True,
        )
    except (APIStatusError, APIConnectionError) as error:
        unknown = " (outcome unknown: check before resending)" * error.outcome_unknown
        print(f"batch of {len(targets)} failed{unknown}: {error}", file=sys.stderr)
        return None


async def run(medias: list[str], batch_size: int) -> int:
    """Schedule ``medias`` for every LINKED member; return the exit status."""
    async with Client.from_env() as client:
        targets = [
            member.user_id async for member in client.iter_members() if member.is_linked
        ]
        batches = [
            targets[start : start + batch_size]
            for start in range(0, len(targets), batch_size)
        ]
        results = await asyncio.gather(
            *(schedule_batch(client, medias, batch) for batch in batches)
        )

    created = [url for result in results if result is not None for url in result.data]
    for url in created:
        print(url)
    failed = sum(result is None for result in results)
    print(
        f"created {len(created)} schedules for {len(targets)} targets "
        f"in {len(batches)} batches, {failed} failed"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run the job from the command line."""
    arguments = parse_arguments(argv)
    return asyncio.run(run(arguments.medias, arguments.batch_size))


if __name__ == "__main__":
    sys.exit(main())

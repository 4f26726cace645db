"""The ``schedule`` group: create schedules from the command line."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from influenceplanner_async import ActionType, ScheduleSettings

from ._bulk import bulk
from ._options import AwareDateTime, connection_options, open_client

if TYPE_CHECKING:
    from datetime import datetime

    from influenceplanner_async import Client, ScheduleResult

__all__ = ["schedule"]


@click.group()
def schedule() -> None:
    """Create schedules of reposts, likes and comments."""


schedule.add_command(bulk)


@schedule.command()
@click.option(
    "--type",
    "types",
    type=click.Choice(ActionType, case_sensitive=False),
    multiple=True,
    required=True,
    help="Action to perform; repeat for several: --type REPOST --type UNREPOST.",
)
@click.option(
    "--media",
    "medias",
    metavar="URL",
    multiple=True,
    required=True,
    help="SoundCloud track URL (https); repeat for several. One schedule per media.",
)
@click.option(
    "--target",
    "targets",
    metavar="USER_ID",
    multiple=True,
    required=True,
    help="user_id of a member who performs the actions; repeat for several.",
)
@click.option(
    "--date",
    type=AwareDateTime(),
    help="Start time with a time zone, such as 2026-01-30T21:00Z. Omit to let "
    "the service pick the time.",
)
@click.option(
    "--unrepost-after-hours",
    type=click.IntRange(min=0),
    metavar="N",
    help="Hours after which to undo the repost; required with --type UNREPOST.",
)
@click.option(
    "--spread-accounts",
    type=click.IntRange(min=0),
    metavar="N",
    help="Minutes between two targets acting on the same media.",
)
@click.option(
    "--spread-tracks",
    type=click.IntRange(min=0),
    metavar="N",
    help="Minutes between one target acting on two different medias.",
)
@click.option(
    "--comment",
    metavar="TEXT",
    help="Comment text; required with --type COMMENT and allowed only with at "
    "most 3 targets.",
)
@click.option(
    "--remove-duplicates",
    is_flag=True,
    help="Skip targets who already reposted the media.",
)
@click.option("--shuffle", is_flag=True, help="Randomize the order of the targets.")
@connection_options
def create(
    *,
    types: tuple[ActionType, ...],
    medias: tuple[str, ...],
    targets: tuple[str, ...],
    date: datetime | None,
    unrepost_after_hours: int | None,
    spread_accounts: int | None,
    spread_tracks: int | None,
    comment: str | None,
    remove_duplicates: bool,
    shuffle: bool,
    base_url: str | None,
    window: float,
) -> None:
    """Create schedules in one request and print one schedule URL per media.

    Every target performs every type on every media. Reads the credentials
    from INFLUENCEPLANNER_USERNAME and INFLUENCEPLANNER_API_KEY.
    """
    settings = ScheduleSettings(
        date=date,
        unrepost_after_hours=unrepost_after_hours,
        spread_between_accounts_minutes=spread_accounts,
        spread_between_tracks_minutes=spread_tracks,
    )
    client = open_client(base_url=base_url, window=window)
    result = asyncio.run(
        _create(
            client,
            types=list(types),
            medias=medias,
            targets=targets,
            settings=settings,
            comment=comment,
            remove_duplicates=remove_duplicates,
            shuffle=shuffle,
        )
    )
    for url in result.data:
        click.echo(url)
    if result.message:
        click.echo(f"Server message: {result.message}", err=True)


async def _create(
    client: Client,
    *,
    types: list[ActionType],
    medias: tuple[str, ...],
    targets: tuple[str, ...],
    settings: ScheduleSettings,
    comment: str | None,
    remove_duplicates: bool,
    shuffle: bool,
) -> ScheduleResult:
    async with client:
        return await client.create_schedule(
            types=types,
            medias=medias,
            targets=targets,
            settings=settings,
            comment=comment,
            remove_duplicates=remove_duplicates,
            shuffle=shuffle,
        )

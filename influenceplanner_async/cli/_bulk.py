"""The ``schedule bulk`` command: a CSV of schedules, resumable from a journal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from influenceplanner_async import (
    Journal,
    plan_schedule_calls,
    read_schedule_items,
)

from ._errors import EXIT_FAILURE, one_line
from ._options import connection_options, open_client

if TYPE_CHECKING:
    from influenceplanner_async import (
        BulkProgress,
        BulkReport,
        CallOutcome,
        Client,
        ScheduleItem,
    )

__all__ = ["bulk"]

# Medias or targets shown per call in the list of failed and unknown calls.
_SHOWN_VALUES = 3


@click.command()
@click.argument(
    "csv_file",
    metavar="FILE.csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--journal",
    metavar="FILE",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON Lines journal of this job, created if missing. Pass the same "
    "file to resume: created schedules are skipped and calls of unknown "
    "outcome are not resent.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Requests in flight at once; all share the rate limit.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check the file and print the planned number of requests; send nothing.",
)
@connection_options
def bulk(
    *,
    csv_file: Path,
    journal: Path,
    concurrency: int,
    dry_run: bool,
    base_url: str | None,
    window: float,
) -> None:
    """Create every schedule listed in FILE.csv with as few requests as possible.

    Each row asks for one media to be acted on by one target. Rows with the
    same types, settings, comment and flags are merged into requests that
    each carry several medias for several targets (at most 3 targets with a
    comment). The whole file is checked before any request is sent.

    \b
    Columns, in any order (header row required):
      media         SoundCloud track URL (https), required
      target        user_id of a member, required
      types         REPOST, UNREPOST, LIKE, COMMENT, separated by | or spaces
      date          ISO 8601 start time with a time zone; empty = automatic
      unrepost_after_hours, spread_between_accounts_minutes,
      spread_between_tracks_minutes
                    whole numbers; empty = not set
      comment       comment text; required with COMMENT
      remove_duplicates, shuffle
                    true or false; empty = false

    Exits with 1 when any schedule failed or has an unknown outcome, which
    the summary lists. Reads the credentials from INFLUENCEPLANNER_USERNAME
    and INFLUENCEPLANNER_API_KEY.
    """
    items = read_schedule_items(csv_file)
    if dry_run:
        calls = plan_schedule_calls(items)
        noun = "request" if len(calls) == 1 else "requests"
        click.echo(f"{len(items)} rows would be sent in {len(calls)} {noun}.")
        return
    client = open_client(base_url=base_url, window=window)
    console = Console(stderr=True)
    report = asyncio.run(
        _run(client, items, journal=journal, concurrency=concurrency, console=console)
    )
    _print_summary(report, journal)
    if report.failed or report.unknown:
        click.get_current_context().exit(EXIT_FAILURE)


async def _run(
    client: Client,
    items: list[ScheduleItem],
    *,
    journal: Path,
    concurrency: int,
    console: Console,
) -> BulkReport:
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("requests"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task = progress.add_task("Scheduling", total=None)

    def show(counts: BulkProgress) -> None:
        description = (
            f"created {counts.created}, failed {counts.failed}, "
            f"unknown {counts.unknown}, skipped {counts.skipped}"
        )
        progress.update(
            task,
            total=counts.calls_total,
            completed=counts.calls_done,
            description=description,
        )

    with progress, Journal(journal) as opened:
        async with client:
            return await client.schedule_bulk(
                items, journal=opened, concurrency=concurrency, on_progress=show
            )


def _print_summary(report: BulkReport, journal: Path) -> None:
    click.echo(
        f"Schedules requested: {len(report.items)}; requests sent: {report.calls_sent}."
    )
    click.echo(f"Created:  {len(report.created)}")
    click.echo(f"Skipped:  {len(report.skipped)} (created in an earlier run)")
    click.echo(f"Failed:   {len(report.failed)}")
    click.echo(f"Unknown:  {len(report.unknown)}")
    for call in report.failed_calls:
        click.echo(f"Failed {_describe_call(call)}", err=True)
    for call in report.unknown_calls:
        click.echo(f"Unknown outcome of {_describe_call(call)}", err=True)
    if report.failed_calls:
        click.echo(
            "Failed requests created nothing; fix the cause and run the same "
            f"command again with --journal {journal} to send them again.",
            err=True,
        )
    if report.unknown_calls:
        click.echo(
            "Requests of unknown outcome may have created their schedules. They "
            "are never resent: check the schedule calendar and create the "
            "missing ones separately.",
            err=True,
        )


def _describe_call(call: CallOutcome) -> str:
    medias = _shorten(call.call.medias)
    targets = _shorten(call.call.targets)
    message = one_line(call.message or "no message")
    return f"request {call.call.call_id} ({medias} for {targets}): {message}"


def _shorten(values: tuple[str, ...]) -> str:
    shown = ", ".join(values[:_SHOWN_VALUES])
    if len(values) > _SHOWN_VALUES:
        shown = f"{shown} and {len(values) - _SHOWN_VALUES} more"
    return shown

"""The ``members export`` command: stream every member to a CSV or JSONL file."""

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
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from influenceplanner_async import ScanStop

from ._options import SortOrder, SortOrderType, connection_options, open_client
from ._output import open_writer

if TYPE_CHECKING:
    from influenceplanner_async import Client, MemberScan

    from ._output import MemberWriter

__all__ = ["export", "show_estimate"]

EXPORT_FORMATS = ("csv", "jsonl")
# Members between two updates of the progress bar, so that redrawing it costs
# little next to writing the rows.
_PROGRESS_STEP = 100
# Buffer of the output file; rows are flushed by the buffer, not one by one.
_FILE_BUFFER_BYTES = 1 << 20


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(EXPORT_FORMATS, case_sensitive=False),
    required=True,
    help="csv writes a header and one row per member; jsonl one object per line.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    metavar="FILE",
    help="File to write, replaced if it exists. Text is UTF-8.",
)
@click.option(
    "--search",
    metavar="TEXT",
    help="Only members whose name contains TEXT (the server ignores case).",
)
@click.option(
    "--sort",
    type=SortOrderType(),
    help="Sort as in 'influenceplanner members'; not allowed with --stable.",
)
@click.option(
    "--stable/--no-stable",
    default=True,
    show_default=True,
    help=(
        "Scan in creation order, re-reading one member per page, so that no "
        "member that exists for the whole export is missed."
    ),
)
@click.option(
    "--prefetch",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    metavar="N",
    help="Pages to request ahead, at most N at once, within the rate limit.",
)
@click.option(
    "--start-offset",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="List position to start at, such as the offset an earlier export "
    "reached; the file is still replaced.",
)
@connection_options
def export(
    *,
    output_format: str,
    output: Path,
    search: str | None,
    sort: SortOrder | None,
    stable: bool,
    prefetch: int,
    start_offset: int,
    base_url: str | None,
    window: float,
) -> None:
    """Export every member of the network to FILE, streaming, with a progress bar.

    Memory stays flat whatever the network's size: members are written as
    their page arrives. Unpaired UTF-16 surrogates in names, which the API
    may send, are kept as \\uXXXX escapes in JSONL and replaced by U+FFFD in
    CSV. Reads the credentials from INFLUENCEPLANNER_USERNAME and
    INFLUENCEPLANNER_API_KEY.
    """
    if stable and sort is not None:
        msg = "--sort cannot be combined with --stable; add --no-stable to sort."
        raise click.UsageError(msg)
    client = open_client(base_url=base_url, window=window)
    scan = client.iter_members(
        search_term=search,
        sort_by=None if sort is None else sort.by,
        sort_dir=None if sort is None else sort.direction,
        start_offset=start_offset,
        prefetch=prefetch,
        stable=stable,
    )
    console = Console(stderr=True)
    with output.open(
        "w", encoding="utf-8", newline="", buffering=_FILE_BUFFER_BYTES
    ) as stream:
        writer = open_writer(
            output_format.lower(), stream=stream, console=console, flush_each=False
        )
        asyncio.run(_export(client, scan, writer, console, scan_is_stable=stable))
        writer.close()
    _report(console, scan, output)


async def _export(
    client: Client,
    scan: MemberScan,
    writer: MemberWriter,
    console: Console,
    *,
    scan_is_stable: bool,
) -> None:
    columns = (
        TextColumn("Exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    async with client, scan:
        with Progress(*columns, console=console, transient=True) as progress:
            task: TaskID | None = None
            written = 0
            async for member in scan:
                writer.add(member)
                written += 1
                if task is None:
                    task = progress.add_task("export", total=scan.total_elements)
                    await show_estimate(
                        console, client, scan, stable=scan_is_stable, always=True
                    )
                if written % _PROGRESS_STEP == 0:
                    progress.update(task, completed=written, total=scan.total_elements)


async def show_estimate(
    console: Console,
    client: Client,
    scan: MemberScan,
    *,
    stable: bool,
    always: bool,
) -> None:
    """Print what the scan costs, called when its first member arrived.

    Without ``always`` the estimate is printed only when the scan needs more
    than one rate-limit window.
    """
    if scan.total_elements is None:
        return
    # The first member sits at the start offset, one before scan.offset.
    start_offset = scan.offset - 1
    estimate = await client.estimate_scan(
        total_elements=max(scan.total_elements - start_offset, 0),
        page_size=client.max_page_size,
        stable=stable,
    )
    if always or estimate.windows > 1:
        console.print(f"Scan: {estimate.describe()}.", highlight=False)


def _report(console: Console, scan: MemberScan, output: Path) -> None:
    count = scan.members_yielded
    console.print(
        f"Wrote {count:,} member{'' if count == 1 else 's'} to {output} "
        f"(offset {scan.offset:,}; {scan.duplicates_skipped:,} duplicates "
        "skipped).",
        highlight=False,
    )
    if scan.stop_reason in (
        ScanStop.EMPTY_PAGE,
        ScanStop.NO_PROGRESS,
        ScanStop.END_OF_LIST,
    ):
        console.print(
            f"Warning: the scan stopped early ({scan.stop_reason}); rerun with -v "
            f"for details, or resume with --start-offset {scan.offset}.",
            highlight=False,
        )

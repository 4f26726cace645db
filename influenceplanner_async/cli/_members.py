"""The ``members`` command: stream the network's members in a chosen format."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from influenceplanner_async import FileStore, MemberCache

from ._export import export, show_estimate
from ._options import SortOrder, SortOrderType, connection_options, open_client
from ._output import FORMATS, MemberWriter, open_writer

if TYPE_CHECKING:
    from influenceplanner_async import Client

__all__ = ["default_cache_dir", "members"]


@click.group(invoke_without_command=True)
@click.option(
    "--search",
    metavar="TEXT",
    help="Only members whose name contains TEXT (the server ignores case).",
)
@click.option(
    "--sort",
    type=SortOrderType(),
    help=(
        "Sort by status, followers, created or updated, optionally followed by "
        ":asc or :desc, for example followers:desc. The server's default is "
        "updated:desc."
    ),
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="table",
    show_default=True,
    help=(
        "Output format. csv and jsonl write every field of each member as it "
        "arrives; table prints the main fields once the listing ends."
    ),
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Stop after N members. Without it, every page is fetched.",
)
@click.option(
    "--cache-ttl",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help=(
        "Reuse pages that an earlier run fetched less than SECONDS ago, and "
        "keep the pages of this run for SECONDS. Without it, nothing is cached."
    ),
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help=(
        "Directory of the --cache-ttl cache. Defaults to influenceplanner in "
        "$XDG_CACHE_HOME, else in ~/.cache."
    ),
)
@connection_options
@click.pass_context
def members(
    context: click.Context,
    *,
    search: str | None,
    sort: SortOrder | None,
    output_format: str,
    limit: int | None,
    cache_ttl: float | None,
    cache_dir: Path | None,
    base_url: str | None,
    window: float,
) -> None:
    """List the network's members, page after page, within the rate limit.

    Before a scan that needs more than one rate-limit window, prints its
    estimated cost on stderr. "members export" writes every member to a file.
    Reads the credentials from INFLUENCEPLANNER_USERNAME and
    INFLUENCEPLANNER_API_KEY.
    """
    if context.invoked_subcommand is not None:
        return
    cache = None
    if cache_ttl is not None:
        store = FileStore(cache_dir or default_cache_dir())
        cache = MemberCache(ttl=cache_ttl, store=store)
    client = open_client(base_url=base_url, window=window, cache=cache)
    writer = open_writer(output_format.lower(), stream=sys.stdout, console=Console())
    asyncio.run(_write_members(client, writer, search=search, sort=sort, limit=limit))


def default_cache_dir() -> Path:
    """Return the ``influenceplanner`` folder of ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "influenceplanner"


members.add_command(export)


async def _write_members(
    client: Client,
    writer: MemberWriter,
    *,
    search: str | None,
    sort: SortOrder | None,
    limit: int | None,
) -> None:
    page_size = client.max_page_size
    scan = client.iter_members(
        search_term=search,
        sort_by=None if sort is None else sort.by,
        sort_dir=None if sort is None else sort.direction,
        page_size=page_size if limit is None else min(limit, page_size),
        max_items=limit,
    )
    async with client, scan:
        async for member in scan:
            if scan.members_yielded == 1 and limit is None:
                await show_estimate(
                    Console(stderr=True), client, scan, stable=False, always=False
                )
            writer.add(member)
    writer.close()

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
from influenceplanner_async._validation import MAX_PAGE_SIZE

from ._options import SortOrder, SortOrderType, connection_options, open_client
from ._output import FORMATS, MemberWriter, open_writer

if TYPE_CHECKING:
    from influenceplanner_async import Client

__all__ = ["default_cache_dir", "members"]


@click.command()
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
def members(
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

    Reads the credentials from INFLUENCEPLANNER_USERNAME and
    INFLUENCEPLANNER_API_KEY.
    """
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


async def _write_members(
    client: Client,
    writer: MemberWriter,
    *,
    search: str | None,
    sort: SortOrder | None,
    limit: int | None,
) -> None:
    async with client:
        async for member in client.iter_members(
            search_term=search,
            sort_by=None if sort is None else sort.by,
            sort_dir=None if sort is None else sort.direction,
            page_size=MAX_PAGE_SIZE if limit is None else min(limit, MAX_PAGE_SIZE),
            max_items=limit,
        ):
            writer.add(member)
    writer.close()

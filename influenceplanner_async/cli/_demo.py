"""The ``demo`` command: the client against a local fake API, end to end.

The demo starts the fake Partner API on 127.0.0.1 with a window of 30
requests per 3 s instead of per 60 s, so that a run spends the budget several
times in a few seconds. It then uses the real ``Client`` over HTTP: it streams
every member, creates schedules in as few requests as the API's rules allow,
and reports the rate-limit figures of both sides.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from influenceplanner_async import (
    ActionType,
    Client,
    MemberStatus,
    ScheduleSettings,
    WindowLimiter,
)
from influenceplanner_async._validation import MAX_COMMENT_TARGETS
from influenceplanner_async.testing import FakePartnerAPI, run_fake_api, seed_members

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from influenceplanner_async import NetworkMember, ScheduleResult

__all__ = ["build_demo_api", "demo", "group_targets", "run_demo"]

DEMO_MEMBERS = 300
DEMO_LIMIT = 30
DEMO_WINDOW_SECONDS = 3.0
DEMO_USERNAME = "alice"
DEMO_API_KEY = "ip-1234"
REFERENCE_TRACK = "https://soundcloud.com/example/demo"
DEMO_COMMENT = "Great track! 🔥"
TOP_COUNT = 10


@click.command()
def demo() -> None:
    """Run the client against a local fake API and show what happens.

    Starts a fake Partner API on 127.0.0.1 with 300 members and a window of
    30 requests per 3 s, lists every member, creates schedules for all LINKED
    members and reports the rate-limit figures. It needs no credentials and
    finishes in seconds.
    """
    console = Console()
    with _show_library_logs(console):
        asyncio.run(run_demo(console, build_demo_api()))


def build_demo_api() -> FakePartnerAPI:
    """Build the demo's fake: 300 members and 30 requests per 3 s window."""
    return FakePartnerAPI(
        credentials={DEMO_USERNAME: DEMO_API_KEY},
        members=seed_members(DEMO_MEMBERS, seed=0),
        limit=DEMO_LIMIT,
        window_seconds=DEMO_WINDOW_SECONDS,
    )


async def run_demo(console: Console, api: FakePartnerAPI) -> None:
    """Serve ``api`` on 127.0.0.1 and run every step of the demo against it.

    ``api`` must accept the demo's credentials and know ``REFERENCE_TRACK``.
    """
    async with run_fake_api(api) as server:
        _announce(console, server.base_url, api)
        # No header announces the window's length, so the client's limiter is
        # configured with the fake's compressed window.
        limiter = WindowLimiter(window=DEMO_WINDOW_SECONDS)
        started = time.perf_counter()
        async with Client(
            DEMO_USERNAME, DEMO_API_KEY, base_url=server.base_url, limiter=limiter
        ) as client:
            members = await _stream_members(console, client, total=len(api.members))
            _show_statuses(console, members)
            _show_top_members(console, members)
            linked = [member for member in members if member.is_linked]
            await _create_repost_schedule(console, client, linked, sorted(api.tracks))
            await _create_comment_schedules(console, client, linked)
            _show_rate_limit(console, client, api, time.perf_counter() - started)


def _announce(console: Console, base_url: str, api: FakePartnerAPI) -> None:
    console.rule("Fake Partner API")
    console.print(
        f"Started a fake Partner API at {base_url} with {len(api.members)} "
        f"members and a compressed rate limit of {api.limit} requests per "
        f"{api.window_seconds:g} s window (the real API allows 30 per 60 s)."
    )
    console.print(
        f"The real Client talks to it over HTTP as {DEMO_USERNAME!r}, with "
        f"{len(api.tracks)} known tracks."
    )


async def _stream_members(
    console: Console, client: Client, *, total: int
) -> list[NetworkMember]:
    console.rule("Members")
    members: list[NetworkMember] = []
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("Streaming members", total=total)
        async for member in client.iter_members():
            members.append(member)
            progress.advance(task)
    console.print(
        f"Received {len(members)} members in {client.stats.requests_sent} pages."
    )
    return members


def _show_statuses(console: Console, members: Sequence[NetworkMember]) -> None:
    console.rule("Members by status")
    counts = collections.Counter(str(member.status) for member in members)
    table = Table()
    table.add_column("Status")
    table.add_column("Members", justify="right")
    # Known statuses in the API's order, then any status this version lacks.
    statuses = [status.value for status in MemberStatus]
    statuses += sorted(set(counts) - set(statuses))
    for status in statuses:
        table.add_row(status, str(counts[status]))
    table.add_row("total", str(len(members)), style="bold")
    console.print(table)


def _show_top_members(console: Console, members: Sequence[NetworkMember]) -> None:
    console.rule(f"Top {TOP_COUNT} members by followers")
    top = sorted(members, key=lambda member: member.followers, reverse=True)
    table = Table()
    table.add_column("Rank", justify="right")
    table.add_column("Name")
    table.add_column("Followers", justify="right")
    table.add_column("Status")
    for rank, member in enumerate(top[:TOP_COUNT], 1):
        table.add_row(
            str(rank), member.name, f"{member.followers:,}", str(member.status)
        )
    console.print(table)


def group_targets(
    targets: Sequence[str], *, comment: str | None
) -> list[tuple[str, ...]]:
    """Split targets into as few schedule requests as the API allows.

    Without a comment one request carries every target. A comment is allowed
    only with 3 or fewer targets, so commented requests take 3 targets each.
    """
    if not targets:
        return []
    if comment is None:
        return [tuple(targets)]
    size = MAX_COMMENT_TARGETS
    return [
        tuple(targets[start : start + size]) for start in range(0, len(targets), size)
    ]


async def _create_repost_schedule(
    console: Console,
    client: Client,
    linked: Sequence[NetworkMember],
    tracks: Sequence[str],
) -> None:
    console.rule("Schedules: REPOST + UNREPOST")
    if not linked:
        console.print("No LINKED members, so no schedule was created.")
        return
    # The reference's example track first, then the fake's other known tracks.
    medias = sorted(tracks, key=lambda track: track != REFERENCE_TRACK)
    (targets,) = group_targets([member.user_id for member in linked], comment=None)
    result = await client.create_schedule(
        types=[ActionType.REPOST, ActionType.UNREPOST],
        medias=medias,
        targets=targets,
        settings=ScheduleSettings(
            date=datetime(2026, 1, 30, 21, 0, tzinfo=UTC),
            unrepost_after_hours=24,
            spread_between_accounts_minutes=60,
            spread_between_tracks_minutes=60,
        ),
        remove_duplicates=True,
        shuffle=True,
    )
    console.print(
        f"One request, no comment: {len(medias)} tracks for all {len(targets)} "
        "LINKED members, starting 2026-01-30 21:00 UTC, unreposted after 24 h."
    )
    for media, url in zip(medias, result.data, strict=False):
        # soft_wrap keeps each URL whole on one line, so that it can be copied.
        console.print(f"{url}  [dim]{media}[/dim]", soft_wrap=True, highlight=False)


async def _create_comment_schedules(
    console: Console, client: Client, linked: Sequence[NetworkMember]
) -> None:
    console.rule("Schedules: LIKE + COMMENT")
    names = {member.user_id: member.name for member in linked}
    groups = group_targets(list(names), comment=DEMO_COMMENT)
    console.print(
        f"A comment allows at most {MAX_COMMENT_TARGETS} targets per request, so "
        f"{len(names)} LINKED members need {len(groups)} requests. They run "
        "concurrently and share the client's rate-limit budget."
    )
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("Creating schedules", total=len(groups))

        async def create(targets: tuple[str, ...]) -> ScheduleResult:
            result = await client.create_schedule(
                types=[ActionType.LIKE, ActionType.COMMENT],
                medias=[REFERENCE_TRACK],
                targets=targets,
                settings=ScheduleSettings(),
                comment=DEMO_COMMENT,
            )
            progress.advance(task)
            return result

        results = await asyncio.gather(*(create(group) for group in groups))

    for targets, result in zip(groups, results, strict=True):
        target_names = ", ".join(names[target] for target in targets)
        for url in result.data:
            console.print(
                f"{url}  [dim]{escape(target_names)}[/dim]",
                soft_wrap=True,
                highlight=False,
            )


def _show_rate_limit(
    console: Console, client: Client, api: FakePartnerAPI, elapsed: float
) -> None:
    console.rule("Rate limit")
    stats = client.stats
    table = Table()
    table.add_column("Figure")
    table.add_column("Value", justify="right")

    table.add_row("Requests sent by the client", str(stats.requests_sent))
    table.add_row("429 responses received", str(stats.responses_429))
    table.add_row("Retries", str(stats.retries))
    table.add_row("Requests that waited for budget", str(stats.waits))
    table.add_row(
        "Time spent waiting, summed over concurrent requests",
        f"{stats.wait_seconds:.2f} s",
    )

    snapshot = client.rate_limit
    if snapshot is not None:
        table.add_row("Last X-RateLimit-Limit", str(snapshot.limit))
        table.add_row("Last X-RateLimit-Remaining", str(snapshot.remaining))
        reset = snapshot.reset.isoformat(timespec="seconds")
        table.add_row("Last X-RateLimit-Reset", reset)

    table.add_row("Requests the fake API received", str(len(api.requests)))
    table.add_row("429 responses the fake API sent", str(api.count_429))
    table.add_row("Elapsed time", f"{elapsed:.2f} s")
    console.print(table)

    if stats.waits:
        console.print(
            f"The client waited for the next window instead of exceeding "
            f"{api.limit} requests per {api.window_seconds:g} s."
        )
    else:
        console.print("The client never had to wait for budget in this run.")


@contextlib.contextmanager
def _show_library_logs(console: Console) -> Iterator[None]:
    # The library logs each wait on the limit at INFO; showing those lines
    # lets the viewer see the waits as they happen.
    logger = logging.getLogger("influenceplanner_async")
    handler = RichHandler(console=console, show_path=False, markup=False)
    handler.setLevel(logging.INFO)
    previous_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)

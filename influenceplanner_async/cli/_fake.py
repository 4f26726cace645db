"""The ``fake-server`` command: serve the fake Partner API in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal

import click

from influenceplanner_async._ratelimit import DEFAULT_WINDOW
from influenceplanner_async.testing import FakePartnerAPI, run_fake_api, seed_members

__all__ = ["fake_server"]

DEFAULT_MEMBER_COUNT = 200


@click.command("fake-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=8080,
    show_default=True,
    help="TCP port to bind; 0 picks a free one.",
)
@click.option(
    "--members",
    "member_count",
    type=click.IntRange(min=0),
    default=DEFAULT_MEMBER_COUNT,
    show_default=True,
    help="Number of members, including the documented examples John and Jane Doe.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Requests allowed per rate-limit window.",
)
@click.option(
    "--window",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    default=DEFAULT_WINDOW,
    show_default=True,
    help="Length of the rate-limit window in seconds.",
)
def fake_server(
    *, host: str, port: int, member_count: int, limit: int, window: float
) -> None:
    """Serve a fake Partner API until Ctrl-C, for trying the other commands.

    It prints the base URL and the credentials to export. It keeps everything
    in memory, and its schedules are not real.
    """
    api = FakePartnerAPI(
        members=seed_members(member_count), limit=limit, window_seconds=window
    )
    try:
        asyncio.run(_serve(api, host=host, port=port))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        message = f"Failed to serve the fake API on {host}:{port}: {error}"
        raise click.ClickException(message) from error
    click.echo("Stopped the fake API.")


async def _serve(api: FakePartnerAPI, *, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM stops the server as cleanly as Ctrl-C does; asyncio.run already
    # turns SIGINT into cancellation of this task.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with run_fake_api(api, host=host, port=port) as server:
        _print_instructions(server.base_url, api)
        await stop.wait()


def _print_instructions(base_url: str, api: FakePartnerAPI) -> None:
    click.echo(f"Fake Partner API listening at {base_url}")
    click.echo(
        f"{len(api.members)} members; {api.limit} requests per "
        f"{api.window_seconds:g} s window."
    )
    username, api_key = next(iter(api.credentials.items()))
    click.echo("Point the client at it from another shell:")
    click.echo(f"  export INFLUENCEPLANNER_BASE_URL={shlex.quote(base_url)}")
    click.echo(f"  export INFLUENCEPLANNER_USERNAME={shlex.quote(username)}")
    click.echo(f"  export INFLUENCEPLANNER_API_KEY={shlex.quote(api_key)}")
    example = "influenceplanner members"
    if api.window_seconds != DEFAULT_WINDOW:
        # The client must know the window's length, which no header announces.
        example += f" --window {api.window_seconds:g}"
    click.echo(f"  {example}")
    click.echo("Press Ctrl-C to stop.")

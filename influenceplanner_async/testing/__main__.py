"""Run the fake Partner API in the foreground until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from influenceplanner_async.testing._api import FakePartnerAPI
from influenceplanner_async.testing._members import seed_members
from influenceplanner_async.testing._server import (
    DEFAULT_HOST,
    FakeServer,
    serve_forever,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m influenceplanner_async.testing",
        description="Serve a fake InfluencePlanner Partner API until interrupted.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind; 0 picks a free one"
    )
    parser.add_argument(
        "--members", type=int, default=200, help="number of generated members"
    )
    parser.add_argument(
        "--limit", type=int, default=30, help="requests allowed per window and user"
    )
    parser.add_argument(
        "--window", type=float, default=60.0, help="rate-limit window in seconds"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, serve the fake until Ctrl+C and return the exit status."""
    arguments = build_parser().parse_args(argv)
    api = FakePartnerAPI(
        members=seed_members(arguments.members),
        limit=arguments.limit,
        window_seconds=arguments.window,
    )
    serving = serve_forever(
        api, host=arguments.host, port=arguments.port, on_ready=_print_ready
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serving)
    return 0


def _print_ready(server: FakeServer) -> None:
    print(f"Fake Partner API at {server.base_url}", flush=True)
    for username, key in server.api.credentials.items():
        print(f"Credentials: username {username!r}, API key {key!r}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)


if __name__ == "__main__":
    sys.exit(main())

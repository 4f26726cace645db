"""Measure how well the client uses a fixed rate-limit window.

For each cell of (concurrent tasks, server latency), N requests go to the fake
Partner API with a compressed window, once through the library's ``Client``
and once through a bare client that paces with ``aiolimiter`` alone. The
script reports the share of the budget used, the 429 count and the wall time
relative to the ideal: the finish time of a greedy schedule that knows the
first window's phase and the latency, which no client can beat.

Run ``python benchmarks/rate_limit.py --quick`` for a subset in under a
minute, or without ``--quick`` for the full table (about 10 minutes).
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import math
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs
from aiolimiter import AsyncLimiter

from _common import DOCS_DIR, make_parser, markdown_table, write_json
from influenceplanner_async import Client, RetryPolicy, WindowLimiter
from influenceplanner_async._headers import parse_reset
from influenceplanner_async.testing import FakePartnerAPI, run_fake_api, seed_members

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

USERNAME, API_KEY = "alice", "ip-1234"


@attrs.frozen
class Settings:
    """Window and request counts of one run."""

    requests: int
    limit: int
    window: float
    concurrency: tuple[int, ...]
    latencies: tuple[float, ...]


FULL = Settings(200, 20, 2.0, (1, 10, 100, 1000), (0.0, 0.05, 0.25))
QUICK = Settings(60, 20, 1.0, (10, 1000), (0.0, 0.05))


@attrs.frozen
class CellResult:
    """Figures of one client in one cell."""

    client: str
    concurrency: int
    latency: float
    wall_seconds: float
    ideal_seconds: float
    responses_429: int
    budget_share: float
    saturated_share: float
    per_window: list[tuple[int, int]]

    @property
    def wall_ratio(self) -> float:
        return self.wall_seconds / self.ideal_seconds


# Fraction of a window that has passed when a cell starts. A fixed phase makes
# runs comparable; the library's first request goes alone, so a cell that
# started just before a reset would lose the rest of the first window.
START_PHASE = 0.3


async def _sleep_until_phase(window: float) -> None:
    now = time.time()
    target = (math.floor(now / window) + START_PHASE) * window
    if target <= now:
        target += window
    await asyncio.sleep(target - now)


def ideal_seconds(
    requests: int, concurrency: int, latency: float, settings: Settings, start: float
) -> tuple[float, dict[int, int]]:
    """Return the greedy schedule's duration and its count per window.

    Each task sends its next request as soon as its previous one returns and
    the window has budget left; the server counts a request when it arrives.
    """
    free_at = [start] * min(concurrency, requests)
    counts: dict[int, int] = {}
    finish = start
    for _ in range(requests):
        ready = heapq.heappop(free_at)
        index = math.floor(ready / settings.window)
        while counts.get(index, 0) >= settings.limit:
            index += 1
        sent = max(ready, index * settings.window)
        counts[index] = counts.get(index, 0) + 1
        done = sent + latency
        heapq.heappush(free_at, done)
        finish = max(finish, done)
    return finish - start, counts


async def run_library(base_url: str, settings: Settings, concurrency: int) -> None:
    """Send the requests through the library's client."""
    limiter = WindowLimiter(limit=settings.limit, window=settings.window, margin=0.01)
    async with Client(
        USERNAME,
        API_KEY,
        base_url=base_url,
        limiter=limiter,
        retry=RetryPolicy(initial_delay=0.0),
    ) as client:

        async def one() -> None:
            await client.list_members(limit=1)

        await _spread(one, settings.requests, concurrency)


async def run_bare(base_url: str, settings: Settings, concurrency: int) -> None:
    """Send the requests through aiohttp paced by an aiolimiter bucket alone."""
    bucket = AsyncLimiter(settings.limit, settings.window)
    token = base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one() -> None:
            while True:
                async with bucket:
                    response = await session.get(
                        f"{base_url}/network/members", params={"limit": "1"}
                    )
                    await response.read()
                if response.status != 429:
                    return
                reset = parse_reset(
                    response.headers.get("X-RateLimit-Reset", "1"), now=time.time()
                )
                await asyncio.sleep(max((reset or time.time() + 1) - time.time(), 0))

        await _spread(one, settings.requests, concurrency)


async def _spread(
    send: Callable[[], Awaitable[None]], requests: int, concurrency: int
) -> None:
    queue = list(range(requests))

    async def worker() -> None:
        while queue:
            queue.pop()
            await send()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))


async def measure_cell(
    name: str,
    runner: Callable[[str, Settings, int], Awaitable[None]],
    settings: Settings,
    concurrency: int,
    latency: float,
) -> CellResult:
    """Run one client in one cell against a fresh fake API."""
    api = FakePartnerAPI(
        members=seed_members(30),
        limit=settings.limit,
        window_seconds=settings.window,
        latency=latency,
        reset_format="epoch_float",
    )
    async with run_fake_api(api) as server:
        await _sleep_until_phase(settings.window)
        start = time.time()
        await runner(server.base_url, settings, concurrency)
        wall = time.time() - start
    ideal, ideal_counts = ideal_seconds(
        settings.requests, concurrency, latency, settings, start
    )
    windows = api.window_stats().get(USERNAME, [])
    per_window = [(stats.accepted, stats.rejected) for stats in windows]
    accepted = sum(stats.accepted for stats in windows)
    saturated = [
        stats.accepted / settings.limit
        for stats in windows
        if ideal_counts.get(round(stats.window_start / settings.window), 0)
        >= settings.limit
    ]
    return CellResult(
        client=name,
        concurrency=concurrency,
        latency=latency,
        wall_seconds=wall,
        ideal_seconds=ideal,
        responses_429=api.count_429,
        budget_share=accepted / (settings.limit * max(len(windows), 1)),
        saturated_share=min(saturated, default=1.0),
        per_window=per_window,
    )


CLIENTS = (("library", run_library), ("bare aiolimiter", run_bare))


async def run_all(settings: Settings) -> list[CellResult]:
    """Measure every cell with both clients, the library first."""
    results = []
    for concurrency in settings.concurrency:
        for latency in settings.latencies:
            for name, runner in CLIENTS:
                result = await measure_cell(
                    name, runner, settings, concurrency, latency
                )
                print(_format_line(result), flush=True)
                results.append(result)
    return results


def _format_line(result: CellResult) -> str:
    return (
        f"{result.client:>16} C={result.concurrency:<5} "
        f"latency={result.latency * 1000:>4.0f} ms  429s={result.responses_429:<4} "
        f"saturated windows used={result.saturated_share:7.2%}  "
        f"wall/ideal={result.wall_ratio:.3f}"
    )


def render_markdown(results: list[CellResult], settings: Settings, quick: bool) -> str:
    """Render the results page with the table and how to rerun it."""
    rows = [
        [
            result.client,
            str(result.concurrency),
            f"{result.latency * 1000:.0f}",
            str(result.responses_429),
            f"{result.saturated_share:.1%}",
            f"{result.budget_share:.1%}",
            f"{result.wall_seconds:.2f}",
            f"{result.ideal_seconds:.2f}",
            f"{result.wall_ratio:.3f}",
        ]
        for result in results
    ]
    table = markdown_table(
        [
            "client",
            "tasks",
            "latency ms",
            "429s",
            "min share of saturated windows",
            "share of all windows",
            "wall s",
            "ideal s",
            "wall / ideal",
        ],
        rows,
    )
    mode = "--quick" if quick else "full"
    return f"""# Rate-limit benchmark

Each cell sends {settings.requests} requests (`GET /network/members?limit=1`) from the
given number of tasks to the fake Partner API, whose window allows {settings.limit}
requests per {settings.window:g} s and whose responses are delayed by the given latency.
Every cell starts {START_PHASE:.0%} of the way into a window. The library client uses
`WindowLimiter(margin=0.01)`. The bare client paces with
`aiolimiter.AsyncLimiter({settings.limit}, {settings.window:g})` and, after a 429,
sleeps until the announced reset. Both run in the same process, one after the other.

"Saturated windows" are the windows that the ideal schedule fills to the limit;
the column gives the lowest share of the limit that the client used in any of them.
"Ideal" is the finish time of a greedy schedule that knows the first window's phase and
the latency (no client can finish sooner).

Results of the {mode} run:

{table}

![Requests per window](rate_limit_timeline.png)

Rerun with:

```console
make venv && .venv/bin/pip install -e '.[bench]'
.venv/bin/python benchmarks/rate_limit.py            # full table, about 10 minutes
.venv/bin/python benchmarks/rate_limit.py --quick    # subset, under a minute
```
"""


def render_timeline(results: list[CellResult], path: Any) -> None:
    """Plot accepted and rejected requests per window for the busiest cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    busiest = max(result.concurrency for result in results)
    latency = max(result.latency for result in results if result.concurrency == busiest)
    chosen = [
        result
        for result in results
        if result.concurrency == busiest and result.latency == latency
    ]
    figure, _ = plt.subplots(len(chosen), 1, figsize=(8, 2.6 * len(chosen)))
    for axis, result in zip(figure.axes, chosen, strict=True):
        accepted = [pair[0] for pair in result.per_window]
        rejected = [pair[1] for pair in result.per_window]
        positions = range(len(accepted))
        axis.bar(positions, accepted, label="accepted", color="#4c78a8")
        axis.bar(positions, rejected, bottom=accepted, label="429", color="#e45756")
        axis.set_title(
            f"{result.client}: {result.concurrency} tasks, "
            f"{result.latency * 1000:.0f} ms latency"
        )
        axis.set_xlabel("window")
        axis.set_ylabel("requests")
        axis.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    results = asyncio.run(run_all(settings))
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (DOCS_DIR / f"rate_limit{suffix}.md").write_text(
        render_markdown(results, settings, args.quick)
    )
    render_timeline(results, DOCS_DIR / "rate_limit_timeline.png")
    write_json(
        args.json_path,
        {
            "benchmark": "rate_limit",
            "settings": attrs.asdict(settings),
            "results": [
                {**attrs.asdict(result), "wall_ratio": result.wall_ratio}
                for result in results
            ],
        },
    )


if __name__ == "__main__":
    main()

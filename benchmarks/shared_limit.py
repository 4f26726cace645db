"""Measure one rate limit shared by several worker processes through Redis.

P worker processes (P in 2, 4, 8) each send N requests with one API key to one
fake Partner API window (compressed), which runs in a process of its own.
Every cell runs twice in the same run: with ``RedisRateLimiter`` and, as the
reference, with a ``WindowLimiter`` per process. The script reports the 429
count, the share of the budget used, and, in a second phase with a limit too
high to matter, the extra latency per request that Redis adds (median and
p99 of per-call times, Redis minus local).

Needs ``redis-server`` on PATH; the script starts its own on a free loopback
port with no persistence. Run ``python benchmarks/shared_limit.py --quick``
for a subset in under a minute.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from typing import TYPE_CHECKING, Any

import attrs

from _common import DOCS_DIR, make_parser, markdown_table, write_json
from influenceplanner_async import (
    Client,
    RedisRateLimiter,
    RetryPolicy,
    WindowLimiter,
)
from influenceplanner_async.testing import FakePartnerAPI, run_fake_api, seed_members

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.synchronize import Event

    from influenceplanner_async._backend import RateLimiterBackend

USERNAME, API_KEY = "alice", "ip-1234"
MODES = ("redis", "local")
# Fraction of a window that has passed when a cell starts; the first request
# of an unknown window goes alone, so a start just before a reset would lose
# the rest of the first window.
START_PHASE = 0.05


@attrs.frozen
class Settings:
    """Window, request and process counts of one run."""

    processes: tuple[int, ...]
    requests: int
    tasks: int
    limit: int
    window: float
    latency_requests: int
    latency_processes: tuple[int, ...]


FULL = Settings((2, 4, 8), 40, 4, 20, 1.0, 200, (2, 4, 8))
QUICK = Settings((2, 4, 8), 15, 4, 10, 0.5, 40, (4,))


@attrs.frozen
class CellResult:
    """Figures of one limiter with P processes."""

    mode: str
    processes: int
    requests: int
    responses_429: int
    budget_share: float
    wall_seconds: float
    per_window: list[tuple[int, int]]


@attrs.frozen
class LatencyResult:
    """Per-call times in milliseconds with a limit that never binds."""

    mode: str
    processes: int
    median_ms: float
    p99_ms: float


# -- processes ---------------------------------------------------------------


def serve_fake(conn: Connection, limit: int, window: float) -> None:
    """Serve one fake API; send its URL, then its window figures on request."""

    async def main() -> None:
        api = FakePartnerAPI(
            members=seed_members(5),
            limit=limit,
            window_seconds=window,
            reset_format="epoch_float",
        )
        async with run_fake_api(api) as server:
            conn.send(server.base_url)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, conn.recv)
            stats = api.window_stats().get(USERNAME, [])
            conn.send(
                (
                    api.count_429,
                    [(s.window_start, s.accepted, s.rejected) for s in stats],
                )
            )

    asyncio.run(main())


def run_worker(
    conn: Connection,
    go: Event,
    start_at: Any,
    job: dict[str, Any],
) -> None:
    """Send one worker's requests and send back its per-call times."""
    # Retries after a 429 are expected with local limiters; keep stderr quiet.
    logging.getLogger("influenceplanner_async").setLevel(logging.ERROR)
    conn.send("ready")
    go.wait()
    durations = asyncio.run(_send_requests(job, start_at.value))
    conn.send(durations)


async def _send_requests(job: dict[str, Any], start_at: float) -> list[float]:
    limiter: RateLimiterBackend[Any]
    if job["mode"] == "redis":
        limiter = RedisRateLimiter(
            job["redis_url"],
            key=USERNAME,
            window=job["window"],
            margin=0.02,
            prefix=job["prefix"],
            redis_timeout=2.0,
        )
    else:
        limiter = WindowLimiter(window=job["window"], margin=0.02)
    durations: list[float] = []
    async with Client(
        USERNAME,
        API_KEY,
        base_url=job["base_url"],
        limiter=limiter,
        retry=RetryPolicy(initial_delay=0.0, max_rate_limit_retries=10_000),
    ) as client:
        await asyncio.sleep(max(start_at - time.time(), 0.0))
        queue = list(range(job["requests"]))

        async def work() -> None:
            while queue:
                queue.pop()
                started = time.perf_counter()
                await client.list_members(limit=1)
                durations.append(time.perf_counter() - started)

        await asyncio.gather(*(work() for _ in range(job["tasks"])))
    if isinstance(limiter, RedisRateLimiter):
        await limiter.aclose()
    return durations


def run_cell(
    mode: str, processes: int, *, limit: int, job: dict[str, Any]
) -> tuple[list[float], int, list[tuple[float, int, int]], float]:
    """Run P workers against a fresh fake; return times, 429s, windows, wall."""
    # Forked workers skip the imports that a spawned process repeats; the
    # parent runs no event loop, so nothing of asyncio is copied mid-flight.
    context = multiprocessing.get_context("fork")
    fake_end, fake_child = context.Pipe()
    fake = context.Process(target=serve_fake, args=(fake_child, limit, job["window"]))
    fake.start()
    base_url = fake_end.recv()
    go = context.Event()
    start_at = context.Value("d", 0.0)
    pipes, workers = [], []
    for _ in range(processes):
        parent, child = context.Pipe()
        worker_job = {**job, "mode": mode, "base_url": base_url}
        process = context.Process(
            target=run_worker, args=(child, go, start_at, worker_job)
        )
        process.start()
        pipes.append(parent)
        workers.append(process)
    for pipe in pipes:
        pipe.recv()
    window = job["window"]
    start_at.value = (int(time.time() / window) + 1 + START_PHASE) * window
    go.set()
    durations = [value for pipe in pipes for value in pipe.recv()]
    wall = time.time() - start_at.value
    for process in workers:
        process.join()
    fake_end.send("stats")
    count_429, windows = fake_end.recv()
    fake.join()
    return durations, count_429, windows, wall


# -- Redis -------------------------------------------------------------------


class RedisProcess:
    """A private redis-server on a free loopback port, without persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            message = (
                "redis-server is not on PATH; install it (apt-get install redis-server)"
            )
            raise SystemExit(message)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._directory = tempfile.TemporaryDirectory()
        self._process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._directory.name,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("redis-server did not start")

    @property
    def url(self) -> str:
        """The server's URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        self._process.terminate()
        self._process.wait()
        self._directory.cleanup()


# -- figures -----------------------------------------------------------------


def budget_share(windows: list[tuple[float, int, int]], limit: int) -> float:
    """Share of the limit accepted in the windows where demand exceeded it.

    The last window is left out because demand ran out in it.
    """
    saturated = windows[:-1]
    if not saturated:
        return 1.0
    return sum(accepted for _, accepted, _ in saturated) / (limit * len(saturated))


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def run_all(
    settings: Settings, redis_url: str
) -> tuple[list[CellResult], list[LatencyResult]]:
    """Measure every P with both limiters, for budget and for latency."""
    cells: list[CellResult] = []
    latencies: list[LatencyResult] = []
    for processes in settings.processes:
        for mode in MODES:
            job = {
                "redis_url": redis_url,
                "prefix": f"bench:{processes}:{time.time_ns()}",
                "window": settings.window,
                "requests": settings.requests,
                "tasks": settings.tasks,
            }
            durations, count_429, windows, wall = run_cell(
                mode, processes, limit=settings.limit, job=job
            )
            cell = CellResult(
                mode=mode,
                processes=processes,
                requests=len(durations),
                responses_429=count_429,
                budget_share=budget_share(windows, settings.limit),
                wall_seconds=wall,
                per_window=[(accepted, rejected) for _, accepted, rejected in windows],
            )
            print(_format_cell(cell), flush=True)
            cells.append(cell)
        if processes not in settings.latency_processes:
            continue
        for mode in MODES:
            job = {
                "redis_url": redis_url,
                "prefix": f"bench-latency:{processes}:{time.time_ns()}",
                "window": settings.window,
                "requests": settings.latency_requests,
                "tasks": 1,
            }
            durations, _, _, _ = run_cell(mode, processes, limit=1_000_000, job=job)
            result = LatencyResult(
                mode=mode,
                processes=processes,
                median_ms=statistics.median(durations) * 1000,
                p99_ms=percentile(durations, 0.99) * 1000,
            )
            print(
                f"{mode:>6} P={processes}  per-call median {result.median_ms:.2f} ms"
                f"  p99 {result.p99_ms:.2f} ms",
                flush=True,
            )
            latencies.append(result)
    return cells, latencies


def _format_cell(cell: CellResult) -> str:
    return (
        f"{cell.mode:>6} P={cell.processes}  requests={cell.requests}  "
        f"429s={cell.responses_429:<4} budget used={cell.budget_share:7.2%}  "
        f"wall={cell.wall_seconds:.2f} s"
    )


def extra_latency(latencies: list[LatencyResult]) -> list[list[str]]:
    """Rows of Redis-minus-local per-call time for each P."""
    rows = []
    by_key = {(item.mode, item.processes): item for item in latencies}
    for processes in sorted({item.processes for item in latencies}):
        redis, local = by_key[("redis", processes)], by_key[("local", processes)]
        rows.append(
            [
                str(processes),
                f"{local.median_ms:.2f}",
                f"{redis.median_ms:.2f}",
                f"{redis.median_ms - local.median_ms:+.2f}",
                f"{local.p99_ms:.2f}",
                f"{redis.p99_ms:.2f}",
                f"{redis.p99_ms - local.p99_ms:+.2f}",
            ]
        )
    return rows


def render_markdown(
    cells: list[CellResult],
    latencies: list[LatencyResult],
    settings: Settings,
    quick: bool,
) -> str:
    """Render the results page with both tables and how to rerun it."""
    budget_rows = [
        [
            cell.mode,
            str(cell.processes),
            str(cell.requests),
            str(cell.responses_429),
            f"{cell.budget_share:.1%}",
            f"{cell.wall_seconds:.2f}",
        ]
        for cell in cells
    ]
    budget = markdown_table(
        ["limiter", "processes", "requests", "429s", "budget used", "wall s"],
        budget_rows,
    )
    latency = markdown_table(
        [
            "processes",
            "local median ms",
            "Redis median ms",
            "extra median ms",
            "local p99 ms",
            "Redis p99 ms",
            "extra p99 ms",
        ],
        extra_latency(latencies),
    )
    mode = "--quick" if quick else "full"
    return f"""# Shared rate-limit benchmark

P worker processes each send {settings.requests} requests
(`GET /network/members?limit=1`, {settings.tasks} tasks per process) with one API key
to one fake Partner API in a process of its own, whose window allows {settings.limit}
requests per {settings.window:g} s. Each cell starts {START_PHASE:.0%} of the way into a
window. "redis" is `RedisRateLimiter` on a private `redis-server` on 127.0.0.1;
"local" is one `WindowLimiter` per process, the reference. Targets with Redis: zero
429s and at least 95% of the budget used.

"Budget used" is the share of the limit accepted in every window but the last, where
demand ran out. A local limiter resends after each 429, so its cells also finish.

Results of the {mode} run:

{budget}

## Extra latency per request

Each process sends {settings.latency_requests} requests one after another with a limit
too high to bind, once per limiter; the table gives per-call times over all processes
(client call, fake API on loopback included) and the difference that Redis adds: two
script calls per request, the acquire before the request and the settle after it, which
runs in the background and delays the next acquire of the process only if still pending.

{latency}

Rerun with (needs `redis-server` on PATH):

```console
make venv && .venv/bin/pip install -e '.[bench]'
.venv/bin/python benchmarks/shared_limit.py            # full run, about 3 minutes
.venv/bin/python benchmarks/shared_limit.py --quick    # subset, under a minute
```
"""


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    redis = RedisProcess()
    try:
        cells, latencies = run_all(settings, redis.url)
    finally:
        redis.stop()
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (DOCS_DIR / f"shared_limit{suffix}.md").write_text(
        render_markdown(cells, latencies, settings, args.quick)
    )
    write_json(
        args.json_path,
        {
            "benchmark": "shared_limit",
            "settings": attrs.asdict(settings),
            "results": [attrs.asdict(cell) for cell in cells],
            "latency": [attrs.asdict(item) for item in latencies],
        },
    )


if __name__ == "__main__":
    main()

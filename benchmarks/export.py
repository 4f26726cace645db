"""Measure a streamed export of 100,000 members from the fake API.

The fake runs in a child process, so that its CPU time is not counted, with
a limit that no run reaches. Three figures come out of one run:

1. Members per second and client CPU per member for ``Client.iter_members``
   (request, decode, convert to models), against the floor: the same pages
   fetched with plain aiohttp and decoded with ``json.loads``, nothing more.
   CPU time is ``time.process_time`` of this process. The two run in pairs,
   back to back and in alternating order. The figure divides the lowest
   client time by the lowest floor time, because the noise of a shared
   machine only ever adds time. The median of the pairs' ratios is reported
   beside it.
2. Peak memory growth (``tracemalloc``) during an export to a JSON Lines file
   through the command's writer.

Run ``python benchmarks/export.py --quick`` for 20,000 members, or without
``--quick`` for 100,000.
"""

from __future__ import annotations

import asyncio
import base64
import json
import multiprocessing
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs

from _common import DOCS_DIR, make_parser, markdown_table, write_json
from influenceplanner_async import Client, WindowLimiter
from influenceplanner_async.cli._output import JsonLinesWriter
from influenceplanner_async.testing import FakePartnerAPI, seed_members, serve_forever

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

USERNAME, API_KEY = "alice", "ip-1234"
# The fake's limit per window, far above what any run sends.
SERVER_LIMIT = 1_000_000
MEMORY_TARGET_BYTES = 20 * 1024 * 1024
CPU_TARGET_RATIO = 1.15


@attrs.frozen
class Settings:
    """Size of one run."""

    members: int
    page_size: int
    repeats: int


# Pages of 25, the API's maximum: the fake's rate limit is what is made very
# large, so that the figures show the client's cost and not waiting.
FULL = Settings(members=100_000, page_size=25, repeats=9)
QUICK = Settings(members=20_000, page_size=25, repeats=9)


@attrs.frozen
class Timing:
    """CPU and wall time of one pass over every member."""

    cpu_seconds: float
    wall_seconds: float
    members: int


def serve(members: int, page_size: int, ready: Queue[str]) -> None:
    """Serve a fake with ``members`` members until the process is terminated."""
    api = FakePartnerAPI(
        members=seed_members(members),
        limit=SERVER_LIMIT,
        max_page_size=page_size,
    )
    asyncio.run(
        serve_forever(api, port=0, on_ready=lambda server: ready.put(server.base_url))
    )


async def floor_pass(base_url: str, settings: Settings) -> Timing:
    """Fetch every page with aiohttp and decode it with json.loads, nothing more."""
    token = base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
    count = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        cpu, wall = time.process_time(), time.perf_counter()
        offset = 0
        while True:
            params = {"offset": str(offset), "limit": str(settings.page_size)}
            async with session.get(f"{base_url}/network/members", params=params) as r:
                page = json.loads(await r.read())
            count += len(page["results"])
            offset += len(page["results"])
            if page["last"] or not page["results"]:
                break
        return Timing(time.process_time() - cpu, time.perf_counter() - wall, count)


def make_client(base_url: str, settings: Settings) -> Client:
    """Build a client whose limiter never holds a request back."""
    return Client(
        USERNAME,
        API_KEY,
        base_url=base_url,
        max_page_size=settings.page_size,
        limiter=WindowLimiter(limit=SERVER_LIMIT),
    )


async def client_pass(base_url: str, settings: Settings) -> Timing:
    """Read every member through ``Client.iter_members``."""
    count = 0
    async with make_client(base_url, settings) as client:
        # The first request goes alone while the limiter learns the window;
        # it is part of the measured pass, as in real use.
        cpu, wall = time.process_time(), time.perf_counter()
        async for _member in client.iter_members(page_size=settings.page_size):
            count += 1
        return Timing(time.process_time() - cpu, time.perf_counter() - wall, count)


async def export_peak(base_url: str, settings: Settings, path: Path) -> int:
    """Export every member to ``path`` and return the peak traced growth in bytes."""
    async with make_client(base_url, settings) as client:
        with path.open("w", encoding="utf-8", buffering=1 << 20) as stream:
            writer = JsonLinesWriter(stream, flush_each=False)
            tracemalloc.start()
            baseline, _ = tracemalloc.get_traced_memory()
            async for member in client.iter_members(page_size=settings.page_size):
                writer.add(member)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            writer.close()
    return peak - baseline


async def measure(base_url: str, settings: Settings) -> dict[str, Any]:
    """Run every pass and return the figures."""
    floors: list[Timing] = []
    clients: list[Timing] = []
    # Warm-up: connections, caches and the interpreter's specializations.
    await floor_pass(base_url, settings)
    await client_pass(base_url, settings)
    for pair in range(settings.repeats):
        if pair % 2:
            clients.append(await client_pass(base_url, settings))
            floors.append(await floor_pass(base_url, settings))
        else:
            floors.append(await floor_pass(base_url, settings))
            clients.append(await client_pass(base_url, settings))
    with tempfile.TemporaryDirectory() as folder:
        peak = await export_peak(base_url, settings, Path(folder) / "members.jsonl")
    for timing in floors + clients:
        assert timing.members == settings.members, timing
    ratios = [
        client.cpu_seconds / floor.cpu_seconds
        for floor, client in zip(floors, clients, strict=True)
    ]
    floor_cpu = min(t.cpu_seconds for t in floors)
    client_cpu = min(t.cpu_seconds for t in clients)
    return {
        "members": settings.members,
        "page_size": settings.page_size,
        "repeats": settings.repeats,
        "floor_cpu_seconds": floor_cpu,
        "client_cpu_seconds": client_cpu,
        "cpu_ratio": client_cpu / floor_cpu,
        "cpu_ratio_median_of_pairs": statistics.median(ratios),
        "cpu_ratios": ratios,
        "floor_cpu_us_per_member": floor_cpu / settings.members * 1e6,
        "client_cpu_us_per_member": client_cpu / settings.members * 1e6,
        "client_members_per_second": settings.members
        / statistics.median(t.wall_seconds for t in clients),
        "floor_members_per_second": settings.members
        / statistics.median(t.wall_seconds for t in floors),
        "export_peak_growth_bytes": peak,
    }


def render_markdown(result: dict[str, Any], quick: bool) -> str:
    """Render the results page with the figures and how to rerun them."""
    speed_ratio = (
        result["floor_members_per_second"] / result["client_members_per_second"]
    )
    rows = [
        [
            "client CPU per member",
            f"{result['client_cpu_us_per_member']:.2f} µs",
            f"{result['floor_cpu_us_per_member']:.2f} µs",
            f"{result['cpu_ratio']:.3f}",
            f"≤ {CPU_TARGET_RATIO}",
        ],
        [
            "members per second",
            f"{result['client_members_per_second']:,.0f}",
            f"{result['floor_members_per_second']:,.0f}",
            f"{speed_ratio:.3f}",
            "",
        ],
        [
            "peak memory growth, export to a file",
            f"{result['export_peak_growth_bytes'] / 2**20:.1f} MiB",
            "",
            "",
            "< 20 MiB",
        ],
    ]
    table = markdown_table(["figure", "client", "floor", "ratio", "target"], rows)
    all_ratios = ", ".join(f"{ratio:.3f}" for ratio in result["cpu_ratios"])
    median_of_pairs = result["cpu_ratio_median_of_pairs"]
    mode = "--quick" if quick else "full"
    return f"""# Export benchmark

`benchmarks/export.py` reads {result["members"]:,} members from the fake Partner API in
pages of {result["page_size"]:,}, the largest page the Partner API serves. The fake runs
in a child process with a rate limit of {SERVER_LIMIT:,} requests per window, so neither
its CPU time nor the rate limit enters the figures.

- **client**: `Client.iter_members`, which requests each page through the limiter,
  decodes the JSON and converts every member to a `NetworkMember`, deduplicating by
  `membership_id`. The `bench` extra installs the `speedups` extra, so msgspec decodes
  each page, checks its JSON types and converts statuses and timestamps in one pass.
- **floor**: the same pages fetched with a plain `aiohttp.ClientSession` and decoded
  with `json.loads`, with no conversion.

CPU is `time.process_time()` of the client process. Floor and client run in
{result["repeats"]} pairs, back to back and in alternating order. The CPU ratio divides
the client's lowest time by the floor's lowest time, the usual estimate of a cost when
the noise of a shared machine only ever adds time. The ratios of the single pairs
spread widely on such a machine; their median was {median_of_pairs:.3f} (all of them:
{all_ratios}). The ratio of members per second is floor over client,
so above 1 means the client is slower.
Peak memory growth is `tracemalloc`'s peak during a streamed export through the
command's JSON Lines writer to a file, from the start of the scan. It includes the
set of membership ids that deduplication keeps, which grows with the network.

Results of the {mode} run:

{table}

Rerun with:

```console
make venv && .venv/bin/pip install -e '.[bench]'
.venv/bin/python benchmarks/export.py            # 100,000 members
.venv/bin/python benchmarks/export.py --quick    # 20,000 members, a few seconds
```
"""


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    context = multiprocessing.get_context("spawn")
    ready: Queue[str] = context.Queue()
    server = context.Process(
        target=serve, args=(settings.members, settings.page_size, ready), daemon=True
    )
    server.start()
    try:
        base_url = ready.get(timeout=120)
        result = asyncio.run(measure(base_url, settings))
    finally:
        server.terminate()
        server.join()
    print(
        f"client {result['client_cpu_us_per_member']:.2f} µs CPU/member, "
        f"floor {result['floor_cpu_us_per_member']:.2f} µs, "
        f"ratio {result['cpu_ratio']:.3f} (target ≤ {CPU_TARGET_RATIO}); "
        f"{result['client_members_per_second']:,.0f} members/s; "
        f"export peak growth {result['export_peak_growth_bytes'] / 2**20:.1f} MiB "
        f"(target < 20)"
    )
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (DOCS_DIR / f"export{suffix}.md").write_text(render_markdown(result, args.quick))
    write_json(args.json_path, {"settings": attrs.asdict(settings), **result})


if __name__ == "__main__":
    main()

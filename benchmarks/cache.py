"""Measure the member-listing cache: API calls under bursts, and hit latency.

Bursts: in each time-to-live period, 100 tasks make 1,000 concurrent calls
for the same 3 pages through one client with ``MemberCache``. The period
ends once every cached page has expired. The target is exactly 3 API calls
per period. The same burst without a cache shows what the cache saves.

Latency: one task alternates a miss (after ``invalidate_cache``) with a hit
on the same page and compares the median per-call times. With
``--redis-url``, the same comparison runs with a ``RedisStore``.

Run ``python benchmarks/cache.py --quick`` for a subset in a few seconds.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

import attrs

from _common import (
    DOCS_DIR,
    machine_description,
    make_parser,
    markdown_table,
    write_json,
)
from influenceplanner_async import CacheStats, Client, MemberCache, RedisStore
from influenceplanner_async.testing import FakePartnerAPI, run_fake_api, seed_members

if TYPE_CHECKING:
    from influenceplanner_async import CacheStore

USERNAME, API_KEY = "alice", "ip-1234"
TASKS = 100
CALLS_PER_BURST = 1000
PAGES = 3
PAGE_SIZE = 25
# Extra wait past the TTL before the next period, so that every page stored
# during a burst has expired when the next burst starts.
EXPIRY_MARGIN = 0.05


@attrs.frozen
class Settings:
    """Sizes of one run."""

    ttl: float
    periods: int
    latency_samples: int


FULL = Settings(ttl=2.0, periods=8, latency_samples=500)
QUICK = Settings(ttl=1.0, periods=3, latency_samples=100)


@attrs.frozen
class PeriodResult:
    """API calls and cache counters of one burst."""

    api_calls: int
    hits: int
    misses: int
    coalesced: int
    seconds: float


@attrs.frozen
class LatencyResult:
    """Median and 95th percentile per-call times of misses and hits."""

    store: str
    miss_median_ms: float
    miss_p95_ms: float
    hit_median_ms: float
    hit_p95_ms: float

    @property
    def ratio(self) -> float:
        return self.miss_median_ms / self.hit_median_ms


def make_api() -> FakePartnerAPI:
    """Return a fake whose limit no run reaches, so only the cache counts."""
    return FakePartnerAPI(members=seed_members(100), limit=1_000_000)


def listing_calls(api: FakePartnerAPI) -> int:
    return sum(1 for request in api.requests if request.path.endswith("/members"))


async def burst(client: Client) -> None:
    """Make 1,000 calls for 3 pages from 100 concurrent tasks."""
    per_task = CALLS_PER_BURST // TASKS

    async def task(number: int) -> None:
        for call in range(per_task):
            page = (number * per_task + call) % PAGES
            await client.list_members(offset=page * PAGE_SIZE, limit=PAGE_SIZE)

    await asyncio.gather(*(task(number) for number in range(TASKS)))


async def measure_periods(
    base_url: str, api: FakePartnerAPI, settings: Settings
) -> list[PeriodResult]:
    """Run one burst per TTL period through a cached client."""
    results = []
    cache = MemberCache(ttl=settings.ttl)
    async with Client(USERNAME, API_KEY, base_url=base_url, cache=cache) as client:
        for _ in range(settings.periods):
            calls_before, stats_before = listing_calls(api), client.cache_stats
            started = time.perf_counter()
            await burst(client)
            elapsed = time.perf_counter() - started
            results.append(
                _period(api, client.cache_stats, stats_before, calls_before, elapsed)
            )
            await asyncio.sleep(settings.ttl + EXPIRY_MARGIN)
    return results


def _period(
    api: FakePartnerAPI,
    stats: CacheStats,
    before: CacheStats,
    calls_before: int,
    seconds: float,
) -> PeriodResult:
    return PeriodResult(
        api_calls=listing_calls(api) - calls_before,
        hits=stats.hits - before.hits,
        misses=stats.misses - before.misses,
        coalesced=stats.coalesced - before.coalesced,
        seconds=seconds,
    )


async def measure_uncached_burst(base_url: str, api: FakePartnerAPI) -> PeriodResult:
    """Run one burst through a client without a cache."""
    async with Client(USERNAME, API_KEY, base_url=base_url) as client:
        calls_before = listing_calls(api)
        started = time.perf_counter()
        await burst(client)
        elapsed = time.perf_counter() - started
    return PeriodResult(listing_calls(api) - calls_before, 0, 0, 0, elapsed)


async def measure_latency(
    base_url: str, name: str, store: CacheStore | None, samples: int
) -> LatencyResult:
    """Time alternate misses and hits of one page from one task."""
    misses, hits = [], []
    cache = MemberCache(ttl=3600, store=store)
    async with Client(USERNAME, API_KEY, base_url=base_url, cache=cache) as client:
        await client.list_members()  # warm up the connection and the limiter
        for _ in range(samples):
            await client.invalidate_cache()
            misses.append(await _timed(client))
            hits.append(await _timed(client))
        assert client.cache_stats.hits == samples, client.cache_stats
    return LatencyResult(
        store=name,
        miss_median_ms=statistics.median(misses) * 1000,
        miss_p95_ms=_p95(misses) * 1000,
        hit_median_ms=statistics.median(hits) * 1000,
        hit_p95_ms=_p95(hits) * 1000,
    )


async def _timed(client: Client) -> float:
    started = time.perf_counter()
    await client.list_members(limit=PAGE_SIZE)
    return time.perf_counter() - started


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def run_all(settings: Settings, redis_url: str | None) -> dict[str, Any]:
    api = make_api()
    async with run_fake_api(api) as server:
        periods = await measure_periods(server.base_url, api, settings)
        uncached = await measure_uncached_burst(server.base_url, api)
        latencies = [
            await measure_latency(
                server.base_url, "memory", None, settings.latency_samples
            )
        ]
        if redis_url is not None:
            store = RedisStore.from_url(redis_url, namespace="influenceplanner:bench:")
            try:
                latencies.append(
                    await measure_latency(
                        server.base_url, "redis", store, settings.latency_samples
                    )
                )
            finally:
                await store.clear()
                await store.aclose()
    return {"periods": periods, "uncached": uncached, "latencies": latencies}


PERIOD_HEADERS = ["period", "API calls", "misses", "coalesced", "hits", "burst ms"]
LATENCY_HEADERS = [
    "store",
    "miss median ms",
    "miss p95 ms",
    "hit median ms",
    "hit p95 ms",
    "miss / hit",
]


def render_markdown(results: dict[str, Any], settings: Settings, quick: bool) -> str:
    periods: list[PeriodResult] = results["periods"]
    uncached: PeriodResult = results["uncached"]
    period_rows = [
        [
            str(index + 1),
            str(period.api_calls),
            str(period.misses),
            str(period.coalesced),
            str(period.hits),
            f"{period.seconds * 1000:.0f}",
        ]
        for index, period in enumerate(periods)
    ]
    period_rows.append(
        [
            "no cache",
            str(uncached.api_calls),
            "-",
            "-",
            "-",
            f"{uncached.seconds * 1000:.0f}",
        ]
    )
    latency_rows = [
        [
            result.store,
            f"{result.miss_median_ms:.3f}",
            f"{result.miss_p95_ms:.3f}",
            f"{result.hit_median_ms:.3f}",
            f"{result.hit_p95_ms:.3f}",
            f"{result.ratio:.1f}",
        ]
        for result in results["latencies"]
    ]
    mode = "--quick" if quick else "full"
    machine = machine_description()
    stores = [result.store for result in results["latencies"]]
    redis_note = (
        "The redis row used a redis-server on 127.0.0.1 of the same machine.\n"
        if "redis" in stores
        else ""
    )
    total = sum(period.api_calls for period in periods)
    return f"""# Cache benchmark

`benchmarks/cache.py` runs against the fake Partner API on 127.0.0.1 with no
added latency, so a miss costs only a local HTTP round trip. A real network adds
its round-trip time to every miss and to nothing else. Machine of this run:
{machine["cpus"]} CPUs, Python {machine["python"]}, {machine["platform"]}.

## API calls per time-to-live period

In each period, {TASKS} tasks make {CALLS_PER_BURST} concurrent calls for the same
{PAGES} pages through one client with `MemberCache(ttl={settings.ttl:g})`. The next
period starts {EXPIRY_MARGIN * 1000:.0f} ms after the TTL has passed, once every page
has expired. The target is exactly {PAGES} API calls per period. The last row runs
the same burst through a client without a cache.

Results of the {mode} run: {total} API calls in {len(periods)} periods.

{markdown_table(PERIOD_HEADERS, period_rows)}

## Per-call latency of a hit against a miss

One task alternates a miss (right after `invalidate_cache()`) with a hit on the
same 25-member page, {settings.latency_samples} times. The ratio is the median
miss time over the median hit time, both measured in the same run. A hit
reads the store and finds the entry's bytes among the entries that the client
decoded last, so it skips JSON parsing. A miss also encodes and stores the page.
{redis_note}

{markdown_table(LATENCY_HEADERS, latency_rows)}

Rerun with:

```console
make venv && .venv/bin/pip install -e '.[bench,redis]'
.venv/bin/python benchmarks/cache.py          # {FULL.periods} periods
.venv/bin/python benchmarks/cache.py --quick  # {QUICK.periods} periods
# add --redis-url redis://127.0.0.1:6379/0 to time a RedisStore too
```
"""


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        help="also time hits and misses with a RedisStore at URL",
    )
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    results = asyncio.run(run_all(settings, args.redis_url))

    for index, period in enumerate(results["periods"]):
        print(f"period {index + 1}: {period.api_calls} API calls, {period}")
    print(f"no cache: {results['uncached'].api_calls} API calls")
    for latency in results["latencies"]:
        print(f"{latency.store}: miss/hit median = {latency.ratio:.1f} ({latency})")

    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (DOCS_DIR / f"cache{suffix}.md").write_text(
        render_markdown(results, settings, args.quick)
    )

    write_json(
        args.json_path,
        {
            "benchmark": "cache",
            "settings": attrs.asdict(settings),
            "periods": [attrs.asdict(period) for period in results["periods"]],
            "uncached": attrs.asdict(results["uncached"]),
            "latencies": [
                {**attrs.asdict(latency), "ratio": latency.ratio}
                for latency in results["latencies"]
            ],
        },
    )


if __name__ == "__main__":
    main()

"""Count the API calls that bulk scheduling uses against the minimum.

Each variant asks for a set of track x account pairs, sends it through
``Client.schedule_bulk`` to the fake Partner API with a compressed rate-limit
window, and counts the ``POST /schedule/create`` requests that the fake
received. The minimum is computed here, apart from the library's planner:

- Lower bound: a call creates a rectangle of pairs, so k calls write each
  option group's 0/1 track x account matrix as a sum of k rank-one matrices,
  and k is at least the matrix rank (over any field; this script uses the
  integers modulo a large prime). With a comment a call has at most 3
  accounts, so k is also at least ceil(accounts / 3).
- Upper bound: a plan built by this script from the variant's construction.

When the two bounds meet, the minimum is exact. The script also checks that
the fake holds every requested pair exactly once and nothing else.

Run ``python benchmarks/bulk_schedule.py --quick`` for 20 x 20 pairs, or
without ``--quick`` for 100 x 100 (10,000 pairs).
"""

from __future__ import annotations

import asyncio
import collections
import math
import random
import time
from typing import TYPE_CHECKING, Any

import attrs

from _common import DOCS_DIR, make_parser, markdown_table, write_json
from influenceplanner_async import (
    Client,
    MemberStatus,
    RetryPolicy,
    ScheduleItem,
    WindowLimiter,
)
from influenceplanner_async.testing import FakePartnerAPI, run_fake_api, seed_members

if TYPE_CHECKING:
    from collections.abc import Callable

USERNAME, API_KEY = "alice", "ip-1234"
COMMENT = "Great track"
COMMENT_TARGETS = 3
PRIME = 2_147_483_647
# A compressed window keeps the run short while the limiter still paces it.
LIMIT, WINDOW = 30, 0.5
GENRES = 5
HOLES = 3

Pairs = set[tuple[str, str]]


@attrs.frozen
class Variant:
    """One requested pair set, its options and an upper-bound plan size."""

    name: str
    pairs: Pairs
    comment: str | None
    upper_bound: int


@attrs.frozen
class Result:
    """Figures of one variant."""

    variant: str
    pairs: int
    calls: int
    lower_bound: int
    upper_bound: int
    responses_429: int
    wall_seconds: float
    exact_once: bool

    @property
    def minimum(self) -> int | None:
        """The proven minimum, or ``None`` when the bounds differ."""
        return self.lower_bound if self.lower_bound == self.upper_bound else None


def rectangle(tracks: list[str], accounts: list[str]) -> Variant:
    """Every track for every account, without a comment: one call."""
    pairs = {(track, account) for track in tracks for account in accounts}
    return Variant("rectangle", pairs, None, 1)


def with_comment(tracks: list[str], accounts: list[str]) -> Variant:
    """Every track for every account with a comment: accounts in threes."""
    pairs = {(track, account) for track in tracks for account in accounts}
    calls = math.ceil(len(accounts) / COMMENT_TARGETS)
    return Variant("comment", pairs, COMMENT, calls)


def genres(tracks: list[str], accounts: list[str], rng: random.Random) -> Variant:
    """Tracks in genres, accounts following random genres, a few holes.

    The upper-bound plan sends one call per genre (its tracks for its
    followers), after moving each holed track into a call of its own.
    """
    size = len(tracks) // GENRES
    genre_tracks = [tracks[i * size : (i + 1) * size] for i in range(GENRES)]
    follows = {
        account: set(rng.sample(range(GENRES), rng.randint(1, GENRES)))
        for account in accounts
    }
    pairs = {
        (track, account)
        for account, followed in follows.items()
        for genre in followed
        for track in genre_tracks[genre]
    }
    holed_tracks = set()
    for pair in rng.sample(sorted(pairs), HOLES):
        pairs.discard(pair)
        holed_tracks.add(pair[0])
    followed_genres = {g for followed in follows.values() for g in followed}
    upper = len(followed_genres) + len(holed_tracks)
    return Variant("non-rectangular", pairs, None, upper)


def rank_mod_prime(rows: list[list[int]]) -> int:
    """Return the rank of an integer matrix over the integers modulo PRIME."""
    matrix = [[value % PRIME for value in row] for row in rows]
    rank = 0
    columns = len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        inverse = pow(matrix[rank][column], PRIME - 2, PRIME)
        for r in range(len(matrix)):
            factor = matrix[r][column] * inverse % PRIME
            if r != rank and factor:
                top = matrix[rank]
                matrix[r] = [
                    (a - factor * b) % PRIME
                    for a, b in zip(matrix[r], top, strict=True)
                ]
        rank += 1
    return rank


def lower_bound(pairs: Pairs, comment: str | None) -> int:
    """Return a lower bound on the calls that create exactly ``pairs``."""
    tracks = sorted({track for track, _ in pairs})
    accounts = sorted({account for _, account in pairs})
    rows = [[int((t, a) in pairs) for a in accounts] for t in tracks]
    bound = rank_mod_prime(rows)
    if comment is not None:
        bound = max(bound, math.ceil(len(accounts) / COMMENT_TARGETS))
    return bound


async def measure(api: FakePartnerAPI, base_url: str, variant: Variant) -> Result:
    """Schedule the variant's pairs and count the fake's schedule calls."""
    api.requests.clear()
    api.schedules.clear()
    items = [
        ScheduleItem.product(
            [track], [account], types=["REPOST"], comment=variant.comment
        )[0]
        for track, account in sorted(variant.pairs)
    ]
    limiter = WindowLimiter(limit=LIMIT, window=WINDOW, margin=0.01)
    started = time.perf_counter()
    async with Client(
        USERNAME,
        API_KEY,
        base_url=base_url,
        limiter=limiter,
        retry=RetryPolicy(initial_delay=0.0),
    ) as client:
        report = await client.schedule_bulk(items, concurrency=8)
    wall = time.perf_counter() - started
    if not report.is_complete:
        raise RuntimeError(f"{variant.name}: not every item was created")
    held = collections.Counter(
        (schedule.media, target)
        for schedule in api.schedules
        for target in schedule.targets
    )
    calls = sum(
        1
        for request in api.requests
        if request.path.endswith("/schedule/create") and request.status == 200
    )
    return Result(
        variant=variant.name,
        pairs=len(variant.pairs),
        calls=calls,
        lower_bound=lower_bound(variant.pairs, variant.comment),
        upper_bound=variant.upper_bound,
        responses_429=api.count_429,
        wall_seconds=wall,
        exact_once=set(held) == variant.pairs and max(held.values()) == 1,
    )


async def run(size: int) -> list[Result]:
    """Run every variant with ``size`` tracks and ``size`` accounts."""
    members = [
        m for m in seed_members(size * 4, seed=7) if m.status == MemberStatus.LINKED
    ][:size]
    if len(members) < size:
        raise RuntimeError("the seeded network has too few LINKED members")
    tracks = [f"https://soundcloud.com/bench/track-{i:03d}" for i in range(size)]
    accounts = [member.user_id for member in members]
    api = FakePartnerAPI(
        members=members, tracks=tracks, limit=LIMIT, window_seconds=WINDOW
    )
    builders: list[Callable[[], Variant]] = [
        lambda: rectangle(tracks, accounts),
        lambda: with_comment(tracks, accounts),
        lambda: genres(tracks, accounts, random.Random(11)),
    ]
    results = []
    async with run_fake_api(api) as server:
        for build in builders:
            results.append(await measure(api, server.base_url, build()))
    return results


def render(results: list[Result], size: int) -> str:
    """Return the results as a markdown table."""
    rows = []
    for result in results:
        minimum = result.minimum
        shown = (
            str(minimum)
            if minimum is not None
            else (f"{result.lower_bound}..{result.upper_bound}")
        )
        ratio = f"{result.calls / minimum:.2f}" if minimum else "n/a"
        rows.append(
            [
                result.variant,
                f"{result.pairs:,}",
                str(result.calls),
                shown,
                ratio,
                "yes" if result.exact_once else "NO",
                str(result.responses_429),
                f"{result.wall_seconds:.2f}",
            ]
        )
    headers = [
        "variant",
        "pairs",
        "calls",
        "minimum",
        "calls / minimum",
        "each pair once",
        "429s",
        "wall s",
    ]
    title = f"{size} tracks x {size} LINKED accounts"
    return f"{title}\n\n{markdown_table(headers, rows)}"


def main() -> None:
    """Parse the options, run the benchmark and print the table."""
    parser = make_parser(__doc__.splitlines()[0] if __doc__ else "")
    arguments = parser.parse_args()
    size = 20 if arguments.quick else 100
    results = asyncio.run(run(size))
    print(render(results, size))
    payload: dict[str, Any] = {
        "size": size,
        "window": {"limit": LIMIT, "seconds": WINDOW},
        "results": [
            {**attrs.asdict(result), "minimum": result.minimum} for result in results
        ],
    }
    write_json(arguments.json_path, payload)
    if any(r.minimum is None or r.calls != r.minimum for r in results):
        print("Target missed: some variant used more calls than the minimum.")
    print(f"Results page: {DOCS_DIR / 'bulk_schedule.md'}")


if __name__ == "__main__":
    main()

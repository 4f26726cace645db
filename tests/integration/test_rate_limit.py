"""Rate limiting against the fake API, with windows compressed to under a second.

The fake counts requests in fixed windows on the epoch clock, as the Partner
API does, so these tests wait for real window resets. Windows of 0.5 s keep
each test to a few seconds.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import RateLimitError, ScheduleSettings
from influenceplanner_async.testing import (
    RESET_FORMATS,
    FakePartnerAPI,
    ManualClock,
    faults,
    run_fake_api,
    seed_members,
)
from tests.integration.support import (
    DEMO_TRACK,
    JOHN_DOE,
    accepted_per_window,
    rejected_per_window,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from influenceplanner_async import Client
    from influenceplanner_async.testing import (
        FakeServer,
        RateLimitedFault,
        ResetFormat,
    )
    from tests.integration.support import ClientFactory

WINDOW = 0.5


def reset_format_params() -> list[object]:
    """Return the reset formats as parameters named after each format."""
    return [pytest.param(fmt, id=fmt) for fmt in RESET_FORMATS]


@pytest.fixture
async def small_window_server() -> AsyncIterator[FakeServer]:
    """Serve a fake that allows 5 requests per 0.5 s window."""
    async with run_fake_api(
        members=seed_members(30), limit=5, window_seconds=WINDOW
    ) as server:
        yield server


@pytest.fixture
async def roomy_window_server() -> AsyncIterator[FakeServer]:
    """Serve a fake with 0.5 s windows and a limit that the tests never reach."""
    async with run_fake_api(
        members=seed_members(30), limit=1_000, window_seconds=WINDOW
    ) as server:
        yield server


async def list_sequentially(client: Client, count: int) -> None:
    """Send ``count`` one-member listings one after the other."""
    for _ in range(count):
        await client.list_members(limit=1)


async def test_spent_window_waits_for_reset(
    small_window_server: FakeServer, make_client: ClientFactory
) -> None:
    """More calls than the limit all succeed by waiting, with no 429."""
    client = make_client(small_window_server, window=WINDOW)

    await list_sequentially(client, 16)

    assert small_window_server.api.count_429 == 0
    assert client.stats.responses_429 == 0
    assert client.stats.waits > 0
    accepted = accepted_per_window(small_window_server)
    assert sum(accepted) == 16
    assert max(accepted) <= 5
    assert set(rejected_per_window(small_window_server)) == {0}


async def test_concurrent_tasks_stay_under_limit(
    make_client: ClientFactory,
) -> None:
    """300 concurrent calls share one budget of 30 per window without a 429."""
    async with run_fake_api(
        members=seed_members(30), limit=30, window_seconds=WINDOW
    ) as server:
        client = make_client(server, window=WINDOW)

        pages = await asyncio.gather(
            *(client.list_members(limit=1) for _ in range(300))
        )

        assert len(pages) == 300
        assert server.api.count_429 == 0
        assert client.stats.responses_429 == 0
        assert client.limiter.in_flight == 0
        accepted = accepted_per_window(server)
        assert sum(accepted) == 300
        assert max(accepted) <= 30
        assert set(rejected_per_window(server)) == {0}


@pytest.mark.parametrize(
    ("fault", "warm_up"),
    [
        pytest.param(faults.rate_limited(), False, id="with-headers"),
        pytest.param(faults.rate_limited(retry_after=1), False, id="retry-after"),
        pytest.param(
            faults.rate_limited(with_headers=False), True, id="without-headers"
        ),
        pytest.param(
            faults.rate_limited(with_headers=False),
            False,
            id="without-headers-first",
        ),
    ],
)
async def test_get_resent_after_429(
    roomy_window_server: FakeServer,
    make_client: ClientFactory,
    fault: RateLimitedFault,
    warm_up: bool,
) -> None:
    """A GET rejected with 429 is sent again and succeeds."""
    api = roomy_window_server.api
    client = make_client(roomy_window_server, window=WINDOW)
    if warm_up:
        await client.list_members(limit=3)
    api.faults.push(fault)

    # The resend is due within about 1 s. The guard only turns a hang into a
    # failure.
    async with asyncio.timeout(3):
        page = await client.list_members(limit=3)

    assert len(page.results) == 3
    statuses = [request.status for request in api.requests]
    assert statuses[-2:] == [429, 200]
    assert api.requests[-2].query == api.requests[-1].query
    assert client.stats.responses_429 == 1
    assert client.stats.retries == 1


async def test_resend_waits_for_retry_after(
    roomy_window_server: FakeServer, make_client: ClientFactory
) -> None:
    """The resend after a 429 with Retry-After: 1 waits at least that second."""
    api = roomy_window_server.api
    api.faults.push(faults.rate_limited(retry_after=1))
    client = make_client(roomy_window_server, window=WINDOW)

    await client.list_members(limit=1)

    rejected, resent = api.requests
    # A lower bound only, which the client's own wait guarantees: 0.05 s
    # allows for the epoch clock and the loop's monotonic clock drifting apart.
    assert resent.time - rejected.time >= 0.95


async def test_post_resent_after_429(
    roomy_window_server: FakeServer, make_client: ClientFactory
) -> None:
    """A schedule rejected with 429 is resent once and created exactly once."""
    api = roomy_window_server.api
    api.faults.push(faults.rate_limited(), path="/schedule/create")
    client = make_client(roomy_window_server, window=WINDOW)

    result = await client.create_schedule(
        types=["REPOST"],
        medias=[DEMO_TRACK],
        targets=[JOHN_DOE],
        settings=ScheduleSettings(),
    )

    assert [request.method for request in api.requests] == ["POST", "POST"]
    assert [request.status for request in api.requests] == [429, 200]
    assert len(api.schedules) == 1
    assert result.schedule_ids == (api.schedules[0].schedule_id,)


@pytest.mark.parametrize("reset_format", reset_format_params())
async def test_reset_format_avoids_429(
    make_client: ClientFactory, reset_format: ResetFormat
) -> None:
    """Each form of X-RateLimit-Reset paces three spent windows without a 429."""
    async with run_fake_api(
        members=seed_members(30),
        limit=4,
        window_seconds=WINDOW,
        reset_format=reset_format,
    ) as server:
        client = make_client(server, window=WINDOW)

        await list_sequentially(client, 9)

        assert server.api.count_429 == 0
        assert set(rejected_per_window(server)) == {0}
        assert sum(accepted_per_window(server)) == 9
        assert client.stats.waits > 0


@pytest.mark.parametrize("reset_format", reset_format_params())
async def test_reset_format_gives_server_reset(
    make_client: ClientFactory, reset_format: ResetFormat
) -> None:
    """Each form of X-RateLimit-Reset yields the instant that the fake sent."""
    # Both sides read one frozen clock, 0.75 s into a 60 s window, so that a
    # reset computed from the whole-second Date header would be off by 0.75 s.
    clock = ManualClock()
    clock.advance(0.75)
    api = FakePartnerAPI(
        members=seed_members(30), clock=clock, reset_format=reset_format
    )
    async with run_fake_api(api) as server:
        client = make_client(server, wall_clock=clock)

        await client.list_members(limit=1)

    expected = datetime.fromtimestamp(clock.now - 0.75 + 60, UTC)
    snapshot = client.rate_limit
    assert snapshot is not None
    # The loop clock moves a few milliseconds while the response is handled.
    assert abs((snapshot.reset - expected).total_seconds()) < 0.05


@pytest.mark.parametrize("offset", [30.0, -30.0], ids=["ahead", "behind"])
async def test_skewed_server_clock_avoids_429(
    make_client: ClientFactory, offset: float
) -> None:
    """A server clock 30 s off the local one paces windows without a 429."""
    api = FakePartnerAPI(
        members=seed_members(30),
        limit=4,
        window_seconds=WINDOW,
        clock=lambda: time.time() + offset,
    )
    async with run_fake_api(api) as server:
        client = make_client(server, window=WINDOW)

        await list_sequentially(client, 9)

        assert api.count_429 == 0
        assert set(rejected_per_window(server)) == {0}
        assert sum(accepted_per_window(server)) == 9


async def test_skewed_date_fault_avoids_429(
    small_window_server: FakeServer, make_client: ClientFactory
) -> None:
    """Date and reset shifted 30 s ahead on every response cause no 429."""
    api = small_window_server.api
    api.faults.push(faults.date_skew(30.0, shift_reset=True), times=100)
    client = make_client(small_window_server, window=WINDOW)

    await list_sequentially(client, 11)

    assert api.count_429 == 0
    assert set(rejected_per_window(small_window_server)) == {0}
    assert sum(accepted_per_window(small_window_server)) == 11


@pytest.mark.parametrize(("old", "new"), [(4, 8), (8, 3)], ids=["raise", "lower"])
async def test_limit_change_adopted(
    make_client: ClientFactory, old: int, new: int
) -> None:
    """A limit changed by the server mid-run is adopted for later windows."""
    async with run_fake_api(
        members=seed_members(30), limit=old, window_seconds=WINDOW
    ) as server:
        client = make_client(server, window=WINDOW)
        await list_sequentially(client, old + 1)
        assert client.limiter.limit == old

        server.api.set_limit(new)
        changed_at = time.time()
        await list_sequentially(client, 2 * new + 1)

        assert client.limiter.limit == new
        windows = server.api.window_stats()["alice"]
        # Lowering the limit may reject a request in the window where it
        # changed, which the client could not foresee. Later windows may not.
        later = [window for window in windows if window.window_start > changed_at]
        assert later
        assert all(window.rejected == 0 for window in later)
        assert max(window.accepted for window in later) <= new
        assert sum(window.accepted for window in windows) == old + 1 + 2 * new + 1


async def test_max_wait_raises_without_sending(make_client: ClientFactory) -> None:
    """A call that would wait past max_wait for a spent window raises at once."""
    # The fake and the limiter share a frozen clock at the start of a 60 s
    # window, so the reset stays 60 s away whatever the real time.
    clock = ManualClock()
    api = FakePartnerAPI(members=seed_members(30), limit=2, clock=clock)
    async with run_fake_api(api) as server:
        client = make_client(server, wall_clock=clock)
        await list_sequentially(client, 2)

        with pytest.raises(RateLimitError) as caught:
            await client.list_members(limit=1, max_wait=1.0)

    error = caught.value
    assert len(api.requests) == 2
    assert api.count_429 == 0
    assert client.stats.waits == 0
    assert error.retry_after is not None
    assert 59.0 < error.retry_after <= 60.1
    assert error.reset is not None
    expected_reset = datetime.fromtimestamp(clock.now + 60, UTC)
    # The loop clock moves a few milliseconds while the responses are handled.
    assert abs((error.reset - expected_reset).total_seconds()) < 0.05


async def test_two_clients_share_window(
    small_window_server: FakeServer, make_client: ClientFactory
) -> None:
    """Two clients with one key split the fake's window and every call succeeds."""
    first = make_client(small_window_server, window=WINDOW)
    second = make_client(small_window_server, window=WINDOW)

    await asyncio.gather(list_sequentially(first, 12), list_sequentially(second, 12))

    api = small_window_server.api
    accepted = accepted_per_window(small_window_server)
    assert sum(accepted) == 24
    assert max(accepted) <= 5
    # Each client has its own limiter, so one may overrun the window that the
    # other is spending. The 429s it receives are counted and resent.
    responses_429 = first.stats.responses_429 + second.stats.responses_429
    assert responses_429 == api.count_429
    assert first.stats.requests_sent + second.stats.requests_sent == len(api.requests)

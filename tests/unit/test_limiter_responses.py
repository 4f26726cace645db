"""WindowLimiter._observe_response against the general observe_response().

``_observe_response`` skips the window bookkeeping for a response that
repeats the header texts of the one before. Two limiters on one virtual clock
take the same random responses, one through each route, and must end every
step in the same state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from email.utils import formatdate
from typing import Any

import attrs
import pytest  # noqa: TC002
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from influenceplanner_async._backend import observe_response
from influenceplanner_async._ratelimit import Permit, WindowLimiter

EPOCH0 = 1_800_000_000.0


@attrs.define
class VirtualLoop:
    """The only part of an event loop that the limiter reads while settling."""

    now: float = 0.0

    def time(self) -> float:
        return self.now


@attrs.frozen
class Response:
    """One response, or a lost one when ``status`` is None."""

    advance: float
    latency: float
    status: int | None
    limit: str | None
    remaining: str | None
    reset: str | None
    date: str | None
    retry_after: str | None
    skew: float


def window_reset(epoch: float) -> str:
    """Return the epoch second at which the 60-second window of ``epoch`` ends."""
    return str(int(epoch // 60 + 1) * 60)


def reset_texts(epoch: float) -> st.SearchStrategy[str | None]:
    return st.sampled_from(
        [
            window_reset(epoch),
            window_reset(epoch),
            window_reset(epoch - 60),
            window_reset(epoch + 60),
            str(int(epoch // 60 + 1) * 60_000),
            "30",
            "12.5",
            str(int(epoch) + 1_000),
            "soon",
            None,
        ]
    )


@st.composite
def responses(draw: st.DrawFn) -> list[Response]:
    """Draw a run of responses whose texts often repeat, as in one window."""
    steps: list[Response] = []
    now = 0.0
    previous: Response | None = None
    for _ in range(draw(st.integers(min_value=1, max_value=40))):
        advance = draw(st.sampled_from([0.0, 0.0, 0.001, 0.4, 1.0, 20.0, 61.0, 200.0]))
        now += advance
        latency = draw(st.sampled_from([0.0, 0.0, 0.5, 90.0]))
        # Mostly steady, with small skews and rare jumps of the wall clock.
        skew = draw(st.sampled_from([0.0, 0.0, 3.0, -5.0, 150.0, -150.0]))
        epoch = EPOCH0 + now + skew
        if previous is not None and draw(st.integers(0, 3)):
            # The same window again: only Remaining changes.
            response = attrs.evolve(
                previous,
                advance=advance,
                latency=latency,
                remaining=draw(st.sampled_from(["5", "4", "0", "29", "-1", "2.0"])),
                status=draw(st.sampled_from([200, 200, 200, 404, 429, None])),
            )
        else:
            response = Response(
                advance=advance,
                latency=latency,
                status=draw(st.sampled_from([200, 200, 201, 404, 429, 503, None])),
                limit=draw(st.sampled_from(["30", "30", "31", "x", None])),
                remaining=draw(st.sampled_from(["29", "5", "0", " 7 ", "-1", None])),
                reset=draw(reset_texts(epoch)),
                date=draw(
                    st.sampled_from([formatdate(epoch, usegmt=True), "yesterday", None])
                ),
                retry_after=draw(st.sampled_from([None, None, None, "2"])),
                skew=skew,
            )
        steps.append(response)
        previous = response
    return steps


def make_limiter(loop: VirtualLoop, skew: list[float]) -> WindowLimiter:
    limiter = WindowLimiter(wall_clock=lambda: EPOCH0 + loop.now + skew[0])
    limiter._loop = loop  # type: ignore[assignment]
    return limiter


def header_map(response: Response) -> CIMultiDictProxy[str]:
    pairs = {
        "X-RateLimit-Limit": response.limit,
        "X-RateLimit-Remaining": response.remaining,
        "X-RateLimit-Reset": response.reset,
        "Date": response.date,
        "Retry-After": response.retry_after,
    }
    return CIMultiDictProxy(
        CIMultiDict({name: text for name, text in pairs.items() if text is not None})
    )


def state(limiter: WindowLimiter) -> dict[str, Any]:
    """Return everything that decides the limiter's future behaviour."""
    skipped = {
        "_steady",
        "_snapshot",
        "_bucket",
        "_loop",
        "_wall_clock",
        "_server_clock",
        "stats",
    }
    values = {key: value for key, value in vars(limiter).items() if key not in skipped}
    clock = limiter._server_clock
    values["clock"] = (clock._low, clock._high)
    values["stats"] = attrs.asdict(limiter.stats)
    values["snapshot"] = limiter.snapshot
    return values


@settings(max_examples=300, deadline=None)
@given(steps=responses())
def test_fast_route_matches_observe(steps: list[Response]) -> None:
    assert_same_states(steps)


def test_late_response_matches_observe() -> None:
    # A response that arrives more than a window after its request repeats
    # texts whose reset the clamp now moves.
    epoch = EPOCH0
    first = Response(0.0, 0.0, 200, "30", "29", window_reset(epoch), "d", None, 0.0)
    late = attrs.evolve(first, advance=50.0, latency=90.0, remaining="28")

    assert_same_states([first, late])


def assert_same_states(steps: list[Response]) -> None:
    """Feed ``steps`` to two limiters, one through each route, and compare."""
    loop = VirtualLoop()
    skew = [0.0]
    fast, reference = make_limiter(loop, skew), make_limiter(loop, skew)
    logging.disable(logging.WARNING)
    try:
        for step in steps:
            loop.now += step.advance
            skew[0] = step.skew
            # Starting a request rolls an assumed window when one is due.
            fast_permit = take(fast)
            reference_permit = take(reference)
            loop.now += step.latency
            if step.status is None:
                fast.release(fast_permit, sent=True)
                reference.release(reference_permit, sent=True)
            else:
                headers = header_map(step)
                sent_at = EPOCH0 + loop.now + skew[0]
                fast._observe_response(
                    fast_permit, headers, status=step.status, sent_at=sent_at
                )
                observe_response(
                    reference,
                    reference_permit,
                    headers,
                    status=step.status,
                    sent_at=sent_at,
                )
            assert state(fast) == state(reference)
    finally:
        logging.disable(logging.NOTSET)


def take(limiter: WindowLimiter) -> Permit:
    """Hand out a permit as acquire() would, whether or not budget is left."""
    limiter._can_start(limiter._now())
    return limiter._take(limiter._now())


def test_repeated_window_skips_observe(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = VirtualLoop(now=10.0)
    limiter = make_limiter(loop, [0.0])
    epoch = EPOCH0 + loop.now
    first = Response(0.0, 0.0, 200, "30", "29", window_reset(epoch), None, None, 0.0)
    limiter._observe_response(
        take(limiter), header_map(first), status=200, sent_at=epoch
    )

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("observe() ran for a repeated window")

    monkeypatch.setattr(limiter, "observe", fail)
    second = attrs.evolve(first, remaining="28")
    limiter._observe_response(
        take(limiter), header_map(second), status=200, sent_at=epoch
    )

    assert limiter.snapshot is not None
    assert limiter.snapshot.remaining == 28
    assert limiter.in_flight == 0


async def test_repeated_window_wakes_waiter() -> None:
    limiter = WindowLimiter()
    epoch = time.time()
    first = Response(0.0, 0.0, 200, "30", "1", window_reset(epoch + 1), None, None, 0.0)
    limiter._observe_response(
        await limiter.acquire(), header_map(first), status=200, sent_at=epoch
    )
    permit = await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()

    # The server counted one request less than the limiter did, so the
    # response frees budget for the waiting task.
    limiter._observe_response(permit, header_map(first), status=200, sent_at=epoch)

    async with asyncio.timeout(5):
        await waiter
    assert limiter.in_flight == 1

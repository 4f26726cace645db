"""Tests of several processes that share one budget through Redis."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from influenceplanner_async import RedisRateLimiter
from influenceplanner_async.testing import run_fake_api, seed_members

if TYPE_CHECKING:
    from aiohttp import web

    from tests.redis_server import RedisServer

WORKER = Path(__file__).with_name("shared_worker.py")
ROOT = Path(__file__).resolve().parents[2]


async def start_worker(*args: object) -> asyncio.subprocess.Process:
    """Start ``shared_worker.py`` with ``args`` and a pipe for its output."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        *(str(arg) for arg in args),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )


async def test_processes_share_window_without_429(redis_server: RedisServer) -> None:
    """Three processes on one key stay within each window and get no 429."""
    async with run_fake_api(
        members=seed_members(5),
        limit=8,
        window_seconds=1.0,
        reset_format="epoch_float",
    ) as server:
        workers = [
            await start_worker(server.base_url, redis_server.url, 10, 3, 1.0, 30.0)
            for _ in range(3)
        ]
        outputs = [await worker.communicate() for worker in workers]
        windows = server.api.window_stats()["alice"]

    results = [json.loads(stdout) for stdout, _ in outputs]
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    assert sum(result["succeeded"] for result in results) == 30
    assert all(result["shared"] == 1 for result in results)
    assert server.api.count_429 == 0
    assert max(stats.accepted for stats in windows) <= 8
    assert sum(stats.rejected for stats in windows) == 0


async def test_processes_killed_worker_budget_expires(
    redis_server: RedisServer,
) -> None:
    """A permit of a worker killed mid-request stops counting at its expiry."""
    arrived = asyncio.Event()
    hold = asyncio.Event()

    async def stall_first(request: web.Request) -> None:
        if not arrived.is_set():
            arrived.set()
            await hold.wait()

    async with run_fake_api(members=seed_members(5), limit=8) as server:
        server.api.on_request.append(stall_first)
        worker = await start_worker(server.base_url, redis_server.url, 1, 1, 60.0, 1.0)
        await arrived.wait()
        async with RedisRateLimiter(
            redis_server.url, key="alice", permit_ttl=1.0
        ) as limiter:
            held = await limiter.shared_state()
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
            # The worker's probe is the only permit, so nothing else may start
            # until it expires; the deadline bounds a broken expiry.
            loop = asyncio.get_running_loop()
            permit = await limiter.acquire(deadline=loop.time() + 20.0)
            limiter.release(permit, sent=False)
        hold.set()

    assert held.in_flight == 1
    assert worker.returncode == -signal.SIGKILL
    assert permit.local is None

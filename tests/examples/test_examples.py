"""Run the examples against the fake API, through the package's pytest plugin."""

from __future__ import annotations

import importlib.util
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp.test_utils import TestClient, TestServer

from influenceplanner_async import Client, MemberStatus
from influenceplanner_async.testing import FakeMember, seed_members

if TYPE_CHECKING:
    from types import ModuleType

    from influenceplanner_async.testing import ThreadedFakeAPI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_TRACK = "https://soundcloud.com/example/demo"
# Upper bound on waiting for a subprocess's output or exit, so that a hung
# example fails the test instead of hanging the suite.
PROCESS_TIMEOUT_SECONDS = 30.0


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def linked_user_ids(members: list[FakeMember]) -> set[str]:
    """Return the user ids of the LINKED members."""
    return {m.user_id for m in members if m.status == MemberStatus.LINKED}


def read_line(process: subprocess.Popen[str]) -> str:
    """Read one line of the process's stdout, failing after the timeout."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=PROCESS_TIMEOUT_SECONDS)
    assert ready, "The example printed nothing before the timeout."
    return process.stdout.readline()


async def test_web_service_shares_one_client(
    influenceplanner_env: dict[str, str], influenceplanner_fake_api: ThreadedFakeAPI
) -> None:
    """Every request uses the client opened at startup, closed at cleanup."""
    web_service = load_example("web_service")
    app = web_service.make_app()

    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        first = await http.get("/members", params={"limit": "3"})
        second = await http.get("/members", params={"limit": "2", "offset": "3"})
        invalid = await http.get("/members", params={"limit": "99"})
        created = await http.post(
            "/schedules",
            json={
                "types": ["REPOST"],
                "medias": [DEMO_TRACK],
                "targets": ["SOUNDCLOUD-USER-1234"],
            },
        )
        client: Client = app[web_service.CLIENT]
        assert not client.closed
        first_body = await first.json()
        second_body = await second.json()
        created_body = await created.json()

    assert first.status == 200
    assert len(first_body["members"]) == 3
    assert len(second_body["members"]) == 2
    assert invalid.status == 400
    assert created.status == 201
    assert created_body["schedules"] == [
        s.url for s in influenceplanner_fake_api.schedules
    ]
    assert client.closed
    assert client.stats.requests_sent == 3
    assert len(influenceplanner_fake_api.requests) == 3


@pytest.mark.influenceplanner_fake_api(members=seed_members(60, seed=4))
def test_bulk_job_schedules_every_linked_member(
    influenceplanner_env: dict[str, str], influenceplanner_fake_api: ThreadedFakeAPI
) -> None:
    """The bulk job targets each LINKED member once and prints each URL."""
    bulk = load_example("bulk_schedule")

    exit_code = bulk.main([DEMO_TRACK, "--batch-size", "7"])

    schedules = influenceplanner_fake_api.schedules
    expected = linked_user_ids(influenceplanner_fake_api.members)
    targeted = [target for schedule in schedules for target in schedule.targets]
    assert exit_code == 0
    assert sorted(targeted) == sorted(expected)
    assert all(len(schedule.targets) <= 7 for schedule in schedules)
    assert {schedule.media for schedule in schedules} == {DEMO_TRACK}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_poll_bot_stops_on_signal(
    influenceplanner_fake_api: ThreadedFakeAPI, stop_signal: signal.Signals
) -> None:
    """The bot polls, then exits 0 promptly on SIGTERM or SIGINT."""
    env = {**os.environ, **influenceplanner_fake_api.env, "POLL_INTERVAL": "600"}
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "poll_bot.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = read_line(process)
        process.send_signal(stop_signal)
        rest, errors = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert first == "poll 1: 25 members changed\n"
    assert process.returncode == 0, errors
    assert rest == "stopped after 1 polls\n"
    assert len(influenceplanner_fake_api.requests) == 1

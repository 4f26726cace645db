"""Tests of the pytest plugin, run by pytester as a user's project would.

Each pytest run inside a test takes one to two seconds, so the user's tests
are gathered into one generated project that runs once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

# A project without asyncio configuration runs pytest-asyncio in strict mode,
# so the generated async tests carry the asyncio marker.
INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
"""

USER_TESTS = """
import os
import socket
from urllib.parse import urlsplit

import pytest

from influenceplanner_async import (
    ActionType,
    Client,
    RetryPolicy,
    ScheduleSettings,
    ServerError,
)
from influenceplanner_async.testing import faults

PORTS = []


@pytest.mark.asyncio
async def test_flow(influenceplanner_fake_api):
    fake = influenceplanner_fake_api
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert (fake.username, fake.api_key) == ("alice", "ip-1234")
    fake.seed_members(7, seed=3)

    async with fake.client() as client:
        members = [member async for member in client.iter_members()]
        result = await client.create_schedule(
            types=[ActionType.REPOST],
            medias=["https://soundcloud.com/example/demo"],
            targets=[members[0].user_id],
            settings=ScheduleSettings(),
        )

    assert len(members) == 7
    assert [r.path for r in fake.requests] == [
        "/partner/v1/network/members",
        "/partner/v1/schedule/create",
    ]
    (schedule,) = fake.schedules
    assert schedule.schedule_id == result.schedule_ids[0]
    assert schedule.targets == (members[0].user_id,)


@pytest.mark.asyncio
async def test_faults(influenceplanner_fake_api):
    fake = influenceplanner_fake_api
    fake.push_fault(faults.status(503), times=2, path="/network/members")

    async with fake.client(retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(ServerError):
            await client.list_members()
        fake.clear_faults()
        page = await client.list_members(limit=2)

    assert [r.status for r in fake.requests] == [503, 200]
    assert page.size == 2
    added = fake.add_member()
    assert added in fake.members


@pytest.mark.influenceplanner_fake_api(limit=3, window_seconds=2.0, members=[])
def test_marker_options(influenceplanner_fake_api):
    assert influenceplanner_fake_api.api.limit == 3
    assert influenceplanner_fake_api.api.window_seconds == 2.0
    assert influenceplanner_fake_api.members == []


@pytest.mark.asyncio
async def test_client_fixture(influenceplanner_client, influenceplanner_fake_api):
    page = await influenceplanner_client.list_members(limit=5)
    assert page.size == 5
    assert len(influenceplanner_fake_api.requests) == 1


@pytest.mark.asyncio
async def test_env_fixture(influenceplanner_env):
    assert os.environ["INFLUENCEPLANNER_BASE_URL"] == influenceplanner_env[
        "INFLUENCEPLANNER_BASE_URL"
    ]
    async with Client.from_env() as client:
        page = await client.list_members(limit=1)
    assert page.size == 1


def test_serving(influenceplanner_fake_api):
    PORTS.append(urlsplit(influenceplanner_fake_api.base_url).port)


def test_stopped_after_test():
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", PORTS[0]), timeout=5).close()


def test_wrong_expectation(influenceplanner_fake_api):
    assert influenceplanner_fake_api.requests != []
"""

PASSING = (
    "test_flow",
    "test_faults",
    "test_marker_options",
    "test_client_fixture",
    "test_env_fixture",
    "test_serving",
    "test_stopped_after_test",
)


def test_plugin_fixtures_listed(pytester: pytest.Pytester) -> None:
    """The three fixtures are available without any import or conftest."""
    pytester.makeini(INI)

    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(["*influenceplanner_fake_api*"])
    result.stdout.fnmatch_lines(["*influenceplanner_env*"])
    result.stdout.fnmatch_lines(["*influenceplanner_client*"])


def test_plugin_user_project(pytester: pytest.Pytester) -> None:
    """A user's tests seed, script faults, read records and see failures."""
    pytester.makeini(INI)
    pytester.makepyfile(test_user=USER_TESTS)

    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-rA")

    for name in PASSING:
        result.stdout.fnmatch_lines([f"PASSED test_user.py::{name}"])
    result.stdout.fnmatch_lines(["FAILED test_user.py::test_wrong_expectation*"])
    result.assert_outcomes(passed=len(PASSING), failed=1)

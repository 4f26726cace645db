"""Tests of ``influenceplanner demo``, which runs once for the whole module."""

from __future__ import annotations

import math
import time

import attrs
import pytest
from click.testing import CliRunner, Result

from influenceplanner_async.cli import _demo, cli
from influenceplanner_async.cli._demo import group_targets
from influenceplanner_async.testing import FakePartnerAPI

# Generous, because the run takes about 5 s: two or three waits of up to one
# 3 s window each. A slow machine must not fail the test.
MAX_DEMO_SECONDS = 45.0


@attrs.define
class DemoRun:
    """Output of one demo run and the fake API that served it."""

    result: Result
    api: FakePartnerAPI
    seconds: float


@pytest.fixture(scope="module")
def demo_run() -> DemoRun:
    """Run the demo once, keeping the fake that it builds."""
    built: list[FakePartnerAPI] = []

    def build_and_keep() -> FakePartnerAPI:
        api = original_build()
        built.append(api)
        return api

    original_build = _demo.build_demo_api
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_demo, "build_demo_api", build_and_keep)
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["demo"])
        seconds = time.perf_counter() - started
    return DemoRun(result=result, api=built[0], seconds=seconds)


def test_demo_exits_zero_quickly(demo_run: DemoRun) -> None:
    """The demo succeeds well within a minute."""
    assert demo_run.result.exit_code == 0, demo_run.result.output
    assert demo_run.seconds < MAX_DEMO_SECONDS


def test_demo_prints_every_section(demo_run: DemoRun) -> None:
    """The output announces the fake and has every section."""
    output = demo_run.result.stdout
    assert "Started a fake Partner API at http://127.0.0.1:" in output
    assert "30 requests per 3 s window" in output
    for heading in (
        "Members by status",
        "Top 10 members by followers",
        "Schedules: REPOST + UNREPOST",
        "Schedules: LIKE + COMMENT",
        "Rate limit",
        "429 responses received",
        "Requests the fake API received",
    ):
        assert heading in output


def test_demo_waits_on_the_limit(demo_run: DemoRun) -> None:
    """More requests than two windows allow make the client wait, with no 429."""
    assert len(demo_run.api.requests) > 2 * demo_run.api.limit
    assert "The client waited for the next window" in demo_run.result.stdout
    assert demo_run.api.count_429 == 0


def test_demo_repost_request_follows_reference(demo_run: DemoRun) -> None:
    """The first schedule request carries every track and every LINKED member."""
    api = demo_run.api
    linked = [member.user_id for member in api.members if member.status == "LINKED"]
    first = next(r.json for r in api.requests if r.path.endswith("/schedule/create"))

    assert first["types"] == ["REPOST", "UNREPOST"]
    assert first["medias"][0] == "https://soundcloud.com/example/demo"
    assert sorted(first["medias"]) == sorted(api.tracks)
    assert sorted(first["targets"]) == sorted(linked)
    assert first["settings"] == {
        "date": "2026-01-30T21:00:00.000Z",
        "unrepostAfterHours": 24,
        "spreadBetweenAccountsMinutes": 60,
        "spreadBetweenTracksMinutes": 60,
    }
    assert first["comment"] is None
    assert first["removeDuplicates"] is True
    assert first["shuffle"] is True


def test_demo_comment_requests_take_three_targets(demo_run: DemoRun) -> None:
    """Commented schedules go out in groups of at most three LINKED members."""
    api = demo_run.api
    linked = {member.user_id for member in api.members if member.status == "LINKED"}
    bodies = [r.json for r in api.requests if r.path.endswith("/schedule/create")]
    commented = [body for body in bodies if body["comment"] is not None]

    assert len(commented) == math.ceil(len(linked) / 3)
    assert all(len(body["targets"]) <= 3 for body in commented)
    assert {t for body in commented for t in body["targets"]} == linked
    assert len(bodies) == len(commented) + 1


def test_demo_prints_every_schedule_url(demo_run: DemoRun) -> None:
    """Each schedule the fake created appears in the output."""
    for schedule in demo_run.api.schedules:
        assert schedule.url in demo_run.result.stdout


def test_group_targets_without_comment_is_one_group() -> None:
    """Without a comment all targets share one request."""
    assert group_targets(["a", "b", "c", "d"], comment=None) == [("a", "b", "c", "d")]


def test_group_targets_with_comment_splits_by_three() -> None:
    """With a comment targets are split into groups of at most three."""
    groups = group_targets(["a", "b", "c", "d", "e"], comment="hi")

    assert groups == [("a", "b", "c"), ("d", "e")]


def test_group_targets_empty() -> None:
    """No targets means no request."""
    assert group_targets([], comment="hi") == []

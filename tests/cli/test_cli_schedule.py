"""Tests of ``influenceplanner schedule create`` against a fake API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from influenceplanner_async.cli import cli

if TYPE_CHECKING:
    from click.testing import CliRunner

    from influenceplanner_async.testing import FakePartnerAPI

DEMO_TRACK = "https://soundcloud.com/example/demo"
SECOND_TRACK = "https://soundcloud.com/example/second-demo"


def test_schedule_create_prints_one_url_per_media(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """Every option reaches the request, and each schedule URL is printed."""
    arguments = [
        "schedule",
        "create",
        "--type",
        "REPOST",
        "--type",
        "unrepost",
        "--media",
        DEMO_TRACK,
        "--media",
        SECOND_TRACK,
        "--target",
        "SOUNDCLOUD-USER-1234",
        "--target",
        "SOUNDCLOUD-USER-4567",
        "--date",
        "2026-01-30T21:00Z",
        "--unrepost-after-hours",
        "24",
        "--spread-accounts",
        "60",
        "--spread-tracks",
        "45",
        "--remove-duplicates",
        "--shuffle",
    ]
    result = runner.invoke(cli, arguments, env=api_env)

    assert result.exit_code == 0, result.output
    urls = result.stdout.split()
    assert urls == [schedule.url for schedule in fake_api.schedules]
    assert [schedule.media for schedule in fake_api.schedules] == [
        DEMO_TRACK,
        SECOND_TRACK,
    ]
    body = fake_api.requests[0].json
    assert body["types"] == ["REPOST", "UNREPOST"]
    assert body["targets"] == ["SOUNDCLOUD-USER-1234", "SOUNDCLOUD-USER-4567"]
    assert body["settings"] == {
        "date": "2026-01-30T21:00:00.000Z",
        "unrepostAfterHours": 24,
        "spreadBetweenAccountsMinutes": 60,
        "spreadBetweenTracksMinutes": 45,
    }
    assert body["comment"] is None
    assert body["removeDuplicates"] is True
    assert body["shuffle"] is True


def test_schedule_create_sends_comment(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """A comment with three targets goes out, flags default to false."""
    arguments = ["schedule", "create", "--type", "LIKE", "--type", "COMMENT"]
    arguments += ["--media", DEMO_TRACK, "--comment", "Great track! 🔥"]
    for member in fake_api.members[:3]:
        arguments += ["--target", member.user_id]
    result = runner.invoke(cli, arguments, env=api_env)

    assert result.exit_code == 0, result.output
    assert len(result.stdout.split()) == 1
    body = fake_api.requests[0].json
    assert body["comment"] == "Great track! 🔥"
    assert body["removeDuplicates"] is False
    assert body["shuffle"] is False
    assert body["settings"] == {}


def test_schedule_comment_with_four_targets_is_usage_error(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """A comment for more than three targets exits 2 before any request."""
    arguments = ["schedule", "create", "--type", "COMMENT", "--media", DEMO_TRACK]
    arguments += ["--comment", "Nice"]
    for member in fake_api.members[:4]:
        arguments += ["--target", member.user_id]
    result = runner.invoke(cli, arguments, env=api_env)

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid comment=")
    assert "groups of 3" in result.stderr
    assert fake_api.requests == []


def test_schedule_unknown_media_exits_one(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """A media that the server rejects with 400 exits 1 with its message."""
    arguments = ["schedule", "create", "--type", "LIKE", "--target", "x"]
    arguments += ["--media", "https://soundcloud.com/example/missing"]
    result = runner.invoke(cli, arguments, env=api_env)

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: POST ")
    assert "HTTP 400" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert fake_api.schedules == []

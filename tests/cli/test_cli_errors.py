"""Tests of the command's failures: one line on stderr and the right exit code."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import AuthenticationError, ValidationError
from influenceplanner_async.cli import cli
from influenceplanner_async.cli._errors import describe_error, one_line

if TYPE_CHECKING:
    from click.testing import CliRunner, Result

    from influenceplanner_async.testing import FakeServer

WRONG_KEY = "ip-wrong-98765"


def assert_one_error_line(result: Result, exit_code: int) -> None:
    """Check the exit code and that stderr is one ``Error:`` line, no traceback."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_wrong_key_exits_one_without_key(
    runner: CliRunner, fake_server: FakeServer
) -> None:
    """A rejected API key gives one line and exit 1, and the key never shows."""
    env = {
        "INFLUENCEPLANNER_USERNAME": "alice",
        "INFLUENCEPLANNER_API_KEY": WRONG_KEY,
        "INFLUENCEPLANNER_BASE_URL": fake_server.base_url,
    }
    result = runner.invoke(cli, ["members"], env=env)

    assert_one_error_line(result, 1)
    assert "HTTP 401" in result.stderr
    assert "Check the username and API key" in result.stderr
    assert WRONG_KEY not in result.output


def test_unreachable_server_exits_one(runner: CliRunner, closed_port: int) -> None:
    """A port with no listener gives one line with a hint and exit 1."""
    env = {
        "INFLUENCEPLANNER_USERNAME": "alice",
        "INFLUENCEPLANNER_API_KEY": "ip-1234",
        "INFLUENCEPLANNER_BASE_URL": f"http://127.0.0.1:{closed_port}/partner/v1",
    }
    result = runner.invoke(cli, ["members"], env=env)

    assert_one_error_line(result, 1)
    assert "Cannot connect" in result.stderr
    assert "--base-url" in result.stderr
    assert "ip-1234" not in result.output


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param("INFLUENCEPLANNER_USERNAME", id="username"),
        pytest.param("INFLUENCEPLANNER_API_KEY", id="api-key"),
    ],
)
def test_missing_variable_is_usage_error(runner: CliRunner, missing: str) -> None:
    """A missing credential variable gives one line naming it and exit 2."""
    env = {
        "INFLUENCEPLANNER_USERNAME": "alice",
        "INFLUENCEPLANNER_API_KEY": "ip-1234",
    }
    del env[missing]
    result = runner.invoke(cli, ["members"], env=env)

    assert_one_error_line(result, 2)
    assert missing in result.stderr
    assert "ip-1234" not in result.output


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param(["members", "--sort", "name"], id="sort-field"),
        pytest.param(["members", "--sort", "followers:up"], id="sort-direction"),
        pytest.param(["members", "--format", "xml"], id="format"),
        pytest.param(["members", "--limit", "0"], id="limit"),
        pytest.param(["members", "--bogus"], id="unknown-option"),
        pytest.param(["members", "--base-url", "not-a-url"], id="base-url"),
        pytest.param(["nothing"], id="unknown-command"),
        pytest.param(["schedule", "create", "--type", "LIKE"], id="missing-media"),
        pytest.param(
            ["schedule", "create", "--type", "SHARE", "--media", "m", "--target", "t"],
            id="type",
        ),
        pytest.param(
            ["schedule", "create", "--type", "LIKE", "--media", "m", "--target", "t"],
            id="media-not-https",
        ),
        pytest.param(
            [
                "schedule",
                "create",
                "--type",
                "LIKE",
                "--media",
                "https://soundcloud.com/example/demo",
                "--target",
                "t",
                "--date",
                "2026-01-30T21:00",
            ],
            id="naive-date",
        ),
        pytest.param(
            [
                "schedule",
                "create",
                "--type",
                "UNREPOST",
                "--media",
                "https://soundcloud.com/example/demo",
                "--target",
                "t",
            ],
            id="unrepost-without-hours",
        ),
    ],
)
def test_bad_arguments_exit_two(
    runner: CliRunner, arguments: list[str], closed_port: int
) -> None:
    """Invalid arguments give one line and exit 2, before any connection."""
    env = {
        "INFLUENCEPLANNER_USERNAME": "alice",
        "INFLUENCEPLANNER_API_KEY": "ip-1234",
        "INFLUENCEPLANNER_BASE_URL": f"http://127.0.0.1:{closed_port}/partner/v1",
    }
    result = runner.invoke(cli, arguments, env=env)

    assert_one_error_line(result, 2)


def test_fake_server_port_in_use_exits_one(runner: CliRunner) -> None:
    """fake-server on a port that is already bound gives one line and exit 1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = runner.invoke(cli, ["fake-server", "--port", str(port)])

    assert_one_error_line(result, 1)
    assert f"127.0.0.1:{port}" in result.stderr


def test_help_exits_zero(runner: CliRunner) -> None:
    """--help prints the commands and exits 0."""
    result = runner.invoke(cli, ["--help"])

    assert result.exit_code == 0
    for command in ("demo", "members", "schedule", "fake-server"):
        assert command in result.stdout


def test_describe_error_masks_key_and_joins_lines() -> None:
    """The message loses its line breaks and any copy of the API key."""
    error = AuthenticationError(
        status=401,
        method="GET",
        url="http://127.0.0.1/partner/v1/network/members",
        message=f"bad key {WRONG_KEY}\nsecond line",
    )
    failure = describe_error(error, {"INFLUENCEPLANNER_API_KEY": WRONG_KEY})

    assert failure.exit_code == 1
    assert WRONG_KEY not in failure.message
    assert "\n" not in failure.message
    assert "bad key <hidden> second line" in failure.message


def test_describe_error_validation_is_usage() -> None:
    """A ValidationError maps to exit code 2."""
    error = ValidationError("limit", 0, "must be at least 1")

    assert describe_error(error, {}).exit_code == 2


def test_one_line_without_key_keeps_text() -> None:
    """With no API key set, only the whitespace changes."""
    assert one_line("a\n  b\tc", {}) == "a b c"

"""Tests of the estimate that ``influenceplanner members`` prints before a scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from influenceplanner_async.cli import cli
from influenceplanner_async.testing import FakePartnerAPI, seed_members

if TYPE_CHECKING:
    from click.testing import CliRunner

# Two requests per 0.2 s window: a scan of three pages spans two windows.
WINDOW_SECONDS = 0.2


@pytest.fixture
def fake_api() -> FakePartnerAPI:
    """Return a fake with 60 members whose window allows two requests."""
    return FakePartnerAPI(
        members=seed_members(60, seed=1),
        limit=2,
        window_seconds=WINDOW_SECONDS,
        reset_format="epoch_float",
    )


def test_members_prints_estimate_before_long_scan(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """A scan that needs more than one window is estimated on stderr first."""
    result = runner.invoke(
        cli,
        ["members", "--format", "jsonl", "--window", str(WINDOW_SECONDS)],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    assert "Scan: 60 members in 3 pages of 25, over 2 rate-limit windows" in (
        result.stderr
    )
    assert len(result.stdout.splitlines()) == 60
    assert fake_api.count_429 == 0


def test_members_limit_skips_estimate(
    runner: CliRunner, api_env: dict[str, str]
) -> None:
    """With --limit the scan is short, so no estimate is printed."""
    result = runner.invoke(
        cli,
        ["members", "--format", "jsonl", "--limit", "3", "--window", "0.2"],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    assert result.stderr == ""

"""Tests of ``influenceplanner schedule bulk`` against a fake API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from influenceplanner_async.cli import cli
from influenceplanner_async.testing import faults

if TYPE_CHECKING:
    from pathlib import Path

    from click.testing import CliRunner

    from influenceplanner_async.testing import FakePartnerAPI

TRACKS = (
    "https://soundcloud.com/example/demo",
    "https://soundcloud.com/example/second-demo",
)


def write_csv(path: Path, api: FakePartnerAPI, *, target_count: int = 4) -> Path:
    """Write a CSV asking for every track for the first members of the fake."""
    targets = [member.user_id for member in api.members[:target_count]]
    rows = ["media,target,types,unrepost_after_hours,shuffle"]
    rows += [f"{t},{u},REPOST|UNREPOST,24,yes" for t in TRACKS for u in targets]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_bulk_creates_and_summarizes(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_api: FakePartnerAPI,
    tmp_path: Path,
) -> None:
    """Eight rows become one request, and the summary counts them."""
    csv_file = write_csv(tmp_path / "jobs.csv", fake_api)
    journal = tmp_path / "jobs.journal"

    result = runner.invoke(
        cli,
        ["schedule", "bulk", str(csv_file), "--journal", str(journal)],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    assert "requests sent: 1." in result.stdout
    assert "Created:  8" in result.stdout
    assert len(fake_api.schedules) == len(TRACKS)
    assert journal.exists()


def test_bulk_resume_skips_created(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_api: FakePartnerAPI,
    tmp_path: Path,
) -> None:
    """A second run with the same journal sends nothing."""
    csv_file = write_csv(tmp_path / "jobs.csv", fake_api)
    arguments = ["schedule", "bulk", str(csv_file), "--journal", str(tmp_path / "j")]
    runner.invoke(cli, arguments, env=api_env)

    result = runner.invoke(cli, arguments, env=api_env)

    assert result.exit_code == 0, result.output
    assert "requests sent: 0." in result.stdout
    assert "Skipped:  8" in result.stdout
    assert len(fake_api.schedules) == len(TRACKS)


def test_bulk_unknown_outcome_exits_one(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_api: FakePartnerAPI,
    tmp_path: Path,
) -> None:
    """A 500 leaves the request unknown: listed, exit 1, and not resent."""
    csv_file = write_csv(tmp_path / "jobs.csv", fake_api)
    arguments = ["schedule", "bulk", str(csv_file), "--journal", str(tmp_path / "j")]
    fake_api.faults.push(faults.status(500), path="/schedule/create")

    first = runner.invoke(cli, arguments, env=api_env)
    second = runner.invoke(cli, arguments, env=api_env)

    assert first.exit_code == 1
    assert "Unknown:  8" in first.stdout
    assert "Unknown outcome of request" in first.stderr
    assert second.exit_code == 1
    assert "requests sent: 0." in second.stdout
    assert "check the schedule calendar" in second.stderr
    posts = [r for r in fake_api.requests if r.path.endswith("/schedule/create")]
    assert len(posts) == 1


def test_bulk_bad_row_sends_nothing(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_api: FakePartnerAPI,
    tmp_path: Path,
) -> None:
    """A bad cell is a usage error naming line and column; nothing is sent."""
    csv_file = tmp_path / "jobs.csv"
    csv_file.write_text(
        f"media,target,types,date\n{TRACKS[0]},U1,REPOST,\n"
        f"{TRACKS[0]},U2,REPOST,next friday\n",
        encoding="utf-8",
    )

    result = runner.invoke(
        cli,
        ["schedule", "bulk", str(csv_file), "--journal", str(tmp_path / "j")],
        env=api_env,
    )

    assert result.exit_code == 2
    assert "line 3, column 'date'" in result.stderr
    assert not fake_api.requests


def test_bulk_dry_run_prints_plan(
    runner: CliRunner, fake_api: FakePartnerAPI, tmp_path: Path
) -> None:
    """--dry-run prints the number of requests and needs no credentials."""
    csv_file = write_csv(tmp_path / "jobs.csv", fake_api, target_count=5)

    result = runner.invoke(
        cli,
        [
            "schedule",
            "bulk",
            str(csv_file),
            "--journal",
            str(tmp_path / "j"),
            "--dry-run",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "10 rows would be sent in 1 request." in result.stdout

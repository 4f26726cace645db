"""Tests of ``influenceplanner members export`` against a fake API."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async.cli import cli
from influenceplanner_async.cli._output import MEMBER_FIELDS
from influenceplanner_async.testing import FakePartnerAPI, seed_members

if TYPE_CHECKING:
    from pathlib import Path

    from click.testing import CliRunner

LONE_HIGH = "Lone \ud83c half"
LONE_LOW = "\udfa7 low half"
EMOJI = "DJ 🎧 pair 🔥"


@pytest.fixture
def fake_api() -> FakePartnerAPI:
    """Return a fake whose names include emoji and unpaired surrogates.

    ``ensure_ascii`` makes the fake send every non-ASCII character as a JSON
    escape, which is the only way JSON can carry half of a surrogate pair.
    """
    members = seed_members(60, seed=3)
    members[2].name = LONE_HIGH
    members[3].name = EMOJI
    members[4].name = LONE_LOW
    return FakePartnerAPI(members=members, limit=1000, ensure_ascii=True)


def test_export_jsonl_keeps_odd_names_exactly(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_api: FakePartnerAPI,
    tmp_path: Path,
) -> None:
    """JSONL escapes unpaired surrogates, so every name decodes unchanged."""
    output = tmp_path / "members.jsonl"
    result = runner.invoke(
        cli,
        ["members", "export", "--format", "jsonl", "--output", str(output)],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    text = output.read_bytes().decode("utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 60
    assert all(tuple(record) == MEMBER_FIELDS for record in records)
    names = {record["name"] for record in records}
    assert names == {member.name for member in fake_api.members}
    assert LONE_HIGH in names
    assert LONE_LOW in names
    assert "🎧" in text


def test_export_csv_replaces_unpaired_surrogates(
    runner: CliRunner, api_env: dict[str, str], tmp_path: Path
) -> None:
    """CSV writes U+FFFD for an unpaired surrogate and keeps emoji as they are."""
    output = tmp_path / "members.csv"
    result = runner.invoke(
        cli,
        ["members", "export", "--format", "csv", "--output", str(output)],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    with output.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    names = {row["name"] for row in rows}
    assert len(rows) == 60
    assert EMOJI in names
    assert "Lone \ufffd half" in names
    assert "\ufffd low half" in names


def test_export_reports_estimate_and_count(
    runner: CliRunner, api_env: dict[str, str], tmp_path: Path
) -> None:
    """The command prints the scan's estimate and the number of members written."""
    output = tmp_path / "members.csv"
    result = runner.invoke(
        cli,
        ["members", "export", "--format", "csv", "--output", str(output)],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    assert "Scan: 60 members in 3 pages of 25" in result.stderr
    assert "Wrote 60 members" in result.stderr
    assert result.stdout == ""


def test_export_resumes_from_start_offset(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_api: FakePartnerAPI,
    tmp_path: Path,
) -> None:
    """--start-offset skips the members before that list position."""
    output = tmp_path / "rest.jsonl"
    result = runner.invoke(
        cli,
        [
            "members",
            "export",
            "--format",
            "jsonl",
            "--output",
            str(output),
            "--start-offset",
            "50",
        ],
        env=api_env,
    )

    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    created_order = sorted(
        fake_api.members, key=lambda m: (m.created_at, m.membership_id)
    )
    expected = [member.membership_id for member in created_order[50:]]
    assert [json.loads(line)["membership_id"] for line in lines] == expected


def test_export_rejects_sort_with_stable(
    runner: CliRunner, api_env: dict[str, str], tmp_path: Path
) -> None:
    """--sort needs --no-stable, because a stable scan has its own order."""
    result = runner.invoke(
        cli,
        [
            "members",
            "export",
            "--format",
            "csv",
            "--output",
            str(tmp_path / "x.csv"),
            "--sort",
            "followers",
        ],
        env=api_env,
    )

    assert result.exit_code == 2
    assert "--no-stable" in result.stderr


def test_members_table_replaces_unpaired_surrogates(
    runner: CliRunner, api_env: dict[str, str]
) -> None:
    """The table writes U+FFFD for an unpaired surrogate, which UTF-8 cannot encode."""
    result = runner.invoke(cli, ["members", "--search", "half"], env=api_env)

    assert result.exit_code == 0, result.output
    assert "Lone \ufffd half" in result.output
    assert "\ufffd low half" in result.output

"""Tests of ``influenceplanner members`` against a fake API."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from influenceplanner_async.cli import cli
from influenceplanner_async.cli._output import MEMBER_FIELDS

if TYPE_CHECKING:
    from click.testing import CliRunner

    from influenceplanner_async.testing import FakePartnerAPI, FakeServer


def test_members_table_lists_every_member(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """The table format prints the documented examples and the member count."""
    result = runner.invoke(cli, ["members"], env=api_env)

    assert result.exit_code == 0, result.output
    assert "John Doe" in result.stdout
    assert "Jane Doe" in result.stdout
    assert "SOUNDCLOUD-USER-1234" in result.stdout
    assert f"{len(fake_api.members)} members" in result.stdout
    assert result.stderr == ""


def test_members_csv_round_trips_names(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """The CSV format has the header and one row per member, names intact."""
    result = runner.invoke(cli, ["members", "--format", "csv"], env=api_env)

    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == MEMBER_FIELDS
    assert len(rows) == len(fake_api.members)
    assert {row["name"] for row in rows} == {m.name for m in fake_api.members}
    assert {row["user_id"] for row in rows} == {m.user_id for m in fake_api.members}


def test_members_jsonl_has_one_object_per_line(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """The JSON Lines format writes one complete member object per line."""
    result = runner.invoke(cli, ["members", "--format", "jsonl"], env=api_env)

    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(fake_api.members)
    assert all(tuple(record) == MEMBER_FIELDS for record in records)
    john = next(record for record in records if record["name"] == "John Doe")
    assert john["membership_id"] == 61400
    assert john["status"] == "LINKED"
    assert john["followers"] == 9800
    assert john["updated_at"] == "2025-07-01T22:24:44Z"


def test_members_limit_stops_early(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """--limit prints N members and requests no more than N from the server."""
    result = runner.invoke(
        cli, ["members", "--format", "jsonl", "--limit", "7"], env=api_env
    )

    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 7
    assert len(fake_api.requests) == 1
    assert fake_api.requests[0].query["limit"] == "7"


def test_members_sort_sends_field_and_direction(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """--sort followers:asc sorts by followers and sends sortBy and sortDir."""
    result = runner.invoke(
        cli, ["members", "--format", "jsonl", "--sort", "followers:asc"], env=api_env
    )

    assert result.exit_code == 0, result.output
    followers = [json.loads(line)["followers"] for line in result.stdout.splitlines()]
    assert followers == sorted(followers)
    assert fake_api.requests[0].query["sortBy"] == "FOLLOWERS"
    assert fake_api.requests[0].query["sortDir"] == "ASC"


def test_members_sort_without_direction(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """--sort status sends sortBy and leaves the direction to the server."""
    result = runner.invoke(
        cli, ["members", "--format", "jsonl", "--sort", "STATUS"], env=api_env
    )

    assert result.exit_code == 0, result.output
    assert fake_api.requests[0].query["sortBy"] == "STATUS"
    assert "sortDir" not in fake_api.requests[0].query


def test_members_search_filters_by_name(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI
) -> None:
    """--search sends searchTerm and prints only the matching members."""
    result = runner.invoke(
        cli, ["members", "--format", "csv", "--search", "doe"], env=api_env
    )

    assert result.exit_code == 0, result.output
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert sorted(names) == ["Jane Doe", "John Doe"]
    assert fake_api.requests[0].query["searchTerm"] == "doe"


def test_members_base_url_option_wins(
    runner: CliRunner,
    api_env: dict[str, str],
    fake_server: FakeServer,
    closed_port: int,
) -> None:
    """--base-url replaces INFLUENCEPLANNER_BASE_URL."""
    env = {
        **api_env,
        "INFLUENCEPLANNER_BASE_URL": f"http://127.0.0.1:{closed_port}/partner/v1",
    }
    result = runner.invoke(
        cli,
        ["members", "--format", "jsonl", "--base-url", fake_server.base_url],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(fake_server.api.members)

"""Tests of ``influenceplanner members --cache-ttl`` against a fake API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from influenceplanner_async.cli import cli
from influenceplanner_async.cli._members import default_cache_dir

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from click.testing import CliRunner

    from influenceplanner_async.testing import FakePartnerAPI


def test_members_cache_ttl_reuses_pages(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI, tmp_path: Path
) -> None:
    """A second run within --cache-ttl prints the same members without requests."""
    arguments = ["members", "--format", "jsonl", "--cache-ttl", "300"]
    arguments += ["--cache-dir", str(tmp_path / "cache")]

    first = runner.invoke(cli, arguments, env=api_env)
    requests_after_first = len(fake_api.requests)
    second = runner.invoke(cli, arguments, env=api_env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert second.stdout == first.stdout
    assert requests_after_first == 3
    assert len(fake_api.requests) == requests_after_first


def test_members_without_cache_ttl_sends_requests(
    runner: CliRunner, api_env: dict[str, str], fake_api: FakePartnerAPI, tmp_path: Path
) -> None:
    """A run without --cache-ttl ignores the cache that an earlier run left."""
    cache_dir = str(tmp_path / "cache")
    cached = ["members", "--cache-ttl", "300", "--cache-dir", cache_dir]

    runner.invoke(cli, cached, env=api_env)
    result = runner.invoke(cli, ["members", "--cache-dir", cache_dir], env=api_env)

    assert result.exit_code == 0, result.output
    assert len(fake_api.requests) == 6


def test_members_cache_ttl_rejects_zero(runner: CliRunner) -> None:
    """--cache-ttl 0 is a usage error that names the option."""
    result = runner.invoke(cli, ["members", "--cache-ttl", "0"])

    assert result.exit_code == 2
    assert "--cache-ttl" in result.stderr


def test_default_cache_dir_follows_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The default cache folder is inside $XDG_CACHE_HOME when it is set."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert default_cache_dir() == tmp_path / "influenceplanner"

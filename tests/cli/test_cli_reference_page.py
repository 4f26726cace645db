"""The documentation's CLI reference names every command and option."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from influenceplanner_async.cli import cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def iter_commands(
    group: click.Command, path: str = "influenceplanner"
) -> list[tuple[str, click.Command]]:
    """Return every command under ``group`` with its full name."""
    found = [(path, group)]
    if isinstance(group, click.Group):
        for name, command in sorted(group.commands.items()):
            found.extend(iter_commands(command, f"{path} {name}"))
    return found


@pytest.mark.parametrize(("path", "command"), iter_commands(cli))
def test_cli_page_lists_options(path: str, command: click.Command) -> None:
    """Each command and each of its long options appears on the CLI page."""
    text = PAGE.read_text(encoding="utf-8")
    options = [
        name
        for parameter in command.params
        if isinstance(parameter, click.Option)
        for name in parameter.opts
        if name.startswith("--")
    ]

    if not isinstance(command, click.Group) or path == "influenceplanner":
        assert f"`{path}`" in text
    for option in options:
        assert f"`{option}" in text, f"{option} of {path} is missing"

"""Tests of reading schedule items from CSV files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    ActionType,
    ScheduleFileError,
    ValidationError,
    read_schedule_items,
)

if TYPE_CHECKING:
    from pathlib import Path

TRACK = "https://soundcloud.com/example/demo"


def write(tmp_path: Path, text: str) -> Path:
    """Write ``text`` to a CSV file and return its path."""
    path = tmp_path / "schedules.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_reads_every_column(tmp_path: Path) -> None:
    """Each column reaches the item's options."""
    path = write(
        tmp_path,
        "Media,target,types,date,unrepost_after_hours,"
        "spread_between_accounts_minutes,spread_between_tracks_minutes,"
        "comment,remove_duplicates,shuffle\n"
        f"{TRACK},U1,REPOST|UNREPOST|COMMENT,2026-01-30T21:00Z,24,5,7,Nice,yes,1\n",
    )

    (item,) = read_schedule_items(path)

    assert item.media == TRACK
    assert item.target == "U1"
    options = item.options
    assert options.types == (ActionType.REPOST, ActionType.UNREPOST, ActionType.COMMENT)
    assert options.settings.date == datetime(2026, 1, 30, 21, tzinfo=UTC)
    assert options.settings.unrepost_after_hours == 24
    assert options.settings.spread_between_accounts_minutes == 5
    assert options.settings.spread_between_tracks_minutes == 7
    assert options.comment == "Nice"
    assert options.remove_duplicates is True
    assert options.shuffle is True


def test_csv_defaults_for_empty_cells(tmp_path: Path) -> None:
    """Empty optional cells take the defaults and blank rows are skipped."""
    path = write(
        tmp_path, f"media,target,types,comment,shuffle\n{TRACK},U1,like,,\n,,,,\n"
    )

    (item,) = read_schedule_items(path)

    assert item.options.types == (ActionType.LIKE,)
    assert item.options.comment is None
    assert item.options.shuffle is False


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        pytest.param(f"{TRACK},U1,REPOST,tomorrow", "date", "ISO 8601", id="date"),
        pytest.param(
            f"{TRACK},U1,REPOST,2026-01-30T21:00", "date", "time zone", id="naive"
        ),
        pytest.param(f"{TRACK},U1,SHARE,", "types", "must be one of", id="type"),
        pytest.param("http://x.example/t,U1,REPOST,", "media", "https", id="media"),
        pytest.param(f"{TRACK},,REPOST,", "target", "required", id="target"),
        pytest.param(
            f"{TRACK},U1,UNREPOST,", "unrepost_after_hours", "required", id="unrepost"
        ),
    ],
)
def test_csv_error_names_line_and_column(
    tmp_path: Path, row: str, column: str, fragment: str
) -> None:
    """A bad cell raises ScheduleFileError with its line and column."""
    path = write(tmp_path, f"media,target,types,date\n{TRACK},U0,REPOST,\n{row}\n")

    with pytest.raises(ScheduleFileError) as caught:
        read_schedule_items(path)

    assert caught.value.line == 3
    assert caught.value.column == column
    assert fragment in str(caught.value)
    assert "line 3" in str(caught.value)


def test_csv_unknown_column_is_rejected(tmp_path: Path) -> None:
    """A misspelt column fails on line 1 and lists the allowed ones."""
    path = write(tmp_path, f"media,target,types,comentt\n{TRACK},U1,REPOST,x\n")

    with pytest.raises(ScheduleFileError) as caught:
        read_schedule_items(path)

    assert caught.value.line == 1
    assert caught.value.column == "comentt"


def test_csv_missing_required_column(tmp_path: Path) -> None:
    """A header without types fails and names the missing column."""
    path = write(tmp_path, f"media,target\n{TRACK},U1\n")

    with pytest.raises(ScheduleFileError, match="missing required columns: types"):
        read_schedule_items(path)


def test_csv_collects_several_problems(tmp_path: Path) -> None:
    """Every bad row is listed, and the error is a ValidationError."""
    path = write(tmp_path, f"media,target,types\n{TRACK},U1,NOPE\n{TRACK},U2\n")

    with pytest.raises(ValidationError) as caught:
        read_schedule_items(path)

    assert isinstance(caught.value, ScheduleFileError)
    assert [problem[0] for problem in caught.value.problems] == [2, 3]


def test_csv_quoted_cell_spanning_lines(tmp_path: Path) -> None:
    """A comment with a newline keeps later line numbers right."""
    path = write(
        tmp_path,
        f'media,target,types,comment\n{TRACK},U1,COMMENT,"two\nlines"\n'
        f"{TRACK},U2,BAD,\n",
    )

    with pytest.raises(ScheduleFileError) as caught:
        read_schedule_items(path)

    assert caught.value.line == 4


def test_csv_not_utf8_names_line(tmp_path: Path) -> None:
    """A file that is not UTF-8 raises ScheduleFileError naming the line."""
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"media,target,types\nhttps://soundcloud.com/a,caf\xe9,LIKE\n")

    with pytest.raises(ScheduleFileError) as caught:
        read_schedule_items(path)

    assert "line 2" in str(caught.value)
    assert "not UTF-8" in str(caught.value)

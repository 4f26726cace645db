"""Reading schedule items from a CSV file, with errors that name the cell."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from typing import TYPE_CHECKING

from ._bulk_plan import ScheduleItem, ScheduleOptions
from ._errors import ScheduleFileError, ValidationError
from ._models import ScheduleSettings
from ._validation import check_schedule_args

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["CSV_COLUMNS", "REQUIRED_CSV_COLUMNS", "read_schedule_items"]

REQUIRED_CSV_COLUMNS = ("media", "target", "types")
_SETTINGS_COLUMNS = (
    "unrepost_after_hours",
    "spread_between_accounts_minutes",
    "spread_between_tracks_minutes",
)
CSV_COLUMNS = (
    *REQUIRED_CSV_COLUMNS,
    "date",
    *_SETTINGS_COLUMNS,
    "comment",
    "remove_duplicates",
    "shuffle",
)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0", ""})
# Enough problems to fix a file in one pass without flooding the terminal.
_MAX_PROBLEMS = 20
# Where each argument of check_schedule_args comes from in a row.
_ARGUMENT_COLUMNS = {
    "types": "types",
    "medias": "media",
    "targets": "target",
    "comment": "comment",
    "settings.date": "date",
    **{f"settings.{name}": name for name in _SETTINGS_COLUMNS},
}

Problem = tuple[int, str | None, str]


class _CellError(Exception):
    """A problem with one cell, turned into a ``ScheduleFileError`` problem."""

    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = message
        super().__init__(message)


def read_schedule_items(path: str | os.PathLike[str]) -> list[ScheduleItem]:
    """Read one schedule item per row of a CSV file.

    The header names the columns, in any order and case: ``media``,
    ``target`` and ``types`` are required; ``date``, ``unrepost_after_hours``,
    ``spread_between_accounts_minutes``, ``spread_between_tracks_minutes``,
    ``comment``, ``remove_duplicates`` and ``shuffle`` are optional, and an
    empty cell takes the default. ``types`` lists action types separated by
    ``|`` or spaces, such as ``REPOST|UNREPOST``. ``date`` is ISO 8601 with a
    time zone. The flags take ``true``/``false``, ``yes``/``no`` or ``1``/``0``.
    Rows with every cell empty are skipped.

    Raises:
        ScheduleFileError: A header or row is invalid. It lists up to 20
            problems, each with its line and column.
        OSError: The file cannot be read.
    """
    name = os.fspath(path)
    with open(name, "rb") as binary:
        raw = binary.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        reason = f"the file is not UTF-8 text (byte {error.start}); save it as UTF-8"
        raise ScheduleFileError(name, [(line, None, reason)]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ScheduleFileError(name, [(1, None, "the file is empty")]) from None
    columns = _check_header(name, header)
    return _read_rows(name, reader, columns)


def _check_header(name: str, header: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in header]
    problems: list[Problem] = []
    for column in columns:
        if column not in CSV_COLUMNS:
            allowed = ", ".join(CSV_COLUMNS)
            problems.append((1, column, f"unknown column; the columns are {allowed}"))
        elif columns.count(column) > 1:
            problems.append((1, column, "the column appears more than once"))
    missing = [column for column in REQUIRED_CSV_COLUMNS if column not in columns]
    if missing:
        problems.append((1, None, f"missing required columns: {', '.join(missing)}"))
    if problems:
        raise ScheduleFileError(name, problems)
    return columns


def _read_rows(
    name: str, reader: Iterable[list[str]], columns: list[str]
) -> list[ScheduleItem]:
    items: list[ScheduleItem] = []
    problems: list[Problem] = []
    line = 1
    for row in reader:
        # csv.reader counts physical lines, and a quoted cell may span several.
        line = getattr(reader, "line_num", line + 1)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            message = f"expected {len(columns)} cells, found {len(row)}"
            problems.append((line, None, message))
        else:
            try:
                items.append(_parse_row(dict(zip(columns, row, strict=True))))
            except _CellError as error:
                problems.append((line, error.column, error.message))
        if len(problems) >= _MAX_PROBLEMS:
            break
    if problems:
        raise ScheduleFileError(name, problems)
    return items


def _parse_row(cells: dict[str, str]) -> ScheduleItem:
    for column in REQUIRED_CSV_COLUMNS:
        if not cells[column].strip():
            raise _CellError(column, "the cell is empty but the column is required")
    settings = ScheduleSettings(
        date=_parse_date(cells.get("date", "")),
        **{column: _parse_count(cells, column) for column in _SETTINGS_COLUMNS},
    )
    comment = cells.get("comment", "")
    types = cells["types"].replace("|", " ").split()
    try:
        options = ScheduleOptions(
            types=types,
            settings=settings,
            comment=comment if comment.strip() else None,
            remove_duplicates=_parse_flag(cells, "remove_duplicates"),
            shuffle=_parse_flag(cells, "shuffle"),
        )
        media, target = cells["media"].strip(), cells["target"].strip()
        check_schedule_args(
            types=options.types,
            medias=[media],
            targets=[target],
            settings=options.settings,
            comment=options.comment,
        )
    except ValidationError as error:
        column = _ARGUMENT_COLUMNS.get(error.argument, error.argument)
        # A missing value has no text to quote, so the rule alone states what to add.
        if error.value is None:
            detail = f"a value {error.rule}"
        else:
            detail = f"{error.value!r} {error.rule}"
        raise _CellError(column, detail) from error
    return ScheduleItem(media=media, target=target, options=options)


def _parse_date(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = f"{text!r} is not an ISO 8601 timestamp such as 2026-01-30T21:00Z"
        raise _CellError("date", message) from None
    if moment.utcoffset() is None:
        message = f"{text!r} has no time zone; add Z for UTC or an offset"
        raise _CellError("date", message)
    return moment


def _parse_count(cells: dict[str, str], column: str) -> int | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        message = f"{text!r} is not a whole number of 0 or more"
        raise _CellError(column, message)
    return int(text)


def _parse_flag(cells: dict[str, str], column: str) -> bool:
    text = cells.get(column, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    message = f"{text!r} is not a flag; use true or false"
    raise _CellError(column, message)

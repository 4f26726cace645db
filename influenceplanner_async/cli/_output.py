"""Rendering of members as a rich table, CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
from datetime import UTC
from typing import TYPE_CHECKING, Protocol

from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import TextIO

    from rich.console import Console

    from influenceplanner_async import NetworkMember

__all__ = [
    "FORMATS",
    "MEMBER_FIELDS",
    "CsvWriter",
    "JsonLinesWriter",
    "MemberWriter",
    "TableWriter",
    "format_timestamp",
    "member_record",
    "member_table",
    "open_writer",
    "replace_lone_surrogates",
]

FORMATS = ("table", "csv", "jsonl")
MEMBER_FIELDS = (
    "membership_id",
    "status",
    "user_id",
    "name",
    "followers",
    "updated_at",
    "profile_url",
    "image_url",
)


class MemberWriter(Protocol):
    """Destination of a member listing, fed one member at a time."""

    def add(self, member: NetworkMember) -> None:
        """Write or collect one member."""

    def close(self) -> None:
        """Finish the output after the last member."""


def format_timestamp(member: NetworkMember) -> str:
    """Return the member's ``updated_at`` as ISO 8601 in UTC with a ``Z``.

    A time that has no UTC equivalent in the datetime range keeps its offset.
    """
    try:
        utc = member.updated_at.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        # A time within a day of year 1 or 9999 may have no UTC equivalent
        # in the datetime range: keep its own offset.
        return member.updated_at.isoformat(timespec="seconds")
    return utc.isoformat(timespec="seconds") + "Z"


def member_record(member: NetworkMember) -> dict[str, str | int]:
    """Return the member's fields, in ``MEMBER_FIELDS`` order, as plain values."""
    return {
        "membership_id": member.membership_id,
        "status": str(member.status),
        "user_id": member.user_id,
        "name": member.name,
        "followers": member.followers,
        "updated_at": format_timestamp(member),
        "profile_url": member.profile_url,
        "image_url": member.image_url,
    }


def member_table(members: Iterable[NetworkMember], *, title: str | None) -> Table:
    """Build a rich table of members without the URLs and ``updated_at``."""
    table = Table(title=title)
    # The columns fit 80 characters. Identifiers stay whole, so that they can
    # be copied, and the name wraps instead.
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("User ID", no_wrap=True)
    table.add_column("Name", min_width=10)
    table.add_column("Followers", justify="right", no_wrap=True)
    # A terminal takes UTF-8, which has no code for an unpaired surrogate.
    for member in members:
        table.add_row(
            str(member.membership_id),
            replace_lone_surrogates(str(member.status)),
            replace_lone_surrogates(member.user_id),
            replace_lone_surrogates(member.name),
            f"{member.followers:,}",
        )
    return table


def replace_lone_surrogates(text: str) -> str:
    """Replace each unpaired UTF-16 surrogate in ``text`` with U+FFFD.

    JSON may carry half of a surrogate pair (``"\\ud83c"``), which Python
    decodes to a string that no UTF-8 stream can encode. Pairs split into
    two code points are joined back into one character.
    """
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class CsvWriter:
    """Writes a header row, then one row per member as it arrives.

    CSV has no escape for an unpaired surrogate in a name, so such a row is
    written with U+FFFD in its place.
    """

    def __init__(self, stream: TextIO, *, flush_each: bool = True) -> None:
        self._stream = stream
        self._flush_each = flush_each
        self._writer = csv.DictWriter(stream, fieldnames=MEMBER_FIELDS)
        self._writer.writeheader()

    def add(self, member: NetworkMember) -> None:
        """Write the member's row; with ``flush_each``, flush it for pipes."""
        record = member_record(member)
        try:
            self._writer.writerow(record)
        except UnicodeEncodeError:
            # The text stream encodes a row before writing any of it, so
            # nothing of the failed row reached the output.
            self._writer.writerow(
                {
                    key: replace_lone_surrogates(value)
                    if isinstance(value, str)
                    else value
                    for key, value in record.items()
                }
            )
        if self._flush_each:
            self._stream.flush()

    def close(self) -> None:
        """Flush the stream; the rows are already written."""
        self._stream.flush()


class JsonLinesWriter:
    """Writes one JSON object per member and line, as it arrives.

    Non-ASCII text is written as is. A line whose text holds an unpaired
    surrogate is written with ``\\uXXXX`` escapes instead, which JSON
    allows, so the line is valid UTF-8 and decodes to the same string.
    """

    def __init__(self, stream: TextIO, *, flush_each: bool = True) -> None:
        self._stream = stream
        self._flush_each = flush_each

    def add(self, member: NetworkMember) -> None:
        """Write the member's line; with ``flush_each``, flush it for pipes."""
        record = member_record(member)
        try:
            self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        except UnicodeEncodeError:
            self._stream.write(json.dumps(record) + "\n")
        if self._flush_each:
            self._stream.flush()

    def close(self) -> None:
        """Flush the stream; the lines are already written."""
        self._stream.flush()


class TableWriter:
    """Collects members and prints them as one table when the listing ends."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._members: list[NetworkMember] = []

    def add(self, member: NetworkMember) -> None:
        """Keep the member for the table."""
        self._members.append(member)

    def close(self) -> None:
        """Print the table and the number of members in it."""
        count = len(self._members)
        self._console.print(member_table(self._members, title=None))
        self._console.print(f"{count} member{'' if count == 1 else 's'}")


def open_writer(
    output_format: str, *, stream: TextIO, console: Console, flush_each: bool = True
) -> MemberWriter:
    """Return the writer for ``output_format``, one of ``FORMATS``."""
    if output_format == "csv":
        return CsvWriter(stream, flush_each=flush_each)
    if output_format == "jsonl":
        return JsonLinesWriter(stream, flush_each=flush_each)
    return TableWriter(console)

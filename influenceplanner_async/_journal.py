"""A durable journal that makes bulk scheduling resumable.

Theory of operation
-------------------
The journal is a JSON Lines file with one record per line:

1. ``header``: the format name and version, written once when the file is
   created.
2. ``intent``: a call id with its medias, targets and options, written and
   ``fsync``'d before the call is sent.
3. ``outcome``: the call id and ``created`` (with the schedule URLs),
   ``failed`` or ``unknown`` (with the error), written and ``fsync``'d after
   the answer.

A process killed at any moment leaves one of these states for each call,
and a new run reads them as follows:

- No complete intent: the call was never sent, so it is sent.
- Intent without outcome: the call may or may not have reached the server,
  so its outcome is unknown; it is reported and never resent.
- ``created``: skipped, and its URLs are reported again.
- ``unknown``: reported and never resent, as above.
- ``failed``: the server answered with an error and created nothing, so the
  call is sent again.

A line without its final newline is a write cut short by the kill. Its
record was never ``fsync``'d, so the call it describes was not sent (for an
intent) or is treated as unknown (for an outcome). The journal drops that
line and truncates the file before it appends anything.

One process at a time may use a journal: it takes an exclusive ``flock``,
which the kernel releases when the process dies. ``flock`` needs a POSIX
system; elsewhere the lock is skipped.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Self

import attrs

from ._errors import JournalError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType

    from ._bulk_plan import ScheduleCall

__all__ = ["Journal", "JournalEntry", "OutcomeStatus"]

logger = logging.getLogger("influenceplanner_async.bulk")

FORMAT_NAME = "influenceplanner-bulk-journal"
FORMAT_VERSION = 1


class OutcomeStatus(enum.StrEnum):
    """Outcome of one API call of a bulk job, and of each of its items."""

    CREATED = "created"
    """The server answered with the created schedules."""
    FAILED = "failed"
    """The server answered with an error, or the request never reached it,
    so no schedule was created."""
    UNKNOWN = "unknown"
    """The request may have reached the server but no answer came back, so
    the schedules may or may not exist. Check before sending it again."""


@attrs.frozen(kw_only=True)
class JournalEntry:
    """Everything the journal stores about one call.

    Attributes:
        call_id: Content id of the call.
        medias: Media URLs of the call, sorted.
        targets: Target user ids of the call, sorted.
        options: The call's options as JSON (see ``ScheduleOptions.to_json``).
        status: The call's outcome, or ``None`` when the journal has its
            intent only: the job stopped while the call was in flight.
        urls: Schedule URLs in the order of ``medias``, when created.
        error: Error type and message, when failed or unknown.
    """

    call_id: str
    medias: tuple[str, ...]
    targets: tuple[str, ...]
    options: dict[str, Any]
    status: OutcomeStatus | None = None
    urls: tuple[str, ...] = ()
    error: str | None = None

    @property
    def is_settled(self) -> bool:
        """Whether a new run must not send the call again."""
        return self.status is not OutcomeStatus.FAILED


class Journal:
    """An append-only, ``fsync``'d record of the calls of a bulk job.

    Open it with the same path for every run of one job. It is a context
    manager; closing it releases the file lock.

    Args:
        path: The journal file; created with its header when missing.

    Raises:
        JournalError: The file is not a journal, has a corrupt record
            before its last line, or another process holds it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._entries: dict[str, JournalEntry] = {}
        self._file = self._open()
        try:
            self._lock()
            self._load()
        except BaseException:
            self._file.close()
            raise

    def __repr__(self) -> str:
        return f"<Journal path={self.path!r} calls={len(self._entries)}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file and release its lock. Safe to call twice."""
        self._file.close()

    @property
    def entries(self) -> Mapping[str, JournalEntry]:
        """Every call in the journal by id, including this run's records."""
        return self._entries

    def record_intent(self, call: ScheduleCall) -> None:
        """Durably record that ``call`` is about to be sent.

        Returns only after the record is on disk, so the caller may send.
        """
        entry = JournalEntry(
            call_id=call.call_id,
            medias=call.medias,
            targets=call.targets,
            options=call.options.to_json(),
        )
        self._append(
            {
                "record": "intent",
                "call_id": call.call_id,
                "medias": list(call.medias),
                "targets": list(call.targets),
                "options": entry.options,
            }
        )
        self._entries[call.call_id] = entry

    def record_outcome(
        self,
        call_id: str,
        status: OutcomeStatus,
        *,
        urls: Iterable[str] = (),
        error: str | None = None,
    ) -> None:
        """Durably record the outcome of a call whose intent is recorded.

        Raises:
            KeyError: The journal has no intent for ``call_id``.
        """
        entry = self._entries[call_id]
        url_list = list(urls)
        self._append(
            {
                "record": "outcome",
                "call_id": call_id,
                "status": status.value,
                "urls": url_list,
                "error": error,
            }
        )
        self._entries[call_id] = attrs.evolve(
            entry, status=status, urls=tuple(url_list), error=error
        )

    # -- file handling ------------------------------------------------------

    def _open(self) -> BinaryIO:
        directory = os.path.dirname(os.path.abspath(self.path))
        existed = os.path.exists(self.path)
        # "a+b" would force every write to the end, but the torn-line repair
        # truncates first, so plain read-write on a created file is enough.
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        handle = os.fdopen(descriptor, "r+b", buffering=0)
        if not existed:
            _fsync_directory(directory)
        return handle

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            msg = (
                f"Journal {self.path!r} is in use by another job; wait for that "
                "job to end, or use another journal file"
            )
            raise JournalError(msg, path=self.path) from None

    def _load(self) -> None:
        self._file.seek(0)
        data = self._file.read()
        complete, _, torn = data.rpartition(b"\n")
        if torn:
            logger.warning(
                "Journal %s ends with an incomplete record (%d bytes), written "
                "when a job was killed; dropping it",
                self.path,
                len(torn),
            )
            self._file.truncate(len(complete) + 1 if complete else 0)
            os.fsync(self._file.fileno())
        lines = complete.split(b"\n") if complete else []
        if not lines:
            self._append(
                {"record": "header", "format": FORMAT_NAME, "version": FORMAT_VERSION}
            )
            return
        self._check_header(lines[0])
        for number, line in enumerate(lines[1:], start=2):
            self._apply(self._parse(line, number), number)
        self._file.seek(0, os.SEEK_END)

    def _parse(self, line: bytes, number: int) -> dict[str, Any]:
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            msg = (
                f"Journal {self.path!r} has a corrupt record on line {number}; "
                "the file was changed by something other than this library"
            )
            raise JournalError(msg, path=self.path, line=number)
        return record

    def _check_header(self, line: bytes) -> None:
        header = self._parse(line, 1)
        if header.get("record") != "header" or header.get("format") != FORMAT_NAME:
            msg = (
                f"{self.path!r} is not a bulk scheduling journal; pass a new "
                "file name or the journal of this job"
            )
            raise JournalError(msg, path=self.path, line=1)
        if header.get("version") != FORMAT_VERSION:
            msg = (
                f"Journal {self.path!r} has format version "
                f"{header.get('version')!r}; this library reads version "
                f"{FORMAT_VERSION}"
            )
            raise JournalError(msg, path=self.path, line=1)

    def _apply(self, record: dict[str, Any], number: int) -> None:
        try:
            kind = record["record"]
            call_id = record["call_id"]
            if kind == "intent":
                self._entries[call_id] = JournalEntry(
                    call_id=call_id,
                    medias=tuple(record["medias"]),
                    targets=tuple(record["targets"]),
                    options=dict(record["options"]),
                )
                return
            entry = self._entries[call_id]
            self._entries[call_id] = attrs.evolve(
                entry,
                status=OutcomeStatus(record["status"]),
                urls=tuple(record["urls"]),
                error=record["error"],
            )
        except (KeyError, TypeError, ValueError) as error:
            msg = (
                f"Journal {self.path!r} has an invalid record on line {number} "
                f"({type(error).__name__}: {error})"
            )
            raise JournalError(msg, path=self.path, line=number) from error

    def _append(self, record: dict[str, Any]) -> None:
        record = {**record, "time": datetime.now(UTC).isoformat()}
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        data = memoryview(line.encode("ascii"))
        while data:
            written = self._file.write(data)
            data = data[written or 0 :]
        # An unbuffered file has nothing to flush; fsync makes the record
        # survive a crash of the machine, not only of the process.
        os.fsync(self._file.fileno())


def _fsync_directory(directory: str) -> None:
    # A new file's name is durable only once its directory is synced.
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

"""Tests of the bulk journal: records, torn lines, corruption and locking."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    Journal,
    JournalError,
    OutcomeStatus,
    ScheduleCall,
    ScheduleOptions,
)

if TYPE_CHECKING:
    from pathlib import Path

OPTIONS = ScheduleOptions(types=["REPOST"])
CALL = ScheduleCall.build(
    OPTIONS, ["https://soundcloud.com/a/one"], ["SOUNDCLOUD-USER-1"]
)
OTHER_CALL = ScheduleCall.build(
    OPTIONS, ["https://soundcloud.com/a/two"], ["SOUNDCLOUD-USER-1"]
)


def test_journal_reloads_intent_and_outcome(tmp_path: Path) -> None:
    """A reopened journal has each call's latest state."""
    path = tmp_path / "job.jsonl"
    with Journal(path) as journal:
        journal.record_intent(CALL)
        journal.record_outcome(CALL.call_id, OutcomeStatus.CREATED, urls=["u1"])
        journal.record_intent(OTHER_CALL)

    with Journal(path) as reopened:
        created = reopened.entries[CALL.call_id]
        in_flight = reopened.entries[OTHER_CALL.call_id]

    assert created.status is OutcomeStatus.CREATED
    assert created.urls == ("u1",)
    assert created.medias == CALL.medias
    assert in_flight.status is None
    assert in_flight.is_settled


def test_journal_failed_call_is_not_settled(tmp_path: Path) -> None:
    """A failed call may be sent again."""
    path = tmp_path / "job.jsonl"
    with Journal(path) as journal:
        journal.record_intent(CALL)
        journal.record_outcome(CALL.call_id, OutcomeStatus.FAILED, error="HTTP 400")

    with Journal(path) as reopened:
        entry = reopened.entries[CALL.call_id]

    assert entry.status is OutcomeStatus.FAILED
    assert entry.error == "HTTP 400"
    assert not entry.is_settled


def test_journal_drops_torn_last_line(tmp_path: Path) -> None:
    """An unterminated last line is dropped and cut from the file."""
    path = tmp_path / "job.jsonl"
    with Journal(path) as journal:
        journal.record_intent(CALL)
    complete = path.read_bytes()
    torn = b'{"record":"outcome","call_id":"' + CALL.call_id.encode()
    path.write_bytes(complete + torn)

    with Journal(path) as reopened:
        entry = reopened.entries[CALL.call_id]
        reopened.record_outcome(CALL.call_id, OutcomeStatus.UNKNOWN, error="lost")

    assert entry.status is None
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert all(json.loads(line) for line in lines[:-1])
    assert len(lines) == 4


def test_journal_rejects_corrupt_middle_line(tmp_path: Path) -> None:
    """A corrupt complete line raises JournalError naming the line."""
    path = tmp_path / "job.jsonl"
    with Journal(path) as journal:
        journal.record_intent(CALL)
    lines = path.read_bytes().split(b"\n")
    lines.insert(1, b"not json")
    path.write_bytes(b"\n".join(lines))

    with pytest.raises(JournalError) as caught:
        Journal(path)

    assert caught.value.line == 2


def test_journal_rejects_foreign_file(tmp_path: Path) -> None:
    """A file without the journal header is not taken for a journal."""
    path = tmp_path / "notes.txt"
    path.write_text('{"hello": "world"}\n')

    with pytest.raises(JournalError, match="not a bulk scheduling journal"):
        Journal(path)


def test_journal_rejects_outcome_without_intent(tmp_path: Path) -> None:
    """An outcome for a call the journal never saw is invalid."""
    path = tmp_path / "job.jsonl"
    with Journal(path):
        pass
    record: dict[str, object] = {
        "record": "outcome",
        "call_id": "x",
        "status": "created",
        "urls": [],
        "error": None,
    }
    with path.open("a") as handle:
        handle.write(json.dumps(record) + "\n")

    with pytest.raises(JournalError, match="line 2"):
        Journal(path)


def test_journal_is_locked_while_open(tmp_path: Path) -> None:
    """A second open of a journal in use raises JournalError."""
    path = tmp_path / "job.jsonl"
    with Journal(path), pytest.raises(JournalError, match="in use"):
        Journal(path)


def test_journal_fsyncs_intent_before_returning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """record_intent calls os.fsync after the record is written."""
    path = tmp_path / "job.jsonl"
    journal = Journal(path)
    synced_sizes: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced_sizes.append(os.fstat(descriptor).st_size)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    try:
        journal.record_intent(CALL)
    finally:
        journal.close()

    assert synced_sizes == [path.stat().st_size]

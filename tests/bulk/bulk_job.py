"""A bulk scheduling job run in its own process, so that tests can kill it.

Usage: ``python bulk_job.py BASE_URL JOURNAL REPORT [--kill-after N]
[--torn-outcome N]``. The job schedules every track for every target with
a comment (calls of 3 targets each), plus one call without a comment. It
writes its report as JSON to REPORT.

``--kill-after N`` sends SIGKILL to the job itself right after the journal
has durably written its N-th record. ``--torn-outcome N`` writes half of
the N-th outcome record and then sends SIGKILL, as a kill in mid-write
would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from influenceplanner_async import (
    Client,
    Journal,
    OutcomeStatus,
    ScheduleItem,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from influenceplanner_async import ScheduleCall

TRACKS = tuple(f"https://soundcloud.com/bulk/track-{index}" for index in range(3))
COMMENT = "Great track"


def job_items(targets: list[str]) -> list[ScheduleItem]:
    """Return the job's items: a comment group and a plain group."""
    return [
        *ScheduleItem.product(TRACKS, targets, types=["COMMENT"], comment=COMMENT),
        *ScheduleItem.product(TRACKS[:1], targets, types=["REPOST"]),
    ]


class KillingJournal(Journal):
    """A journal that kills its own process at a chosen record."""

    def __init__(self, path: str, *, kill_after: int, torn_outcome: int) -> None:
        super().__init__(path)
        self.kill_after = kill_after
        self.torn_outcome = torn_outcome
        self.records = 0
        self.outcomes = 0

    def record_intent(self, call: ScheduleCall) -> None:
        """Record the intent, then die if this is the chosen record."""
        super().record_intent(call)
        self._count()

    def record_outcome(
        self,
        call_id: str,
        status: OutcomeStatus,
        *,
        urls: Iterable[str] = (),
        error: str | None = None,
    ) -> None:
        """Record the outcome (or half of it), then die if chosen."""
        self.outcomes += 1
        if self.outcomes == self.torn_outcome:
            with open(self.path, "ab") as handle:
                handle.write(b'{"record":"outcome","call_id":"' + call_id.encode())
                handle.flush()
                os.fsync(handle.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        super().record_outcome(call_id, status, urls=urls, error=error)
        self._count()

    def _count(self) -> None:
        self.records += 1
        if self.records == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


def report_json(report: Any) -> dict[str, Any]:
    """Return the parts of a BulkReport that the tests check."""
    return {
        "calls_sent": report.calls_sent,
        "items": [
            {
                "media": outcome.item.media,
                "target": outcome.item.target,
                "comment": outcome.item.options.comment,
                "status": outcome.status.value,
                "call_id": outcome.call_id,
                "from_journal": outcome.from_journal,
            }
            for outcome in report.items
        ],
        "unknown_calls": [
            {
                "call_id": call.call.call_id,
                "medias": list(call.call.medias),
                "targets": list(call.call.targets),
            }
            for call in report.unknown_calls
        ],
    }


async def run(arguments: argparse.Namespace) -> Any:
    """Run the job and return its report."""
    targets = arguments.targets.split(",")
    journal = KillingJournal(
        arguments.journal,
        kill_after=arguments.kill_after,
        torn_outcome=arguments.torn_outcome,
    )
    with journal:
        async with Client("alice", "ip-1234", base_url=arguments.base_url) as client:
            report = await client.schedule_bulk(
                job_items(targets), journal=journal, concurrency=1
            )
    return report


def main() -> int:
    """Parse the arguments and run the job."""
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("journal")
    parser.add_argument("report")
    parser.add_argument("--targets", required=True)
    parser.add_argument("--kill-after", type=int, default=0)
    parser.add_argument("--torn-outcome", type=int, default=0)
    arguments = parser.parse_args()
    report = asyncio.run(run(arguments))
    with open(arguments.report, "w", encoding="utf-8") as handle:
        json.dump(report_json(report), handle)
    return 0 if report.is_complete else 1


if __name__ == "__main__":
    sys.exit(main())

"""A bulk job killed with SIGKILL at several points, then resumed.

The job runs in a child process (``bulk_job.py``) while the fake API runs
in the test's process, so the fake keeps its state when the job dies. Each
kill lands at a fixed point: the job kills itself right after a given
journal record, or the fake kills it from an ``on_request`` hook while it
serves a given request. Nothing waits on a timer.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from influenceplanner_async.testing import faults

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async.testing import FakePartnerAPI, FakeServer

JOB_SCRIPT = Path(__file__).with_name("bulk_job.py")
SCHEDULE_PATH = "/schedule/create"
JOB_TARGET_COUNT = 7
# The job sends 4 calls: 3 comment calls of at most 3 targets and 1 plain.
JOB_CALLS = 4


@attrs.frozen
class KillPoint:
    """Where the first run of the job dies."""

    kill_after: int = 0
    torn_outcome: int = 0
    kill_on_post: int = 0
    drop_killing_post: bool = False
    unknown_calls: int = 1


KILL_POINTS = [
    pytest.param(KillPoint(kill_after=1), id="after-first-intent"),
    pytest.param(KillPoint(kill_after=4, unknown_calls=0), id="after-second-outcome"),
    pytest.param(KillPoint(kill_after=5), id="after-third-intent"),
    pytest.param(KillPoint(torn_outcome=2), id="mid-write-of-outcome"),
    pytest.param(KillPoint(kill_on_post=2), id="server-processing-call"),
    pytest.param(
        KillPoint(kill_on_post=3, drop_killing_post=True), id="server-before-call"
    ),
]


async def run_job(
    server: FakeServer,
    work: Path,
    targets: list[str],
    *,
    point: KillPoint | None = None,
) -> tuple[int, dict[str, Any] | None]:
    """Run the job in a child process and return its exit code and report."""
    report_path = work / "report.json"
    report_path.unlink(missing_ok=True)
    arguments = [
        str(JOB_SCRIPT),
        server.base_url,
        str(work / "journal.jsonl"),
        str(report_path),
        "--targets",
        ",".join(targets),
    ]
    if point is not None:
        arguments += [
            f"--kill-after={point.kill_after}",
            f"--torn-outcome={point.torn_outcome}",
        ]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    hook = None
    if point is not None and point.kill_on_post:
        hook = kill_on_post(server.api, process.pid, point)
        server.api.on_request.append(hook)
    try:
        _, stderr = await process.communicate()
    finally:
        if hook is not None:
            server.api.on_request.remove(hook)
    code = process.returncode
    assert code is not None
    if report_path.exists():
        return code, json.loads(report_path.read_text())
    assert code == -signal.SIGKILL, stderr.decode()
    return code, None


def kill_on_post(api: FakePartnerAPI, pid: int, point: KillPoint) -> Any:
    """Return a hook that kills the job when its n-th schedule call arrives."""
    seen = 0

    def hook(request: web.Request) -> None:
        nonlocal seen
        if not request.path.endswith(SCHEDULE_PATH):
            return
        seen += 1
        if seen != point.kill_on_post:
            return
        os.kill(pid, signal.SIGKILL)
        if point.drop_killing_post:
            api.faults.push(faults.drop_connection(), path=SCHEDULE_PATH)

    return hook


def schedule_bodies(api: FakePartnerAPI) -> list[str]:
    """Return each schedule call the fake received, as canonical JSON."""
    return [
        json.dumps(request.json, sort_keys=True)
        for request in api.requests
        if request.path.endswith(SCHEDULE_PATH)
    ]


@pytest.mark.parametrize("point", KILL_POINTS)
async def test_killed_job_resumes_without_duplicates(
    server: FakeServer,
    fake_api: FakePartnerAPI,
    targets: list[str],
    tmp_path: Path,
    point: KillPoint,
) -> None:
    """After a SIGKILL and a resume, no pair is doubled and none is lost."""
    job_targets = targets[:JOB_TARGET_COUNT]

    code, _ = await run_job(server, tmp_path, job_targets, point=point)
    assert code == -signal.SIGKILL
    bodies_before = schedule_bodies(fake_api)

    code, report = await run_job(server, tmp_path, job_targets)
    assert report is not None

    # 1. The fake holds no (media, target, comment) twice.
    held = collections.Counter(
        (schedule.media, target, schedule.comment)
        for schedule in fake_api.schedules
        for target in schedule.targets
    )
    assert all(count == 1 for count in held.values()), held
    # 2. Every requested pair is held, or reported failed or unknown, and
    # the fake holds nothing that was not requested.
    requested = set()
    for item in report["items"]:
        pair = (item["media"], item["target"], item["comment"])
        requested.add(pair)
        if item["status"] == "created":
            assert pair in held
        else:
            assert item["status"] in {"failed", "unknown"}
    assert set(held) <= requested
    # 3. No call was sent twice, and the resumed run sent no unknown call.
    bodies = schedule_bodies(fake_api)
    assert len(bodies) == len(set(bodies))
    resumed_bodies = bodies[len(bodies_before) :]
    for call in report["unknown_calls"]:
        for body in resumed_bodies:
            sent = json.loads(body)
            assert (sent["medias"], sent["targets"]) != (
                call["medias"],
                call["targets"],
            )
    # 4. The kill point leaves the expected number of unknown calls.
    assert len(report["unknown_calls"]) == point.unknown_calls
    assert code == (0 if point.unknown_calls == 0 else 1)
    assert len(bodies) <= JOB_CALLS

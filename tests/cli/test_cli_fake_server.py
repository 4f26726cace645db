"""Tests of ``fake-server`` and ``python -m`` in real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

import attrs
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

# How long a subprocess may take to start, respond or stop before the test fails.
PROCESS_TIMEOUT_SECONDS = 30.0
COMMAND = [sys.executable, "-m", "influenceplanner_async.cli"]


@attrs.frozen
class FakeProcess:
    """A running ``fake-server`` process and the lines it printed on start."""

    process: subprocess.Popen[str]
    base_url: str
    banner: str


@pytest.fixture
def fake_process() -> Iterator[FakeProcess]:
    """Start ``fake-server`` on a free port and read its start-up lines."""
    process = subprocess.Popen(
        [*COMMAND, "fake-server", "--port", "0", "--members", "12", "--window", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert first_line.startswith("Fake Partner API listening at "), first_line
        # communicate() later reads the pipe itself, past this reader's
        # buffer, so the banner is read here up to its last line.
        lines = [first_line]
        while not lines[-1].startswith("Press Ctrl-C") and lines[-1]:
            lines.append(process.stdout.readline())
        yield FakeProcess(
            process=process, base_url=first_line.split()[-1], banner="".join(lines)
        )
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)


def test_fake_server_serves_and_stops_on_ctrl_c(fake_process: FakeProcess) -> None:
    """members reads the fake's network, and SIGINT stops the fake with exit 0."""
    process, base_url = fake_process.process, fake_process.base_url
    env = {
        **os.environ,
        "INFLUENCEPLANNER_USERNAME": "alice",
        "INFLUENCEPLANNER_API_KEY": "ip-1234",
        "INFLUENCEPLANNER_BASE_URL": base_url,
        "PYTHONIOENCODING": "utf-8",
    }
    listing = subprocess.run(
        [*COMMAND, "members", "--format", "jsonl", "--window", "3"],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=False,
    )

    assert listing.returncode == 0, listing.stderr
    names = [json.loads(line)["name"] for line in listing.stdout.splitlines()]
    assert len(names) == 12
    assert "John Doe" in names

    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
    assert process.returncode == 0, stderr
    assert "export INFLUENCEPLANNER_API_KEY=ip-1234" in fake_process.banner
    assert "influenceplanner members --window 3" in fake_process.banner
    assert "Stopped the fake API." in stdout
    assert "Traceback" not in stderr


def test_fake_server_stops_on_sigterm(fake_process: FakeProcess) -> None:
    """SIGTERM stops the fake as cleanly as Ctrl-C."""
    process = fake_process.process
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)

    assert process.returncode == 0, stderr
    assert "Stopped the fake API." in stdout

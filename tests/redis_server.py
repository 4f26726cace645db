"""A throwaway ``redis-server`` on a free loopback port, for tests.

The server keeps nothing on disk (``--save ''``, ``--appendonly no``) and runs
in a temporary directory. ``make test`` installs ``redis-server`` when it is
missing; where that was impossible the fixtures skip with the reason.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["RedisServer", "redis_server_binary", "running_redis_server"]

MISSING_REASON = (
    "redis-server is not on PATH; `make test` installs it with apt-get when run as root"
)
# Seconds that a starting server gets to accept connections. Startup takes
# milliseconds; the bound only stops a broken binary from hanging the suite.
_START_TIMEOUT = 10.0


def redis_server_binary() -> str:
    """Return the path of ``redis-server``, or skip the calling test."""
    path = shutil.which("redis-server")
    if path is None:
        pytest.skip(MISSING_REASON)
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process that can be stopped and started again.

    Args:
        binary: Path of ``redis-server``.
        port: Loopback port to listen on; it stays the same across restarts.
    """

    def __init__(self, binary: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self._directory = tempfile.TemporaryDirectory(prefix="redis-test-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's ``redis://`` URL, database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        command = [
            self.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self._directory.name,
            "--daemonize",
            "no",
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_ready()

    def stop(self) -> None:
        """Stop the server and wait for its process to exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=_START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        self._directory.cleanup()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                message = f"redis-server exited with status {self._process.returncode}"
                raise RuntimeError(message)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.01)
        message = f"redis-server did not accept connections on port {self.port}"
        raise RuntimeError(message)


def running_redis_server() -> Iterator[RedisServer]:
    """Start a server, yield it and stop it; the body of a pytest fixture."""
    server = RedisServer(redis_server_binary(), free_port())
    server.start()
    try:
        yield server
    finally:
        server.close()

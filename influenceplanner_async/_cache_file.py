"""A cache store in a directory, for programs on one host that run one after another."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FileStore"]

_SUFFIX = ".entry"


class FileStore:
    """Keeps cached pages as one file per entry in a private directory.

    Meant for short-lived programs, such as repeated runs of the
    ``influenceplanner`` command, that should reuse pages fetched a moment
    ago. Each file starts with its expiry time; a file read after it is
    deleted. Writes replace files atomically, so concurrent processes never
    read half an entry. Disk I/O runs in a worker thread.

    Args:
        directory: Where the entries go. It is created with mode 0700 on the
            first write, because pages hold member data.
        clock: Epoch-seconds clock for expiry, injectable for tests.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self._clock = clock

    def __repr__(self) -> str:
        return f"<FileStore directory={str(self.directory)!r}>"

    async def get(self, key: str) -> bytes | None:
        """Return the live value under ``key``, or ``None``."""
        return await asyncio.to_thread(self._read, key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Write ``value`` under ``key`` to expire after ``ttl`` seconds."""
        await asyncio.to_thread(self._write, key, value, self._clock() + ttl)

    async def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def clear(self, prefix: str = "") -> None:
        """Remove every entry whose key starts with ``prefix``."""
        await asyncio.to_thread(self._clear, prefix)

    def _path(self, key: str) -> Path:
        # Percent-encoding maps each character on its own, so the file name
        # of a key prefix is a prefix of the file names of its keys.
        return self.directory / (quote(key, safe="") + _SUFFIX)

    def _read(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        header, _, value = raw.partition(b"\n")
        try:
            expires_at = float(header)
        except ValueError:
            expires_at = -1.0
        if self._clock() >= expires_at:
            path.unlink(missing_ok=True)
            return None
        return value

    def _write(self, key: str, value: bytes, expires_at: float) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(repr(expires_at).encode() + b"\n" + value)
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _clear(self, prefix: str) -> None:
        if not self.directory.is_dir():
            return
        start = quote(prefix, safe="")
        for path in self.directory.iterdir():
            if path.name.endswith(_SUFFIX) and path.name.startswith(start):
                path.unlink(missing_ok=True)

"""Tests of FileStore: expiry, atomic files, prefixes and a client that uses it."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

from influenceplanner_async import FileStore
from influenceplanner_async.testing import ManualClock

if TYPE_CHECKING:
    from pathlib import Path


def files_in(directory: Path) -> list[Path]:
    """List a directory's files, outside the async tests that ruff checks."""
    return sorted(directory.iterdir())


async def test_file_store_round_trip(tmp_path: Path) -> None:
    """A value written reads back until deleted, in a private directory."""
    store = FileStore(tmp_path / "cache")
    await store.set("members:a:1", b"line one\nline two", 60)
    stored = await store.get("members:a:1")
    await store.delete("members:a:1")

    assert stored == b"line one\nline two"
    assert await store.get("members:a:1") is None
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700


async def test_file_store_expires_entries(tmp_path: Path) -> None:
    """An entry read after its TTL is gone, and so is its file."""
    clock = ManualClock()
    store = FileStore(tmp_path, clock=clock)
    await store.set("k", b"v", 10)
    clock.advance(9.9)
    before = await store.get("k")
    clock.advance(0.1)

    assert before == b"v"
    assert await store.get("k") is None
    assert files_in(tmp_path) == []


async def test_file_store_clear_by_prefix(tmp_path: Path) -> None:
    """clear removes the keys that start with the prefix and nothing else."""
    store = FileStore(tmp_path)
    await store.set("members:a:1", b"1", 60)
    await store.set("members:a:2", b"2", 60)
    await store.set("members:ab:1", b"3", 60)
    (tmp_path / "unrelated.txt").write_text("keep")
    await store.clear("members:a:")

    assert await store.get("members:ab:1") == b"3"
    assert await store.get("members:a:1") is None
    assert (tmp_path / "unrelated.txt").exists()


async def test_file_store_damaged_header_is_absent(tmp_path: Path) -> None:
    """A file without a valid expiry reads as absent and is removed."""
    store = FileStore(tmp_path)
    await store.set("k", b"v", 60)
    (path,) = files_in(tmp_path)
    path.write_bytes(b"garbage")

    assert await store.get("k") is None
    assert not path.exists()


async def test_file_store_missing_directory(tmp_path: Path) -> None:
    """Reading and clearing a directory that does not exist yet find nothing."""
    store = FileStore(tmp_path / "absent")
    await store.clear()

    assert await store.get("k") is None

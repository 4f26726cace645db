"""Build the wheel and the sdist, install the wheel in a new venv, run the demo.

This is the one slow test of the suite (about 30 s): it runs
``python -m build`` and ``pip install`` with the package index that pip is
configured with, so the first run needs the dependencies there or in pip's
cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import influenceplanner_async

ROOT = Path(__file__).resolve().parents[2]
# Generous bounds for a cold pip cache on a slow machine; a run takes ~30 s.
BUILD_TIMEOUT_SECONDS = 300
DEMO_TIMEOUT_SECONDS = 120


def run(arguments: list[str], *, cwd: Path, timeout: float) -> str:
    """Run a command without the library's variables and return its stdout."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("INFLUENCEPLANNER_") and name != "PYTHONPATH"
    }
    completed = subprocess.run(
        arguments,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.mark.packaging
def test_wheel_installs_and_runs_demo(tmp_path: Path) -> None:
    """The built wheel installs with its cli extra and runs the demo."""
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        cwd=tmp_path,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    version = influenceplanner_async.__version__
    wheel = dist / f"influenceplanner_async-{version}-py3-none-any.whl"
    sdist = dist / f"influenceplanner_async-{version}.tar.gz"

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"influenceplanner_async-{version}.dist-info"
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert "influenceplanner_async/py.typed" in names
    assert "influenceplanner_async/testing/pytest_plugin.py" in names
    assert "Requires-Python: >=3.11" in metadata
    assert "Provides-Extra: cli" in metadata
    assert "Provides-Extra: redis" in metadata
    assert f"Version: {version}" in metadata
    assert "influenceplanner = influenceplanner_async.cli:main" in entry_points
    assert "[pytest11]" in entry_points
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[-1] for name in archive.getnames()}
    assert {"pyproject.toml", "README.md", "influenceplanner_async/py.typed"} <= members

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, timeout=60)
    python = venv / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "--quiet", f"{wheel}[cli]"],
        cwd=tmp_path,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    location = run(
        [str(python), "-c", "import influenceplanner_async as p; print(p.__file__)"],
        cwd=tmp_path,
        timeout=60,
    )
    output = run(
        [str(venv / "bin" / "influenceplanner"), "demo"],
        cwd=tmp_path,
        timeout=DEMO_TIMEOUT_SECONDS,
    )

    assert location.startswith(str(venv))
    assert "429 responses the fake API sent" in output
    assert "instead of exceeding 30 requests per 3 s" in output

"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

LIBRARY_VARIABLES = (
    "INFLUENCEPLANNER_USERNAME",
    "INFLUENCEPLANNER_API_KEY",
    "INFLUENCEPLANNER_BASE_URL",
)


@pytest.fixture(autouse=True)
def clear_library_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the library's environment variables so no test reads real ones."""
    for name in LIBRARY_VARIABLES:
        monkeypatch.delenv(name, raising=False)

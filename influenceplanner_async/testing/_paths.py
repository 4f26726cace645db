"""Paths that the fake API serves."""

__all__ = ["BASE_PATH", "MEMBERS_PATH", "SCHEDULE_PATH", "relative_path"]

BASE_PATH = "/partner/v1"
MEMBERS_PATH = "/network/members"
SCHEDULE_PATH = "/schedule/create"


def relative_path(path: str) -> str:
    """Return ``path`` without the ``/partner/v1`` prefix, if it has one."""
    if path.startswith(BASE_PATH + "/"):
        return path[len(BASE_PATH) :]
    return path

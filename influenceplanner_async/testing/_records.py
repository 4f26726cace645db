"""Records of the traffic the fake API received and the schedules it created."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = ["CreatedSchedule", "ReceivedRequest"]

_REDACTED = "<redacted>"


def _redact_headers(headers: Mapping[str, str]) -> str:
    shown = {
        name: _REDACTED if name.lower() == "authorization" else value
        for name, value in headers.items()
    }
    return repr(shown)


@attrs.frozen(kw_only=True)
class ReceivedRequest:
    """One request as the fake received it, with the status it sent back.

    ``headers`` is case-insensitive. The repr never shows the
    ``Authorization`` value. ``status`` is ``None`` when the fake closed the
    connection without a response, and ``username`` is ``None`` when the
    request carried no valid credentials. ``time`` is the injected clock's
    reading (epoch seconds) when the request arrived.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str] = attrs.field(repr=_redact_headers)
    json: Any
    status: int | None
    username: str | None
    time: float


@attrs.frozen(kw_only=True)
class CreatedSchedule:
    """One schedule that ``POST /schedule/create`` created, one per media.

    ``settings`` is the request's settings object as sent (camelCase keys).
    """

    schedule_id: str
    url: str
    media: str
    types: tuple[str, ...]
    targets: tuple[str, ...]
    settings: dict[str, Any]
    comment: str | None
    remove_duplicates: bool
    shuffle: bool
    created_at: datetime

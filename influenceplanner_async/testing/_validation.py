"""Validation of listing query parameters and schedule bodies.

Each check raises ``InvalidRequestError`` with a message naming the field and
the bad value, which the fake sends back in a 400 body.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from influenceplanner_async._models import ActionType, SortBy, SortDirection

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

__all__ = [
    "InvalidRequestError",
    "ListingQuery",
    "ScheduleRequest",
    "parse_listing_query",
    "parse_schedule_request",
]

_ChoiceT = TypeVar("_ChoiceT", SortBy, SortDirection)

_MAX_COMMENT_TARGETS = 3
_SETTINGS_NUMBERS = (
    "unrepostAfterHours",
    "spreadBetweenAccountsMinutes",
    "spreadBetweenTracksMinutes",
)


class InvalidRequestError(Exception):
    """A request that the API rejects with 400 Bad Request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@attrs.frozen(kw_only=True)
class ListingQuery:
    """Validated query of ``GET /network/members``."""

    offset: int
    limit: int
    search_term: str | None
    sort_by: SortBy
    direction: SortDirection


@attrs.frozen(kw_only=True)
class ScheduleRequest:
    """Validated body of ``POST /schedule/create``."""

    types: tuple[str, ...]
    medias: tuple[str, ...]
    targets: tuple[str, ...]
    settings: dict[str, Any]
    comment: str | None
    remove_duplicates: bool
    shuffle: bool


def parse_listing_query(
    query: Mapping[str, str], *, max_page_size: int
) -> ListingQuery:
    """Validate the listing's query parameters and apply their defaults.

    Raises:
        InvalidRequestError: If a parameter has a value the API rejects.
    """
    offset = _parse_int(query, "offset", default=0, minimum=0, maximum=None)
    limit = _parse_int(query, "limit", default=25, minimum=1, maximum=max_page_size)
    sort_by = _parse_choice(query, "sortBy", SortBy, default=SortBy.UPDATED)
    direction = _parse_choice(
        query, "sortDir", SortDirection, default=SortDirection.DESC
    )
    return ListingQuery(
        offset=offset,
        limit=limit,
        search_term=query.get("searchTerm"),
        sort_by=sort_by,
        direction=direction,
    )


def _parse_int(
    query: Mapping[str, str],
    name: str,
    *,
    default: int,
    minimum: int,
    maximum: int | None,
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit():
        message = f"Query parameter '{name}' must be an integer, got {raw!r}."
        raise InvalidRequestError(message)

    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        message = (
            f"Query parameter '{name}' must be at least {minimum}{upper}, "
            f"got {value!r}."
        )
        raise InvalidRequestError(message)
    return value


def _parse_choice(
    query: Mapping[str, str], name: str, choices: type[_ChoiceT], *, default: _ChoiceT
) -> _ChoiceT:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return choices(raw)
    except ValueError:
        allowed = ", ".join(choice.value for choice in choices)
        message = f"Query parameter '{name}' must be one of {allowed}, got {raw!r}."
        raise InvalidRequestError(message) from None


def parse_schedule_request(
    body: object,
    *,
    tracks: Collection[str],
    is_member: Callable[[str], bool],
) -> ScheduleRequest:
    """Validate a schedule body as the API does.

    Args:
        body: The decoded JSON body.
        tracks: Media URLs that exist.
        is_member: Whether a user id belongs to a member of the network.

    Raises:
        InvalidRequestError: If the body is not a JSON object, a field is
            missing, empty or of the wrong JSON type, an action type, media or
            target is unknown, or the comment rules are broken.
    """
    if not isinstance(body, dict):
        message = f"Request body must be a JSON object, got {_json_type(body)}."
        raise InvalidRequestError(message)

    types = _string_list(body, "types")
    medias = _string_list(body, "medias")
    targets = _string_list(body, "targets")
    settings = _settings(body)
    comment = _optional_string(body, "comment")
    remove_duplicates = _optional_flag(body, "removeDuplicates")
    shuffle = _optional_flag(body, "shuffle")

    _check_types(types, settings, comment)
    _check_known(medias, "medias", "unknown media", lambda media: media in tracks)
    _check_known(targets, "targets", "not a member of the network", is_member)
    if comment is not None and len(targets) > _MAX_COMMENT_TARGETS:
        message = (
            f"Field 'comment' can only be used with at most {_MAX_COMMENT_TARGETS} "
            f"targets, got {len(targets)} targets."
        )
        raise InvalidRequestError(message)

    return ScheduleRequest(
        types=tuple(types),
        medias=tuple(medias),
        targets=tuple(targets),
        settings=settings,
        comment=comment,
        remove_duplicates=remove_duplicates,
        shuffle=shuffle,
    )


def _string_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        message = f"Field '{name}' is required."
        raise InvalidRequestError(message)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        message = f"Field '{name}' must be an array of strings, got {value!r}."
        raise InvalidRequestError(message)
    if not value:
        message = f"Field '{name}' must contain at least one value."
        raise InvalidRequestError(message)
    return value


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    settings = body.get("settings")
    if settings is None:
        message = "Field 'settings' is required."
        raise InvalidRequestError(message)
    if not isinstance(settings, dict):
        message = f"Field 'settings' must be an object, got {_json_type(settings)}."
        raise InvalidRequestError(message)

    date = settings.get("date")
    if date is not None:
        _check_date(date)
    for name in _SETTINGS_NUMBERS:
        value = settings.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            message = f"Field 'settings.{name}' must be a number, got {value!r}."
            raise InvalidRequestError(message)
        if value < 0:
            message = f"Field 'settings.{name}' must not be negative, got {value!r}."
            raise InvalidRequestError(message)
    return settings


def _check_date(date: object) -> None:
    if not isinstance(date, str):
        message = f"Field 'settings.date' must be an ISO 8601 string, got {date!r}."
        raise InvalidRequestError(message)
    try:
        datetime.fromisoformat(date)
    except ValueError:
        message = f"Field 'settings.date' is not an ISO 8601 timestamp: {date!r}."
        raise InvalidRequestError(message) from None


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    message = f"Field '{name}' must be a string or null, got {value!r}."
    raise InvalidRequestError(message)


def _optional_flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    message = f"Field '{name}' must be a boolean, got {value!r}."
    raise InvalidRequestError(message)


def _check_types(
    types: list[str], settings: dict[str, Any], comment: str | None
) -> None:
    for action in types:
        if action not in ActionType.__members__:
            allowed = ", ".join(ActionType)
            message = (
                f"Field 'types' contains unknown action type {action!r}; "
                f"expected one of {allowed}."
            )
            raise InvalidRequestError(message)

    if ActionType.COMMENT in types and not (comment and comment.strip()):
        message = (
            f"Field 'comment' must be a non-empty string for COMMENT, got {comment!r}."
        )
        raise InvalidRequestError(message)
    if ActionType.UNREPOST in types and settings.get("unrepostAfterHours") is None:
        message = "Field 'settings.unrepostAfterHours' is required for UNREPOST."
        raise InvalidRequestError(message)


def _check_known(
    values: list[str], name: str, problem: str, is_known: Callable[[str], bool]
) -> None:
    for value in values:
        if not is_known(value):
            message = f"Field '{name}' contains {value!r}, which is {problem}."
            raise InvalidRequestError(message)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"

"""Checks of call arguments, run before any request spends rate-limit budget."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from ._errors import ValidationError
from ._models import ActionType, ScheduleSettings, SortBy, SortDirection

__all__ = [
    "MAX_COMMENT_TARGETS",
    "MAX_PAGE_SIZE",
    "check_aware",
    "check_enum",
    "check_page_args",
    "check_schedule_args",
    "check_unrepost",
    "is_utf8_encodable",
]

MAX_PAGE_SIZE = 25
MAX_COMMENT_TARGETS = 3

E = TypeVar("E", bound=StrEnum)


def check_page_args(
    *,
    offset: object,
    limit: object,
    search_term: object,
    sort_by: object,
    sort_dir: object,
    max_page_size: int = MAX_PAGE_SIZE,
) -> tuple[int, int, str | None, SortBy | None, SortDirection | None]:
    """Validate the arguments of a member listing and return them normalised."""
    checked_offset = _check_int("offset", offset, minimum=0)
    checked_limit = _check_int("limit", limit, minimum=1, maximum=max_page_size)
    if search_term is not None and not isinstance(search_term, str):
        raise ValidationError("search_term", search_term, "must be a string or None")
    if search_term is not None and not is_utf8_encodable(search_term):
        raise ValidationError(
            "search_term",
            search_term,
            "contains an unpaired surrogate, which a URL cannot carry; remove it",
        )
    by = None if sort_by is None else _check_enum("sort_by", sort_by, SortBy)
    direction = (
        None if sort_dir is None else _check_enum("sort_dir", sort_dir, SortDirection)
    )
    return checked_offset, checked_limit, search_term, by, direction


def check_schedule_args(
    *,
    types: object,
    medias: object,
    targets: object,
    settings: object,
    comment: object,
) -> tuple[tuple[ActionType, ...], tuple[str, ...], tuple[str, ...]]:
    """Validate a schedule request and return its normalised lists.

    Enforces the documented rules: at least one type, media and target; a
    comment only with 3 or fewer targets; ``COMMENT`` needs comment text;
    ``UNREPOST`` needs ``unrepost_after_hours``.
    """
    checked_types = tuple(
        _check_enum("types", item, ActionType) for item in _check_list("types", types)
    )
    checked_medias = tuple(_check_media(item) for item in _check_list("medias", medias))
    checked_targets = tuple(
        _check_target(item) for item in _check_list("targets", targets)
    )
    if not isinstance(settings, ScheduleSettings):
        raise ValidationError(
            "settings", settings, "must be a ScheduleSettings instance"
        )
    _check_settings(settings)
    check_unrepost(checked_types, settings)
    _check_comment(comment, checked_types, checked_targets)
    return checked_types, checked_medias, checked_targets


def check_aware(argument: str, value: datetime) -> None:
    """Reject a naive datetime, whose instant would depend on the machine."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            argument, value, "must be timezone-aware, for example tzinfo=timezone.utc"
        )


def is_utf8_encodable(text: str) -> bool:
    """Tell whether UTF-8 can encode ``text``: false for unpaired surrogates."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_int(
    argument: str, value: object, *, minimum: int, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(argument, value, "must be an integer")
    if value < minimum:
        raise ValidationError(argument, value, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ValidationError(argument, value, f"must be at most {maximum}")
    return value


def _check_enum(argument: str, value: object, enum_type: type[E]) -> E:
    if isinstance(value, enum_type):
        return value
    allowed = ", ".join(member.value for member in enum_type)
    if isinstance(value, str):
        try:
            return enum_type(value.upper())
        except ValueError:
            pass
    raise ValidationError(argument, value, f"must be one of {allowed}")


def _check_list(argument: str, value: object) -> Sequence[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(argument, value, "must be a list, not a single value")
    items = list(value)
    if not items:
        raise ValidationError(argument, items, "must contain at least one item")
    return items


def _check_media(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("medias", value, "each media must be a URL string")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValidationError(
            "medias", value, "each media must be an absolute https URL"
        )
    return value


def _check_target(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "targets", value, "each target must be a member's user_id string"
        )
    return value


def _check_settings(settings: ScheduleSettings) -> None:
    if settings.date is not None:
        if not isinstance(settings.date, datetime):
            raise ValidationError("settings.date", settings.date, "must be a datetime")
        check_aware("settings.date", settings.date)
    for name in (
        "unrepost_after_hours",
        "spread_between_accounts_minutes",
        "spread_between_tracks_minutes",
    ):
        value = getattr(settings, name)
        if value is not None:
            _check_int(f"settings.{name}", value, minimum=0)


def _check_comment(
    comment: object, types: tuple[ActionType, ...], targets: tuple[str, ...]
) -> None:
    if comment is not None:
        if not isinstance(comment, str) or not comment.strip():
            raise ValidationError("comment", comment, "must be non-empty text or None")
        if len(targets) > MAX_COMMENT_TARGETS:
            raise ValidationError(
                "comment",
                comment,
                f"is allowed only with {MAX_COMMENT_TARGETS} or fewer targets, "
                f"but {len(targets)} were given; split the targets into groups of "
                f"{MAX_COMMENT_TARGETS}",
            )
    if ActionType.COMMENT in types and comment is None:
        raise ValidationError(
            "comment", comment, "is required when types include COMMENT"
        )


def check_unrepost(types: tuple[ActionType, ...], settings: ScheduleSettings) -> None:
    """Require ``unrepost_after_hours`` when the types include ``UNREPOST``."""
    if ActionType.UNREPOST in types and settings.unrepost_after_hours is None:
        raise ValidationError(
            "settings.unrepost_after_hours",
            None,
            "is required when types include UNREPOST",
        )


def check_enum(argument: str, value: object, enum_type: type[E]) -> E:
    """Return ``value`` as a member of ``enum_type``, matching names in any case.

    Raises:
        ValidationError: ``value`` names no member; the message lists them.
    """
    return _check_enum(argument, value, enum_type)

"""Options shared by the commands that talk to an API, and their value types."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from influenceplanner_async import (
    Client,
    MemberCache,
    SortBy,
    SortDirection,
    WindowLimiter,
)
from influenceplanner_async._ratelimit import DEFAULT_WINDOW

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "AwareDateTime",
    "SortOrder",
    "SortOrderType",
    "connection_options",
    "open_client",
]

F = TypeVar("F", bound="Callable[..., Any]")


@attrs.frozen(kw_only=True)
class SortOrder:
    """A member listing's sort field and, if given, its direction."""

    by: SortBy
    direction: SortDirection | None = None


class SortOrderType(click.ParamType[SortOrder, Any]):
    """``FIELD[:asc|desc]``, such as ``followers:desc``, parsed to a SortOrder."""

    name = "FIELD[:asc|desc]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> SortOrder:
        """Parse the option's text, or fail with the allowed values."""
        if isinstance(value, SortOrder):
            return value
        field, _, direction = str(value).partition(":")
        fields = ", ".join(by.value.lower() for by in SortBy)
        try:
            by = SortBy(field.strip().upper())
        except ValueError:
            self.fail(
                f"{field!r} is not a sort field; use one of {fields}.", param, ctx
            )
        if not direction:
            return SortOrder(by=by)
        try:
            return SortOrder(by=by, direction=SortDirection(direction.strip().upper()))
        except ValueError:
            self.fail(
                f"{direction!r} is not a sort direction; use asc or desc.", param, ctx
            )


class AwareDateTime(click.ParamType[datetime, Any]):
    """An ISO 8601 timestamp with a time zone, such as ``2026-01-30T21:00Z``."""

    name = "ISO-8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        """Parse the option's text, rejecting a timestamp without a time zone."""
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(
                    f"{value!r} is not an ISO 8601 timestamp such as "
                    "2026-01-30T21:00Z.",
                    param,
                    ctx,
                )
        if moment.utcoffset() is None:
            self.fail(
                f"{value!r} has no time zone; add Z for UTC or an offset such as "
                "+01:00.",
                param,
                ctx,
            )
        return moment


def connection_options(command: F) -> F:
    """Add ``--base-url`` and ``--window`` to a command that calls the API."""
    command = click.option(
        "--window",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        default=DEFAULT_WINDOW,
        show_default=True,
        help=(
            "Length in seconds of the server's rate-limit window. The Partner "
            "API uses 60; match the --window of a fake server."
        ),
    )(command)
    return click.option(
        "--base-url",
        metavar="URL",
        help=(
            "Root URL of the API, ending in /partner/v1. Defaults to "
            "$INFLUENCEPLANNER_BASE_URL, else the production API."
        ),
    )(command)


def open_client(
    *, base_url: str | None, window: float, cache: MemberCache | None = None
) -> Client:
    """Build a client from the ``INFLUENCEPLANNER_*`` environment variables.

    ``base_url``, when given, replaces ``INFLUENCEPLANNER_BASE_URL``. ``cache``
    turns on the client's member-listing cache.

    Raises:
        ValidationError: The username or API key variable is missing, or the
            base URL is not absolute.
    """
    options: dict[str, Any] = {"limiter": WindowLimiter(window=window), "cache": cache}
    if base_url:
        options["base_url"] = base_url
    return Client.from_env(**options)

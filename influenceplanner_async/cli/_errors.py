"""Translation of failures into one line on stderr and an exit code.

Exit codes:

1. ``EXIT_FAILURE`` (1): the API or the network failed, or the server sent
   an unexpected response.
2. ``EXIT_USAGE`` (2): an argument or an environment variable is invalid or
   missing, so nothing was sent.
3. ``EXIT_INTERRUPTED`` (130): the user pressed Ctrl-C, as shells report
   for SIGINT.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import attrs

from influenceplanner_async import (
    APIConnectionError,
    InfluencePlannerError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "API_KEY_VARIABLE",
    "CONNECTION_HINT",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "Failure",
    "describe_error",
    "one_line",
]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

API_KEY_VARIABLE = "INFLUENCEPLANNER_API_KEY"
CONNECTION_HINT = (
    "Check that the server is running and that --base-url or "
    "INFLUENCEPLANNER_BASE_URL points to it."
)
_REDACTED = "<hidden>"


@attrs.frozen(kw_only=True)
class Failure:
    """Message that the command prints on stderr, with its exit code."""

    message: str
    exit_code: int


def describe_error(
    error: InfluencePlannerError, environ: Mapping[str, str] | None = None
) -> Failure:
    """Turn a library exception into a one-line message and an exit code.

    A ``ValidationError`` is a usage error (exit 2) because the request was
    never sent; every other library error exits with 1. A connection that
    never opened gets a hint about the base URL. The API key from
    ``environ`` (default ``os.environ``) is masked in case a message ever
    contains it.
    """
    exit_code = EXIT_USAGE if isinstance(error, ValidationError) else EXIT_FAILURE
    message = str(error)
    if isinstance(error, APIConnectionError) and not error.request_sent:
        message = f"{_end_sentence(message)} {CONNECTION_HINT}"
    return Failure(message=one_line(message, environ), exit_code=exit_code)


def one_line(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Collapse ``text`` to one line and mask the API key from ``environ``."""
    env = os.environ if environ is None else environ
    api_key = env.get(API_KEY_VARIABLE, "")
    if api_key:
        text = text.replace(api_key, _REDACTED)
    return " ".join(text.split())


def _end_sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."

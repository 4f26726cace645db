"""Small frozen configuration objects with their defaults defined once."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DEFAULT_BASE_URL", "RetryPolicy", "Timeout"]

DEFAULT_BASE_URL = "https://api.influenceplanner.com/partner/v1"


def _non_negative(
    instance: object, attribute: attrs.Attribute[Any], value: float
) -> None:
    check_seconds(attribute.name, value, allow_zero=True)


def _optional_positive(
    instance: object, attribute: attrs.Attribute[Any], value: float | None
) -> None:
    if value is not None:
        check_seconds(attribute.name, value, allow_zero=False)


def _count_at_least(
    minimum: int,
) -> Callable[[object, attrs.Attribute[Any], int], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValidationError(
                attribute.name, value, f"must be an integer of at least {minimum}"
            )

    return check


def check_seconds(argument: str, value: object, *, allow_zero: bool) -> float:
    """Validate a duration in seconds: a finite number, above or at zero.

    Raises:
        ValidationError: The value is not a number, is NaN or infinite, or is
            negative (or zero when ``allow_zero`` is false).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(argument, value, "must be a number of seconds")
    if not math.isfinite(value):
        raise ValidationError(argument, value, "must be a finite number of seconds")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "at least 0" if allow_zero else "above 0"
        raise ValidationError(argument, value, f"must be {bound} seconds")
    return float(value)


@attrs.frozen(kw_only=True)
class Timeout:
    """Network timeouts in seconds; ``None`` disables one.

    They cover time on the wire only: opening the connection (``connect``)
    and each wait for data from the server (``read``). Time spent waiting for
    rate-limit budget is bounded separately by the client's ``max_wait``.
    """

    connect: float | None = attrs.field(default=10.0, validator=_optional_positive)
    read: float | None = attrs.field(default=60.0, validator=_optional_positive)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how often a failed request is sent again.

    Delays follow exponential backoff with full jitter: attempt *n* (counting
    from 1 for the first retry) waits a random time between 0 and
    ``min(max_delay, initial_delay * 2 ** (n - 1))``. A ``Retry-After``
    header replaces that delay.

    GET requests are retried after a 5xx, a connection error or a timeout.
    ``POST /schedule/create`` is not idempotent: it is resent after a 429, or
    when the connection never opened, and after a 5xx or a timeout only when
    ``retry_unsafe`` is true.

    Attributes:
        max_attempts: Attempts in total for errors other than 429, including
            the first. 1 disables those retries.
        max_rate_limit_retries: Resends after a 429, which the server did not
            process.
        initial_delay: Upper bound in seconds of the first retry's jitter.
        max_delay: Cap in seconds on any single backoff delay.
        max_total_delay: Cap in seconds on backoff delays summed over one call.
        retry_unsafe: Resend a POST whose outcome is unknown (5xx or timeout
            after the request was sent), at the risk of a duplicate schedule.
    """

    max_attempts: int = attrs.field(default=4, validator=_count_at_least(1))
    max_rate_limit_retries: int = attrs.field(default=10, validator=_count_at_least(0))
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=30.0, validator=_non_negative)
    max_total_delay: float = attrs.field(default=120.0, validator=_non_negative)
    retry_unsafe: bool = False

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Return the delay in seconds before retry ``retry_number`` (from 1)."""
        ceiling = min(self.max_delay, self.initial_delay * 2 ** (retry_number - 1))
        return (rng or random).uniform(0.0, ceiling)


NO_RETRY = RetryPolicy(max_attempts=1, max_rate_limit_retries=0)

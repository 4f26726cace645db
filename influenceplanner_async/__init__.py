"""Asyncio client for the InfluencePlanner Partner API."""

import typing

from ._backend import RateLimiterBackend
from ._bulk import BulkProgress, BulkReport, CallOutcome, ItemOutcome
from ._bulk_csv import read_schedule_items
from ._bulk_plan import (
    ScheduleCall,
    ScheduleItem,
    ScheduleOptions,
    plan_schedule_calls,
)
from ._cache import CacheStats, MemberCache
from ._cache_file import FileStore
from ._cache_redis import RedisStore
from ._cache_store import CacheStore, MemoryStore
from ._client import Client
from ._config import DEFAULT_BASE_URL, RetryPolicy, Timeout
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    InfluencePlannerError,
    JournalError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ScheduleFileError,
    ServerError,
    ValidationError,
)
from ._estimate import ScanEstimate
from ._journal import Journal, JournalEntry, OutcomeStatus
from ._models import (
    ActionType,
    MemberPage,
    MemberStatus,
    NetworkMember,
    RateLimit,
    ScheduleResult,
    ScheduleSettings,
    SortBy,
    SortDirection,
)
from ._pagination import MemberPageScan, MemberScan, ScanStop
from ._ratelimit import LimiterStats, WindowLimiter
from ._transport import DEFAULT_MAX_RESPONSE_SIZE
from ._version import __version__

if typing.TYPE_CHECKING:
    from ._redis_limiter import RedisRateLimiter

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActionType",
    "AuthenticationError",
    "BadRequestError",
    "BulkProgress",
    "BulkReport",
    "CacheStats",
    "CacheStore",
    "CallOutcome",
    "Client",
    "ClientStateError",
    "FileStore",
    "InfluencePlannerError",
    "ItemOutcome",
    "Journal",
    "JournalEntry",
    "JournalError",
    "LimiterStats",
    "MemberCache",
    "MemberPage",
    "MemberPageScan",
    "MemberScan",
    "MemberStatus",
    "MemoryStore",
    "MethodNotAllowedError",
    "NetworkMember",
    "NotAcceptableError",
    "NotFoundError",
    "OutcomeStatus",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RateLimiterBackend",
    "RedirectError",
    "RedisRateLimiter",
    "RedisStore",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ScanEstimate",
    "ScanStop",
    "ScheduleCall",
    "ScheduleFileError",
    "ScheduleItem",
    "ScheduleOptions",
    "ScheduleResult",
    "ScheduleSettings",
    "ServerError",
    "SortBy",
    "SortDirection",
    "Timeout",
    "ValidationError",
    "WindowLimiter",
    "__version__",
    "plan_schedule_calls",
    "read_schedule_items",
]


def __getattr__(name: str) -> typing.Any:
    # RedisRateLimiter needs the optional redis package, so it is imported on
    # first use and the package itself imports without it.
    if name != "RedisRateLimiter":
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    try:
        from ._redis_limiter import RedisRateLimiter
    except ModuleNotFoundError:
        # A stand-in keeps `from influenceplanner_async import *` working
        # without the extra; creating one says what to install.
        return _MissingRedisRateLimiter
    return RedisRateLimiter


class _MissingRedisRateLimiter:
    """Stand-in for RedisRateLimiter when the redis package is missing."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        msg = (
            "RedisRateLimiter needs the redis package; install it with "
            "pip install 'influenceplanner-async[redis]'"
        )
        raise ImportError(msg)

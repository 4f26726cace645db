"""Asyncio client for the InfluencePlanner Partner API."""

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
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    ValidationError,
)
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
from ._ratelimit import LimiterStats, WindowLimiter
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActionType",
    "AuthenticationError",
    "BadRequestError",
    "CacheStats",
    "CacheStore",
    "Client",
    "ClientStateError",
    "FileStore",
    "InfluencePlannerError",
    "LimiterStats",
    "MemberCache",
    "MemberPage",
    "MemberStatus",
    "MemoryStore",
    "MethodNotAllowedError",
    "NetworkMember",
    "NotAcceptableError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RedisStore",
    "ResponseDecodeError",
    "RetryPolicy",
    "ScheduleResult",
    "ScheduleSettings",
    "ServerError",
    "SortBy",
    "SortDirection",
    "Timeout",
    "ValidationError",
    "WindowLimiter",
    "__version__",
]

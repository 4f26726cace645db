"""Asyncio client for the InfluencePlanner Partner API."""

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
from ._estimate import ScanEstimate
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
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActionType",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientStateError",
    "InfluencePlannerError",
    "LimiterStats",
    "MemberPage",
    "MemberPageScan",
    "MemberScan",
    "MemberStatus",
    "MethodNotAllowedError",
    "NetworkMember",
    "NotAcceptableError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "ResponseDecodeError",
    "RetryPolicy",
    "ScanEstimate",
    "ScanStop",
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

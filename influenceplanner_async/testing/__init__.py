"""A fake InfluencePlanner Partner API for tests, demos and benchmarks.

``FakePartnerAPI`` serves the two endpoints of the Partner API from memory,
with the documented Basic authentication, pagination, validation and
fixed-window rate limit, and records every request. Tests script failures
through ``api.faults`` with the constructors in ``faults``.

Example::

    from influenceplanner_async.testing import run_fake_api

    async with run_fake_api(limit=30, window_seconds=3.0) as server:
        ...  # send requests to server.base_url as alice / ip-1234
        assert server.api.count_429 == 0
"""

from influenceplanner_async.testing import faults
from influenceplanner_async.testing._api import (
    DEFAULT_CREDENTIALS,
    DEFAULT_TRACKS,
    FakePartnerAPI,
    RequestHook,
)
from influenceplanner_async.testing._clock import ManualClock
from influenceplanner_async.testing._faults import (
    DateSkewFault,
    DelayFault,
    DropConnectionFault,
    Fault,
    FaultQueue,
    HtmlErrorPageFault,
    MalformedJsonFault,
    RateLimitedFault,
    ResetFormatFault,
    StatusFault,
    TruncatedJsonFault,
    WrongTypesFault,
)
from influenceplanner_async.testing._headers import RESET_FORMATS, ResetFormat
from influenceplanner_async.testing._members import FakeMember, seed_members
from influenceplanner_async.testing._records import CreatedSchedule, ReceivedRequest
from influenceplanner_async.testing._server import (
    FakeServer,
    run_fake_api,
    serve_forever,
)
from influenceplanner_async.testing._threaded import ThreadedFakeAPI
from influenceplanner_async.testing._window import WindowStats

__all__ = [
    "DEFAULT_CREDENTIALS",
    "DEFAULT_TRACKS",
    "RESET_FORMATS",
    "CreatedSchedule",
    "DateSkewFault",
    "DelayFault",
    "DropConnectionFault",
    "FakeMember",
    "FakePartnerAPI",
    "FakeServer",
    "Fault",
    "FaultQueue",
    "HtmlErrorPageFault",
    "MalformedJsonFault",
    "ManualClock",
    "RateLimitedFault",
    "ReceivedRequest",
    "RequestHook",
    "ResetFormat",
    "ResetFormatFault",
    "StatusFault",
    "ThreadedFakeAPI",
    "TruncatedJsonFault",
    "WindowStats",
    "WrongTypesFault",
    "faults",
    "run_fake_api",
    "seed_members",
    "serve_forever",
]

"""Configuration and state of the fake Partner API, the handle tests control."""

from __future__ import annotations

import base64
import binascii
import hmac
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from influenceplanner_async.testing._app import build_application
from influenceplanner_async.testing._faults import FaultQueue
from influenceplanner_async.testing._headers import ResetFormat, check_reset_format
from influenceplanner_async.testing._members import (
    FakeMember,
    generate_member,
    seed_members,
)
from influenceplanner_async.testing._network import MemberNetwork
from influenceplanner_async.testing._window import FixedWindowLimiter, WindowStats

if TYPE_CHECKING:
    from aiohttp import web

    from influenceplanner_async.testing._records import (
        CreatedSchedule,
        ReceivedRequest,
    )

__all__ = ["DEFAULT_CREDENTIALS", "DEFAULT_TRACKS", "FakePartnerAPI", "RequestHook"]

DEFAULT_CREDENTIALS: Mapping[str, str] = {"alice": "ip-1234"}
DEFAULT_TRACKS: frozenset[str] = frozenset(
    {
        "https://soundcloud.com/example/demo",
        "https://soundcloud.com/example/second-demo",
        "https://soundcloud.com/example/night-drive",
        "https://soundcloud.com/example/åsa-remix",
    }
)
DEFAULT_MEMBER_COUNT = 200

RequestHook = Callable[["web.Request"], Awaitable[None] | None]
"""Callable run before each request is served; it may be a coroutine function."""


class FakePartnerAPI:
    """An in-process fake of the InfluencePlanner Partner API.

    Build the ``aiohttp`` application with ``make_app`` or serve it with
    ``run_fake_api``. The attributes are the control handle for tests: they
    can be read and changed while the server runs.

    Attributes:
        credentials: Username to API key.
        tracks: SoundCloud media URLs that ``/schedule/create`` accepts.
        max_page_size: Largest ``limit`` of a listing; larger values get 400.
        reset_format: Form of ``X-RateLimit-Reset`` (see ``format_reset``).
        clock: Epoch-seconds clock for windows and the Date and reset headers.
        latency: Seconds added before every response.
        send_retry_after: Whether the limiter's 429s carry ``Retry-After``.
        ensure_ascii: Whether JSON bodies escape non-ASCII characters, so that
            emoji outside the Basic Multilingual Plane become surrogate pairs.
            A member with an unpaired surrogate is always escaped.
        payment_required_users: Usernames that get 402 on ``/schedule/create``.
        forbidden_users: Usernames that get 403 on every path.
        faults: Queue of faults for the next matching requests.
        on_request: Hooks run, in order, before each request is served.
        requests: Every request received, oldest first.
        schedules: Every schedule created, oldest first.
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        members: Iterable[FakeMember] | None = None,
        limit: int = 30,
        window_seconds: float = 60.0,
        max_page_size: int = 25,
        tracks: Iterable[str] | None = None,
        reset_format: ResetFormat = "epoch",
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        window_phase: float = 0.0,
        count_rejected: bool = True,
        send_retry_after: bool = False,
        ensure_ascii: bool = False,
        seed: int = 0,
    ) -> None:
        """Configure the fake.

        Args:
            credentials: Username to API key; ``None`` means ``alice`` with
                ``ip-1234``, the API documentation's example.
            members: The network; ``None`` means ``seed_members(200, seed=0)``.
            limit: Requests allowed per window and username.
            window_seconds: Length of a rate-limit window in seconds.
            max_page_size: Largest ``limit`` of a listing.
            tracks: Known media URLs; ``None`` means ``DEFAULT_TRACKS``, which
                includes ``https://soundcloud.com/example/demo``.
            reset_format: Form of ``X-RateLimit-Reset``.
            clock: Epoch-seconds clock.
            latency: Seconds added before every response.
            window_phase: Seconds by which window boundaries are shifted from
                the multiples of ``window_seconds``.
            count_rejected: Whether a 429 from the limiter adds to the count.
            send_retry_after: Whether the limiter's 429s carry ``Retry-After``.
            ensure_ascii: Whether JSON bodies escape non-ASCII characters.
            seed: Seed of the generator of schedule ids and added members.

        Raises:
            ValueError: If a number is out of range or ``reset_format`` is
                unknown.
        """
        if max_page_size < 1:
            message = f"max_page_size must be at least 1, got {max_page_size!r}."
            raise ValueError(message)
        if latency < 0:
            message = f"latency must not be negative, got {latency!r}."
            raise ValueError(message)

        self.credentials = dict(
            DEFAULT_CREDENTIALS if credentials is None else credentials
        )
        self.tracks = set(DEFAULT_TRACKS if tracks is None else tracks)
        self.max_page_size = max_page_size
        self.reset_format: ResetFormat = check_reset_format(reset_format)
        self.clock = clock
        self.latency = latency
        self.send_retry_after = send_retry_after
        self.ensure_ascii = ensure_ascii
        self.payment_required_users: set[str] = set()
        self.forbidden_users: set[str] = set()
        self.faults = FaultQueue()
        self.on_request: list[RequestHook] = []
        self.requests: list[ReceivedRequest] = []
        self.schedules: list[CreatedSchedule] = []

        if members is None:
            members = seed_members(DEFAULT_MEMBER_COUNT, seed=0)
        self.network = MemberNetwork(members, ensure_ascii=ensure_ascii)
        self.limiter = FixedWindowLimiter(
            limit=limit,
            window_seconds=window_seconds,
            window_phase=window_phase,
            count_rejected=count_rejected,
        )
        self._rng = random.Random(seed)
        self._count_429 = 0

    @property
    def limit(self) -> int:
        """Requests allowed per window and username."""
        return self.limiter.limit

    @property
    def window_seconds(self) -> float:
        """Length of a rate-limit window in seconds."""
        return self.limiter.window_seconds

    @property
    def count_429(self) -> int:
        """Number of 429 responses sent, by the limiter or by a fault."""
        return self._count_429

    @property
    def members(self) -> list[FakeMember]:
        """The network's members in ascending membership id order (a copy)."""
        return self.network.members

    def make_app(self) -> web.Application:
        """Build the ``aiohttp`` application that serves this fake."""
        return build_application(self)

    def set_limit(self, limit: int) -> None:
        """Change the per-window limit from the next request on.

        A window that is already blocked stays blocked until it ends.
        """
        self.limiter.set_limit(limit)

    def window_stats(self) -> dict[str | None, list[WindowStats]]:
        """Return per-username window statistics, oldest window first.

        Each ``WindowStats`` is a ``(window_start, accepted, rejected)`` tuple.
        The key ``None`` contains unauthenticated requests.
        """
        return self.limiter.stats()

    def authenticate(self, authorization: str | None) -> str | None:
        """Return the username of a valid Basic ``Authorization`` value, or ``None``."""
        if authorization is None:
            return None
        scheme, _, token = authorization.partition(" ")
        # RFC 7235 makes the scheme name case-insensitive.
        if scheme.lower() != "basic" or not token:
            return None
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None

        username, separator, key = decoded.partition(":")
        expected = self.credentials.get(username)
        if not separator or expected is None:
            return None
        if not hmac.compare_digest(key.encode(), expected.encode()):
            return None
        return username

    def add_member(self, member: FakeMember | None = None) -> FakeMember:
        """Add ``member``, or a new LINKED member created at the clock's time.

        Raises:
            ValueError: If the membership id or user id is already taken.
        """
        if member is None:
            member = self._new_member()
        self.network.add(member)
        return member

    def remove_member(self, membership_id: int) -> FakeMember:
        """Remove and return the member with ``membership_id``.

        Raises:
            KeyError: If no member has that id.
        """
        return self.network.remove(membership_id)

    def touch_member(self, membership_id: int) -> FakeMember:
        """Set a member's ``updated_at`` to the clock's time and return it.

        This moves the member to the front of the default listing order.

        Raises:
            KeyError: If no member has that id.
        """
        return self.update_member(membership_id, updated_at=self.now())

    def update_member(self, membership_id: int, **changes: Any) -> FakeMember:
        """Change a member's attributes and rebuild the cached listings.

        Raises:
            KeyError: If no member has that id.
            AttributeError: If a change names an attribute members do not have.
        """
        member = self.network.get(membership_id)
        for name, value in changes.items():
            if not hasattr(member, name):
                message = f"FakeMember has no attribute {name!r}."
                raise AttributeError(message)
            setattr(member, name, value)
        self.network.invalidate()
        return member

    def now(self) -> datetime:
        """Return the clock's time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.clock(), UTC)

    def new_schedule_id(self) -> str:
        """Return a UUID4-shaped schedule id from the seeded generator."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def record_429(self) -> None:
        """Count one 429 response."""
        self._count_429 += 1

    def _new_member(self) -> FakeMember:
        members = self.network.members
        membership_id = members[-1].membership_id + 1 if members else 1
        while True:
            user_number = self._rng.randint(100_000_000, 999_999_999)
            if not self.network.has_user_id(f"SOUNDCLOUD-USER-{user_number}"):
                break
        return generate_member(
            self._rng,
            membership_id=membership_id,
            user_number=user_number,
            moment=self.now(),
        )

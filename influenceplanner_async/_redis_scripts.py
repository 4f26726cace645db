"""Lua scripts that keep one rate-limit window in Redis.

Theory of operation
-------------------
The scripts port the decisions of :class:`~influenceplanner_async.WindowLimiter`
to state that every process with the same API key shares. Each script runs
atomically in Redis, reads the time with ``TIME`` (the one clock that every
process agrees on) and works in milliseconds on that clock.

Keys, all under one hash tag so that a Redis Cluster keeps them on one slot:

* ``state`` (hash): ``limit``, ``window``, ``margin``, ``remaining`` (lowest
  ``X-RateLimit-Remaining`` seen in the current window, absent when unknown),
  ``server_reset`` (latest reset the server announced), ``reset_at`` (the
  boundary the limiter waits for), ``rolled`` (a fresh window was assumed and
  no response has confirmed it yet), ``gen`` (window number), ``gate`` (no
  request starts before it, set by a 429), ``calibrated``, ``strikes``
  (consecutive 429s), ``last_start`` and ``seq`` (ticket counter).
* ``inflight`` (sorted set): permit id scored by its expiry. A permit whose
  process died stops counting once it expires.
* ``queue`` (sorted set): waiting tickets scored by arrival, so waiters are
  served first come, first served across processes.
* ``tickets`` (sorted set): the same tickets scored by expiry, so the ticket
  of a process that stopped polling leaves the queue.

A ticket may take a permit when its rank in the queue is below the budget
left, ``remaining - in_flight``. Every script call refreshes the TTL of
every key, so the whole state disappears once no process uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["Grant", "SettleResult", "SharedWindow", "SharedWindowState", "WindowKeys"]

_COMMON = """
local state_key, inflight_key = KEYS[1], KEYS[2]
local queue_key, tickets_key = KEYS[3], KEYS[4]
local FIELDS = {'limit', 'window', 'window_learned', 'margin', 'remaining',
  'reset_at', 'server_reset', 'rolled', 'gen', 'gate', 'calibrated', 'strikes',
  'last_start', 'seq'}

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end

local function load(limit, window, margin)
  local raw = redis.call('HGETALL', state_key)
  local s = {}
  for i = 1, #raw, 2 do s[raw[i]] = tonumber(raw[i + 1]) end
  s.limit = s.limit or limit
  s.window = s.window or window
  s.margin = s.margin or margin
  s.gen = s.gen or 0
  s.rolled = s.rolled or 0
  s.calibrated = s.calibrated or 0
  s.strikes = s.strikes or 0
  return s
end

local function save(s, ttl)
  local values, absent = {}, {}
  for _, field in ipairs(FIELDS) do
    if s[field] ~= nil then
      values[#values + 1] = field
      values[#values + 1] = string.format('%.17g', s[field])
    else
      absent[#absent + 1] = field
    end
  end
  redis.call('HSET', state_key, unpack(values))
  if #absent > 0 then redis.call('HDEL', state_key, unpack(absent)) end
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl) end
end

-- Past reset + margin, assume the server opened a fresh window. Until one
-- assumed reset was confirmed, the first request of the window goes alone.
local function roll_if_due(s, now)
  if s.reset_at == nil or now < s.reset_at + s.margin then return end
  s.gen = s.gen + 1
  s.rolled = 1
  if s.calibrated == 1 then s.remaining = s.limit else s.remaining = nil end
  local behind = math.floor((now - s.reset_at) / s.window) + 1
  s.reset_at = s.reset_at + s.window * math.max(1, behind)
end

local function fmt(value)
  if value == nil then return '' end
  return string.format('%.17g', value)
end
"""

_ACQUIRE = (
    _COMMON
    + """
-- ARGV: ticket, permit id, permit ttl, ticket ttl, state ttl, limit, window,
-- margin, minimum interval (all times in ms).
local ticket, permit = ARGV[1], ARGV[2]
local permit_ttl, ticket_ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local state_ttl = tonumber(ARGV[5])
local min_interval = tonumber(ARGV[9])
local now = now_ms()
local s = load(tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]))
roll_if_due(s, now)

redis.call('ZREMRANGEBYSCORE', inflight_key, '-inf', now)
local dead = redis.call('ZRANGEBYSCORE', tickets_key, '-inf', now)
for _, old in ipairs(dead) do
  redis.call('ZREM', queue_key, old)
  redis.call('ZREM', tickets_key, old)
end
if not redis.call('ZSCORE', queue_key, ticket) then
  s.seq = (s.seq or 0) + 1
  redis.call('ZADD', queue_key, s.seq, ticket)
end

local blocked_until = nil
if s.gate ~= nil then
  if now < s.gate then blocked_until = s.gate else s.gate = nil end
end
if min_interval > 0 and s.last_start ~= nil and now < s.last_start + min_interval then
  blocked_until = math.max(blocked_until or 0, s.last_start + min_interval)
end

local in_flight = redis.call('ZCARD', inflight_key)
local available
if s.remaining == nil then
  -- Unknown window: one probe at a time until a response tells.
  if in_flight == 0 then available = 1 else available = 0 end
else
  available = s.remaining - in_flight
end
local rank = redis.call('ZRANK', queue_key, ticket)

if blocked_until == nil and rank < available then
  redis.call('ZADD', inflight_key, now + permit_ttl, permit)
  redis.call('ZREM', queue_key, ticket)
  redis.call('ZREM', tickets_key, ticket)
  s.last_start = now
  save(s, state_ttl)
  return {1, fmt(now), s.gen, s.limit, ''}
end

-- A spent window returns at the next reset; budget held by requests in
-- flight or claimed by earlier tickets returns sooner, so the caller polls.
local wake = blocked_until
if wake == nil and s.remaining ~= nil and s.remaining <= 0 and s.reset_at ~= nil then
  wake = s.reset_at + s.margin
end
local expiry = now + ticket_ttl
if wake ~= nil then expiry = math.max(expiry, wake + ticket_ttl) end
redis.call('ZADD', tickets_key, expiry, ticket)
save(s, state_ttl)
return {0, fmt(now), s.gen, s.limit, fmt(wake)}
"""
)

_SETTLE = (
    _COMMON
    + """
-- ARGV: permit id, permit window, mode ('observe' or 'release'), status (or
-- 1/0 for sent when releasing), has headers, limit, remaining, reset in ms
-- from now, retry-after in ms, state ttl, default limit, window, margin,
-- max margin. Absent values are empty strings.
local permit, permit_gen, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local code, has_headers = tonumber(ARGV[4]), ARGV[5] == '1'
local h_limit, h_remaining = tonumber(ARGV[6]), tonumber(ARGV[7])
local reset_in, retry_after = tonumber(ARGV[8]), tonumber(ARGV[9])
local state_ttl, max_margin = tonumber(ARGV[10]), tonumber(ARGV[14])
local now = now_ms()
local s = load(tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]))
local margin_raised = 0
roll_if_due(s, now)
redis.call('ZREM', inflight_key, permit)

-- The server had not opened the window that the limiter assumed: step back
-- to the old window and wait longer past each reset from now on.
local function learn_margin()
  local learned = math.min(max_margin, math.max(s.margin * 2, s.window / 50))
  if learned > s.margin then
    s.margin = learned
    margin_raised = 1
  end
  s.reset_at = s.server_reset
  s.gen = s.gen - 1
  s.rolled = 0
  s.calibrated = 0
  s.remaining = 0
end

-- Resets within the tolerance belong to one window, because a reset sent as
-- whole seconds varies by up to a second between responses.
local function classify(reset)
  if reset == nil or s.server_reset == nil then
    if reset ~= nil then return 'new' end
    return 'same'
  end
  local tolerance = math.min(1000, s.window / 4)
  if reset > s.server_reset + tolerance then return 'new' end
  if reset < s.server_reset - tolerance then return 'old' end
  return 'same'
end

local function enter_window(reset)
  local gap = reset - (s.server_reset or reset)
  -- Consecutive resets are whole windows apart: the smallest gap is the window.
  if gap > 0 and (s.window_learned ~= 1 or gap < s.window - 1) then
    s.window = gap
    s.window_learned = 1
  end
  if s.rolled == 0 then
    s.gen = s.gen + 1
    s.remaining = nil
  end
  s.server_reset = reset
  s.reset_at = reset
  s.rolled = 0
end

local function apply_headers()
  local was_rolled = s.rolled == 1
  if h_limit ~= nil then s.limit = h_limit end
  local reset = nil
  if reset_in ~= nil then
    reset = now + reset_in
  elseif s.server_reset == nil then
    reset = now + s.window
  end
  local class = classify(reset)
  if class == 'old' then return end
  if class == 'same' and s.rolled == 1 and permit_gen == s.gen then
    learn_margin()
  elseif class == 'new' then
    enter_window(reset)
  elseif reset ~= nil and s.server_reset ~= nil then
    s.server_reset = math.max(s.server_reset, reset)
    if s.rolled == 0 then s.reset_at = s.server_reset end
  end
  if h_remaining ~= nil then
    s.remaining = math.min(s.remaining or h_remaining, h_remaining)
  end
  if was_rolled and class == 'new' and code ~= 429 then s.calibrated = 1 end
end

local function count_without_headers()
  if s.remaining == nil then
    -- A server without rate-limit headers is paced at limit per window.
    if code < 500 and s.server_reset == nil then
      s.remaining = s.limit - 1
      s.reset_at = now + s.window
      s.server_reset = s.reset_at
    end
  elseif permit_gen == s.gen then
    s.remaining = math.max(s.remaining - 1, 0)
  end
end

local function on_429()
  s.strikes = s.strikes + 1
  s.remaining = 0
  if s.rolled == 1 and permit_gen == s.gen then learn_margin() end
  local gate
  if retry_after ~= nil then
    gate = now + retry_after
  elseif has_headers and reset_in ~= nil and s.reset_at ~= nil then
    gate = math.max(s.reset_at + s.margin, now)
  else
    gate = now + math.min(2 ^ (s.strikes - 1), 60) * 1000
  end
  if s.gate == nil or gate > s.gate then s.gate = gate end
end

if mode == 'release' then
  if code == 1 and permit_gen == s.gen and s.remaining ~= nil then
    s.remaining = math.max(s.remaining - 1, 0)
  end
else
  if has_headers then apply_headers() else count_without_headers() end
  if code == 429 then on_429() else s.strikes = 0 end
end
save(s, state_ttl)
return {fmt(now), s.limit, fmt(s.remaining), fmt(s.reset_at), fmt(s.gate),
  fmt(s.margin), margin_raised}
"""
)

_LEAVE = """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

_READ = (
    _COMMON
    + """
local now = now_ms()
local in_flight = redis.call('ZCOUNT', inflight_key, '(' .. fmt(now), '+inf')
local waiting = redis.call('ZCOUNT', tickets_key, '(' .. fmt(now), '+inf')
local raw = redis.call('HGETALL', state_key)
return {fmt(now), in_flight, waiting, raw}
"""
)


@attrs.frozen
class WindowKeys:
    """Names of the Redis keys that hold one API key's window."""

    state: str
    inflight: str
    queue: str
    tickets: str

    @classmethod
    def for_key(cls, prefix: str, key: str) -> WindowKeys:
        """Build the names for ``key`` (a username) under ``prefix``."""
        base = f"{prefix}:{{{key}}}"
        return cls(
            f"{base}:state", f"{base}:inflight", f"{base}:queue", f"{base}:tickets"
        )

    def as_list(self) -> list[str]:
        """Return the names in the order the scripts expect in ``KEYS``."""
        return [self.state, self.inflight, self.queue, self.tickets]


@attrs.frozen(kw_only=True)
class Grant:
    """Result of one acquire script call, times in seconds on Redis's clock."""

    granted: bool
    now: float
    window: int
    limit: int
    wake_at: float | None


@attrs.frozen(kw_only=True)
class SettleResult:
    """Shared state after a permit was settled, times in seconds on Redis's clock."""

    now: float
    limit: int
    remaining: int | None
    reset_at: float | None
    gate: float | None
    margin: float
    margin_raised: bool


@attrs.frozen(kw_only=True)
class SharedWindowState:
    """A read of the shared window, times in seconds from Redis's ``TIME``.

    ``in_flight`` counts unexpired permits of every process and ``waiting``
    the unexpired tickets of processes queued for budget.
    """

    now: float
    limit: int | None
    remaining: int | None
    reset_at: float | None
    gate: float | None
    margin: float | None
    window: float | None
    in_flight: int
    waiting: int


@attrs.frozen(kw_only=True)
class WindowDefaults:
    """Values that a new shared window starts with, in seconds."""

    limit: int
    window: float
    margin: float
    max_margin: float
    min_interval: float
    permit_ttl: float
    ticket_ttl: float

    @property
    def state_ttl(self) -> float:
        """Seconds that the state outlives its last use."""
        return max(3 * self.window, 2 * self.permit_ttl, 2 * self.ticket_ttl)


class SharedWindow:
    """Calls the scripts for one API key's window on one Redis connection pool.

    Args:
        redis: The client to send commands with; this class never closes it.
        keys: The names of the window's keys.
        defaults: Values for a window that Redis does not hold yet.
    """

    def __init__(
        self, redis: Redis, keys: WindowKeys, defaults: WindowDefaults
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.defaults = defaults
        self._acquire: AsyncScript = redis.register_script(_ACQUIRE)
        self._settle: AsyncScript = redis.register_script(_SETTLE)
        self._leave: AsyncScript = redis.register_script(_LEAVE)
        self._read: AsyncScript = redis.register_script(_READ)

    async def acquire(self, ticket: str, permit: str) -> Grant:
        """Take a permit for ``ticket`` if its turn has come and budget is left."""
        d = self.defaults
        reply = await self._acquire(
            keys=self.keys.as_list(),
            args=[
                ticket,
                permit,
                _ms(d.permit_ttl),
                _ms(d.ticket_ttl),
                _ms(d.state_ttl),
                d.limit,
                _ms(d.window),
                _ms(d.margin),
                _ms(d.min_interval),
            ],
        )
        return Grant(
            granted=int(reply[0]) == 1,
            now=_seconds(reply[1]) or 0.0,
            window=int(reply[2]),
            limit=int(reply[3]),
            wake_at=_seconds(reply[4]),
        )

    async def observe(
        self,
        permit: str,
        window: int,
        *,
        status: int,
        limit: int | None,
        remaining: int | None,
        reset_in: float | None,
        retry_after: float | None,
        has_headers: bool,
    ) -> SettleResult:
        """Settle ``permit`` with a response and reconcile the window with it.

        Args:
            permit: The permit's id.
            window: The window number that the permit was granted in.
            status: The response's HTTP status.
            limit: ``X-RateLimit-Limit``, if present.
            remaining: ``X-RateLimit-Remaining``, if present.
            reset_in: Seconds from now until the announced reset, if present.
            retry_after: ``Retry-After`` in seconds, if present.
            has_headers: Whether the response had any rate-limit header.
        """
        return await self._call_settle(
            [
                permit,
                window,
                "observe",
                status,
                "1" if has_headers else "0",
                _optional(limit),
                _optional(remaining),
                _optional_ms(reset_in),
                _optional_ms(retry_after),
            ]
        )

    async def release(self, permit: str, window: int, *, sent: bool) -> SettleResult:
        """Settle ``permit`` without a response; ``sent`` spends one unit."""
        return await self._call_settle(
            [permit, window, "release", 1 if sent else 0, "0", "", "", "", ""]
        )

    async def leave(self, ticket: str) -> None:
        """Remove ``ticket`` from the queue of waiters."""
        await self._leave(keys=self.keys.as_list(), args=[ticket])

    async def read(self) -> SharedWindowState:
        """Return the current shared state without changing it."""
        reply = await self._read(keys=self.keys.as_list(), args=[])
        raw = reply[3]
        fields = {
            _text(raw[i]): float(_text(raw[i + 1])) for i in range(0, len(raw), 2)
        }
        return SharedWindowState(
            now=_seconds(reply[0]) or 0.0,
            limit=_optional_int(fields.get("limit")),
            remaining=_optional_int(fields.get("remaining")),
            reset_at=_scaled(fields.get("reset_at")),
            gate=_scaled(fields.get("gate")),
            margin=_scaled(fields.get("margin")),
            window=_scaled(fields.get("window")),
            in_flight=int(reply[1]),
            waiting=int(reply[2]),
        )

    async def _call_settle(self, head: list[Any]) -> SettleResult:
        d = self.defaults
        args = [
            *head,
            _ms(d.state_ttl),
            d.limit,
            _ms(d.window),
            _ms(d.margin),
            _ms(d.max_margin),
        ]
        reply = await self._settle(keys=self.keys.as_list(), args=args)
        remaining = _text(reply[2])
        return SettleResult(
            now=_seconds(reply[0]) or 0.0,
            limit=int(reply[1]),
            remaining=int(float(remaining)) if remaining else None,
            reset_at=_seconds(reply[3]),
            gate=_seconds(reply[4]),
            margin=_seconds(reply[5]) or 0.0,
            margin_raised=int(reply[6]) == 1,
        )


def _ms(seconds: float) -> str:
    return repr(seconds * 1000.0)


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def _optional_ms(seconds: float | None) -> str:
    return "" if seconds is None else _ms(seconds)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _seconds(value: bytes | str) -> float | None:
    text = _text(value)
    return float(text) / 1000.0 if text else None


def _scaled(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000.0


def _optional_int(value: float | None) -> int | None:
    return None if value is None else int(value)

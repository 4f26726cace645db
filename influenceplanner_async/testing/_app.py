"""The aiohttp application of the fake API: one middleware and two handlers.

The middleware serves every request in this order:

1. Run the ``on_request`` hooks, read the body and identify the username.
2. Take the first matching fault. A connection dropped before processing
   ends here, uncounted.
3. Count the request in its username's window (or the anonymous one).
4. Build the response: a replacing fault's response, or the real one, which
   follows the decision table in ``_respond``.
5. Apply changing faults, add the rate-limit and Date headers, wait for the
   configured latency and record the request.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from influenceplanner_async.testing._faults import (
    DateSkewFault,
    DelayFault,
    DropConnectionFault,
    Fault,
    HtmlErrorPageFault,
    MalformedJsonFault,
    RateLimitedFault,
    ResetFormatFault,
    StatusFault,
    TruncatedJsonFault,
    WrongTypesFault,
)
from influenceplanner_async.testing._headers import format_http_date, format_reset
from influenceplanner_async.testing._paths import (
    BASE_PATH,
    MEMBERS_PATH,
    SCHEDULE_PATH,
)
from influenceplanner_async.testing._records import CreatedSchedule, ReceivedRequest
from influenceplanner_async.testing._responses import (
    corrupt_types,
    error_response,
    html_error_page,
    json_response,
    malformed_json_response,
    truncate_body,
)
from influenceplanner_async.testing._validation import (
    InvalidRequestError,
    parse_listing_query,
    parse_schedule_request,
)

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from influenceplanner_async.testing._api import FakePartnerAPI
    from influenceplanner_async.testing._headers import ResetFormat
    from influenceplanner_async.testing._validation import ScheduleRequest
    from influenceplanner_async.testing._window import WindowDecision

__all__ = ["build_application"]

logger = logging.getLogger("influenceplanner_async.testing")

_API_KEY: web.AppKey[FakePartnerAPI] = web.AppKey("fake_partner_api")
_SCHEDULE_BASE_URL = "https://influenceplanner.com/planned/calendar/schedule/"
_REPLACING_FAULTS = (
    StatusFault,
    RateLimitedFault,
    MalformedJsonFault,
    HtmlErrorPageFault,
)


def build_application(api: FakePartnerAPI) -> web.Application:
    """Build an application that serves ``api`` under ``/partner/v1``."""
    app = web.Application(middlewares=[_make_middleware(api)])
    app[_API_KEY] = api
    app.router.add_get(BASE_PATH + MEMBERS_PATH, _list_members, allow_head=False)
    app.router.add_post(BASE_PATH + SCHEDULE_PATH, _create_schedule)
    return app


def _make_middleware(api: FakePartnerAPI) -> Any:
    @web.middleware
    async def serve(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await _serve(api, request, handler)

    return serve


async def _serve(
    api: FakePartnerAPI, request: web.Request, handler: Handler
) -> web.StreamResponse:
    # 1. Hooks, body and username.
    now = api.clock()
    for hook in api.on_request:
        result = hook(request)
        if inspect.isawaitable(result):
            await result
    body = _decode_json(await request.read())
    username = api.authenticate(request.headers.get("Authorization"))

    # 2. A dropped connection that never reaches the handler is not counted.
    fault = api.faults.take(request.path, request.method)
    if isinstance(fault, DropConnectionFault) and not fault.after_processing:
        return _drop(api, request, body=body, username=username, now=now)

    # 3. Count.
    decision = api.limiter.count(username, now)

    # 4. Build the response.
    if isinstance(fault, _REPLACING_FAULTS):
        response = _fault_response(api, fault)
    else:
        response = await _respond(api, request, handler, username, decision)
        response = _change_body(response, fault)
    if isinstance(fault, DropConnectionFault):
        return _drop(api, request, body=body, username=username, now=now)

    # 5. Headers, latency and record.
    _add_headers(api, response, decision, fault=fault, now=now)
    if response.status == web.HTTPTooManyRequests.status_code:
        api.record_429()
    delay = api.latency + (fault.seconds if isinstance(fault, DelayFault) else 0.0)
    if delay > 0:
        await asyncio.sleep(delay)
    _record(api, request, body=body, username=username, now=now, status=response.status)
    return response


async def _respond(
    api: FakePartnerAPI,
    request: web.Request,
    handler: Handler,
    username: str | None,
    decision: WindowDecision,
) -> web.Response:
    # 1. Over the limit: 429, with or without valid credentials.
    if not decision.is_allowed:
        return _too_many_requests(api, decision, now=api.clock())

    # 2. No valid credentials: 401.
    if username is None:
        response = _error(api, 401, "Missing or invalid API credentials.")
        response.headers["WWW-Authenticate"] = 'Basic realm="Partner API"'
        return response

    # 3. Unknown path or method: 404 or 405.
    routing_error = request.match_info.http_exception
    if isinstance(routing_error, web.HTTPMethodNotAllowed):
        message = f"Method {request.method} is not allowed on {request.path}."
        response = _error(api, 405, message)
        response.headers["Allow"] = ", ".join(sorted(routing_error.allowed_methods))
        return response
    if routing_error is not None:
        return _error(api, 404, f"No resource at {request.path}.")

    # 4. The client does not accept JSON: 406.
    accept = request.headers.get("Accept")
    if accept is not None and not is_json_acceptable(accept):
        message = f"Responses are application/json, which Accept {accept!r} excludes."
        return _error(api, 406, message)

    # 5. Known user without access: 403.
    if username in api.forbidden_users:
        return _error(api, 403, f"User {username!r} is not allowed to use the API.")

    # 6. The endpoint itself.
    served = await handler(request)
    if not isinstance(served, web.Response):
        message = f"Handlers must return web.Response, got {type(served)!r}."
        raise TypeError(message)
    return served


async def _list_members(request: web.Request) -> web.Response:
    api = request.app[_API_KEY]
    try:
        query = parse_listing_query(request.query, max_page_size=api.max_page_size)
    except InvalidRequestError as exc:
        return _error(api, 400, exc.message)

    page = api.network.page(
        offset=query.offset,
        limit=query.limit,
        search_term=query.search_term,
        sort_by=query.sort_by,
        direction=query.direction,
    )
    return web.Response(
        text=page.to_json_text(), content_type="application/json", charset="utf-8"
    )


async def _create_schedule(request: web.Request) -> web.Response:
    api = request.app[_API_KEY]
    username = api.authenticate(request.headers.get("Authorization"))
    if username in api.payment_required_users:
        message = f"Creating schedules is not part of {username!r}'s subscription."
        return _error(api, 402, message)

    raw = await request.read()
    try:
        body = json.loads(raw)
    except ValueError:
        return _error(api, 400, "Request body is not valid JSON.")
    try:
        schedule = parse_schedule_request(
            body, tracks=api.tracks, is_member=api.network.has_user_id
        )
    except InvalidRequestError as exc:
        return _error(api, 400, exc.message)

    urls = _record_schedules(api, schedule)
    payload = {"message": None, "status": "CREATED", "data": urls}
    return json_response(payload, ensure_ascii=api.ensure_ascii)


def _record_schedules(api: FakePartnerAPI, schedule: ScheduleRequest) -> list[str]:
    urls = []
    for media in schedule.medias:
        schedule_id = api.new_schedule_id()
        url = _SCHEDULE_BASE_URL + schedule_id
        urls.append(url)
        api.schedules.append(
            CreatedSchedule(
                schedule_id=schedule_id,
                url=url,
                media=media,
                types=schedule.types,
                targets=schedule.targets,
                settings=schedule.settings,
                comment=schedule.comment,
                remove_duplicates=schedule.remove_duplicates,
                shuffle=schedule.shuffle,
                created_at=api.now(),
            )
        )
    return urls


def is_json_acceptable(accept: str) -> bool:
    """Check whether an ``Accept`` header value admits ``application/json``."""
    for media_range in accept.split(","):
        media_type, *parameters = (part.strip() for part in media_range.split(";"))
        if media_type.lower() not in {"application/json", "application/*", "*/*"}:
            continue
        if all(_quality(parameter) != 0 for parameter in parameters):
            return True
    return False


def _quality(parameter: str) -> float | None:
    name, _, value = parameter.partition("=")
    if name.strip().lower() != "q":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _too_many_requests(
    api: FakePartnerAPI, decision: WindowDecision, *, now: float
) -> web.Response:
    message = (
        f"Rate limit of {decision.limit} requests per {api.window_seconds:g} seconds "
        "exceeded. Wait until the time in X-RateLimit-Reset."
    )
    response = _error(api, 429, message)
    if api.send_retry_after:
        response.headers["Retry-After"] = str(math.ceil(decision.reset - now))
    return response


def _fault_response(api: FakePartnerAPI, fault: Fault) -> web.Response:
    if isinstance(fault, StatusFault):
        if fault.body is None:
            return _error(api, fault.status, "Injected server error.")
        body = fault.body.encode() if isinstance(fault.body, str) else fault.body
        response = web.Response(body=body, status=fault.status)
        response.content_type = fault.content_type
        return response
    if isinstance(fault, RateLimitedFault):
        response = _error(api, 429, "Too many requests.")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if isinstance(fault, HtmlErrorPageFault):
        return html_error_page(fault.status)
    return malformed_json_response()


def _change_body(response: web.Response, fault: Fault | None) -> web.Response:
    if isinstance(fault, TruncatedJsonFault):
        return truncate_body(response)
    if isinstance(fault, WrongTypesFault):
        return corrupt_types(response)
    return response


def _add_headers(
    api: FakePartnerAPI,
    response: web.Response,
    decision: WindowDecision,
    *,
    fault: Fault | None,
    now: float,
) -> None:
    skew = 0.0
    reset = decision.reset
    reset_format: ResetFormat = api.reset_format
    if isinstance(fault, DateSkewFault):
        skew = fault.seconds
        if fault.shift_reset:
            reset += skew
    if isinstance(fault, ResetFormatFault):
        reset_format = fault.reset_format

    response.headers["Date"] = format_http_date(now + skew)
    if isinstance(fault, RateLimitedFault | HtmlErrorPageFault) and (
        not fault.with_headers
    ):
        return
    response.headers["X-RateLimit-Limit"] = str(decision.limit)
    response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    response.headers["X-RateLimit-Reset"] = format_reset(
        reset, now=now, reset_format=reset_format
    )


def _error(api: FakePartnerAPI, status: int, message: str) -> web.Response:
    return error_response(status, message, ensure_ascii=api.ensure_ascii)


def _drop(
    api: FakePartnerAPI,
    request: web.Request,
    *,
    body: Any,
    username: str | None,
    now: float,
) -> web.StreamResponse:
    _record(api, request, body=body, username=username, now=now, status=None)
    transport = request.transport
    if transport is not None:
        transport.abort()
    # Raising stops aiohttp from writing a response to the closed transport.
    raise asyncio.CancelledError


def _record(
    api: FakePartnerAPI,
    request: web.Request,
    *,
    body: Any,
    username: str | None,
    now: float,
    status: int | None,
) -> None:
    # The username is logged, never the Authorization header or a body.
    logger.debug(
        "Fake API served %s %s with %s for user %r",
        request.method,
        request.path,
        "no response" if status is None else status,
        username,
    )
    api.requests.append(
        ReceivedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            json=body,
            status=status,
            username=username,
            time=now,
        )
    )


def _decode_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None

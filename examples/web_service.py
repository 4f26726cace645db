"""An aiohttp.web service that shares one Client across all its requests.

The client is opened when the application starts (``cleanup_ctx``) and
closed when it stops, so every request handler draws from one session and
one rate-limit budget. Configure it with ``INFLUENCEPLANNER_USERNAME``,
``INFLUENCEPLANNER_API_KEY`` and, for the fake API, ``INFLUENCEPLANNER_BASE_URL``.

Run it::

    python examples/web_service.py          # listens on 127.0.0.1:8000
    curl 'http://127.0.0.1:8000/members?limit=5'
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from aiohttp import web

from influenceplanner_async import (
    APIStatusError,
    Client,
    InfluencePlannerError,
    RateLimitError,
    ScheduleSettings,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

logger = logging.getLogger("web_service")

CLIENT = web.AppKey("client", Client)
# A request handler waits this long for rate-limit budget before it returns
# 503, so that a burst of traffic does not hold connections for a minute.
MAX_WAIT_SECONDS = 5.0


async def client_context(app: web.Application) -> AsyncIterator[None]:
    """Open the shared client at startup and close it at cleanup."""
    client = Client.from_env(max_wait=MAX_WAIT_SECONDS)
    app[CLIENT] = client
    logger.info("Opened %r", client)
    yield
    await client.aclose()
    logger.info("Closed %r", client)


async def list_members(request: web.Request) -> web.Response:
    """Return one page of members as JSON: ``GET /members?offset=&limit=``."""
    client = request.app[CLIENT]
    page = await client.list_members(
        offset=int(request.query.get("offset", "0")),
        limit=int(request.query.get("limit", "25")),
        search_term=request.query.get("search"),
    )
    return web.json_response(
        {
            "members": [
                {
                    "user_id": member.user_id,
                    "name": member.name,
                    "status": member.status,
                }
                for member in page.results
            ],
            "total": page.total_elements,
            "last": page.last,
        }
    )


async def create_schedule(request: web.Request) -> web.Response:
    """Create schedules from ``{"types": [...], "medias": [...], "targets": [...]}``."""
    body: dict[str, Any] = await request.json()
    result = await request.app[CLIENT].create_schedule(
        types=body.get("types", []),
        medias=body.get("medias", []),
        targets=body.get("targets", []),
        settings=ScheduleSettings(),
    )
    return web.json_response({"schedules": list(result.data)}, status=201)


@web.middleware
async def library_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Map the library's errors to HTTP statuses of this service."""
    try:
        response: web.StreamResponse = await handler(request)
    except ValidationError as error:
        return web.json_response({"error": str(error)}, status=400)
    except RateLimitError as error:
        retry_after = str(round(error.retry_after or 1))
        return web.json_response(
            {"error": "rate limited"}, status=503, headers={"Retry-After": retry_after}
        )
    except (APIStatusError, InfluencePlannerError) as error:
        logger.warning("Partner API call failed: %s", error)
        return web.json_response({"error": "upstream failure"}, status=502)
    except ValueError as error:
        return web.json_response({"error": str(error)}, status=400)
    return response


def make_app() -> web.Application:
    """Build the application with its routes and the shared client."""
    app = web.Application(middlewares=[library_errors])
    app.cleanup_ctx.append(client_context)
    app.router.add_get("/members", list_members)
    app.router.add_post("/schedules", create_schedule)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(make_app(), host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))

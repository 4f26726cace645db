"""Tests of POST /schedule/create: created schedules and each rejected body."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from influenceplanner_async.testing import CreatedSchedule, run_fake_api

if TYPE_CHECKING:
    import aiohttp

    from influenceplanner_async.testing import FakeServer

SCHEDULE_URL = re.compile(
    r"https://influenceplanner\.com/planned/calendar/schedule/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


def reference_body() -> dict[str, Any]:
    """Return the API documentation's example request body."""
    return {
        "types": ["REPOST", "UNREPOST"],
        "medias": ["https://soundcloud.com/example/demo"],
        "targets": ["SOUNDCLOUD-USER-1234", "SOUNDCLOUD-USER-4567"],
        "settings": {
            "date": "2026-01-30T21:00:00.000Z",
            "unrepostAfterHours": 24,
            "spreadBetweenAccountsMinutes": 60,
            "spreadBetweenTracksMinutes": 60,
        },
        "comment": None,
        "removeDuplicates": True,
        "shuffle": True,
    }


async def create(
    session: aiohttp.ClientSession, server: FakeServer, body: object
) -> tuple[int, Any]:
    """Send a schedule body as JSON and return the status and decoded body."""
    url = server.base_url + "/schedule/create"
    async with session.post(url, json=body) as response:
        return response.status, await response.json()


async def test_schedule_reference_example(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """The API documentation's example creates one schedule and returns its URL."""
    status, body = await create(session, server, reference_body())

    assert status == 200
    assert body["status"] == "CREATED"
    assert body["message"] is None
    assert len(body["data"]) == 1
    assert SCHEDULE_URL.fullmatch(body["data"][0])


async def test_schedule_recorded_per_media(
    server: FakeServer, session: aiohttp.ClientSession, clock: Any
) -> None:
    """Each media gets its own recorded schedule whose URL the response returns."""
    request = reference_body()
    request["medias"] = [
        "https://soundcloud.com/example/demo",
        "https://soundcloud.com/example/night-drive",
    ]

    status, body = await create(session, server, request)

    schedules = server.api.schedules
    assert status == 200
    assert [schedule.url for schedule in schedules] == body["data"]
    assert [schedule.media for schedule in schedules] == request["medias"]
    assert schedules[0].schedule_id != schedules[1].schedule_id
    assert schedules[0] == CreatedSchedule(
        schedule_id=schedules[0].schedule_id,
        url=body["data"][0],
        media="https://soundcloud.com/example/demo",
        types=("REPOST", "UNREPOST"),
        targets=("SOUNDCLOUD-USER-1234", "SOUNDCLOUD-USER-4567"),
        settings=request["settings"],
        comment=None,
        remove_duplicates=True,
        shuffle=True,
        created_at=server.api.now(),
    )
    assert schedules[0].created_at.timestamp() == clock()


async def test_schedule_ids_deterministic(session: aiohttp.ClientSession) -> None:
    """Two fakes with the same seed hand out the same schedule ids."""
    urls = []
    for _ in range(2):
        async with run_fake_api(seed=3) as server:
            _, body = await create(session, server, reference_body())
            urls.append(body["data"][0])

    assert urls[0] == urls[1]


async def test_schedule_optional_fields_default(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A body without the optional fields is accepted with their defaults."""
    body = {
        "types": ["LIKE"],
        "medias": ["https://soundcloud.com/example/demo"],
        "targets": ["SOUNDCLOUD-USER-1234"],
        "settings": {},
    }

    status, _ = await create(session, server, body)

    schedule = server.api.schedules[0]
    assert status == 200
    assert schedule.comment is None
    assert schedule.remove_duplicates is False
    assert schedule.shuffle is False


async def test_schedule_comment_with_three_targets(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A COMMENT with a comment and three targets is accepted."""
    body = reference_body()
    body["types"] = ["COMMENT"]
    body["comment"] = "Great track 🔥"
    body["targets"] = [member.user_id for member in server.api.members[:3]]

    status, _ = await create(session, server, body)

    assert status == 200
    assert server.api.schedules[0].comment == "Great track 🔥"


def changed(**changes: Any) -> dict[str, Any]:
    """Return the example body with ``changes`` applied, where None removes a key."""
    body = reference_body()
    for key, value in changes.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(["REPOST"], "JSON object", id="array-body"),
        pytest.param("text", "JSON object", id="string-body"),
        pytest.param(changed(types=None), "'types'", id="missing-types"),
        pytest.param(changed(types=[]), "'types'", id="empty-types"),
        pytest.param(changed(types="REPOST"), "'types'", id="types-not-array"),
        pytest.param(changed(types=["SHARE"]), "'SHARE'", id="unknown-type"),
        pytest.param(changed(medias=None), "'medias'", id="missing-medias"),
        pytest.param(changed(medias=[]), "'medias'", id="empty-medias"),
        pytest.param(changed(medias=[1]), "'medias'", id="media-not-string"),
        pytest.param(
            changed(medias=["https://soundcloud.com/nobody/nothing"]),
            "unknown media",
            id="unknown-media",
        ),
        pytest.param(changed(targets=None), "'targets'", id="missing-targets"),
        pytest.param(changed(targets=[]), "'targets'", id="empty-targets"),
        pytest.param(
            changed(targets=["SOUNDCLOUD-USER-1"]),
            "'SOUNDCLOUD-USER-1'",
            id="target-not-member",
        ),
        pytest.param(changed(settings=None), "'settings'", id="missing-settings"),
        pytest.param(changed(settings=[]), "'settings'", id="settings-not-object"),
        pytest.param(
            changed(settings={"unrepostAfterHours": "24"}),
            "unrepostAfterHours",
            id="hours-not-number",
        ),
        pytest.param(
            changed(settings={"unrepostAfterHours": 24, "date": 5}),
            "settings.date",
            id="date-not-string",
        ),
        pytest.param(
            changed(settings={"unrepostAfterHours": 24, "date": "tomorrow"}),
            "settings.date",
            id="date-not-iso",
        ),
        pytest.param(
            changed(settings={}), "unrepostAfterHours", id="unrepost-without-hours"
        ),
        pytest.param(
            changed(types=["COMMENT"], comment=None), "'comment'", id="comment-missing"
        ),
        pytest.param(
            changed(types=["COMMENT"], comment="  "), "'comment'", id="comment-blank"
        ),
        pytest.param(changed(comment=7), "'comment'", id="comment-not-string"),
        pytest.param(changed(shuffle="yes"), "'shuffle'", id="shuffle-not-boolean"),
        pytest.param(
            changed(removeDuplicates=1),
            "'removeDuplicates'",
            id="remove-duplicates-not-boolean",
        ),
    ],
)
async def test_schedule_bad_body(
    server: FakeServer, session: aiohttp.ClientSession, body: object, expected: str
) -> None:
    """Each invalid body gets 400 with a message naming the problem."""
    status, response = await create(session, server, body)

    assert status == 400
    assert response["status"] == "BAD_REQUEST"
    assert expected in response["message"]
    assert response["data"] is None
    assert server.api.schedules == []


async def test_schedule_comment_with_four_targets(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A non-null comment with more than three targets gets 400."""
    body = changed(comment="Nice", targets=[m.user_id for m in server.api.members[:4]])

    status, response = await create(session, server, body)

    assert status == 400
    assert "'comment'" in response["message"]
    assert "4 targets" in response["message"]


async def test_schedule_invalid_json(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A body that is not JSON gets 400."""
    url = server.base_url + "/schedule/create"
    async with session.post(url, data=b"{not json") as response:
        body = await response.json()

    assert response.status == 400
    assert body["message"] == "Request body is not valid JSON."


async def test_schedule_payment_required(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    """A user without the subscription gets 402 and no schedule is created."""
    server.api.payment_required_users.add("alice")

    status, body = await create(session, server, reference_body())

    assert status == 402
    assert body["status"] == "PAYMENT_REQUIRED"
    assert server.api.schedules == []

"""Schedule creation against the fake API: the request body and server errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from influenceplanner_async import (
    ActionType,
    BadRequestError,
    PaymentRequiredError,
    ScheduleSettings,
)
from tests.integration.support import DEMO_TRACK, JANE_DOE, JOHN_DOE, USERNAME

if TYPE_CHECKING:
    from influenceplanner_async.testing import FakeServer
    from tests.integration.support import ClientFactory

# The settings and body of the API reference's "Create schedules" example.
REFERENCE_SETTINGS = ScheduleSettings(
    date=datetime(2026, 1, 30, 21, 0, tzinfo=UTC),
    unrepost_after_hours=24,
    spread_between_accounts_minutes=60,
    spread_between_tracks_minutes=60,
)
REFERENCE_BODY = {
    "types": ["REPOST", "UNREPOST"],
    "medias": [DEMO_TRACK],
    "targets": [JOHN_DOE, JANE_DOE],
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
SECOND_TRACK = "https://soundcloud.com/example/second-demo"


async def test_reference_example_creates_schedule(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """The reference example sends the documented body and creates one schedule."""
    client = make_client(fake_server)

    result = await client.create_schedule(
        types=[ActionType.REPOST, ActionType.UNREPOST],
        medias=[DEMO_TRACK],
        targets=[JOHN_DOE, JANE_DOE],
        settings=REFERENCE_SETTINGS,
        remove_duplicates=True,
        shuffle=True,
    )

    api = fake_server.api
    request = api.requests[-1]
    assert request.method == "POST"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json == REFERENCE_BODY
    assert len(api.schedules) == 1
    schedule = api.schedules[0]
    assert schedule.media == DEMO_TRACK
    assert schedule.types == ("REPOST", "UNREPOST")
    assert schedule.targets == (JOHN_DOE, JANE_DOE)
    assert schedule.settings == REFERENCE_BODY["settings"]
    assert schedule.remove_duplicates is True
    assert schedule.shuffle is True
    assert result.status == "CREATED"
    assert result.schedule_ids == (schedule.schedule_id,)
    assert result.data == (schedule.url,)


async def test_one_schedule_per_media(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """Two medias create two schedules whose ids the result lists in order."""
    client = make_client(fake_server)

    result = await client.create_schedule(
        types=["LIKE", "COMMENT"],
        medias=[DEMO_TRACK, SECOND_TRACK],
        targets=[JOHN_DOE],
        settings=ScheduleSettings(),
        comment="Great track 🎧",
    )

    schedules = fake_server.api.schedules
    assert [schedule.media for schedule in schedules] == [DEMO_TRACK, SECOND_TRACK]
    assert result.schedule_ids == tuple(s.schedule_id for s in schedules)
    assert schedules[0].comment == "Great track 🎧"
    assert schedules[0].settings == {}


@pytest.mark.parametrize(
    ("medias", "targets", "expected_message"),
    [
        pytest.param(
            ["https://soundcloud.com/example/missing"],
            [JOHN_DOE],
            "Field 'medias' contains 'https://soundcloud.com/example/missing', "
            "which is unknown media.",
            id="unknown-media",
        ),
        pytest.param(
            [DEMO_TRACK],
            [JOHN_DOE, "SOUNDCLOUD-USER-1"],
            "Field 'targets' contains 'SOUNDCLOUD-USER-1', "
            "which is not a member of the network.",
            id="target-outside-network",
        ),
    ],
)
async def test_server_rejection_raises_bad_request(
    fake_server: FakeServer,
    make_client: ClientFactory,
    medias: list[str],
    targets: list[str],
    expected_message: str,
) -> None:
    """A body that only the server can reject raises BadRequestError once."""
    client = make_client(fake_server)

    with pytest.raises(BadRequestError) as caught:
        await client.create_schedule(
            types=["REPOST"],
            medias=medias,
            targets=targets,
            settings=REFERENCE_SETTINGS,
        )

    assert caught.value.status == 400
    assert caught.value.message == expected_message
    assert expected_message.rstrip(".") in str(caught.value)
    assert len(fake_server.api.requests) == 1
    assert fake_server.api.schedules == []


async def test_payment_required_user_raises(
    fake_server: FakeServer, make_client: ClientFactory
) -> None:
    """A user without the subscription feature gets PaymentRequiredError."""
    fake_server.api.payment_required_users.add(USERNAME)
    client = make_client(fake_server)

    with pytest.raises(PaymentRequiredError) as caught:
        await client.create_schedule(
            types=["REPOST"],
            medias=[DEMO_TRACK],
            targets=[JOHN_DOE],
            settings=REFERENCE_SETTINGS,
        )

    assert caught.value.status == 402
    assert (
        caught.value.message
        == "Creating schedules is not part of 'alice''s subscription."
    )
    assert caught.value.outcome_unknown is False
    assert len(fake_server.api.requests) == 1
    assert fake_server.api.schedules == []

"""Tests of Client.schedule_bulk against the fake API over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from influenceplanner_async import (
    APIConnectionError,
    BadRequestError,
    BulkProgress,
    OutcomeStatus,
    ScheduleItem,
    ServerError,
)
from influenceplanner_async.testing import faults

if TYPE_CHECKING:
    from pathlib import Path

    from aiohttp import web

    from influenceplanner_async import Client
    from influenceplanner_async.testing import FakePartnerAPI, RequestHook

SCHEDULE_PATH = "/schedule/create"


def schedule_posts(api: FakePartnerAPI) -> int:
    """Count the schedule creations the fake received."""
    return sum(1 for request in api.requests if request.path.endswith(SCHEDULE_PATH))


def held_pairs(api: FakePartnerAPI) -> list[tuple[str, str, str | None]]:
    """List every (media, target, comment) that the fake's schedules hold."""
    return [
        (schedule.media, target, schedule.comment)
        for schedule in api.schedules
        for target in schedule.targets
    ]


async def test_bulk_creates_in_minimum_calls(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
) -> None:
    """A full rectangle plus a comment group take 1 + ceil(7 / 3) calls."""
    items = ScheduleItem.product(tracks, targets, types=["REPOST"])
    items += ScheduleItem.product(
        tracks[:2], targets[:7], types=["COMMENT"], comment="Great"
    )

    report = await client.schedule_bulk(items)

    assert report.calls_sent == 4
    assert schedule_posts(fake_api) == 4
    assert len(report.created) == len(items)
    assert report.is_complete
    held = held_pairs(fake_api)
    assert len(held) == len(set(held)) == len(items)


async def test_bulk_reports_schedule_url_per_media(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
) -> None:
    """Each item's URL is the fake's schedule of its media."""
    items = ScheduleItem.product(tracks[:3], targets[:4], types=["LIKE"])

    report = await client.schedule_bulk(items)

    url_of_media = {schedule.media: schedule.url for schedule in fake_api.schedules}
    for outcome in report.items:
        assert outcome.schedule_url == url_of_media[outcome.item.media]
        assert outcome.status is OutcomeStatus.CREATED


async def test_bulk_bad_request_is_failed(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
) -> None:
    """A 400 fails its own call with BadRequestError; other calls succeed."""
    good = ScheduleItem.product(tracks[:2], targets[:2], types=["REPOST"])
    unknown_track = "https://soundcloud.com/bulk/missing"
    bad = ScheduleItem.product([unknown_track], targets[:1], types=["LIKE"])

    report = await client.schedule_bulk(good + bad, concurrency=1)

    assert len(report.created) == len(good)
    (failed,) = report.failed
    assert failed.item == bad[0]
    assert isinstance(failed.error, BadRequestError)
    assert failed.schedule_url is None
    assert not report.unknown
    assert all(pair[0] != unknown_track for pair in held_pairs(fake_api))


async def test_bulk_server_error_is_unknown_and_not_resent(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
) -> None:
    """An injected 500 makes the call unknown, and it is sent once only."""
    fake_api.faults.push(faults.status(500), path=SCHEDULE_PATH)
    items = ScheduleItem.product(tracks[:2], targets[:3], types=["REPOST"])

    report = await client.schedule_bulk(items)

    assert schedule_posts(fake_api) == 1
    assert len(report.unknown) == len(items)
    error = report.unknown[0].error
    assert isinstance(error, ServerError)
    assert error.outcome_unknown
    assert report.unknown_calls[0].call.pair_count == len(items)


async def test_bulk_dropped_after_processing_is_unknown(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
) -> None:
    """A connection lost after the fake created the schedules is unknown."""
    fake_api.faults.push(
        faults.drop_connection(after_processing=True), path=SCHEDULE_PATH
    )
    items = ScheduleItem.product(tracks[:1], targets[:2], types=["REPOST"])

    report = await client.schedule_bulk(items)

    assert schedule_posts(fake_api) == 1
    assert len(fake_api.schedules) == 1
    (first, second) = report.unknown
    assert isinstance(first.error, APIConnectionError)
    assert first.error.outcome_unknown
    assert second.call_id == first.call_id


async def test_bulk_dropped_before_processing_is_unknown(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
) -> None:
    """A connection dropped unprocessed is unknown too: the client cannot tell."""
    fake_api.faults.push(faults.drop_connection(), path=SCHEDULE_PATH)
    items = ScheduleItem.product(tracks[:1], targets[:2], types=["REPOST"])

    report = await client.schedule_bulk(items)

    assert schedule_posts(fake_api) == 1
    assert not fake_api.schedules
    assert len(report.unknown) == len(items)


def fail_like_calls(api: FakePartnerAPI) -> RequestHook:
    """Return a hook that answers 503 to every call with the LIKE type."""

    async def hook(request: web.Request) -> None:
        if not request.path.endswith(SCHEDULE_PATH):
            return
        body = await request.json()
        if "LIKE" in body["types"]:
            api.faults.push(faults.status(503), path=SCHEDULE_PATH)

    return hook


async def test_bulk_resume_skips_created_and_unknown(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
    tmp_path: Path,
) -> None:
    """A second run with the journal sends only the failed call again."""
    journal = tmp_path / "job.jsonl"
    created = ScheduleItem.product(tracks[:2], targets[:2], types=["REPOST"])
    lost = ScheduleItem.product(tracks[2:3], targets[:2], types=["LIKE"])
    missing_track = "https://soundcloud.com/bulk/later"
    rejected = ScheduleItem.product(
        [missing_track], targets[:1], types=["REPOST"], shuffle=True
    )
    items = created + lost + rejected
    fake_api.on_request.append(fail_like_calls(fake_api))

    first = await client.schedule_bulk(items, journal=journal)

    assert len(first.created) == len(created)
    assert len(first.unknown) == len(lost)
    assert len(first.failed) == len(rejected)
    posts_after_first = schedule_posts(fake_api)
    assert posts_after_first == 3

    fake_api.tracks.add(missing_track)
    second = await client.schedule_bulk(items, journal=journal)

    assert second.calls_sent == 1
    assert schedule_posts(fake_api) == posts_after_first + 1
    assert len(second.skipped) == len(created)
    assert len(second.created) == len(rejected)
    assert len(second.unknown) == len(lost)
    assert all(outcome.from_journal for outcome in second.unknown)
    assert second.skipped[0].schedule_url == first.created[0].schedule_url


async def test_bulk_resume_with_changed_input(
    client: Client,
    tracks: tuple[str, ...],
    fake_api: FakePartnerAPI,
    targets: list[str],
    tmp_path: Path,
) -> None:
    """Pairs created by an earlier, different job are not created again."""
    journal = tmp_path / "job.jsonl"
    earlier = ScheduleItem.product(tracks[:2], targets[:3], types=["REPOST"])
    await client.schedule_bulk(earlier, journal=journal)
    larger = ScheduleItem.product(tracks[:3], targets[:4], types=["REPOST"])

    report = await client.schedule_bulk(larger, journal=journal)

    held = held_pairs(fake_api)
    assert len(held) == len(set(held)) == len(larger)
    assert len(report.skipped) == len(earlier)
    assert len(report.created) == len(larger) - len(earlier)


async def test_bulk_progress_counts(
    client: Client, tracks: tuple[str, ...], targets: list[str]
) -> None:
    """on_progress sees the start and every call, ending at the totals."""
    items = ScheduleItem.product(
        tracks[:2], targets[:7], types=["COMMENT"], comment="Hi"
    )
    seen: list[BulkProgress] = []

    await client.schedule_bulk(items, concurrency=2, on_progress=seen.append)

    assert [progress.calls_done for progress in seen] == [0, 1, 2, 3]
    assert seen[-1].calls_total == 3
    assert seen[-1].created == len(items)
    assert seen[-1].items_total == len(items)

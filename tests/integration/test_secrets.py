"""The API key and its Authorization form never appear in any output.

Every public path runs at DEBUG with errors: successes, authentication
failure, 5xx, 429, undecodable bodies, refused and dropped connections,
oversized bodies, invalid arguments and the command line. Each test gathers
every log record, every exception's message, repr and formatted traceback
(with the local variables of the library's frames) and the printed output,
and searches all of it for both secret forms.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import pickle
import socket
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

import influenceplanner_async
from influenceplanner_async import (
    ActionType,
    Client,
    InfluencePlannerError,
    RetryPolicy,
    ScheduleItem,
    ScheduleSettings,
    WindowLimiter,
)
from influenceplanner_async._auth import Credentials
from influenceplanner_async.cli import cli
from influenceplanner_async.testing import (
    FakeServer,
    ThreadedFakeAPI,
    faults,
    run_fake_api,
    seed_members,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

USERNAME = "leak-check"
API_KEY = "sk-LEAK-5f0c8e2d9a7b4613"
TOKEN = base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()
SECRETS = (API_KEY, TOKEN)
PACKAGE_DIR = str(Path(influenceplanner_async.__file__).parent)
NO_RETRY = RetryPolicy(max_attempts=1, max_rate_limit_retries=0)
FAST_RETRY = RetryPolicy(max_attempts=3, max_rate_limit_retries=1, initial_delay=0)
# A compressed window, so that a 429's wait for the reset stays short.
WINDOW_SECONDS = 0.2
DEMO_TRACK = "https://soundcloud.com/example/demo"


def render_exception(error: BaseException, *, with_locals: bool = True) -> str:
    """Return every text form of ``error`` and its chain.

    With ``with_locals``, the local variables of the library's frames are
    rendered too. Errors raised while a client is built skip them, because
    the constructor's own ``api_key`` parameter is one of its locals.
    """
    parts = [str(error), repr(error), repr(vars(error)), repr(error.args)]
    parts.extend(traceback.format_exception(error))
    if not with_locals:
        return "\n".join(parts)
    captured = traceback.TracebackException.from_exception(error, capture_locals=True)
    # Locals of the test's own frames contain the key by construction, so
    # only the library's frames are rendered with their variables.
    for summary in iter_stacks(captured):
        for frame in summary:
            if frame.filename.startswith(PACKAGE_DIR):
                parts.append(repr(frame.locals))
    return "\n".join(parts)


def iter_stacks(
    exception: traceback.TracebackException,
) -> Iterator[traceback.StackSummary]:
    """Yield the stack of an exception and of every exception in its chain."""
    seen: set[int] = set()
    current: traceback.TracebackException | None = exception
    pending = [current]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current.stack
        pending.extend([current.__cause__, current.__context__])


class Transcript:
    """Everything that a run printed, logged or raised, searched for secrets."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.texts: list[str] = []
        self.errors: list[BaseException] = []

    def add(self, text: str) -> None:
        """Keep one piece of output."""
        self.texts.append(text)

    async def expect_error(self, call: Callable[[], Awaitable[object]]) -> None:
        """Await ``call``, which must raise a library error, and keep its text."""
        with pytest.raises(InfluencePlannerError) as caught:
            await call()
        self.keep_error(caught.value)

    def keep_error(self, error: BaseException, *, with_locals: bool = True) -> None:
        """Keep the text forms of one exception."""
        self.errors.append(error)
        self.texts.append(render_exception(error, with_locals=with_locals))

    def everything(self) -> str:
        """Return the kept texts, the log records and their formatted lines."""
        records = self.caplog.records
        logged = [self.caplog.text]
        logged.extend(repr(vars(record)) for record in records)
        logged.extend(record.getMessage() for record in records)
        return "\n".join([*self.texts, *logged])

    def assert_clean(self, *, expect_logs: bool = True) -> None:
        """Fail if any secret form appears anywhere in the transcript."""
        text = self.everything()
        for secret in SECRETS:
            assert secret not in text
        # The transcript is not empty, so the search above had something to do.
        assert self.texts
        if expect_logs:
            assert self.caplog.records


@pytest.fixture
def transcript(caplog: pytest.LogCaptureFixture) -> Transcript:
    """Capture every logger at DEBUG for one test."""
    caplog.set_level(logging.DEBUG)
    return Transcript(caplog)


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    """Serve a fake that accepts the test's credentials."""
    async with run_fake_api(
        credentials={USERNAME: API_KEY},
        members=seed_members(30),
        limit=1000,
        window_seconds=WINDOW_SECONDS,
    ) as running:
        yield running


def closed_port() -> int:
    """Return a 127.0.0.1 port that was free a moment ago and has no listener."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def create_schedule(client: Client) -> object:
    """Create one schedule for the first reference member."""
    return await client.create_schedule(
        types=[ActionType.REPOST],
        medias=[DEMO_TRACK],
        targets=["SOUNDCLOUD-USER-1234"],
        settings=ScheduleSettings(date=datetime(2026, 1, 30, tzinfo=UTC)),
    )


def test_secret_forms_distinct() -> None:
    """The two forms searched for are the key and its header token."""
    assert base64.b64decode(TOKEN).decode() == f"{USERNAME}:{API_KEY}"
    assert API_KEY not in TOKEN


def test_client_objects_hide_key(transcript: Transcript) -> None:
    """repr, str, vars, copies and pickling of client objects hide the key."""
    client = Client(USERNAME, API_KEY)
    credentials = Credentials(USERNAME, API_KEY)
    transcript.add(repr(client))
    transcript.add(str(client))
    transcript.add(repr(vars(client)))
    transcript.add(repr(credentials))
    transcript.add(str(credentials))
    transcript.add(repr(credentials.authorization))
    transcript.add(repr(copy.copy(vars(client))))
    logging.getLogger("influenceplanner_async.test").debug(
        "client %r headers %s credentials %s", client, vars(client), credentials
    )
    for target in (client, credentials, credentials.authorization):
        with pytest.raises(TypeError) as caught:
            pickle.dumps(target)
        transcript.keep_error(caught.value)

    transcript.assert_clean()


async def test_successful_calls_hide_key(
    server: FakeServer, transcript: Transcript
) -> None:
    """Listing and scheduling at DEBUG log nothing secret."""
    async with Client(USERNAME, API_KEY, base_url=server.base_url) as client:
        members = [member async for member in client.iter_members()]
        await create_schedule(client)
        items = ScheduleItem.product(
            [DEMO_TRACK], [m.user_id for m in members[:4]], types=[ActionType.LIKE]
        )
        report = await client.schedule_bulk(items)
        server.api.faults.push(faults.status(503), path="/schedule/create")
        failed = await client.schedule_bulk(
            ScheduleItem.product([DEMO_TRACK], ["SOUNDCLOUD-USER-1234"], types=["LIKE"])
        )
        transcript.add(repr(report))
        transcript.add(repr(failed))
        transcript.add(repr(client.stats))
        transcript.add(repr(client.rate_limit))

    transcript.add(repr(server.api.requests))
    assert len(members) == 30
    assert len(report.created) == 4
    assert len(failed.unknown) == 1
    transcript.assert_clean()


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(faults.status(503), id="server-error"),
        pytest.param(faults.rate_limited(retry_after=0), id="rate-limited"),
        pytest.param(faults.malformed_json(), id="malformed-json"),
        pytest.param(faults.truncated_json(), id="truncated-json"),
        pytest.param(faults.wrong_types(), id="wrong-types"),
        pytest.param(faults.html_error_page(502), id="html-page"),
        pytest.param(faults.drop_connection(), id="dropped"),
        pytest.param(faults.status(400), id="bad-request"),
    ],
)
async def test_failed_calls_hide_key(
    server: FakeServer, transcript: Transcript, fault: Any
) -> None:
    """Each fault, retried and then raised, leaves no secret in any output."""
    server.api.faults.push(fault, times=10)

    async with Client(
        USERNAME,
        API_KEY,
        base_url=server.base_url,
        retry=FAST_RETRY,
        limiter=WindowLimiter(window=WINDOW_SECONDS),
    ) as client:
        await transcript.expect_error(client.list_members)
        await transcript.expect_error(lambda: create_schedule(client))

    transcript.assert_clean()


async def test_authentication_failure_hides_key(
    server: FakeServer, transcript: Transcript
) -> None:
    """A rejected key appears neither in the 401 error nor in the logs."""
    server.api.credentials[USERNAME] = "another-key"

    async with Client(USERNAME, API_KEY, base_url=server.base_url) as client:
        await transcript.expect_error(client.list_members)

    assert transcript.errors[0].__class__.__name__ == "AuthenticationError"
    transcript.assert_clean()


async def test_connection_refused_hides_key(transcript: Transcript) -> None:
    """A refused connection's error and retry warnings hide the key."""
    base_url = f"http://127.0.0.1:{closed_port()}/partner/v1"

    async with Client(USERNAME, API_KEY, base_url=base_url, retry=FAST_RETRY) as client:
        await transcript.expect_error(client.list_members)

    transcript.assert_clean()


async def test_oversized_body_hides_key(
    server: FakeServer, transcript: Transcript
) -> None:
    """A body over max_response_size raises without exposing the key."""
    async with Client(
        USERNAME, API_KEY, base_url=server.base_url, max_response_size=64
    ) as client:
        await transcript.expect_error(client.list_members)

    transcript.assert_clean()


async def test_validation_errors_hide_key(
    server: FakeServer, transcript: Transcript
) -> None:
    """Invalid arguments, URLs and states raise without exposing the key."""
    constructors: list[Callable[[], object]] = [
        lambda: Client(USERNAME, API_KEY, base_url="http://api.example.com/v1"),
        lambda: Client(USERNAME, API_KEY, base_url="relative/path"),
        lambda: Client(USERNAME, API_KEY, max_response_size=0),
        lambda: Client(f"{USERNAME}:x", API_KEY),
        lambda: Client.from_env({"INFLUENCEPLANNER_API_KEY": API_KEY}),
    ]
    for construct in constructors:
        with pytest.raises(InfluencePlannerError) as caught:
            construct()
        transcript.keep_error(caught.value, with_locals=False)

    client = Client(USERNAME, API_KEY, base_url=server.base_url, retry=NO_RETRY)
    await transcript.expect_error(lambda: client.list_members(limit=99))
    await transcript.expect_error(
        lambda: client.create_schedule(
            types=[ActionType.COMMENT],
            medias=["not a url"],
            targets=[],
            settings=ScheduleSettings(),
        )
    )
    await client.aclose()
    await transcript.expect_error(client.list_members)

    logging.getLogger("influenceplanner_async.test").debug("closed %r", client)
    transcript.assert_clean()


async def test_cancelled_call_hides_key(
    server: FakeServer, transcript: Transcript
) -> None:
    """A call cancelled mid-request leaves no secret in its traceback."""
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def hold(request: object) -> None:
        arrived.set()
        await release.wait()

    server.api.on_request.append(hold)
    async with Client(USERNAME, API_KEY, base_url=server.base_url) as client:
        task = asyncio.ensure_future(client.list_members())
        await arrived.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
    release.set()

    transcript.keep_error(caught.value)
    transcript.add(repr(task))
    # The request never completed, so nothing was logged.
    transcript.assert_clean(expect_logs=False)


def test_cli_commands_hide_key(transcript: Transcript) -> None:
    """Every command at -vv, succeeding and failing, prints nothing secret."""
    runner = CliRunner()
    with ThreadedFakeAPI(
        credentials={USERNAME: API_KEY}, members=seed_members(10), limit=1000
    ) as fake:
        env = fake.env
        refused = {
            **env,
            "INFLUENCEPLANNER_BASE_URL": f"http://127.0.0.1:{closed_port()}",
        }
        remote_http = {**env, "INFLUENCEPLANNER_BASE_URL": "http://api.example.com/v1"}
        schedule = [
            "schedule",
            "create",
            "--type",
            "REPOST",
            "--media",
            DEMO_TRACK,
            "--target",
            "SOUNDCLOUD-USER-1234",
        ]
        runs = [
            (["-vv", "members", "--format", "jsonl"], env),
            (["-vv", *schedule], env),
            (["-vv", "members"], refused),
            (["-vv", "members"], remote_http),
            (["-vv", "members", "--limit", "0"], env),
        ]
        fake.push_fault(faults.status(401))
        runs.append((["-vv", "members"], env))
        for arguments, variables in runs:
            result = runner.invoke(cli, arguments, env=variables)
            transcript.add(result.output)
            transcript.add(result.stderr)
            if result.exception is not None and not isinstance(
                result.exception, SystemExit
            ):
                transcript.keep_error(result.exception)
        transcript.add(repr(fake.requests))

    exit_codes = [runner.invoke(cli, ["members"], env=refused).exit_code]
    assert exit_codes == [1]
    transcript.assert_clean()

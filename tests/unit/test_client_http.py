"""Tests of the client's HTTP behaviour against aioresponses mocks.

aioresponses replaces aiohttp's request method, so no test opens a socket.
Every URL lies under ``api.test.invalid``, a name that never resolves, and a
request without a matching mock fails with a connection error.
"""

from __future__ import annotations

import gc
import logging
import pickle
import re
import types
import warnings
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aioresponses import aioresponses

from influenceplanner_async import (
    ActionType,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Client,
    ClientStateError,
    NotFoundError,
    ResponseDecodeError,
    RetryPolicy,
    ScheduleSettings,
    ServerError,
    ValidationError,
    WindowLimiter,
    __version__,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

BASE_URL = "https://api.test.invalid/partner/v1"
MEMBERS_URL = re.compile(r"^https://api\.test\.invalid/partner/v1/network/members")
SCHEDULE_URL = f"{BASE_URL}/schedule/create"

USERNAME = "alice"
API_KEY = "ip-1234"
# base64("alice:ip-1234"), the example that the API reference gives.
AUTHORIZATION = "Basic YWxpY2U6aXAtMTIzNA=="
TOKEN = "YWxpY2U6aXAtMTIzNA=="

# A reset 60 s away keeps the limiter from waiting between the test's calls.
RATE_HEADERS = {
    "X-RateLimit-Limit": "30",
    "X-RateLimit-Remaining": "29",
    "X-RateLimit-Reset": "60",
}
# A spent window whose reset is now, so the limiter may resend at once.
SPENT_HEADERS = {
    "X-RateLimit-Limit": "30",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Reset": "0",
}

MEMBER = {
    "membership_id": 61400,
    "status": "LINKED",
    "user_id": "SOUNDCLOUD-USER-1234",
    "name": "John Doe",
    "image_url": "https://i1.sndcdn.com/avatars-1234-large.jpg",
    "profile_url": "https://soundcloud.com/john-doe",
    "followers": 9800,
    "updated_at": "2025-07-01T22:24:44Z",
}
PAGE = {
    "results": [MEMBER],
    "first": True,
    "last": True,
    "totalPages": 1,
    "totalElements": 1,
    "size": 1,
}
SCHEDULE_URL_CREATED = (
    "https://influenceplanner.com/planned/calendar/schedule/"
    "80808ba8-c347-45ed-b878-f3f5c802ed2b"
)
CREATED = {"message": None, "status": "CREATED", "data": [SCHEDULE_URL_CREATED]}

# The request body of the API reference's schedule example.
REFERENCE_SCHEDULE_BODY: dict[str, Any] = {
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

UNKNOWN_OUTCOME_TEXT = "the schedule may or may not exist"


def make_client(**overrides: Any) -> Client:
    """Build a test client with zero backoff and no reset margin."""
    options: dict[str, Any] = {
        "base_url": BASE_URL,
        "retry": RetryPolicy(initial_delay=0),
        "limiter": WindowLimiter(margin=0.0),
    }
    options.update(overrides)
    return Client(USERNAME, API_KEY, **options)


class MockResponse(aiohttp.ClientResponse):
    """ClientResponse that aioresponses 0.7.9 can build under aiohttp 3.14."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        # NOTE: aiohttp 3.14 made ``stream_writer`` a required argument, which
        # aioresponses 0.7.9 does not pass. Its mock responses are complete
        # when built, so a placeholder writer with zero output bytes suffices.
        kwargs.setdefault("stream_writer", types.SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Intercept every aiohttp request for the duration of one test."""
    monkeypatch.setattr("aioresponses.core.ClientResponse", MockResponse)
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """Yield an open test client and close it afterwards."""
    async with make_client() as opened:
        yield opened


def calls(mocked: Any, method: str) -> list[Any]:
    """Return the recorded request calls of one HTTP method, in order."""
    return [
        call
        for (call_method, _url), recorded in mocked.requests.items()
        if call_method == method
        for call in recorded
    ]


def request_count(mocked: Any) -> int:
    """Return how many requests the mock received in total."""
    return sum(len(recorded) for recorded in mocked.requests.values())


async def create_reference_schedule(client: Client) -> Any:
    """Send the call that corresponds to the reference's schedule example."""
    return await client.create_schedule(
        types=[ActionType.REPOST, ActionType.UNREPOST],
        medias=["https://soundcloud.com/example/demo"],
        targets=["SOUNDCLOUD-USER-1234", "SOUNDCLOUD-USER-4567"],
        settings=ScheduleSettings(
            date=datetime(2026, 1, 30, 21, 0, tzinfo=UTC),
            unrepost_after_hours=24,
            spread_between_accounts_minutes=60,
            spread_between_tracks_minutes=60,
        ),
        comment=None,
        remove_duplicates=True,
        shuffle=True,
    )


async def test_request_authorization_header(mocked: Any, client: Client) -> None:
    """The Authorization header is Basic base64(username:api_key)."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    await client.list_members()

    headers = calls(mocked, "GET")[0].kwargs["headers"]
    assert headers["Authorization"] == AUTHORIZATION


async def test_request_accept_and_user_agent(mocked: Any, client: Client) -> None:
    """Requests accept JSON and name the library and its version."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    await client.list_members()

    headers = calls(mocked, "GET")[0].kwargs["headers"]
    assert headers["Accept"] == "application/json"
    assert f"influenceplanner-async/{__version__}" in headers["User-Agent"]


async def test_request_user_agent_suffix(mocked: Any) -> None:
    """A caller's user_agent text follows the library's own product token."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    async with make_client(user_agent="my-app/2.0") as client:
        await client.list_members()

    user_agent = calls(mocked, "GET")[0].kwargs["headers"]["User-Agent"]
    assert user_agent == f"influenceplanner-async/{__version__} my-app/2.0"


async def test_list_members_query_params(mocked: Any, client: Client) -> None:
    """Listing arguments are sent as the documented camelCase query params."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    await client.list_members(
        offset=50, limit=5, search_term="John Doe", sort_by="followers", sort_dir="asc"
    )

    (url,) = [url for (_method, url) in mocked.requests]
    assert url.path == "/partner/v1/network/members"
    assert dict(url.query) == {
        "offset": "50",
        "limit": "5",
        "searchTerm": "John Doe",
        "sortBy": "FOLLOWERS",
        "sortDir": "ASC",
    }


async def test_list_members_default_params(mocked: Any, client: Client) -> None:
    """Without arguments only offset 0 and limit 25 are sent."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    page = await client.list_members()

    (url,) = [url for (_method, url) in mocked.requests]
    assert dict(url.query) == {"offset": "0", "limit": "25"}
    assert page.results[0].name == "John Doe"


async def test_create_schedule_reference_body(mocked: Any, client: Client) -> None:
    """The POST body equals the API reference's example request."""
    mocked.post(SCHEDULE_URL, payload=CREATED, headers=RATE_HEADERS)

    result = await create_reference_schedule(client)

    body = calls(mocked, "POST")[0].kwargs["json"]
    assert body == REFERENCE_SCHEDULE_BODY
    assert list(body) == list(REFERENCE_SCHEDULE_BODY)
    assert list(body["settings"]) == list(REFERENCE_SCHEDULE_BODY["settings"])
    assert result.schedule_ids == ("80808ba8-c347-45ed-b878-f3f5c802ed2b",)


async def test_create_schedule_auto_date_omitted(mocked: Any, client: Client) -> None:
    """Settings without a date send an empty settings object."""
    mocked.post(SCHEDULE_URL, payload=CREATED, headers=RATE_HEADERS)

    await client.create_schedule(
        types=["like"],
        medias=["https://soundcloud.com/example/demo"],
        targets=["SOUNDCLOUD-USER-1234"],
        settings=ScheduleSettings(),
    )

    body = calls(mocked, "POST")[0].kwargs["json"]
    assert body["types"] == ["LIKE"]
    assert body["settings"] == {}
    assert body["comment"] is None
    assert body["removeDuplicates"] is False
    assert body["shuffle"] is False


def list_members_bad_limit(client: Client) -> Awaitable[Any]:
    """Call list_members with a page size above the documented maximum."""
    return client.list_members(limit=26)


def list_members_bad_sort(client: Client) -> Awaitable[Any]:
    """Call list_members with an unknown sort field."""
    return client.list_members(sort_by="NAME")


def schedule_comment_four_targets(client: Client) -> Awaitable[Any]:
    """Call create_schedule with a comment and 4 targets."""
    return client.create_schedule(
        types=[ActionType.COMMENT],
        medias=["https://soundcloud.com/example/demo"],
        targets=["U1", "U2", "U3", "U4"],
        settings=ScheduleSettings(),
        comment="Great track",
    )


def schedule_naive_date(client: Client) -> Awaitable[Any]:
    """Call create_schedule with a naive start date."""
    return client.create_schedule(
        types=[ActionType.REPOST],
        medias=["https://soundcloud.com/example/demo"],
        targets=["U1"],
        settings=ScheduleSettings(date=datetime(2026, 1, 30, 21, 0)),
    )


def schedule_http_media(client: Client) -> Awaitable[Any]:
    """Call create_schedule with a plain http media URL."""
    return client.create_schedule(
        types=[ActionType.REPOST],
        medias=["http://soundcloud.com/example/demo"],
        targets=["U1"],
        settings=ScheduleSettings(),
    )


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        pytest.param(list_members_bad_limit, "limit", id="limit"),
        pytest.param(list_members_bad_sort, "sort_by", id="sort-by"),
        pytest.param(schedule_comment_four_targets, "comment", id="comment"),
        pytest.param(schedule_naive_date, "settings.date", id="naive-date"),
        pytest.param(schedule_http_media, "medias", id="http-media"),
    ],
)
async def test_invalid_arguments_send_nothing(
    mocked: Any,
    client: Client,
    call: Callable[[Client], Awaitable[Any]],
    argument: str,
) -> None:
    """Invalid arguments raise ValidationError before any request."""
    with pytest.raises(ValidationError) as caught:
        await call(client)

    assert caught.value.argument == argument
    assert mocked.requests == {}
    assert client.stats.requests_sent == 0


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        pytest.param(400, BadRequestError, id="400"),
        pytest.param(401, AuthenticationError, id="401"),
        pytest.param(404, NotFoundError, id="404"),
    ],
)
async def test_client_errors_not_retried(
    mocked: Any, client: Client, status: int, error_class: type[APIStatusError]
) -> None:
    """A 4xx response raises its mapped error after exactly one request."""
    mocked.get(
        MEMBERS_URL,
        status=status,
        payload={"message": "Rejected by server"},
        headers=RATE_HEADERS,
        repeat=True,
    )

    with pytest.raises(error_class) as caught:
        await client.list_members()

    assert caught.value.status == status
    assert caught.value.message == "Rejected by server"
    assert caught.value.url == f"{BASE_URL}/network/members"
    assert request_count(mocked) == 1


async def test_get_server_error_retried(mocked: Any, client: Client) -> None:
    """A GET that meets a 500 is retried and returns the next success."""
    mocked.get(
        MEMBERS_URL, status=500, payload={"message": "oops"}, headers=RATE_HEADERS
    )
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    page = await client.list_members()

    assert page.results[0].membership_id == 61400
    assert request_count(mocked) == 2
    assert client.stats.retries == 1


async def test_get_server_error_gives_up(mocked: Any) -> None:
    """A GET that keeps failing raises ServerError after max_attempts."""
    mocked.get(
        MEMBERS_URL,
        status=503,
        payload={"message": "down"},
        headers=RATE_HEADERS,
        repeat=True,
    )
    retry = RetryPolicy(initial_delay=0, max_attempts=3)

    async with make_client(retry=retry) as client:
        with pytest.raises(ServerError) as caught:
            await client.list_members()

    assert caught.value.outcome_unknown is False
    assert request_count(mocked) == 3


async def test_post_server_error_sent_once(mocked: Any, client: Client) -> None:
    """A POST that meets a 500 raises outcome-unknown and is not resent."""
    mocked.post(
        SCHEDULE_URL, status=500, payload={"message": "oops"}, headers=RATE_HEADERS
    )
    mocked.post(SCHEDULE_URL, payload=CREATED, headers=RATE_HEADERS)

    with pytest.raises(ServerError) as caught:
        await create_reference_schedule(client)

    assert caught.value.outcome_unknown is True
    assert UNKNOWN_OUTCOME_TEXT in str(caught.value)
    assert len(calls(mocked, "POST")) == 1


async def test_get_rate_limited_then_succeeds(mocked: Any, client: Client) -> None:
    """A GET rejected with 429 is resent once the announced reset has passed."""
    mocked.get(
        MEMBERS_URL, status=429, payload={"message": "slow down"}, headers=SPENT_HEADERS
    )
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    page = await client.list_members()

    assert page.size == 1
    assert request_count(mocked) == 2
    assert client.stats.responses_429 == 1


async def test_post_rate_limited_then_succeeds(mocked: Any, client: Client) -> None:
    """A POST rejected with 429 was not processed, so it is resent."""
    mocked.post(
        SCHEDULE_URL,
        status=429,
        payload={"message": "slow down"},
        headers=SPENT_HEADERS,
    )
    mocked.post(SCHEDULE_URL, payload=CREATED, headers=RATE_HEADERS)

    result = await create_reference_schedule(client)

    assert result.status == "CREATED"
    assert len(calls(mocked, "POST")) == 2
    assert calls(mocked, "POST")[1].kwargs["json"] == REFERENCE_SCHEDULE_BODY


async def test_success_body_not_json(mocked: Any, client: Client) -> None:
    """A 200 response with an HTML body raises ResponseDecodeError."""
    mocked.get(
        MEMBERS_URL,
        body="<html>maintenance</html>",
        content_type="text/html",
        headers=RATE_HEADERS,
    )

    with pytest.raises(ResponseDecodeError) as caught:
        await client.list_members()

    assert caught.value.status == 200
    assert "maintenance" in str(caught.value)


async def test_rate_limit_snapshot_after_response(mocked: Any, client: Client) -> None:
    """After a response the client exposes the server's limit and remaining."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    await client.list_members()

    snapshot = client.rate_limit
    assert snapshot is not None
    assert snapshot.limit == 30
    assert snapshot.remaining == 29
    assert snapshot.reset.tzinfo is not None


async def test_iter_members_pages_and_dedupes(mocked: Any, client: Client) -> None:
    """iter_members follows offsets and skips a member seen on a prior page."""
    second = dict(MEMBER, membership_id=61401, user_id="U2")
    third = dict(MEMBER, membership_id=61402, user_id="U3")
    first_page = dict(PAGE, results=[MEMBER, second], last=False, totalElements=3)
    last_page = dict(PAGE, results=[second, third], first=False, totalElements=3)
    mocked.get(MEMBERS_URL, payload=first_page, headers=RATE_HEADERS)
    mocked.get(MEMBERS_URL, payload=last_page, headers=RATE_HEADERS)

    ids = [member.membership_id async for member in client.iter_members(page_size=2)]

    assert ids == [61400, 61401, 61402]
    offsets = [url.query["offset"] for (_method, url) in mocked.requests]
    assert offsets == ["0", "2"]


def test_from_env_reads_variables() -> None:
    """from_env reads the username, API key and base URL variables."""
    environ = {
        "INFLUENCEPLANNER_USERNAME": USERNAME,
        "INFLUENCEPLANNER_API_KEY": API_KEY,
        "INFLUENCEPLANNER_BASE_URL": BASE_URL + "/",
    }

    client = Client.from_env(environ)

    assert client.username == USERNAME
    assert client.base_url == BASE_URL


def test_from_env_default_base_url() -> None:
    """Without a base URL variable, from_env keeps the keyword or default."""
    environ = {"INFLUENCEPLANNER_USERNAME": USERNAME, "INFLUENCEPLANNER_API_KEY": "k"}

    assert Client.from_env(environ, base_url=BASE_URL).base_url == BASE_URL
    assert Client.from_env(environ).base_url.startswith("https://")


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        pytest.param({}, "INFLUENCEPLANNER_USERNAME", id="empty-env"),
        pytest.param(
            {"INFLUENCEPLANNER_USERNAME": USERNAME},
            "INFLUENCEPLANNER_API_KEY",
            id="no-key",
        ),
        pytest.param(
            {"INFLUENCEPLANNER_API_KEY": API_KEY},
            "INFLUENCEPLANNER_USERNAME",
            id="no-username",
        ),
        pytest.param(
            {"INFLUENCEPLANNER_USERNAME": USERNAME, "INFLUENCEPLANNER_API_KEY": ""},
            "INFLUENCEPLANNER_API_KEY",
            id="empty-key",
        ),
    ],
)
def test_from_env_missing_variable(environ: dict[str, str], missing: str) -> None:
    """A missing or empty required variable raises ValidationError naming it."""
    with pytest.raises(ValidationError) as caught:
        Client.from_env(environ)

    assert caught.value.argument == missing
    assert missing in str(caught.value)


def test_from_env_reads_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a mapping, from_env reads os.environ."""
    monkeypatch.setenv("INFLUENCEPLANNER_USERNAME", USERNAME)
    monkeypatch.setenv("INFLUENCEPLANNER_API_KEY", API_KEY)

    assert Client.from_env().username == USERNAME


@pytest.mark.parametrize(
    ("username", "api_key", "argument"),
    [
        pytest.param("", API_KEY, "username", id="empty-username"),
        pytest.param("al:ice", API_KEY, "username", id="colon-username"),
        pytest.param(USERNAME, "", "api_key", id="empty-key"),
        pytest.param(USERNAME, 1234, "api_key", id="int-key"),
    ],
)
def test_constructor_rejects_credentials(
    username: str, api_key: Any, argument: str
) -> None:
    """Bad credentials raise ValidationError before any session exists."""
    with pytest.raises(ValidationError) as caught:
        Client(username, api_key, base_url=BASE_URL)

    assert caught.value.argument == argument


def test_constructor_rejects_relative_base_url() -> None:
    """A base URL without a scheme raises ValidationError."""
    with pytest.raises(ValidationError) as caught:
        Client(USERNAME, API_KEY, base_url="api.test.invalid/partner/v1")

    assert caught.value.argument == "base_url"


def test_constructor_hides_rejected_key() -> None:
    """A rejected API key is not shown in the ValidationError."""
    with pytest.raises(ValidationError) as caught:
        Client(USERNAME, 987654)  # type: ignore[arg-type]

    assert "987654" not in str(caught.value)
    assert caught.value.value == "<hidden>"


async def test_key_absent_from_repr_errors_and_logs(
    mocked: Any, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The API key and its base64 form never reach repr, errors or logs."""
    caplog.set_level(logging.DEBUG)
    mocked.get(
        MEMBERS_URL, status=500, payload={"message": "oops"}, headers=RATE_HEADERS
    )
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)
    mocked.get(
        MEMBERS_URL,
        status=401,
        payload={"message": "Unauthorized"},
        headers=RATE_HEADERS,
    )
    mocked.post(SCHEDULE_URL, status=502, body="Bad Gateway", headers=RATE_HEADERS)

    await client.list_members()
    with pytest.raises(AuthenticationError) as unauthorized:
        await client.list_members()
    with pytest.raises(ServerError) as server_error:
        await create_reference_schedule(client)

    assert "Retrying GET" in caplog.text
    outputs = {
        "repr": repr(client),
        "str": str(client),
        "401": str(unauthorized.value),
        "502": str(server_error.value),
        "log": caplog.text,
    }
    for name, text in outputs.items():
        assert API_KEY not in text, name
        assert TOKEN not in text, name


def test_client_cannot_be_pickled() -> None:
    """Pickling a client raises, since the pickle would carry the key."""
    client = make_client()

    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client)


async def test_repr_shows_state() -> None:
    """repr names the username, base URL and whether the client is open."""
    client = make_client()

    assert repr(client) == f"<Client username='alice' base_url='{BASE_URL}' open>"
    await client.aclose()
    assert repr(client).endswith("closed>")


async def test_use_after_close_raises(mocked: Any) -> None:
    """Every call on a closed client raises ClientStateError and sends nothing."""
    client = make_client()
    await client.aclose()

    with pytest.raises(ClientStateError, match="closed"):
        await client.list_members()
    with pytest.raises(ClientStateError, match="closed"):
        await create_reference_schedule(client)
    with pytest.raises(ClientStateError, match="closed"):
        await client.__aenter__()

    assert client.closed
    assert mocked.requests == {}


async def test_aclose_twice_is_safe(mocked: Any) -> None:
    """A second aclose returns quietly."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)
    client = make_client()
    await client.list_members()

    await client.aclose()
    await client.aclose()

    assert client.closed


async def test_caller_session_left_open(mocked: Any) -> None:
    """A session that the caller passed in stays open after the client closes."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)
    async with aiohttp.ClientSession() as session:
        async with make_client(session=session) as client:
            await client.list_members()

        assert client.closed
        assert not session.closed


async def test_own_session_closed(mocked: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session that the client created is closed by aclose."""
    created: list[aiohttp.ClientSession] = []
    session_class = aiohttp.ClientSession

    def record_session(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        session = session_class(*args, **kwargs)
        created.append(session)
        return session

    monkeypatch.setattr(aiohttp, "ClientSession", record_session)
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    async with make_client() as client:
        await client.list_members()
        assert len(created) == 1
        assert not created[0].closed

    assert created[0].closed


async def test_own_session_no_unclosed_warning(mocked: Any) -> None:
    """Closing the client leaves no unclosed-session ResourceWarning behind."""
    mocked.get(MEMBERS_URL, payload=PAGE, headers=RATE_HEADERS)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = make_client()
        await client.list_members()
        await client.aclose()
        del client
        gc.collect()

    messages = [str(warning.message) for warning in caught]
    assert not [text for text in messages if "Unclosed" in text], messages
    # Sync tests elsewhere leave pytest's spare event loops for gc; those
    # warnings are not about the client's session or connector.
    resource = [
        str(w.message)
        for w in caught
        if issubclass(w.category, ResourceWarning)
        and "unclosed event loop" not in str(w.message)
    ]
    assert not resource, resource

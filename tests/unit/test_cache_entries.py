"""Unit tests of the cache's settings, keys and stored entries, without a loop."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from influenceplanner_async import (
    MemberCache,
    MemberPage,
    MemberStatus,
    MemoryStore,
    NetworkMember,
    ResponseDecodeError,
    ValidationError,
)
from influenceplanner_async._cache import (
    account_prefix,
    check_cache_ttl,
    decode_entry,
    encode_entry,
    page_key,
)

PLUS_TWO = timezone(timedelta(hours=2))


def make_page(*, followers: int = 10) -> MemberPage:
    """Build a page with one known and one unknown member status."""
    members = (
        NetworkMember(
            membership_id=1,
            status=MemberStatus.LINKED,
            user_id="SOUNDCLOUD-USER-1",
            name="Ana 🎧",
            image_url="https://example.com/1.jpg",
            profile_url="https://soundcloud.com/ana",
            followers=followers,
            updated_at=datetime(2025, 7, 1, 22, 24, 44, 123456, tzinfo=UTC),
        ),
        NetworkMember(
            membership_id=2,
            status="SUSPENDED",
            user_id="SOUNDCLOUD-USER-2",
            name="Bo",
            image_url="https://example.com/2.jpg",
            profile_url="https://soundcloud.com/bo",
            followers=0,
            updated_at=datetime(
                2025, 6, 29, 1, 45, tzinfo=timezone(timedelta(hours=2))
            ),
        ),
    )
    return MemberPage(
        results=members, first=True, last=False, total_pages=4, total_elements=8, size=2
    )


# -- settings and keys --------------------------------------------------------


@pytest.mark.parametrize(
    "ttl",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="infinite"),
        pytest.param(True, id="bool"),
        pytest.param("60", id="text"),
    ],
)
def test_member_cache_rejects_bad_ttl(ttl: object) -> None:
    """MemberCache accepts only a finite positive number of seconds."""
    with pytest.raises(ValidationError, match="ttl"):
        MemberCache(ttl=ttl)  # type: ignore[arg-type]


def test_member_cache_rejects_zero_entries() -> None:
    """max_entries below 1 is rejected."""
    with pytest.raises(ValueError, match="max_entries"):
        MemberCache(ttl=1, max_entries=0)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(-0.5, id="negative"),
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="infinite"),
        pytest.param(False, id="bool"),
        pytest.param("5", id="text"),
    ],
)
def test_check_cache_ttl_rejects(value: object) -> None:
    """A per-call cache_ttl that is not seconds, 0 or more, is a ValidationError."""
    with pytest.raises(ValidationError, match="cache_ttl"):
        check_cache_ttl(value)


def test_check_cache_ttl_accepts() -> None:
    """None, 0 and positive numbers pass, as floats."""
    assert check_cache_ttl(None) is None
    assert check_cache_ttl(0) == 0.0
    assert check_cache_ttl(2) == 2.0


def test_page_key_ignores_parameter_order() -> None:
    """The same query in another order has the same key."""
    prefix = account_prefix("http://a/partner/v1", "alice")
    first = page_key(prefix, {"offset": "0", "limit": "25", "searchTerm": "x y"})
    second = page_key(prefix, {"searchTerm": "x y", "limit": "25", "offset": "0"})

    assert first == second
    assert first.startswith(prefix)


def test_page_key_separates_values() -> None:
    """Queries whose values differ get different keys."""
    prefix = account_prefix("http://a/partner/v1", "alice")
    keys = {
        page_key(prefix, {"offset": "0", "limit": "25"}),
        page_key(prefix, {"offset": "0", "limit": "2"}),
        page_key(prefix, {"offset": "0", "limit": "25", "searchTerm": ""}),
        page_key(prefix, {"offset": "0", "limit": "25", "searchTerm": "&limit=2"}),
    }

    assert len(keys) == 4


def test_account_prefix_separates_accounts() -> None:
    """Username and base URL each change the prefix."""
    prefixes = {
        account_prefix("http://a/partner/v1", "alice"),
        account_prefix("http://a/partner/v1", "bob"),
        account_prefix("http://b/partner/v1", "alice"),
    }

    assert len(prefixes) == 3


# -- entries ------------------------------------------------------------------


def test_entry_round_trip_is_exact() -> None:
    """A page reads back equal, with microseconds, offsets and unknown statuses."""
    page = make_page()

    decoded, stored_at = decode_entry(encode_entry(page, 1234.5))

    assert decoded == page
    assert stored_at == 1234.5
    assert decoded.results[1].updated_at.utcoffset() == timedelta(hours=2)


def test_entry_keeps_unpaired_surrogates() -> None:
    """A name that UTF-8 cannot encode still reads back equal."""
    page = make_page()
    odd = attrs.evolve(page.results[0], name="a\ud800b")
    page = attrs.evolve(page, results=(odd, *page.results[1:]))

    decoded, _ = decode_entry(encode_entry(page, 0.0))

    assert decoded == page
    assert decoded.results[0].name == "a\ud800b"


def test_entry_uses_wire_names() -> None:
    """The stored page uses the API's JSON names, so the response decoder reads it."""
    entry = json.loads(encode_entry(make_page(), 0.0))

    assert entry["page"]["totalPages"] == 4
    assert entry["page"]["totalElements"] == 8
    assert "total_pages" not in entry["page"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"{", id="not-json"),
        pytest.param(b"[]", id="not-object"),
        pytest.param(b'{"format": 99, "storedAt": 1, "page": {}}', id="other-format"),
        pytest.param(b'{"format": 1, "storedAt": "x", "page": {}}', id="bad-time"),
        pytest.param(b'{"format": 1, "storedAt": 1, "page": {}}', id="bad-page"),
        pytest.param(b"[" * 3000 + b"]" * 3000, id="nested-too-deeply"),
    ],
)
def test_decode_entry_rejects(data: bytes) -> None:
    """Data that is not a valid entry raises ResponseDecodeError."""
    with pytest.raises(ResponseDecodeError):
        decode_entry(data)


@pytest.mark.parametrize(
    ("max_entries", "error"),
    [
        pytest.param(0, ValueError, id="zero"),
        pytest.param(2.5, TypeError, id="float"),
        pytest.param(True, TypeError, id="bool"),
    ],
)
def test_memory_store_rejects_size(max_entries: object, error: type[Exception]) -> None:
    """max_entries must be an integer of at least 1."""
    with pytest.raises(error, match="max_entries"):
        MemoryStore(max_entries=max_entries)  # type: ignore[arg-type]

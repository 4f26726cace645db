"""The typed decoder for listing pages agrees with the general path.

With msgspec installed, a listing page is decoded and type-checked in one
pass. These tests hold that path to the general one (``json`` decoding plus
the converter's checks): the same page for every body that both accept, and
the general path's result or error for every body that the typed decoder
rejects.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from influenceplanner_async import MemberPage, MemberStatus, ResponseDecodeError
from influenceplanner_async import _wire as wire
from influenceplanner_async._converter import _parse_timestamp, structure_response
from influenceplanner_async._responses import RawResponse, decode_body
from tests.unit.test_converter import members_example

msgspec = pytest.importorskip("msgspec")


def raw(body: bytes) -> RawResponse:
    """Wrap ``body`` as a 200 response to a member listing."""
    return RawResponse(
        status=200,
        headers=CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"})),
        body=body,
        method="GET",
        url="http://127.0.0.1/network/members",
    )


def general_path(body: bytes) -> MemberPage | ResponseDecodeError:
    """Decode ``body`` without the typed decoder: json, then the converter."""
    try:
        data = json.loads(body)
    except ValueError as error:
        return ResponseDecodeError(str(error))
    try:
        return structure_response(data, MemberPage)
    except ResponseDecodeError as error:
        return error


def assert_same_result(body: bytes) -> None:
    """Assert that ``decode_body`` gives the general path's page or error path."""
    expected = general_path(body)
    if isinstance(expected, MemberPage):
        page = decode_body(raw(body), MemberPage)
        assert page == expected
        # Equal datetimes may differ in offset, and equal statuses in type.
        assert list(map(repr, page.results)) == list(map(repr, expected.results))
    else:
        with pytest.raises(ResponseDecodeError) as caught:
            decode_body(raw(body), MemberPage)
        assert caught.value.path == expected.path


def encode(data: Any) -> bytes:
    """Serialize ``data`` as the server would, keeping non-ASCII characters."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_typed_decoder_accepts_example() -> None:
    body = encode(members_example())

    typed = wire.decode_page(body)

    assert typed is not None
    member = typed["results"][0]
    assert member["updated_at"] == datetime(2025, 7, 1, 22, 24, 44, tzinfo=UTC)
    assert member["updated_at"].tzinfo is UTC
    assert member["status"] is MemberStatus.LINKED
    assert_same_result(body)


def test_unknown_status_uses_general_path() -> None:
    data = members_example()
    data["results"][0]["status"] = "SUSPENDED"
    body = encode(data)

    assert wire.decode_page(body) is None
    page = decode_body(raw(body), MemberPage)
    assert page.results[0].status == "SUSPENDED"
    assert type(page.results[0].status) is str


def test_typed_decoder_drops_unknown_fields() -> None:
    data = members_example()
    data["results"][0]["country"] = "NL"
    data["sort"] = {"by": "UPDATED"}
    body = encode(data)

    typed = wire.decode_page(body)

    assert typed is not None
    assert "country" not in typed["results"][0]
    assert_same_result(body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xef\xbb\xbf" + encode(members_example()), id="utf-8 bom"),
        pytest.param(
            encode(members_example()).replace(b"John Doe", b"John \\ud83d Doe"),
            id="lone surrogate escape",
        ),
    ],
)
def test_rejected_bodies_use_general_path(
    body: bytes,
) -> None:
    expected = general_path(body)

    assert wire.decode_page(body) is None
    assert isinstance(expected, MemberPage)
    assert decode_body(raw(body), MemberPage) == expected


def test_huge_integer_decodes() -> None:
    body = encode(members_example()).replace(b"9800", b"98000000000000000000000")

    page = decode_body(raw(body), MemberPage)

    assert page.results[0].followers == 98000000000000000000000
    assert_same_result(body)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        pytest.param("followers", True, "$.results[0].followers", id="bool count"),
        pytest.param("followers", 9800.0, "$.results[0].followers", id="float"),
        pytest.param("name", None, "$.results[0].name", id="null name"),
        pytest.param(
            "updated_at", "yesterday", "$.results[0].updated_at", id="bad timestamp"
        ),
        pytest.param(
            "updated_at",
            "2025-07-01T22:24:44",
            "$.results[0].updated_at",
            id="timestamp without offset",
        ),
    ],
)
def test_bad_field_names_path(field: str, value: Any, path: str) -> None:
    data = members_example()
    data["results"][0][field] = value

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(encode(data)), MemberPage)

    assert caught.value.path == path


def test_general_path_without_msgspec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = encode(members_example())
    with_typed = decode_body(raw(body), MemberPage)
    monkeypatch.setattr(wire, "_decode", None)

    assert wire.decode_page(body) is None
    assert decode_body(raw(body), MemberPage) == with_typed


# RFC 3339 timestamps and near misses, put together from parts, so that the
# forms that msgspec accepts also go through the general path's parser.
generated_timestamps = st.builds(
    "{}-{}-{}{}{}:{}{}{}{}".format,
    st.sampled_from(["2025", "0001", "9999", "1970"]),
    st.sampled_from(["01", "02", "12", "13", "00"]),
    st.sampled_from(["01", "28", "29", "31", "32"]),
    st.sampled_from(["T", "t", " ", "_"]),
    st.sampled_from(["00", "23", "24"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from([":00", ":59", ":60", ""]),
    st.one_of(
        st.just(""),
        st.builds(
            "{}{}".format,
            st.sampled_from([".", ","]),
            st.text(alphabet="0123456789", max_size=12)
            | st.sampled_from(["9999995", "9999994", "0000005", "1234565"]),
        ),
    ),
    st.sampled_from(
        ["", "Z", "z", "+00:00", "-00:00", "+05:30", "-0530", "+05", "+23:59", "+24:00"]
    ),
)
timestamps = generated_timestamps | st.sampled_from(
    [
        "2025-07-01T22:24:44Z",
        "2025-07-01T22:24:44.5Z",
        "2025-07-01T22:24:44.123Z",
        "2025-07-01T22:24:44.123456Z",
        "2025-07-01T22:24:44+02:00",
        "2025-07-01T22:24:44.250-05:30",
        "2025-07-01 22:24:44Z",
        "2025-07-01T22:24Z",
        "2025-07-01T22:24:44",
        "2025-07-01",
        "not a time",
    ]
)
field_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    timestamps,
)
member_fields = [
    "membership_id",
    "status",
    "user_id",
    "name",
    "image_url",
    "profile_url",
    "followers",
    "updated_at",
]


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(member_fields), field_values), max_size=3
    ),
    timestamp=timestamps,
    drop=st.sampled_from([None, *member_fields]),
)
def test_typed_and_general_paths_agree(
    changes: list[tuple[str, Any]], timestamp: str, drop: str | None
) -> None:
    data = members_example()
    member = data["results"][1]
    member["updated_at"] = timestamp
    for field, value in changes:
        member[field] = value
    if drop is not None:
        del member[drop]

    assert_same_result(encode(data))


@settings(max_examples=2000, deadline=None)
@given(text=generated_timestamps)
def test_timestamp_parsers_agree(text: str) -> None:
    decoder = msgspec.json.Decoder(Annotated[datetime, msgspec.Meta(tz=True)])
    try:
        expected = decoder.decode(json.dumps(text).encode())
    except msgspec.ValidationError:
        return

    assert repr(_parse_timestamp(text)) == repr(expected)


@pytest.fixture(params=["typed", "general"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the typed decoder, then without msgspec at all."""
    if request.param == "general":
        monkeypatch.setattr(wire, "_decode", None)
        monkeypatch.setattr(wire, "_decode_any", None)
    return str(request.param)


def test_deep_nesting_raises_decode_error(decoder: str) -> None:
    data = members_example()
    body = encode(data).replace(
        b'"size"', b'"note": ' + b"[" * 3000 + b"]" * 3000 + b', "size"'
    )

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(body), MemberPage)

    assert "nested too deeply" in str(caught.value)


def test_unknown_long_integer_ignored(decoder: str) -> None:
    data = members_example()
    body = encode(data).replace(b'"size"', b'"note": ' + b"7" * 5000 + b', "size"')

    page = decode_body(raw(body), MemberPage)

    assert page.results[0].followers == 9800


def test_member_long_integer_named(decoder: str) -> None:
    body = encode(members_example()).replace(
        b'"followers": 9800', b'"followers": ' + b"7" * 5000
    )

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(body), MemberPage)

    assert caught.value.path == "$.results[0].followers"
    assert "integer of 5000 digits" in str(caught.value)


def test_long_integer_is_not_converted() -> None:
    # Converting a million digits takes tens of seconds of CPU, so the marker
    # only counts them.
    value = wire.loads_json(b"[" + b"7" * 1_000_000 + b"]")[0]

    assert isinstance(value, wire.LongInteger)
    assert value.digits == 1_000_000


def test_non_object_member_named(decoder: str) -> None:
    data = members_example()
    data["results"][1] = 1

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(encode(data)), MemberPage)

    assert caught.value.path == "$.results[1]"
    assert "expected a JSON object, got int 1" in str(caught.value)


def test_lowercase_z_only_after_digits(decoder: str) -> None:
    data = members_example()
    data["results"][0]["updated_at"] = "2025-07-01T22:24:44zz"

    with pytest.raises(ResponseDecodeError) as caught:
        decode_body(raw(encode(data)), MemberPage)

    assert caught.value.path == "$.results[0].updated_at"


def test_lowercase_z_timestamp_decodes(decoder: str) -> None:
    data = members_example()
    data["results"][0]["updated_at"] = "2025-07-01T22:24:44.250z"

    page = decode_body(raw(encode(data)), MemberPage)

    assert page.results[0].updated_at == datetime(2025, 7, 1, 22, 24, 44, 250000, UTC)

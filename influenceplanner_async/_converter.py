"""The cattrs converter that maps wire JSON to the models and back.

Decoding runs in two passes. The fast converter uses generated hooks with no
detailed validation, and hand-written hooks for members and pages that check
each wire type inline, which keeps member listings cheap. Only when it fails does
the detailed converter run again on the same data, to name the path of the
field that broke, and the error is raised as :class:`ResponseDecodeError`.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat
from operator import attrgetter, itemgetter, setitem
from typing import TYPE_CHECKING, Any, TypeVar, cast, get_args, get_origin

import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception

from ._errors import ResponseDecodeError
from ._models import (
    MemberPage,
    MemberStatus,
    NetworkMember,
    ScheduleResult,
    ScheduleSettings,
)
from ._wire import LongInteger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "make_converter",
    "structure_checked_page",
    "structure_response",
    "unstructure_page",
    "unstructure_settings",
]

T = TypeVar("T")

# Attribute names whose JSON key differs, for the converter and error paths.
_PAGE_WIRE_NAMES = {"total_pages": "totalPages", "total_elements": "totalElements"}

_STATUS_BY_VALUE: dict[str, MemberStatus] = {
    status.value: status for status in MemberStatus
}


def _structure_str(value: Any, _type: type) -> str:
    # cattrs' default hook calls str(), which turns a JSON null into "None".
    if type(value) is not str:
        msg = f"expected a string, got {_describe(value)}"
        raise TypeError(msg)
    return value


def _structure_int(value: Any, _type: type) -> int:
    if type(value) is not int:
        msg = f"expected an integer, got {_describe(value)}"
        raise TypeError(msg)
    return value


def _structure_bool(value: Any, _type: type) -> bool:
    if type(value) is not bool:
        msg = f"expected a boolean, got {_describe(value)}"
        raise TypeError(msg)
    return value


def _structure_datetime(value: Any, _type: type) -> datetime:
    if type(value) is not str:
        msg = f"expected an ISO 8601 timestamp, got {_describe(value)}"
        raise TypeError(msg)
    return _parse_timestamp(value)


def _structure_status(value: Any, _type: object) -> MemberStatus | str:
    if type(value) is not str:
        msg = f"expected a status string, got {_describe(value)}"
        raise TypeError(msg)
    return _STATUS_BY_VALUE.get(value, value)


def _structure_optional_str(value: Any, _type: object) -> str | None:
    return None if value is None else _structure_str(value, str)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, LongInteger):
        return repr(value)
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _strict_tuple(type_: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    # cattrs' own hook accepts any iterable, so a string would become a tuple
    # of characters and an object a tuple of its keys. JSON arrays only.
    base = homogenous_tuple_structure_factory(type_, converter)

    def structure(value: Any, target: Any) -> Any:
        if type(value) is not list:
            msg = f"expected a JSON array, got {_describe(value)}"
            raise TypeError(msg)
        return base(value, target)

    return structure


def _object_only(
    model: type[T], converter: cattrs.Converter
) -> Callable[[Any, Any], T]:
    # The generated hook would index a number or a string and blame a field.
    # A member that is not a JSON object is reported as such instead.
    generated = make_dict_structure_fn(model, converter)

    def structure(value: Any, target: Any) -> T:
        if type(value) is not dict:
            msg = f"expected a JSON object, got {_describe(value)}"
            raise TypeError(msg)
        return generated(value, target)

    return structure


def _unstructure_datetime(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def make_converter(*, detailed_validation: bool = False) -> cattrs.Converter:
    """Build a converter with every hook that the models need.

    Args:
        detailed_validation: Collect the path of every failing field. This
            costs time, so the fast path leaves it off.
    """
    converter = cattrs.Converter(detailed_validation=detailed_validation)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_func(
        lambda type_: type_ == MemberStatus | str, _structure_status
    )
    converter.register_structure_hook_func(
        lambda type_: type_ == str | None, _structure_optional_str
    )
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _strict_tuple)
    converter.register_unstructure_hook(datetime, _unstructure_datetime)

    converter.register_structure_hook(
        NetworkMember, _object_only(NetworkMember, converter)
    )
    converter.register_structure_hook(
        MemberPage,
        make_dict_structure_fn(
            MemberPage,
            converter,
            total_pages=override(rename=_PAGE_WIRE_NAMES["total_pages"]),
            total_elements=override(rename=_PAGE_WIRE_NAMES["total_elements"]),
        ),
    )
    converter.register_structure_hook(
        ScheduleResult,
        make_dict_structure_fn(
            ScheduleResult, converter, message=override(omit_if_default=False)
        ),
    )
    # Pages unstructure to their wire form, so that structure_response reads
    # them back. Timestamps keep every digit for an exact round trip.
    converter.register_unstructure_hook(
        NetworkMember,
        make_dict_unstructure_fn(
            NetworkMember,
            converter,
            updated_at=override(unstruct_hook=datetime.isoformat),
        ),
    )
    converter.register_unstructure_hook(
        MemberPage,
        make_dict_unstructure_fn(
            MemberPage,
            converter,
            total_pages=override(rename=_PAGE_WIRE_NAMES["total_pages"]),
            total_elements=override(rename=_PAGE_WIRE_NAMES["total_elements"]),
        ),
    )
    converter.register_unstructure_hook(
        ScheduleSettings,
        make_dict_unstructure_fn(
            ScheduleSettings,
            converter,
            _cattrs_omit_if_default=True,
            unrepost_after_hours=override(rename="unrepostAfterHours"),
            spread_between_accounts_minutes=override(
                rename="spreadBetweenAccountsMinutes"
            ),
            spread_between_tracks_minutes=override(rename="spreadBetweenTracksMinutes"),
        ),
    )
    return converter


_new_object = object.__new__
_set_attribute = object.__setattr__


_MEMBER_KEYS = (
    "membership_id",
    "status",
    "user_id",
    "name",
    "image_url",
    "profile_url",
    "followers",
    "updated_at",
)
_get_member_fields = itemgetter(*_MEMBER_KEYS)
_get_status = itemgetter("status")
_get_updated_at = itemgetter("updated_at")
_get_tzinfo = attrgetter("tzinfo")
# A timestamp with a fraction longer than six digits and an offset is longer
# than this: "20250701T222444.1234567Z" has 24 characters.
_MAX_UNROUNDED_LENGTH = 23
_LONG_FRACTION = re.compile(r"[.,][0-9]{7}")
# Fraction digits after the sixth, in the seconds of a time of day. ASCII
# digits only, as in RFC 3339.
_SUBMICROSECOND_DIGITS = re.compile(r"(?<=[0-9]{2}[.,][0-9]{6})[0-9]+")
_ONE_MICROSECOND = timedelta(microseconds=1)
# A sign after the date, which is at least eight characters, starts the offset.
_OFFSET_SIGNS = frozenset("+-")
_MEMBER_WIRE_TYPES = (int, str, str, str, str, str, int, str)
# The expected JSON types of a whole page, field after field, member after
# member, prebuilt for pages up to the API's largest.
_CACHED_PAGE_SIZE = 25
_PAGE_WIRE_TYPES = list(_MEMBER_WIRE_TYPES) * _CACHED_PAGE_SIZE
_chain = chain.from_iterable
# Runs an iterator to its end and keeps nothing.
_consume: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend


def _structure_member_fast(value: Any, _type: type) -> NetworkMember:
    return _structure_members_fast([value])[0]


def _structure_members_fast(results: list[Any]) -> tuple[NetworkMember, ...]:
    # The hot path of every listing. Each step is one C-level map() over the
    # whole page, so no Python bytecode runs per member: read the eight
    # fields of every member and compare their JSON types with the expected
    # sequence in one list comparison. Any mismatch raises, and the detailed
    # converter then runs to name the failing field.
    count = len(results)
    if list(map(type, _chain(map(_get_member_fields, results)))) != _wire_types(count):
        msg = "a member field has the wrong JSON type"
        raise TypeError(msg)
    return _build_members(results)


def _build_members(results: list[Any]) -> tuple[NetworkMember, ...]:
    # Builds the members of a page whose JSON types are known to be right.
    # Nothing is written before the timestamps parsed, so a failure leaves
    # the data as it was for the detailed converter.
    count = len(results)
    if not count:
        return ()
    stamps = list(map(_get_updated_at, results))
    try:
        moments = list(map(datetime.fromisoformat, stamps))
    except ValueError:
        # A form that fromisoformat rejects: parse one by one, which accepts
        # a lowercase "z" and raises with the failing value otherwise.
        moments = list(map(_parse_timestamp, stamps))
    else:
        if max(map(len, stamps)) > _MAX_UNROUNDED_LENGTH and _LONG_FRACTION.search(
            " ".join(stamps)
        ):
            # fromisoformat cuts digits past the microsecond, and these round.
            moments = list(map(_parse_timestamp, stamps))
    if None in map(_get_tzinfo, moments):
        msg = "expected timestamps with a UTC offset"
        raise ValueError(msg)
    texts = list(map(_get_status, results))
    statuses = map(_STATUS_BY_VALUE.get, texts, texts)
    members = list(map(_new_object, repeat(NetworkMember, count)))
    # Every member contains the eight fields (the type check read them), so
    # the sum of the sizes shows whether any contains more.
    if sum(map(len, results)) == count * len(_MEMBER_KEYS):
        # The decoded objects contain exactly the member's fields, and this page
        # owns them: they become the members' instance dicts once the two
        # converted values are in place.
        _consume(map(setitem, results, repeat("status"), statuses))
        _consume(map(setitem, results, repeat("updated_at"), moments))
        _consume(map(_set_attribute, members, repeat("__dict__"), results))
    else:
        # Fields that this version does not know are left out.
        for member, value, status, moment in zip(
            members, results, statuses, moments, strict=True
        ):
            fields = dict(zip(_MEMBER_KEYS, _get_member_fields(value), strict=True))
            fields["status"] = status
            fields["updated_at"] = moment
            _set_attribute(member, "__dict__", fields)
    return tuple(members)


def _adopt_members(results: list[Any]) -> tuple[NetworkMember, ...]:
    # The typed decoder's member objects contain exactly the eight fields with
    # every value converted, so they become the instance dicts as they are.
    members = tuple(map(_new_object, repeat(NetworkMember, len(results))))
    _consume(map(_set_attribute, members, repeat("__dict__"), results))
    return members


def _wire_types(count: int) -> list[type]:
    if count <= _CACHED_PAGE_SIZE:
        return _PAGE_WIRE_TYPES[: count * len(_MEMBER_KEYS)]
    return list(_MEMBER_WIRE_TYPES) * count


def _parse_timestamp(text: str) -> datetime:
    # Python 3.11's fromisoformat reads the API's "Z" suffix and fractions.
    # RFC 3339 also allows a lowercase "z", which fromisoformat rejects, and
    # digits past the microsecond, which it cuts and this rounds half up.
    candidate = text[:-1] + "Z" if text[-1:] == "z" and text[-2:-1].isdigit() else text
    extra = _SUBMICROSECOND_DIGITS.search(candidate)
    if extra is not None and _OFFSET_SIGNS.isdisjoint(candidate[8 : extra.start()]):
        candidate = candidate[: extra.start()] + candidate[extra.end() :]
    else:
        # No fraction, or one in the seconds of the UTC offset, which the time
        # of day is not rounded for.
        extra = None
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        moment = None
    if moment is not None and extra is not None and extra.group()[0] >= "5":
        try:
            moment += _ONE_MICROSECOND
        except OverflowError:
            msg = f"expected a timestamp before year 10000, got {_describe(text)}"
            raise ValueError(msg) from None
    if moment is None or moment.tzinfo is None:
        msg = f"expected an ISO 8601 timestamp with a UTC offset, got {_describe(text)}"
        raise ValueError(msg)
    return moment


def _structure_page_fast(value: Any, _type: type) -> MemberPage:
    results = value["results"]
    if type(results) is not list:
        msg = f"expected a JSON array, got {_describe(results)}"
        raise TypeError(msg)
    first, last = value["first"], value["last"]
    total_pages, total_elements = value["totalPages"], value["totalElements"]
    size = value["size"]
    if (
        type(first) is not bool
        or type(last) is not bool
        or type(total_pages) is not int
        or type(total_elements) is not int
        or type(size) is not int
    ):
        msg = "a page property has the wrong JSON type"
        raise TypeError(msg)
    return MemberPage(
        results=_structure_members_fast(results),
        first=first,
        last=last,
        total_pages=total_pages,
        total_elements=total_elements,
        size=size,
    )


def structure_checked_page(value: dict[str, Any]) -> MemberPage:
    """Convert a listing page from the typed decoder.

    The caller hands the data over: the member objects become the members'
    instance dicts.
    """
    return MemberPage(
        results=_adopt_members(value["results"]),
        first=value["first"],
        last=value["last"],
        total_pages=value["totalPages"],
        total_elements=value["totalElements"],
        size=value["size"],
    )


_FAST = make_converter()
_FAST.register_structure_hook(NetworkMember, _structure_member_fast)
_FAST.register_structure_hook(MemberPage, _structure_page_fast)
_DETAILED = make_converter(detailed_validation=True)


def structure_response(data: Any, model: type[T]) -> T:
    """Convert decoded JSON into ``model``.

    The caller hands the data over: a member object that contains exactly the
    member's fields becomes that member's instance dict.

    Raises:
        ResponseDecodeError: The data does not fit the model. ``path`` names
            the first field that failed, such as ``$.results[3].followers``.
    """
    try:
        if model is MemberPage:
            # The listing's hook, without the converter's dispatch.
            return cast("T", _structure_page_fast(data, model))
        return _FAST.structure(data, model)
    except Exception as fast_error:
        path, reason = _locate_error(data, model, fast_error)
        msg = f"Response field {path} is invalid: {reason}"
        raise ResponseDecodeError(msg, path=path) from fast_error


def _locate_error(data: Any, model: type[T], fast_error: Exception) -> tuple[str, str]:
    if not isinstance(data, dict):
        return "$", f"expected a JSON object, got {_describe(data)}"
    try:
        _DETAILED.structure(data, model)
    except Exception as detailed_error:
        messages = cattrs.transform_error(
            detailed_error, path="$", format_exception=_format_exception
        )
        if messages:
            reason, _, path = messages[0].rpartition(" @ ")
            return _wire_path(path or "$"), reason or messages[0]
    return "$", str(fast_error) or type(fast_error).__name__


def _wire_path(path: str) -> str:
    for name, wire in _PAGE_WIRE_NAMES.items():
        path = path.replace(f".{name}", f".{wire}")
    return path


def _format_exception(error: BaseException, type_: type | None) -> str:
    # The hooks above raise messages that show the bad value; keep those.
    if isinstance(error, TypeError | ValueError) and str(error):
        return str(error)
    return format_exception(error, type_)


def unstructure_settings(settings: ScheduleSettings) -> dict[str, Any]:
    """Convert schedule settings into the wire's camelCase JSON object."""
    result: dict[str, Any] = _FAST.unstructure(settings)
    return result


def unstructure_page(page: MemberPage) -> dict[str, Any]:
    """Convert a member page into the wire's JSON object, as the server sends it."""
    result: dict[str, Any] = _FAST.unstructure(page)
    return result

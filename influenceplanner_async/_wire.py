"""Fast JSON decoding with msgspec, when it is installed.

msgspec parses a listing page and checks the JSON type of every field in one
C-level pass. On a 25-member page that takes about a third of the time of
``json`` decoding followed by the type checks in Python. msgspec only
accelerates: a body that it rejects goes through the general path (``json``
decoding and the converter's own checks), which then accepts it or names the
field that broke. For a body that both accept, both give the same values, so
the installed extras never change a result.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LongInteger", "decode_page", "loads_json"]


class _WireMember(TypedDict):
    membership_id: int
    status: str
    user_id: str
    name: str
    image_url: str
    profile_url: str
    followers: int
    # Parsed by the converter, with the same function as on the general path.
    updated_at: str


class _WirePage(TypedDict):
    results: list[_WireMember]
    first: bool
    last: bool
    totalPages: int  # the wire names are camelCase
    totalElements: int
    size: int


_decode: Callable[[bytes], Any] | None
_decode_any: Callable[[bytes], Any] | None
_rejected: tuple[type[Exception], ...]
try:
    import msgspec
except ImportError:  # pragma: no cover - depends on the installed extras
    _decode, _decode_any, _rejected = None, None, ()
else:
    _decode = msgspec.json.Decoder(_WirePage).decode
    _decode_any = msgspec.json.Decoder().decode
    # A RecursionError means nesting deeper than msgspec's limit, so json decides.
    _rejected = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


def decode_page(body: bytes) -> dict[str, Any] | None:
    """Decode a listing page whose fields all have their documented JSON types.

    Each member comes back as a dict that contains exactly its eight fields, with
    ``updated_at`` still a string. Returns ``None`` when msgspec is not
    installed or rejects the body for any reason.
    """
    if _decode is None:  # pragma: no cover - depends on the installed extras
        return None
    try:
        page: dict[str, Any] = _decode(body)
    except _rejected:
        return None
    return page


class LongInteger:
    """A JSON integer with more digits than Python converts by default.

    ``int()`` rejects more than ``sys.get_int_max_str_digits()`` digits (4,300
    unless configured), because the conversion time grows with the square of
    the length. msgspec rejects such integers in the fields it reads and skips
    them in fields it does not, so :func:`loads_json` keeps them as this
    marker: a field that the converter reads then fails its type check, and an
    unknown field is ignored, as with msgspec.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        limit = sys.get_int_max_str_digits()
        return f"<integer of {self.digits} digits, more than the {limit} allowed>"


def loads_json(body: bytes) -> Any:
    """Decode ``body``, with msgspec when it is installed and accepts it.

    Where msgspec accepts a body, it gives what ``json.loads`` gives. It
    rejects a few bodies that ``json`` accepts, such as unpaired surrogate
    escapes, a byte order mark and ``NaN``, and the standard library then
    decides. Integers too long to convert become :class:`LongInteger`
    markers.

    Raises:
        ValueError: The body is not UTF-8 or not JSON
            (``json.JSONDecodeError`` and ``UnicodeDecodeError`` are
            subclasses).
        RecursionError: The body nests arrays or objects too deeply.
    """
    if _decode_any is not None:
        try:
            return _decode_any(body)
        except _rejected:
            pass
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise
    except ValueError:
        # Only int()'s digit limit raises a plain ValueError here.
        return json.loads(body, parse_int=_parse_int)


def _parse_int(text: str) -> int | LongInteger:
    digits = len(text.lstrip("-"))
    limit = sys.get_int_max_str_digits()
    if limit and digits > limit:
        return LongInteger(digits)
    return int(text)

"""Time the conversion of one 25-member page: ours, pydantic v2 and msgspec.

Every library gets the same decoded JSON (a dict from ``json.loads``) and
builds equivalent typed objects: int, str and bool fields checked, the status
as an enum with unknown values kept as strings, ``updated_at`` as an aware
datetime, and ``totalPages`` and ``totalElements`` read from their wire names.
Each call converts a copy decoded just before it, because a client converts
each response once, right after decoding it. Our converter takes over the
member objects of that copy. Only the conversion is timed.
The figure is the best mean time per page over several rounds, the libraries
taking turns within each round, and the ratios divide each library's time by
ours.

Run ``python benchmarks/convert.py --quick`` for fewer rounds.
"""

from __future__ import annotations

import json
import time
from datetime import datetime  # noqa: TC003 - the models read it at run time
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import pydantic

from _common import DOCS_DIR, make_parser, markdown_table, write_json
from influenceplanner_async import MemberPage, MemberStatus
from influenceplanner_async._converter import structure_response
from influenceplanner_async._models import SortBy, SortDirection
from influenceplanner_async.testing import seed_members
from influenceplanner_async.testing._network import MemberNetwork

if TYPE_CHECKING:
    from collections.abc import Callable

PAGE_SIZE = 25


class PydanticMember(pydantic.BaseModel):
    """A network member, as a strict pydantic v2 model."""

    model_config = pydantic.ConfigDict(frozen=True, strict=True)

    membership_id: int
    status: MemberStatus | str
    user_id: str
    name: str
    image_url: str
    profile_url: str
    followers: int
    # Strict mode rejects strings for datetimes, so this field is lax.
    updated_at: Annotated[datetime, pydantic.Field(strict=False)]


class PydanticPage(pydantic.BaseModel):
    """One listing page, as a strict pydantic v2 model."""

    model_config = pydantic.ConfigDict(frozen=True, strict=True)

    # Strict mode takes only a tuple, and JSON gives a list.
    results: Annotated[tuple[PydanticMember, ...], pydantic.Field(strict=False)]
    first: bool
    last: bool
    total_pages: int = pydantic.Field(alias="totalPages")
    total_elements: int = pydantic.Field(alias="totalElements")
    size: int


_STATUS_BY_VALUE = {status.value: status for status in MemberStatus}


class MsgspecMember(msgspec.Struct, frozen=True):
    """A network member, as a msgspec struct.

    msgspec rejects a union of an enum and ``str``, so ``status`` is a string
    that ``__post_init__`` maps to ``MemberStatus`` when the value is known.
    """

    membership_id: int
    status: str
    user_id: str
    name: str
    image_url: str
    profile_url: str
    followers: int
    updated_at: datetime

    def __post_init__(self) -> None:
        status = _STATUS_BY_VALUE.get(self.status, self.status)
        msgspec.structs.force_setattr(self, "status", status)


class MsgspecPage(
    msgspec.Struct,
    frozen=True,
    rename={"total_pages": "totalPages", "total_elements": "totalElements"},
):
    """One listing page, as a msgspec struct."""

    results: tuple[MsgspecMember, ...]
    first: bool
    last: bool
    total_pages: int
    total_elements: int
    size: int


def page_text() -> str:
    """Return one 25-member page as JSON text, as the fake API sends it."""
    network = MemberNetwork(seed_members(PAGE_SIZE), ensure_ascii=False)
    page = network.page(
        offset=0,
        limit=PAGE_SIZE,
        search_term=None,
        sort_by=SortBy.UPDATED,
        direction=SortDirection.DESC,
    )
    return page.to_json_text()


def check_equivalent(text: str) -> None:
    """Fail unless the three libraries build the same values from ``text``."""
    ours = structure_response(json.loads(text), MemberPage)
    theirs = PydanticPage.model_validate(json.loads(text))
    struct = msgspec.convert(json.loads(text), MsgspecPage)
    for mine, other, spec in zip(
        ours.results, theirs.results, struct.results, strict=True
    ):
        assert mine.updated_at == other.updated_at == spec.updated_at
        assert mine.status == other.status == spec.status
        assert mine.name == other.name == spec.name
    assert ours.total_elements == theirs.total_elements == struct.total_elements


def time_rounds(
    candidates: dict[str, Callable[[Any], object]], text: str, number: int, rounds: int
) -> dict[str, float]:
    """Return each candidate's best mean seconds per call over ``rounds``.

    Every call gets a copy of the page decoded just before it, outside the
    timed span, so the data is as fresh in the CPU caches as a response that
    the client has just decoded.
    """
    best = dict.fromkeys(candidates, float("inf"))
    clock = time.perf_counter
    for _ in range(rounds):
        for name, convert in candidates.items():
            spent = 0.0
            for _ in range(number):
                data = json.loads(text)
                started = clock()
                convert(data)
                spent += clock() - started
            best[name] = min(best[name], spent / number)
    return best


def main() -> None:
    parser = make_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    number, rounds = (500, 5) if args.quick else (2000, 15)
    text = page_text()
    check_equivalent(text)
    candidates: dict[str, Callable[[Any], object]] = {
        "influenceplanner_async": lambda data: structure_response(data, MemberPage),
        "pydantic v2": PydanticPage.model_validate,
        "msgspec": lambda data: msgspec.convert(data, MsgspecPage),
    }
    times = time_rounds(candidates, text, number, rounds)
    ours = times["influenceplanner_async"]
    rows = [
        [name, f"{seconds * 1e6:.1f}", f"{seconds / ours:.2f}"]
        for name, seconds in times.items()
    ]
    for name, seconds in times.items():
        print(
            f"{name:>24}: {seconds * 1e6:7.1f} µs per page, {seconds / ours:.2f}x ours"
        )
    verdict = "meets" if ours <= times["pydantic v2"] else "misses"
    print(f"Target (ours at or below pydantic v2): {verdict}")
    table = markdown_table(["library", "µs per page", "time / ours"], rows)
    suffix = "_quick" if args.quick else ""
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    (DOCS_DIR / f"convert{suffix}.md").write_text(
        f"""# Conversion benchmark

`benchmarks/convert.py` converts one decoded 25-member listing page into typed
objects with this library's converter (`structure_response`), with pydantic v2
(`model_validate` on strict models; `updated_at` lax so that it parses the string)
and with msgspec (`msgspec.convert` into frozen structs). All three get the same
dict, check the same JSON types, parse `updated_at` into an aware datetime and map
the status to `MemberStatus`. Each call gets its own copy, decoded just before the
call and outside the timed span, because a client converts each response once, right
after decoding it. Our converter reuses that copy's member objects as the members'
attribute dicts. The libraries take turns within each round, and the best mean of
{rounds} rounds of {number} calls counts.
The target is our time at or below pydantic v2's: this run {verdict} it.

{table}

Rerun with:

```console
make venv && .venv/bin/pip install -e '.[bench]'
.venv/bin/python benchmarks/convert.py            # 15 rounds
.venv/bin/python benchmarks/convert.py --quick    # 5 rounds
```
"""
    )
    write_json(
        args.json_path,
        {"seconds_per_page": times, "ratios": {k: v / ours for k, v in times.items()}},
    )


if __name__ == "__main__":
    main()

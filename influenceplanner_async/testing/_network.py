"""The fake's member store: sorting, search and pagination of a listing.

A listing of 100,000 members in one page has to be quick, so the store keeps
each sort order and each member's encoded JSON text until a member changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from influenceplanner_async._models import SortBy, SortDirection

if TYPE_CHECKING:
    from datetime import datetime

    from influenceplanner_async.testing._members import FakeMember

__all__ = ["MemberNetwork", "MemberPageText"]

_SortKey = Callable[["FakeMember"], "str | int | datetime"]

_SORT_KEYS: dict[SortBy, _SortKey] = {
    SortBy.STATUS: lambda member: member.status,
    SortBy.FOLLOWERS: lambda member: member.followers,
    SortBy.CREATED: lambda member: member.created_at,
    SortBy.UPDATED: lambda member: member.updated_at,
}


@attrs.frozen(kw_only=True)
class MemberPageText:
    """One page of a listing, with the members already encoded as JSON text."""

    results: list[str]
    offset: int
    limit: int
    total: int

    def to_json_text(self) -> str:
        """Return the page's response body as the API sends it."""
        first = "true" if self.offset == 0 else "false"
        last = "true" if self.offset + len(self.results) >= self.total else "false"
        total_pages = math.ceil(self.total / self.limit)
        return (
            f'{{"results":[{",".join(self.results)}],"first":{first},'
            f'"last":{last},"totalPages":{total_pages},'
            f'"totalElements":{self.total},"size":{len(self.results)}}}'
        )


class MemberNetwork:
    """Members of the fake network, indexed by membership id and user id.

    Sort orders break ties by ascending ``membership_id`` in both directions,
    so a listing is deterministic.
    """

    def __init__(self, members: Iterable[FakeMember], *, ensure_ascii: bool) -> None:
        self._members: dict[int, FakeMember] = {}
        self._user_ids: dict[str, int] = {}
        self._ensure_ascii = ensure_ascii
        self._orders: dict[tuple[SortBy, SortDirection], list[FakeMember]] = {}
        self._texts: dict[int, str] = {}
        self._folded_names: dict[int, str] = {}
        for member in members:
            self.add(member)

    def __len__(self) -> int:
        return len(self._members)

    @property
    def members(self) -> list[FakeMember]:
        """All members, in ascending membership id order."""
        return sorted(self._members.values(), key=lambda member: member.membership_id)

    def get(self, membership_id: int) -> FakeMember:
        """Return the member with ``membership_id``.

        Raises:
            KeyError: If no member has that id.
        """
        try:
            return self._members[membership_id]
        except KeyError:
            message = f"No member has membership_id {membership_id!r}."
            raise KeyError(message) from None

    def has_user_id(self, user_id: str) -> bool:
        """Check whether a member of the network has ``user_id``."""
        return user_id in self._user_ids

    def add(self, member: FakeMember) -> None:
        """Add ``member``.

        Raises:
            ValueError: If its membership id or user id is already taken.
        """
        if member.membership_id in self._members:
            message = f"membership_id {member.membership_id!r} is already taken."
            raise ValueError(message)
        if self.has_user_id(member.user_id):
            message = f"user_id {member.user_id!r} is already taken."
            raise ValueError(message)
        self._members[member.membership_id] = member
        self._user_ids[member.user_id] = member.membership_id
        self._orders.clear()

    def remove(self, membership_id: int) -> FakeMember:
        """Remove and return the member with ``membership_id``.

        Raises:
            KeyError: If no member has that id.
        """
        member = self.get(membership_id)
        del self._members[membership_id]
        del self._user_ids[member.user_id]
        self._texts.pop(membership_id, None)
        self._folded_names.pop(membership_id, None)
        self._orders.clear()
        return member

    def invalidate(self) -> None:
        """Rebuild the indexes and drop the cached listings after a member changed."""
        self._user_ids = {m.user_id: m.membership_id for m in self._members.values()}
        self._orders.clear()
        self._texts.clear()
        self._folded_names.clear()

    def page(
        self,
        *,
        offset: int,
        limit: int,
        search_term: str | None,
        sort_by: SortBy,
        direction: SortDirection,
    ) -> MemberPageText:
        """Return one page of the listing, filtered by name and sorted."""
        ordered = self._ordered(sort_by, direction)
        if search_term:
            ordered = self._search(ordered, search_term)
        selected = ordered[offset : offset + limit]
        return MemberPageText(
            results=[self._text(member) for member in selected],
            offset=offset,
            limit=limit,
            total=len(ordered),
        )

    def _ordered(self, sort_by: SortBy, direction: SortDirection) -> list[FakeMember]:
        cached = self._orders.get((sort_by, direction))
        if cached is not None:
            return cached

        # Two stable sorts: the second keeps the id order among equal keys,
        # and reverse=True preserves stability too.
        ordered = sorted(self._members.values(), key=lambda m: m.membership_id)
        ordered.sort(key=_SORT_KEYS[sort_by], reverse=direction == SortDirection.DESC)
        self._orders[(sort_by, direction)] = ordered
        return ordered

    def _search(self, ordered: list[FakeMember], term: str) -> list[FakeMember]:
        folded_term = term.casefold()
        return [m for m in ordered if folded_term in self._folded_name(m)]

    def _folded_name(self, member: FakeMember) -> str:
        folded = self._folded_names.get(member.membership_id)
        if folded is None:
            folded = member.name.casefold()
            self._folded_names[member.membership_id] = folded
        return folded

    def _text(self, member: FakeMember) -> str:
        text = self._texts.get(member.membership_id)
        if text is None:
            text = member.to_json_text(ensure_ascii=self._ensure_ascii)
            self._texts[member.membership_id] = text
        return text

"""Grouping of many schedule requests into as few API calls as the rules allow.

Theory of operation
-------------------
One ``POST /schedule/create`` carries a set of medias and a set of targets,
and the service creates every media x target pair. A bulk job is a set of
pairs, each with options (types, settings, comment, remove_duplicates,
shuffle). A call may only carry pairs that share the same options, and it
must create no pair that was not requested and no pair twice. So within one
option group the calls form a partition of the requested pairs into
rectangles ``medias x targets``; with a comment, each rectangle has at most
3 targets.

The planner works on each option group alone, because no call can serve two
groups:

1. Target classes. Targets that were requested for exactly the same set of
   medias form one class, and each class is one rectangle
   ``media set x class``. This gives ``k_T`` rectangles, the number of
   distinct media sets among the targets.
2. Media classes. Symmetrically, medias requested for the same set of
   targets give ``k_M`` rectangles.
3. The planner keeps whichever of the two costs fewer calls. With a comment,
   a rectangle of ``n`` targets costs ``ceil(n / 3)`` calls, because its
   targets are split into sorted chunks of at most 3.

Both candidates are exact partitions: each pair belongs to exactly one
class on each side. What the result guarantees:

- Without a comment, a partition into ``k`` rectangles writes the group's
  0/1 media x target matrix as a sum of ``k`` rank-one matrices, so every
  valid plan needs at least ``rank`` calls. The planner uses
  ``min(k_T, k_M)`` calls, which is the minimum whenever that equals the
  rank: every track for every target (1 call), disjoint blocks of tracks and
  targets (one call per block), nested sets such as a staircase, and in
  general whenever the distinct media sets of the targets, or the distinct
  target sets of the medias, are linearly independent.
- With a comment, every call has at most 3 targets, so at least
  ``ceil(targets / 3)`` calls are needed. When all targets share one media
  set the planner uses exactly that many.

Finding the minimum for any pair set is the biclique partition problem,
which is NP-hard, so other shapes may get more calls than the minimum
(never fewer than the lower bounds above).

Every call gets an id that is a hash of its content (options, medias and
targets, all sorted), so the same input always yields the same calls with
the same ids, whatever the order of the items. The journal relies on that.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import ValidationError
from ._models import ActionType, ScheduleSettings
from ._validation import MAX_COMMENT_TARGETS, check_enum, check_schedule_args

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "ScheduleCall",
    "ScheduleItem",
    "ScheduleOptions",
    "pair_key",
    "plan_schedule_calls",
]

_TYPE_ORDER = {action: index for index, action in enumerate(ActionType)}


def _normalize_types(types: Iterable[ActionType | str]) -> tuple[ActionType, ...]:
    if isinstance(types, str):
        raise ValidationError("types", types, "must be a list, not a single value")
    checked = {check_enum("types", action, ActionType) for action in types}
    return tuple(sorted(checked, key=_TYPE_ORDER.__getitem__))


def _normalize_settings(settings: ScheduleSettings | None) -> ScheduleSettings:
    if settings is None:
        return ScheduleSettings()
    if not isinstance(settings, ScheduleSettings):
        raise ValidationError(
            "settings", settings, "must be a ScheduleSettings instance"
        )
    # Two aware datetimes for the same instant compare equal, so without this
    # the first item of a group would decide which offset the call sends.
    if settings.date is None or settings.date.utcoffset() is None:
        return settings
    return attrs.evolve(settings, date=settings.date.astimezone(UTC))


@attrs.frozen(kw_only=True)
class ScheduleOptions:
    """Everything about a schedule request except its medias and targets.

    Items with equal options can share one API call. ``types`` is kept
    without duplicates in the order of :class:`ActionType`, and a settings
    ``date`` is kept in UTC, so that equal requests compare equal.
    """

    types: tuple[ActionType, ...] = attrs.field(converter=_normalize_types)
    settings: ScheduleSettings = attrs.field(
        factory=ScheduleSettings, converter=_normalize_settings
    )
    comment: str | None = None
    remove_duplicates: bool = False
    shuffle: bool = False
    _fingerprint: str = attrs.field(init=False, repr=False, eq=False)

    @_fingerprint.default
    def _compute_fingerprint(self) -> str:
        return _canonical_json(self.to_json())

    def to_json(self) -> dict[str, Any]:
        """Return the options as a JSON object with snake_case keys."""
        settings = self.settings
        return {
            "types": [action.value for action in self.types],
            "settings": {
                "date": None if settings.date is None else settings.date.isoformat(),
                "unrepost_after_hours": settings.unrepost_after_hours,
                "spread_between_accounts_minutes": (
                    settings.spread_between_accounts_minutes
                ),
                "spread_between_tracks_minutes": settings.spread_between_tracks_minutes,
            },
            "comment": self.comment,
            "remove_duplicates": self.remove_duplicates,
            "shuffle": self.shuffle,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduleOptions:
        """Rebuild options from :meth:`to_json` output, as a journal stores it."""
        settings = data["settings"]
        date = settings["date"]
        return cls(
            types=data["types"],
            settings=ScheduleSettings(
                date=None if date is None else datetime.fromisoformat(date),
                unrepost_after_hours=settings["unrepost_after_hours"],
                spread_between_accounts_minutes=settings[
                    "spread_between_accounts_minutes"
                ],
                spread_between_tracks_minutes=settings["spread_between_tracks_minutes"],
            ),
            comment=data["comment"],
            remove_duplicates=data["remove_duplicates"],
            shuffle=data["shuffle"],
        )

    @property
    def fingerprint(self) -> str:
        """Canonical JSON text of the options, equal for equal options."""
        return self._fingerprint


@attrs.frozen(kw_only=True)
class ScheduleItem:
    """One requested schedule: one media for one target, with its options.

    Build many at once with :meth:`product`, or read them from a CSV file
    with :func:`read_schedule_items`.

    Attributes:
        media: Absolute https URL of a SoundCloud track.
        target: ``user_id`` of a member of the network.
        options: Types, settings, comment and flags of the request.
    """

    media: str
    target: str
    options: ScheduleOptions

    @classmethod
    def product(
        cls,
        medias: Iterable[str],
        targets: Iterable[str],
        *,
        types: Iterable[ActionType | str],
        settings: ScheduleSettings | None = None,
        comment: str | None = None,
        remove_duplicates: bool = False,
        shuffle: bool = False,
    ) -> list[ScheduleItem]:
        """Return one item per media x target pair, all with the same options.

        For example every track of a release for every LINKED member.
        """
        options = ScheduleOptions(
            types=types,
            settings=settings or ScheduleSettings(),
            comment=comment,
            remove_duplicates=remove_duplicates,
            shuffle=shuffle,
        )
        target_list = list(targets)
        return [
            cls(media=media, target=target, options=options)
            for media in medias
            for target in target_list
        ]


def pair_key(options: ScheduleOptions, media: str, target: str) -> str:
    """Return the key that identifies one requested pair across runs."""
    return _canonical_json([options.fingerprint, media, target])


@attrs.frozen(kw_only=True)
class ScheduleCall:
    """One planned ``POST /schedule/create``: every media for every target.

    Attributes:
        call_id: Hex digest of the call's content, stable across runs.
        options: The options that every pair of the call shares.
        medias: Sorted media URLs.
        targets: Sorted target user ids.
    """

    call_id: str
    options: ScheduleOptions
    medias: tuple[str, ...]
    targets: tuple[str, ...]

    @classmethod
    def build(
        cls, options: ScheduleOptions, medias: Iterable[str], targets: Iterable[str]
    ) -> ScheduleCall:
        """Build a call with sorted medias and targets and its content id."""
        sorted_medias = tuple(sorted(set(medias)))
        sorted_targets = tuple(sorted(set(targets)))
        content = {
            "options": options.to_json(),
            "medias": sorted_medias,
            "targets": sorted_targets,
        }
        digest = hashlib.sha256(_canonical_json(content).encode()).hexdigest()
        return cls(
            call_id=digest[:24],
            options=options,
            medias=sorted_medias,
            targets=sorted_targets,
        )

    @property
    def pair_count(self) -> int:
        """Number of media x target pairs that the call creates."""
        return len(self.medias) * len(self.targets)

    def pair_keys(self) -> list[str]:
        """Return the :func:`pair_key` of every pair of the call."""
        return [
            pair_key(self.options, media, target)
            for media in self.medias
            for target in self.targets
        ]


def check_items(items: Sequence[ScheduleItem]) -> None:
    """Check every item against the API's rules before anything is sent.

    Raises:
        ValidationError: An item is invalid; the message names its index.
    """
    for index, item in enumerate(items):
        if not isinstance(item, ScheduleItem):
            argument = f"items[{index}]"
            raise ValidationError(argument, item, "must be a ScheduleItem instance")
        _check_item(index, item)


def _check_item(index: int, item: ScheduleItem) -> None:
    options = item.options
    try:
        check_schedule_args(
            types=options.types,
            medias=[item.media],
            targets=[item.target],
            settings=options.settings,
            comment=options.comment,
        )
    except ValidationError as error:
        argument = f"items[{index}].{error.argument}"
        raise ValidationError(
            argument,
            error.value,
            error.rule,
        ) from error


def plan_schedule_calls(items: Iterable[ScheduleItem]) -> list[ScheduleCall]:
    """Group items into as few API calls as the planner can prove or find.

    Items with equal options and the same media and target are one request.
    The result does not depend on the order of ``items``. See the module
    documentation for what the number of calls guarantees.

    Returns:
        The calls, sorted by id. Each requested pair is in exactly one call.
    """
    groups: dict[ScheduleOptions, set[tuple[str, str]]] = defaultdict(set)
    for item in items:
        groups[item.options].add((item.media, item.target))

    calls: list[ScheduleCall] = []
    for options, pairs in groups.items():
        calls.extend(_plan_group(options, pairs))
    calls.sort(key=lambda call: call.call_id)
    return calls


def _plan_group(
    options: ScheduleOptions, pairs: set[tuple[str, str]]
) -> list[ScheduleCall]:
    medias_of: dict[str, set[str]] = defaultdict(set)
    targets_of: dict[str, set[str]] = defaultdict(set)
    for media, target in pairs:
        medias_of[target].add(media)
        targets_of[media].add(target)

    # Rectangles as (medias, targets), one per class on either side.
    by_target = [
        (sorted(media_set), members)
        for media_set, members in _classes(medias_of).items()
    ]
    by_media = [
        (members, sorted(target_set))
        for target_set, members in _classes(targets_of).items()
    ]
    chunk = MAX_COMMENT_TARGETS if options.comment is not None else None
    best = min((by_target, by_media), key=lambda rectangles: _cost(rectangles, chunk))
    return [
        ScheduleCall.build(options, medias, target_chunk)
        for medias, targets in best
        for target_chunk in _chunks(targets, chunk)
    ]


def _classes(neighbours: dict[str, set[str]]) -> dict[frozenset[str], list[str]]:
    classes: dict[frozenset[str], list[str]] = defaultdict(list)
    for key in sorted(neighbours):
        classes[frozenset(neighbours[key])].append(key)
    return classes


def _cost(rectangles: list[tuple[list[str], list[str]]], chunk: int | None) -> int:
    if chunk is None:
        return len(rectangles)
    return sum(math.ceil(len(targets) / chunk) for _, targets in rectangles)


def _chunks(values: list[str], size: int | None) -> list[list[str]]:
    if size is None:
        return [values]
    return [values[start : start + size] for start in range(0, len(values), size)]


def _canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

"""Running many schedule requests as few concurrent, journaled API calls.

A bulk job goes through four steps:

1. Check every item against the API's rules; a bad item raises
   ``ValidationError`` before anything is sent.
2. Plan the calls (see ``_bulk_plan``) and set aside what the journal
   settles: calls created or of unknown outcome in an earlier run, and pairs
   that such calls already carry when the input has changed since.
3. Send the remaining calls from ``concurrency`` worker tasks. Every request
   goes through the client, so the client's shared rate-limit budget and
   retry policy apply. The default policy never resends a schedule creation
   whose outcome is unknown.
4. Report each item's outcome in input order.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING

import attrs

from ._bulk_plan import (
    ScheduleCall,
    ScheduleItem,
    ScheduleOptions,
    check_items,
    pair_key,
    plan_schedule_calls,
)
from ._errors import (
    APIConnectionError,
    APIStatusError,
    InfluencePlannerError,
    ResponseDecodeError,
    ValidationError,
)
from ._journal import Journal, JournalEntry, OutcomeStatus

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

    from ._client import Client

__all__ = [
    "DEFAULT_BULK_CONCURRENCY",
    "BulkProgress",
    "BulkReport",
    "CallOutcome",
    "ItemOutcome",
    "run_schedule_bulk",
]

logger = logging.getLogger("influenceplanner_async.bulk")

DEFAULT_BULK_CONCURRENCY = 4


@attrs.frozen(kw_only=True)
class CallOutcome:
    """Outcome of one API call of a bulk job.

    Attributes:
        call: The call: options, medias and targets.
        status: Created, failed or unknown.
        urls: Schedule URLs in the order of ``call.medias``, when created.
            Empty when the server's list did not match the medias.
        error: The typed exception, for a failure or unknown outcome in
            this run; ``None`` for outcomes read from the journal.
        message: Text of the error, also for outcomes read from the journal.
            For a call that a killed job left in flight, it states that.
        from_journal: Whether an earlier run settled the call.
    """

    call: ScheduleCall
    status: OutcomeStatus
    urls: tuple[str, ...] = ()
    error: InfluencePlannerError | None = None
    message: str | None = None
    from_journal: bool = False

    def url_for(self, media: str) -> str | None:
        """Return the schedule URL of ``media`` in this call, if known."""
        if len(self.urls) != len(self.call.medias):
            return None
        return self.urls[self.call.medias.index(media)]


@attrs.frozen(kw_only=True)
class ItemOutcome:
    """Outcome of one requested schedule (one media for one target).

    Attributes:
        item: The item as given.
        status: Created, failed or unknown.
        call_id: Id of the call that carried the item.
        schedule_url: URL of the schedule of the item's media in that call,
            which also covers the call's other targets.
        error: The typed exception of this run, if any.
        message: Text of the error, also for outcomes from the journal.
        from_journal: Whether an earlier run settled the item.
    """

    item: ScheduleItem
    status: OutcomeStatus
    call_id: str
    schedule_url: str | None = None
    error: InfluencePlannerError | None = None
    message: str | None = None
    from_journal: bool = False


@attrs.frozen(kw_only=True)
class BulkProgress:
    """Counts passed to ``on_progress`` after each call of this run.

    ``calls_total`` counts only the calls that this run sends. The item
    counts include items settled by the journal.
    """

    calls_total: int
    calls_done: int
    items_total: int
    created: int
    failed: int
    unknown: int
    skipped: int


@attrs.frozen(kw_only=True)
class BulkReport:
    """Every item's outcome, in input order, and every call's outcome.

    Attributes:
        items: One outcome per input item, in input order.
        calls: One outcome per call, sorted by call id.
        calls_sent: Calls sent in this run.
    """

    items: tuple[ItemOutcome, ...]
    calls: tuple[CallOutcome, ...]
    calls_sent: int

    @property
    def created(self) -> tuple[ItemOutcome, ...]:
        """Items created in this run."""
        return self._select(OutcomeStatus.CREATED, from_journal=False)

    @property
    def skipped(self) -> tuple[ItemOutcome, ...]:
        """Items that an earlier run created, according to the journal."""
        return self._select(OutcomeStatus.CREATED, from_journal=True)

    @property
    def failed(self) -> tuple[ItemOutcome, ...]:
        """Items that the server rejected; nothing was created for them."""
        return self._select(OutcomeStatus.FAILED)

    @property
    def unknown(self) -> tuple[ItemOutcome, ...]:
        """Items whose schedules may or may not exist; check them by hand."""
        return self._select(OutcomeStatus.UNKNOWN)

    @property
    def unknown_calls(self) -> tuple[CallOutcome, ...]:
        """Calls of unknown outcome, from this run or the journal."""
        return tuple(c for c in self.calls if c.status is OutcomeStatus.UNKNOWN)

    @property
    def failed_calls(self) -> tuple[CallOutcome, ...]:
        """Calls that failed in this run."""
        return tuple(c for c in self.calls if c.status is OutcomeStatus.FAILED)

    @property
    def is_complete(self) -> bool:
        """Whether every item is created, in this run or an earlier one."""
        return all(item.status is OutcomeStatus.CREATED for item in self.items)

    def _select(
        self, status: OutcomeStatus, *, from_journal: bool | None = None
    ) -> tuple[ItemOutcome, ...]:
        return tuple(
            item
            for item in self.items
            if item.status is status
            and (from_journal is None or item.from_journal == from_journal)
        )


async def run_schedule_bulk(
    client: Client,
    items: Iterable[ScheduleItem],
    *,
    journal: Journal | str | os.PathLike[str] | None = None,
    concurrency: int = DEFAULT_BULK_CONCURRENCY,
    on_progress: Callable[[BulkProgress], None] | None = None,
) -> BulkReport:
    """Run a bulk job; ``Client.schedule_bulk`` documents the contract."""
    item_list = list(items)
    check_items(item_list)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise ValidationError("concurrency", concurrency, "must be an integer")
    if concurrency < 1:
        raise ValidationError("concurrency", concurrency, "must be at least 1")

    if journal is None or isinstance(journal, Journal):
        return await _BulkRun(client, item_list, journal, concurrency, on_progress)()
    with Journal(journal) as opened:
        return await _BulkRun(client, item_list, opened, concurrency, on_progress)()


class _BulkRun:
    def __init__(
        self,
        client: Client,
        items: list[ScheduleItem],
        journal: Journal | None,
        concurrency: int,
        on_progress: Callable[[BulkProgress], None] | None,
    ) -> None:
        self._client = client
        self._items = items
        self._journal = journal
        self._concurrency = concurrency
        self._on_progress = on_progress
        self._outcomes: dict[str, CallOutcome] = {}
        self._outcome_of_pair: dict[str, CallOutcome] = {}
        self._calls_total = 0
        self._calls_done = 0
        self._counts: collections.Counter[str] = collections.Counter()

    async def __call__(self) -> BulkReport:
        to_send = self._settle_from_journal(plan_schedule_calls(self._items))
        self._calls_total = len(to_send)
        logger.info(
            "Bulk job: %d items, %d calls to send, %d calls settled by the journal",
            len(self._items),
            len(to_send),
            len(self._outcomes),
        )
        self._report_progress()
        queue = collections.deque(to_send)
        async with asyncio.TaskGroup() as group:
            for _ in range(min(self._concurrency, len(queue))):
                group.create_task(self._work(queue))
        return self._build_report()

    # -- resuming -------------------------------------------------------------

    def _settle_from_journal(self, plan: list[ScheduleCall]) -> list[ScheduleCall]:
        if self._journal is None:
            return plan
        entries = self._journal.entries
        claimed: dict[str, JournalEntry] = {}
        for entry in entries.values():
            if entry.is_settled:
                for key in _entry_pair_keys(entry):
                    claimed[key] = entry

        to_send: list[ScheduleCall] = []
        leftover: list[ScheduleItem] = []
        for call in plan:
            known = entries.get(call.call_id)
            if known is not None and known.is_settled:
                self._add(_outcome_from_entry(known))
            elif any(key in claimed for key in call.pair_keys()):
                leftover.extend(self._unclaimed_items(call, claimed))
            else:
                to_send.append(call)
        # The input changed since an earlier run: plan its new pairs afresh.
        to_send.extend(plan_schedule_calls(leftover))
        return to_send

    def _unclaimed_items(
        self, call: ScheduleCall, claimed: dict[str, JournalEntry]
    ) -> list[ScheduleItem]:
        unclaimed = []
        for media in call.medias:
            for target in call.targets:
                claimer = claimed.get(pair_key(call.options, media, target))
                if claimer is None:
                    unclaimed.append(
                        ScheduleItem(media=media, target=target, options=call.options)
                    )
                elif claimer.call_id not in self._outcomes:
                    self._add(_outcome_from_entry(claimer))
        return unclaimed

    # -- sending --------------------------------------------------------------

    async def _work(self, queue: collections.deque[ScheduleCall]) -> None:
        while queue:
            call = queue.popleft()
            outcome = await self._send(call)
            self._add(outcome)
            self._calls_done += 1
            self._report_progress()

    async def _send(self, call: ScheduleCall) -> CallOutcome:
        if self._journal is not None:
            self._journal.record_intent(call)
        options = call.options
        try:
            result = await self._client.create_schedule(
                types=options.types,
                medias=call.medias,
                targets=call.targets,
                settings=options.settings,
                comment=options.comment,
                remove_duplicates=options.remove_duplicates,
                shuffle=options.shuffle,
            )
        except InfluencePlannerError as error:
            return self._settle_error(call, error)

        urls = result.data
        if len(urls) != len(call.medias):
            # NOTE: the API promises one URL per media; without that the
            # URLs cannot be matched to medias, so none is reported.
            logger.warning(
                "Call %s created schedules but returned %d URLs for %d medias",
                call.call_id,
                len(urls),
                len(call.medias),
            )
            urls = ()
        if self._journal is not None:
            self._journal.record_outcome(call.call_id, OutcomeStatus.CREATED, urls=urls)
        return CallOutcome(call=call, status=OutcomeStatus.CREATED, urls=urls)

    def _settle_error(
        self, call: ScheduleCall, error: InfluencePlannerError
    ) -> CallOutcome:
        status = classify_error(error)
        message = str(error)
        logger.warning(
            "Bulk call %s (%d medias x %d targets) is %s: %s",
            call.call_id,
            len(call.medias),
            len(call.targets),
            status.value,
            message,
        )
        if self._journal is not None:
            self._journal.record_outcome(call.call_id, status, error=message)
        return CallOutcome(call=call, status=status, error=error, message=message)

    # -- reporting ------------------------------------------------------------

    def _add(self, outcome: CallOutcome) -> None:
        self._outcomes[outcome.call.call_id] = outcome
        for key in outcome.call.pair_keys():
            self._outcome_of_pair[key] = outcome

    def _item_outcome(self, item: ScheduleItem) -> ItemOutcome:
        call = self._outcome_of_pair[pair_key(item.options, item.media, item.target)]
        return ItemOutcome(
            item=item,
            status=call.status,
            call_id=call.call.call_id,
            schedule_url=call.url_for(item.media),
            error=call.error,
            message=call.message,
            from_journal=call.from_journal,
        )

    def _report_progress(self) -> None:
        if self._on_progress is None:
            return
        counts: collections.Counter[str] = collections.Counter()
        for outcome in self._outcomes.values():
            label = outcome.status.value
            if outcome.from_journal and outcome.status is OutcomeStatus.CREATED:
                label = "skipped"
            counts[label] += outcome.call.pair_count
        self._on_progress(
            BulkProgress(
                calls_total=self._calls_total,
                calls_done=self._calls_done,
                items_total=len(self._items),
                created=counts["created"],
                failed=counts["failed"],
                unknown=counts["unknown"],
                skipped=counts["skipped"],
            )
        )

    def _build_report(self) -> BulkReport:
        calls = sorted(self._outcomes.values(), key=lambda c: c.call.call_id)
        return BulkReport(
            items=tuple(self._item_outcome(item) for item in self._items),
            calls=tuple(calls),
            calls_sent=self._calls_done,
        )


def classify_error(error: InfluencePlannerError) -> OutcomeStatus:
    """Return whether a failed schedule creation created nothing or may have.

    A 5xx, a timeout or a lost connection after sending (``outcome_unknown``)
    may have created the schedules. So may a 2xx whose body could not be
    decoded. Every other error means that the server created nothing.
    """
    if isinstance(error, APIStatusError | APIConnectionError):
        return OutcomeStatus.UNKNOWN if error.outcome_unknown else OutcomeStatus.FAILED
    if isinstance(error, ResponseDecodeError):
        answered_error = error.status is not None and error.status >= 400
        return OutcomeStatus.FAILED if answered_error else OutcomeStatus.UNKNOWN
    return OutcomeStatus.FAILED


def _entry_pair_keys(entry: JournalEntry) -> list[str]:
    options = ScheduleOptions.from_json(entry.options)
    return [
        pair_key(options, media, target)
        for media in entry.medias
        for target in entry.targets
    ]


def _outcome_from_entry(entry: JournalEntry) -> CallOutcome:
    options = ScheduleOptions.from_json(entry.options)
    call = ScheduleCall(
        call_id=entry.call_id,
        options=options,
        medias=entry.medias,
        targets=entry.targets,
    )
    if entry.status is None:
        return CallOutcome(
            call=call,
            status=OutcomeStatus.UNKNOWN,
            message=(
                "The job stopped while this call was in flight, so the schedules "
                "may or may not exist; check the schedule calendar"
            ),
            from_journal=True,
        )
    return CallOutcome(
        call=call,
        status=entry.status,
        urls=entry.urls,
        message=entry.error,
        from_journal=True,
    )

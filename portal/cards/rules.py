"""Card (证卡) rules: validity, the collection deadline, the derived status and the ban after
two consecutive uncollected cards (notice §二(五), §五(一); DESIGN.md "Cards").

Pure functions of dates; the Card model calls them, it never stores a status.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from datetime import date
from enum import StrEnum
from typing import TypeVar

from portal.timeutil import cn_date
from portal.workdays import add_workdays, add_years

__all__ = [
    "COLLECTION_WORKDAYS",
    "EXPIRING_DAYS",
    "VALIDITY_YEARS",
    "CardOutcome",
    "CardStatus",
    "can_issue",
    "can_lift_ban",
    "can_record_collection",
    "can_revoke",
    "card_outcome",
    "card_status",
    "collection_deadline",
    "collection_overdue",
    "collection_problem",
    "consecutive_voids_ban",
    "consecutive_voids_pair",
    "issue_date_problem",
    "new_ban_pair",
    "revocation_problem",
    "valid_until",
    "workdays_left",
]

K = TypeVar("K", bound=Hashable)

#: Notice §五(一): "证卡发放60个工作日内不主动领取者，视为自动放弃，考评员证卡作废".
COLLECTION_WORKDAYS = 60
#: Notice §二(五): "证卡有效期为三年".
VALIDITY_YEARS = 3
#: A card is shown as 即将到期 from this many days before its last valid day (inclusive).
EXPIRING_DAYS = 90


class CardStatus(StrEnum):
    """The status of a card as shown to users (values are the Chinese labels)."""

    PENDING_COLLECTION = "待领取"
    VALID = "有效"
    EXPIRING = "即将到期"
    EXPIRED = "已过期"
    VOIDED = "已作废"
    REVOKED = "已注销"
    SUPERSEDED = "已换证"


def valid_until(issued_on: date) -> date:
    """The last day of validity: the same date three years after issue.

    Notice §二(五) gives three years; the card is valid from the issue date through the
    corresponding date three years later, as Chinese certificates print it and as the Civil
    Code (§§201–203) counts a period in years.  Where that date does not exist, the month's
    last day: 2026-04-10 → 2029-04-10, 2024-02-29 → 2027-02-28.
    """
    return add_years(issued_on, VALIDITY_YEARS)


def collection_deadline(issued_on: date) -> date:
    """The last day to collect the card: 60 working days after issue (notice §五(一)), the
    issue day not counted.

    Raises :class:`portal.workdays.CalendarNotMaintained` when the count reaches a year whose
    working-day calendar is not known; use
    :func:`portal.workdays.deadline_after_workdays` for a flagged provisional estimate.
    """
    return add_workdays(issued_on, COLLECTION_WORKDAYS)


def _on_or_before(event: date | None, today: date) -> bool:
    return event is not None and event <= today


def card_status(
    *,
    valid_until: date,
    collected_on: date | None,
    voided_on: date | None,
    revoked_on: date | None,
    today: date,
    collection_deadline: date | None = None,
    superseded_on: date | None = None,
) -> CardStatus:
    """The status of a card on ``today``, derived from its recorded dates.

    Precedence, first match wins:

    1. 已注销 — revoked (``revoked_on``): the province cancelled the qualification (notice
       §三(四)4, a failed or missed renewal).  An act of the authority, final, so it outranks
       everything, including expiry.
    2. 已作废 — voided (``voided_on``): not collected within 60 working days (notice §五(一)).
       Also final, and it is what the ban on two consecutive voids counts, so it must stay
       visible after the validity date passes.
    3. 已换证 — superseded (``superseded_on``): the province approved the renewal and issued
       a new card that day (notice §三(四)); the holder works with the new card from then on,
       so this card shows 已换证 even while its old validity runs, and after it ends.
    4. 已过期 — ``today`` is after ``valid_until``: the three years are over.
    5. 待领取 — not collected yet (``collected_on`` is None): the card exists but the examiner
       cannot work with it (notice §五(一): "持证开展相关工作").
    6. 即将到期 — collected and ``today`` is within :data:`EXPIRING_DAYS` (90) days of
       ``valid_until``, both ends inclusive, so the holder prepares the renewal.
    7. 有效 — otherwise.

    Voiding is a recorded event: a sweep sets ``voided_on`` once the (non-provisional)
    collection deadline has passed (:func:`collection_overdue`).  This function never voids a
    card by itself, so ``collection_deadline`` does not change the result; it is accepted so
    call sites can pass a card's fields uniformly.

    Events count only from their date on (an event dated after ``today`` has not happened yet
    on ``today``), so the same function answers "what was the status on the batch date?".
    """
    del collection_deadline  # informational only, see above
    if _on_or_before(revoked_on, today):
        return CardStatus.REVOKED
    if _on_or_before(voided_on, today):
        return CardStatus.VOIDED
    if _on_or_before(superseded_on, today):
        return CardStatus.SUPERSEDED
    if today > valid_until:
        return CardStatus.EXPIRED
    if not _on_or_before(collected_on, today):
        return CardStatus.PENDING_COLLECTION
    if (valid_until - today).days <= EXPIRING_DAYS:
        return CardStatus.EXPIRING
    return CardStatus.VALID


def collection_overdue(
    *,
    collection_deadline: date,
    collected_on: date | None,
    voided_on: date | None,
    revoked_on: date | None,
    today: date,
) -> bool:
    """True when an uncollected, not yet voided or revoked card is past its collection
    deadline, i.e. the void sweep should now record ``voided_on`` (notice §五(一)).

    The deadline must be a real one (:func:`collection_deadline`), never a provisional
    estimate: a provisional deadline never voids a card (DESIGN.md "Provisional deadlines").
    The deadline day itself is still in time.
    """
    if collected_on is not None or voided_on is not None or revoked_on is not None:
        return False
    return today > collection_deadline


class CardOutcome(StrEnum):
    """What became of one issued card, for :func:`consecutive_voids_ban`."""

    COLLECTED = "collected"  # the holder collected it (later expiry or revocation irrelevant)
    VOIDED = "voided"  # not collected in time, voided (notice §五(一))
    PENDING = "pending"  # issued, not collected, not voided: still within its deadline


def card_outcome(*, collected_on: date | None, voided_on: date | None) -> CardOutcome:
    """The :class:`CardOutcome` of a card from its recorded dates."""
    if collected_on is not None:
        return CardOutcome.COLLECTED
    if voided_on is not None:
        return CardOutcome.VOIDED
    return CardOutcome.PENDING


def _outcome(entry: CardOutcome | str) -> CardOutcome:
    try:
        return CardOutcome(entry)
    except ValueError:
        raise ValueError(
            f"unknown card outcome {entry!r}; expected one of {[o.value for o in CardOutcome]}"
        ) from None


def consecutive_voids_pair(history: Iterable[CardOutcome | str]) -> tuple[int, int] | None:
    """The positions (0-based) of the first two consecutive voided cards in ``history``, or
    None when there are none; see :func:`consecutive_voids_ban` for what counts."""
    previous_void: int | None = None
    for index, entry in enumerate(history):
        if _outcome(entry) is CardOutcome.VOIDED:
            if previous_void is not None:
                return previous_void, index
            previous_void = index
        else:
            previous_void = None
    return None


def consecutive_voids_ban(history: Iterable[CardOutcome | str]) -> bool:
    """Whether a person is permanently barred from applying: two consecutive cards voided.

    Notice §五(一): "连续两次不领取，永久取消其申报资格".  ``history`` is the outcome of each of
    the person's cards in issue order, as :class:`CardOutcome` members or their values
    ``"collected"``, ``"voided"``, ``"pending"`` (see :func:`card_outcome`).

    Two voided cards next to each other ban the person; a collected card resets the count.  A
    pending card (still inside its collection window) also breaks the run: it is not (yet) a
    failure to collect, and once it is voided the history itself shows the adjacent voids.
    Raises ValueError for an unknown outcome.  The ban is permanent, so a later collected card
    does not lift it.
    """
    return consecutive_voids_pair(history) is not None


def new_ban_pair(history: Sequence[tuple[K, CardOutcome | str]],
                 lifted_through: Collection[K] = ()) -> tuple[K, K] | None:
    """The two cards that ban the person now, or None.

    ``history`` is ``(card key, outcome)`` for each of the person's cards in issue order.
    ``lifted_through`` holds the second card of every ban the province has lifted: a lifted
    ban settles the voids up to and including that card, so the count starts again after it,
    as after a collected card.  Without this a lifted ban would come back at the next sweep
    from the very cards the province has just judged (DESIGN.md "Cards"; notice §五(一)
    gives no procedure for lifting, the portal lets only the province lift, with a reason).
    """
    start = 0
    for index, (key, _) in enumerate(history):
        if key in lifted_through:
            start = index + 1
    rest = history[start:]
    pair = consecutive_voids_pair(outcome for _, outcome in rest)
    if pair is None:
        return None
    return rest[pair[0]][0], rest[pair[1]][0]


# --- working days left, and what may be recorded ------------------------------------------

def workdays_left(today: date, deadline: date, next_workday: Callable[[date], date]) -> int:
    """The working days after ``today`` up to and including ``deadline`` (0 when the deadline
    is today or past).

    Counted like the deadline itself (the start day is not counted), so on the issue day a
    card has :data:`COLLECTION_WORKDAYS` (60) working days left.  ``next_workday(d)`` gives
    the first working day strictly after ``d`` — the real calendar, or the provisional
    estimate for a provisional deadline (:meth:`portal.workdays.WorkdayCalendar
    .provisional_add_workdays` with ``n=1`` does both).
    """
    count, day = 0, today
    while True:
        day = next_workday(day)
        if day > deadline:
            return count
        count += 1


def collection_problem(
    *,
    issued_on: date,
    collection_deadline: date,
    deadline_provisional: bool,
    collected_on: date | None,
    voided_on: date | None,
    revoked_on: date | None,
    on: date | None,
    today: date,
) -> str | None:
    """Why collection on ``on`` cannot be recorded (a Chinese message), or None when it can.

    A card is collected once.  A voided card stays void (notice §五(一): not collected within
    60 working days → "视为自动放弃，考评员证卡作废"); a revoked card cannot be handed out.  The
    date lies between the issue date and ``today``, and not after a real collection deadline
    — the card would have been void by then.  A collection recorded late for a day within the
    deadline is accepted as long as the sweep has not voided the card yet.  A provisional
    deadline never makes anything overdue (DESIGN.md "Provisional deadlines").
    """
    if voided_on is not None:
        return f"该证卡已于{cn_date(voided_on)}作废（逾期未领取），不能再登记领取"
    if revoked_on is not None:
        return f"该证卡已于{cn_date(revoked_on)}注销，不能登记领取"
    if collected_on is not None:
        return f"该证卡已于{cn_date(collected_on)}登记领取，无需重复登记"
    if on is None:
        return "请填写领取日期"
    if on > today:
        return "领取日期不能晚于今天"
    if on < issued_on:
        return f"领取日期不能早于发证日期（{cn_date(issued_on)}）"
    if not deadline_provisional and on > collection_deadline:
        return (f"领取日期晚于领取截止日期（{cn_date(collection_deadline)}）："
                "逾期未领取的证卡作废，不能登记领取")
    return None


def issue_date_problem(issued_on: date, *, today: date, deadline: date,
                       deadline_provisional: bool) -> str | None:
    """Why a card cannot be issued by hand with this issue date (Chinese), or None.

    Not in the future; and not so far back that its real collection ``deadline`` (60
    working days, notice §五(一)) has already passed — such a card would be void at the next
    sweep before anyone could collect it.  Cards of the old system, collected long ago, come
    in through the import, which records their collection.
    """
    if issued_on > today:
        return "发证日期不能晚于今天"
    if not deadline_provisional and deadline < today:
        return (f"按此发证日期，领取截止日期（{cn_date(deadline)}）已过，证卡将被作废；"
                "已发放并领取的历史证卡请通过“历史数据导入”录入")
    return None


def revocation_problem(
    *,
    issued_on: date,
    voided_on: date | None,
    revoked_on: date | None,
    on: date | None,
    today: date,
) -> str | None:
    """Why the card cannot be revoked on ``on`` (a Chinese message), or None.

    The province revokes a card whose holder lost the qualification (notice §三(四)4: a failed
    or missed renewal; §三(五) conduct).  An expired card may still be revoked — the renewal
    decision comes after expiry — but a voided card is already without effect, and a card is
    revoked once.  The date lies between the issue date and ``today``.
    """
    if revoked_on is not None:
        return f"该证卡已于{cn_date(revoked_on)}注销"
    if voided_on is not None:
        return f"该证卡已于{cn_date(voided_on)}作废，无需注销"
    if on is None:
        return "请填写注销日期"
    if on > today:
        return "注销日期不能晚于今天"
    if on < issued_on:
        return f"注销日期不能早于发证日期（{cn_date(issued_on)}）"
    return None


def can_issue(user) -> bool:
    """Only the province issues cards (DESIGN.md "Who uses it": 省职鉴中心 … card issue)."""
    return user.has_role("province")


def can_revoke(user) -> bool:
    """Only the province revokes a card (notice §三(四)4: 取消原有考评资格)."""
    return user.has_role("province")


def can_lift_ban(user) -> bool:
    """Only the province lifts a ban on applying (the ban is the province's sanction)."""
    return user.has_role("province")


def can_record_collection(user, *, holder_person_id: int, holder_region_id: int) -> bool:
    """Who records that a card was collected: the holder themself; the city centre of the
    holder's city, which collects the cards of city applications and hands them out (notice
    §四(四)); and the province.  Without application records yet, every card of a holder in
    the city counts as a city card.
    """
    if user.person_id is not None and user.person_id == holder_person_id:
        return True
    if user.has_role("province"):
        return True
    return (user.has_role("city") and user.region_id is not None
            and user.region_id == holder_region_id)

"""Card (证卡) rules: validity, the collection deadline, the derived status and the ban after
two consecutive uncollected cards (notice §二(五), §五(一); DESIGN.md "Cards").

Pure functions of dates; the Card model calls them, it never stores a status.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from portal.workdays import add_workdays, add_years

__all__ = [
    "COLLECTION_WORKDAYS",
    "EXPIRING_DAYS",
    "VALIDITY_YEARS",
    "CardOutcome",
    "CardStatus",
    "card_outcome",
    "card_status",
    "collection_deadline",
    "collection_overdue",
    "consecutive_voids_ban",
    "valid_until",
]

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
) -> CardStatus:
    """The status of a card on ``today``, derived from its recorded dates.

    Precedence, first match wins:

    1. 已注销 — revoked (``revoked_on``): the province cancelled the qualification (notice
       §三(四)4, a failed or missed renewal).  An act of the authority, final, so it outranks
       everything, including expiry.
    2. 已作废 — voided (``voided_on``): not collected within 60 working days (notice §五(一)).
       Also final, and it is what the ban on two consecutive voids counts, so it must stay
       visible after the validity date passes.
    3. 已过期 — ``today`` is after ``valid_until``: the three years are over.
    4. 待领取 — not collected yet (``collected_on`` is None): the card exists but the examiner
       cannot work with it (notice §五(一): "持证开展相关工作").
    5. 即将到期 — collected and ``today`` is within :data:`EXPIRING_DAYS` (90) days of
       ``valid_until``, both ends inclusive, so the holder prepares the renewal.
    6. 有效 — otherwise.

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
    run = 0
    for entry in history:
        try:
            outcome = CardOutcome(entry)
        except ValueError:
            raise ValueError(
                f"unknown card outcome {entry!r}; expected one of {[o.value for o in CardOutcome]}"
            ) from None
        run = run + 1 if outcome is CardOutcome.VOIDED else 0
        if run >= 2:
            return True
    return False

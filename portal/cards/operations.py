"""State changes of cards (set, flush, audit). The caller commits."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.audit.operations import record
from portal.cards.models import Card
from portal.cards.rules import COLLECTION_WORKDAYS
from portal.extensions import db
from portal.workdays import WorkdayCalendar


@dataclass(frozen=True)
class Recomputed:
    number: str
    holder: str
    old: date
    new: date
    still_provisional: bool


def recompute_provisional_deadlines() -> list[Recomputed]:
    """Recount every provisional collection deadline with the calendar as it now stands.

    Called after the admin changes the working-day calendar (DESIGN.md "Provisional
    deadlines"). A deadline whose year is now maintained becomes real; one that still reaches
    an unmaintained year is re-estimated. Returns what changed, for the calendar page.
    """
    calendar = WorkdayCalendar()
    changed = []
    cards = db.session.scalars(
        select(Card).where(Card.deadline_provisional).order_by(Card.collection_deadline, Card.id)
    )
    for card in cards:
        deadline = calendar.deadline_after_workdays(card.issued_on, COLLECTION_WORKDAYS)
        if (deadline.day, deadline.provisional) == (card.collection_deadline, True):
            continue
        old = card.collection_deadline
        card.collection_deadline = deadline.day
        card.deadline_provisional = deadline.provisional
        record("card.deadline_recompute", card,
               before={"collection_deadline": old, "provisional": True},
               after={"collection_deadline": deadline.day, "provisional": deadline.provisional,
                      "number": card.number})
        changed.append(Recomputed(card.number, card.person.name, old, deadline.day,
                                  deadline.provisional))
    return changed

"""Card statuses in SQL, for counts and filters over many cards.

:func:`status_expr` is the SQL twin of :func:`portal.cards.rules.card_status` (same
precedence); ``tests/test_cards_queries.py`` checks that both agree on every demo card.
"""

from datetime import date, timedelta

from sqlalchemy import Select, and_, case, func, literal, or_, select

from portal.auth.models import User
from portal.cards.models import Card
from portal.cards.rules import EXPIRING_DAYS, CardStatus
from portal.catalogue.models import Region
from portal.extensions import db
from portal.people.models import Person
from portal.scope import visible


def status_expr(today: date):
    """A SQL CASE giving each card's :class:`CardStatus` value on ``today``."""
    return case(
        (and_(Card.revoked_on.is_not(None), Card.revoked_on <= today),
         literal(CardStatus.REVOKED.value)),
        (and_(Card.voided_on.is_not(None), Card.voided_on <= today),
         literal(CardStatus.VOIDED.value)),
        (Card.valid_until < today, literal(CardStatus.EXPIRED.value)),
        (or_(Card.collected_on.is_(None), Card.collected_on > today),
         literal(CardStatus.PENDING_COLLECTION.value)),
        (Card.valid_until <= today + timedelta(days=EXPIRING_DAYS),
         literal(CardStatus.EXPIRING.value)),
        else_=literal(CardStatus.VALID.value),
    )


def status_counts(viewer: User, today: date) -> dict[str, int]:
    """Number of visible cards in each status (every status present, zero included)."""
    status = status_expr(today).label("status")
    rows = db.session.execute(
        select(status, func.count()).where(visible(Card, viewer)).group_by(status)
    ).all()
    counts = {s.value: 0 for s in CardStatus}
    counts.update({s: n for s, n in rows})
    return counts


def status_by_region(viewer: User, today: date) -> list[tuple[Region, dict[str, int]]]:
    """Visible card counts per status for each region that has any, in region order."""
    status = status_expr(today).label("status")
    rows = db.session.execute(
        select(Person.region_id, status, func.count())
        .join(Person, Person.id == Card.person_id)
        .where(visible(Card, viewer))
        .group_by(Person.region_id, status)
    ).all()
    per_region: dict[int, dict[str, int]] = {}
    for region_id, s, n in rows:
        per_region.setdefault(region_id, {x.value: 0 for x in CardStatus})[s] = n
    regions = db.session.scalars(
        select(Region).where(Region.id.in_(per_region)).order_by(Region.sort_order)
    ).all()
    return [(r, per_region[r.id]) for r in regions]


def cards_in_status(viewer: User, today: date, wanted: CardStatus) -> Select:
    """Visible cards in ``wanted`` status, soonest deadline or expiry first."""
    order = Card.collection_deadline if wanted is CardStatus.PENDING_COLLECTION else Card.valid_until
    return (
        select(Card)
        .join(Person, Person.id == Card.person_id)
        .where(visible(Card, viewer), status_expr(today) == wanted.value)
        .order_by(order, Card.id)
    )

"""Card reads: statuses in SQL for counts and filters over many cards, the work lists of the
collection desk, a card's history, and a person's ban.

:func:`status_expr` is the SQL twin of :func:`portal.cards.rules.card_status` (same
precedence); ``tests/test_cards_queries.py`` checks that both agree on every demo card.
Every list is scoped by :func:`portal.scope.visible`; the per-person and per-card reads
(:func:`active_ban`, :func:`card_history`) are for a person or card the caller has already
loaded in scope.
"""

from datetime import date, timedelta

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.cards.models import Card, PersonBan
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
        (and_(Card.superseded_on.is_not(None), Card.superseded_on <= today),
         literal(CardStatus.SUPERSEDED.value)),
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


# --- the collection desk -----------------------------------------------------------------------

def overdue_cards(today: date) -> Select:
    """Cards the sweep must void on ``today``: uncollected, not voided or revoked, past a
    real (not provisional) collection deadline — the SQL twin of
    :func:`portal.cards.rules.collection_overdue`. Served by the partial index
    ``ix_card_awaiting_collection``. Not scoped: the sweep is the system's."""
    return select(Card).where(
        Card.collected_on.is_(None), Card.voided_on.is_(None), Card.revoked_on.is_(None),
        ~Card.deadline_provisional, Card.collection_deadline < today,
    )


#: The work lists of /cards/: (key, label). Keys are CardStatus values, plus the bans.
WORK_LISTS = [
    (CardStatus.PENDING_COLLECTION.value, "待领取"),
    (CardStatus.VOIDED.value, "已作废"),
    (CardStatus.REVOKED.value, "已注销"),
    (CardStatus.EXPIRING.value, "即将到期（90天内）"),
    (CardStatus.SUPERSEDED.value, "已换证"),
    ("bans", "禁止申报人员"),
]


def _matching(stmt: Select, q: str) -> Select:
    """Narrow a card list by holder name (contains) or card number (prefix)."""
    q = (q or "").strip()
    if not q:
        return stmt
    return stmt.where(or_(Person.name.contains(q, autoescape=True),
                          Card.number.startswith(q, autoescape=True)))


def work_list(viewer: User, today: date, wanted: CardStatus, q: str = "") -> Select:
    """Visible cards in ``wanted`` status for the collection desk, optionally narrowed by
    ``q`` (holder name or card number). Voided and revoked cards newest first, the others by
    the date that matters soonest (:func:`cards_in_status`)."""
    stmt = cards_in_status(viewer, today, wanted)
    if wanted is CardStatus.VOIDED:
        stmt = stmt.order_by(None).order_by(Card.voided_on.desc(), Card.id.desc())
    elif wanted is CardStatus.REVOKED:
        stmt = stmt.order_by(None).order_by(Card.revoked_on.desc(), Card.id.desc())
    elif wanted is CardStatus.SUPERSEDED:
        stmt = (stmt.order_by(None).order_by(Card.superseded_on.desc(), Card.id.desc())
                .options(joinedload(Card.superseded_by)))
    return _matching(stmt.options(joinedload(Card.person).joinedload(Person.region),
                                  joinedload(Card.occupation)), q)


def visible_bans(viewer: User, q: str = "") -> Select:
    """Active bans on persons ``viewer`` may see, newest first."""
    stmt = (select(PersonBan).join(Person, Person.id == PersonBan.person_id)
            .where(PersonBan.lifted_at.is_(None), visible(Person, viewer))
            .options(joinedload(PersonBan.person), joinedload(PersonBan.first_card),
                     joinedload(PersonBan.second_card))
            .order_by(PersonBan.banned_on.desc(), PersonBan.id.desc()))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(Person.name.contains(q, autoescape=True))
    return stmt


def holder_reminders(person_id: int, today: date) -> dict[str, list[Card]]:
    """A holder's own cards that need attention: waiting to be collected (soonest deadline
    first) and expiring within 90 days (DESIGN.md "Cards"; issue 5 reminders)."""
    own = Card.person_id == person_id
    return {
        "pending": list(db.session.scalars(_own_in_status(today, CardStatus.PENDING_COLLECTION)
                                           .where(own))),
        "expiring": list(db.session.scalars(_own_in_status(today, CardStatus.EXPIRING)
                                            .where(own))),
    }


def _own_in_status(today: date, wanted: CardStatus) -> Select:
    order = Card.collection_deadline if wanted is CardStatus.PENDING_COLLECTION else Card.valid_until
    return (select(Card).where(status_expr(today) == wanted.value)
            .options(joinedload(Card.occupation)).order_by(order, Card.id))


# --- bans --------------------------------------------------------------------------------------

def active_ban(person_id: int) -> PersonBan | None:
    """The person's ban on applying (notice §五(一)) with the two voided cards behind it
    (``ban.first_card``, ``ban.second_card``), or None. The caller has loaded the person in
    scope (e.g. :func:`portal.scope.get_visible_or_404`)."""
    return db.session.scalars(
        select(PersonBan)
        .where(PersonBan.person_id == person_id, PersonBan.lifted_at.is_(None))
        .options(joinedload(PersonBan.first_card).joinedload(Card.occupation),
                 joinedload(PersonBan.second_card).joinedload(Card.occupation))
    ).first()


def is_banned(person_id: int) -> bool:
    """Whether the person is barred from applying (two consecutive voided cards, not lifted):
    the check the application workflow asks (DESIGN.md "Eligibility")."""
    stmt = select(PersonBan.id).where(PersonBan.person_id == person_id,
                                      PersonBan.lifted_at.is_(None)).limit(1)
    return db.session.scalar(stmt) is not None


def bans_of(person_id: int) -> list[PersonBan]:
    """All of the person's bans, the active one and the lifted ones, newest first."""
    return list(db.session.scalars(
        select(PersonBan).where(PersonBan.person_id == person_id)
        .options(joinedload(PersonBan.first_card), joinedload(PersonBan.second_card),
                 joinedload(PersonBan.lifted_by))
        .order_by(PersonBan.id.desc())
    ))


def replaced_card(card: Card) -> Card | None:
    """The card that ``card`` was issued to replace (复核换证: the old card superseded by
    it), or None. Same holder, so in scope whenever ``card`` is."""
    return db.session.scalars(select(Card).where(Card.superseded_by_id == card.id)).first()


def card_history(card: Card) -> list[AuditEvent]:
    """The card's audit events, oldest first, with the bans it is one of the two cards of
    (their creation and lifting)."""
    ban_ids = [str(i) for i in db.session.scalars(select(PersonBan.id).where(
        or_(PersonBan.first_card_id == card.id, PersonBan.second_card_id == card.id)))]
    return list(db.session.scalars(
        select(AuditEvent)
        .where(or_(and_(AuditEvent.entity_type == "card", AuditEvent.entity_id == str(card.id)),
                   and_(AuditEvent.entity_type == "person_ban",
                        AuditEvent.entity_id.in_(ban_ids))))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
    ))


def banned_among(person_ids: list[int]) -> set[int]:
    """Which of these persons are banned (for flags in a list of people)."""
    if not person_ids:
        return set()
    return set(db.session.scalars(select(PersonBan.person_id).where(
        PersonBan.person_id.in_(person_ids), PersonBan.lifted_at.is_(None))))


#: How many people the issue form's picker shows.
PICKER_LIMIT = 20


def find_people(viewer: User, q: str) -> list[Person]:
    """Persons ``viewer`` may see whose name contains ``q`` or whose ID number starts with it
    (the person picker of the issue form), by name."""
    q = (q or "").strip()
    if not q:
        return []
    stmt = (select(Person).where(visible(Person, viewer),
                                 or_(Person.name.contains(q, autoescape=True),
                                     Person.id_number.startswith(q.upper(), autoescape=True)))
            .options(joinedload(Person.region))
            .order_by(Person.name, Person.id).limit(PICKER_LIMIT))
    return list(db.session.scalars(stmt))

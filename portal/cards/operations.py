"""State changes of cards (set, flush, audit). The caller commits.

A card is issued (:func:`issue_card`, by hand :func:`issue_by_hand`), collected
(:func:`record_collection`), voided by the daily sweep when not collected in time
(:func:`sweep`, lazily :func:`sweep_if_due`), which also bans a person after two consecutive
voided cards, or revoked by the province (:func:`revoke_card`); the province may lift a ban
(:func:`lift_ban`).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.audit.operations import record
from portal.cards import queries, rules
from portal.cards.models import CARD_LEVELS, CARD_ORIGINS, Card, PersonBan
from portal.cards.numbering import next_card_number
from portal.cards.rules import COLLECTION_WORKDAYS, CardStatus, valid_until
from portal.dbutil import begin_write
from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import cn_date, local_today, utcnow
from portal.workdays import WorkdayCalendar


class CardError(ValueError):
    """A card change that the rules forbid; the message is Chinese, for the user."""


def issue_card(person, occupation, level: str, issued_on: date, *, origin: str,
               actor_id: int | None, number: str | None = None,
               collected_on: date | None = None) -> Card:
    """Issue a card to ``person`` — the one way a card comes to exist (by hand, from training
    results, from a renewal, from the old system's records).

    Validity is three years from ``issued_on`` (:func:`portal.cards.rules.valid_until`); the
    collection deadline is 60 working days after it, provisional while that reaches a year
    whose calendar is not maintained. ``number`` defaults to the next free number of the issue
    year (:func:`portal.cards.numbering.next_card_number`); an imported card keeps its old
    number. ``collected_on`` is for imported cards already handed out. Audited as
    ``card.issue``; the caller commits.
    """
    if level not in CARD_LEVELS:
        raise CardError(f"证卡级别只能是 {'、'.join(CARD_LEVELS)}")
    if origin not in CARD_ORIGINS:
        raise CardError("未知的证卡来源")
    deadline = WorkdayCalendar().deadline_after_workdays(issued_on, COLLECTION_WORKDAYS)
    card = Card(
        number=number or next_card_number(issued_on.year), person=person,
        occupation=occupation, level=level, issued_on=issued_on,
        valid_until=valid_until(issued_on), collection_deadline=deadline.day,
        deadline_provisional=deadline.provisional, origin=origin,
        collected_on=collected_on,
    )
    db.session.add(card)
    record("card.issue", card, actor_id=actor_id,
           after={"number": card.number, "person": person.name, "level": level,
                  "occupation": occupation.name, "issued_on": issued_on,
                  "valid_until": card.valid_until,
                  "collection_deadline": card.collection_deadline, "origin": origin})
    return card


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


# --- issuing by hand ---------------------------------------------------------------------------

#: Origins the province may choose when issuing by hand (imports come through the importer).
HAND_ORIGINS = ("training", "renewal")
_LIVE = (CardStatus.PENDING_COLLECTION, CardStatus.VALID, CardStatus.EXPIRING)


def issue_by_hand(person: Person, occupation, level: str, issued_on: date, *, origin: str,
                  actor_id: int, today: date) -> Card:
    """The province issues a card from its own records (a training result or a renewal
    decided outside the portal), through :func:`issue_card`.

    Refused, with a Chinese :class:`CardError`: a person banned from applying (notice
    §五(一)), an inactive occupation, an issue date in the future or so far back that the
    collection deadline has passed (:func:`portal.cards.rules.issue_date_problem`), and a
    second live card of the same occupation and level from training (a renewal card is issued
    while the old one is still valid).
    """
    if origin not in HAND_ORIGINS:
        raise CardError("手工发证的来源只能是培训考核或复核换证")
    ban = queries.active_ban(person.id)
    if ban is not None:
        raise CardError(f"{person.name} 因连续两次未领取证卡，已于{cn_date(ban.banned_on)}被取消"
                        "申报资格，不能发放证卡；如确需发证，请先解除禁止申报")
    if not occupation.active:
        raise CardError(f"职业（工种）“{occupation.name}”已停用，不能发证")
    deadline = WorkdayCalendar().deadline_after_workdays(issued_on, COLLECTION_WORKDAYS)
    problem = rules.issue_date_problem(issued_on, today=today, deadline=deadline.day,
                                       deadline_provisional=deadline.provisional)
    if problem:
        raise CardError(problem)
    if origin == "training":
        for card in db.session.scalars(select(Card).where(
                Card.person_id == person.id, Card.occupation_id == occupation.id,
                Card.level == level)):
            if card.status(today) in _LIVE:
                raise CardError(f"{person.name} 已持有{occupation.name}{level}证卡 {card.number}"
                                f"（{card.status(today).value}），不能重复发放")
    return issue_card(person, occupation, level, issued_on, origin=origin, actor_id=actor_id)


# --- collection and revocation -----------------------------------------------------------------

def record_collection(card: Card, collected_on: date | None, *, actor_id: int,
                      today: date) -> None:
    """Record that ``card`` was collected on ``collected_on`` by or for its holder (notice
    §五(一); for city applications the city centre collects and hands out, §四(四)).
    ``actor_id`` is who recorded it. Refused as :func:`portal.cards.rules.collection_problem`
    says. Audited as ``card.collect``."""
    problem = rules.collection_problem(
        issued_on=card.issued_on, collection_deadline=card.collection_deadline,
        deadline_provisional=card.deadline_provisional, collected_on=card.collected_on,
        voided_on=card.voided_on, revoked_on=card.revoked_on, on=collected_on, today=today)
    if problem:
        raise CardError(problem)
    card.collected_on, card.collected_by_id = collected_on, actor_id
    record("card.collect", card, actor_id=actor_id,
           before={"collected_on": None, "collected_by_id": None},
           after={"collected_on": collected_on, "collected_by_id": actor_id,
                  "number": card.number})


def revoke_card(card: Card, revoked_on: date | None, reason: str, *, actor_id: int,
                today: date) -> None:
    """The province revokes ``card`` with a reason (notice §三(四)4, §三(五)). Refused as
    :func:`portal.cards.rules.revocation_problem` says. Audited as ``card.revoke``."""
    reason = (reason or "").strip()
    problem = rules.revocation_problem(issued_on=card.issued_on, voided_on=card.voided_on,
                                       revoked_on=card.revoked_on, on=revoked_on, today=today)
    if problem:
        raise CardError(problem)
    if not reason:
        raise CardError("请填写注销理由")
    card.revoked_on, card.revoke_reason = revoked_on, reason
    record("card.revoke", card, actor_id=actor_id,
           before={"revoked_on": None, "revoke_reason": ""},
           after={"revoked_on": revoked_on, "revoke_reason": reason, "number": card.number})


def lift_ban(ban: PersonBan, reason: str, *, actor_id: int) -> None:
    """The province lifts a ban on applying, with a reason. The ban stays as history and the
    count of consecutive voids starts again after its second card
    (:func:`portal.cards.rules.new_ban_pair`). Audited as ``person_ban.lift``."""
    reason = (reason or "").strip()
    if not ban.active:
        raise CardError(f"该禁止申报已于{cn_date(ban.lifted_at)}解除")
    if not reason:
        raise CardError("请填写解除理由")
    ban.lifted_at, ban.lifted_by_id, ban.lift_reason = utcnow(), actor_id, reason
    record("person_ban.lift", ban, actor_id=actor_id,
           before={"lifted_at": None, "lift_reason": ""},
           after={"lifted_at": ban.lifted_at, "lift_reason": reason,
                  "person": ban.person.name})


# --- the daily sweep ---------------------------------------------------------------------------

@dataclass
class SweepResult:
    """What one sweep did: the cards it voided and the bans it created."""

    day: date
    voided: list[Card] = field(default_factory=list)
    bans: list[PersonBan] = field(default_factory=list)

    def summary(self) -> str:
        """A one-line Chinese summary for the command line and the log."""
        return (f"证卡清理（{cn_date(self.day)}）：作废逾期未领取的证卡 {len(self.voided)} 张，"
                f"新增禁止申报 {len(self.bans)} 人")


def _system_record(action: str, entity, **kw) -> AuditEvent:
    """An audit event of the sweep. Its actor is the system (no actor, no address) even when
    a user's page view ran the sweep lazily: that user did not void anything."""
    event = record(action, entity, **kw)
    event.actor_id, event.ip = None, ""
    return event


def overdue_exists(today: date) -> bool:
    """Whether any card is past a real collection deadline and still uncollected — one
    lookup in the partial index ``ix_card_awaiting_collection``."""
    stmt = queries.overdue_cards(today).with_only_columns(Card.id).limit(1)
    return db.session.scalar(stmt) is not None


def sweep(today: date) -> SweepResult:
    """Void every card still uncollected after its real collection deadline, then ban the
    persons with two consecutive voided cards (notice §五(一); DESIGN.md "Cards").

    ``voided_on`` is the day after the deadline, whenever the sweep runs. A provisional
    deadline never voids (DESIGN.md "Provisional deadlines"). Each void and each ban is
    audited with the system as actor. Idempotent: a second run finds nothing to do. Run it
    in a write transaction (:func:`portal.dbutil.begin_write`); the rows are locked, so two
    sweeps at once (the command and a page view) void each card once. The caller commits.
    """
    result = SweepResult(today)
    for card in db.session.scalars(
            queries.overdue_cards(today).order_by(Card.collection_deadline, Card.id)
            .with_for_update()):
        if not rules.collection_overdue(
                collection_deadline=card.collection_deadline, collected_on=card.collected_on,
                voided_on=card.voided_on, revoked_on=card.revoked_on, today=today):
            continue
        card.voided_on = card.collection_deadline + timedelta(days=1)
        _system_record("card.void", card, before={"voided_on": None},
                       after={"voided_on": card.voided_on, "number": card.number,
                              "collection_deadline": card.collection_deadline})
        result.voided.append(card)
    result.bans = apply_bans(today)
    return result


def apply_bans(today: date) -> list[PersonBan]:
    """Ban each person whose cards, in issue order, now show two consecutive voids
    (:func:`portal.cards.rules.new_ban_pair`), unless already banned. Looks only at persons
    with at least two cards voided by ``today`` and no active ban."""
    active = select(PersonBan.person_id).where(PersonBan.lifted_at.is_(None))
    candidates = db.session.scalars(
        select(Card.person_id)
        .where(Card.voided_on.is_not(None), Card.voided_on <= today,
               Card.person_id.not_in(active))
        .group_by(Card.person_id).having(func.count() >= 2).order_by(Card.person_id)
    ).all()
    bans = []
    for person_id in candidates:
        # Lock the person: a concurrent sweep waits here and then sees this one's ban.
        person = db.session.get(Person, person_id, with_for_update=True)
        if queries.active_ban(person_id) is not None:
            continue
        cards = db.session.scalars(
            select(Card).where(Card.person_id == person_id).order_by(Card.issued_on, Card.id)
        ).all()
        history = [(c.id, rules.card_outcome(
            collected_on=c.collected_on,
            voided_on=c.voided_on if c.voided_on and c.voided_on <= today else None))
            for c in cards]
        lifted = set(db.session.scalars(select(PersonBan.second_card_id).where(
            PersonBan.person_id == person_id, PersonBan.lifted_at.is_not(None))))
        pair = rules.new_ban_pair(history, lifted)
        if pair is None:
            continue
        by_id = {c.id: c for c in cards}
        first, second = by_id[pair[0]], by_id[pair[1]]
        ban = PersonBan(person=person, first_card=first, second_card=second,
                        banned_on=max(first.voided_on, second.voided_on))
        db.session.add(ban)
        _system_record("person_ban.create", ban,
                       after={"person": person.name, "banned_on": ban.banned_on,
                              "cards": [first.number, second.number]})
        bans.append(ban)
    return bans


def sweep_if_due(today: date | None = None) -> SweepResult | None:
    """The lazy sweep run when cards are listed: nothing but one indexed lookup unless a card
    is overdue; then the sweep in its own write transaction, committed. Call it at the start
    of a view, before the view reads what it shows (it ends the current transaction)."""
    today = today or local_today()
    if not overdue_exists(today):
        return None
    begin_write()
    result = sweep(today)
    db.session.commit()
    return result

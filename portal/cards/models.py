"""Card (考评员证卡): the examiner's qualification, valid three years, collected within 60
working days of issue (notice §二(五), §五(一))."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import utcnow

CARD_LEVELS = ("考评员", "高级考评员")
CARD_ORIGINS = {"training": "培训考核", "renewal": "复核换证", "imported": "历史数据导入"}

#: Cards still waiting to be collected: what the void sweep scans (a partial index keeps the
#: scan to these few rows however many cards the register holds).
AWAITING_COLLECTION = "collected_on IS NULL AND voided_on IS NULL AND revoked_on IS NULL"


class Card(db.Model):
    """One issued card. Its status is derived (:func:`portal.cards.rules.card_status`) from the
    dates recorded here, never stored, so it cannot go stale."""

    __tablename__ = "card"
    __table_args__ = (
        CheckConstraint("level IN ('考评员','高级考评员')", name="level_known"),
        CheckConstraint("origin IN ('training','renewal','imported')", name="origin_known"),
        CheckConstraint("valid_until > issued_on", name="validity_after_issue"),
        Index("ix_card_awaiting_collection", "collection_deadline",
              sqlite_where=text(AWAITING_COLLECTION),
              postgresql_where=text(AWAITING_COLLECTION)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupation.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    issued_on: Mapped[date]
    valid_until: Mapped[date] = mapped_column(index=True)
    collection_deadline: Mapped[date]
    # True while the deadline lies in a year whose official calendar is not yet published.
    deadline_provisional: Mapped[bool] = mapped_column(default=False)
    collected_on: Mapped[date | None]
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    voided_on: Mapped[date | None]
    revoked_on: Mapped[date | None]
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(10), default="training")
    #: Renewed (复核换证): the day the new card was issued and the card that replaced this one.
    superseded_on: Mapped[date | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    occupation: Mapped[Occupation] = relationship()
    collected_by: Mapped[User | None] = relationship(foreign_keys=[collected_by_id])
    superseded_by: Mapped["Card | None"] = relationship(foreign_keys=[superseded_by_id],
                                                        remote_side=[id])

    @property
    def origin_label(self) -> str:
        return CARD_ORIGINS.get(self.origin, self.origin)

    def can_record_collection(self, user) -> bool:
        """Whether ``user`` may record this card's collection (see
        :func:`portal.cards.rules.can_record_collection`); the card's state is checked
        separately (:func:`portal.cards.rules.collection_problem`)."""
        from portal.cards.rules import can_record_collection

        return can_record_collection(user, holder_person_id=self.person_id,
                                     holder_region_id=self.person.region_id)

    @property
    def awaiting_collection(self) -> bool:
        """Not collected, voided or revoked yet."""
        return self.collected_on is None and self.voided_on is None and self.revoked_on is None

    def workdays_left(self, today: date, calendar) -> int | None:
        """Working days left to collect the card after ``today`` (an estimate when the
        deadline is provisional), or None when it no longer waits for collection."""
        from portal.cards.rules import workdays_left

        if not self.awaiting_collection:
            return None
        return workdays_left(today, self.collection_deadline,
                             lambda day: calendar.provisional_add_workdays(day, 1))

    def status(self, today: date):
        """The card's status on ``today`` (see :func:`portal.cards.rules.card_status`)."""
        from portal.cards.rules import card_status

        return card_status(
            valid_until=self.valid_until,
            collected_on=self.collected_on,
            voided_on=self.voided_on,
            revoked_on=self.revoked_on,
            today=today,
            collection_deadline=self.collection_deadline,
            superseded_on=self.superseded_on,
        )


BAN_REASON = "连续两次未在发证后60个工作日内领取证卡（川人社职鉴〔2021〕4号 五（一））"


class PersonBan(db.Model):
    """A person barred from applying because two consecutive cards were voided uncollected
    (notice §五(一): "连续两次不领取，永久取消其申报资格").

    Created by the void sweep with the two cards behind it; permanent unless the province
    lifts it, with a reason (a record error, a card that was in fact handed out).  A lifted
    ban stays as history.  The partial unique index allows one active ban per person.
    """

    __tablename__ = "person_ban"
    __table_args__ = (
        CheckConstraint("first_card_id <> second_card_id", name="two_cards"),
        CheckConstraint(
            "(lifted_at IS NULL AND lifted_by_id IS NULL AND lift_reason = '')"
            " OR (lifted_at IS NOT NULL AND lifted_by_id IS NOT NULL AND lift_reason <> '')",
            name="lift_complete"),
        Index("uq_person_ban_active", "person_id", unique=True,
              sqlite_where=text("lifted_at IS NULL"),
              postgresql_where=text("lifted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: The day the ban took effect: the day the second card became void.
    banned_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default=BAN_REASON)
    first_card_id: Mapped[int] = mapped_column(ForeignKey("card.id"))
    second_card_id: Mapped[int] = mapped_column(ForeignKey("card.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lift_reason: Mapped[str] = mapped_column(String(300), default="")

    person: Mapped[Person] = relationship()
    first_card: Mapped[Card] = relationship(foreign_keys=[first_card_id])
    second_card: Mapped[Card] = relationship(foreign_keys=[second_card_id])
    lifted_by: Mapped[User | None] = relationship(foreign_keys=[lifted_by_id])

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def cards(self) -> tuple[Card, Card]:
        return self.first_card, self.second_card

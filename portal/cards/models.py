"""Card (考评员证卡): the examiner's qualification, valid three years, collected within 60
working days of issue (notice §二(五), §五(一))."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import utcnow

CARD_LEVELS = ("考评员", "高级考评员")
CARD_ORIGINS = {"training": "培训考核", "renewal": "复核换证", "imported": "历史数据导入"}


class Card(db.Model):
    """One issued card. Its status is derived (:func:`portal.cards.rules.card_status`) from the
    dates recorded here, never stored, so it cannot go stale."""

    __tablename__ = "card"
    __table_args__ = (
        CheckConstraint("level IN ('考评员','高级考评员')", name="level_known"),
        CheckConstraint("origin IN ('training','renewal','imported')", name="origin_known"),
        CheckConstraint("valid_until > issued_on", name="validity_after_issue"),
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship()
    occupation: Mapped[Occupation] = relationship()

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
        )

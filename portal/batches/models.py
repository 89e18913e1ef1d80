"""EvaluationBatch, its exam dates, and Assignment (examiner ↔ batch, answers, recusal)."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.applications.rules import QualificationLevel
from portal.auth.models import User
from portal.cards.models import Card
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.timeutil import to_local, utcnow


class EvaluationBatch(db.Model):
    """One evaluation batch run by an institution: an occupation at one level, on one or more
    exam dates at one site. Its two raters are the site lead (of the same organisation) and the
    quality supervisor."""

    __tablename__ = "evaluation_batch"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        CheckConstraint("candidates >= 0", name="candidates_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupation.id"))
    level: Mapped[int]  # QualificationLevel value: 5 = 五级 … 1 = 一级
    site: Mapped[str] = mapped_column(String(200))
    candidates: Mapped[int] = mapped_column(default=0)
    first_date: Mapped[date] = mapped_column(index=True)
    last_date: Mapped[date]
    site_lead_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    occupation: Mapped[Occupation] = relationship()
    site_lead: Mapped[User | None] = relationship(foreign_keys=[site_lead_id])
    supervisor: Mapped[User | None] = relationship(foreign_keys=[supervisor_id])
    dates: Mapped[list["BatchDate"]] = relationship(
        cascade="all, delete-orphan", order_by="BatchDate.day", lazy="selectin"
    )

    @property
    def level_label(self) -> str:
        return QualificationLevel(self.level).label

    @property
    def exam_days(self) -> list[date]:
        return [d.day for d in self.dates]


class BatchDate(db.Model):
    __tablename__ = "batch_date"
    __table_args__ = (UniqueConstraint("batch_id", "day", name="uq_batch_date_batch_id_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_batch.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(index=True)


ANSWERS = ("pending", "accepted", "refused", "recused")
ANSWER_LABELS = {"pending": "待答复", "accepted": "已接受", "refused": "已拒绝", "recused": "申请回避"}


class Assignment(db.Model):
    """An examiner (through the card that qualifies them) assigned to a batch.

    ``answer``: pending → accepted | refused (with reason; the assigner judges the reason,
    which feeds renewal rule 2 of notice §三(五)) | recused (the examiner declared a conflict).
    ``confirmed_warnings`` records the warnings (recusal, rotation, double booking) the
    assigner explicitly confirmed when assigning.
    """

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("batch_id", "person_id", name="uq_assignment_batch_id_person_id"),
        CheckConstraint(
            "answer IN ('pending','accepted','refused','recused')", name="answer_known"
        ),
        # Renewal rule 2 (unjustified refusals in a window) and the refusals a unit must
        # judge; partial, so SQLite uses it only when the query repeats answer = 'refused'.
        Index(
            "ix_assignment_refused",
            "person_id",
            "reason_justified",
            "answered_at",
            "assigned_at",
            sqlite_where=text("answer = 'refused'"),
            postgresql_where=text("answer = 'refused'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("evaluation_batch.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id"))
    answer: Mapped[str] = mapped_column(String(10), default="pending")
    answered_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(300), default="")
    reason_justified: Mapped[bool | None]
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_warnings: Mapped[list] = mapped_column(JSON, default=list)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch: Mapped[EvaluationBatch] = relationship()
    person: Mapped[Person] = relationship()
    card: Mapped[Card] = relationship()

    @property
    def answer_label(self) -> str:
        return ANSWER_LABELS[self.answer]

    @property
    def refusal_day(self) -> date:
        """The day of a refusal as the renewal rules count it: when the answer was recorded
        (the assignment day before that), in local time."""
        return to_local(self.answered_at or self.assigned_at).date()

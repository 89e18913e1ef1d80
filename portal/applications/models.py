"""Qualification (培训发证, notice §二): the yearly training plan, applications and every step
taken on them, the initial reviewers' summary tables (Attachment 2), training sessions with
attendance, and assessment results.

An application's ``stage`` only ever changes through
:func:`portal.applications.operations.apply_action`, which follows
:data:`portal.applications.rules.TRANSITIONS` and writes an :class:`ApplicationStep` and an
audit event for every move.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.applications.rules import Stage
from portal.auth.models import User
from portal.cards.models import Card
from portal.catalogue.models import Occupation, Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.timeutil import utcnow
from portal.uploads.models import Upload

TRAINING_MODES = {"central": "集中培训", "regional": "分片区培训", "special": "专场培训",
                  "online": "线上培训"}

plan_occupation = Table(
    "training_plan_occupation",
    db.metadata,
    Column("plan_id", ForeignKey("training_plan.id", ondelete="CASCADE"), primary_key=True),
    Column("occupation_id", ForeignKey("occupation.id"), primary_key=True),
)


class TrainingPlan(db.Model):
    """The province's training plan of a year (notice §二(四)): who may apply for what, when."""

    __tablename__ = "training_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(100))
    #: "考评员", "高级考评员" or both, comma-separated in that order.
    levels: Mapped[str] = mapped_column(String(20))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    mode: Mapped[str] = mapped_column(String(10))
    places: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    occupations: Mapped[list[Occupation]] = relationship(secondary=plan_occupation,
                                                         order_by=Occupation.code)
    quotas: Mapped[list[UnitQuota]] = relationship(back_populates="plan",
                                                   cascade="all, delete-orphan")

    @property
    def level_list(self) -> list[str]:
        return [x for x in self.levels.split(",") if x]

    @property
    def mode_label(self) -> str:
        return TRAINING_MODES.get(self.mode, self.mode)

    def window_open(self, today: date) -> bool:
        """Whether applications (and corrections, notice §五(三)) are accepted on ``today``."""
        return self.published_at is not None and self.opens_on <= today <= self.closes_on


class UnitQuota(db.Model):
    """A unit's places in a plan. ``base`` is what the province set (by default the previous
    plan's quota); ``absences`` counts the unit's approved applicants who missed the previous
    plan's training without a special reason; the quota is ``base - absences``."""

    __tablename__ = "unit_quota"
    __table_args__ = (UniqueConstraint("plan_id", "organisation_id",
                                       name="uq_unit_quota_plan_id_organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    base: Mapped[int]
    absences: Mapped[int] = mapped_column(default=0)

    plan: Mapped[TrainingPlan] = relationship(back_populates="quotas")
    organisation: Mapped[Organisation] = relationship()

    @property
    def quota(self) -> int:
        return max(self.base - self.absences, 0)


class Application(db.Model):
    """One person's application under a plan (Attachment 1 data, the uploads, where it is)."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_stage_region", "stage", "region_id"),
        Index("ix_application_person_plan", "person_id", "plan_id"),
        Index("ix_application_session_id", "session_id"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    level: Mapped[str] = mapped_column(String(10))  # 考评员 / 高级考评员
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupation.id"))
    #: The applicant's city, or 四川省 for a provincial-direct application (notice §五(二)).
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    #: The recommending unit (申报单位); for 四川省 a provincial-direct institution, which also
    #: does the initial review (notice §二(三)2).
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: Held at application: national vocational qualification level in the occupation (1–5)
    #: and professional title level (1–4, see rules.TitleLevel), with their certificate text.
    qualification_level: Mapped[int | None]
    title_level: Mapped[int | None]
    qualification_text: Mapped[str] = mapped_column(String(100), default="")
    #: 工作总结 of Attachment 1 (the applicant's evaluation-related work so far).
    work_summary: Mapped[str] = mapped_column(Text, default="")
    #: The recommending unit's opinion (推荐单位意见), printed on Attachment 1.
    unit_opinion: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(24), default=Stage.DRAFT.value)
    stage_since: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    id_copy_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    certificate_copy_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    card_copy_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    signed_form_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    summary_table_id: Mapped[int | None] = mapped_column(ForeignKey("summary_table.id"),
                                                         index=True)
    #: Training: the session attended (or missed), whether absence had a special reason.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_session.id"))
    absence_excused: Mapped[bool | None]
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[TrainingPlan] = relationship()
    person: Mapped[Person] = relationship()
    occupation: Mapped[Occupation] = relationship()
    region: Mapped[Region] = relationship()
    unit: Mapped[Organisation] = relationship()
    steps: Mapped[list[ApplicationStep]] = relationship(
        back_populates="application", order_by="ApplicationStep.id",
        cascade="all, delete-orphan")
    id_copy: Mapped[Upload | None] = relationship(foreign_keys=[id_copy_id])
    certificate_copy: Mapped[Upload | None] = relationship(foreign_keys=[certificate_copy_id])
    photo: Mapped[Upload | None] = relationship(foreign_keys=[photo_id])
    card_copy: Mapped[Upload | None] = relationship(foreign_keys=[card_copy_id])
    signed_form: Mapped[Upload | None] = relationship(foreign_keys=[signed_form_id])
    summary_table: Mapped[SummaryTable | None] = relationship(back_populates="applications")
    session: Mapped[TrainingSession | None] = relationship()
    card: Mapped[Card | None] = relationship()

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)

    @property
    def provincial_direct(self) -> bool:
        return self.region.is_province


class ApplicationStep(db.Model):
    """One move of an application: who, in which capacity, when, what, and why."""

    __tablename__ = "application_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    capacity: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    from_stage: Mapped[str] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship()


class SummaryTable(db.Model):
    """An initial reviewer's Attachment 2 (汇总表) over the applications it approved. Sent to
    the province only with its stamped scan attached (``sent_at``)."""

    __tablename__ = "summary_table"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id"), index=True)
    #: The reviewing office: a city (its centre) or, for 四川省, the institution.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    reviewer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    number: Mapped[str] = mapped_column(String(30), unique=True)
    filled_by: Mapped[str] = mapped_column(String(40))  # 填报单位
    contact_name: Mapped[str] = mapped_column(String(40))  # 经办人
    contact_phone: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    sent_at: Mapped[datetime | None]

    plan: Mapped[TrainingPlan] = relationship()
    region: Mapped[Region] = relationship()
    reviewer_org: Mapped[Organisation | None] = relationship()
    scan: Mapped[Upload | None] = relationship()
    applications: Mapped[list[Application]] = relationship(back_populates="summary_table",
                                                           order_by=Application.id)


class TrainingSession(db.Model):
    """A training session under a plan; a 专场 session may be requested by a unit with its own
    training plan attached (notice §二(五))."""

    __tablename__ = "training_session"
    __table_args__ = (
        CheckConstraint("status IN ('requested','scheduled','declined')", name="status_known"),
        CheckConstraint("mode IN ('central','regional','special','online')", name="mode_known"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plan.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    place: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(10))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    request_plan_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    #: requested (by a unit, awaiting the province), scheduled, or declined.
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    #: Arrangements (the province's) or the request's explanation (the unit's: how many, why).
    notes: Mapped[str] = mapped_column(Text, default="")
    #: Why the province declined a unit's request (shown to the unit).
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    #: 考核日期: the issue date of the cards of those who pass (notice §二(五) "培训结束后统一
    #: 安排考核"); set when the first result is recorded if the province has not set it.
    assessed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[TrainingPlan] = relationship()
    requested_by: Mapped[Organisation | None] = relationship()
    request_plan: Mapped[Upload | None] = relationship()

    @property
    def mode_label(self) -> str:
        return TRAINING_MODES.get(self.mode, self.mode)

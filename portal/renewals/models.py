"""Renewal (复核换证, notice §三): the yearly renewal plan, the holders' renewal applications
with every step taken on them, the initial reviewer's decision on each term-report finding,
the renewal summary tables (Attachment 2, "培训（复核）汇总表"), and the violations register
(notice §三(五) rules 3–7, and major incidents reported during a batch, notice §四(二)).

A renewal application's ``stage`` only ever changes through
:func:`portal.renewals.operations.apply_action`, which follows
:data:`portal.renewals.rules.TRANSITIONS` and writes a :class:`RenewalStep` and an audit event
for every move.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.batches.models import EvaluationBatch
from portal.cards.models import Card
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.renewals.rules import RenewalStage
from portal.timeutil import utcnow
from portal.uploads.models import Upload


class RenewalPlan(db.Model):
    """The province's renewal plan of a year (notice §三(二)): published on 28 March,
    registration through :func:`portal.renewals.rules.registration_closes`; cards whose
    validity ends by ``expiry_cutoff`` may be renewed under it.

    ``closed_at`` is set when the province confirms the close: the cards of eligible holders
    who did not take part, or whose application was not completed, are revoked then (notice
    §三(四)4 "未按规定参加复审的，取消原有考评资格").
    """

    __tablename__ = "renewal_plan"
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="closes_after_open"),
        CheckConstraint("expiry_cutoff >= opens_on", name="cutoff_after_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(100))
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    #: Cards whose validity has ended by this day are eligible (default: ``closes_on``).
    expiry_cutoff: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")
    #: True when the daily job created it on 28 March (rather than an officer).
    auto_created: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    def window_open(self, today: date) -> bool:
        """Whether holders may submit on ``today``: published and within the window."""
        return self.published_at is not None and self.opens_on <= today <= self.closes_on


class RenewalApplication(db.Model):
    """One holder's renewal of one card under a plan: the Attachment 3 data (a snapshot taken
    from the profile and the card, editable by the holder), the work summary, declarations,
    uploads, the unit's opinion and where it is."""

    __tablename__ = "renewal_application"
    __table_args__ = (
        Index("ix_renewal_application_stage_region", "stage", "region_id"),
        Index("ix_renewal_application_person_plan", "person_id", "plan_id"),
        UniqueConstraint("plan_id", "card_id", name="uq_renewal_application_plan_id_card_id"),
        CheckConstraint("unit_opinion IN ('', 'agree', 'disagree')", name="unit_opinion_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("renewal_plan.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    #: The card to renew (its number, occupation, level and validity print on Attachment 3).
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id"), index=True)
    #: The holder's city, or 四川省 for a provincial-direct renewal (notice §五(二)).
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    #: 申报单位: the holder's unit, which gives its opinion and stamps Attachment 3; for 四川省
    #: a provincial-direct institution, which also does the initial review.
    unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Attachment 3 fields (snapshot; the card's own fields are read from the card).
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str] = mapped_column(String(1))
    education: Mapped[str] = mapped_column(String(20), default="")
    employer: Mapped[str] = mapped_column(String(100), default="")  # 工作单位
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(20), default="")  # 联系电话
    qualification: Mapped[str] = mapped_column(String(60), default="")  # 职业资格等级或技术职称
    specialty: Mapped[str] = mapped_column(String(60), default="")  # 从事专业
    specialty_years: Mapped[int | None]  # 专业工龄
    #: 考评工作总结或心得体会 (notice §三(四)1, at least 1000 characters to submit).
    work_summary: Mapped[str] = mapped_column(Text, default="")
    #: The holder's declarations (notice §三(一): 身体健康; 良好职业道德、无考评事故经历).
    declares_health: Mapped[bool] = mapped_column(default=False)
    declares_no_incident: Mapped[bool] = mapped_column(default=False)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    id_copy_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    card_scan_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    #: The unit's opinion (申报单位意见): 'agree' (同意) or 'disagree' (不同意), with a reason,
    #: and the Attachment 3 it stamped.
    unit_opinion: Mapped[str] = mapped_column(String(10), default="")
    unit_reason: Mapped[str] = mapped_column(String(300), default="")
    stamped_form_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    stage: Mapped[str] = mapped_column(String(24), default=RenewalStage.DRAFT.value)
    stage_since: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    summary_table_id: Mapped[int | None] = mapped_column(
        ForeignKey("renewal_summary_table.id"), index=True)
    #: The card issued when the province approves.
    new_card_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[RenewalPlan] = relationship()
    person: Mapped[Person] = relationship()
    card: Mapped[Card] = relationship(foreign_keys=[card_id])
    new_card: Mapped[Card | None] = relationship(foreign_keys=[new_card_id])
    region: Mapped[Region] = relationship()
    unit: Mapped[Organisation] = relationship()
    photo: Mapped[Upload | None] = relationship(foreign_keys=[photo_id])
    id_copy: Mapped[Upload | None] = relationship(foreign_keys=[id_copy_id])
    card_scan: Mapped[Upload | None] = relationship(foreign_keys=[card_scan_id])
    stamped_form: Mapped[Upload | None] = relationship(foreign_keys=[stamped_form_id])
    steps: Mapped[list[RenewalStep]] = relationship(
        back_populates="application", order_by="RenewalStep.id", cascade="all, delete-orphan")
    findings: Mapped[list[RenewalFinding]] = relationship(
        back_populates="application", order_by="RenewalFinding.rule",
        cascade="all, delete-orphan")
    summary_table: Mapped[RenewalSummaryTable | None] = relationship(
        back_populates="applications")

    @property
    def stage_enum(self) -> RenewalStage:
        return RenewalStage(self.stage)

    @property
    def provincial_direct(self) -> bool:
        return self.region.is_province


class RenewalStep(db.Model):
    """One move of a renewal application: who, in which capacity, when, what, and why."""

    __tablename__ = "renewal_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("renewal_application.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    capacity: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    from_stage: Mapped[str] = mapped_column(String(24))
    to_stage: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[RenewalApplication] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship()


class RenewalFinding(db.Model):
    """The initial reviewer's decision on one finding of the term report
    (:func:`portal.renewals.rules.disqualification_findings`): ``confirmed`` (the rule is met,
    the renewal must be refused) or ``overridden`` (not accepted, with the reason). The
    finding's records and text are kept as they were when decided; a decision whose records
    no longer match the live report must be taken again."""

    __tablename__ = "renewal_finding"
    __table_args__ = (
        UniqueConstraint("application_id", "rule", name="uq_renewal_finding_application_id_rule"),
        CheckConstraint("decision IN ('confirmed','overridden')", name="decision_known"),
        CheckConstraint("decision = 'confirmed' OR reason <> ''", name="override_has_reason"),
        CheckConstraint("rule BETWEEN 1 AND 7", name="rule_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("renewal_application.id", ondelete="CASCADE"))
    rule: Mapped[int]
    #: The ids of the sheets, refusals (assignments) or violations behind the finding.
    record_ids: Mapped[list] = mapped_column(JSON, default=list)
    detail: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(300), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[RenewalApplication] = relationship(back_populates="findings")
    decided_by: Mapped[User | None] = relationship()


class RenewalSummaryTable(db.Model):
    """An initial reviewer's Attachment 2 (培训（复核）汇总表) over the renewal applications
    it approved under a plan. Sent to the province only with its stamped scan attached
    (``sent_at``)."""

    __tablename__ = "renewal_summary_table"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("renewal_plan.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    #: For 四川省, the provincial-direct institution that reviewed; None for a city centre.
    reviewer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    number: Mapped[str] = mapped_column(String(30), unique=True)
    filled_by: Mapped[str] = mapped_column(String(40))
    contact_name: Mapped[str] = mapped_column(String(40))
    contact_phone: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    sent_at: Mapped[datetime | None]

    plan: Mapped[RenewalPlan] = relationship()
    region: Mapped[Region] = relationship()
    reviewer_org: Mapped[Organisation | None] = relationship()
    scan: Mapped[Upload | None] = relationship()
    applications: Mapped[list[RenewalApplication]] = relationship(
        back_populates="summary_table", order_by=RenewalApplication.id)


#: Kinds a violation record may have: the five of :class:`portal.renewals.rules.ViolationKind`
#: (rules 3–7) and ``incident``, a major incident reported during a batch (notice §四(二)),
#: which is kept in the register but never disqualifies by itself.
VIOLATION_KINDS = ("refused_recusal", "concealed_incident", "erroneous_judgment",
                   "fraud_bribery", "criminal", "incident")
VIOLATION_STATUSES = {"reported": "待核实", "confirmed": "已确认", "dismissed": "不予认定"}


class Violation(db.Model):
    """A violation recorded against an examiner (notice §三(五) rules 3–7) or a major incident
    reported during a batch. Units, cities and the province record it; the city centre of the
    examiner's city or the province confirms or dismisses it with a reason. Only confirmed
    violations of rules 3–7 feed the renewal term report."""

    __tablename__ = "violation"
    __table_args__ = (
        CheckConstraint("kind IN ('refused_recusal','concealed_incident','erroneous_judgment',"
                        "'fraud_bribery','criminal','incident')", name="kind_known"),
        CheckConstraint("status IN ('reported','confirmed','dismissed')", name="status_known"),
        CheckConstraint("status = 'reported' OR (decided_at IS NOT NULL AND decision_reason <> '')",
                        name="decision_complete"),
        Index("ix_violation_person_status", "person_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_batch.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    #: Who recorded it and for which organisation (a unit) or region (a city centre).
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reporter_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    reporter_region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="reported")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(String(300), default="")

    person: Mapped[Person] = relationship()
    batch: Mapped[EvaluationBatch | None] = relationship()
    evidence: Mapped[Upload | None] = relationship()
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    reporter_org: Mapped[Organisation | None] = relationship()
    reporter_region: Mapped[Region | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def status_label(self) -> str:
        return VIOLATION_STATUSES.get(self.status, self.status)

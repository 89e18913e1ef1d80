"""EvaluationSheet (Attachment 4) with its two rater columns, their marks and revisions.

The schema enforces what must never happen: one sheet per assignment, one column per rater
role per sheet, one mark per item per column, levels A–D only, items 1–15 only.
"""

from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from portal.auth.models import User
from portal.batches.models import Assignment, EvaluationBatch
from portal.extensions import db
from portal.people.models import Person
from portal.scoring.rubric import Rubric
from portal.timeutil import utcnow

RATER_ROLES = ("supervisor", "site_lead")
RATER_LABELS = {"supervisor": "质量督导员", "site_lead": "评价机构考场负责人"}


class EvaluationSheet(db.Model):
    __tablename__ = "evaluation_sheet"
    __table_args__ = (
        CheckConstraint("grade IS NULL OR grade IN ('优','良','中','差')", name="grade_known"),
        Index("ix_evaluation_sheet_person_final", "person_id", "finalised_at"),
        # The dashboards' sheets of a year by grade and renewal rule 1's 差 sheets: an
        # index-only range on (grade, finalised_at) that also covers batch and person.
        Index("ix_evaluation_sheet_grade_final", "grade", "finalised_at", "batch_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("evaluation_batch.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    rubric_version: Mapped[str] = mapped_column(String(20))
    rubric_snapshot: Mapped[dict] = mapped_column(JSON)
    final_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    grade: Mapped[str | None] = mapped_column(String(1))
    finalised_at: Mapped[datetime | None]
    seal_sha256: Mapped[str | None] = mapped_column(String(64))
    scan_upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[Assignment] = relationship()
    batch: Mapped[EvaluationBatch] = relationship()
    person: Mapped[Person] = relationship()
    columns: Mapped[list["SheetColumn"]] = relationship(
        back_populates="sheet", cascade="all, delete-orphan", lazy="selectin"
    )

    @cached_property
    def rubric(self) -> Rubric:
        """The frozen rubric of this sheet (parsed once per loaded instance)."""
        return Rubric.from_snapshot(self.rubric_snapshot)

    def column(self, role: str) -> "SheetColumn":
        return next(c for c in self.columns if c.role == role)

    @property
    def is_final(self) -> bool:
        return self.finalised_at is not None


class SheetColumn(db.Model):
    """One rater's column. ``version`` increases with every stored change: a save names the
    version it was based on, so a stale page can never silently overwrite a newer choice."""

    __tablename__ = "sheet_column"
    __table_args__ = (
        UniqueConstraint("sheet_id", "role", name="uq_sheet_column_sheet_id_role"),
        CheckConstraint("role IN ('supervisor','site_lead')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("evaluation_sheet.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    version: Mapped[int] = mapped_column(default=0)
    marked: Mapped[int] = mapped_column(default=0)  # number of items scored (0–15)
    total: Mapped[int | None]  # set when all 15 items are scored
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported: Mapped[bool] = mapped_column(default=False)

    sheet: Mapped[EvaluationSheet] = relationship(back_populates="columns")
    rater: Mapped[User | None] = relationship(foreign_keys=[rater_id])
    #: The rater's display name, read with the column itself: what the sheet, its PDF and the
    #: import show, without loading the rater's whole account (and roles) on every click.
    rater_name: Mapped[str | None] = column_property(
        select(User.display_name).where(User.id == rater_id).correlate_except(User)
        .scalar_subquery(),
        expire_on_flush=False,  # a click flushes the column; the name did not change
    )
    marks: Mapped[list["SheetMark"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SheetMark.item"
    )

    @property
    def label(self) -> str:
        return RATER_LABELS[self.role]

    @property
    def levels(self) -> dict[int, str]:
        return {m.item: m.level for m in self.marks}

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class SheetMark(db.Model):
    __tablename__ = "sheet_mark"
    __table_args__ = (
        UniqueConstraint("column_id", "item", name="uq_sheet_mark_column_id_item"),
        CheckConstraint("item BETWEEN 1 AND 15", name="item_range"),
        CheckConstraint("level IN ('A','B','C','D')", name="level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("sheet_column.id", ondelete="CASCADE"))
    item: Mapped[int]
    level: Mapped[str] = mapped_column(String(1))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SheetRevision(db.Model):
    """A sealed state of a sheet kept when an officer reopens a column: the history is never
    edited in place (DESIGN.md "Sealed sheets")."""

    __tablename__ = "sheet_revision"
    __table_args__ = (
        UniqueConstraint("sheet_id", "revision", name="uq_sheet_revision_sheet_id_revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("evaluation_sheet.id"), index=True)
    revision: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)
    seal_sha256: Mapped[str | None] = mapped_column(String(64))
    reopened_role: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(300))
    reopened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reopened_at: Mapped[datetime] = mapped_column(default=utcnow)

    reopened_by: Mapped[User] = relationship()

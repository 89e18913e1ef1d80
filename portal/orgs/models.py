"""Organisation model and its types."""

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalogue.models import Region
from portal.extensions import db


class OrgType(StrEnum):
    """Kinds of organisation named in the notice's address line and §二(二)."""

    INSTITUTION = "institution"
    STATION = "station"
    EMPLOYER = "employer"
    SCHOOL = "school"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ORG_TYPE_LABELS[self]


ORG_TYPE_LABELS = {
    OrgType.INSTITUTION: "职业技能等级认定备案机构（评价机构）",
    OrgType.STATION: "国家职业技能鉴定所",
    OrgType.EMPLOYER: "企业",
    OrgType.SCHOOL: "院校",
    OrgType.OTHER: "其他单位",
}


class Organisation(db.Model):
    """A unit: it recommends applicants and, if an evaluation institution, runs batches.

    ``provincial_direct`` marks a 省直备案评价机构: its applicants apply directly to the
    province (notice §二(二)) and it performs their initial review itself (§二(三)2).
    ``training_quota`` is its number of places in the next training plan.
    """

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "org_type IN ('institution','station','employer','school','other')", name="org_type"
        ),
        CheckConstraint("training_quota >= 0", name="quota_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    org_type: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    provincial_direct: Mapped[bool] = mapped_column(default=False)
    training_quota: Mapped[int] = mapped_column(default=0)
    credit_code: Mapped[str] = mapped_column(String(18), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship()

    @property
    def type_label(self) -> str:
        return ORG_TYPE_LABELS[OrgType(self.org_type)]

    def __str__(self) -> str:
        return self.name

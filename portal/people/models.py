"""Person: an applicant or examiner, with the fields of Attachment 1 (申报表)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.timeutil import utcnow

EDUCATION_CHOICES = ("初中及以下", "高中/中专/技校", "大专", "本科", "硕士研究生", "博士研究生")
GENDERS = ("男", "女")


class Person(db.Model):
    """One natural person, identified by their resident ID number.

    ``organisation`` is the employer when it is a registered unit (it scopes what the unit
    sees); ``employer`` is the 工作单位 text as printed on the forms. ``region`` is 所在城市.
    """

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("gender IN ('男','女')", name="gender_known"),
        # A city centre or a unit searching its own people by name prefix (the registry).
        Index("ix_person_region_id_name", "region_id", "name"),
        Index("ix_person_organisation_id_name", "organisation_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    gender: Mapped[str] = mapped_column(String(1))
    education: Mapped[str] = mapped_column(String(20), default="")
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    employer: Mapped[str] = mapped_column(String(100), default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(40), default="")  # 专业技术职称
    position: Mapped[str] = mapped_column(String(40), default="")  # 职务
    address: Mapped[str] = mapped_column(String(200), default="")
    mobile: Mapped[str] = mapped_column(String(11), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    years_worked: Mapped[int | None]  # 工龄
    retired: Mapped[bool] = mapped_column(default=False)
    # use_alter: person → upload → user_account → person is a cycle of foreign keys.
    photo_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("upload.id", use_alter=True, name="fk_person_photo_upload_id_upload")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    def __str__(self) -> str:
        return self.name

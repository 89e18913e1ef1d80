"""Region and Occupation: data, not code, so another province can host the same software."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class Region(db.Model):
    """A city/prefecture (市（州）), or the province itself for provincial-direct (省直) records.

    ``is_province`` marks the one row (四川省) chosen by provincial-direct applicants
    (notice §五(二)).
    """

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    is_province: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    def __str__(self) -> str:
        return self.name


class Occupation(db.Model):
    """An occupation (职业（工种）) of the national catalogue, e.g. 6-31-01-03 电工.

    Occupations are never deleted once used; the admin deactivates them instead.
    """

    __tablename__ = "occupation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name

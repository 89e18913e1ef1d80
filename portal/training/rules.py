"""Pure rules of the training plan (notice §二(四), Attachment 1 note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class QuotaDefault:
    """A unit's quota in a new plan and why: the previous plan's places, minus one for each
    approved applicant of the unit who missed that plan's training without a special reason
    (Attachment 1: "无特殊情况不得缺席，否则将核减推荐单位下一次考评人员培训名额")."""

    base: int
    absences: int

    @property
    def quota(self) -> int:
        return max(self.base - self.absences, 0)

    @property
    def explanation(self) -> str:
        if not self.absences:
            return f"沿用上期名额 {self.base} 人"
        return f"上期名额 {self.base} 人，无故缺席 {self.absences} 人，核减后 {self.quota} 人"


def default_quota(previous_base: int | None, unit_default: int, absences: int) -> QuotaDefault:
    """The starting quota of a unit in a new plan: the previous plan's base (or, for a unit
    without one, its standing quota ``unit_default``), with the previous plan's unexcused
    absences recorded against it."""
    base = unit_default if previous_base is None else previous_base
    return QuotaDefault(base=max(base, 0), absences=max(absences, 0))


def window_problem(opens_on: date | None, closes_on: date | None) -> str | None:
    """Why a registration window is not acceptable (Chinese), or None."""
    if opens_on and closes_on and closes_on < opens_on:
        return "报名截止日期不能早于开始日期"
    return None

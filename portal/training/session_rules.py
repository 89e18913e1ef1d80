"""Pure rules of training sessions, attendance and the assessment (notice §二(五), the note
under Attachment 1). No Flask, no database: plain values in, verdicts and Chinese sentences out.

Notice §二(五): "采取相对集中或分片区的方式进行培训……有需求（指参加培训人数较多）在评价机构内对
本单位申报人员进行培训的，可向省职鉴中心书面提出申请（附培训方案），省职鉴中心将根据报名情况协调
组织安排专场培训……培训结束后统一安排考核，合格人员将由省人力资源和社会保障厅颁发相应职业（工种）
考评员证卡（证卡有效期为三年）。"

Attachment 1, 说明: "申请审核通过后，无特殊情况不得缺席，否则将核减推荐单位下一次考评人员培训名额。"

**The pass rule (our decision).** The notice names no pass mark. A result is the score, 0–100
with at most one decimal, and the verdict follows from it alone: 合格 when the score is at least
:data:`PASS_MARK` (60, the usual mark of a hundred-point examination), otherwise 不合格
(:func:`result_for`). There is no separate pass/fail choice that could disagree with the
score; where a pass/fail is written down anyway (the 考核结果 column of the XLSX import) it is
only checked against the score (:func:`result_problem`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from portal.timeutil import cn_date

__all__ = [
    "MAX_SCORE",
    "PASS_MARK",
    "SPECIAL",
    "Result",
    "ScoreError",
    "SessionStatus",
    "absence_comment",
    "absence_consequence",
    "assessment_date_problem",
    "attendance_problem",
    "dates_problem",
    "parse_result",
    "parse_score",
    "result_for",
    "result_problem",
    "results_problem",
]

#: The lowest passing score (inclusive): 60.0 passes, 59.9 fails.
PASS_MARK = Decimal("60")
MAX_SCORE = Decimal("100")
#: The mode of a session a unit requests for its own applicants (专场培训).
SPECIAL = "special"


class SessionStatus(StrEnum):
    """Where a session is: a unit's request awaiting the province, scheduled, or declined.
    Sessions the province creates itself are scheduled at once."""

    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    SessionStatus.REQUESTED: "专场申请待省职鉴中心安排",
    SessionStatus.SCHEDULED: "已安排",
    SessionStatus.DECLINED: "专场申请未获安排",
}


class Result(StrEnum):
    """The assessment verdict, as the notice words it ("合格人员")."""

    PASS = "合格"  # noqa: S105 - a verdict, not a password
    FAIL = "不合格"


class ScoreError(ValueError):
    """A score that cannot be recorded; ``str()`` is a Chinese message for the user."""


def dates_problem(starts_on: date | None, ends_on: date | None) -> str | None:
    """Why a session's dates are not acceptable (Chinese), or None: it ends before it starts."""
    if starts_on and ends_on and ends_on < starts_on:
        return "培训结束日期不能早于开始日期"
    return None


def parse_score(value: object) -> Decimal:
    """A score from what the user typed or the spreadsheet held: ``"85"``, ``"85.5"``,
    ``85.5``, ``Decimal("85.5")`` → ``Decimal("85.5")`` (one decimal place).

    Raises :class:`ScoreError` for a blank, a non-number, a score outside 0–100, or more than
    one decimal place (``"85.25"``): a score is never rounded silently.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ScoreError("请填写考核成绩")
    if isinstance(value, bool):
        raise ScoreError("考核成绩应为数字（0–100，最多一位小数）")
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ScoreError("考核成绩应为数字（0–100，最多一位小数）") from exc
    if not score.is_finite():
        raise ScoreError("考核成绩应为数字（0–100，最多一位小数）")
    if score != score.quantize(Decimal("0.1")):
        raise ScoreError("考核成绩最多保留一位小数")
    if not Decimal(0) <= score <= MAX_SCORE:
        raise ScoreError("考核成绩应在 0–100 分之间")
    return score.quantize(Decimal("0.1"))


def result_for(score: Decimal) -> Result:
    """The verdict a score gives: 合格 at :data:`PASS_MARK` or above, no rounding
    (59.9 is 不合格)."""
    return Result.PASS if score >= PASS_MARK else Result.FAIL


def parse_result(text: str) -> Result | None:
    """A written verdict (``"合格"``/``"不合格"``) or None for a blank; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    for result in Result:
        if text == result.value:
            return result
    raise ValueError(text)


def result_problem(score: Decimal, stated: Result | None) -> str | None:
    """Why a written verdict contradicts the score (Chinese), or None when it agrees or is
    blank: the verdict follows the score (see the module docstring)."""
    if stated is None or stated is result_for(score):
        return None
    return (f"考核结果“{stated.value}”与成绩 {score} 分不符"
            f"（{PASS_MARK} 分及以上为合格，以下为不合格）")


def attendance_problem(status: SessionStatus | str, starts_on: date, today: date) -> str | None:
    """Why attendance cannot be recorded for a session today (Chinese), or None: only for a
    scheduled session, and not before its first day."""
    if SessionStatus(status) is not SessionStatus.SCHEDULED:
        return "该培训场次尚未安排，不能记录考勤"
    if today < starts_on:
        return f"培训尚未开始（{cn_date(starts_on)}开始），不能记录考勤"
    return None


def assessment_date_problem(assessed_on: date, *, ends_on: date, today: date) -> str | None:
    """Why ``assessed_on`` cannot be a session's assessment date (Chinese), or None.

    The assessment follows the training ("培训结束后统一安排考核"), so it is not before the
    session's last day; and it is not in the future: it becomes the issue date of the cards of
    those who pass, from which validity and the 60-working-day collection deadline run.
    """
    if assessed_on > today:
        return "考核日期不能晚于今天（考核日期即合格人员证卡的发证日期）"
    if assessed_on < ends_on:
        return f"考核日期不能早于培训结束日期（{cn_date(ends_on)}）"
    return None


def results_problem(status: SessionStatus | str) -> str | None:
    """Why results cannot be recorded for a session (Chinese), or None."""
    if SessionStatus(status) is not SessionStatus.SCHEDULED:
        return "该培训场次尚未安排，不能录入考核结果"
    return None


def absence_comment(excused: bool, reason: str) -> str:
    """The step comment of an absence: whether there was a special reason, and the reason.
    An excused absence needs a reason (ValueError with a Chinese message otherwise)."""
    reason = (reason or "").strip()
    if excused:
        if not reason:
            raise ValueError("有特殊原因的缺席须填写原因")
        return f"有特殊原因：{reason}"
    return "无特殊原因" + (f"：{reason}" if reason else "")


def absence_consequence(unit_name: str, count: int = 1) -> str:
    """What an unexcused absence costs the recommending unit (Attachment 1 note): one place in
    its next training plan per absent applicant."""
    return f"缺席将核减 {unit_name} 下期名额 {count} 人"

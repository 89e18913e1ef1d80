"""The review side of the qualification workflow as pure functions (no Flask, no database):
which moves the detail page offers, how a reviewer's comment is composed, the unit's quota
check, who holds an application and for how many working days, what a summary table
(Attachment 2) prints and when it may be sent (the form itself, shared with renewal tables,
is :mod:`portal.summary_tables.rules`).

Notice §二(二)–(三): "由本人自愿提出申请，经所在单位推荐，向各市（州）职鉴中心申报，省直备案评价
机构直接向省职鉴中心申报" — the unit recommends, the city centre (or the provincial-direct
institution) reviews first and sends its 汇总表 (附件2) to the province, which re-reviews.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from portal.applications.rules import (
    CANNED_REASONS,
    HOLDERS,
    Action,
    Capacity,
    QualificationLevel,
    Stage,
    TitleLevel,
    allowed_actions,
)
from portal.summary_tables.rules import (
    ATTACHMENT2_HEADERS,
    ATTACHMENT2_TITLE,
    office_code,
    table_number,
)
from portal.summary_tables.rules import send_problems as _send_problems
from portal.workdays import PROVISIONAL_FIXED_HOLIDAYS, WorkdayCalendar

__all__ = [
    "ACT_ROUTE_ACTIONS",
    "ATTACHMENT2_HEADERS",
    "ATTACHMENT2_TITLE",
    "AWAITING_PROVINCE",
    "ELSEWHERE",
    "PANEL_ORDER",
    "PASSED_UNIT",
    "Held",
    "QuotaVerdict",
    "compose_comment",
    "current_qualification",
    "holder_office",
    "office_name",
    "office_code",
    "panel_actions",
    "quota_verdict",
    "send_problems",
    "table_number",
    "workdays_held",
]

#: The moves the application page's one form takes (``POST /applications/<id>/act``).
#: Sending to the province happens through the summary table; attendance and assessment are
#: recorded by training, which also issues the card.
ACT_ROUTE_ACTIONS: frozenset[Action] = frozenset({
    Action.SUBMIT, Action.WITHDRAW, Action.RECOMMEND, Action.DECLINE, Action.RETURN,
    Action.APPROVE, Action.REJECT,
})

#: Where the moves the application page does not take are made, said to the user who tries.
ELSEWHERE: dict[Action, str] = {
    Action.SEND_TO_PROVINCE: "报送省职鉴中心须通过汇总表办理：生成汇总表、上传盖章扫描件后报送。",
    Action.ATTEND: "培训考勤在培训管理中记录。",
    Action.ABSENT: "培训考勤在培训管理中记录。",
    Action.PASS: "考核结果在考核管理中录入（合格即发证）。",
    Action.FAIL: "考核结果在考核管理中录入。",
}

#: Stages of an application that the unit has recommended and that still hold one of the
#: unit's places in the plan: from the initial review on, trained or not. A rejected,
#: withdrawn or declined application gives its place back; one still waiting for the unit
#: has not taken one yet.
PASSED_UNIT: frozenset[Stage] = frozenset({
    Stage.INITIAL_REVIEW, Stage.RETURNED_BY_REVIEWER, Stage.INITIAL_APPROVED,
    Stage.PROVINCE_REVIEW, Stage.TRAINING, Stage.ASSESSMENT, Stage.CERTIFIED, Stage.FAILED,
    Stage.ABSENT,
})

#: Stages in which the province re-reviews an application of a sent summary table (bulk
#: approval and return act only on these).
AWAITING_PROVINCE: frozenset[Stage] = frozenset({Stage.PROVINCE_REVIEW})

#: The order of the application page's buttons: going forward first, then back, then ending.
PANEL_ORDER: tuple[Action, ...] = (Action.SUBMIT, Action.RECOMMEND, Action.APPROVE,
                                   Action.RETURN, Action.DECLINE, Action.REJECT, Action.WITHDRAW)


def panel_actions(stage: Stage | str, capacities: Iterable[Capacity | str]) -> list[Action]:
    """The buttons the application page shows, in :data:`PANEL_ORDER`: the moves
    :func:`allowed_actions` allows for these capacities, minus those made elsewhere
    (:data:`ELSEWHERE`)."""
    allowed = set(allowed_actions(stage, capacities))
    return [a for a in PANEL_ORDER if a in allowed]


def compose_comment(reasons: Iterable[str], text: str | None,
                    canned: Iterable[str] = CANNED_REASONS) -> str:
    """The comment recorded with a move: the ticked canned reasons (in the order of
    ``canned``, by default :data:`CANNED_REASONS`; unknown ones ignored), then the reviewer's
    own words, joined by "；". ``compose_comment(["照片不符合要求"], "请换白底照片")`` is
    ``"照片不符合要求；请换白底照片"``. The renewal review passes its own list."""
    ticked = set(reasons)
    parts = [r for r in canned if r in ticked]
    free = (text or "").strip()
    if free:
        parts.append(free)
    return "；".join(parts)


# --------------------------------------------------------------------------- the unit quota


@dataclass(frozen=True)
class QuotaVerdict:
    """Whether the unit may recommend one more applicant, and the sentence that says so."""

    ok: bool
    quota: int | None
    recommended: int
    message: str


def quota_verdict(*, quota: int | None, recommended: int, unit_name: str, plan_title: str,
                  absences: int = 0) -> QuotaVerdict:
    """Whether a unit with ``quota`` places in a plan (None: no quota line, so no places)
    and ``recommended`` applications already past it (:data:`PASSED_UNIT`) may recommend
    one more.

    The province gives each unit its places in the plan (notice §二(五) "制定全年考评员培训
    计划"); places lost to last plan's unexcused absences are already taken off ``quota``
    (Attachment 1 note "核减推荐单位下一次考评人员培训名额") and are named in the refusal.
    """
    if quota is None:
        return QuotaVerdict(False, None, recommended,
                            f"“{unit_name}”在“{plan_title}”中没有培训名额，不能推荐。"
                            "名额由省职鉴中心在培训计划中分配，如有需要请与省职鉴中心联系。")
    cut = f"（上期培训无故缺席核减 {absences} 人）" if absences else ""
    if recommended >= quota:
        return QuotaVerdict(False, quota, recommended,
                            f"“{unit_name}”在“{plan_title}”中的培训名额为 {quota} 人{cut}，"
                            f"已推荐 {recommended} 人，名额已用完，不能再推荐。"
                            "可先对其他申报人不予推荐或退回，或与省职鉴中心联系调整名额。")
    left = quota - recommended
    return QuotaVerdict(True, quota, recommended,
                        f"本单位名额 {quota} 人{cut}，已推荐 {recommended} 人，还可推荐 {left} 人。")


# --------------------------------------------------------------------------- who holds it


def holder_office(stage: Stage | str, *, applicant_name: str, unit_name: str,
                  region_name: str, region_is_province: bool, province_name: str) -> str | None:
    """The office (or person) holding an application at ``stage`` (:data:`HOLDERS`), by name;
    None for a final stage.

    The initial reviewer is the city centre of the application's city, or, for a 四川省
    application, the provincial-direct institution it was addressed to (notice §二(三)2–3).
    Centres are named after their region ("成都市职业技能鉴定指导中心"), so another
    province's data names its own centre.
    """
    holder = HOLDERS.get(Stage(stage))
    if holder is None:
        return None
    return office_name(holder, person_name=applicant_name, unit_name=unit_name,
                       region_name=region_name, region_is_province=region_is_province,
                       province_name=province_name)


def office_name(capacity: str, *, person_name: str, unit_name: str, region_name: str,
                region_is_province: bool, province_name: str) -> str:
    """The name of whoever acts in ``capacity`` (a capacity code: ``applicant`` or ``holder``
    for the person, ``unit``, ``initial_reviewer``, ``province``) on a qualification or a
    renewal application: the person, the unit, the city centre of the region or for 四川省
    the provincial-direct institution, the provincial centre."""
    if capacity in ("applicant", "holder"):
        return person_name
    if capacity == "unit":
        return unit_name
    if capacity == "initial_reviewer":
        return unit_name if region_is_province else f"{region_name}职业技能鉴定指导中心"
    return f"{province_name}职业技能鉴定指导中心"


@dataclass(frozen=True)
class Held:
    """How many working days an application has waited; ``provisional`` when part of the
    count fell in a year whose calendar is not maintained (shown as "约")."""

    days: int
    provisional: bool


def workdays_held(since: date, today: date, calendar: WorkdayCalendar) -> Held:
    """The working days strictly after ``since`` up to and including ``today`` (the day it
    arrived does not count, as in "N working days after D", DESIGN.md "Working days").

    Days in a year no calendar source covers are counted the provisional way (Monday–Friday
    minus :data:`portal.workdays.PROVISIONAL_FIXED_HOLIDAYS`) and make the result
    provisional: such a count is never used to call anything overdue.
    """
    days, provisional = 0, False
    maintained: dict[int, bool] = {}
    day = since + timedelta(days=1)
    while day <= today:
        if day.year not in maintained:
            maintained[day.year] = calendar.is_year_maintained(day.year)
        if maintained[day.year]:
            days += calendar.is_workday(day)
        else:
            provisional = True
            days += day.weekday() < 5 and (day.month, day.day) not in PROVISIONAL_FIXED_HOLIDAYS
        day += timedelta(days=1)
    return Held(days, provisional)


# --------------------------------------------------------------------------- Attachment 2


def current_qualification(*, qualification_level: int | None, title_level: int | None,
                          qualification_text: str = "", person_title: str = "") -> str:
    """The 现职业资格(专业技术职务) cell of Attachment 2: the national vocational
    qualification held in the occupation (the certificate text the applicant gave, else the
    level's name) and the professional title (the profile's wording, else the level's)."""
    parts = []
    if qualification_text.strip():
        parts.append(qualification_text.strip())
    elif qualification_level is not None:
        parts.append(f"国家职业资格{QualificationLevel(qualification_level).label}")
    if person_title.strip():
        parts.append(person_title.strip())
    elif title_level is not None:
        parts.append(f"{TitleLevel(title_level).label}职称")
    return "；".join(parts)


def send_problems(*, has_scan: bool, sent: bool, stages: Iterable[Stage | str]) -> list[str]:
    """Why a qualification summary table cannot go to the province yet (empty: it may):
    :func:`portal.summary_tables.rules.send_problems` with every application on it still
    "初审通过" (notice §二(三)2 "盖章装订成册，统一上报")."""
    stages = [Stage(s) for s in stages]
    return _send_problems(has_scan=has_scan, sent=sent, count=len(stages),
                          not_approved=sum(s is not Stage.INITIAL_APPROVED for s in stages),
                          approved_label=Stage.INITIAL_APPROVED.label)

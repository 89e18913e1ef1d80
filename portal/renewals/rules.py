"""Renewal (复核换证) rules: the registration window, the work-summary length and the
disqualification conditions of notice §三(五), each finding linked to the records behind it
(DESIGN.md "Renewal window and eligibility", "Renewal disqualification").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from portal.timeutil import cn_date
from portal.workdays import add_workdays, add_years

__all__ = [
    "IllegalRenewalMove",
    "MIN_WORK_SUMMARY",
    "RENEWAL_COMMENT_REQUIRED",
    "RENEWAL_FINAL_STAGES",
    "RENEWAL_HOLDERS",
    "RENEWAL_TRANSITIONS",
    "RenewalAction",
    "RenewalCapacity",
    "RenewalStage",
    "card_eligible",
    "renewal_actions",
    "renewal_next_stage",
    "REGISTRATION_OPENS",
    "REGISTRATION_WORKDAYS",
    "RULE_TITLES",
    "Finding",
    "RefusalRecord",
    "SheetRecord",
    "ViolationKind",
    "ViolationRecord",
    "disqualification_findings",
    "poor_share_disqualifies",
    "registration_closes",
    "registration_opens",
    "term_window",
    "work_summary_length",
    "work_summary_ok",
]

#: Notice §三(二): "每年3月28日……发布换证计划" — (month, day).
REGISTRATION_OPENS = (3, 28)
#: Notice §三(二): "20个工作日后结束报名".
REGISTRATION_WORKDAYS = 20
#: Notice §三(四)1: "考评工作总结或心得体会一份（不少于1000字）".
MIN_WORK_SUMMARY = 1000

#: The seven conditions of notice §三(五) ("存在下列情形之一者，不得复核换证"), verbatim.
RULE_TITLES: dict[int, str] = {
    1: "一年内市（州）职鉴中心或申报单位对考评员单次鉴定工作评价（记录表见附件4）为“差”等次达30％及以上的",
    2: "一年内无正当理由拒绝接受考评工作调配三次及以上的",
    3: "不接受“回避制度”开展考评工作的",
    4: "在考评过程中，对现场发生的重大突发事件隐瞒不报的",
    5: "因考评过失发生评判错误，且造成不良影响的",
    6: "弄虚作假、徇私舞弊、违规收受考生或机构的红包礼金等有价财物、接受宴请的",
    7: "违反国家法律法规并受到司法机关追究刑事责任的",
}

_POOR = "差"
_GRADES = ("优", "良", "中", "差")


def registration_opens(year: int) -> date:
    """The day the renewal plan is published: 28 March (notice §三(二))."""
    return date(year, *REGISTRATION_OPENS)


def registration_closes(year: int) -> date:
    """The last day of renewal registration: 20 working days after 28 March (notice §三(二)
    "20个工作日后结束报名"), 28 March itself not counted; registration is open through the end
    of that day.  2026 → 2026-04-27, 2025 → 2025-04-27 (a Sunday that was a 调休 working day).

    Raises :class:`portal.workdays.CalendarNotMaintained` when that year's calendar is unknown.
    """
    return add_workdays(registration_opens(year), REGISTRATION_WORKDAYS)


def poor_share_disqualifies(poor: int, total: int) -> bool:
    """Rule 1 of notice §三(五): sheets graded 差 are 30 % or more of the finalised sheets.

    Compared exactly in integers, ``poor * 10 >= total * 3`` (3 of 10 → True, 2 of 7 → False).
    With no finalised sheet there is no share and no disqualification (0 of 0 → False).
    Raises ValueError unless 0 ≤ poor ≤ total.
    """
    for value in (poor, total):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"sheet counts must be ints, got {type(value).__name__}")
    if not 0 <= poor <= total:
        raise ValueError(f"need 0 ≤ poor ≤ total, got poor={poor}, total={total}")
    if total < 1:
        return False
    return poor * 10 >= total * 3


def _counts_as_character(ch: str) -> bool:
    # Whitespace (str.isspace covers U+3000 全角空格, NBSP, line breaks) and invisible format
    # characters (zero-width space U+200B, BOM …) are not characters a reader sees.
    if ch.isspace():
        return False
    return unicodedata.category(ch) not in ("Cc", "Cf")


def work_summary_length(text: str) -> int:
    """The length of a work summary as the notice counts 字: every character except
    whitespace (notice §三(四)1 "不少于1000字"; DESIGN.md "Work summary").

    Each Chinese character, letter, digit and punctuation mark counts one; spaces, full-width
    spaces (U+3000), tabs and line breaks do not, nor do invisible format characters such as
    zero-width spaces, so padding cannot reach the minimum.
    """
    if not isinstance(text, str):
        raise TypeError(f"a work summary must be text, got {type(text).__name__}")
    return sum(1 for ch in text if _counts_as_character(ch))


def work_summary_ok(text: str) -> bool:
    """True when the summary has at least :data:`MIN_WORK_SUMMARY` (1000) characters."""
    return work_summary_length(text) >= MIN_WORK_SUMMARY


@dataclass(frozen=True)
class SheetRecord:
    """A finalised evaluation sheet (Attachment 4) of the examiner: when it became final and
    its grade (优/良/中/差)."""

    id: Hashable
    finalised_on: date
    grade: str


@dataclass(frozen=True)
class RefusalRecord:
    """A refusal of an assignment (拒绝接受考评工作调配); ``justified`` when the unit accepted
    the reason as 正当理由."""

    id: Hashable
    on: date
    justified: bool


class ViolationKind(StrEnum):
    """The confirmed violations of notice §三(五) rules 3–7 (values are stable codes)."""

    REFUSED_RECUSAL = "refused_recusal"
    CONCEALED_INCIDENT = "concealed_incident"
    ERRONEOUS_JUDGMENT = "erroneous_judgment"
    FRAUD_BRIBERY = "fraud_bribery"
    CRIMINAL = "criminal"

    @property
    def rule(self) -> int:
        """The rule number in notice §三(五)."""
        return _VIOLATION_RULES[self]

    @property
    def label(self) -> str:
        """A short Chinese label for lists and forms."""
        return _VIOLATION_LABELS[self]

    @property
    def title(self) -> str:
        """The rule's text in the notice."""
        return RULE_TITLES[self.rule]


_VIOLATION_RULES = {
    ViolationKind.REFUSED_RECUSAL: 3,
    ViolationKind.CONCEALED_INCIDENT: 4,
    ViolationKind.ERRONEOUS_JUDGMENT: 5,
    ViolationKind.FRAUD_BRIBERY: 6,
    ViolationKind.CRIMINAL: 7,
}
_VIOLATION_LABELS = {
    ViolationKind.REFUSED_RECUSAL: "不接受回避",
    ViolationKind.CONCEALED_INCIDENT: "隐瞒重大突发事件",
    ViolationKind.ERRONEOUS_JUDGMENT: "评判错误造成不良影响",
    ViolationKind.FRAUD_BRIBERY: "弄虚作假、徇私舞弊、收受财物",
    ViolationKind.CRIMINAL: "受到刑事追究",
}


@dataclass(frozen=True)
class ViolationRecord:
    """A confirmed violation: its date and kind (a :class:`ViolationKind` or its value).
    Only confirmed violations are passed to the rules."""

    id: Hashable
    on: date
    kind: str


@dataclass(frozen=True)
class Finding:
    """One reason the renewal must be refused: the rule of notice §三(五), its text, the ids of
    the records behind it and a Chinese explanation for the reviewer."""

    rule: int
    title: str
    record_ids: tuple
    detail: str


def term_window(applied_on: date) -> tuple[date, date]:
    """The "一年内" window of rules 1–2 of notice §三(五): the 12 months up to the day the
    renewal application was submitted, both ends inclusive.

    It starts on the same date one year earlier; for an application on 29 February the start
    is 28 February of the previous year (no 29 February there; the month's last day, as for
    periods in years, Civil Code §§201–203), so the window never loses a day.
    """
    return add_years(applied_on, -1), applied_on


def _dates(days: Iterable[date]) -> str:
    return "、".join(cn_date(day) for day in days)


def _kind(value: str) -> ViolationKind:
    try:
        return ViolationKind(value)
    except ValueError:
        raise ValueError(
            f"unknown violation kind {value!r}; expected one of {[k.value for k in ViolationKind]}"
        ) from None


def disqualification_findings(
    *,
    sheets: Iterable[SheetRecord],
    refusals: Iterable[RefusalRecord],
    violations: Iterable[ViolationRecord],
    applied_on: date,
    term_start: date | None = None,
) -> list[Finding]:
    """The conditions of notice §三(五) ("不得复核换证") met by an examiner, one
    :class:`Finding` per rule met, in rule order; an empty list means none.

    - Rule 1: within :func:`term_window` (the 12 months up to ``applied_on``, inclusive), the
      finalised sheets graded 差 are ≥ 30 % of the finalised sheets in the window
      (:func:`poor_share_disqualifies`; at least one sheet is needed).  The finding lists the
      差 sheets.
    - Rule 2: within the same window, three or more refusals without a justified reason.  The
      finding lists those refusals.
    - Rules 3–7: any confirmed violation of that :class:`ViolationKind` during the card's term,
      ``term_start`` through ``applied_on`` (every violation up to ``applied_on`` when
      ``term_start`` is None).  The finding lists those violations.

    Evaluated at the city's initial review (notice §三(四)3 "任期内工作情况核实"); the reviewer
    confirms or overrides each finding with a reason.  Record ids are listed in date order.
    """
    window_start, window_end = term_window(applied_on)
    window = f"{cn_date(window_start)}至{cn_date(window_end)}"
    findings: list[Finding] = []

    # Rule 1 — share of 差 among finalised sheets in the window.
    in_window = []
    for sheet in sheets:
        if sheet.grade not in _GRADES:
            raise ValueError(f"sheet {sheet.id!r} has unknown grade {sheet.grade!r}")
        if window_start <= sheet.finalised_on <= window_end:
            in_window.append(sheet)
    poor = sorted(
        (s for s in in_window if s.grade == _POOR), key=lambda s: (s.finalised_on, str(s.id))
    )
    if poor_share_disqualifies(len(poor), len(in_window)):
        share = (Decimal(len(poor) * 100) / len(in_window)).quantize(Decimal("0.1"))
        findings.append(
            Finding(
                rule=1,
                title=RULE_TITLES[1],
                record_ids=tuple(s.id for s in poor),
                detail=(
                    f"{window}共有评价记录表{len(in_window)}份，其中“差”等次{len(poor)}份，"
                    f"占{share}%，达到30%及以上（“差”等次评价日期：{_dates(s.finalised_on for s in poor)}）"
                ),
            )
        )

    # Rule 2 — unjustified refusals in the window.
    unjustified = sorted(
        (r for r in refusals if not r.justified and window_start <= r.on <= window_end),
        key=lambda r: (r.on, str(r.id)),
    )
    if len(unjustified) >= 3:
        findings.append(
            Finding(
                rule=2,
                title=RULE_TITLES[2],
                record_ids=tuple(r.id for r in unjustified),
                detail=(
                    f"{window}无正当理由拒绝接受考评工作调配{len(unjustified)}次"
                    f"（{_dates(r.on for r in unjustified)}）"
                ),
            )
        )

    # Rules 3–7 — confirmed violations during the card's term.
    if term_start is None:
        term = f"截至{cn_date(applied_on)}"
    else:
        term = f"任期内（{cn_date(term_start)}至{cn_date(applied_on)}）"
    by_kind: dict[ViolationKind, list[ViolationRecord]] = {}
    for violation in violations:
        kind = _kind(violation.kind)
        if violation.on > applied_on or (term_start is not None and violation.on < term_start):
            continue
        by_kind.setdefault(kind, []).append(violation)
    for kind in sorted(by_kind, key=lambda k: k.rule):
        records = sorted(by_kind[kind], key=lambda v: (v.on, str(v.id)))
        findings.append(
            Finding(
                rule=kind.rule,
                title=kind.title,
                record_ids=tuple(v.id for v in records),
                detail=(
                    f"{term}有经确认的“{kind.label}”记录{len(records)}项"
                    f"（{_dates(v.on for v in records)}）"
                ),
            )
        )
    return findings


# --------------------------------------------------------------------------- the workflow
#
# Notice §三(三)–(四): the holder applies in the renewal module → the unit gives its opinion
# and stamps Attachment 3 → the city centre (or, for 四川省, the provincial-direct institution)
# does the initial review with the term report → summary table → provincial re-review → a new
# card, or the old qualification is revoked. Every move is one row of :data:`TRANSITIONS`.


class RenewalStage(StrEnum):
    """Where a renewal application is."""

    DRAFT = "draft"
    UNIT_REVIEW = "unit_review"
    RETURNED_BY_UNIT = "returned_by_unit"
    INITIAL_REVIEW = "initial_review"
    RETURNED_BY_REVIEWER = "returned_by_reviewer"
    INITIAL_APPROVED = "initial_approved"
    PROVINCE_REVIEW = "province_review"
    RENEWED = "renewed"
    REVOKED = "revoked"
    REJECTED = "rejected"
    UNIT_DECLINED = "unit_declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _RENEWAL_STAGE_LABELS[self]

    @property
    def final(self) -> bool:
        return self in RENEWAL_FINAL_STAGES


_RENEWAL_STAGE_LABELS = {
    RenewalStage.DRAFT: "草稿（未提交）",
    RenewalStage.UNIT_REVIEW: "待申报单位出具意见",
    RenewalStage.RETURNED_BY_UNIT: "申报单位退回修改",
    RenewalStage.INITIAL_REVIEW: "待初审（任期内工作情况核实）",
    RenewalStage.RETURNED_BY_REVIEWER: "初审退回修改",
    RenewalStage.INITIAL_APPROVED: "初审通过，待报送省职鉴中心",
    RenewalStage.PROVINCE_REVIEW: "待省职鉴中心复审",
    RenewalStage.RENEWED: "复审通过，已换发新证",
    RenewalStage.REVOKED: "复审不通过，原资格已取消",
    RenewalStage.REJECTED: "初审不通过",
    RenewalStage.UNIT_DECLINED: "申报单位不同意",
    RenewalStage.WITHDRAWN: "已撤回",
}

#: Stages where the application has ended. REJECTED, UNIT_DECLINED and WITHDRAWN end the
#: application without a renewal: when the plan closes, the old card is revoked with the
#: holders who did not apply (notice §三(四)4 "未按规定参加复审").
RENEWAL_FINAL_STAGES = frozenset({RenewalStage.RENEWED, RenewalStage.REVOKED,
                                  RenewalStage.REJECTED, RenewalStage.UNIT_DECLINED,
                                  RenewalStage.WITHDRAWN})


class RenewalCapacity(StrEnum):
    """In which capacity a user acts on one renewal application (see
    :func:`portal.renewals.operations.capacities`)."""

    HOLDER = "holder"
    UNIT = "unit"
    INITIAL_REVIEWER = "initial_reviewer"
    PROVINCE = "province"

    @property
    def label(self) -> str:
        return _RENEWAL_CAPACITY_LABELS[self]


_RENEWAL_CAPACITY_LABELS = {
    RenewalCapacity.HOLDER: "持证人",
    RenewalCapacity.UNIT: "申报单位",
    RenewalCapacity.INITIAL_REVIEWER: "初审单位",
    RenewalCapacity.PROVINCE: "省职鉴中心",
}


class RenewalAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    AGREE = "agree"
    DISAGREE = "disagree"
    RETURN = "return"
    APPROVE = "approve"
    REJECT = "reject"
    SEND_TO_PROVINCE = "send_to_province"

    @property
    def label(self) -> str:
        return _RENEWAL_ACTION_LABELS[self]


_RENEWAL_ACTION_LABELS = {
    RenewalAction.SUBMIT: "提交",
    RenewalAction.WITHDRAW: "撤回申请",
    RenewalAction.AGREE: "同意（已盖章）",
    RenewalAction.DISAGREE: "不同意",
    RenewalAction.RETURN: "退回修改",
    RenewalAction.APPROVE: "通过",
    RenewalAction.REJECT: "不通过",
    RenewalAction.SEND_TO_PROVINCE: "随汇总表报送省职鉴中心",
}

#: Actions that must carry a comment (the reason the holder or the office below reads).
RENEWAL_COMMENT_REQUIRED = frozenset({RenewalAction.DISAGREE, RenewalAction.RETURN,
                                      RenewalAction.REJECT})

_H, _U, _R, _P = (frozenset({c}) for c in RenewalCapacity)
_RS = RenewalStage

#: (stage, action) → (who may, the stage it leads to). The whole renewal workflow. A province
#: "return" sends the application back to the initial reviewer; province "reject" revokes the
#: old qualification (notice §三(四)4 "复审不合格……取消原有考评资格").
RENEWAL_TRANSITIONS: dict[tuple[RenewalStage, RenewalAction],
                          tuple[frozenset[RenewalCapacity], RenewalStage]] = {
    (_RS.DRAFT, RenewalAction.SUBMIT): (_H, _RS.UNIT_REVIEW),
    (_RS.UNIT_REVIEW, RenewalAction.AGREE): (_U, _RS.INITIAL_REVIEW),
    (_RS.UNIT_REVIEW, RenewalAction.DISAGREE): (_U, _RS.UNIT_DECLINED),
    (_RS.UNIT_REVIEW, RenewalAction.RETURN): (_U, _RS.RETURNED_BY_UNIT),
    (_RS.RETURNED_BY_UNIT, RenewalAction.SUBMIT): (_H, _RS.UNIT_REVIEW),
    (_RS.INITIAL_REVIEW, RenewalAction.APPROVE): (_R, _RS.INITIAL_APPROVED),
    (_RS.INITIAL_REVIEW, RenewalAction.RETURN): (_R, _RS.RETURNED_BY_REVIEWER),
    (_RS.INITIAL_REVIEW, RenewalAction.REJECT): (_R, _RS.REJECTED),
    (_RS.RETURNED_BY_REVIEWER, RenewalAction.SUBMIT): (_H, _RS.INITIAL_REVIEW),
    (_RS.INITIAL_APPROVED, RenewalAction.RETURN): (_R, _RS.RETURNED_BY_REVIEWER),
    (_RS.INITIAL_APPROVED, RenewalAction.SEND_TO_PROVINCE): (_R, _RS.PROVINCE_REVIEW),
    (_RS.PROVINCE_REVIEW, RenewalAction.APPROVE): (_P, _RS.RENEWED),
    (_RS.PROVINCE_REVIEW, RenewalAction.REJECT): (_P, _RS.REVOKED),
    (_RS.PROVINCE_REVIEW, RenewalAction.RETURN): (_P, _RS.INITIAL_REVIEW),
    **{(stage, RenewalAction.WITHDRAW): (_H, _RS.WITHDRAWN)
       for stage in (_RS.DRAFT, _RS.UNIT_REVIEW, _RS.RETURNED_BY_UNIT, _RS.INITIAL_REVIEW,
                     _RS.RETURNED_BY_REVIEWER)},
}

#: Who holds a renewal application at each stage that is not final.
RENEWAL_HOLDERS: dict[RenewalStage, RenewalCapacity] = {
    _RS.DRAFT: RenewalCapacity.HOLDER,
    _RS.UNIT_REVIEW: RenewalCapacity.UNIT,
    _RS.RETURNED_BY_UNIT: RenewalCapacity.HOLDER,
    _RS.INITIAL_REVIEW: RenewalCapacity.INITIAL_REVIEWER,
    _RS.RETURNED_BY_REVIEWER: RenewalCapacity.HOLDER,
    _RS.INITIAL_APPROVED: RenewalCapacity.INITIAL_REVIEWER,
    _RS.PROVINCE_REVIEW: RenewalCapacity.PROVINCE,
}


class IllegalRenewalMove(ValueError):
    """A move the renewal workflow does not allow; ``str()`` is a Chinese message."""


def renewal_actions(stage: RenewalStage | str,
                    capacities: Iterable[RenewalCapacity | str]) -> list[RenewalAction]:
    """The actions a user acting in ``capacities`` may take on a renewal application at
    ``stage``, in the order of :class:`RenewalAction`."""
    stage = RenewalStage(stage)
    held = {RenewalCapacity(c) for c in capacities}
    return [action for action in RenewalAction
            if (rule := RENEWAL_TRANSITIONS.get((stage, action))) and rule[0] & held]


def renewal_next_stage(stage: RenewalStage | str, action: RenewalAction | str,
                       capacities: Iterable[RenewalCapacity | str]) -> RenewalStage:
    """The stage ``action`` leads to, or :class:`IllegalRenewalMove` explaining why not."""
    stage, action = RenewalStage(stage), RenewalAction(action)
    rule = RENEWAL_TRANSITIONS.get((stage, action))
    if rule is None:
        raise IllegalRenewalMove(f"复核换证申请处于“{stage.label}”，不能“{action.label}”。")
    who, target = rule
    if not who & {RenewalCapacity(c) for c in capacities}:
        names = "、".join(c.label for c in RenewalCapacity if c in who)
        raise IllegalRenewalMove(f"“{action.label}”只能由{names}操作。")
    return target


def card_eligible(*, valid_until: date, expiry_cutoff: date, usable: bool) -> bool:
    """Whether a card may be renewed under a plan (DESIGN.md "Renewal window and
    eligibility"): its validity has ended by the plan's ``expiry_cutoff`` (``valid_until`` on
    or before it) and it was a usable qualification — collected, not voided, revoked or
    already renewed (``usable``; the caller decides from the card's recorded dates).
    Retirement and bans are checks on the holder, not on the card."""
    return usable and valid_until <= expiry_cutoff

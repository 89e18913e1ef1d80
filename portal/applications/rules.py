"""Application eligibility (notice §二(一)3) and the examiner's evaluation scope (notice §一),
as pure functions returning explained verdicts (DESIGN.md "Eligibility", "Examiner scope").

Notice §二(一)3: "申报考评员必须具有相应职业（工种）高级及以上国家职业资格或中级及以上专业技术
资格……；申报高级考评员，必须是已取得考评员资格且至少一年以上实际考评工作经历，有相应职业（工种）
高级技师国家职业资格或高级专业技术资格。"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum, StrEnum

from portal.timeutil import cn_date

__all__ = [
    "BANNED_REASON",
    "CANNED_REASONS",
    "COMMENT_REQUIRED",
    "FINAL_STAGES",
    "HOLDERS",
    "TRANSITIONS",
    "Action",
    "Capacity",
    "IllegalTransition",
    "Stage",
    "allowed_actions",
    "next_stage",
    "CARD_LEVELS",
    "EXAMINER",
    "MIN_EVALUATION_DAYS",
    "QUALIFICATION_LEVELS",
    "SENIOR_EXAMINER",
    "Check",
    "Eligibility",
    "QualificationLevel",
    "TitleLevel",
    "can_evaluate",
    "eligibility_for_examiner",
    "eligibility_for_senior",
]

#: The two examiner card levels (notice §一 "分为考评员和高级考评员两个等级").
EXAMINER = "考评员"
SENIOR_EXAMINER = "高级考评员"
CARD_LEVELS: tuple[str, ...] = (EXAMINER, SENIOR_EXAMINER)

#: "至少一年以上实际考评工作经历": the first finalised sheet at least this many days before
#: the application.
MIN_EVALUATION_DAYS = 365

#: Notice §五(一) "连续两次不领取，永久取消其申报资格".
BANNED_REASON = "因连续两次未领取证卡，已被永久取消申报资格"


class QualificationLevel(IntEnum):
    """National vocational qualification levels (国家职业资格等级); the value is the official
    level number, so a *smaller* value is a *higher* level (一级 is the highest)."""

    LEVEL_1 = 1
    LEVEL_2 = 2
    LEVEL_3 = 3
    LEVEL_4 = 4
    LEVEL_5 = 5

    @property
    def label(self) -> str:
        """The Chinese name, e.g. "三级/高级工"."""
        return _QUALIFICATION_LABELS[self]

    def at_least(self, other: QualificationLevel) -> bool:
        """True when this level is ``other`` or higher (三级 is at least 五级)."""
        return self.value <= QualificationLevel(other).value

    @classmethod
    def parse(cls, value: object) -> QualificationLevel:
        """A level from a member, its number (1–5) or a Chinese name: the full label
        ("三级/高级工") or either half ("三级", "高级工").  ValueError otherwise."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            text = value.strip()
            for level, label in _QUALIFICATION_LABELS.items():
                if text == label or text in label.split("/"):
                    return level
        raise ValueError(f"unknown vocational qualification level {value!r}")


_QUALIFICATION_LABELS = {
    QualificationLevel.LEVEL_5: "五级/初级工",
    QualificationLevel.LEVEL_4: "四级/中级工",
    QualificationLevel.LEVEL_3: "三级/高级工",
    QualificationLevel.LEVEL_2: "二级/技师",
    QualificationLevel.LEVEL_1: "一级/高级技师",
}

#: Qualification levels from lowest to highest, as forms list them.
QUALIFICATION_LEVELS: tuple[QualificationLevel, ...] = tuple(
    sorted(QualificationLevel, key=lambda level: -level.value)
)


class TitleLevel(IntEnum):
    """Professional title levels (专业技术职称); a larger value is a higher title."""

    JUNIOR = 1
    INTERMEDIATE = 2
    DEPUTY_SENIOR = 3
    FULL_SENIOR = 4

    @property
    def label(self) -> str:
        return _TITLE_LABELS[self]

    @classmethod
    def parse(cls, value: object) -> TitleLevel:
        """A title level from a member, its number (1–4) or its Chinese label."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            for level, label in _TITLE_LABELS.items():
                if value.strip() == label:
                    return level
        raise ValueError(f"unknown professional title level {value!r}")


_TITLE_LABELS = {
    TitleLevel.JUNIOR: "初级",
    TitleLevel.INTERMEDIATE: "中级",
    TitleLevel.DEPUTY_SENIOR: "副高级",
    TitleLevel.FULL_SENIOR: "正高级",
}

#: The highest batch level each card level may evaluate (notice §一 "在规定的……资格级别范围内").
_CARD_SCOPE_TOP = {
    EXAMINER: QualificationLevel.LEVEL_3,
    SENIOR_EXAMINER: QualificationLevel.LEVEL_1,
}


def can_evaluate(card_level: str, batch_level: QualificationLevel | int | str) -> bool:
    """Whether a card of ``card_level`` covers a batch of ``batch_level``.

    A 考评员 card covers 五级 to 三级, a 高级考评员 card every level, 五级 to 一级 (DESIGN.md
    "Examiner scope"; the occupation and the card's validity on the batch date are checked
    separately).  ValueError for an unknown card or batch level.
    """
    if card_level not in _CARD_SCOPE_TOP:
        raise ValueError(f"unknown card level {card_level!r}; expected one of {CARD_LEVELS}")
    return _CARD_SCOPE_TOP[card_level].at_least(QualificationLevel.parse(batch_level))


@dataclass(frozen=True)
class Check:
    """One eligibility check: whether it passed and a Chinese sentence saying why."""

    ok: bool
    text: str


@dataclass
class Eligibility:
    """The verdict on an application: ``ok`` and the explanation of every check, satisfied or
    failed, in ``reasons`` (the same sentences as ``checks``, which also carry pass/fail)."""

    ok: bool
    reasons: list[str]
    checks: tuple[Check, ...] = field(default=())

    @classmethod
    def from_checks(cls, checks: list[Check]) -> Eligibility:
        return cls(
            ok=all(check.ok for check in checks),
            reasons=[check.text for check in checks],
            checks=tuple(checks),
        )

    @property
    def failures(self) -> list[str]:
        """The sentences of the failed checks only."""
        return [check.text for check in self.checks if not check.ok]


def _optional(parse, value):
    return None if value is None else parse(value)


def _ban_check(banned: bool) -> Check:
    if banned:
        return Check(False, BANNED_REASON)
    return Check(True, "未被取消申报资格")


def _held(qualification: QualificationLevel | None, title: TitleLevel | None) -> str:
    parts = [
        f"国家职业资格{qualification.label}" if qualification else "无国家职业资格",
        f"专业技术职称{title.label}" if title else "无专业技术职称",
    ]
    return "现有：" + "，".join(parts)


def _qualification_check(
    qualification: QualificationLevel | None,
    title: TitleLevel | None,
    *,
    min_qualification: QualificationLevel,
    min_title: TitleLevel,
    title_words: str,
) -> Check:
    by_qualification = qualification is not None and qualification.at_least(min_qualification)
    by_title = title is not None and title >= min_title
    or_higher = "" if min_qualification is QualificationLevel.LEVEL_1 else "及以上"
    need_q = f"{min_qualification.label}{or_higher}国家职业资格"
    need_t = f"{title_words}专业技术职称"
    if by_qualification and by_title:
        return Check(True, f"具有{need_q}，并具有{need_t}（{_held(qualification, title)}）")
    if by_qualification:
        return Check(True, f"具有{need_q}（{_held(qualification, title)}）")
    if by_title:
        return Check(True, f"具有{need_t}（{_held(qualification, title)}）")
    return Check(False, f"不具有{need_q}，也不具有{need_t}（{_held(qualification, title)}）")


def eligibility_for_examiner(
    *,
    qualification_level: QualificationLevel | int | str | None,
    title_level: TitleLevel | int | str | None,
    banned: bool,
) -> Eligibility:
    """Whether a person may apply for the 考评员 level (notice §二(一)3).

    Needs 三级/高级工 or higher national vocational qualification *in the occupation applied
    for* (the caller passes the level held in that occupation, or None), or a 中级 or higher
    professional title.  A person banned for two consecutive uncollected cards (notice §五(一))
    cannot apply.  Every check is explained in ``reasons``.
    """
    qualification = _optional(QualificationLevel.parse, qualification_level)
    title = _optional(TitleLevel.parse, title_level)
    return Eligibility.from_checks(
        [
            _ban_check(banned),
            _qualification_check(
                qualification,
                title,
                min_qualification=QualificationLevel.LEVEL_3,
                min_title=TitleLevel.INTERMEDIATE,
                title_words="中级及以上",
            ),
        ]
    )


def eligibility_for_senior(
    *,
    qualification_level: QualificationLevel | int | str | None,
    title_level: TitleLevel | int | str | None,
    has_valid_examiner_card: bool,
    first_finalised_sheet_on: date | None,
    applied_on: date,
    banned: bool,
) -> Eligibility:
    """Whether a person may apply for the 高级考评员 level (notice §二(一)3).

    Needs all of:

    - a valid 考评员 card ("已取得考评员资格");
    - at least one year of actual evaluation work ("至少一年以上实际考评工作经历"): the first
      finalised evaluation sheet at least :data:`MIN_EVALUATION_DAYS` (365) days before
      ``applied_on`` (DESIGN.md "Eligibility");
    - 一级/高级技师 national vocational qualification in the occupation, or a senior (副高级 or
      正高级) professional title ("高级技师国家职业资格或高级专业技术资格");
    - not banned (notice §五(一)).

    Every check is explained in ``reasons``.
    """
    qualification = _optional(QualificationLevel.parse, qualification_level)
    title = _optional(TitleLevel.parse, title_level)
    checks = [_ban_check(banned)]
    if has_valid_examiner_card:
        checks.append(Check(True, "持有有效的考评员证卡"))
    else:
        checks.append(Check(False, "未持有有效的考评员证卡（申报高级考评员须已取得考评员资格）"))
    if first_finalised_sheet_on is None:
        checks.append(Check(False, "尚无已完成的考评工作记录，不满足一年以上实际考评工作经历"))
    else:
        first = cn_date(first_finalised_sheet_on)
        if (applied_on - first_finalised_sheet_on).days >= MIN_EVALUATION_DAYS:
            checks.append(Check(True, f"具有一年以上实际考评工作经历（首次考评：{first}）"))
        else:
            checks.append(Check(False, f"首次完成考评工作距申报不足一年（首次考评：{first}）"))
    checks.append(
        _qualification_check(
            qualification,
            title,
            min_qualification=QualificationLevel.LEVEL_1,
            min_title=TitleLevel.DEPUTY_SENIOR,
            title_words="高级（副高级或正高级）",
        )
    )
    return Eligibility.from_checks(checks)


# --------------------------------------------------------------------------- the workflow
#
# Notice §二(二)–(五): application → unit recommendation → initial review (the city centre, or
# the provincial-direct institution for 四川省) → summary table → provincial re-review →
# training → assessment → card. Every move of an application is one row of
# :data:`TRANSITIONS`; nothing else changes a stage.


class Stage(StrEnum):
    """Where an application is."""

    DRAFT = "draft"
    UNIT_REVIEW = "unit_review"
    RETURNED_BY_UNIT = "returned_by_unit"
    INITIAL_REVIEW = "initial_review"
    RETURNED_BY_REVIEWER = "returned_by_reviewer"
    INITIAL_APPROVED = "initial_approved"
    PROVINCE_REVIEW = "province_review"
    TRAINING = "training"
    ASSESSMENT = "assessment"
    CERTIFIED = "certified"
    FAILED = "failed"
    ABSENT = "absent"
    REJECTED = "rejected"
    UNIT_DECLINED = "unit_declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]

    @property
    def final(self) -> bool:
        return self in FINAL_STAGES


_STAGE_LABELS = {
    Stage.DRAFT: "草稿（未提交）",
    Stage.UNIT_REVIEW: "待申报单位推荐",
    Stage.RETURNED_BY_UNIT: "申报单位退回修改",
    Stage.INITIAL_REVIEW: "待初审",
    Stage.RETURNED_BY_REVIEWER: "初审退回修改",
    Stage.INITIAL_APPROVED: "初审通过，待报送省职鉴中心",
    Stage.PROVINCE_REVIEW: "待省职鉴中心复审",
    Stage.TRAINING: "复审通过，待参加培训",
    Stage.ASSESSMENT: "已参加培训，待考核",
    Stage.CERTIFIED: "考核合格，已发证",
    Stage.FAILED: "考核不合格",
    Stage.ABSENT: "未参加培训",
    Stage.REJECTED: "初审不通过",
    Stage.UNIT_DECLINED: "申报单位不予推荐",
    Stage.WITHDRAWN: "已撤回",
}

FINAL_STAGES = frozenset({Stage.CERTIFIED, Stage.FAILED, Stage.ABSENT, Stage.REJECTED,
                          Stage.UNIT_DECLINED, Stage.WITHDRAWN})


class Capacity(StrEnum):
    """In which capacity a user acts on one application. The caller works it out from the user
    and the application (the applicant themself; a clerk of the recommending unit; the city
    centre of the application's region, or the provincial-direct institution the application
    is addressed to when the region is 四川省; the province)."""

    APPLICANT = "applicant"
    UNIT = "unit"
    INITIAL_REVIEWER = "initial_reviewer"
    PROVINCE = "province"

    @property
    def label(self) -> str:
        return _CAPACITY_LABELS[self]


_CAPACITY_LABELS = {
    Capacity.APPLICANT: "申报人",
    Capacity.UNIT: "申报单位",
    Capacity.INITIAL_REVIEWER: "初审单位",
    Capacity.PROVINCE: "省职鉴中心",
}


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    RECOMMEND = "recommend"
    DECLINE = "decline"
    RETURN = "return"
    APPROVE = "approve"
    REJECT = "reject"
    SEND_TO_PROVINCE = "send_to_province"
    ATTEND = "attend"
    ABSENT = "absent"
    PASS = "pass"  # noqa: S105 - the assessment result, not a password
    FAIL = "fail"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.SUBMIT: "提交",
    Action.WITHDRAW: "撤回申报",
    Action.RECOMMEND: "推荐",
    Action.DECLINE: "不予推荐",
    Action.RETURN: "退回修改",
    Action.APPROVE: "通过",
    Action.REJECT: "不通过",
    Action.SEND_TO_PROVINCE: "随汇总表报送省职鉴中心",
    Action.ATTEND: "记录已参加培训",
    Action.ABSENT: "记录未参加培训",
    Action.PASS: "考核合格",
    Action.FAIL: "考核不合格",
}

#: Actions that must carry a comment (the reason the applicant or the reviewer below reads).
COMMENT_REQUIRED = frozenset({Action.DECLINE, Action.RETURN, Action.REJECT})

_WITHDRAWABLE = (Stage.DRAFT, Stage.UNIT_REVIEW, Stage.RETURNED_BY_UNIT, Stage.INITIAL_REVIEW,
                 Stage.RETURNED_BY_REVIEWER)

#: (stage, action) → (who may, the stage it leads to). The whole workflow; nothing else moves
#: an application. A province "return" sends it back to the initial reviewer, who may correct
#: it with the applicant and approve it again; it then goes to the province with a new
#: summary table.
TRANSITIONS: dict[tuple[Stage, Action], tuple[frozenset[Capacity], Stage]] = {
    (Stage.DRAFT, Action.SUBMIT): (frozenset({Capacity.APPLICANT}), Stage.UNIT_REVIEW),
    (Stage.UNIT_REVIEW, Action.RECOMMEND): (frozenset({Capacity.UNIT}), Stage.INITIAL_REVIEW),
    (Stage.UNIT_REVIEW, Action.DECLINE): (frozenset({Capacity.UNIT}), Stage.UNIT_DECLINED),
    (Stage.UNIT_REVIEW, Action.RETURN): (frozenset({Capacity.UNIT}), Stage.RETURNED_BY_UNIT),
    (Stage.RETURNED_BY_UNIT, Action.SUBMIT): (frozenset({Capacity.APPLICANT}),
                                              Stage.UNIT_REVIEW),
    (Stage.INITIAL_REVIEW, Action.APPROVE): (frozenset({Capacity.INITIAL_REVIEWER}),
                                             Stage.INITIAL_APPROVED),
    (Stage.INITIAL_REVIEW, Action.RETURN): (frozenset({Capacity.INITIAL_REVIEWER}),
                                            Stage.RETURNED_BY_REVIEWER),
    (Stage.INITIAL_REVIEW, Action.REJECT): (frozenset({Capacity.INITIAL_REVIEWER}),
                                            Stage.REJECTED),
    (Stage.RETURNED_BY_REVIEWER, Action.SUBMIT): (frozenset({Capacity.APPLICANT}),
                                                  Stage.INITIAL_REVIEW),
    (Stage.INITIAL_APPROVED, Action.RETURN): (frozenset({Capacity.INITIAL_REVIEWER}),
                                              Stage.RETURNED_BY_REVIEWER),
    (Stage.INITIAL_APPROVED, Action.SEND_TO_PROVINCE): (frozenset({Capacity.INITIAL_REVIEWER}),
                                                        Stage.PROVINCE_REVIEW),
    (Stage.PROVINCE_REVIEW, Action.APPROVE): (frozenset({Capacity.PROVINCE}), Stage.TRAINING),
    (Stage.PROVINCE_REVIEW, Action.RETURN): (frozenset({Capacity.PROVINCE}),
                                             Stage.INITIAL_REVIEW),
    (Stage.TRAINING, Action.ATTEND): (frozenset({Capacity.PROVINCE}), Stage.ASSESSMENT),
    (Stage.TRAINING, Action.ABSENT): (frozenset({Capacity.PROVINCE}), Stage.ABSENT),
    (Stage.ASSESSMENT, Action.PASS): (frozenset({Capacity.PROVINCE}), Stage.CERTIFIED),
    (Stage.ASSESSMENT, Action.FAIL): (frozenset({Capacity.PROVINCE}), Stage.FAILED),
    **{(stage, Action.WITHDRAW): (frozenset({Capacity.APPLICANT}), Stage.WITHDRAWN)
       for stage in _WITHDRAWABLE},
}

#: Who holds an application at each stage that is not final (for "which office holds it now").
HOLDERS: dict[Stage, Capacity] = {
    Stage.DRAFT: Capacity.APPLICANT,
    Stage.UNIT_REVIEW: Capacity.UNIT,
    Stage.RETURNED_BY_UNIT: Capacity.APPLICANT,
    Stage.INITIAL_REVIEW: Capacity.INITIAL_REVIEWER,
    Stage.RETURNED_BY_REVIEWER: Capacity.APPLICANT,
    Stage.INITIAL_APPROVED: Capacity.INITIAL_REVIEWER,
    Stage.PROVINCE_REVIEW: Capacity.PROVINCE,
    Stage.TRAINING: Capacity.PROVINCE,
    Stage.ASSESSMENT: Capacity.PROVINCE,
}

#: Reasons an initial reviewer (or the province) may pick when returning or rejecting; free
#: text is added to them.
CANNED_REASONS: tuple[str, ...] = (
    "身份证复印件不清晰或与填报信息不符",
    "职业资格证书或职称证书复印件不清晰或与填报信息不符",
    "照片不符合要求",
    "申报表未签字或未加盖单位公章",
    "申报职业（工种）与所持职业资格不对应",
    "不符合申报条件",
    "填报信息有误，请按审核意见修改",
)


class IllegalTransition(ValueError):
    """A move the workflow does not allow; ``str()`` is a Chinese message for the user."""


def allowed_actions(stage: Stage | str, capacities: Iterable[Capacity | str]) -> list[Action]:
    """The actions a user acting in ``capacities`` may take on an application at ``stage``,
    in the order of :class:`Action`."""
    stage = Stage(stage)
    held = {Capacity(c) for c in capacities}
    return [action for action in Action
            if (rule := TRANSITIONS.get((stage, action))) and rule[0] & held]


def next_stage(stage: Stage | str, action: Action | str,
               capacities: Iterable[Capacity | str]) -> Stage:
    """The stage ``action`` leads to, or :class:`IllegalTransition` explaining why not."""
    stage, action = Stage(stage), Action(action)
    rule = TRANSITIONS.get((stage, action))
    if rule is None:
        raise IllegalTransition(f"申报处于“{stage.label}”，不能“{action.label}”。")
    who, target = rule
    if not who & {Capacity(c) for c in capacities}:
        names = "、".join(c.label for c in Capacity if c in who)
        raise IllegalTransition(f"“{action.label}”只能由{names}操作。")
    return target

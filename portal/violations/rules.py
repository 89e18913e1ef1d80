"""Pure rules of the violations register: the kinds with their labels and the rule text behind
them, which kinds a batch's rater may report, the date and length limits, and who may decide.

No Flask, no database: functions of plain values (the ``user`` and ``batch`` arguments are
read for their attributes only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from portal.renewals.rules import ViolationKind

__all__ = [
    "DESCRIPTION_MAX",
    "INCIDENT",
    "INCIDENT_LABEL",
    "INCIDENT_TITLE",
    "KINDS",
    "RATER_KINDS",
    "REASON_MAX",
    "Decision",
    "KindInfo",
    "RecorderCapacity",
    "batch_capacity",
    "decider",
    "kind_info",
    "may_decide",
    "occurred_on_problem",
    "recorder_capacity",
]

#: The kind of a major incident reported during a batch (notice §四(二)); never disqualifies.
INCIDENT = "incident"
INCIDENT_LABEL = "重大突发事件报告"
#: Notice §四(二): what the register keeps for an incident.
INCIDENT_TITLE = ("评价机构对考评工作中出现的问题及时向外部质量督导员或职鉴中心报告"
                  "（川人社职鉴〔2021〕4号 四（二））；仅作记录，不作为不得复核换证的情形")

#: Every kind, in the order forms and filters show them: rules 3–7, then the incident report.
KINDS: tuple[str, ...] = (*(k.value for k in ViolationKind), INCIDENT)

#: What a batch's rater (site lead or quality supervisor) may report for that batch: an
#: incident, and an examiner who concealed one (rule 4).
RATER_KINDS: tuple[str, ...] = (INCIDENT, ViolationKind.CONCEALED_INCIDENT.value)

#: The description's length limit (characters).
DESCRIPTION_MAX = 2000
#: The decision reason's length limit (the column's size).
REASON_MAX = 300


@dataclass(frozen=True)
class KindInfo:
    """A kind as users read it: its code, Chinese label, the rule of notice §三(五) it is
    (None for an incident) and the rule's text."""

    value: str
    label: str
    rule: int | None
    title: str

    @property
    def counts_for_renewal(self) -> bool:
        """Whether a confirmed record of this kind is a renewal finding (rules 3–7)."""
        return self.rule is not None

    @property
    def short(self) -> str:
        """The label with its rule number, for lists: "弄虚作假…（第6项）"."""
        return f"{self.label}（第{self.rule}项）" if self.rule else self.label


def kind_info(kind: str) -> KindInfo:
    """The :class:`KindInfo` of ``kind``; ValueError for an unknown kind."""
    if kind == INCIDENT:
        return KindInfo(INCIDENT, INCIDENT_LABEL, None, INCIDENT_TITLE)
    try:
        k = ViolationKind(kind)
    except ValueError:
        raise ValueError(f"unknown violation kind {kind!r}; expected one of {KINDS}") from None
    return KindInfo(k.value, k.label, k.rule, k.title)


class Decision(StrEnum):
    """What the city centre or the province decides on a reported violation."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"

    @property
    def label(self) -> str:
        return "确认" if self is Decision.CONFIRM else "不予认定"

    @property
    def status(self) -> str:
        """The record's status after the decision."""
        return "confirmed" if self is Decision.CONFIRM else "dismissed"

    @property
    def audit_action(self) -> str:
        return "violation.confirm" if self is Decision.CONFIRM else "violation.dismiss"


def occurred_on_problem(day: date, today: date) -> str | None:
    """A violation cannot have happened after today."""
    if day > today:
        return "发生日期不能晚于今天"
    return None


class RecorderCapacity(StrEnum):
    """In which capacity a user records: ``full`` (a unit clerk, a city centre, the province:
    any kind, any examiner they may see) or ``rater`` (a batch's site lead or supervisor:
    :data:`RATER_KINDS` only, for a batch they rate)."""

    FULL = "full"
    RATER = "rater"

    def kinds(self) -> tuple[str, ...]:
        return KINDS if self is RecorderCapacity.FULL else RATER_KINDS


def recorder_capacity(user) -> RecorderCapacity | None:
    """How ``user`` may record at all: ``full`` for the province, a city officer with a city
    and a unit clerk with an organisation; ``rater`` for a site lead or quality supervisor
    (limited to the batches they rate); None for anyone else."""
    if (user.has_role("province") or (user.has_role("city") and user.region_id)
            or (user.has_role("unit") and user.organisation_id)):
        return RecorderCapacity.FULL
    if user.has_role("site_lead", "supervisor"):
        return RecorderCapacity.RATER
    return None


def batch_capacity(user, batch) -> RecorderCapacity | None:
    """How ``user`` may record for ``batch``: ``full`` for the province, the city centre of
    the batch's city and the batch's institution (its ``unit`` clerk — a unit only its own
    batches); ``rater`` for the batch's site lead or quality supervisor; None otherwise."""
    if user.has_role("province"):
        return RecorderCapacity.FULL
    if user.has_role("city") and user.region_id and user.region_id == batch.organisation.region_id:
        return RecorderCapacity.FULL
    if user.has_role("unit") and user.organisation_id == batch.organisation_id:
        return RecorderCapacity.FULL
    if user.id is not None and user.id in (batch.site_lead_id, batch.supervisor_id):
        return RecorderCapacity.RATER
    return None


def decider(user, examiner_region_id: int) -> str | None:
    """In which capacity ``user`` decides on a violation of an examiner of
    ``examiner_region_id`` (Person.region_id): ``province``, ``city`` (the city centre of
    that city), or None."""
    if user.has_role("province"):
        return "province"
    if user.has_role("city") and user.region_id and user.region_id == examiner_region_id:
        return "city"
    return None


def may_decide(capacity: str | None, status: str) -> bool:
    """A reported violation is decided by the city centre of the examiner's city or the
    province; a decided one is read-only, except that the province may correct a decision
    (a new decision with a new reason; the earlier one stays in the audit trail)."""
    if capacity is None:
        return False
    if status == "reported":
        return True
    return capacity == "province"

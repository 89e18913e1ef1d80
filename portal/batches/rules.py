"""Evaluation batch rules (DESIGN.md workflow 4, "Examiner scope", "Recusal and rotation",
"Assignment checks in one step"): the batch number, the exam dates, whether a card lets its
holder evaluate a batch, the warnings an assigner must confirm, and the batch's progress.

Pure functions of plain values: no Flask, no database. The SQL search in
:mod:`portal.batches.queries` must agree with :func:`card_covers_batch` (a test checks both on
cards built to hit every boundary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from portal.applications.rules import (
    CARD_LEVELS,
    QUALIFICATION_LEVELS,
    QualificationLevel,
    can_evaluate,
)
from portal.cards.rules import CardStatus, card_status
from portal.timeutil import cn_date

__all__ = [
    "MAX_EXAM_DAYS",
    "ROTATION_BATCHES",
    "WARNING_LABELS",
    "BatchStatus",
    "Warning",
    "assignment_warnings",
    "batch_number",
    "batch_number_prefix",
    "batch_status",
    "can_manage",
    "can_set_supervisor",
    "card_covers_batch",
    "card_levels_for",
    "exam_days",
    "exam_days_problem",
    "level_choices",
]

#: The longest batch we accept: exam dates span at most this many consecutive days.
MAX_EXAM_DAYS = 14

#: Rotation (Attachment 4 item 11 "自觉执行轮换制度"): the warning looks at this many batches.
ROTATION_BATCHES = 3


# --- numbering and dates -------------------------------------------------------------------

def batch_number_prefix(year: int, region_code: str) -> str:
    """The part of a batch number shared by one year and one region: ``KP2026-5101-``."""
    code = (region_code or "")[:4]
    if len(code) != 4 or not code.isdigit():
        raise ValueError(f"region code {region_code!r} has no 4-digit prefix")
    return f"KP{year:04d}-{code}-"


def batch_number(year: int, region_code: str, seq: int) -> str:
    """The number of a batch: ``KP`` + year, the first 4 digits of the institution's region
    code (the city, e.g. 5101 成都市) and a 4-digit sequence per year and region.

    >>> batch_number(2026, "510100", 7)
    'KP2026-5101-0007'

    ValueError for a sequence outside 1–9999 or a region code without 4 leading digits.
    """
    if not 1 <= seq <= 9999:
        raise ValueError(f"batch sequence {seq} outside 1–9999")
    return f"{batch_number_prefix(year, region_code)}{seq:04d}"


def exam_days_problem(start: date, end: date | None) -> str | None:
    """Why an exam period is not acceptable (Chinese, for the form), or None.

    A batch runs on one day or on consecutive days from ``start`` to ``end`` (inclusive):
    the end may not be before the start, and the period is at most :data:`MAX_EXAM_DAYS`
    days. Past dates are allowed: institutions also enter batches already held.
    """
    if end is None or end == start:
        return None
    if end < start:
        return "结束日期不能早于开始日期"
    if (end - start).days + 1 > MAX_EXAM_DAYS:
        return f"一个批次的考评日期最多连续 {MAX_EXAM_DAYS} 天"
    return None


def exam_days(start: date, end: date | None) -> list[date]:
    """Every exam day from ``start`` through ``end`` (just ``start`` when ``end`` is None).
    Check :func:`exam_days_problem` first; ValueError for an unacceptable period."""
    problem = exam_days_problem(start, end)
    if problem:
        raise ValueError(problem)
    last = end or start
    return [start + timedelta(days=n) for n in range((last - start).days + 1)]


def level_choices() -> list[tuple[int, str]]:
    """Batch levels for a form, lowest first: (5, "五级/初级工") … (1, "一级/高级技师")."""
    return [(level.value, level.label) for level in QUALIFICATION_LEVELS]


# --- examiner scope --------------------------------------------------------------------------

def card_levels_for(batch_level: QualificationLevel | int) -> list[str]:
    """The card levels whose holders may evaluate a batch of ``batch_level``
    (:func:`portal.applications.rules.can_evaluate`)."""
    return [level for level in CARD_LEVELS if can_evaluate(level, batch_level)]


_STATUS_REASONS = {
    CardStatus.REVOKED: "证卡已注销",
    CardStatus.VOIDED: "证卡已作废（未按期领取）",
    CardStatus.SUPERSEDED: "证卡已换发新证",
    CardStatus.EXPIRED: "证卡已过有效期",
    CardStatus.PENDING_COLLECTION: "证卡尚未领取",
}


def card_covers_batch(
    card_level: str,
    valid_from: date,
    valid_until: date,
    collected_on: date | None,
    voided_on: date | None,
    revoked_on: date | None,
    occupation_id: int,
    batch_occupation_id: int,
    batch_level: QualificationLevel | int,
    exam_days: Sequence[date],
    superseded_on: date | None = None,
) -> list[str]:
    """Why a card does not let its holder evaluate a batch; an empty list means it does.

    DESIGN.md "Examiner scope" (notice §一: "在规定的职业（工种）和资格级别范围内从事考评
    工作"; §五(一): "持证开展相关工作"):

    - the card's occupation is the batch's occupation;
    - its level covers the batch level: a 考评员 card 五级–三级, a 高级考评员 card every level
      (:func:`portal.applications.rules.can_evaluate`);
    - it is usable on **every** exam day: issued on or before the day (``valid_from``), not
      past ``valid_until`` (the last valid day itself counts), collected on or before the day,
      neither voided, revoked nor superseded by a renewed card (``superseded_on``: the
      holder works with the new card) on or before the day. The day's status is
      :func:`portal.cards.rules.card_status` with ``today`` = that day, so an event counts from
      its date on: a card issued on the first exam day is usable that day only if it was also
      collected that day; a card revoked on the last exam day is not usable that day.

    Each failed check gives one Chinese sentence (naming the first exam day it fails on).
    """
    reasons: list[str] = []
    if occupation_id != batch_occupation_id:
        reasons.append("证卡职业（工种）与本批次不符")
    level = QualificationLevel(batch_level)
    if not can_evaluate(card_level, level):
        reasons.append(f"{card_level}证卡不能考评{level.label}（考评员证卡限五级至三级）")
    seen: set[str] = set()
    for day in sorted(exam_days):
        if day < valid_from:
            problem = f"证卡于{cn_date(valid_from)}才发证"
        else:
            status = card_status(valid_until=valid_until, collected_on=collected_on,
                                 voided_on=voided_on, revoked_on=revoked_on, today=day,
                                 superseded_on=superseded_on)
            problem = _STATUS_REASONS.get(status)
        if problem and problem not in seen:
            seen.add(problem)
            reasons.append(f"{problem}（考评日期{cn_date(day)}）")
    return reasons


# --- warnings the assigner must confirm -------------------------------------------------------

WARNING_LABELS = {
    "recusal": "回避",
    "rotation": "轮换",
    "double_booking": "同日重复指派",
}


@dataclass(frozen=True)
class Warning:
    """A warning shown before an assignment is confirmed: a stable ``code`` (recorded in
    ``Assignment.confirmed_warnings``) and the Chinese ``text`` shown to the assigner."""

    code: str
    text: str

    @property
    def label(self) -> str:
        return WARNING_LABELS[self.code]


def assignment_warnings(
    works_at_institution: bool,
    last_three_batch_orgs: Sequence[int],
    batch_org: int,
    overlapping_batches: Sequence[str],
) -> list[Warning]:
    """The warnings of assigning one examiner to one batch, in a fixed order. The assigner may
    still assign, but only after confirming each one explicitly (DESIGN.md "Recusal and
    rotation", "Assignment checks in one step"; Attachment 4 items 10–11 rate whether the
    examiner observed the recusal and rotation rules).

    - ``recusal``: the examiner works for the batch's institution (``works_at_institution``:
      their person record's organisation is the batch's organisation). Attachment 4 item 10
      "自觉执行回避制度"; not accepting recusal disqualifies at renewal (notice §三(五)3).
    - ``rotation``: the examiner rated at this institution in each of their last
      :data:`ROTATION_BATCHES` batches (``last_three_batch_orgs``: the organisations of their
      most recent accepted assignments before this batch, newest first, at most three; fewer
      than three batches never warn).
    - ``double_booking``: the examiner is already assigned (pending or accepted, not refused
      or recused) to another batch, of any institution, sharing an exam date
      (``overlapping_batches``: those batches' descriptions, e.g. their numbers and dates).
    """
    warnings: list[Warning] = []
    if works_at_institution:
        warnings.append(Warning("recusal", "该考评员是本批次评价机构的在职人员，按规定应当回避"))
    recent = list(last_three_batch_orgs)[:ROTATION_BATCHES]
    if len(recent) == ROTATION_BATCHES and all(org == batch_org for org in recent):
        warnings.append(Warning(
            "rotation",
            f"该考评员最近 {ROTATION_BATCHES} 个考评批次均在本机构，未按规定轮换",
        ))
    if overlapping_batches:
        warnings.append(Warning(
            "double_booking",
            "该考评员在同一考评日期已被指派到其他批次：" + "；".join(overlapping_batches),
        ))
    return warnings


# --- progress ----------------------------------------------------------------------------------

class BatchStatus(StrEnum):
    """Where a batch stands, from its sheets (values are codes; labels are Chinese)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    BatchStatus.NOT_STARTED: "未开始",
    BatchStatus.IN_PROGRESS: "进行中",
    BatchStatus.DONE: "已完成",
}


def batch_status(*, accepted: int, sheets: int, final: int) -> BatchStatus:
    """A batch's status from its counts: 未开始 while it has no sheet; 已完成 when every
    accepted assignment has a final sheet (and there is at least one); otherwise 进行中.

    ``accepted`` counts accepted assignments, ``sheets`` their sheets, ``final`` the final
    ones. :func:`portal.batches.queries.status_expr` is the SQL twin.
    """
    if sheets == 0:
        return BatchStatus.NOT_STARTED
    if final >= 1 and final == accepted:
        return BatchStatus.DONE
    return BatchStatus.IN_PROGRESS


# --- who may do what ---------------------------------------------------------------------------

def can_manage(user, batch) -> bool:
    """The batch's institution runs it: its clerk (``unit``) assigns examiners, records their
    answers, judges refusals and names the raters (DESIGN.md workflow 4)."""
    return user.has_role("unit") and user.organisation_id == batch.organisation_id


def can_set_supervisor(user, batch) -> bool:
    """Who may name the batch's quality supervisor: its institution, the city centre of the
    institution's city, and the province (issue 4)."""
    if can_manage(user, batch) or user.has_role("province"):
        return True
    return (user.has_role("city") and user.region_id is not None
            and user.region_id == batch.organisation.region_id)


def can_import_records(user, batch) -> bool:
    """Who may upload a batch's records from an offline site: the same officers who may name
    its supervisor (the institution's clerk, the city centre, the province). A rater of the
    batch may not: raters score online, in their own column."""
    return can_set_supervisor(user, batch)

"""Renewal summary tables (Attachment 2, "培训（复核）汇总表", notice §三(四)3 "将初审合格人员
按照系统提示生成汇总表，加盖公章后报省职鉴中心"). The caller commits.

The same life as a qualification table (:mod:`portal.applications.summary`), with which it
shares the reviewing offices, the numbering, the PDF and the XLSX
(:mod:`portal.summary_tables`):

1. the initial reviewer — a city centre for its city, or a provincial-direct institution for
   the 四川省 renewals addressed to it — creates a table from its ``initial_approved``
   renewal applications of one plan that are on no table yet (:func:`create_table`);
2. prints it (full ID numbers: an official submission), has it stamped and uploads the scan
   (:func:`attach_scan`);
3. sends it (:func:`send`): every application on it moves to the province's re-review
   through :func:`portal.renewals.operations.apply_action` (``send_to_province``), and the
   table gets ``sent_at`` — one transaction, all or nothing;
4. the province approves the applications one by one on the application page, or all at
   once here (:func:`approve_all`): each approval issues the new card and supersedes the old.

**A returned application leaves its table** (:func:`release`, called by
:func:`~portal.renewals.operations.apply_action` on every ``return``: the province's return to
the initial review, or the reviewer's own return of an approved application), so after
correction and a new approval a later table can carry it. A table not yet sent can be
deleted, which frees its applications; when an application leaves an unsent table that
already has a scan, the scan no longer shows the table and is detached.

The printed table has the form's ten columns and, after them, 原证卡编号: the card being
renewed, which the province's approval supersedes (a holder may hold cards of several
occupations, so name and occupation alone do not say which).
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from portal.audit.operations import record
from portal.cards.models import Card
from portal.extensions import db
from portal.renewals.models import RenewalApplication, RenewalPlan, RenewalSummaryTable
from portal.renewals.operations import apply_action, capacities
from portal.renewals.rules import (
    IllegalRenewalMove,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
)
from portal.scope import visible
from portal.summary_tables import shared
from portal.summary_tables.rules import ATTACHMENT2_COLUMNS, OLD_CARD_COLUMN
from portal.summary_tables.rules import send_problems as _send_problems
from portal.summary_tables.shared import (
    Office,
    filled_on,
    in_office,
    is_reviewer,
    may_view,
    offices_of,
    province_region,
)
from portal.timeutil import utcnow

__all__ = [
    "COLUMNS", "NUMBER_PREFIX", "Office", "SummaryError", "approve_all", "attach_scan",
    "candidate_plans", "candidates", "create_table", "delete_table", "filled_on",
    "is_reviewer", "may_view", "offices_of", "pdf_bytes", "province_region", "release",
    "row_of", "rows", "send", "send_problems", "sent_plans", "stage_counts",
    "table_applications", "table_sizes", "tables_select", "xlsx_bytes",
]

#: The printed columns: the form's ten, then the card being renewed.
COLUMNS = (*ATTACHMENT2_COLUMNS, OLD_CARD_COLUMN)
#: Renewal table numbers read ``FH2026-510100-001`` (复核), never a qualification number.
NUMBER_PREFIX = "FH"
#: Stages in which the province re-reviews an application of a sent table.
AWAITING_PROVINCE = frozenset({RenewalStage.PROVINCE_REVIEW})

_Approved = RenewalStage.INITIAL_APPROVED


class SummaryError(IllegalRenewalMove):
    """A renewal summary-table operation that is not allowed; ``str()`` is a Chinese
    message."""


# --------------------------------------------------------------------------- reads


def _loaded(stmt):
    return stmt.options(selectinload(RenewalApplication.person),
                        selectinload(RenewalApplication.unit),
                        selectinload(RenewalApplication.card).selectinload(Card.occupation))


def candidates(user, office: Office, plan_id: int, ids: list[int] | None = None,
               *, lock: bool = False) -> list[RenewalApplication]:
    """The renewal applications ``office`` approved under the plan that are on no table yet
    (optionally only ``ids``), oldest approval first; ``lock`` holds their rows until the
    commit."""
    stmt = (select(RenewalApplication)
            .where(visible(RenewalApplication, user), in_office(RenewalApplication, office),
                   RenewalApplication.plan_id == plan_id,
                   RenewalApplication.stage == _Approved.value,
                   RenewalApplication.summary_table_id.is_(None))
            .order_by(RenewalApplication.stage_since, RenewalApplication.id))
    if ids is not None:
        stmt = stmt.where(RenewalApplication.id.in_(ids))
    if lock:
        return list(db.session.scalars(stmt.with_for_update(of=RenewalApplication)))
    return list(db.session.scalars(_loaded(stmt)))


def candidate_plans(user, office: Office) -> list[tuple[RenewalPlan, int]]:
    """Plans with approved renewals of ``office`` waiting for a table, with their count."""
    rows = db.session.execute(
        select(RenewalPlan, func.count(RenewalApplication.id))
        .join(RenewalApplication, RenewalApplication.plan_id == RenewalPlan.id)
        .where(visible(RenewalApplication, user), in_office(RenewalApplication, office),
               RenewalApplication.stage == _Approved.value,
               RenewalApplication.summary_table_id.is_(None))
        .group_by(RenewalPlan.id)
        .order_by(RenewalPlan.year.desc(), RenewalPlan.id.desc())
    ).all()
    return [(plan, count) for plan, count in rows]


def tables_select(user, plan_id: int | None = None) -> Select:
    """The tables ``user`` may list (the office's own; for the province the sent ones),
    optionally of one plan."""
    stmt = shared.tables_select(RenewalSummaryTable, user)
    if plan_id:
        stmt = stmt.where(RenewalSummaryTable.plan_id == plan_id)
    return stmt.options(selectinload(RenewalSummaryTable.plan))


def sent_plans(user) -> list[tuple[RenewalPlan, int, int]]:
    """For the province's list: each plan with tables ``user`` may list, how many tables
    and how many of their renewals still wait for the province."""
    listed = shared.tables_select(RenewalSummaryTable, user).order_by(None).subquery()
    waiting = (select(RenewalApplication.summary_table_id.label("table_id"),
                      func.count().label("n"))
               .where(RenewalApplication.stage == RenewalStage.PROVINCE_REVIEW.value)
               .group_by(RenewalApplication.summary_table_id).subquery())
    rows = db.session.execute(
        select(RenewalPlan, func.count(listed.c.id), func.coalesce(func.sum(waiting.c.n), 0))
        .join(listed, listed.c.plan_id == RenewalPlan.id)
        .outerjoin(waiting, waiting.c.table_id == listed.c.id)
        .group_by(RenewalPlan.id)
        .order_by(RenewalPlan.year.desc(), RenewalPlan.id.desc())).all()
    return [(plan, tables, int(n)) for plan, tables, n in rows]


def table_sizes(table_ids: list[int]) -> dict[int, int]:
    """How many renewals each of these tables holds now."""
    return shared.table_sizes(RenewalApplication, table_ids)


def table_applications(table: RenewalSummaryTable) -> list[RenewalApplication]:
    """The table's renewals in print order (序号), with what a row needs loaded.

    Not filtered again by :func:`portal.scope.visible`: whoever may see the table (its office,
    the province, the admin) may see every application on it, and the operations below must
    act on all of them."""
    return list(db.session.scalars(_loaded(
        select(RenewalApplication).where(RenewalApplication.summary_table_id == table.id)
        .order_by(RenewalApplication.id))))


def stage_counts(applications: list[RenewalApplication]) -> dict[RenewalStage, int]:
    counts: dict[RenewalStage, int] = {}
    for application in applications:
        counts[application.stage_enum] = counts.get(application.stage_enum, 0) + 1
    return counts


def send_problems(table: RenewalSummaryTable,
                  applications: list[RenewalApplication] | None = None) -> list[str]:
    """Why ``table`` cannot go to the province yet (empty: it may): its stamped scan, and
    every renewal on it still "初审通过" (:func:`portal.summary_tables.rules.send_problems`)."""
    if applications is None:
        applications = table_applications(table)
    return _send_problems(has_scan=table.scan_id is not None, sent=table.sent_at is not None,
                          count=len(applications),
                          not_approved=sum(a.stage != _Approved.value for a in applications),
                          approved_label=_Approved.label, noun="申请")


# --------------------------------------------------------------------------- Attachment 2


def row_of(number: int, application: RenewalApplication) -> list[str | int]:
    """One line of the table for ``application``, from the Attachment 3 data the holder
    submitted (full ID number: an official form), then the old card's number."""
    card = application.card
    return [
        number,
        application.employer or application.unit.name,
        application.name,
        application.gender,
        application.id_number,
        application.education,
        application.qualification,
        f"{card.occupation.name}（{card.level}）",
        application.phone,
        application.person.address,
        card.number,
    ]


def rows(table: RenewalSummaryTable) -> list[list[str | int]]:
    return [row_of(n, a) for n, a in enumerate(table_applications(table), start=1)]


def pdf_bytes(table: RenewalSummaryTable) -> bytes:
    """The table in the official layout (:func:`portal.summary_tables.shared.pdf_bytes`)."""
    return shared.pdf_bytes(table, rows(table), columns=COLUMNS)


def xlsx_bytes(table: RenewalSummaryTable) -> bytes:
    """The table as a spreadsheet (:func:`portal.summary_tables.shared.xlsx_bytes`)."""
    return shared.xlsx_bytes(table, rows(table), columns=COLUMNS)


# --------------------------------------------------------------------------- changes


def create_table(*, user, office: Office, plan: RenewalPlan, application_ids: list[int],
                 filled_by: str, contact_name: str, contact_phone: str) -> RenewalSummaryTable:
    """A new table of ``office`` over the chosen approved renewals of ``plan``. Audited as
    ``renewal_summary_table.create``.

    Refused (:class:`SummaryError`) when nothing is chosen, or when a chosen application is
    no longer waiting for a table (returned meanwhile, or put on another table).
    """
    wanted = sorted(set(application_ids))
    if not wanted:
        raise SummaryError("请至少选择一份初审通过的复核换证申请。")
    found = candidates(user, office, plan.id, wanted, lock=True)
    if len(found) != len(wanted) or not all(
            RenewalCapacity.INITIAL_REVIEWER in capacities(user, a) for a in found):
        missing = len(wanted) - len(found)
        raise SummaryError(f"所选申请中有 {max(missing, 1)} 份已不在待汇总状态（可能已退回或已编入其他"
                           "汇总表），请刷新页面后重新选择。")
    return shared.new_table(RenewalSummaryTable, plan=plan, office=office, user=user,
                            filled_by=filled_by, contact_name=contact_name,
                            contact_phone=contact_phone, applications=found,
                            action="renewal_summary_table.create", prefix=NUMBER_PREFIX)


def _unsent(table: RenewalSummaryTable) -> None:
    if problem := shared.sent_problem(table):
        raise SummaryError(problem)


def attach_scan(table: RenewalSummaryTable, upload_id: int, *, user) -> None:
    """Attach the stamped scan (a stored upload); replaces an earlier one before sending."""
    _unsent(table)
    shared.set_scan(table, upload_id, user=user, action="renewal_summary_table.scan")


def send(table: RenewalSummaryTable, *, user) -> int:
    """Send the table to the province: every renewal on it moves on with
    ``send_to_province`` (its step names the table) and the table gets ``sent_at``.

    All or nothing: any refusal raises before the caller commits, so the caller's rollback
    leaves every application and the table as they were. Returns how many were sent.
    """
    applications = table_applications(table)
    if problems := send_problems(table, applications):
        raise SummaryError("不能报送：" + "；".join(problems) + "。")
    for application in applications:
        apply_action(application, RenewalAction.SEND_TO_PROVINCE, user=user,
                     comment=f"汇总表 {table.number}")
    table.sent_at = utcnow()
    record("renewal_summary_table.send", table, actor_id=user.id,
           after={"number": table.number, "sent_at": table.sent_at,
                  "applications": [a.id for a in applications]})
    return len(applications)


def release(application: RenewalApplication, *, actor_id: int | None) -> RenewalSummaryTable | None:
    """Take ``application`` off its table (after a return), so a later table can carry it
    (:func:`portal.summary_tables.shared.release`). Returns the table it left."""
    return shared.release(application, action="renewal_summary_table.release", actor_id=actor_id)


def delete_table(table: RenewalSummaryTable, *, user) -> int:
    """Delete a table that was not sent; its renewals wait for a new table again."""
    _unsent(table)
    return shared.delete_table(table, table_applications(table), action="renewal_summary_table.delete",
                               user=user)


def approve_all(table: RenewalSummaryTable, *, user) -> int:
    """The province approves every renewal of a sent table still waiting for it, each
    through ``apply_action`` (which issues the new card and supersedes the old). Returns how
    many; refuses when there is none. One transaction: a refusal part-way (an old card
    revoked meanwhile) raises and the caller's rollback issues no card at all."""
    if table.sent_at is None:
        raise SummaryError("汇总表尚未报送，不能复审。")
    waiting = [a for a in table_applications(table) if a.stage_enum in AWAITING_PROVINCE]
    if not waiting:
        raise SummaryError("该汇总表中没有待复审的申请。")
    for application in waiting:
        try:
            apply_action(application, RenewalAction.APPROVE, user=user,
                         comment=f"汇总表 {table.number} 批量复审通过")
        except IllegalRenewalMove as exc:
            raise SummaryError(f"全部通过未办理，没有换发任何证卡。{application.name}：{exc}"
                               ) from None
    return len(waiting)

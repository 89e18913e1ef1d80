"""Summary tables (汇总表, Attachment 2): the initial reviewer's list of the applications it
approved, sent to the province with its stamped scan (notice §二(三)2–4). The caller commits.

Life of a table:

1. the initial reviewer — a city centre for its city, or a provincial-direct institution for
   the 四川省 applications addressed to it — creates it from its approved applications of one
   plan that are on no table yet (:func:`create_table`);
2. prints it (PDF, XLSX; full ID numbers, it is an official submission), has it stamped and
   uploads the scan (:func:`attach_scan`);
3. sends it (:func:`send`): every application on it moves to the province's re-review
   through :func:`portal.applications.operations.apply_action`, and the table gets
   ``sent_at`` — all in one transaction, all or nothing;
4. the province approves the applications (one by one on the application page, or all at
   once, :func:`approve_all`) or returns some (:func:`return_selected`).

**A returned application leaves its table** (:func:`release`): its ``summary_table_id`` is
cleared, so after correction and a new approval a later table can carry it. The move itself
(an :class:`~portal.applications.models.ApplicationStep` whose comment names the table) and
the audit events keep the history. A table not yet sent can be deleted, which frees its
applications; when an application leaves an unsent table that already has a scan, the scan
no longer matches the table and is detached.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from portal.applications.models import Application, SummaryTable, TrainingPlan
from portal.applications.operations import apply_action, capacities
from portal.applications.review_rules import (
    AWAITING_PROVINCE,
    current_qualification,
    send_problems,
)
from portal.applications.rules import Action, Capacity, IllegalTransition, Stage
from portal.audit.operations import record
from portal.extensions import db
from portal.people.models import Person
from portal.scope import visible
from portal.summary_tables import shared
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

__all__ = [  # the reviewing-office helpers are shared with renewal tables
    "Office", "SummaryError", "approve_all", "attach_scan", "candidate_plans", "candidates",
    "create_table", "delete_table", "filled_on", "is_reviewer", "may_view", "offices_of",
    "pdf_bytes", "province_region", "release", "return_selected", "rows", "send",
    "send_problems", "stage_counts", "table_applications", "table_sizes", "tables_select",
    "xlsx_bytes",
]


class SummaryError(IllegalTransition):
    """A summary-table operation that is not allowed; ``str()`` is a Chinese message."""


# --------------------------------------------------------------------------- reads


def candidates(user, office: Office, plan_id: int, ids: list[int] | None = None,
               *, lock: bool = False) -> list[Application]:
    """The applications ``office`` approved in the plan that are on no table yet (optionally
    only ``ids``), oldest approval first; ``lock`` holds their rows until the commit."""
    stmt = (select(Application)
            .where(visible(Application, user), in_office(Application, office),
                   Application.plan_id == plan_id,
                   Application.stage == Stage.INITIAL_APPROVED.value,
                   Application.summary_table_id.is_(None))
            .order_by(Application.stage_since, Application.id))
    if not lock:
        stmt = stmt.options(selectinload(Application.person),
                            selectinload(Application.occupation), selectinload(Application.unit))
    if ids is not None:
        stmt = stmt.where(Application.id.in_(ids))
    if lock:
        stmt = stmt.with_for_update(of=Application)
    return list(db.session.scalars(stmt))


def candidate_plans(user, office: Office) -> list[tuple[TrainingPlan, int]]:
    """Plans with approved applications of ``office`` waiting for a table, with their count."""
    rows = db.session.execute(
        select(TrainingPlan, func.count(Application.id))
        .join(Application, Application.plan_id == TrainingPlan.id)
        .where(visible(Application, user), in_office(Application, office),
               Application.stage == Stage.INITIAL_APPROVED.value,
               Application.summary_table_id.is_(None))
        .group_by(TrainingPlan.id)
        .order_by(TrainingPlan.year.desc(), TrainingPlan.id.desc())
    ).all()
    return [(plan, count) for plan, count in rows]


def tables_select(user) -> Select:
    """The tables ``user`` may list: the office's own; for the province only sent ones."""
    return shared.tables_select(SummaryTable, user)


def stage_counts(table: SummaryTable) -> dict[Stage, int]:
    counts: dict[Stage, int] = {}
    for application in table.applications:
        counts[application.stage_enum] = counts.get(application.stage_enum, 0) + 1
    return counts


def table_sizes(table_ids: list[int]) -> dict[int, int]:
    """How many applications each of these tables holds now."""
    return shared.table_sizes(Application, table_ids)


def table_applications(table: SummaryTable) -> list[Application]:
    """The table's applications in print order (序号), with what a row needs loaded.

    Not filtered again by :func:`portal.scope.visible`: whoever may see the table (its office,
    the province, the admin) may see every application on it, and the operations below must
    act on all of them."""
    return list(db.session.scalars(
        select(Application).where(Application.summary_table_id == table.id)
        .options(selectinload(Application.person), selectinload(Application.occupation),
                 selectinload(Application.unit))
        .order_by(Application.id)))


# --------------------------------------------------------------------------- Attachment 2


def row_of(number: int, application: Application) -> list[str | int]:
    """One line of Attachment 2 for ``application`` (full ID number: an official form)."""
    person: Person = application.person
    return [
        number,
        person.employer or application.unit.name,
        person.name,
        person.gender,
        person.id_number,
        person.education,
        current_qualification(qualification_level=application.qualification_level,
                              title_level=application.title_level,
                              qualification_text=application.qualification_text,
                              person_title=person.title),
        f"{application.occupation.name}（{application.level}）",
        person.mobile,
        person.address,
    ]


def rows(table: SummaryTable) -> list[list[str | int]]:
    return [row_of(n, a) for n, a in enumerate(table_applications(table), start=1)]


def pdf_bytes(table: SummaryTable) -> bytes:
    """Attachment 2 in the official layout (:func:`portal.summary_tables.shared.pdf_bytes`)."""
    return shared.pdf_bytes(table, rows(table))


def xlsx_bytes(table: SummaryTable) -> bytes:
    """Attachment 2 as a spreadsheet (:func:`portal.summary_tables.shared.xlsx_bytes`)."""
    return shared.xlsx_bytes(table, rows(table))


# --------------------------------------------------------------------------- changes


def create_table(*, user, office: Office, plan: TrainingPlan, application_ids: list[int],
                 filled_by: str, contact_name: str, contact_phone: str) -> SummaryTable:
    """A new table of ``office`` over the chosen approved applications of ``plan``.

    Refused (:class:`SummaryError`) when nothing is chosen, or when a chosen application is
    no longer waiting for a table (returned meanwhile, or put on another table).
    """
    wanted = sorted(set(application_ids))
    if not wanted:
        raise SummaryError("请至少选择一份初审通过的申报。")
    found = candidates(user, office, plan.id, wanted, lock=True)
    if len(found) != len(wanted) or not all(
            Capacity.INITIAL_REVIEWER in capacities(user, a) for a in found):
        missing = len(wanted) - len(found)
        raise SummaryError(f"所选申报中有 {max(missing, 1)} 份已不在待汇总状态（可能已退回或已编入其他"
                           "汇总表），请刷新页面后重新选择。")
    return shared.new_table(SummaryTable, plan=plan, office=office, user=user,
                            filled_by=filled_by, contact_name=contact_name,
                            contact_phone=contact_phone, applications=found,
                            action="summary_table.create")


def _unsent(table: SummaryTable) -> None:
    if problem := shared.sent_problem(table):
        raise SummaryError(problem)


def attach_scan(table: SummaryTable, upload_id: int, *, user) -> None:
    """Attach the stamped scan (a stored upload); replaces an earlier one before sending."""
    _unsent(table)
    shared.set_scan(table, upload_id, user=user, action="summary_table.scan")


def send(table: SummaryTable, *, user) -> int:
    """Send the table to the province: every application on it moves on with
    ``SEND_TO_PROVINCE`` (its step names the table) and the table gets ``sent_at``.

    All or nothing: any refusal raises before the caller commits, so the caller's rollback
    leaves every application and the table as they were. Returns how many were sent.
    """
    applications = table_applications(table)
    problems = send_problems(has_scan=table.scan_id is not None, sent=table.sent_at is not None,
                             stages=[a.stage for a in applications])
    if problems:
        raise SummaryError("不能报送：" + "；".join(problems) + "。")
    for application in applications:
        apply_action(application, Action.SEND_TO_PROVINCE, user=user,
                     comment=f"汇总表 {table.number}")
    table.sent_at = utcnow()
    record("summary_table.send", table, actor_id=user.id,
           after={"number": table.number, "sent_at": table.sent_at,
                  "applications": [a.id for a in applications]})
    return len(applications)


def release(application: Application, *, actor_id: int | None) -> SummaryTable | None:
    """Take ``application`` off its table (after a return), so a later table can carry it
    (:func:`portal.summary_tables.shared.release`). Returns the table it left."""
    return shared.release(application, action="summary_table.release", actor_id=actor_id)


def delete_table(table: SummaryTable, *, user) -> int:
    """Delete a table that was not sent; its applications wait for a new table again."""
    _unsent(table)
    return shared.delete_table(table, table_applications(table), action="summary_table.delete",
                               user=user)


def approve_all(table: SummaryTable, *, user) -> int:
    """The province approves every application of a sent table still waiting for it
    (each through ``apply_action``). Returns how many; refuses when there is none."""
    waiting = [a for a in table_applications(table)
               if a.stage_enum in AWAITING_PROVINCE]
    if table.sent_at is None:
        raise SummaryError("汇总表尚未报送，不能复审。")
    if not waiting:
        raise SummaryError("该汇总表中没有待复审的申报。")
    for application in waiting:
        apply_action(application, Action.APPROVE, user=user,
                     comment=f"汇总表 {table.number} 批量复审通过")
    return len(waiting)


def return_selected(table: SummaryTable, application_ids: list[int], *, user,
                    comment: str) -> int:
    """The province returns the chosen applications of a sent table to their initial
    reviewer (each through ``apply_action``, with ``comment``); they leave the table."""
    if table.sent_at is None:
        raise SummaryError("汇总表尚未报送，不能复审。")
    chosen = set(application_ids)
    if not chosen:
        raise SummaryError("请勾选要退回的申报。")
    on_table = {a.id: a for a in table_applications(table)}
    wrong = chosen - {i for i, a in on_table.items() if a.stage_enum in AWAITING_PROVINCE}
    if wrong:
        raise SummaryError(f"所选申报中有 {len(wrong)} 份不在该汇总表中或已复审，请刷新页面后重新选择。")
    for application_id in sorted(chosen):
        application = on_table[application_id]
        apply_action(application, Action.RETURN, user=user, comment=comment)
        release(application, actor_id=user.id)
    return len(chosen)

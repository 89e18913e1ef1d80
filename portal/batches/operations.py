"""Every change to a batch and its assignments: set, flush, audit. The caller commits.

A unit creates a batch (:func:`create_batch`, which numbers it), names its raters
(:func:`set_raters`, which also hands the open sheet columns to the new rater), assigns
examiners after confirming every warning (:func:`assign`), records each examiner's answer
(:func:`record_answer`; acceptance creates the sheet) and judges refusals
(:func:`judge_refusal`); an examiner may declare a recusal (:func:`declare_recusal`).
"""

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.audit.operations import record, snapshot
from portal.auth.models import User
from portal.auth.roles import Role
from portal.batches import queries, rules
from portal.batches.models import ANSWER_LABELS, Assignment, BatchDate, EvaluationBatch
from portal.cards.models import Card
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.sheets.models import EvaluationSheet, SheetColumn
from portal.sheets.operations import create_sheet
from portal.timeutil import utcnow

FIELDS = ("number", "organisation_id", "occupation_id", "level", "site", "candidates",
          "first_date", "last_date", "site_lead_id", "supervisor_id")


class BatchError(ValueError):
    """A move the rules do not allow; the message is Chinese, for the user."""


class UnconfirmedWarnings(BatchError):
    """The assignment has warnings the assigner has not confirmed yet."""

    def __init__(self, warnings: list[rules.Warning], missing: list[rules.Warning]):
        super().__init__("请逐项勾选确认以下提示后再指派：" + "、".join(w.label for w in missing))
        self.warnings = warnings
        self.missing = missing


# --- raters ------------------------------------------------------------------------------------

def _check_raters(org_id: int, site_lead_id: int | None, supervisor_id: int | None) -> None:
    if site_lead_id is not None:
        lead = db.session.get(User, site_lead_id)
        if lead is None or not lead.has_role(Role.SITE_LEAD) or lead.organisation_id != org_id:
            raise BatchError("考场负责人须为本机构的考场负责人用户")
    if supervisor_id is not None:
        sup = db.session.get(User, supervisor_id)
        if sup is None or not sup.has_role(Role.SUPERVISOR):
            raise BatchError("质量督导员须为具有质量督导员角色的用户")


def set_raters(batch: EvaluationBatch, *, site_lead_id: int | None,
               supervisor_id: int | None) -> list[int]:
    """Name the batch's site lead and supervisor. The not yet submitted columns of the
    batch's sheets pass to the new rater of their role (a submitted column keeps the rater
    who signed it). Returns the ids of the sheets whose columns changed hands."""
    _check_raters(batch.organisation_id, site_lead_id, supervisor_id)
    before = snapshot(batch, ("site_lead_id", "supervisor_id"))
    batch.site_lead_id, batch.supervisor_id = site_lead_id, supervisor_id
    after = snapshot(batch, ("site_lead_id", "supervisor_id"))
    if before == after:
        return []
    changed: dict[int, dict] = {}
    for role, new in (("site_lead", site_lead_id), ("supervisor", supervisor_id)):
        if before[f"{role}_id"] == new:
            continue
        rows = db.session.execute(
            select(SheetColumn.id, SheetColumn.sheet_id, SheetColumn.rater_id)
            .join(EvaluationSheet, EvaluationSheet.id == SheetColumn.sheet_id)
            .where(EvaluationSheet.batch_id == batch.id, SheetColumn.role == role,
                   SheetColumn.submitted_at.is_(None))
        ).all()
        if rows:
            db.session.execute(
                update(SheetColumn).where(SheetColumn.id.in_([r.id for r in rows]))
                .values(rater_id=new).execution_options(synchronize_session="fetch")
            )
        for r in rows:
            changed.setdefault(r.sheet_id, {})[role] = (r.rater_id, new)
    db.session.flush()
    record("batch.raters", batch, before=before,
           after={**after, "sheets": sorted(changed)})
    for sheet_id, roles in sorted(changed.items()):
        record("sheet.rater_change", None, entity_type="evaluation_sheet", entity_id=sheet_id,
               before={role: old for role, (old, _) in roles.items()},
               after={role: new for role, (_, new) in roles.items()})
    return sorted(changed)


# --- creating a batch --------------------------------------------------------------------------

def _next_number(year: int, region_code: str) -> str:
    prefix = rules.batch_number_prefix(year, region_code)
    last = db.session.scalar(
        select(func.max(EvaluationBatch.number)).where(EvaluationBatch.number.like(prefix + "%"))
    )
    seq = int(last[len(prefix):]) + 1 if last else 1
    return rules.batch_number(year, region_code, seq)


def create_batch(*, organisation: Organisation, occupation_id: int, level: int,
                 start: date, end: date | None, site: str, candidates: int,
                 site_lead_id: int | None, supervisor_id: int | None,
                 actor_id: int | None = None) -> EvaluationBatch:
    """A new batch of ``organisation`` with its exam days and a generated number
    (:func:`portal.batches.rules.batch_number`; on the rare collision with a concurrent
    creation, the number is taken again once)."""
    problem = rules.exam_days_problem(start, end)
    if problem:
        raise BatchError(problem)
    days = rules.exam_days(start, end)
    _check_raters(organisation.id, site_lead_id, supervisor_id)
    for attempt in (1, 2):
        batch = EvaluationBatch(
            number=_next_number(days[0].year, organisation.region.code),
            organisation_id=organisation.id, occupation_id=occupation_id, level=level,
            site=site.strip(), candidates=candidates, first_date=days[0], last_date=days[-1],
            site_lead_id=site_lead_id, supervisor_id=supervisor_id, created_by_id=actor_id,
            dates=[BatchDate(day=d) for d in days],
        )
        try:
            with db.session.begin_nested():  # a savepoint: a collision undoes only this insert
                db.session.add(batch)
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        break
    record("batch.create", batch, actor_id=actor_id,
           after={**snapshot(batch, FIELDS), "days": days})
    return batch


# --- assignments -------------------------------------------------------------------------------

def covers(card: Card, batch: EvaluationBatch) -> list[str]:
    """Why ``card`` does not qualify its holder for ``batch`` (empty: it does)."""
    return rules.card_covers_batch(
        card.level, card.issued_on, card.valid_until, card.collected_on, card.voided_on,
        card.revoked_on, card.occupation_id, batch.occupation_id, batch.level, batch.exam_days,
        superseded_on=card.superseded_on,
    )


def assign(batch: EvaluationBatch, card: Card, *, confirmed: set[str] | frozenset[str],
           actor_id: int | None = None) -> Assignment:
    """Assign the holder of ``card`` to ``batch``. The card must qualify them
    (:func:`covers`); each warning (:func:`portal.batches.queries.warnings_for`) must be in
    ``confirmed``, else :class:`UnconfirmedWarnings`. The codes of the warnings that applied
    are kept on the assignment and in the audit event."""
    taken = db.session.scalar(select(Assignment.id).where(
        Assignment.batch_id == batch.id, Assignment.person_id == card.person_id))
    if taken is not None:
        raise BatchError(f"{card.person.name}已在本批次的考评员名单中")
    reasons = covers(card, batch)
    if reasons:
        raise BatchError(f"证卡 {card.number} 不能用于本批次：" + "；".join(reasons))
    warnings = queries.warnings_for(batch, card.person)
    missing = [w for w in warnings if w.code not in confirmed]
    if missing:
        raise UnconfirmedWarnings(warnings, missing)
    assignment = Assignment(
        batch_id=batch.id, person_id=card.person_id, card_id=card.id, answer="pending",
        confirmed_warnings=[w.code for w in warnings], assigned_by_id=actor_id,
    )
    db.session.add(assignment)
    db.session.flush()
    record("assignment.create", assignment, actor_id=actor_id, after={
        "batch_id": batch.id, "person_id": card.person_id, "card_id": card.id,
        "confirmed_warnings": [w.code for w in warnings],
        "warnings": [w.text for w in warnings],
    })
    return assignment


def _answered(assignment: Assignment) -> BatchError:
    return BatchError(f"该指派已是“{ANSWER_LABELS[assignment.answer]}”，不能再更改答复")


def record_answer(assignment: Assignment, answer: str, *, reason: str = "",
                  actor_id: int | None = None) -> EvaluationSheet | None:
    """Record the examiner's answer to a pending assignment: ``accepted`` creates the
    evaluation sheet (accepting again returns the same sheet and changes nothing);
    ``refused`` needs a reason, which the assigner judges afterwards
    (:func:`judge_refusal`)."""
    if answer == "accepted":
        if assignment.answer == "accepted":
            return create_sheet(assignment)
        if assignment.answer != "pending":
            raise _answered(assignment)
        assignment.answer = "accepted"
        assignment.answered_at = utcnow()
        record("assignment.accept", assignment, actor_id=actor_id,
               before={"answer": "pending"}, after={"answer": "accepted"})
        return create_sheet(assignment)
    if answer == "refused":
        reason = (reason or "").strip()
        if not reason:
            raise BatchError("请填写拒绝理由")
        if assignment.answer != "pending":
            raise _answered(assignment)
        assignment.answer = "refused"
        assignment.answered_at = utcnow()
        assignment.reason = reason[:300]
        record("assignment.refuse", assignment, actor_id=actor_id,
               before={"answer": "pending"}, after={"answer": "refused", "reason": reason})
        return None
    raise BatchError("未知的答复")


def judge_refusal(assignment: Assignment, justified: bool, *, actor_id: int | None = None) -> None:
    """The assigner judges a refusal's reason: an unjustified refusal counts towards renewal
    rule 2 (notice §三(五)2: "一年内无正当理由拒绝接受考评工作调配三次及以上")."""
    if assignment.answer != "refused":
        raise BatchError("只有已拒绝的指派才需要认定理由是否正当")
    if assignment.reason_justified is justified:
        return
    before = {"reason_justified": assignment.reason_justified}
    assignment.reason_justified = justified
    assignment.judged_by_id = actor_id
    record("assignment.judge", assignment, actor_id=actor_id, before=before,
           after={"reason_justified": justified})


def declare_recusal(assignment: Assignment, reason: str, *, actor_id: int | None = None) -> None:
    """The examiner declares a conflict of interest on a pending assignment (回避)."""
    reason = (reason or "").strip()
    if not reason:
        raise BatchError("请填写回避理由")
    if assignment.answer != "pending":
        raise BatchError(f"该指派已是“{ANSWER_LABELS[assignment.answer]}”，不能再申请回避")
    assignment.answer = "recused"
    assignment.answered_at = utcnow()
    assignment.reason = reason[:300]
    record("assignment.recuse", assignment, actor_id=actor_id,
           before={"answer": "pending"}, after={"answer": "recused", "reason": reason})

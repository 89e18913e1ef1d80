"""Every change to an evaluation sheet: set, flush, audit. The caller commits.

A sheet exists for each accepted assignment (:func:`create_sheet`); raters save levels one
click at a time (:func:`save_level`), submit their column (:func:`submit_column`); the second
submission finalises and seals the sheet; an officer may reopen a column with a reason
(:func:`reopen_column`), which keeps the sealed state as a revision.
"""

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.operations import record
from portal.batches.models import Assignment
from portal.extensions import db
from portal.scoring.rubric import RUBRIC_2021, Rubric, final_score, grade, rater_total
from portal.sheets import rules
from portal.sheets.models import RATER_ROLES, EvaluationSheet, SheetColumn, SheetMark, SheetRevision
from portal.sheets.rules import SaveOutcome
from portal.timeutil import utcnow

CURRENT_RUBRIC: Rubric = RUBRIC_2021


class SheetError(ValueError):
    """A move the rules do not allow; the message is Chinese, for the user."""


def create_sheet(assignment: Assignment, rubric: Rubric = CURRENT_RUBRIC) -> EvaluationSheet:
    """The sheet of an accepted assignment, with a frozen copy of ``rubric`` and one empty
    column per rater (the batch's supervisor and site lead at this moment). Idempotent: an
    assignment that already has its sheet gets it back."""
    existing = db.session.scalars(
        select(EvaluationSheet).where(EvaluationSheet.assignment_id == assignment.id)
    ).first()
    if existing is not None:
        return existing
    batch = assignment.batch
    sheet = EvaluationSheet(
        assignment_id=assignment.id, batch_id=batch.id, person_id=assignment.person_id,
        rubric_version=rubric.version, rubric_snapshot=rubric.to_snapshot(),
        columns=[
            SheetColumn(role="supervisor", rater_id=batch.supervisor_id),
            SheetColumn(role="site_lead", rater_id=batch.site_lead_id),
        ],
    )
    db.session.add(sheet)
    db.session.flush()
    record("sheet.create", sheet, after={"assignment_id": assignment.id,
                                         "rubric_version": rubric.version})
    return sheet


@dataclass
class SaveResult:
    outcome: SaveOutcome
    column: SheetColumn


def save_level(sheet: EvaluationSheet, role: str, item: int, level: str, *,
               based_on_version: int, actor_id: int) -> SaveResult:
    """Store one click. The column's version must be the one the rater's page showed; the
    version bump is one conditional UPDATE, so two concurrent saves cannot both pass."""
    rubric = sheet.rubric
    if item not in rubric.numbers or level not in rules.LEVEL_RANK:
        raise SheetError("无效的评价项目或等级")
    column = sheet.column(role)
    stored = column.levels.get(item)
    outcome = rules.judge_save(stored_version=column.version, based_on_version=based_on_version,
                               stored_level=stored, requested_level=level,
                               submitted=column.is_submitted)
    if outcome is not SaveOutcome.APPLY:
        return SaveResult(outcome, column)
    levels = {**column.levels, item: level}
    total = rater_total(levels, rubric)
    # One conditional UPDATE: bumps the version only if nobody saved since the page was drawn.
    bumped = db.session.execute(
        update(SheetColumn)
        .where(SheetColumn.id == column.id, SheetColumn.version == based_on_version,
               SheetColumn.submitted_at.is_(None))
        .values(version=based_on_version + 1, marked=len(levels), total=total)
        .execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:  # another save landed between our read and this write
        db.session.refresh(column)
        return SaveResult(SaveOutcome.STALE, column)
    for name, value in (("version", based_on_version + 1), ("marked", len(levels)),
                        ("total", total)):
        set_committed_value(column, name, value)
    mark = next((m for m in column.marks if m.item == item), None)
    if mark is None:
        column.marks.append(SheetMark(item=item, level=level))
    else:
        mark.level = level
    db.session.flush()
    record("sheet.level", sheet, actor_id=actor_id,
           before={"role": role, "item": item, "level": stored},
           after={"role": role, "item": item, "level": level, "version": column.version})
    return SaveResult(outcome, column)


def submit_column(sheet: EvaluationSheet, role: str, *, actor_id: int,
                  imported: bool = False) -> None:
    """Lock a rater's column; all 15 items are required. The second submission finalises."""
    column = sheet.column(role)
    if column.is_submitted:
        raise SheetError("该列已提交")
    missing = [n for n in sheet.rubric.numbers if n not in column.levels]
    if missing:
        raise SheetError("还有未评的项目：第 " + "、".join(str(n) for n in missing) + " 项")
    column.submitted_at = utcnow()
    column.submitted_by_id = actor_id
    column.imported = imported
    column.version += 1
    record("sheet.submit", sheet, actor_id=actor_id,
           after={"role": role, "total": column.total, "imported": imported})
    if all(c.is_submitted for c in sheet.columns):
        _finalise(sheet, actor_id)


def content(sheet: EvaluationSheet) -> dict:
    """What the seal covers: who and what was rated, with which rubric, every level, the
    totals, the result, and the attached scan."""
    from portal.uploads.models import Upload

    scan = db.session.get(Upload, sheet.scan_upload_id) if sheet.scan_upload_id else None
    return {
        "sheet": sheet.id, "revision": sheet.revision, "batch": sheet.batch.number,
        "examiner": sheet.person.name, "id_number": sheet.person.id_number,
        "card": sheet.assignment.card.number, "rubric": sheet.rubric_snapshot,
        "columns": {
            c.role: {"rater_id": c.rater_id, "levels": {str(k): v for k, v in c.levels.items()},
                     "total": c.total, "submitted_at": c.submitted_at, "imported": c.imported}
            for c in sorted(sheet.columns, key=lambda c: c.role)
        },
        "final_score": sheet.final_score, "grade": sheet.grade,
        "scan_sha256": scan.sha256 if scan else None,
    }


def _finalise(sheet: EvaluationSheet, actor_id: int) -> None:
    totals = [sheet.column(r).total for r in RATER_ROLES]
    sheet.final_score = final_score(*totals)
    sheet.grade = grade(sheet.final_score)
    sheet.finalised_at = utcnow()
    db.session.flush()
    sheet.seal_sha256 = rules.seal(content(sheet))
    record("sheet.finalise", sheet, actor_id=actor_id,
           after={"final_score": sheet.final_score, "grade": sheet.grade,
                  "seal": sheet.seal_sha256})


def attach_scan(sheet: EvaluationSheet, upload_id: int, *, actor_id: int) -> None:
    """Attach the signed scan of a final sheet; the seal is recomputed to cover it."""
    if not sheet.is_final:
        raise SheetError("评价表两列均提交后才能上传签字扫描件")
    before = {"scan_upload_id": sheet.scan_upload_id, "seal": sheet.seal_sha256}
    sheet.scan_upload_id = upload_id
    db.session.flush()
    sheet.seal_sha256 = rules.seal(content(sheet))
    record("sheet.scan", sheet, actor_id=actor_id, before=before,
           after={"scan_upload_id": upload_id, "seal": sheet.seal_sha256})


def reopen_column(sheet: EvaluationSheet, role: str, *, reason: str, actor_id: int) -> None:
    """An officer reopens a submitted column with a reason. The sheet's current state is kept
    as a sealed revision; the sheet is no longer final until both columns are submitted."""
    reason = (reason or "").strip()
    if not reason:
        raise SheetError("请填写重新打开的原因")
    column = sheet.column(role)
    if not column.is_submitted:
        raise SheetError("该列尚未提交，无需重新打开")
    db.session.add(SheetRevision(
        sheet_id=sheet.id, revision=sheet.revision, content=rules_json(content(sheet)),
        seal_sha256=sheet.seal_sha256, reopened_role=role, reason=reason[:300],
        reopened_by_id=actor_id,
    ))
    before = {"final_score": sheet.final_score, "grade": sheet.grade, "revision": sheet.revision}
    sheet.revision += 1
    sheet.final_score = sheet.grade = sheet.finalised_at = sheet.seal_sha256 = None
    column.submitted_at = None
    column.submitted_by_id = None
    column.version += 1
    record("sheet.reopen", sheet, actor_id=actor_id, before=before,
           after={"role": role, "reason": reason, "revision": sheet.revision})


def rules_json(data: dict) -> dict:
    """``data`` made JSON-safe (dates and decimals as text), as stored in a revision."""
    import json

    return json.loads(json.dumps(data, default=str))

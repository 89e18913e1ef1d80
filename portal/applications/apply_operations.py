"""The applicant's changes to their application: saving its data and attaching materials.
Each is checked again here (the form is not trusted), audited, and committed by the caller.

The stage never changes here: submitting and withdrawing are workflow moves
(:func:`portal.applications.operations.apply_action`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.applications import apply_queries, apply_rules
from portal.applications.models import Application, TrainingPlan
from portal.applications.rules import BANNED_REASON, Stage
from portal.audit.operations import record, snapshot
from portal.cards.queries import is_banned
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.uploads import service as uploads

#: The application data the applicant fills in (audited before → after).
FIELDS = ("level", "occupation_id", "region_id", "unit_id", "qualification_level",
          "title_level", "qualification_text", "work_summary")

#: The key of :attr:`ApplyError.errors` for a problem with the whole application.
WHOLE = "__all__"


class ApplyError(ValueError):
    """A change the applicant may not make; ``errors`` maps a form field (or :data:`WHOLE`)
    to a Chinese message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(self.errors.values()))


def edit_problem(application: Application, today: date) -> str | None:
    """Why the applicant may not change ``application`` now, or None."""
    return apply_rules.edit_problem(application.stage,
                                    window_open=application.plan.window_open(today))


def _lock_person(person_id: int) -> None:
    """Serialise one person's saves (PostgreSQL row lock; SQLite's write transaction already
    does), so two tabs cannot both create "the one" application for a plan and level."""
    db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


def _check(person: Person, plan: TrainingPlan, values: Mapping[str, object],
           application_id: int | None) -> None:
    errors: dict[str, str] = {}
    if is_banned(person.id):
        errors[WHOLE] = BANNED_REASON + "，不能申报。"
    level = values["level"]
    if level not in plan.level_list:
        errors["level"] = f"本期培训计划不含“{level}”级别"
    elif duplicate := apply_queries.duplicate_of(person.id, plan.id, level, application_id):
        errors["level"] = apply_rules.duplicate_message(level, duplicate.stage_enum.label)
    if values["occupation_id"] not in {o.id for o in plan.occupations}:
        errors["occupation_id"] = "本期培训计划不含所选职业（工种）"
    region = db.session.get(Region, values["region_id"])
    if region is None or region.id not in {r.id for r in apply_queries.region_choices(person)}:
        errors["region_id"] = "请选择本人所在城市，省直申报请选择“四川省”"
    else:
        unit = db.session.get(Organisation, values["unit_id"])
        if unit is None or not apply_rules.unit_fits_region(
                region_is_province=region.is_province, region_id=region.id,
                unit_region_id=unit.region_id, unit_provincial_direct=unit.provincial_direct,
                unit_active=unit.active):
            errors["unit_id"] = ("省直申报须选择省直备案评价机构" if region.is_province
                                 else f"请选择{region.name}的推荐单位")
    if errors:
        raise ApplyError(errors)


def save_application(*, person: Person, plan: TrainingPlan, values: Mapping[str, object],
                     actor_id: int, today: date,
                     application: Application | None = None) -> Application:
    """Create (``application`` None) or update the person's application under ``plan``.

    Refused with :class:`ApplyError` when the plan's window is closed or the stage allows no
    change, when the person is banned (notice §五(一)), when a value does not fit the plan,
    region or unit, or when the person already has an application for this plan and level.
    A new application starts as a draft with the profile photo as its photo. Audited as
    ``application.save`` with the fields before and after.
    """
    if application is None:
        if not plan.window_open(today):
            raise ApplyError({WHOLE: "报名时间已结束（或尚未开始），不能新建或修改申报。"})
    elif problem := edit_problem(application, today):
        raise ApplyError({WHOLE: problem})
    _lock_person(person.id)
    _check(person, plan, values, application.id if application else None)
    before = snapshot(application, FIELDS) if application is not None else None
    if application is None:
        application = Application(plan=plan, person=person, stage=Stage.DRAFT.value,
                                  photo_id=person.photo_upload_id)
        db.session.add(application)
    for name in FIELDS:
        value = values[name]
        setattr(application, name, value.strip() if isinstance(value, str) else value)
    record("application.save", application, actor_id=actor_id, before=before,
           after={"plan_id": plan.id, **snapshot(application, FIELDS)} if before is None
           else snapshot(application, FIELDS))
    return application


def attach_upload(application: Application, kind: apply_rules.UploadKind, file: FileStorage,
                  *, actor_id: int, today: date) -> None:
    """Store ``file`` through the upload service as the application's ``kind`` material,
    replacing the previous one (which stays stored, and in the audit trail).

    Raises :class:`portal.uploads.service.UploadRejected` (the service's Chinese message, or
    "only an image" for the photo) and :class:`ApplyError` when the application may not be
    changed or does not take this material; the caller rolls back.
    """
    if problem := edit_problem(application, today):
        raise ApplyError({WHOLE: problem})
    if kind not in apply_rules.upload_kinds_for(application.level):
        raise ApplyError({WHOLE: f"{application.level}申报不需要上传{kind.label}"})
    upload = uploads.store(file, actor_id=actor_id)
    if kind.image_only and not upload.is_image:
        raise uploads.UploadRejected(f"{kind.label}须为 JPG 或 PNG 图片")
    before = getattr(application, kind.column)
    setattr(application, kind.column, upload.id)
    record("application.upload", application, actor_id=actor_id,
           before={kind.column: before},
           after={kind.column: upload.id, "material": kind.label, "name": upload.original_name})

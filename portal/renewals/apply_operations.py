"""The holder's changes to their renewal application (复核换证, notice §三(三)): creating it
from a card, saving the Attachment 3 data, the work summary and the declarations, and
attaching the photo, ID copy and card scan. Each is checked again here (the form is not
trusted), audited (``renewal.save``, ``renewal.upload``) and committed by the caller.

The stage never changes here: submitting and withdrawing are workflow moves
(:func:`portal.renewals.operations.apply_action`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from portal.applications import apply_queries as qualification_queries
from portal.applications.apply_operations import WHOLE, ApplyError
from portal.applications.apply_rules import UploadKind, unit_fits_region
from portal.audit.operations import record, snapshot
from portal.cards.models import Card
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.renewals.apply_queries import card_problems, latest_qualification_text
from portal.renewals.models import RenewalApplication, RenewalPlan
from portal.renewals.queries import holder_problems, open_application
from portal.renewals.rules import RenewalStage
from portal.uploads import service as uploads

__all__ = [
    "EDITABLE_STAGES",
    "FIELDS",
    "UPLOAD_KINDS",
    "ApplyError",
    "WHOLE",
    "attach_upload",
    "create_renewal",
    "edit_problem",
    "save_renewal",
    "upload_kind",
]

#: The data the holder fills in (audited before → after).
FIELDS = ("region_id", "unit_id", "name", "gender", "education", "employer", "id_number",
          "phone", "qualification", "specialty", "specialty_years", "work_summary",
          "declares_health", "declares_no_incident")

#: Stages in which the holder may change the application: before submitting, and after a
#: return for correction (notice §五(三) "……可实事求是地按照审核意见作相应修改完善，重新提交").
EDITABLE_STAGES = frozenset({RenewalStage.DRAFT, RenewalStage.RETURNED_BY_UNIT,
                             RenewalStage.RETURNED_BY_REVIEWER})

#: The materials of notice §三(三) "上传个人照片、身份证、考评人员资格证卡"; ``key`` is the
#: relationship on :class:`RenewalApplication`, ``column`` its id column.
UPLOAD_KINDS: tuple[UploadKind, ...] = (
    UploadKind("photo", "photo_id", "个人照片", "近期免冠证件照，JPG 或 PNG（打印在申报表上）",
               image_only=True),
    UploadKind("id_copy", "id_copy_id", "身份证", "正反面，PDF、JPG 或 PNG"),
    UploadKind("card_scan", "card_scan_id", "考评员证卡", "所申请复核的证卡正反面，PDF、JPG 或 PNG"),
)


def upload_kind(key: str) -> UploadKind | None:
    return next((k for k in UPLOAD_KINDS if k.key == key), None)


def edit_problem(application: RenewalApplication, today: date) -> str | None:
    """Why the holder may not change ``application`` now (Chinese), or None.

    A draft may be changed while the plan's registration window is open (it can only be
    submitted then); a returned application while the plan has not been closed, since the
    correction may be made while the review goes on (notice §五(三)).
    """
    stage = application.stage_enum
    if stage not in EDITABLE_STAGES:
        if stage.final:
            return f"复核换证申请处于“{stage.label}”，不能再修改。"
        return (f"申请已提交（{stage.label}），审核期间不能修改；"
                "如被退回，可按意见修改后重新提交。")
    if application.plan.closed_at is not None:
        return "本年度复核换证已结束，不能再修改。"
    if stage is RenewalStage.DRAFT and not application.plan.window_open(today):
        return "复核换证报名时间已结束（或尚未开始），不能修改或提交。"
    return None


def default_region(person: Person) -> Region:
    """The holder's city, or 四川省 for a provincial-direct holder (notice §五(二))."""
    return person.region


def default_unit(person: Person, region: Region) -> Organisation | None:
    """The person's registered unit when it may act for ``region``, else None."""
    unit = person.organisation
    if unit is not None and _unit_fits(region, unit):
        return unit
    return None


def _unit_fits(region: Region, unit: Organisation) -> bool:
    return unit_fits_region(region_is_province=region.is_province, region_id=region.id,
                            unit_region_id=unit.region_id,
                            unit_provincial_direct=unit.provincial_direct,
                            unit_active=unit.active)


def _check_place(person: Person, region_id, unit_id) -> dict[str, str]:
    errors: dict[str, str] = {}
    region = db.session.get(Region, region_id) if region_id else None
    if region is None or region.id not in {
            r.id for r in qualification_queries.region_choices(person)}:
        errors["region_id"] = "请选择本人所在城市，省直申报请选择“四川省”"
        return errors
    unit = db.session.get(Organisation, unit_id) if unit_id else None
    if unit is None or not _unit_fits(region, unit):
        errors["unit_id"] = ("省直申报须选择省直备案评价机构" if region.is_province
                             else f"请选择{region.name}的申报单位")
    return errors


def _lock_person(person_id: int) -> None:
    """Serialise one person's creations (PostgreSQL row lock; SQLite's write transaction
    already does), so two tabs cannot both create "the one" application of a card."""
    db.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())


def duplicate_message(existing: RenewalApplication) -> str:
    return (f"证卡 {existing.card.number} 已在{existing.plan.year}年复核换证中申请过"
            f"（{existing.stage_enum.label}），同一证卡每年只能申请一次。")


def create_renewal(*, person: Person, card: Card, plan: RenewalPlan, actor_id: int,
                   today: date, region_id: int | None = None,
                   unit_id: int | None = None) -> RenewalApplication:
    """Create the holder's draft renewal of ``card`` under ``plan``, prefilled from the
    profile (name, gender, education, employer, ID number, mobile, title) and the card.

    The region is the person's city (or 四川省), the unit the person's registered unit,
    unless ``region_id``/``unit_id`` choose others. Refused with :class:`ApplyError` when the
    window is not open, the holder is retired or banned, the card is not renewable under the
    plan, it already has an application under the plan (also when a concurrent request won
    the unique constraint), or no fitting unit is chosen. Audited as ``renewal.save``.
    """
    if card.person_id != person.id:
        raise ApplyError({WHOLE: "只能为本人的证卡申请复核换证。"})
    if plan.closed_at is not None or not plan.window_open(today):
        raise ApplyError({WHOLE: "复核换证报名时间已结束（或尚未开始），不能新建申请。"})
    _lock_person(person.id)
    if existing := open_application(card.id, plan.id):
        raise ApplyError({WHOLE: duplicate_message(existing)})
    if problems := holder_problems(person) + card_problems(card, plan):
        raise ApplyError({WHOLE: "不能申请复核换证：" + "；".join(problems) + "。"})
    region = db.session.get(Region, region_id) if region_id else default_region(person)
    if unit_id is None:
        unit = default_unit(person, region)
        unit_id = unit.id if unit else None
    if errors := _check_place(person, region.id if region else None, unit_id):
        raise ApplyError(errors)
    application = RenewalApplication(
        plan=plan, person=person, card=card, region_id=region.id, unit_id=unit_id,
        stage=RenewalStage.DRAFT.value, name=person.name, gender=person.gender,
        education=person.education or "", employer=person.employer or "",
        id_number=person.id_number, phone=person.mobile or "",
        qualification=(person.title or latest_qualification_text(person.id))[:60],
        specialty=card.occupation.name[:60], specialty_years=None,
        photo_id=person.photo_upload_id)
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        existing = open_application(card.id, plan.id)
        raise ApplyError({WHOLE: duplicate_message(existing) if existing else
                          "该证卡已在本次复核换证中申请过，请刷新页面查看。"}) from None
    record("renewal.save", application, actor_id=actor_id,
           after={"plan_id": plan.id, "card": card.number, **snapshot(application, FIELDS)})
    return application


def save_renewal(application: RenewalApplication, values: Mapping[str, object], *,
                 actor_id: int, today: date) -> RenewalApplication:
    """Save the holder's Attachment 3 data, work summary and declarations.

    Refused with :class:`ApplyError` when the application may not be changed now
    (:func:`edit_problem`) or the region and unit do not fit. A draft may be saved with a
    short summary or without the declarations: :func:`portal.renewals.queries.submission_problems`
    stops the submission. Audited as ``renewal.save`` with the fields before and after.
    """
    if problem := edit_problem(application, today):
        raise ApplyError({WHOLE: problem})
    if errors := _check_place(application.person, values["region_id"], values["unit_id"]):
        raise ApplyError(errors)
    before = snapshot(application, FIELDS)
    for name in FIELDS:
        value = values[name]
        setattr(application, name, value.strip() if isinstance(value, str) else value)
    record("renewal.save", application, actor_id=actor_id, before=before,
           after=snapshot(application, FIELDS))
    return application


def attach_upload(application: RenewalApplication, kind: UploadKind, file: FileStorage, *,
                  actor_id: int, today: date) -> None:
    """Store ``file`` through the upload service as the application's ``kind`` material,
    replacing the previous one (which stays stored, and in the audit trail).

    Raises :class:`portal.uploads.service.UploadRejected` (the service's Chinese message, or
    "only an image" for the photo) and :class:`ApplyError` when the application may not be
    changed; the caller rolls back.
    """
    if problem := edit_problem(application, today):
        raise ApplyError({WHOLE: problem})
    upload = uploads.store(file, actor_id=actor_id)
    if kind.image_only and not upload.is_image:
        raise uploads.UploadRejected(f"{kind.label}须为 JPG 或 PNG 图片")
    before = getattr(application, kind.column)
    setattr(application, kind.column, upload.id)
    record("renewal.upload", application, actor_id=actor_id,
           before={kind.column: before},
           after={kind.column: upload.id, "material": kind.label, "name": upload.original_name})

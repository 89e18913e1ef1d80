"""Reads for the applicant's pages (我的申报): open plans, their own applications, the regions
and units they may choose, the explained eligibility verdict with the records behind it, and
what Attachment 1 prints.

Every application is loaded through :mod:`portal.scope`; an applicant only ever reaches their
own.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import date

from flask import abort
from PIL import Image
from sqlalchemy import select

from portal.applications import apply_rules
from portal.applications.models import Application, ApplicationStep, TrainingPlan
from portal.applications.queries import EligibilityRecords, eligibility_of
from portal.applications.rules import (
    CARD_LEVELS,
    SENIOR_EXAMINER,
    Action,
    Eligibility,
    QualificationLevel,
    Stage,
    TitleLevel,
)
from portal.cards.models import Card, PersonBan
from portal.cards.queries import active_ban
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.pdf import data_uri
from portal.people.models import Person
from portal.scope import can_see, get_visible_or_404, visible_select
from portal.sheets.models import EvaluationSheet
from portal.uploads.models import Upload
from portal.uploads.service import path_for

#: The photo is printed about 2.5 × 3.5 cm; a larger image only makes the PDF heavy.
PHOTO_PIXELS = (300, 420)
#: A photo larger than this (a small file can hold a huge image) is not decoded for the PDF.
MAX_PHOTO_PIXELS = 40_000_000


class PhotoTooLarge(ValueError):
    """The stored photo is too large to print; the message is Chinese."""


def open_plans(today: date) -> list[TrainingPlan]:
    """Published plans whose registration window is open on ``today``, newest first."""
    return list(db.session.scalars(
        select(TrainingPlan)
        .where(TrainingPlan.published_at.is_not(None), TrainingPlan.opens_on <= today,
               TrainingPlan.closes_on >= today)
        .order_by(TrainingPlan.closes_on, TrainingPlan.id)))


def open_plan_or_404(plan_id: int) -> TrainingPlan:
    """A published plan (404 for a draft plan or none); its window is checked by the caller,
    who explains a closed window rather than hiding the plan."""
    plan = db.session.get(TrainingPlan, plan_id)
    if plan is None or plan.published_at is None:
        abort(404)
    return plan


def my_applications(user) -> list[Application]:
    """The user's own applications, newest first (scoped like every application read)."""
    if user.person_id is None:
        return []
    return list(db.session.scalars(
        visible_select(Application, user, Application.person_id == user.person_id)
        .order_by(Application.created_at.desc(), Application.id.desc())))


def own_application_or_404(application_id: int, user) -> Application:
    """The user's own application: 404 when they may not see it, 403 when they may see it
    but are not its applicant (a unit clerk or reviewer uses the detail page instead)."""
    application = get_visible_or_404(Application, application_id, user)
    if user.person_id is None or application.person_id != user.person_id:
        abort(403)
    return application


def region_choices(person: Person) -> list[Region]:
    """The regions a person may file under (notice §五(二)): their own city, and 四川省 for a
    provincial-direct application."""
    province = db.session.scalars(select(Region).where(Region.is_province)).first()
    regions = [] if person.region.is_province else [person.region]
    return regions + ([province] if province is not None else [])


def units_for(region: Region | None) -> list[Organisation]:
    """The units that may recommend an application filed under ``region``
    (:func:`portal.applications.apply_rules.unit_fits_region`), by name."""
    if region is None:
        return []
    stmt = select(Organisation).where(Organisation.active).order_by(Organisation.name)
    if region.is_province:
        stmt = stmt.where(Organisation.provincial_direct)
    else:
        stmt = stmt.where(Organisation.region_id == region.id)
    return list(db.session.scalars(stmt))


def duplicate_of(person_id: int, plan_id: int, level: str,
                 exclude_id: int | None = None) -> Application | None:
    """The person's other application in the plan at ``level`` that still counts (any but a
    withdrawn one), or None."""
    stmt = select(Application).where(
        Application.person_id == person_id, Application.plan_id == plan_id,
        Application.level == level, Application.stage != Stage.WITHDRAWN.value)
    if exclude_id is not None:
        stmt = stmt.where(Application.id != exclude_id)
    return db.session.scalars(stmt.order_by(Application.id)).first()


def last_return(application: Application) -> ApplicationStep | None:
    """The step that sent the application back for correction, when it is back now."""
    if application.stage_enum not in (Stage.RETURNED_BY_UNIT, Stage.RETURNED_BY_REVIEWER):
        return None
    returns = [s for s in application.steps if s.action == Action.RETURN.value
               and s.to_stage == application.stage]
    return returns[-1] if returns else None


# --------------------------------------------------------------------------- eligibility


@dataclass(frozen=True)
class EligibilityView:
    """What the live eligibility panel shows: the verdict with every check, the level it was
    judged for, the records behind a 高级考评员 verdict, and an active ban with its cards."""

    level: str
    verdict: Eligibility
    records: EligibilityRecords | None
    ban: PersonBan | None
    first_sheet: EvaluationSheet | None
    card_visible: bool
    sheet_visible: bool

    @property
    def senior(self) -> bool:
        return self.level == SENIOR_EXAMINER

    @property
    def card(self) -> Card | None:
        return self.records.examiner_card if self.records else None


def first_finalised_sheet(person_id: int) -> EvaluationSheet | None:
    """The person's earliest finalised evaluation sheet (the start of their evaluation work)."""
    return db.session.scalars(
        select(EvaluationSheet)
        .where(EvaluationSheet.person_id == person_id, EvaluationSheet.finalised_at.is_not(None))
        .order_by(EvaluationSheet.finalised_at, EvaluationSheet.id).limit(1)).first()


def eligibility_view(*, user, person_id: int, level: str | None, occupation_id: int | None,
                     qualification_level: int | None, title_level: int | None,
                     today: date) -> EligibilityView | None:
    """The explained verdict for the values on the form, or None until a level is chosen."""
    if level not in CARD_LEVELS:
        return None
    verdict, records = eligibility_of(
        person_id=person_id, level=level, occupation_id=occupation_id,
        qualification_level=qualification_level, title_level=title_level, today=today)
    ban = active_ban(person_id)
    sheet = first_finalised_sheet(person_id) if level == SENIOR_EXAMINER else None
    card = records.examiner_card if records else None
    return EligibilityView(
        level=level, verdict=verdict, records=records, ban=ban, first_sheet=sheet,
        card_visible=card is not None and can_see(Card, card.id, user),
        sheet_visible=sheet is not None and can_see(EvaluationSheet, sheet.id, user))


# --------------------------------------------------------------------------- Attachment 1


def photo_data_uri(upload: Upload | None) -> str | None:
    """The photo, scaled down to :data:`PHOTO_PIXELS`, as a JPEG ``data:`` URI for the PDF;
    None without a photo (or for a PDF upload, which is not a photo). :class:`PhotoTooLarge`
    for an image of more than :data:`MAX_PHOTO_PIXELS`."""
    if upload is None or not upload.is_image:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on odd but valid metadata
        with Image.open(path_for(upload.sha256)) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise PhotoTooLarge("照片像素过大，无法打印在申报表上，请重新上传较小的照片。")
            image.draft("RGB", PHOTO_PIXELS)  # JPEG: decode at a reduced size
            image = image.convert("RGB")
            image.thumbnail(PHOTO_PIXELS)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85)
    return data_uri(out.getvalue(), "image/jpeg")


def attachment1_context(application: Application, today: date) -> dict:
    """Everything ``pdf/attachment1.html`` prints: the application, the person's Attachment 1
    data, the levels held in words, and the photo (the application's, else the profile's)."""
    person = application.person
    photo = application.photo or (db.session.get(Upload, person.photo_upload_id)
                                  if person.photo_upload_id else None)
    return {
        "application": application,
        "person": person,
        "qualification_label": (QualificationLevel(application.qualification_level).label
                                if application.qualification_level else ""),
        "title_label": (TitleLevel(application.title_level).label
                        if application.title_level else ""),
        "photo_uri": photo_data_uri(photo),
        "filled_on": today,
    }


def profile_gaps(application: Application) -> list[str]:
    """What the printed Attachment 1 would leave blank (see
    :func:`portal.applications.apply_rules.profile_gaps`)."""
    person = application.person
    profile = {key: getattr(person, key) for key, _ in apply_rules.PROFILE_PRINTED}
    return apply_rules.profile_gaps(
        profile, has_photo=bool(application.photo_id or person.photo_upload_id))

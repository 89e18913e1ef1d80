"""Reads for the holder's renewal pages (复核换证, notice §三): their cards with whether and
why each may be renewed under the plan in force, their renewal applications, who holds one
now, the timeline's names and what Attachment 3 prints.

Every renewal application is loaded through :mod:`portal.scope`; a holder only ever reaches
their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applications.apply_queries import photo_data_uri
from portal.applications.models import Application
from portal.applications.review import province_name
from portal.applications.review_rules import Held, office_name, workdays_held
from portal.cards.models import Card
from portal.extensions import db
from portal.people.models import Person
from portal.renewals.models import RenewalApplication, RenewalPlan, RenewalStep
from portal.renewals.queries import card_renewable, holder_problems
from portal.renewals.rules import (
    MIN_WORK_SUMMARY,
    RENEWAL_HOLDERS,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
    work_summary_length,
)
from portal.scope import get_visible_or_404, visible_select
from portal.timeutil import cn_date, to_local
from portal.uploads.models import Upload
from portal.workdays import WorkdayCalendar

__all__ = [
    "CardRow",
    "Holding",
    "SummaryCount",
    "TIMELINE_NAMES",
    "attachment3_context",
    "card_rows",
    "holding",
    "last_return",
    "my_renewals",
    "own_renewal_or_404",
    "reminder",
    "summary_count",
]


# --------------------------------------------------------------------------- cards


def card_problems(card: Card, plan: RenewalPlan) -> list[str]:
    """Why ``card`` itself may not be renewed under ``plan`` (Chinese), read from the card's
    recorded dates; empty when :func:`portal.renewals.queries.card_renewable` says it may."""
    if card_renewable(card, plan):
        return []
    if card.superseded_on is not None:
        return [f"已于{cn_date(card.superseded_on)}换发新证"]
    if card.revoked_on is not None:
        return [f"证卡已于{cn_date(card.revoked_on)}注销"]
    if card.voided_on is not None:
        return [f"证卡已于{cn_date(card.voided_on)}作废（逾期未领取）"]
    if card.collected_on is None:
        return ["证卡尚未领取"]
    if card.valid_until > plan.expiry_cutoff:
        return [f"有效期至{cn_date(card.valid_until)}，本次复核只受理"
                f"{cn_date(plan.expiry_cutoff)}前（含）届满的证卡"]
    return ["同一职业（工种）已有更新的证卡，请以新证卡为准"]


@dataclass(frozen=True)
class CardRow:
    """One of the holder's cards on the renewal page: whether it may be renewed under the
    plan in force, why not, and its application under that plan (if any)."""

    card: Card
    problems: list[str]
    application: RenewalApplication | None

    @property
    def renewable(self) -> bool:
        return not self.problems


def card_rows(person: Person, plan: RenewalPlan | None) -> list[CardRow]:
    """Every card of ``person``, newest first, judged against ``plan`` (the holder's own
    conditions — retired, banned — are reported on every card, as they stop each one)."""
    cards = db.session.scalars(
        select(Card).where(Card.person_id == person.id)
        .options(selectinload(Card.occupation))
        .order_by(Card.issued_on.desc(), Card.id.desc())).all()
    if plan is None:
        return [CardRow(c, ["本年度复核换证计划尚未发布"], None) for c in cards]
    applied = {a.card_id: a for a in db.session.scalars(
        select(RenewalApplication).where(RenewalApplication.plan_id == plan.id,
                                         RenewalApplication.person_id == person.id))}
    holder = holder_problems(person)
    return [CardRow(c, holder + card_problems(c, plan), applied.get(c.id)) for c in cards]


# --------------------------------------------------------------------------- applications


def my_renewals(user) -> list[RenewalApplication]:
    """The user's own renewal applications, newest first (scoped like every renewal read)."""
    if user.person_id is None:
        return []
    return list(db.session.scalars(
        visible_select(RenewalApplication, user,
                       RenewalApplication.person_id == user.person_id)
        .options(selectinload(RenewalApplication.card).selectinload(Card.occupation),
                 selectinload(RenewalApplication.plan), selectinload(RenewalApplication.unit))
        .order_by(RenewalApplication.created_at.desc(), RenewalApplication.id.desc())))


def own_renewal_or_404(application_id: int, user) -> RenewalApplication:
    """The user's own renewal application: 404 when they may not see it, 403 when they may
    see it but are not its holder (the unit and reviewers work on their own pages)."""
    application = get_visible_or_404(RenewalApplication, application_id, user)
    if user.person_id is None or application.person_id != user.person_id:
        abort(403)
    return application


def last_return(application: RenewalApplication) -> RenewalStep | None:
    """The step that sent the application back for correction, when it is back now."""
    if application.stage_enum not in (RenewalStage.RETURNED_BY_UNIT,
                                      RenewalStage.RETURNED_BY_REVIEWER):
        return None
    returns = [s for s in application.steps if s.action == RenewalAction.RETURN.value
               and s.to_stage == application.stage]
    return returns[-1] if returns else None


@dataclass(frozen=True)
class Holding:
    """Who holds a renewal application now, since when, for how many working days (the
    shape ``applications/_timeline.html`` reads)."""

    capacity: RenewalCapacity | None
    office: str | None
    since: datetime
    held: Held | None


def holding(application: RenewalApplication, *, today: date,
            calendar: WorkdayCalendar | None = None, province: str | None = None) -> Holding:
    """Where ``application`` waits (DESIGN.md "Who holds it, for how long"): the holder, the
    unit, the city centre (or for 四川省 the provincial-direct unit) or the province.
    A list passes ``calendar`` and ``province`` (its name) once for all its rows."""
    capacity = RENEWAL_HOLDERS.get(application.stage_enum)
    if capacity is None:
        return Holding(None, None, application.stage_since, None)
    office = office_name(capacity.value, person_name=application.person.name,
                         unit_name=application.unit.name, region_name=application.region.name,
                         region_is_province=application.region.is_province,
                         province_name=province or province_name())
    held = workdays_held(to_local(application.stage_since).date(), today,
                         calendar or WorkdayCalendar())
    return Holding(capacity, office, application.stage_since, held)


def _label(enum):
    def name(code: str | None) -> str:
        try:
            return enum(code).label
        except ValueError:
            return code or ""
    return name


#: The names ``applications/_timeline.html`` prints for a renewal step (pass as
#: ``timeline_names``): the action, the capacity it was taken in, and the stages.
TIMELINE_NAMES = {"action": _label(RenewalAction), "capacity": _label(RenewalCapacity),
                  "stage": _label(RenewalStage)}


def steps_of(application: RenewalApplication) -> list[RenewalStep]:
    return list(db.session.scalars(
        select(RenewalStep).where(RenewalStep.application_id == application.id)
        .options(selectinload(RenewalStep.actor)).order_by(RenewalStep.id)))


# --------------------------------------------------------------------------- the summary


@dataclass(frozen=True)
class SummaryCount:
    """The live count under the work summary: characters as the notice counts them
    (:func:`portal.renewals.rules.work_summary_length`) against the minimum."""

    length: int
    minimum: int = MIN_WORK_SUMMARY

    @property
    def ok(self) -> bool:
        return self.length >= self.minimum

    @property
    def missing(self) -> int:
        return max(0, self.minimum - self.length)


def summary_count(text: str | None) -> SummaryCount:
    return SummaryCount(work_summary_length(text or ""))


# --------------------------------------------------------------------------- reminder


@dataclass(frozen=True)
class Reminder:
    """The home-page line for a holder while renewal registration is open."""

    plan: RenewalPlan
    cards: list[Card] = field(default_factory=list)
    not_applied: int = 0


def reminder(person: Person | None, plan: RenewalPlan | None, today: date) -> Reminder | None:
    """A reminder when ``plan``'s window is open on ``today`` and ``person`` has a card they
    may renew under it; None otherwise."""
    if person is None or plan is None or not plan.window_open(today):
        return None
    rows = [r for r in card_rows(person, plan) if r.renewable]
    if not rows:
        return None
    return Reminder(plan, [r.card for r in rows],
                    sum(1 for r in rows if r.application is None))


# --------------------------------------------------------------------------- Attachment 3


def latest_qualification_text(person_id: int) -> str:
    """The certificate text of the person's latest qualification application (a prefill for
    职业资格等级或技术职称 when the profile has no title)."""
    return db.session.scalar(
        select(Application.qualification_text)
        .where(Application.person_id == person_id, Application.qualification_text != "")
        .order_by(Application.created_at.desc(), Application.id.desc()).limit(1)) or ""


#: The longest piece of a summary paragraph printed as one PDF paragraph (about eight lines).
PRINT_PIECE = 360
_SENTENCE_ENDS = "。！？；!?;"
_CLAUSE_ENDS = "，、：,:"


def print_pieces(paragraph: str, limit: int = PRINT_PIECE) -> list[str]:
    """``paragraph`` cut into pieces of at most ``limit`` characters, at a sentence end where
    one lies in the last two thirds of the piece, else at a clause end, else at ``limit``.

    xhtml2pdf 0.2.28 splits a paragraph across a page break once, but fails ("Splitting
    error") on a paragraph that still does not fit after that split; a holder may paste a
    1500-character summary as one paragraph. Pieces this short split at most once. Joining
    the pieces gives the paragraph back.
    """
    pieces = []
    while len(paragraph) > limit:
        window = paragraph[:limit]
        cut = max(window.rfind(ch) for ch in _SENTENCE_ENDS)
        if cut < limit // 3:
            cut = max(window.rfind(ch) for ch in _CLAUSE_ENDS)
        if cut < limit // 3:
            cut = limit - 1
        pieces.append(paragraph[:cut + 1])
        paragraph = paragraph[cut + 1:]
    if paragraph:
        pieces.append(paragraph)
    return pieces


def attachment3_context(application: RenewalApplication, today: date) -> dict:
    """Everything ``pdf/attachment3.html`` prints: the application's Attachment 3 data, the
    card, the photo (the application's, else the profile's) and the work summary as
    paragraphs (xhtml2pdf drops ``<br>`` under CJK wrapping), each a list of
    :func:`print_pieces`."""
    person = application.person
    photo = application.photo or (db.session.get(Upload, person.photo_upload_id)
                                  if person.photo_upload_id else None)
    paragraphs = [line.strip() for line in (application.work_summary or "").splitlines()]
    return {
        "application": application,
        "card": application.card,
        "photo_uri": photo_data_uri(photo),
        "paragraphs": [print_pieces(p) for p in paragraphs if p],
        "summary_length": work_summary_length(application.work_summary or ""),
        "filled_on": today,
    }

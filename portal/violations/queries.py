"""Scoped reads of the violations register: the list with its filters, the examiners and
batches a recorder may choose, an examiner's records (the registry page and their own page),
and a record's history from the audit trail.

Every list starts from :func:`portal.scope.visible` on :class:`Violation`; out-of-scope
records are never listed and their pages answer 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.batches.models import Assignment, EvaluationBatch
from portal.cards.models import Card
from portal.catalogue.models import Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.renewals.models import VIOLATION_STATUSES, Violation
from portal.scope import visible
from portal.violations.rules import KINDS, RecorderCapacity, recorder_capacity

#: How many people the examiner search shows at most.
PICKER_LIMIT = 20


# --- the list ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The list's filters, as given in the query string (unknown values are ignored)."""

    status: str = ""
    kind: str = ""
    q: str = ""
    region: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        status = args.get("status", "")
        kind = args.get("kind", "")
        region = args.get("region", "")
        return cls(status=status if status in VIOLATION_STATUSES else "",
                   kind=kind if kind in KINDS else "",
                   q=(args.get("q") or "").strip()[:40],
                   region=region if region.isdigit() else "")

    def args(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them (the pager)."""
        return {k: v for k, v in asdict(self).items() if v}


def sees_every_city(viewer: User) -> bool:
    """Whether the list offers the city filter: the province (and the admin)."""
    return viewer.has_role("province", "admin")


def _person_match(viewer: User, q: str) -> ColumnElement[bool]:
    """Name contains ``q``; or the ID number: any prefix for the province and city centres,
    the whole number for the others (as the registry search: a prefix search over masked
    numbers would reveal birth dates)."""
    conds = [Person.name.contains(q, autoescape=True)]
    number = q.upper()
    if viewer.has_role("province", "city", "admin"):
        conds.append(Person.id_number.startswith(number, autoescape=True))
    elif len(number) == 18:
        conds.append(Person.id_number == number)
    return or_(*conds)


def list_select(viewer: User, f: Filters) -> Select:
    """``select(Violation)`` of what ``viewer`` may see, filtered; the records waiting for a
    decision first, then the latest first."""
    stmt = (select(Violation).join(Person, Person.id == Violation.person_id)
            .where(visible(Violation, viewer))
            .options(joinedload(Violation.person).joinedload(Person.region),
                     joinedload(Violation.batch), joinedload(Violation.reporter_org),
                     joinedload(Violation.reporter_region)))
    if f.status:
        stmt = stmt.where(Violation.status == f.status)
    if f.kind:
        stmt = stmt.where(Violation.kind == f.kind)
    if f.q:
        stmt = stmt.where(_person_match(viewer, f.q))
    if f.region and sees_every_city(viewer):
        stmt = stmt.where(Person.region_id == int(f.region))
    waiting_first = case((Violation.status == "reported", 0), else_=1)
    return stmt.order_by(waiting_first, Violation.occurred_on.desc(), Violation.id.desc())


def counts_by_status(viewer: User) -> dict[str, int]:
    """How many records ``viewer`` may see in each status (the chips of the list)."""
    rows = db.session.execute(
        select(Violation.status, func.count()).where(visible(Violation, viewer))
        .group_by(Violation.status))
    counts = dict.fromkeys(VIOLATION_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def city_choices() -> list[Region]:
    """The cities of the province's filter, in their official order."""
    return list(db.session.scalars(
        select(Region).where(~Region.is_province).order_by(Region.sort_order)))


# --- what a recorder may choose ------------------------------------------------------------------

def _rated_batches(user: User) -> ColumnElement[bool]:
    return or_(EvaluationBatch.site_lead_id == user.id, EvaluationBatch.supervisor_id == user.id)


def recorder_batches(user: User) -> ColumnElement[bool]:
    """The batches ``user`` may attach a record to (:func:`portal.violations.rules.
    batch_capacity` in SQL): all for the province, those of the city centre's city, the
    unit's own, and the batches the user rates."""
    if user.has_role("province"):
        return true()
    conds = [_rated_batches(user)]
    if user.has_role("city") and user.region_id:
        conds.append(EvaluationBatch.organisation_id.in_(
            select(Organisation.id).where(Organisation.region_id == user.region_id)))
    if user.has_role("unit") and user.organisation_id:
        conds.append(EvaluationBatch.organisation_id == user.organisation_id)
    return or_(*conds)


def _assigned_in(batches: ColumnElement[bool]) -> ColumnElement[bool]:
    return Person.id.in_(select(Assignment.person_id)
                         .join(EvaluationBatch, EvaluationBatch.id == Assignment.batch_id)
                         .where(batches))


def examiner_condition(user: User) -> ColumnElement[bool]:
    """The examiners ``user`` may record against: card holders they may see (a unit its own
    people, a city centre those of its city, the province everyone) and anyone assigned to a
    batch they may attach records to (a unit may report an examiner from another unit who
    worked in its batch). A batch's rater: only the examiners of the batches they rate."""
    capacity = recorder_capacity(user)
    if capacity is None:
        return false()
    if user.has_role("province"):
        return exists().where(Card.person_id == Person.id)
    conds = [_assigned_in(recorder_batches(user))]
    if capacity is RecorderCapacity.FULL:
        conds.append(and_(visible(Person, user), exists().where(Card.person_id == Person.id)))
    return or_(*conds)


def may_record_against(user: User, person_id: int) -> bool:
    return db.session.scalar(
        select(Person.id).where(Person.id == person_id, examiner_condition(user))) is not None


def find_examiners(user: User, q: str, batch: EvaluationBatch | None = None) -> list[Person]:
    """The examiner search of the form: with a batch, the examiners assigned to it (``q``
    narrows them); without, the examiners ``user`` may record against whose name contains
    ``q`` or whose ID number starts with it (as :func:`portal.cards.queries.find_people`)."""
    q = (q or "").strip()
    stmt = select(Person).options(joinedload(Person.region))
    if batch is not None:
        stmt = stmt.where(Person.id.in_(
            select(Assignment.person_id).where(Assignment.batch_id == batch.id)))
    elif not q:
        return []
    else:
        stmt = stmt.where(examiner_condition(user))
    if q:
        stmt = stmt.where(or_(Person.name.contains(q, autoescape=True),
                              Person.id_number.startswith(q.upper(), autoescape=True)))
    return list(db.session.scalars(stmt.order_by(Person.name, Person.id).limit(PICKER_LIMIT)))


def batch_options(user: User, person_id: int | None) -> list[EvaluationBatch]:
    """The batches the examiner was assigned to that ``user`` may attach a record to, the
    latest first (the batch drop-down once an examiner is chosen)."""
    if not person_id:
        return []
    return list(db.session.scalars(
        select(EvaluationBatch)
        .where(recorder_batches(user), EvaluationBatch.id.in_(
            select(Assignment.batch_id).where(Assignment.person_id == person_id)))
        .options(joinedload(EvaluationBatch.organisation),
                 joinedload(EvaluationBatch.occupation))
        .order_by(EvaluationBatch.first_date.desc(), EvaluationBatch.id.desc()).limit(100)))


def was_assigned(person_id: int, batch_id: int) -> bool:
    return db.session.scalar(select(Assignment.id).where(
        Assignment.person_id == person_id, Assignment.batch_id == batch_id)) is not None


def province_region() -> Region | None:
    """The 四川省 row: the region recorded for a record made by the province."""
    return db.session.scalar(select(Region).where(Region.is_province))


# --- an examiner's records -----------------------------------------------------------------------

def of_person(person_id: int, viewer: User) -> list[Violation]:
    """The examiner's records that ``viewer`` may see (the examiner themself: the decided
    ones), the latest first."""
    return list(db.session.scalars(
        select(Violation).where(Violation.person_id == person_id, visible(Violation, viewer))
        .options(joinedload(Violation.batch))
        .order_by(Violation.occurred_on.desc(), Violation.id.desc())))


def history(violation: Violation) -> list[AuditEvent]:
    """The record's audit events, oldest first: its creation and every decision (a
    province correction adds a new one; none is overwritten)."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "violation",
                                 AuditEvent.entity_id == str(violation.id))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)))

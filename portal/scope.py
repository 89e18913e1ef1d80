"""Who may see what: every scoped read in the app goes through this module.

Each record type has one predicate builder ``(user) -> SQL condition``; a user with several
roles sees the union of what each role sees. Views load records with
:func:`get_visible_or_404` (out of scope → 404, never revealing existence) and list them with
:func:`visible_select`. Forbidden *actions* on visible records are the views' 403s.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from portal.applications.models import Application, ApplicationStep, SummaryTable
from portal.applications.rules import Stage
from portal.auth.models import User
from portal.auth.roles import Role
from portal.batches.models import EvaluationBatch
from portal.cards.models import Card
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.renewals.models import (
    RenewalApplication,
    RenewalStep,
    RenewalSummaryTable,
    Violation,
)
from portal.renewals.rules import RenewalStage
from portal.sheets.models import EvaluationSheet

M = TypeVar("M")
Predicate = Callable[[User], ColumnElement[bool]]


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not conditions:
        return false()
    return or_(*conditions)


def _orgs(user: User) -> ColumnElement[bool]:
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = []
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(Organisation.region_id == user.region_id)
    if user.has_role(Role.UNIT, Role.SITE_LEAD) and user.organisation_id:
        conds.append(Organisation.id == user.organisation_id)
    return _any(conds)


def _users(user: User) -> ColumnElement[bool]:
    if user.has_role(Role.ADMIN):
        return true()
    conds = [User.id == user.id]
    if user.has_role(Role.PROVINCE):
        conds.append(true())
    if user.has_role(Role.CITY) and user.region_id:
        in_city_orgs = select(Organisation.id).where(Organisation.region_id == user.region_id)
        conds.append(or_(User.region_id == user.region_id, User.organisation_id.in_(in_city_orgs)))
    if user.has_role(Role.UNIT, Role.SITE_LEAD) and user.organisation_id:
        conds.append(User.organisation_id == user.organisation_id)
    return _any(conds)


def _people(user: User) -> ColumnElement[bool]:
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = []
    if user.person_id:
        conds.append(Person.id == user.person_id)
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(Person.region_id == user.region_id)
    if user.has_role(Role.UNIT, Role.SITE_LEAD) and user.organisation_id:
        conds.append(Person.organisation_id == user.organisation_id)
    return _any(conds)


def _cards(user: User) -> ColumnElement[bool]:
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    return Card.person_id.in_(select(Person.id).where(_people(user)))


def _batches(user: User) -> ColumnElement[bool]:
    """The batch's institution, the city centre of its city, the province, and its raters."""
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = [EvaluationBatch.supervisor_id == user.id, EvaluationBatch.site_lead_id == user.id]
    if user.has_role(Role.CITY) and user.region_id:
        in_city = select(Organisation.id).where(Organisation.region_id == user.region_id)
        conds.append(EvaluationBatch.organisation_id.in_(in_city))
    if user.has_role(Role.UNIT, Role.SITE_LEAD) and user.organisation_id:
        conds.append(EvaluationBatch.organisation_id == user.organisation_id)
    return _any(conds)


def _sheets(user: User) -> ColumnElement[bool]:
    """Sheets of visible batches, and an examiner's own sheets once final."""
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = [EvaluationSheet.batch_id.in_(select(EvaluationBatch.id).where(_batches(user)))]
    if user.person_id:
        conds.append(and_(EvaluationSheet.person_id == user.person_id,
                          EvaluationSheet.finalised_at.is_not(None)))
    return _any(conds)


def _applications(user: User) -> ColumnElement[bool]:
    """The applicant's own; once submitted, the recommending unit's (which, for 四川省, is the
    provincial-direct institution doing the initial review), those of the city centre's city,
    and all for the province."""
    if user.has_role(Role.ADMIN):
        return true()
    conds = []
    if user.person_id:
        conds.append(Application.person_id == user.person_id)
    submitted = Application.stage != Stage.DRAFT.value
    if user.has_role(Role.PROVINCE):
        conds.append(submitted)
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(and_(submitted, Application.region_id == user.region_id))
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(and_(submitted, Application.unit_id == user.organisation_id))
    return _any(conds)


def _steps(user: User) -> ColumnElement[bool]:
    return ApplicationStep.application_id.in_(select(Application.id).where(_applications(user)))


def _summary_tables(user: User) -> ColumnElement[bool]:
    """The reviewing office's own tables; all of them for the province."""
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = []
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(and_(SummaryTable.region_id == user.region_id,
                          SummaryTable.reviewer_org_id.is_(None)))
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(SummaryTable.reviewer_org_id == user.organisation_id)
    return _any(conds)


def _renewals(user: User) -> ColumnElement[bool]:
    """The holder's own; once submitted, the unit's (for 四川省 the provincial-direct
    institution that also reviews), those of the city centre's city, all for the province."""
    if user.has_role(Role.ADMIN):
        return true()
    conds = []
    if user.person_id:
        conds.append(RenewalApplication.person_id == user.person_id)
    submitted = RenewalApplication.stage != RenewalStage.DRAFT.value
    if user.has_role(Role.PROVINCE):
        conds.append(submitted)
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(and_(submitted, RenewalApplication.region_id == user.region_id))
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(and_(submitted, RenewalApplication.unit_id == user.organisation_id))
    return _any(conds)


def _renewal_steps(user: User) -> ColumnElement[bool]:
    return RenewalStep.application_id.in_(
        select(RenewalApplication.id).where(_renewals(user)))


def _renewal_summary_tables(user: User) -> ColumnElement[bool]:
    """The reviewing office's own tables; all of them for the province."""
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = []
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(and_(RenewalSummaryTable.region_id == user.region_id,
                          RenewalSummaryTable.reviewer_org_id.is_(None)))
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(RenewalSummaryTable.reviewer_org_id == user.organisation_id)
    return _any(conds)


def _violations(user: User) -> ColumnElement[bool]:
    """The province all; a city centre those of examiners of its city and those it recorded;
    a unit those it recorded and those in its own batches; an examiner their own once
    decided (confirmed or dismissed); whoever recorded one (a batch's rater reporting an
    incident) that record."""
    if user.has_role(Role.ADMIN, Role.PROVINCE):
        return true()
    conds = [Violation.reported_by_id == user.id]
    if user.person_id:
        conds.append(and_(Violation.person_id == user.person_id,
                          Violation.status != "reported"))
    if user.has_role(Role.CITY) and user.region_id:
        conds.append(or_(
            Violation.person_id.in_(select(Person.id).where(Person.region_id == user.region_id)),
            Violation.reporter_region_id == user.region_id))
    if user.has_role(Role.UNIT) and user.organisation_id:
        conds.append(or_(
            Violation.reporter_org_id == user.organisation_id,
            Violation.batch_id.in_(select(EvaluationBatch.id).where(
                EvaluationBatch.organisation_id == user.organisation_id))))
    return _any(conds)


_PREDICATES: dict[type, Predicate] = {
    RenewalApplication: _renewals,
    RenewalStep: _renewal_steps,
    RenewalSummaryTable: _renewal_summary_tables,
    Violation: _violations,
    Application: _applications,
    ApplicationStep: _steps,
    SummaryTable: _summary_tables,
    Organisation: _orgs,
    User: _users,
    Person: _people,
    Card: _cards,
    EvaluationBatch: _batches,
    EvaluationSheet: _sheets,
}


def visible(model: type, user: User) -> ColumnElement[bool]:
    """The SQL condition selecting the rows of ``model`` that ``user`` may see."""
    return _PREDICATES[model](user)


def visible_select(model: type[M], user: User, *extra: Any) -> Select[tuple[M]]:
    """``select(model)`` restricted to what ``user`` may see."""
    return select(model).where(visible(model, user), *extra)


def get_visible_or_404(model: type[M], record_id: int, user: User) -> M:
    """Load one record the user may see, or answer 404 (whether it exists or not)."""
    obj = db.session.scalars(
        select(model).where(model.id == record_id, visible(model, user))  # type: ignore[attr-defined]
    ).first()
    if obj is None:
        abort(404)
    return obj


def can_see(model: type, record_id: int, user: User) -> bool:
    """True when ``user`` may see the record (for rules such as who may download a file)."""
    stmt = select(model.id).where(model.id == record_id, visible(model, user))  # type: ignore[attr-defined]
    return db.session.scalar(stmt) is not None

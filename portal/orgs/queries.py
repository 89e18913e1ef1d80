"""Scoped read queries for organisations."""

from sqlalchemy import Select, func, select

from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.scope import visible


def search_orgs(viewer: User, *, q: str = "", region: str = "", org_type: str = "") -> Select:
    stmt = select(Organisation).where(visible(Organisation, viewer))
    if q:
        stmt = stmt.where(Organisation.name.ilike(f"%{q.strip()}%"))
    if region.isdigit():
        stmt = stmt.where(Organisation.region_id == int(region))
    if org_type:
        stmt = stmt.where(Organisation.org_type == org_type)
    return stmt.order_by(Organisation.region_id, Organisation.name)


def org_users(org: Organisation, viewer: User) -> list[User]:
    stmt = select(User).where(User.organisation_id == org.id, visible(User, viewer))
    return list(db.session.scalars(stmt.order_by(User.username)))


def org_people_count(org: Organisation) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Person).where(Person.organisation_id == org.id)
    )

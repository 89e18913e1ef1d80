"""Factories for test records and helpers that act like a browser (CSRF token, login).

Tests import these directly: ``from factories import create_org, login``.
"""

import re
from datetime import date, timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.catalogue.models import Occupation, Region
from portal.extensions import db
from portal.orgs.models import Organisation

PASSWORD = "Test@2026x"


def region(name: str) -> Region:
    return db.session.scalars(select(Region).where(Region.name == name)).one()


def occupation(name: str) -> Occupation:
    return db.session.scalars(select(Occupation).where(Occupation.name == name)).one()


def create_org(name: str = "成都测试评价中心", city: str = "成都市", **kw) -> Organisation:
    org = Organisation(name=name, org_type=kw.pop("org_type", "institution"),
                       region=region(city), **kw)
    db.session.add(org)
    db.session.commit()
    return org


def create_user(username: str, roles=("applicant",), *, city: str | None = None,
                org: Organisation | None = None, password: str = PASSWORD,
                must_change: bool = False, person=None, **kw) -> User:
    user = User(username=username, display_name=kw.pop("display_name", f"测试{username}"),
                region=region(city) if city else None, organisation=org, **kw)
    user.set_password(password, temporary=must_change)
    user.set_roles(set(roles))
    if person is not None:
        user.person_id = person.id
    db.session.add(user)
    db.session.commit()
    return user


def create_person(name: str = "张三", city: str = "成都市", *, org=None, seq: int = 1, **kw):
    from portal.people.idcard import make_id_number
    from portal.people.models import Person

    rg = region(city)
    person = Person(
        name=name, gender=kw.pop("gender", "男"),
        id_number=kw.pop("id_number", make_id_number(rg.code[:4] + "04", date(1980, 5, 6), seq)),
        region=rg, organisation=org, employer=org.name if org else "某公司", **kw,
    )
    db.session.add(person)
    db.session.commit()
    return person


def create_card(person, *, occupation_name="电工", issued_on: date | None = None,
                collected: bool = True, number: str | None = None, level="考评员"):
    from portal.cards.models import Card
    from portal.cards.numbering import format_card_number
    from portal.cards.rules import valid_until
    from portal.workdays import deadline_after_workdays

    issued_on = issued_on or date(2025, 3, 2)
    deadline = deadline_after_workdays(issued_on, 60)
    card = Card(
        number=number or format_card_number(issued_on.year, person.id * 10 + 1),
        person=person, occupation=occupation(occupation_name), level=level,
        issued_on=issued_on, valid_until=valid_until(issued_on),
        collection_deadline=deadline.day, deadline_provisional=deadline.provisional,
        collected_on=issued_on + timedelta(days=5) if collected else None,
    )
    db.session.add(card)
    db.session.commit()
    return card


# The scope each role gets when a test logs in as it.
ROLE_SCOPE = {
    "city": {"city": "成都市"},
    "unit": {"org": "成都测试评价中心"},
    "site_lead": {"org": "成都测试评价中心"},
}


def csrf_in(html: str) -> str:
    """The CSRF token a page gives the browser (hidden field or <body hx-headers>)."""
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert m, "no CSRF token on the page"
    return m.group(1)


def get_csrf(client, path: str = "/login") -> str:
    """The CSRF token of the page at ``path``."""
    return csrf_in(client.get(path).get_data(as_text=True))


def login(client, username: str, password: str = PASSWORD):
    token = get_csrf(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def default_org() -> Organisation:
    """The unit's 成都测试评价中心, created on first use."""
    return db.session.scalars(
        select(Organisation).where(Organisation.name == "成都测试评价中心")
    ).first() or create_org()


def create_batch(org=None, *, days=(date(2026, 6, 10),), occupation_name="电工", level=4,
                 site_lead=None, supervisor=None, number=None, site="成都市某考点",
                 candidates=30):
    """An evaluation batch of ``org`` (default: the unit's 成都测试评价中心) on ``days``."""
    from sqlalchemy import func

    from portal.batches.models import BatchDate, EvaluationBatch

    org = org or default_org()
    days = sorted(days)
    if number is None:
        count = db.session.scalar(select(func.count()).select_from(EvaluationBatch))
        number = f"KP{days[0].year}-{org.region.code[:4]}-{9000 + count + 1:04d}"
    batch = EvaluationBatch(
        number=number, organisation=org, occupation=occupation(occupation_name), level=level,
        site=site, candidates=candidates, first_date=days[0], last_date=days[-1],
        site_lead_id=site_lead.id if site_lead else None,
        supervisor_id=supervisor.id if supervisor else None,
        dates=[BatchDate(day=d) for d in days],
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def create_assignment(batch, card, *, answer="pending", with_sheet=None, **kw):
    """``card``'s holder assigned to ``batch``; an accepted one gets its sheet unless
    ``with_sheet`` is False."""
    from portal.batches.models import Assignment

    assignment = Assignment(batch=batch, person_id=card.person_id, card=card, answer=answer,
                            **kw)
    db.session.add(assignment)
    db.session.flush()
    if with_sheet or (with_sheet is None and answer == "accepted"):
        from portal.sheets.operations import create_sheet

        create_sheet(assignment)
    db.session.commit()
    return assignment

"""Factories for training plans and applications, built from the models directly."""

from datetime import date

from factories import create_org, create_person, create_user, occupation, region

from portal.applications.models import Application, TrainingPlan
from portal.extensions import db
from portal.timeutil import utcnow


def create_plan(year=2026, *, opens_on=date(2026, 3, 1), closes_on=date(2026, 12, 31),
                levels="考评员,高级考评员", occupations=("电工", "焊工"), published=True,
                places=200, mode="central") -> TrainingPlan:
    plan = TrainingPlan(year=year, title=f"{year}年考评员资格培训", levels=levels,
                        opens_on=opens_on, closes_on=closes_on, mode=mode, places=places,
                        published_at=utcnow() if published else None,
                        occupations=[occupation(n) for n in occupations])
    db.session.add(plan)
    db.session.commit()
    return plan


def an_upload():
    """A small stored PNG (the upload service checks content), for any upload field."""
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from portal.uploads import service

    out = io.BytesIO()
    Image.new("RGB", (30, 40), (200, 200, 200)).save(out, "PNG")
    return service.store(FileStorage(io.BytesIO(out.getvalue()), filename="材料.png"))


def create_application(plan, *, person=None, city="成都市", unit=None, level="考评员",
                       occupation_name="电工", stage="draft", qualification_level=3,
                       seq=51, complete=True) -> Application:
    """An application of ``person`` (default: a new 成都市 person) in ``stage``; a 四川省
    application goes to a provincial-direct institution by default. ``complete`` attaches
    every upload a submission needs."""
    if unit is None:
        unit = (create_org("四川省直测试评价机构", "四川省", provincial_direct=True)
                if city == "四川省" else create_org("成都测试推荐单位", "成都市"))
    person = person or create_person("申请人甲", "成都市" if city == "四川省" else city, seq=seq)
    application = Application(plan=plan, person=person, level=level,
                              occupation=occupation(occupation_name), region=region(city),
                              unit=unit, qualification_level=qualification_level,
                              stage=stage)
    if complete:
        upload = an_upload()
        application.id_copy_id = application.certificate_copy_id = upload.id
        application.photo_id = application.signed_form_id = upload.id
        if level == "高级考评员":
            application.card_copy_id = upload.id
    db.session.add(application)
    db.session.commit()
    return application


def applicant_user(application, username="applicant1"):
    return create_user(username, ["applicant"], person=application.person)


def create_quota(plan, unit, base=10, absences=0):
    """A unit's quota line in ``plan`` (``base - absences`` places)."""
    from portal.applications.models import UnitQuota

    quota = UnitQuota(plan=plan, organisation=unit, base=base, absences=absences)
    db.session.add(quota)
    db.session.commit()
    return quota


def open_plan(**kw):
    """A published plan whose registration window is open today (a month either side)."""
    from datetime import timedelta

    from portal.timeutil import local_today

    today = local_today()
    kw.setdefault("opens_on", today - timedelta(days=30))
    kw.setdefault("closes_on", today + timedelta(days=30))
    return create_plan(today.year, **kw)


def client_as(app, user):
    """A new test client logged in as ``user`` (tests acting as several people at once)."""
    from factories import login

    client = app.test_client()
    response = login(client, user.username)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def act(client, application_id, action, comment="", reasons=(), stage=None):
    """POST a move from the application page as a browser would: with the page's CSRF token
    and the stage the page showed (``stage`` overrides it)."""
    import re

    from factories import csrf_in

    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    shown = re.search(r'name="stage" type="hidden" value="([^"]*)"', page) or re.search(
        r'name="stage" value="([^"]*)"', page)
    data = {"csrf_token": csrf_in(page), "action": action, "comment": comment,
            "reasons": list(reasons), "stage": stage or (shown.group(1) if shown else "")}
    return client.post(f"/applications/{application_id}/act", data=data)


def create_session(plan, *, starts_on=None, ends_on=None, place="成都市人才培训中心",
                   mode="central", status="scheduled", requested_by=None, assessed_on=None,
                   notes=""):
    """A training session of ``plan``: by default scheduled, held from three days ago to
    yesterday (so attendance and results may be recorded today)."""
    from datetime import timedelta

    from portal.applications.models import TrainingSession
    from portal.timeutil import local_today

    today = local_today()
    starts_on = starts_on or today - timedelta(days=3)
    ends_on = ends_on or max(starts_on, today - timedelta(days=1))
    session = TrainingSession(plan=plan, starts_on=starts_on, ends_on=ends_on, place=place,
                              mode=mode, status=status, requested_by=requested_by,
                              assessed_on=assessed_on, notes=notes, decline_reason="")
    db.session.add(session)
    db.session.commit()
    return session


def create_trainee(plan, session=None, *, name="学员甲", seq=71, unit=None, stage="training",
                   **kw) -> Application:
    """An application the province approved (stage ``training``) of a new person called
    ``name``, assigned to ``session`` when given."""
    from sqlalchemy import select

    from portal.orgs.models import Organisation

    if unit is None:
        unit = db.session.scalars(select(Organisation).where(
            Organisation.name == "成都测试推荐单位")).first() or create_org("成都测试推荐单位")
    person = create_person(name, kw.pop("city", "成都市"), seq=seq)
    application = create_application(plan, person=person, unit=unit, stage=stage, **kw)
    if session is not None:
        application.session_id = session.id
        db.session.commit()
    return application

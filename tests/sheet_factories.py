"""Factories for evaluation batches and sheets, built from the models directly."""

from datetime import date

from factories import create_card, create_org, create_person, create_user, occupation
from sqlalchemy import select

from portal.batches.models import Assignment, BatchDate, EvaluationBatch
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.sheets.operations import create_sheet


def create_batch(*, org=None, supervisor=None, site_lead=None, day=date(2026, 6, 10),
                 number="KP2026-5101-0001", occupation_name="电工", level=4):
    org = org or db.session.scalars(
        select(Organisation).where(Organisation.name == "成都测试评价中心")
    ).first() or create_org()
    supervisor = supervisor or create_user("sup", ["supervisor"], display_name="陈督导")
    site_lead = site_lead or create_user("lead", ["site_lead"], org=org, display_name="王考场")
    batch = EvaluationBatch(
        number=number, organisation=org, occupation=occupation(occupation_name), level=level,
        site="成都市某考点", candidates=30, first_date=day, last_date=day,
        supervisor_id=supervisor.id, site_lead_id=site_lead.id, dates=[BatchDate(day=day)],
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def create_sheet_for(batch, *, name="李考评", seq=11):
    person = create_person(name, seq=seq)
    card = create_card(person, issued_on=date(2025, 3, 3))
    assignment = Assignment(batch=batch, person=person, card=card, answer="accepted")
    db.session.add(assignment)
    db.session.flush()
    sheet = create_sheet(assignment)
    db.session.commit()
    return sheet


def save_levels(sheet, role, levels, *, submit=False):
    """Store ``levels`` ({item: level}) in one column as its rater would, then optionally
    submit the column (as that rater)."""
    from portal.sheets.operations import save_level, submit_column

    column = sheet.column(role)
    for item, level in levels.items():
        save_level(sheet, role, item, level, based_on_version=column.version,
                   actor_id=column.rater_id)
    if submit:
        submit_column(sheet, role, actor_id=column.rater_id)
    db.session.commit()
    return sheet

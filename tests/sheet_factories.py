"""Factories for evaluation batches and sheets, built from the models directly."""

from datetime import date

import factories
from factories import create_assignment, create_card, create_person, create_user
from sqlalchemy import select

from portal.extensions import db
from portal.sheets.models import EvaluationSheet


def create_batch(*, org=None, supervisor=None, site_lead=None, day=date(2026, 6, 10),
                 number="KP2026-5101-0001", occupation_name="电工", level=4):
    """A one-day batch with both raters named (default 陈督导 and 王考场)."""
    org = org or factories.default_org()
    supervisor = supervisor or create_user("sup", ["supervisor"], display_name="陈督导")
    site_lead = site_lead or create_user("lead", ["site_lead"], org=org, display_name="王考场")
    return factories.create_batch(org, days=(day,), number=number,
                                  occupation_name=occupation_name, level=level,
                                  supervisor=supervisor, site_lead=site_lead)


def create_sheet_for(batch, *, name="李考评", seq=11):
    """The sheet of a new examiner ``name`` accepted into ``batch``."""
    person = create_person(name, seq=seq)
    card = create_card(person, issued_on=date(2025, 3, 3))
    assignment = create_assignment(batch, card, answer="accepted")
    return db.session.scalars(
        select(EvaluationSheet).where(EvaluationSheet.assignment_id == assignment.id)).one()


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

"""The home page: one section per role the user holds, each with real, scoped figures."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import LoginAttempt, User
from portal.auth.roles import Role
from portal.batches.models import EvaluationBatch
from portal.cards.models import Card
from portal.cards.operations import sweep_if_due
from portal.cards.queries import cards_in_status, status_by_region, status_counts
from portal.cards.rules import CardStatus
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.scope import visible
from portal.sheets.models import EvaluationSheet, SheetColumn
from portal.timeutil import local_today

bp = Blueprint("home", __name__)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@bp.get("/")
@login_required
def index():
    user = current_user._get_current_object()
    today = local_today()
    sweep_if_due(today)  # the home page lists cards: never show an overdue one as 待领取
    ctx: dict = {"today": today, "CardStatus": CardStatus}
    if user.has_role(Role.ADMIN):
        ctx["admin"] = {
            "users": _count(User),
            "disabled": _count(User, ~User.active),
            "must_change": _count(User, User.must_change_password),
            "orgs": _count(Organisation),
            "occupations": _count(Occupation, Occupation.active),
            "events": db.session.scalars(
                select(AuditEvent).order_by(AuditEvent.id.desc()).limit(8)
            ).all(),
        }
    if user.has_role(Role.PROVINCE, Role.CITY, Role.UNIT, Role.SITE_LEAD):
        ctx["counts"] = status_counts(user, today)
        ctx["orgs_count"] = _count(Organisation, visible(Organisation, user))
        ctx["pending"] = db.session.scalars(
            cards_in_status(user, today, CardStatus.PENDING_COLLECTION).limit(10)
        ).all()
        ctx["expiring"] = db.session.scalars(
            cards_in_status(user, today, CardStatus.EXPIRING).limit(10)
        ).all()
    if user.has_role(Role.PROVINCE):
        ctx["by_region"] = status_by_region(user, today)
    if user.has_role(Role.SUPERVISOR, Role.SITE_LEAD):
        ctx["to_rate"] = db.session.execute(
            select(EvaluationSheet, SheetColumn)
            .join(SheetColumn, SheetColumn.sheet_id == EvaluationSheet.id)
            .join(EvaluationBatch, EvaluationBatch.id == EvaluationSheet.batch_id)
            .where(SheetColumn.rater_id == user.id, SheetColumn.submitted_at.is_(None))
            .order_by(EvaluationBatch.first_date, EvaluationSheet.id)
            .limit(50)
        ).all()
    if user.person_id:
        ctx["my_cards"] = db.session.scalars(
            select(Card).where(Card.person_id == user.person_id).order_by(Card.issued_on.desc())
        ).all()
    from portal.dashboards.queries import level_of
    from portal.dashboards.routes import WORK_LABELS, my_work_items

    ctx["my_work"], ctx["work_labels"] = my_work_items(user, today, limit=10), WORK_LABELS
    ctx["dashboard_level"] = level_of(user)
    ctx["logins"] = db.session.scalars(
        select(LoginAttempt)
        .where(LoginAttempt.username == user.username)
        .order_by(LoginAttempt.id.desc())
        .limit(5)
    ).all()
    return render_template("home/index.html", user=user, **ctx)

"""Organisations: a scoped list and page for officers and units; create/edit for the admin."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.catalogue.models import Region
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.orgs import operations
from portal.orgs.forms import OrganisationForm
from portal.orgs.models import ORG_TYPE_LABELS, Organisation
from portal.orgs.queries import org_people_count, org_users, search_orgs
from portal.pagination import paginate
from portal.scope import get_visible_or_404

bp = Blueprint("orgs", __name__, url_prefix="/orgs")

VIEWERS = (Role.ADMIN, Role.PROVINCE, Role.CITY, Role.UNIT, Role.SITE_LEAD)


def can_manage(user) -> bool:
    """Only the admin creates and edits organisations."""
    return user.has_role(Role.ADMIN)


def _values(form: OrganisationForm) -> dict:
    return {f: getattr(form, f).data for f in operations.FIELDS}


@bp.get("/")
@roles_required(*VIEWERS)
def index():
    filters = {k: request.args.get(k, "") for k in ("q", "region", "org_type")}
    page = paginate(search_orgs(current_user, **filters))
    regions = db.session.scalars(select(Region).order_by(Region.sort_order)).all()
    return render_page_or_partial(
        "orgs/index.html", "orgs/_table.html", page=page, filters=filters, regions=regions,
        org_types=ORG_TYPE_LABELS, can_manage=can_manage(current_user),
    )


@bp.get("/<int:org_id>")
@login_required
def show(org_id: int):
    org = get_visible_or_404(Organisation, org_id, current_user)
    return render_template(
        "orgs/show.html", org=org, users=org_users(org, current_user),
        people_count=org_people_count(org), can_manage=can_manage(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        org = operations.create_organisation(_values(form))
        db.session.commit()
        flash(f"已创建机构 {org.name}", "success")
        return redirect(url_for("orgs.show", org_id=org.id))
    return render_template("orgs/form.html", form=form, org=None), 422 if form.errors else 200


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    org = get_visible_or_404(Organisation, org_id, current_user)
    if not can_manage(current_user):
        abort(403)
    form = OrganisationForm(obj=org, current=org)
    if form.validate_on_submit():
        operations.update_organisation(org, _values(form))
        db.session.commit()
        flash("机构信息已保存", "success")
        return redirect(url_for("orgs.show", org_id=org.id))
    return render_template("orgs/form.html", form=form, org=org), 422 if form.errors else 200

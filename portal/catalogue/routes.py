"""The occupation catalogue, maintained by the admin."""

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.models import Card
from portal.catalogue import operations
from portal.catalogue.forms import OccupationForm
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.htmx import is_htmx

bp = Blueprint("catalogue", __name__, url_prefix="/admin/occupations")


def _listing(*where):
    """(occupation, number of cards) rows, by code."""
    card_counts = (
        select(Card.occupation_id, func.count().label("n")).group_by(Card.occupation_id).subquery()
    )
    return db.session.execute(
        select(Occupation, func.coalesce(card_counts.c.n, 0))
        .outerjoin(card_counts, card_counts.c.occupation_id == Occupation.id)
        .where(*where)
        .order_by(Occupation.code)
    ).all()


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def occupations():
    form = OccupationForm()
    if form.validate_on_submit():
        occ = operations.save_occupation(
            None, code=form.code.data, name=form.name.data, active=form.active.data
        )
        db.session.commit()
        flash(f"已新增职业 {occ.code} {occ.name}", "success")
        return redirect(url_for("catalogue.occupations"))
    status = 422 if form.errors else 200
    return render_template("catalogue/occupations.html", form=form, rows=_listing()), status


@bp.route("/<int:occupation_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(occupation_id: int):
    occ = db.get_or_404(Occupation, occupation_id)
    form = OccupationForm(obj=occ, current=occ)
    if form.validate_on_submit():
        operations.save_occupation(
            occ, code=form.code.data, name=form.name.data, active=form.active.data
        )
        db.session.commit()
        flash("职业信息已保存", "success")
        return redirect(url_for("catalogue.occupations"))
    status = 422 if form.errors else 200
    return render_template("catalogue/edit.html", form=form, occupation=occ), status


@bp.post("/<int:occupation_id>/toggle")
@roles_required(Role.ADMIN)
def toggle(occupation_id: int):
    """Deactivate or reactivate an occupation; htmx swaps the row in place."""
    occ = db.get_or_404(Occupation, occupation_id)
    operations.save_occupation(occ, code=occ.code, name=occ.name, active=not occ.active)
    db.session.commit()
    if is_htmx():
        occ, n = _listing(Occupation.id == occ.id)[0]
        return render_template("catalogue/_row.html", occ=occ, n=n)
    flash(f"{occ.name} 已{'启用' if occ.active else '停用'}", "success")
    return redirect(url_for("catalogue.occupations"))

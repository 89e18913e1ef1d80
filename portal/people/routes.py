"""The applicant's own profile page (我的资料) with the photo of Attachment 1."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.models import Card
from portal.extensions import db
from portal.people import operations
from portal.people.forms import PhotoForm
from portal.people.models import Person
from portal.scope import can_see
from portal.timeutil import local_today
from portal.uploads.models import Upload
from portal.uploads.service import UploadRejected, viewer_rule

bp = Blueprint("people", __name__)


@viewer_rule
def photo_viewers(user, upload: Upload) -> bool:
    """A person's photo may be seen by whoever may see the person."""
    person_ids = db.session.scalars(
        select(Person.id).where(Person.photo_upload_id == upload.id)
    ).all()
    return any(can_see(Person, pid, user) for pid in person_ids)


def _own_person() -> Person:
    if current_user.person_id is None:
        abort(404)
    return db.session.get(Person, current_user.person_id)


@bp.route("/me", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def me():
    person = _own_person()
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            operations.set_photo(person, form.photo.data, actor_id=current_user.id)
        except (UploadRejected, operations.PhotoRejected) as exc:
            db.session.rollback()
            form.photo.errors = [*form.photo.errors, str(exc)]
        else:
            db.session.commit()
            flash("照片已更新", "success")
            return redirect(url_for("people.me"))
    cards = db.session.scalars(
        select(Card).where(Card.person_id == person.id).order_by(Card.issued_on.desc())
    ).all()
    status = 422 if form.errors else 200
    return render_template(
        "people/me.html", person=person, form=form, cards=cards, today=local_today()
    ), status

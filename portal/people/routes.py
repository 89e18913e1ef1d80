"""The applicant's own profile (我的资料): Attachment 1 data, photo and cards; and editing
that data (修改资料). Officers correct profiles from the registry (:mod:`portal.registry`)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.models import Card
from portal.extensions import db
from portal.people import operations, rules
from portal.people.forms import PhotoForm, ProfileForm
from portal.people.models import Person
from portal.scope import can_see
from portal.timeutil import local_today
from portal.uploads.models import Upload
from portal.uploads.service import UploadRejected, viewer_rule
from portal.violations import queries as violation_queries

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


def _cards(person: Person) -> list[Card]:
    return list(db.session.scalars(
        select(Card).where(Card.person_id == person.id).order_by(Card.issued_on.desc())
    ))


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
    status = 422 if form.errors else 200
    return render_template(
        "people/me.html", person=person, form=form, cards=_cards(person), today=local_today(),
        show_full_id=True, violations=violation_queries.of_person(person.id, current_user),
    ), status


def save_profile(person: Person, form: ProfileForm) -> bool:
    """Validate ``form`` and store its changes to ``person`` in one transaction (audited).

    True when saved (the caller redirects), False when the form must be shown again: with
    errors next to the fields, or with an ID-number warning to confirm by saving again.
    Shared by the applicant's page and the officers' correction page.
    """
    if not form.validate_on_submit():
        return False
    if form.needs_confirmation:
        form.confirmed_id.data = form.id_number.data
        return False
    try:
        changed = operations.update_person(person, form.changes(), actor_id=current_user.id)
        db.session.commit()
    except operations.PersonError as exc:
        db.session.rollback()
        form.apply_errors(exc.errors)
        return False
    except IntegrityError:  # the same ID number saved by someone else a moment ago
        db.session.rollback()
        form.apply_errors({"id_number": operations.MSG_ID_TAKEN})
        return False
    if changed:
        labels = "、".join(rules.FIELD_LABELS[k] for k in changed)
        flash(f"资料已保存（修改了：{labels}）", "success")
    else:
        flash("资料没有变化", "info")
    return True


@bp.route("/me/edit", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def edit_me():
    person = _own_person()
    has_cards = db.session.scalar(select(Card.id).where(Card.person_id == person.id).limit(1))
    form = ProfileForm(obj=person, person=person,
                       editable=rules.self_editable_fields(has_cards is not None))
    if save_profile(person, form):
        return redirect(url_for("people.me"))
    status = 422 if form.errors else 200
    return render_template("people/edit.html", person=person, form=form, own=True,
                           show_full_id=True,
                           locked=rules.SELF_LOCKED_ONCE_CARDED if has_cards else (),
                           cancel_url=url_for("people.me")), status

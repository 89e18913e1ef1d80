"""Card pages: the collection desk's work list, a card's page (dates, status, collection,
revocation, history, the holder's ban), issuing by hand, and lifting a ban.

Every page that lists cards runs the lazy void sweep first (:func:`operations.sweep_if_due`),
so a card past its deadline never shows as 待领取 because the daily command has not run yet.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards import operations, queries, rules
from portal.cards.forms import CollectForm, IssueForm, LiftBanForm, RevokeForm
from portal.cards.models import Card, PersonBan
from portal.cards.operations import CardError
from portal.cards.rules import CardStatus
from portal.catalogue.models import Occupation
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.pagination import paginate
from portal.people.models import Person
from portal.scope import get_visible_or_404
from portal.timeutil import cn_date, local_today
from portal.workdays import WorkdayCalendar

bp = Blueprint("cards", __name__, url_prefix="/cards")

DESK = (Role.PROVINCE, Role.CITY)
STATUS_CLASSES = {
    CardStatus.PENDING_COLLECTION: "pending", CardStatus.VALID: "valid",
    CardStatus.EXPIRING: "expiring", CardStatus.EXPIRED: "expired",
    CardStatus.VOIDED: "voided", CardStatus.REVOKED: "revoked",
    CardStatus.SUPERSEDED: "superseded",
}


# --- helpers for every template that shows cards -----------------------------------------------

def _calendar() -> WorkdayCalendar:
    """One working-day calendar per request (it caches each year's overrides)."""
    if "workday_calendar" not in g:
        g.workday_calendar = WorkdayCalendar()
    return g.workday_calendar


@bp.app_template_global()
def collection_days_left(card: Card) -> int | None:
    """Working days left to collect ``card`` after today (an estimate when its deadline is
    provisional), None when it no longer waits for collection."""
    return card.workdays_left(local_today(), _calendar())


@bp.app_template_filter()
def status_class(status: CardStatus) -> str:
    """The CSS modifier of a card status badge."""
    return STATUS_CLASSES.get(status, "")


@bp.app_template_global()
def holder_card_reminders(person_id: int) -> dict[str, list[Card]]:
    """The holder's cards waiting to be collected and expiring within 90 days, for the
    holder's own pages (the profile page renders this without its view knowing cards)."""
    return queries.holder_reminders(person_id, local_today())


@bp.app_template_global()
def person_active_ban(person_id: int) -> PersonBan | None:
    """The person's active ban with its two cards (``cards/_ban.html`` shows it). Call it
    only for a person the page already shows, i.e. one in the viewer's scope."""
    return queries.active_ban(person_id)


# --- the collection desk -----------------------------------------------------------------------

@bp.get("/")
@roles_required(*DESK)
def index():
    operations.sweep_if_due()
    today = local_today()
    lists = dict(queries.WORK_LISTS)
    status = request.args.get("status", "")
    status = status if status in lists else CardStatus.PENDING_COLLECTION.value
    q = request.args.get("q", "").strip()
    if status == "bans":
        page = paginate(queries.visible_bans(current_user, q))
    else:
        page = paginate(queries.work_list(current_user, today, CardStatus(status), q))
    return render_page_or_partial(
        "cards/index.html", "cards/_list.html", page=page, filters={"status": status, "q": q},
        lists=queries.WORK_LISTS, today=today, can_issue=rules.can_issue(current_user))


# --- one card ----------------------------------------------------------------------------------

def _load(card_id: int) -> Card:
    return get_visible_or_404(Card, card_id, current_user)


def _page(card: Card, status: int = 200, **forms):
    """The card page, with the forms the user may use (``forms`` carry submitted errors)."""
    today = local_today()
    user = current_user
    can_collect = card.awaiting_collection and card.can_record_collection(user)
    # A renewed card's qualification lives on in the new card: revoke that one instead.
    can_revoke = (rules.can_revoke(user) and card.revoked_on is None
                  and card.voided_on is None and card.superseded_on is None)
    ban = queries.active_ban(card.person_id)
    context = {
        "card": card, "today": today, "status": card.status(today),
        "history": queries.card_history(card), "ban": ban,
        "replaced": queries.replaced_card(card),
        "lifted_bans": [b for b in queries.bans_of(card.person_id) if not b.active],
        "collect_form": forms.get("collect_form")
        or (CollectForm(collected_on=today) if can_collect else None),
        "revoke_form": forms.get("revoke_form")
        or (RevokeForm(revoked_on=today) if can_revoke else None),
        "lift_form": forms.get("lift_form")
        or (LiftBanForm() if ban and rules.can_lift_ban(user) else None),
    }
    return render_template("cards/show.html", **context), status


@bp.get("/<int:card_id>")
@login_required
def show(card_id: int):
    operations.sweep_if_due()
    return _page(_load(card_id))


@bp.post("/<int:card_id>/collect")
@login_required
def collect(card_id: int):
    card = _load(card_id)
    if not card.can_record_collection(current_user):
        abort(403)
    form = CollectForm()
    if not form.validate_on_submit():
        return _page(card, 422, collect_form=form)
    begin_write()
    card = db.session.get(Card, card_id, with_for_update=True)
    try:
        operations.record_collection(card, form.collected_on.data, actor_id=current_user.id,
                                     today=local_today())
    except CardError as exc:
        db.session.rollback()
        form.collected_on.errors = [*form.collected_on.errors, str(exc)]
        return _page(_load(card_id), 422, collect_form=form)
    db.session.commit()
    flash(f"已登记领取：证卡 {card.number}，领取日期 {cn_date(card.collected_on)}", "success")
    return redirect(url_for("cards.show", card_id=card_id))


@bp.post("/<int:card_id>/revoke")
@login_required
def revoke(card_id: int):
    card = _load(card_id)
    if not rules.can_revoke(current_user):
        abort(403)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _page(card, 422, revoke_form=form)
    begin_write()
    card = db.session.get(Card, card_id, with_for_update=True)
    try:
        operations.revoke_card(card, form.revoked_on.data, form.reason.data,
                               actor_id=current_user.id, today=local_today())
    except CardError as exc:
        db.session.rollback()
        form.reason.errors = [*form.reason.errors, str(exc)]
        return _page(_load(card_id), 422, revoke_form=form)
    db.session.commit()
    flash(f"证卡 {card.number} 已注销", "success")
    return redirect(url_for("cards.show", card_id=card_id))


# --- bans --------------------------------------------------------------------------------------

def _safe_next(value: str | None) -> str | None:
    """A same-site path to return to after lifting a ban (the examiner page may send one)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@bp.post("/bans/<int:ban_id>/lift")
@login_required
def lift_ban(ban_id: int):
    ban = db.session.get(PersonBan, ban_id) or abort(404)
    get_visible_or_404(Person, ban.person_id, current_user)
    if not rules.can_lift_ban(current_user):
        abort(403)
    form = LiftBanForm()
    back = _safe_next(request.form.get("next")) or url_for("cards.show",
                                                          card_id=ban.second_card_id)
    if form.validate_on_submit():
        begin_write()
        ban = db.session.get(PersonBan, ban_id, with_for_update=True)
        try:
            operations.lift_ban(ban, form.reason.data, actor_id=current_user.id)
        except CardError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"已解除 {ban.person.name} 的禁止申报", "success")
            return redirect(back)
    return _page(_load(ban.second_card_id), 422, lift_form=form)


# --- issuing by hand ---------------------------------------------------------------------------

def _issue_page(form: IssueForm, q: str, status: int = 200):
    chosen = form.person_id.data
    people = queries.find_people(current_user, q) if q else []
    if chosen and chosen not in {p.id for p in people}:
        person = db.session.get(Person, chosen)
        people = [person, *people] if person else people
    return render_template("cards/new.html", form=form, q=q, people=people,
                           banned=queries.banned_among([p.id for p in people]),
                           chosen=chosen), status


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.PROVINCE)
def new():
    form = IssueForm()
    q = request.values.get("q", "").strip()
    if request.method == "GET":
        form.issued_on.data = local_today()
        return _issue_page(form, q)
    if not form.validate_on_submit():
        return _issue_page(form, q, 422)
    person = get_visible_or_404(Person, form.person_id.data, current_user)
    begin_write()
    person = db.session.get(Person, person.id)
    occupation = db.session.get(Occupation, form.occupation_id.data)
    try:
        card = operations.issue_by_hand(
            person, occupation, form.level.data, form.issued_on.data, origin=form.origin.data,
            actor_id=current_user.id, today=local_today())
        db.session.commit()
    except CardError as exc:
        db.session.rollback()
        form.person_id.errors = [*form.person_id.errors, str(exc)]
        return _issue_page(form, q, 422)
    except IntegrityError:  # another issuer took the same number at the same moment
        db.session.rollback()
        form.person_id.errors = [*form.person_id.errors, "证卡编号被同时发放的证卡占用，请再提交一次"]
        return _issue_page(form, q, 409)
    flash(f"已向 {person.name} 发放证卡 {card.number}", "success")
    return redirect(url_for("cards.show", card_id=card.id))


@bp.get("/new/people")
@roles_required(Role.PROVINCE)
def people():
    """The person picker of the issue form (htmx as you type)."""
    q = request.args.get("q", "").strip()
    found = queries.find_people(current_user, q) if q else []
    return render_template("cards/_people.html", q=q, people=found, chosen=None,
                           banned=queries.banned_among([p.id for p in found]))

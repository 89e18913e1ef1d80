"""The registry pages: search as you type (the results partial for htmx, the whole page
without JavaScript), the XLSX export of the current search, an examiner's page, and an
officer's correction of a profile."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.audit.operations import record
from portal.auth.access import roles_required
from portal.cards.operations import sweep_if_due
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.people.forms import ProfileForm
from portal.people.idcard import mask_id_number
from portal.people.models import Person
from portal.people.routes import save_profile
from portal.people.rules import PROFILE_FIELDS
from portal.registry import queries, rules
from portal.registry.rules import Filters
from portal.scope import can_see, get_visible_or_404
from portal.timeutil import local_today
from portal.violations import queries as violation_queries
from portal.xlsx import build_xlsx, xlsx_response

bp = Blueprint("registry", __name__, url_prefix="/registry")

#: The largest export; a bigger search is asked to narrow its filters first.
EXPORT_LIMIT = 20_000

EXPORT_HEADERS = ["姓名", "性别", "身份证号码", "所在城市", "工作单位", "联系手机", "证卡编号",
                  "职业（工种）", "级别", "发证日期", "有效期至", "领取截止", "状态"]


def _filters() -> Filters:
    return Filters.from_args(request.args)


def _id_problem(f: Filters) -> str | None:
    return rules.id_search_problem(
        f.id_number, may_search_prefix=queries.may_search_id_prefix(current_user))


@bp.get("/")
@roles_required(*rules.REGISTRY_ROLES)
def index():
    sweep_if_due()  # cards past their deadline show as voided, as on the card desk
    f, today = _filters(), local_today()
    page = queries.search(current_user, f, today, request.args.get("page", 1, type=int))
    return render_page_or_partial(
        "registry/index.html", "registry/_results.html", page=page, f=f, today=today,
        days=queries.collection_days(page.items, today), id_problem=_id_problem(f),
        filter_choices=lambda: queries.choices(current_user),  # the full page only
        show_city=not rules.single_city(current_user), sort=rules.sort_key(f.sort, f.status),
        statuses=rules.STATUS_FILTERS, sorts=rules.SORTS, export_limit=EXPORT_LIMIT,
        can_search_id_prefix=queries.may_search_id_prefix(current_user),
    )


@bp.get("/export.xlsx")
@roles_required(*rules.REGISTRY_ROLES)
def export():
    sweep_if_due()
    f, today = _filters(), local_today()
    total = queries.count(current_user, f, today)
    if total > EXPORT_LIMIT:
        flash(f"查询结果共 {total} 条，超过单次导出上限 {EXPORT_LIMIT} 条，请先缩小查询范围", "error")
        return redirect(url_for("registry.index", **f.args()))
    rows = ([r.name, r.gender, mask_id_number(r.id_number), r.city, r.employer, r.mobile,
             r.number, r.occupation, r.level, r.issued_on, r.valid_until,
             r.collection_deadline, r.status]
            for r in queries.export_rows(current_user, f, today))
    data = build_xlsx(
        "考评员名册", EXPORT_HEADERS, rows,
        header_lines=[f"导出时间：{today.year}年{today.month}月{today.day}日　"
                      f"导出人：{current_user.display_name}　共 {total} 条",
                      "身份证号码已隐去出生日期；领取截止为“待领取”证卡须领取的最后一天"],
    )
    begin_write()
    record("registry.export", None, entity_type="registry", entity_id="search",
           after={"filters": f.args(), "rows": total})
    db.session.commit()
    return xlsx_response(data, f"考评员名册-{today.isoformat()}")


@bp.app_template_global()
def card_url(card_id: int) -> str | None:
    """The card's own page when the cards feature provides one (else None)."""
    if "cards.show" not in current_app.view_functions:
        return None
    return url_for("cards.show", card_id=card_id)


def _person(person_id: int) -> Person:
    return get_visible_or_404(Person, person_id, current_user)


@bp.get("/people/<int:person_id>")
@roles_required(*rules.REGISTRY_ROLES)
def show(person_id: int):
    sweep_if_due()
    person, today = _person(person_id), local_today()
    return render_template(
        "registry/person.html", person=person, today=today,
        page=queries.examiner_page(person, current_user, today),
        show_full_id=rules.sees_full_id(current_user, person),
        can_edit=rules.can_edit_profile(current_user, person),
        violations=violation_queries.of_person(person.id, current_user),
        can_record_violation=violation_queries.may_record_against(current_user, person.id),
    )


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@roles_required(*rules.REGISTRY_ROLES)
def edit(person_id: int):
    person = _person(person_id)
    if not rules.can_edit_profile(current_user, person):
        abort(403)
    form = ProfileForm(obj=person, person=person, editable=PROFILE_FIELDS,
                       organisations=queries.units_for_profile(current_user))
    if save_profile(person, form):
        if can_see(Person, person.id, current_user):
            return redirect(url_for("registry.show", person_id=person.id))
        flash(f"{person.name} 已不在您的管辖范围内（所在城市已改为{person.region.name}）", "info")
        return redirect(url_for("registry.index"))
    return render_template(
        "people/edit.html", person=person, form=form, own=False, show_full_id=True,
        locked=(), cancel_url=url_for("registry.show", person_id=person.id),
    ), 422 if form.errors else 200

"""复核换证 (the holder's side of renewal, notice §三): the holder's cards with whether each may
be renewed under the plan in force, their renewal applications; the application page
(Attachment 3 data, the work summary with a live character count, the declarations, the
photo, ID and card uploads, what a submission lacks, submit and withdraw, the timeline); and
the generated Attachment 3 PDF for the unit to stamp.

Every move goes through :func:`portal.renewals.operations.apply_action`; every change is one
transaction and audited.
"""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from portal.applications.apply_queries import PhotoTooLarge
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.models import Card
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import is_htmx
from portal.pdf import PdfRenderError, pdf_response, render_pdf
from portal.people.models import Person
from portal.renewals import apply_operations, apply_queries
from portal.renewals.apply_operations import UPLOAD_KINDS, WHOLE, ApplyError
from portal.renewals.forms import (
    CreateRenewalForm,
    HolderMoveForm,
    RenewalForm,
    RenewalUploadForm,
    SummaryCountForm,
)
from portal.renewals.models import RenewalApplication
from portal.renewals.operations import apply_action
from portal.renewals.queries import (
    current_plan,
    holder_problems,
    open_application,
    submission_problems,
)
from portal.renewals.rules import (
    IllegalRenewalMove,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
    renewal_actions,
)
from portal.scope import can_see, get_visible_or_404
from portal.timeutil import local_today
from portal.uploads.models import Upload
from portal.uploads.service import attach_in_one_write, viewer_rule

bp = Blueprint("renew", __name__, url_prefix="/renew")

_UPLOAD_COLUMNS = (RenewalApplication.photo_id, RenewalApplication.id_copy_id,
                   RenewalApplication.card_scan_id, RenewalApplication.stamped_form_id)


@viewer_rule
def renewal_files(user, upload: Upload) -> bool:
    """A renewal application's materials (and the unit's stamped Attachment 3) may be
    downloaded by whoever may see the application: the holder, then the unit, the initial
    reviewer and the province."""
    ids = db.session.scalars(select(RenewalApplication.id).where(
        or_(*(column == upload.id for column in _UPLOAD_COLUMNS)))).all()
    return any(can_see(RenewalApplication, i, user) for i in ids)


@bp.app_template_global()
def renewal_reminder(person_id: int | None):
    """The holder's home-page reminder while renewal registration is open and they hold a
    card they may renew (:func:`portal.renewals.apply_queries.reminder`), or None."""
    if not person_id:
        return None
    today = local_today()
    return apply_queries.reminder(db.session.get(Person, person_id), current_plan(today), today)


def _person() -> Person:
    if current_user.person_id is None:
        abort(404)
    return db.session.get(Person, current_user.person_id)


# --- 复核换证: cards, plan, applications ----------------------------------------------------


@bp.get("/")
@roles_required(Role.APPLICANT)
def index():
    today = local_today()
    plan = current_plan(today)
    person = _person() if current_user.person_id else None
    return render_template(
        "renewals/apply/index.html", plan=plan, today=today, person=person,
        window_open=bool(plan and plan.window_open(today)),
        rows=apply_queries.card_rows(person, plan) if person else [],
        holder_problems=holder_problems(person) if person else [],
        applications=apply_queries.my_renewals(current_user),
        create_form=CreateRenewalForm(formdata=None, person=person) if person else None,
        has_default_unit=bool(person and apply_operations.default_unit(person, person.region)))


@bp.route("/cards/<int:card_id>/new", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def new(card_id: int):
    """申请复核换证 on one of the holder's cards: created at once with the person's city and
    unit; the page with the unit chooser when there is no fitting default (or on GET)."""
    person = _person()
    card = db.session.get(Card, card_id)
    if card is None or card.person_id != person.id:
        abort(404)
    today = local_today()
    plan = current_plan(today)
    if plan is None:
        flash("本年度复核换证计划尚未发布。", "error")
        return redirect(url_for("renew.index"))
    existing = open_application(card.id, plan.id)
    if existing is not None and request.method == "GET":
        return redirect(url_for("renew.edit", application_id=existing.id))
    form = CreateRenewalForm(person=person)
    if form.validate_on_submit():
        begin_write()
        try:
            application = apply_operations.create_renewal(
                person=db.session.get(Person, person.id), card=db.session.get(Card, card_id),
                plan=current_plan(today), actor_id=current_user.id, today=today,
                region_id=form.region_id.data if "region_id" in request.form else None,
                unit_id=form.unit_id.data if "unit_id" in request.form else None)
        except ApplyError as exc:
            db.session.rollback()
            if set(exc.errors) - {WHOLE}:
                for name, message in exc.errors.items():
                    target = form.form_errors if name == WHOLE else form[name].errors
                    target.append(message)
            else:
                flash(exc.errors[WHOLE], "error")
                return redirect(url_for("renew.index"))
        else:
            db.session.commit()
            flash("已创建复核换证申请，资料已按个人资料和证卡预先填好。请核对、填写考评工作总结、"
                  "上传材料后提交。", "success")
            return redirect(url_for("renew.edit", application_id=application.id))
    card = db.session.get(Card, card_id)
    plan = current_plan(today)
    if not form.is_submitted():
        unit = apply_operations.default_unit(person, person.region)
        form.unit_id.data = unit.id if unit else None
    problems = holder_problems(person) + apply_queries.card_problems(card, plan)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("renewals/apply/new.html", form=form, card=card, plan=plan,
                           person=person, problems=problems,
                           window_open=plan.window_open(today)), status


@bp.get("/units")
@roles_required(Role.APPLICANT)
def units():
    """The 申报单位 field for the region now chosen (the qualification form's pattern)."""
    form = CreateRenewalForm(formdata=request.args, meta={"csrf": False}, person=_person())
    return render_template("renewals/apply/_unit_field.html", form=form)


# --- the application page -------------------------------------------------------------------


def _page(application: RenewalApplication, form: RenewalForm, *, status: int = 200,
          upload_errors: dict | None = None, error: str | None = None,
          move_form: HolderMoveForm | None = None):
    today = local_today()
    returned = apply_queries.last_return(application)
    problem = apply_operations.edit_problem(application, today)
    if move_form is None:
        move_form = HolderMoveForm(formdata=None)
    move_form.stage.data = application.stage
    return render_template(
        "renewals/apply/form.html", application=application, form=form, card=application.card,
        plan=application.plan, problem=problem, today=today,
        count=apply_queries.summary_count(form.work_summary.data),
        kinds=UPLOAD_KINDS,
        upload_forms={k.key: RenewalUploadForm(prefix=k.key, formdata=None)
                      for k in UPLOAD_KINDS},
        upload_errors=upload_errors or {},
        problems=(submission_problems(application)
                  if application.stage_enum in apply_operations.EDITABLE_STAGES else []),
        actions=renewal_actions(application.stage, {RenewalCapacity.HOLDER}), move_form=move_form, error=error,
        returned=returned,
        returned_by=(RenewalCapacity(returned.capacity).label if returned else ""),
        steps=apply_queries.steps_of(application),
        holding=apply_queries.holding(application, today=today),
        timeline_names=apply_queries.TIMELINE_NAMES,
    ), status


@bp.route("/<int:application_id>", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def edit(application_id: int):
    application = apply_queries.own_renewal_or_404(application_id, current_user)
    form = RenewalForm(obj=application, person=application.person)
    if not form.is_submitted():
        return _page(application, form)
    if problem := apply_operations.edit_problem(application, local_today()):
        flash(problem, "error")
        return redirect(url_for("renew.edit", application_id=application_id))
    if form.validate_on_submit():
        begin_write()
        application = db.session.get(RenewalApplication, application_id)
        try:
            apply_operations.save_renewal(application, form.values, actor_id=current_user.id,
                                          today=local_today())
        except ApplyError as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                (form.form_errors if name == WHOLE else form[name].errors).append(message)
        else:
            db.session.commit()
            flash("复核换证申请已保存。", "success")
            return redirect(url_for("renew.edit", application_id=application_id))
    application = db.session.get(RenewalApplication, application_id)
    return _page(application, form, status=422)


@bp.post("/summary-count")
@roles_required(Role.APPLICANT)
def summary_count():
    """The live character count under the work summary (htmx, keyup): counted on the server
    with :func:`portal.renewals.rules.work_summary_length`, never in the browser."""
    form = SummaryCountForm()
    form.validate_on_submit()  # CSRF is checked before the view; the text is only counted
    return render_template("renewals/apply/_summary_count.html",
                           count=apply_queries.summary_count(form.work_summary.data))


@bp.get("/<int:application_id>/problems")
@roles_required(Role.APPLICANT)
def problems(application_id: int):
    """What a submission still lacks (refreshed after every upload)."""
    application = apply_queries.own_renewal_or_404(application_id, current_user)
    return render_template(
        "renewals/apply/_problems.html", application=application,
        problems=(submission_problems(application)
                  if application.stage_enum in apply_operations.EDITABLE_STAGES else []),
        problem=apply_operations.edit_problem(application, local_today()))


@bp.post("/<int:application_id>/uploads/<kind_key>")
@roles_required(Role.APPLICANT)
def upload(application_id: int, kind_key: str):
    application = apply_queries.own_renewal_or_404(application_id, current_user)
    kind = apply_operations.upload_kind(kind_key)
    if kind is None:
        abort(404)
    form = RenewalUploadForm(prefix=kind.key)
    error = None
    if form.validate_on_submit():
        error = attach_in_one_write(RenewalApplication, application_id, lambda a: apply_operations
                                    .attach_upload(a, kind, form.file.data,
                                                   actor_id=current_user.id, today=local_today()),
                                    refused=(ApplyError,))
        if error is None:
            db.session.commit()
    else:
        error = "；".join(form.file.errors) or "请刷新页面后重新上传"
    application = db.session.get(RenewalApplication, application_id)
    if is_htmx():
        headers = {} if error else {"HX-Trigger": "renewal-files-changed"}
        return render_template(
            "apply/_upload.html", application=application, kind=kind,
            upload_form=RenewalUploadForm(prefix=kind.key, formdata=None),
            upload_action=url_for("renew.upload", application_id=application.id,
                                  kind_key=kind.key),
            errors=[error] if error else [], saved=not error,
            editable=apply_operations.edit_problem(application, local_today()) is None,
        ), 422 if error else 200, headers
    if error:
        form = RenewalForm(obj=application, person=application.person, formdata=None)
        return _page(application, form, status=422, upload_errors={kind.key: [error]})
    flash(f"已上传{kind.label}。", "success")
    return redirect(url_for("renew.edit", application_id=application.id) + "#materials")


@bp.post("/<int:application_id>/act")
@roles_required(Role.APPLICANT)
def act(application_id: int):
    """Submit or withdraw (the holder's moves), through the workflow's one operation."""
    application = apply_queries.own_renewal_or_404(application_id, current_user)
    form = HolderMoveForm()
    if not form.validate_on_submit():
        return _page(application, RenewalForm(obj=application, person=application.person,
                                              formdata=None),
                     status=422, error="未办理：请从页面上的按钮操作。", move_form=form)
    action = RenewalAction(form.action.data)
    begin_write()
    application = db.session.get(RenewalApplication, application_id, with_for_update=True)
    try:
        if form.stage.data and form.stage.data != application.stage:
            raise IllegalRenewalMove(
                f"申请状态已变化（现为“{application.stage_enum.label}”），请查看最新进度后再操作。")
        apply_action(application, action, user=current_user, today=local_today(),
                     acting_as={RenewalCapacity.HOLDER})
    except IllegalRenewalMove as exc:
        db.session.rollback()
        application = db.session.get(RenewalApplication, application_id)
        return _page(application, RenewalForm(obj=application, person=application.person,
                                              formdata=None),
                     status=422, error=str(exc), move_form=form)
    db.session.commit()
    application = db.session.get(RenewalApplication, application_id)
    if action is RenewalAction.WITHDRAW:
        flash("已撤回复核换证申请。", "success")
    elif application.stage == RenewalStage.UNIT_REVIEW.value:
        flash(f"已提交复核换证申请，现由{application.unit.name}出具意见。"
              "请下载申报表（附件3）交申报单位盖章。", "success")
    else:
        flash("已重新提交复核换证申请，现由初审单位审核。", "success")
    return redirect(url_for("renew.edit", application_id=application_id))


# --- Attachment 3 ---------------------------------------------------------------------------


@bp.get("/<int:application_id>/attachment3.pdf")
@login_required
def attachment3(application_id: int):
    """四川省技能人才评价考评员资格复核换证申报表 (Attachment 3) with the work summary, for
    whoever may see the application: the holder prints it for the unit to stamp; the unit,
    the reviewer and the province may print it too."""
    application = get_visible_or_404(RenewalApplication, application_id, current_user)
    try:
        data = render_pdf("pdf/attachment3.html",
                          **apply_queries.attachment3_context(application, local_today()))
    except (PdfRenderError, PhotoTooLarge) as exc:
        flash(str(exc), "error")
        if application.person_id == current_user.person_id:
            return redirect(url_for("renew.edit", application_id=application.id))
        return redirect(url_for("home.index"))
    return pdf_response(data, f"复核换证申报表-{application.name}-{application.plan.year}.pdf")

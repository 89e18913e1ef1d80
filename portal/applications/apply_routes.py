"""我的申报: the applicant's applications and the open plans; the application form with live
eligibility (htmx); the materials, uploaded through the one upload service; and the generated
Attachment 1 (申报表) PDF. Submitting and withdrawing happen on the application's detail page
(``applications.show``) through the workflow."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from portal.applications import apply_operations, apply_queries, apply_rules
from portal.applications.apply_operations import WHOLE, ApplyError
from portal.applications.forms import ApplicationForm, EligibilityQuery, UploadForm
from portal.applications.models import Application, TrainingPlan
from portal.applications.queries import submission_problems
from portal.applications.rules import Capacity
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.cards.queries import active_ban
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import is_htmx
from portal.pdf import PdfRenderError, pdf_response, render_pdf
from portal.people.models import Person
from portal.scope import can_see, get_visible_or_404
from portal.timeutil import local_today
from portal.uploads.models import Upload
from portal.uploads.service import attach_in_one_write, viewer_rule

bp = Blueprint("apply", __name__, url_prefix="/apply")

_UPLOAD_COLUMNS = tuple(getattr(Application, k.column) for k in apply_rules.UPLOAD_KINDS)


@viewer_rule
def application_files(user, upload: Upload) -> bool:
    """An application's materials may be downloaded by whoever may see the application: the
    applicant, then the recommending unit, the initial reviewer and the province."""
    ids = db.session.scalars(select(Application.id).where(
        or_(*(column == upload.id for column in _UPLOAD_COLUMNS)))).all()
    return any(can_see(Application, i, user) for i in ids)


@bp.app_template_global()
def application_url(application: Application) -> str:
    """The application's detail page (timeline, submit and withdraw), or the applicant's own
    edit page where the detail page is not part of the app."""
    if "applications.show" in current_app.view_functions:
        return url_for("applications.show", application_id=application.id)
    return url_for("apply.edit", application_id=application.id)


def _person() -> Person:
    if current_user.person_id is None:
        abort(404)
    return db.session.get(Person, current_user.person_id)


# --- 我的申报 -------------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.APPLICANT)
def index():
    today = local_today()
    applications = apply_queries.my_applications(current_user)
    return render_template(
        "apply/index.html", applications=applications, plans=apply_queries.open_plans(today),
        ban=active_ban(current_user.person_id) if current_user.person_id else None,
        editable={a.id for a in applications
                  if apply_operations.edit_problem(a, today) is None},
        today=today)


# --- the form -------------------------------------------------------------------------------


def _form_page(form: ApplicationForm, plan: TrainingPlan, application: Application | None,
               *, status: int = 200, upload_errors: dict | None = None):
    """The new or edit page: the form, the live eligibility, and (once saved) the materials,
    the PDF and what a submission still lacks."""
    today = local_today()
    person = _person()
    context = {
        "form": form, "plan": plan, "application": application, "person": person,
        "eligibility": apply_queries.eligibility_view(
            user=current_user, person_id=person.id, today=today,
            **form.eligibility_values(plan)),
        "problem": (apply_operations.edit_problem(application, today) if application
                    else apply_rules.edit_problem("draft", window_open=plan.window_open(today))),
        "today": today,
    }
    if application is not None:
        context.update(_materials_context(application, today, upload_errors or {}))
    return render_template("apply/form.html", **context), status


def _materials_context(application: Application, today, upload_errors: dict) -> dict:
    returned = apply_queries.last_return(application)
    return {
        "kinds": apply_rules.upload_kinds_for(application.level),
        "upload_forms": {k.key: UploadForm(prefix=k.key, formdata=None)
                         for k in apply_rules.UPLOAD_KINDS},
        "upload_errors": upload_errors,
        "problems": submission_problems(application, today),
        "gaps": apply_queries.profile_gaps(application),
        "returned": returned,
        "returned_by": Capacity(returned.capacity).label if returned else "",
    }


def _save(form: ApplicationForm, plan: TrainingPlan, application: Application | None):
    """Validate and save in one write transaction; the redirect, or the page with errors."""
    if not form.validate_on_submit():
        return None
    begin_write()
    person = _person()
    application = db.session.get(Application, application.id) if application else None
    try:
        saved = apply_operations.save_application(
            person=person, plan=db.session.get(TrainingPlan, plan.id), values=form.values,
            application=application, actor_id=current_user.id, today=local_today())
    except ApplyError as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            target = form.form_errors if name == WHOLE else getattr(form, name).errors
            target.append(message)
        return None
    db.session.commit()
    flash("申报信息已保存。" + ("请上传申报材料，下载申报表签字盖章后上传扫描件。"
                           if application is None else ""), "success")
    return redirect(url_for("apply.edit", application_id=saved.id))


@bp.route("/plans/<int:plan_id>/new", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def new(plan_id: int):
    plan = apply_queries.open_plan_or_404(plan_id)
    person = _person()
    form = ApplicationForm(plan=plan, person=person)
    if not plan.window_open(local_today()) and form.is_submitted():
        flash("报名时间已结束（或尚未开始），不能新建申报。", "error")
        return redirect(url_for("apply.index"))
    if form.is_submitted() and (response := _save(form, plan, None)):
        return response
    return _form_page(form, plan, None, status=422 if form.errors or form.form_errors else 200)


@bp.route("/<int:application_id>/edit", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def edit(application_id: int):
    application = apply_queries.own_application_or_404(application_id, current_user)
    form = ApplicationForm(obj=application, plan=application.plan, person=_person())
    if form.is_submitted():
        if problem := apply_operations.edit_problem(application, local_today()):
            flash(problem, "error")
            return redirect(url_for("apply.edit", application_id=application.id))
        if response := _save(form, application.plan, application):
            return response
    return _form_page(form, application.plan, application,
                      status=422 if form.errors or form.form_errors else 200)


# --- htmx pieces of the form ----------------------------------------------------------------


@bp.get("/plans/<int:plan_id>/eligibility")
@roles_required(Role.APPLICANT)
def eligibility(plan_id: int):
    """The live verdict for the level, occupation and levels held now on the form."""
    plan = apply_queries.open_plan_or_404(plan_id)
    values = EligibilityQuery(request.args).cleaned(plan)
    view = apply_queries.eligibility_view(user=current_user, person_id=_person().id,
                                          today=local_today(), **values)
    return render_template("apply/_eligibility.html", eligibility=view)


@bp.get("/plans/<int:plan_id>/units")
@roles_required(Role.APPLICANT)
def units(plan_id: int):
    """The recommending-unit field for the region now chosen on the form."""
    plan = apply_queries.open_plan_or_404(plan_id)
    form = ApplicationForm(formdata=request.args, meta={"csrf": False}, plan=plan,
                           person=_person())
    return render_template("apply/_unit_field.html", form=form)


@bp.get("/<int:application_id>/problems")
@roles_required(Role.APPLICANT)
def problems(application_id: int):
    """What a submission still lacks (refreshed after every upload)."""
    application = apply_queries.own_application_or_404(application_id, current_user)
    today = local_today()
    return render_template("apply/_problems.html", application=application,
                           problems=submission_problems(application, today),
                           gaps=apply_queries.profile_gaps(application),
                           problem=apply_operations.edit_problem(application, today))


# --- materials ------------------------------------------------------------------------------


@bp.post("/<int:application_id>/uploads/<kind_key>")
@roles_required(Role.APPLICANT)
def upload(application_id: int, kind_key: str):
    application = apply_queries.own_application_or_404(application_id, current_user)
    kind = apply_rules.upload_kind(kind_key)
    if kind is None:
        abort(404)
    form = UploadForm(prefix=kind.key)
    error = None
    if form.validate_on_submit():
        error = attach_in_one_write(Application, application_id, lambda a: apply_operations
                                    .attach_upload(a, kind, form.file.data,
                                                   actor_id=current_user.id, today=local_today()),
                                    refused=(ApplyError,))
        if error is None:
            db.session.commit()
    else:
        error = "；".join(form.file.errors) or "请刷新页面后重新上传"
    application = db.session.get(Application, application_id)
    if is_htmx():
        headers = {} if error else {"HX-Trigger": "application-files-changed"}
        return render_template(
            "apply/_upload.html", application=application, kind=kind,
            upload_form=UploadForm(prefix=kind.key, formdata=None),
            errors=[error] if error else [], saved=not error,
            editable=apply_operations.edit_problem(application, local_today()) is None,
        ), 422 if error else 200, headers
    if error:
        form = ApplicationForm(obj=application, plan=application.plan, person=_person())
        return _form_page(form, application.plan, application, status=422,
                          upload_errors={kind.key: [error]})
    flash(f"已上传{kind.label}。", "success")
    return redirect(url_for("apply.edit", application_id=application.id) + "#materials")


# --- Attachment 1 ---------------------------------------------------------------------------


@bp.get("/<int:application_id>/attachment1.pdf")
@login_required
def attachment1(application_id: int):
    """四川省技能人才评价考评员资格申报表 (Attachment 1), filled in, for whoever may see the
    application: the applicant prints it to sign; the unit and reviewers may print it too."""
    application = get_visible_or_404(Application, application_id, current_user)
    try:
        data = render_pdf("pdf/attachment1.html",
                          **apply_queries.attachment1_context(application, local_today()))
    except (PdfRenderError, apply_queries.PhotoTooLarge) as exc:
        flash(str(exc), "error")
        return redirect(application_url(application))
    return pdf_response(data, f"申报表-{application.person.name}-{application.plan.year}.pdf")

"""The offices' pages of a renewal (复核换证, notice §三(三)–(四)): the work queue, and a renewal
application's page with the Attachment 3 data, the materials, the work summary, the timeline,
the term report with the initial reviewer's decision on each finding, and the moves of the
unit (opinion and stamped Attachment 3), the initial reviewer and the province.

Every read is scoped (:mod:`portal.scope`: out of scope → 404; a visible application but a
move that is not the user's → 403); every move goes through
:func:`portal.renewals.operations.apply_action` (via :func:`portal.renewals.review.act`), one
transaction per request. The holder's own pages are :mod:`portal.renewals.apply_routes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.applications.review import province_name
from portal.applications.review_rules import compose_comment
from portal.auth.access import roles_required
from portal.auth.roles import Role
from portal.batches.models import EvaluationBatch
from portal.cards.models import Card
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import is_htmx, render_page_or_partial
from portal.pagination import paginate
from portal.renewals import review
from portal.renewals.apply_queries import TIMELINE_NAMES, holding, steps_of
from portal.renewals.forms import FindingForm, RenewalActForm, StampedFormForm
from portal.renewals.models import RenewalApplication, RenewalFinding, Violation
from portal.renewals.operations import capacities
from portal.renewals.queries import TermReport, term_report
from portal.renewals.rules import (
    RENEWAL_COMMENT_REQUIRED,
    RENEWAL_TRANSITIONS,
    RULE_TITLES,
    Finding,
    IllegalRenewalMove,
    RenewalAction,
    RenewalCapacity,
    RenewalStage,
    ViolationKind,
    renewal_actions,
    work_summary_length,
)
from portal.scope import can_see, get_visible_or_404, visible
from portal.sheets.models import EvaluationSheet
from portal.timeutil import cn_date, local_today, to_local
from portal.uploads.service import UploadRejected, store
from portal.workdays import WorkdayCalendar

bp = Blueprint("renewals", __name__, url_prefix="/renewals")

QUEUE_ROLES = (Role.UNIT, Role.CITY, Role.PROVINCE)
#: The materials of a renewal application, as the page lists them.
UPLOADS = (("photo", "个人照片"), ("id_copy", "身份证"), ("card_scan", "考评员证卡"),
           ("stamped_form", "加盖单位公章的复核换证申报表（附件3）"))
UNIT_OPINIONS = {"agree": "同意", "disagree": "不同意"}


# --- the work queue ------------------------------------------------------------------------


@bp.get("/")
@roles_required(*QUEUE_ROLES)
def queue():
    plan_id = request.args.get("plan", type=int)
    stage = request.args.get("stage", "")
    listed = [s for s in RenewalStage if s is not RenewalStage.DRAFT]
    if stage not in {s.value for s in listed} | {review.ALL_STAGES}:
        stage = ""
    q = request.args.get("q", "").strip()[:40]
    page = paginate(review.queue_select(current_user, plan_id=plan_id, stage=stage or None, q=q))
    calendar, today, province = WorkdayCalendar(), local_today(), province_name()
    holdings = {a.id: holding(a, today=today, calendar=calendar, province=province)
                for a in page.items}
    return render_page_or_partial(
        "renewals/review/queue.html", "renewals/review/_queue_table.html", page=page,
        holdings=holdings, stages=review.queue_stages(current_user), listed=listed,
        counts=review.queue_counts(current_user, plan_id=plan_id),
        plans=review.queue_plans(current_user),
        filters={"plan": plan_id or "", "stage": stage, "q": q})


# --- the term report -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordLink:
    """One record behind a finding: what it is, and its page (None where the viewer may not
    open it, or the page does not exist)."""

    label: str
    url: str | None


@dataclass(frozen=True)
class RuleRow:
    """One condition of notice §三(五) in the term report: met or not, the finding, the
    records behind it, and the reviewer's current decision (``earlier``: a decision taken when
    other records were behind the rule, which must be taken again)."""

    rule: int
    title: str
    finding: Finding | None
    records: list[RecordLink]
    decision: RenewalFinding | None
    earlier: RenewalFinding | None


def _visible_ids(model, ids, user) -> set:
    if not ids:
        return set()
    return set(db.session.scalars(
        select(model.id).where(model.id.in_(list(ids)), visible(model, user))))


def _sheet_link(sheet: EvaluationSheet, seen: set) -> RecordLink:
    score = f"，{sheet.final_score} 分" if sheet.final_score is not None else ""
    label = (f"{sheet.batch.number} · {cn_date(to_local(sheet.finalised_at).date())} · "
             f"“{sheet.grade}”{score}")
    return RecordLink(label, url_for("sheets.show", sheet_id=sheet.id)
                      if sheet.id in seen and "sheets.show" in current_app.view_functions
                      else None)


def _links(report: TermReport, finding: Finding, user) -> list[RecordLink]:
    records = report.records
    ids = list(finding.record_ids)
    if finding.rule == 1:
        seen = _visible_ids(EvaluationSheet, ids, user)
        return [_sheet_link(records.sheets[i], seen) for i in ids]
    if finding.rule == 2:
        refusals = [records.refusals[i] for i in ids]
        seen = _visible_ids(EvaluationBatch, {a.batch_id for a in refusals}, user)
        return [RecordLink(
            f"{a.batch.number} · {cn_date(a.refusal_day)} 拒绝接受调配"
            f"（理由：{a.reason or '未说明'}；经认定不属正当理由）",
            url_for("batches.show", batch_id=a.batch_id) if a.batch_id in seen else None)
            for a in refusals]
    seen = _visible_ids(Violation, ids, user)
    shown = "violations.show" in current_app.view_functions
    links = []
    for i in ids:
        violation = records.violations[i]
        text = violation.description if len(violation.description) <= 60 else (
            violation.description[:60] + "…")
        label = f"{ViolationKind(violation.kind).label} · {cn_date(violation.occurred_on)} · {text}"
        links.append(RecordLink(label, url_for("violations.show", violation_id=i)
                                if shown and i in seen else None))
    return links


def _report_context(application: RenewalApplication, user) -> dict:
    """The term report as the page shows it: the window, the work counted in it, rules 1–7
    each met or not with the records behind it and the reviewer's decisions."""
    report = term_report(application)
    by_rule = {f.rule: f for f in report.findings}
    rows = []
    for rule, title in RULE_TITLES.items():
        finding = by_rule.get(rule)
        decision = review.decision_for(application, finding) if finding else None
        earlier = None
        if finding and decision is None:
            earlier = next((r for r in application.findings if r.rule == rule), None)
        rows.append(RuleRow(rule, title, finding,
                            _links(report, finding, user) if finding else [], decision, earlier))
    start, end = report.window
    in_window = sorted((s for s in report.records.sheets.values()
                        if start <= to_local(s.finalised_at).date() <= end),
                       key=lambda s: (s.finalised_at, s.id))
    seen = _visible_ids(EvaluationSheet, [s.id for s in in_window], user)
    return {"report": report, "rows": rows, "decisions": review.DECISIONS,
            "window_sheets": [_sheet_link(s, seen) for s in in_window],
            "violations_in_term": sum(len(r.records) for r in rows if r.rule >= 3),
            "status": _findings_status(rows)}


@dataclass(frozen=True)
class FindingsStatus:
    found: int
    undecided: int
    confirmed: int
    overridden: int


def _findings_status(rows: list[RuleRow]) -> FindingsStatus:
    met = [r for r in rows if r.finding]
    return FindingsStatus(
        found=len(met), undecided=sum(1 for r in met if r.decision is None),
        confirmed=sum(1 for r in met if r.decision and r.decision.decision == "confirmed"),
        overridden=sum(1 for r in met if r.decision and r.decision.decision == "overridden"))


# --- one application -----------------------------------------------------------------------


def _load(application_id: int) -> RenewalApplication:
    return get_visible_or_404(RenewalApplication, application_id, current_user)


def _panel_notes(application: RenewalApplication, held: set, actions: list,
                 status: FindingsStatus | None) -> list[str]:
    stage = application.stage_enum
    notes = []
    if RenewalAction.AGREE in actions:
        notes.append("申报单位意见（同意或不同意及理由）将打印在复核换证申报表（附件3）上；"
                     "同意前须先上传加盖单位公章的申报表扫描件。")
    if RenewalCapacity.INITIAL_REVIEWER in held and stage is RenewalStage.INITIAL_REVIEW:
        if status and status.undecided:
            notes.append(f"任期核实报告中有 {status.undecided} 项发现尚未核实："
                         "逐项“确认存在”或“不予认定”后才能通过。")
        elif status and status.confirmed:
            notes.append("已确认存在不得复核换证的情形，只能不通过。")
    if RenewalCapacity.INITIAL_REVIEWER in held and stage is RenewalStage.INITIAL_APPROVED:
        notes.append(review.ELSEWHERE[RenewalAction.SEND_TO_PROVINCE])
    if RenewalCapacity.PROVINCE in held and stage is RenewalStage.PROVINCE_REVIEW:
        notes.append("通过即换发新证卡（有效期3年，须在发证后60个工作日内领取），原证卡同时被新证卡替代；"
                     "不通过将注销原证卡、取消原有考评资格（通知第三条第（四）项第4点）。")
    return notes


def _show(application: RenewalApplication, *, form: RenewalActForm | None = None,
          error: str | None = None, status: int = 200,
          stamped_form: StampedFormForm | None = None, finding_forms: dict | None = None,
          finding_errors: dict | None = None):
    held = capacities(current_user, application)
    office = held & review.OFFICE_CAPACITIES
    actions = review.panel_actions(application.stage, office)
    if form is None:
        form = RenewalActForm(formdata=None)
    form.stage.data = application.stage
    shows_report = bool(held & {RenewalCapacity.INITIAL_REVIEWER, RenewalCapacity.PROVINCE})
    report = _report_context(application, current_user) if shows_report else None
    unit_uploads = (RenewalCapacity.UNIT in held
                    and application.stage == RenewalStage.UNIT_REVIEW.value)
    unit_actions = {RenewalAction.AGREE, RenewalAction.DISAGREE} & set(actions)
    table = application.summary_table
    card = application.card
    return render_template(
        "renewals/review/show.html", application=application, card=card,
        holding=holding(application, today=local_today()), steps=steps_of(application),
        timeline_names=TIMELINE_NAMES, full_id=bool(held),
        uploads=[(label, getattr(application, name)) for name, label in UPLOADS],
        summary_length=work_summary_length(application.work_summary or ""),
        unit_opinion=UNIT_OPINIONS.get(application.unit_opinion, ""),
        actions=actions, form=form, error=error, comment_required=RENEWAL_COMMENT_REQUIRED,
        canned=review.RENEWAL_CANNED_REASONS, capacities=held,
        act_url=url_for("renewals.act", application_id=application.id),
        comment_max=review.UNIT_OPINION_MAX if unit_actions else 1000,
        comment_label=("申报单位意见 / 理由（不超过300字，打印在申报表上）" if unit_actions
                       else None),
        confirms={RenewalAction.REJECT.value: (
            f"确定复审不通过？将注销原证卡 {card.number}，{application.name}的考评员资格随之取消，"
            "此操作不能撤销。")} if RenewalCapacity.PROVINCE in held else {},
        button_labels=({RenewalAction.RETURN.value: "退回初审"}
                       if application.stage == RenewalStage.PROVINCE_REVIEW.value else {}),
        panel_notes=_panel_notes(application, held, actions, report and report["status"]),
        stamped_form=(stamped_form or StampedFormForm()) if unit_uploads else None,
        may_decide=(RenewalCapacity.INITIAL_REVIEWER in held
                    and application.stage == RenewalStage.INITIAL_REVIEW.value),
        finding_forms=finding_forms or {}, finding_errors=finding_errors or {},
        table=table, card_url=_card_url(card), new_card_url=_card_url(application.new_card),
        **(report or {}),
    ), status


def _card_url(card: Card | None) -> str | None:
    """The card's page, where the viewer may see the card."""
    if card is None or not can_see(Card, card.id, current_user):
        return None
    return url_for("cards.show", card_id=card.id)


@bp.get("/<int:application_id>")
@login_required
def show(application_id: int):
    return _show(_load(application_id))


def _forbidden(application: RenewalApplication, action: str, shown_stage: str | None) -> bool:
    """Whether the move is not the user's to make (403) — as opposed to a move the workflow
    refuses with a message (made elsewhere, from a stale page, or its conditions unmet)."""
    office = review.office_capacities(current_user, application)
    if not office:
        return True
    try:
        action = RenewalAction(action)
    except ValueError:
        return False  # the form refuses it
    if action in review.ELSEWHERE:
        return not any(office & who for (_, a), (who, _) in RENEWAL_TRANSITIONS.items()
                       if a is action)
    if shown_stage and shown_stage != application.stage:
        return False  # the stale page is said so
    return action not in renewal_actions(application.stage, office)


@bp.post("/<int:application_id>/act")
@login_required
def act(application_id: int):
    application = _load(application_id)
    form = RenewalActForm()
    if _forbidden(application, form.action.data or "", form.stage.data):
        abort(403)
    if not form.validate_on_submit():
        problems = [f"{field.label.text}：{e}" for field in form for e in field.errors]
        return _show(application, form=form, status=422,
                     error="未办理：" + "；".join(problems) + "。")
    action = RenewalAction(form.action.data)
    comment = compose_comment(form.reasons.data or [], form.comment.data,
                              review.RENEWAL_CANNED_REASONS)
    begin_write()
    application = db.session.get(RenewalApplication, application_id, with_for_update=True)
    try:
        review.act(application, action, user=current_user, comment=comment,
                   expected_stage=form.stage.data)
    except IllegalRenewalMove as exc:
        db.session.rollback()
        return _show(db.session.get(RenewalApplication, application_id), form=form,
                     error=str(exc), status=422)
    db.session.commit()
    application = db.session.get(RenewalApplication, application_id)
    flash(_done_message(application, action), "success")
    return redirect(url_for("renewals.show", application_id=application_id))


def _done_message(application: RenewalApplication, action: RenewalAction) -> str:
    stage = application.stage_enum
    if stage is RenewalStage.RENEWED and application.new_card is not None:
        new = application.new_card
        return (f"复审通过：已为{application.name}换发新证卡 {new.number}，有效期至 "
                f"{cn_date(new.valid_until)}，请于 {cn_date(new.collection_deadline)}"
                f"{'（预计）' if new.deadline_provisional else ''} 前领取；"
                f"原证卡 {application.card.number} 已由新证卡替代。")
    if stage is RenewalStage.REVOKED:
        return (f"复审不通过：{application.name}的原证卡 {application.card.number} 已注销，"
                "原有考评资格取消。")
    where = holding(application, today=local_today())
    after = (f"现由{where.office}办理。" if where.office
             else f"申请现为“{stage.label}”。")
    return f"已{action.label}：{application.name}的复核换证申请。{after}"


@bp.post("/<int:application_id>/stamped-form")
@login_required
def stamped_form(application_id: int):
    application = _load(application_id)
    if RenewalCapacity.UNIT not in capacities(current_user, application):
        abort(403)
    form = StampedFormForm()
    if not form.validate_on_submit():
        return _show(application, stamped_form=form, status=422)
    begin_write()
    application = db.session.get(RenewalApplication, application_id, with_for_update=True)
    try:
        upload = store(form.stamped_form.data, actor_id=current_user.id)
        review.attach_stamped_form(application, upload, user=current_user)
    except UploadRejected as exc:
        db.session.rollback()
        form.stamped_form.errors = [*form.stamped_form.errors, str(exc)]
        return _show(db.session.get(RenewalApplication, application_id), stamped_form=form,
                     status=422)
    except IllegalRenewalMove as exc:
        db.session.rollback()
        return _show(db.session.get(RenewalApplication, application_id), error=str(exc),
                     status=422)
    db.session.commit()
    flash("已上传加盖单位公章的复核换证申报表。请核对后出具单位意见。", "success")
    return redirect(url_for("renewals.show", application_id=application_id) + "#act")


@bp.post("/<int:application_id>/findings/<int:rule>")
@login_required
def decide(application_id: int, rule: int):
    """The initial reviewer confirms or overrides one finding; htmx swaps that finding."""
    application = _load(application_id)
    if RenewalCapacity.INITIAL_REVIEWER not in capacities(current_user, application):
        abort(403)
    if rule not in RULE_TITLES:
        abort(404)
    form = FindingForm()
    error = None
    if form.validate_on_submit():
        begin_write()
        application = db.session.get(RenewalApplication, application_id, with_for_update=True)
        try:
            review.decide_finding(application, rule, form.decision.data, form.reason.data,
                                  actor_id=current_user.id)
        except IllegalRenewalMove as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
    else:
        error = "；".join(e for field in form for e in field.errors)
    application = db.session.get(RenewalApplication, application_id)
    if not is_htmx():
        if error:
            return _show(application, status=422, finding_forms={rule: form},
                         finding_errors={rule: error})
        flash(f"已记录第{rule}项的核实结论。", "success")
        return redirect(url_for("renewals.show", application_id=application_id)
                        + f"#finding-{rule}")
    context = _report_context(application, current_user)
    row = next(r for r in context["rows"] if r.rule == rule)
    held = capacities(current_user, application)
    actions = review.panel_actions(application.stage, held & review.OFFICE_CAPACITIES)
    return render_template(
        "renewals/review/_finding_response.html", application=application, row=row,
        status=context["status"], decisions=review.DECISIONS, may_decide=True,
        panel_notes=_panel_notes(application, held, actions, context["status"]),
        finding_forms={rule: form} if error else {}, finding_errors={rule: error} if error
        else {}), 422 if error else 200

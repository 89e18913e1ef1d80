"""The offices' side of a renewal (复核换证, notice §三(三)–(五)) through HTTP, as each office
would use it: the work queue, the application page, the unit's stamped Attachment 3 and
opinion, the initial reviewer's term report (rules 1–7, each finding linked to its records,
confirmed or overridden with a reason), the province's decision (a new card, or the old one
revoked), the provincial-direct path, and scope (404 out of scope, 403 for a move that is not
the user's)."""

import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from application_factories import an_upload, client_as
from factories import (
    create_assignment,
    create_batch,
    create_card,
    create_org,
    create_person,
    create_user,
    csrf_in,
    region,
)
from PIL import Image
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cards.models import Card
from portal.extensions import db
from portal.renewals.models import (
    RenewalApplication,
    RenewalFinding,
    RenewalPlan,
    Violation,
)
from portal.renewals.operations import apply_action
from portal.renewals.queries import term_report
from portal.renewals.rules import RULE_TITLES, RenewalAction, RenewalCapacity, RenewalStage
from portal.sheets.models import EvaluationSheet
from portal.timeutil import LOCAL_TZ, local_today, utcnow
from portal.workdays import add_years

# --- factories -----------------------------------------------------------------------------

SUMMARY = "本人任期内认真履行考评员职责，严格执行考评规范。" * 50  # 1150 characters


def create_renewal_plan() -> RenewalPlan:
    today = local_today()
    plan = RenewalPlan(year=today.year, title=f"{today.year}年度考评员复核换证",
                       opens_on=today - timedelta(days=10), closes_on=today + timedelta(days=20),
                       expiry_cutoff=today + timedelta(days=20), published_at=utcnow())
    db.session.add(plan)
    db.session.commit()
    return plan


def org(name="成都测试评价中心", city="成都市", **kw):
    from portal.orgs.models import Organisation

    return (db.session.scalars(select(Organisation).where(Organisation.name == name)).first()
            or create_org(name, city, **kw))


def institution():
    return org("四川省直测试评价机构", "四川省", provincial_direct=True)


def local_noon(day) -> datetime:
    """A stored (naive UTC) timestamp at noon of ``day`` in China time."""
    return datetime.combine(day, time(12)).replace(tzinfo=LOCAL_TZ).astimezone(UTC).replace(
        tzinfo=None)


def create_renewal(plan, *, name="王考评", seq=31, city="成都市", unit=None, stage="initial_review",
                   submitted_on=None) -> RenewalApplication:
    """A complete renewal application of a new holder's card (issued three years ago, so it
    expires within the plan's window) in ``stage``; submitted ``submitted_on`` (default today)
    unless a draft."""
    unit = unit or (institution() if city == "四川省" else org())
    person = create_person(name, "成都市" if city == "四川省" else city, seq=seq,
                           org=unit if city != "四川省" else None)
    card = create_card(person, issued_on=add_years(local_today(), -3))
    upload = an_upload()
    application = RenewalApplication(
        plan=plan, person=person, card=card, region=region(city), unit=unit, name=person.name,
        gender=person.gender, education="大学本科", employer=unit.name,
        id_number=person.id_number, phone="13800000000", qualification="电工 二级/技师",
        specialty="电气", specialty_years=12, work_summary=SUMMARY, declares_health=True,
        declares_no_incident=True, photo_id=upload.id, id_copy_id=upload.id,
        card_scan_id=upload.id, stage=stage,
        submitted_at=None if stage == "draft" else local_noon(submitted_on or local_today()))
    db.session.add(application)
    db.session.commit()
    return application


def add_sheets(application, grades, *, finalised_on=None):
    """Finalised sheets of the holder with ``grades``, each in its own batch."""
    finalised_on = finalised_on or local_today() - timedelta(days=30)
    sheets = []
    for grade in grades:
        batch = create_batch(org(), days=(finalised_on,))
        assignment = create_assignment(batch, application.card, answer="accepted")
        sheet = db.session.scalars(select(EvaluationSheet).where(
            EvaluationSheet.assignment_id == assignment.id)).one()
        sheet.grade, sheet.finalised_at = grade, local_noon(finalised_on)
        sheets.append(sheet)
    db.session.commit()
    return sheets


def add_refusals(application, *justified, on=None):
    on = on or local_today() - timedelta(days=20)
    refusals = []
    for ok in justified:
        batch = create_batch(org(), days=(on,))
        refusals.append(create_assignment(batch, application.card, answer="refused",
                                          reason="家中有事", reason_justified=ok,
                                          answered_at=local_noon(on)))
    return refusals


def add_violation(application, kind="fraud_bribery", status="confirmed", on=None):
    violation = Violation(person_id=application.person_id, kind=kind,
                          occurred_on=on or local_today() - timedelta(days=40),
                          description="收受考生红包500元", status=status,
                          decided_at=None if status == "reported" else utcnow(),
                          decision_reason="" if status == "reported" else "经调查属实")
    db.session.add(violation)
    db.session.commit()
    return violation


def fresh(application) -> RenewalApplication:
    db.session.expire_all()
    return db.session.get(RenewalApplication, application.id)


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def act(client, application_id, action, comment="", reasons=(), stage=None):
    """POST a move from the review page with the page's CSRF token and shown stage."""
    html = client.get(f"/renewals/{application_id}").get_data(as_text=True)
    shown = re.search(r'name="stage" type="hidden" value="([^"]*)"', html) or re.search(
        r'name="stage" value="([^"]*)"', html)
    return client.post(f"/renewals/{application_id}/act", data={
        "csrf_token": csrf_in(html), "action": action, "comment": comment,
        "reasons": list(reasons), "stage": stage or (shown.group(1) if shown else "")})


def decide(client, application_id, rule, decision, reason="", htmx=True):
    html = client.get(f"/renewals/{application_id}").get_data(as_text=True)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/renewals/{application_id}/findings/{rule}", headers=headers,
                       data={"csrf_token": csrf_in(html), "decision": decision,
                             "reason": reason})


def png_file(name="附件3盖章.png"):
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (250, 250, 250)).save(out, "PNG")
    out.seek(0)
    return (out, name)


def upload_stamped(client, application_id):
    html = page(client, f"/renewals/{application_id}")
    return client.post(f"/renewals/{application_id}/stamped-form",
                       data={"csrf_token": csrf_in(html), "stamped_form": png_file()},
                       content_type="multipart/form-data")


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed (for sentences split by markup)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def plan(app):
    return create_renewal_plan()


@pytest.fixture
def chengdu(app):
    return client_as(app, create_user("chengdu", ["city"], city="成都市",
                                      display_name="成都市职鉴中心 张经办"))


@pytest.fixture
def sheng(app):
    return client_as(app, create_user("sheng", ["province"], display_name="省职鉴中心 李处长"))


@pytest.fixture
def clerk(app):
    return client_as(app, create_user("clerk", ["unit"], org=org(), display_name="评价中心 刘经办"))


# --- the term report -------------------------------------------------------------------------


def rule_block(html: str, rule: int) -> str:
    match = re.search(rf'<li class="rule [^"]*" id="finding-{rule}">(.*?)</li>\s*(?=<li class="rule|</ol>)',
                      html, re.S)
    assert match, f"rule {rule} not on the page"
    return match.group(1)


def test_three_of_ten_poor_sheets_disqualify(plan, chengdu):
    application = create_renewal(plan)
    sheets = add_sheets(application, ["差"] * 3 + ["良"] * 7)
    assert [f.rule for f in term_report(application).findings] == [1]

    html = page(chengdu, f"/renewals/{application.id}")
    assert "任期内工作情况核实" in html
    block = rule_block(html, 1)
    assert "存在" in block and RULE_TITLES[1] in block
    assert "共有评价记录表10份，其中“差”等次3份，占30.0%" in block
    for sheet in sheets[:3]:
        assert f'href="/sheets/{sheet.id}"' in block
    assert f'href="/sheets/{sheets[3].id}"' not in block  # a 良 sheet is not behind the finding
    assert "未发现" in rule_block(html, 2)
    assert "发现 1 项不得复核换证的情形：待核实 1 项" in text_of(html)


def test_two_of_seven_poor_sheets_do_not(plan, chengdu):
    application = create_renewal(plan)
    add_sheets(application, ["差"] * 2 + ["中"] * 5)
    assert term_report(application).findings == []
    html = page(chengdu, f"/renewals/{application.id}")
    assert "未发现" in rule_block(html, 1)
    assert "未发现不得复核换证的情形" in html
    stats = text_of(html)
    assert "评价记录表（已完成） 7 份" in stats and "其中“差”等次 2 份" in stats


def test_a_poor_sheet_13_months_before_submission_does_not_count(plan, chengdu):
    submitted = local_today() - timedelta(days=3)
    application = create_renewal(plan, submitted_on=submitted)
    add_sheets(application, ["差"], finalised_on=add_years(submitted, -1) - timedelta(days=31))
    add_sheets(application, ["差", "差"] + ["良"] * 7)
    report = term_report(application)
    assert (report.sheets_in_window, report.poor_in_window) == (9, 2)
    assert report.findings == []
    assert report.window == (add_years(submitted, -1), submitted)
    html = page(chengdu, f"/renewals/{application.id}")
    assert "未发现" in rule_block(html, 1)
    assert "评价记录表（已完成） 9 份" in text_of(html)


def test_three_unjustified_refusals_disqualify(plan, chengdu):
    application = create_renewal(plan)
    refusals = add_refusals(application, False, False, False)
    assert [f.rule for f in term_report(application).findings] == [2]
    block = rule_block(page(chengdu, f"/renewals/{application.id}"), 2)
    assert "无正当理由拒绝接受考评工作调配3次" in block
    for refusal in refusals:
        assert f'href="/batches/{refusal.batch_id}"' in block


def test_two_unjustified_and_one_justified_refusal_do_not(plan, chengdu):
    application = create_renewal(plan)
    add_refusals(application, False, False, True)
    assert term_report(application).findings == []
    html = page(chengdu, f"/renewals/{application.id}")
    assert "未发现" in rule_block(html, 2)
    assert "无正当理由拒绝调配 2 次" in text_of(html)


def test_one_confirmed_fraud_violation_disqualifies(plan, chengdu):
    application = create_renewal(plan)
    violation = add_violation(application)
    assert [f.rule for f in term_report(application).findings] == [6]
    block = rule_block(page(chengdu, f"/renewals/{application.id}"), 6)
    assert RULE_TITLES[6] in block and "收受考生红包500元" in block
    assert f'href="/violations/{violation.id}"' in block


def test_a_dismissed_violation_does_not(plan, chengdu):
    application = create_renewal(plan)
    add_violation(application, status="dismissed")
    assert term_report(application).findings == []
    assert "未发现" in rule_block(page(chengdu, f"/renewals/{application.id}"), 6)


def test_records_the_reviewer_may_not_open_are_plain_text(plan, app):
    """A provincial-direct institution reviews a 四川省 renewal; the sheets behind the finding
    were made by a Chengdu institution it cannot see: listed, not linked."""
    application = create_renewal(plan, city="四川省")
    add_sheets(application, ["差"] * 3)
    reviewer = client_as(app, create_user("inst", ["unit"], org=institution()))
    block = rule_block(page(reviewer, f"/renewals/{application.id}"), 1)
    assert "“差”" in block and "/sheets/" not in block


# --- finding decisions and the reviewer's moves ------------------------------------------------


def test_an_override_needs_a_reason(plan, chengdu):
    application = create_renewal(plan)
    add_sheets(application, ["差"] * 3)
    response = decide(chengdu, application.id, 1, "overridden", "")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "不予认定须填写理由。" in body and 'id="finding-1"' in body
    assert db.session.scalar(select(func.count()).select_from(RenewalFinding)) == 0


def test_approve_is_refused_while_a_finding_is_undecided_or_confirmed(plan, chengdu):
    application = create_renewal(plan)
    add_sheets(application, ["差"] * 3)
    response = act(chengdu, application.id, "approve")
    assert response.status_code == 422
    assert "请先逐项确认或否定任期核实发现的问题（第1项）" in response.get_data(as_text=True)
    assert fresh(application).stage == RenewalStage.INITIAL_REVIEW

    response = decide(chengdu, application.id, 1, "confirmed")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "确认存在" in body and "成都市职鉴中心 张经办" in body
    # the count above the findings and the panel's notes are refreshed out of band
    assert re.search(r'id="findings-status" class="[^"]*findings-bad" hx-swap-oob="true"', body)
    assert '<div id="panel-notes" hx-swap-oob="true">' in body
    assert "已确认存在不得复核换证的情形，只能不通过。" in body

    response = act(chengdu, application.id, "approve")
    assert response.status_code == 422
    assert "已确认存在不得复核换证的情形（第1项），只能不通过" in response.get_data(as_text=True)
    assert fresh(application).stage == RenewalStage.INITIAL_REVIEW


def test_approve_after_overrides_works(plan, chengdu):
    application = create_renewal(plan)
    add_sheets(application, ["差"] * 3 + ["良"] * 2)
    add_violation(application, kind="refused_recusal")
    for rule in (1, 3):
        assert decide(chengdu, application.id, rule, "overridden",
                      "经核实，评价结果系考场设备故障所致").status_code == 200
    html = page(chengdu, f"/renewals/{application.id}")
    assert "不予认定" in rule_block(html, 1) and "经核实，评价结果系考场设备故障所致" in html
    assert "不予认定 2 项" in text_of(html)

    response = act(chengdu, application.id, "approve")
    assert response.status_code == 302
    assert fresh(application).stage == RenewalStage.INITIAL_APPROVED
    decisions = db.session.scalars(select(RenewalFinding).order_by(RenewalFinding.rule)).all()
    assert [(d.rule, d.decision) for d in decisions] == [(1, "overridden"), (3, "overridden")]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "renewal.finding")) == 2


def test_a_decision_without_htmx_redirects_back_to_the_finding(plan, chengdu):
    application = create_renewal(plan)
    add_refusals(application, False, False, False)
    response = decide(chengdu, application.id, 2, "confirmed", htmx=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("#finding-2")
    response = decide(chengdu, application.id, 2, "overridden", "", htmx=False)
    assert response.status_code == 422
    assert "不予认定须填写理由。" in response.get_data(as_text=True)


def test_reject_needs_a_reason_and_offers_the_rule_titles(plan, chengdu):
    application = create_renewal(plan)
    html = page(chengdu, f"/renewals/{application.id}")
    assert f"存在不得复核换证的情形：{RULE_TITLES[6]}" in html
    response = act(chengdu, application.id, "reject")
    assert response.status_code == 422
    assert "“不通过”须填写意见或理由。" in response.get_data(as_text=True)
    response = act(chengdu, application.id, "reject",
                   reasons=[f"存在不得复核换证的情形：{RULE_TITLES[6]}"], comment="见违规记录")
    assert response.status_code == 302
    application = fresh(application)
    assert application.stage == RenewalStage.REJECTED
    assert application.steps[-1].comment == f"存在不得复核换证的情形：{RULE_TITLES[6]}；见违规记录"


def test_a_return_goes_back_to_the_holder(plan, chengdu):
    application = create_renewal(plan)
    assert act(chengdu, application.id, "return", comment="工作总结请补充任期内考评情况").status_code == 302
    assert fresh(application).stage == RenewalStage.RETURNED_BY_REVIEWER


def test_a_move_from_a_stale_page_is_refused(plan, chengdu):
    application = create_renewal(plan)
    response = act(chengdu, application.id, "approve", stage="unit_review")
    assert response.status_code == 422
    assert "申请状态已变化" in response.get_data(as_text=True)


# --- the unit ------------------------------------------------------------------------------------


def test_the_unit_must_upload_the_stamped_form_before_agreeing(plan, clerk):
    application = create_renewal(plan, stage="unit_review")
    html = page(clerk, f"/renewals/{application.id}")
    assert "盖章的复核换证申报表" in html and "同意（已盖章）" in html
    response = act(clerk, application.id, "agree")
    assert response.status_code == 422
    assert "请先上传加盖单位公章的复核换证申报表（附件3）。" in response.get_data(as_text=True)

    response = act(clerk, application.id, "disagree", comment="不" * 301)
    assert response.status_code == 422
    assert "申报单位意见不超过300字" in response.get_data(as_text=True)
    assert fresh(application).stage == RenewalStage.UNIT_REVIEW

    assert upload_stamped(clerk, application.id).status_code == 302
    application = fresh(application)
    assert application.stamped_form.original_name == "附件3盖章.png"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "renewal.upload")) == 1
    assert act(clerk, application.id, "agree", comment="同意该同志复核换证。").status_code == 302
    application = fresh(application)
    assert application.stage == RenewalStage.INITIAL_REVIEW
    assert (application.unit_opinion, application.unit_reason) == ("agree", "同意该同志复核换证。")


def test_the_unit_may_disagree_with_a_short_reason(plan, clerk):
    application = create_renewal(plan, stage="unit_review")
    assert act(clerk, application.id, "disagree", comment="该同志已调离本单位").status_code == 302
    application = fresh(application)
    assert application.stage == RenewalStage.UNIT_DECLINED
    assert (application.unit_opinion, application.unit_reason) == ("disagree", "该同志已调离本单位")


# --- the whole way -------------------------------------------------------------------------------


def test_from_submission_to_a_new_card(plan, app, clerk, chengdu, sheng):
    application = create_renewal(plan, stage="draft")
    holder = create_user("holder", ["applicant"], person=application.person)
    old_number = application.card.number
    apply_action(application, RenewalAction.SUBMIT, user=holder)
    db.session.commit()
    assert fresh(application).stage == RenewalStage.UNIT_REVIEW

    assert "王考评" in page(clerk, "/renewals/")
    assert upload_stamped(clerk, application.id).status_code == 302
    response = act(clerk, application.id, "agree", comment="同意。")
    assert response.status_code == 302
    assert "现由成都市职业技能鉴定指导中心办理" in page(clerk, response.headers["Location"])

    assert "王考评" in page(chengdu, "/renewals/")
    assert act(chengdu, application.id, "approve").status_code == 302
    application = fresh(application)
    assert application.stage == RenewalStage.INITIAL_APPROVED
    html = page(chengdu, f"/renewals/{application.id}")
    assert "报送省职鉴中心须通过复核换证汇总表办理" in html
    reviewer = db.session.scalars(select(type(holder)).where(type(holder).username == "chengdu")).one()
    apply_action(application, RenewalAction.SEND_TO_PROVINCE, user=reviewer,
                 acting_as={RenewalCapacity.INITIAL_REVIEWER})
    db.session.commit()

    html = page(sheng, f"/renewals/{application.id}")
    assert "待省职鉴中心复审" in html and "data-confirm=" in html and "将注销原证卡" in html
    response = act(sheng, application.id, "approve")
    assert response.status_code == 302
    flashed = page(sheng, response.headers["Location"])
    application = fresh(application)
    new, old = application.new_card, application.card
    assert application.stage == RenewalStage.RENEWED
    assert new.number != old_number and new.number in flashed
    assert f'href="/cards/{new.id}"' in flashed and "换发的新证卡" in flashed
    today = local_today()
    assert (new.issued_on, new.valid_until, new.origin) == (today, add_years(today, 3), "renewal")
    assert new.collection_deadline > today and new.collected_on is None
    assert (old.superseded_on, old.superseded_by_id) == (today, new.id)

    timeline = page(sheng, f"/renewals/{application.id}")
    for words in ("同意（已盖章）", "申报单位", "初审单位", "随汇总表报送省职鉴中心",
                  "复审通过，已换发新证", "省职鉴中心 李处长"):
        assert words in timeline, words
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "renewal_application").order_by(AuditEvent.id)).all()
    assert actions == ["renewal.submit", "renewal.upload", "renewal.agree", "renewal.approve",
                       "renewal.send_to_province", "renewal.approve"]


def test_the_province_rejects_and_the_old_card_is_revoked(plan, sheng):
    application = create_renewal(plan, stage="province_review")
    response = act(sheng, application.id, "reject")
    assert response.status_code == 422  # a reason is required
    response = act(sheng, application.id, "reject", comment="任期内评价“差”等次比例过高")
    assert response.status_code == 302
    html = page(sheng, response.headers["Location"])
    application = fresh(application)
    assert application.stage == RenewalStage.REVOKED
    assert application.card.revoked_on == local_today()
    assert "任期内评价“差”等次比例过高" in application.card.revoke_reason
    assert "原证卡已注销" in html and application.card.number in html


def test_the_province_may_return_to_the_initial_review(plan, sheng):
    application = create_renewal(plan, stage="province_review")
    assert re.search(r'value="return"[^>]*>退回初审</button>',
                     page(sheng, f"/renewals/{application.id}"))
    assert act(sheng, application.id, "return", comment="请补充任期核实").status_code == 302
    assert fresh(application).stage == RenewalStage.INITIAL_REVIEW


def test_a_provincial_direct_renewal_is_reviewed_by_the_institution(plan, app, sheng):
    application = create_renewal(plan, city="四川省", stage="unit_review")
    inst = client_as(app, create_user("inst", ["unit"], org=institution()))
    assert "王考评" in page(inst, "/renewals/")
    assert upload_stamped(inst, application.id).status_code == 302
    response = act(inst, application.id, "agree")
    assert response.status_code == 302
    assert "现由四川省直测试评价机构办理" in page(inst, response.headers["Location"])
    queue = page(inst, "/renewals/")
    assert "王考评" in queue and "待初审（任期内工作情况核实）" in queue
    html = page(inst, f"/renewals/{application.id}")
    assert "任期内工作情况核实" in html
    assert act(inst, application.id, "approve").status_code == 302
    application = fresh(application)
    assert application.stage == RenewalStage.INITIAL_APPROVED
    assert application.steps[-1].capacity == "initial_reviewer"
    # the Chengdu centre has no part in it
    chengdu = client_as(app, create_user("chengdu", ["city"], city="成都市"))
    assert chengdu.get(f"/renewals/{application.id}").status_code == 404


# --- the queue -----------------------------------------------------------------------------------


def test_the_queue_lists_what_waits_for_me_oldest_first(plan, chengdu):
    older = create_renewal(plan, name="赵先到", seq=41)
    newer = create_renewal(plan, name="钱后到", seq=42)
    at_unit = create_renewal(plan, name="孙在单位", seq=43, stage="unit_review")
    older.stage_since = utcnow() - timedelta(days=10)
    db.session.commit()
    html = page(chengdu, "/renewals/")
    assert html.index("赵先到") < html.index("钱后到")
    assert "孙在单位" not in html
    assert older.id_number not in html and older.id_number[:6] in html  # masked
    assert older.card.number in html and "电工" in html and "成都测试评价中心" in html
    assert "个工作日" in html

    everything = page(chengdu, "/renewals/?stage=all")
    assert "孙在单位" in everything
    assert "孙在单位" in page(chengdu, "/renewals/?stage=unit_review")
    found = page(chengdu, f"/renewals/?stage=all&q={newer.card.number}")
    assert "钱后到" in found and "赵先到" not in found
    assert "赵先到" in page(chengdu, "/renewals/?stage=all&q=赵先")

    partial = chengdu.get("/renewals/?stage=all", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="renewal-queue">') and "孙在单位" in body
    assert at_unit.id


def test_the_queue_of_each_office(plan, app, clerk, sheng):
    create_renewal(plan, name="赵单位", seq=41, stage="unit_review")
    create_renewal(plan, name="钱初审", seq=42)
    create_renewal(plan, name="孙复审", seq=43, stage="province_review")
    unit_queue = page(clerk, "/renewals/")
    assert "赵单位" in unit_queue and "钱初审" not in unit_queue and "孙复审" not in unit_queue
    province_queue = page(sheng, "/renewals/")
    assert "孙复审" in province_queue and "赵单位" not in province_queue
    mianyang = client_as(app, create_user("mianyang", ["city"], city="绵阳市"))
    assert "没有等待您办理的复核换证申请" in page(mianyang, "/renewals/")
    assert "钱初审" not in page(mianyang, "/renewals/?stage=all")


def test_the_nav_shows_the_renewal_queue_to_offices(plan, chengdu):
    html = page(chengdu, "/")
    assert 'href="/renewals/"' in html and "换证审核" in html


# --- scope ---------------------------------------------------------------------------------------


def test_out_of_scope_is_404(plan, app):
    application = create_renewal(plan)
    draft = create_renewal(plan, name="草稿人", seq=44, stage="draft")
    others = {
        "mianyang": create_user("mianyang", ["city"], city="绵阳市"),
        "other_unit": create_user("other_unit", ["unit"], org=org("成都另一单位", "成都市")),
        "other_holder": create_user("other_holder", ["applicant"],
                                    person=create_person("别人", seq=45)),
    }
    for name, user in others.items():
        client = client_as(app, user)
        assert client.get(f"/renewals/{application.id}").status_code == 404, name
        html = page(client, "/")
        response = client.post(f"/renewals/{application.id}/act",
                               data={"csrf_token": csrf_in(html), "action": "approve",
                                     "stage": "initial_review"})
        assert response.status_code == 404, name
        response = client.post(f"/renewals/{application.id}/findings/1",
                               data={"csrf_token": csrf_in(html), "decision": "confirmed"})
        assert response.status_code == 404, name
    for user in (create_user("chengdu", ["city"], city="成都市"),
                 create_user("clerk", ["unit"], org=org()), create_user("sheng", ["province"])):
        assert client_as(app, user).get(f"/renewals/{draft.id}").status_code == 404
    holder = client_as(app, create_user("holder", ["applicant"], person=draft.person))
    html = page(holder, f"/renewals/{draft.id}")
    assert 'id="act"' not in html  # the holder's moves are on the holder's pages


def test_a_visible_application_but_a_forbidden_move_is_403(plan, app, clerk, sheng):
    application = create_renewal(plan)
    add_sheets(application, ["差"] * 3)
    holder = client_as(app, create_user("holder", ["applicant"], person=application.person))
    html = page(holder, f"/renewals/{application.id}")
    token = csrf_in(html)
    assert holder.post(f"/renewals/{application.id}/act", data={
        "csrf_token": token, "action": "withdraw", "stage": "initial_review"}).status_code == 403
    token = csrf_in(page(clerk, f"/renewals/{application.id}"))
    assert clerk.post(f"/renewals/{application.id}/act", data={
        "csrf_token": token, "action": "approve", "stage": "initial_review"}).status_code == 403
    assert clerk.post(f"/renewals/{application.id}/findings/1", data={
        "csrf_token": token, "decision": "overridden", "reason": "x"}).status_code == 403
    token = csrf_in(page(sheng, f"/renewals/{application.id}"))
    assert sheng.post(f"/renewals/{application.id}/act", data={
        "csrf_token": token, "action": "approve", "stage": "initial_review"}).status_code == 403
    assert sheng.post(f"/renewals/{application.id}/stamped-form", data={
        "csrf_token": token}).status_code == 403
    assert fresh(application).stage == RenewalStage.INITIAL_REVIEW
    assert db.session.scalar(select(func.count()).select_from(RenewalFinding)) == 0
    # the province reads the term report but decides nothing in it
    html = page(sheng, f"/renewals/{application.id}")
    assert "任期内工作情况核实" in html and "/findings/1" not in html
    assert db.session.scalar(select(func.count()).select_from(Card)) == 1

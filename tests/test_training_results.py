"""Assessment results (notice §二(五) "培训结束后统一安排考核，合格人员……颁发……证卡"): a score per
participant, entered on the session page or imported from XLSX; a pass issues the card
through issue_card, dated the session's assessment date; a fail does not; a banned person is
refused a card; the import is previewed with Chinese errors, all or nothing, and idempotent."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from application_factories import create_plan, create_session, create_trainee
from factories import create_card, create_org, create_person, create_user, login
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.applications.models import Application, ApplicationStep, TrainingSession
from portal.audit.models import AuditEvent
from portal.cards.models import Card
from portal.cards.operations import sweep
from portal.cards.queries import active_ban
from portal.extensions import db
from portal.timeutil import local_today
from portal.training.result_imports import HEADERS
from portal.workdays import WorkdayCalendar, add_years

HX = {"HX-Request": "true"}


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def post_result(client, session, application, token, score, headers=HX):
    return client.post(
        f"/training/sessions/{session.id}/participants/{application.id}/result",
        data={"csrf_token": token, "score": score}, headers=headers)


def ban(person):
    for n, issued in ((1, date(2024, 1, 8)), (2, date(2024, 4, 1))):
        create_card(person, issued_on=issued, collected=False,
                    number=f"川考评-2024-{person.id * 10 + n:06d}")
    sweep(date(2025, 1, 6))
    db.session.commit()
    assert active_ban(person.id) is not None


@pytest.fixture
def unit():
    return create_org("成都测试推荐单位")


@pytest.fixture
def plan():
    return create_plan(2026)


@pytest.fixture
def province(login_as):
    return login_as("province")


@pytest.fixture
def june(monkeypatch):
    """Today is 2026-06-20 for the pages: a session of 15–17 June assessed on the 18th."""
    today = date(2026, 6, 20)
    for module in ("session_routes", "result_import_routes"):
        monkeypatch.setattr(f"portal.training.{module}.local_today", lambda: today)
    return today


# --- one by one -------------------------------------------------------------------------------


def test_a_pass_issues_the_card_dated_the_assessment_day(client, province, csrf, plan, unit,
                                                         june):
    session = create_session(plan, starts_on=date(2026, 6, 15), ends_on=date(2026, 6, 17),
                             assessed_on=date(2026, 6, 18))
    trainee = create_trainee(plan, session, name="合格者", unit=unit, stage="assessment",
                             level="考评员", occupation_name="焊工")
    token = csrf(f"/training/sessions/{session.id}")
    response = post_result(client, session, trainee, token, "85.5")
    row = response.get_data(as_text=True)
    assert response.status_code == 200, row

    trainee = fresh(Application, trainee.id)
    card = db.session.get(Card, trainee.card_id)
    assert (trainee.stage, trainee.score) == ("certified", Decimal("85.5"))
    assert (card.person_id, card.occupation.name, card.level, card.origin) == (
        trainee.person_id, "焊工", "考评员", "training")
    assert card.issued_on == date(2026, 6, 18)
    assert card.valid_until == date(2029, 6, 18) == add_years(card.issued_on, 3)
    assert card.collection_deadline == date(2026, 9, 11)  # 60 working days after 18 June
    assert card.collection_deadline == WorkdayCalendar().add_workdays(date(2026, 6, 18), 60)
    assert card.collected_on is None

    assert row.startswith(f'<tr id="participant-{trainee.id}"')
    assert f'href="/cards/{card.id}"' in row and card.number in row and "合格" in row
    assert "85.5" in row and "2026年9月11日" in row
    [step] = db.session.scalars(select(ApplicationStep).where(
        ApplicationStep.application_id == trainee.id))
    assert (step.action, step.to_stage, step.capacity) == ("pass", "certified", "province")
    assert step.comment == f"考核成绩 85.5 分，合格；发放证卡 {card.number}"
    [issue] = events("card.issue")
    assert issue.after["origin"] == "training" and issue.actor_id == province.id
    [result] = events("application.result")
    assert result.after["card_number"] == card.number and result.after["score"] == "85.5"
    assert len(events("application.pass")) == 1
    # The application page shows the session, the score and the card to collect.
    page = client.get(f"/applications/{trainee.id}").get_data(as_text=True)
    assert f'href="/training/sessions/{session.id}"' in page and "85.5 分" in page
    assert f'href="/cards/{card.id}"' in page and "2026年9月11日" in page


def test_the_assessment_date_defaults_to_today_and_is_then_fixed(client, province, csrf, plan,
                                                                 unit):
    session = create_session(plan)
    first = create_trainee(plan, session, name="第一", seq=61, unit=unit, stage="assessment")
    token = csrf(f"/training/sessions/{session.id}")
    page = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "未设定（录入第一个成绩时取当天）" in page
    post_result(client, session, first, token, "60")
    today = local_today()
    assert fresh(TrainingSession, session.id).assessed_on == today
    assert db.session.get(Card, fresh(Application, first.id).card_id).issued_on == today
    [event] = events("training_session.assessment_date")
    assert event.after["assessed_on"] == today.isoformat()

    changed = client.post(f"/training/sessions/{session.id}/assessment-date", data={
        "csrf_token": token, "assessed_on": (today - timedelta(days=1)).isoformat()})
    assert changed.status_code == 422
    assert "考核日期（即发证日期）不能再修改" in changed.get_data(as_text=True)
    assert fresh(TrainingSession, session.id).assessed_on == today


def test_the_assessment_date_is_checked(client, province, csrf, plan, june):
    session = create_session(plan, starts_on=date(2026, 6, 15), ends_on=date(2026, 6, 17))
    token = csrf(f"/training/sessions/{session.id}")

    def set_date(day):
        return client.post(f"/training/sessions/{session.id}/assessment-date",
                           data={"csrf_token": token, "assessed_on": day})

    future = set_date("2026-06-21")
    assert future.status_code == 422 and "考核日期不能晚于今天" in future.get_data(as_text=True)
    early = set_date("2026-06-16")
    assert early.status_code == 422 and "不能早于培训结束日期" in early.get_data(as_text=True)
    assert fresh(TrainingSession, session.id).assessed_on is None
    assert set_date("2026-06-18").status_code == 302
    assert fresh(TrainingSession, session.id).assessed_on == date(2026, 6, 18)


def test_a_fail_records_the_score_and_issues_nothing(client, province, csrf, plan, unit):
    session = create_session(plan)
    trainee = create_trainee(plan, session, unit=unit, stage="assessment")
    response = post_result(client, session, trainee, csrf(f"/training/sessions/{session.id}"),
                           "59.9")
    assert response.status_code == 200 and "不合格" in response.get_data(as_text=True)
    trainee = fresh(Application, trainee.id)
    assert (trainee.stage, trainee.score, trainee.card_id) == ("failed", Decimal("59.9"), None)
    assert count(Card) == 0 and events("card.issue") == []
    assert events("application.fail")[0].after["comment"] == "考核成绩 59.9 分，不合格（60 分合格）"


def test_a_banned_person_is_refused_a_card(client, province, csrf, plan, unit):
    session = create_session(plan)
    trainee = create_trainee(plan, session, unit=unit, stage="assessment")
    ban(trainee.person)
    cards_before = count(Card)
    token = csrf(f"/training/sessions/{session.id}")
    response = post_result(client, session, trainee, token, "90")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "因连续两次未领取证卡" in html and "不能发放证卡" in html
    trainee = fresh(Application, trainee.id)
    assert (trainee.stage, trainee.score, trainee.card_id) == ("assessment", None, None)
    assert count(Card) == cards_before and events("application.pass") == []
    # The refusal is about the card: a failing score is still recorded.
    assert post_result(client, session, trainee, token, "40").status_code == 200
    assert fresh(Application, trainee.id).stage == "failed"


@pytest.mark.parametrize("score, message", [
    ("", "请填写考核成绩"), ("九十", "考核成绩应为数字"), ("100.5", "0–100"),
    ("88.25", "最多保留一位小数"),
])
def test_a_bad_score_is_refused_next_to_the_row(client, province, csrf, plan, unit, score,
                                                message):
    session = create_session(plan)
    trainee = create_trainee(plan, session, unit=unit, stage="assessment")
    response = post_result(client, session, trainee, csrf(f"/training/sessions/{session.id}"),
                           score)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert fresh(Application, trainee.id).stage == "assessment" and count(Card) == 0


@pytest.mark.parametrize("stage", ["training", "absent", "certified", "failed", "withdrawn",
                                   "province_review"])
def test_a_result_for_anyone_not_awaiting_assessment_is_refused(client, province, csrf, plan,
                                                                unit, stage):
    session = create_session(plan)
    application = create_trainee(plan, session, unit=unit, stage=stage)
    response = post_result(client, session, application,
                           csrf(f"/training/sessions/{session.id}"), "80")
    assert response.status_code == 422 and "不能" in response.get_data(as_text=True)
    assert fresh(Application, application.id).stage == stage
    assert count(Card) == 0 and events("application.result") == []
    assert fresh(TrainingSession, session.id).assessed_on is None


def test_a_result_without_htmx_redirects_back_with_the_message(client, province, csrf, plan,
                                                               unit):
    session = create_session(plan)
    trainee = create_trainee(plan, session, unit=unit, stage="assessment")
    response = post_result(client, session, trainee, csrf(f"/training/sessions/{session.id}"),
                           "77", headers={})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "考核合格，已发放证卡" in page


@pytest.mark.parametrize("role", ["unit", "city", "applicant"])
def test_only_the_province_records_results(client, login_as, csrf, plan, role):
    login_as(role)
    session = create_session(plan)
    trainee = create_trainee(plan, session, stage="assessment")
    token = csrf("/")
    assert post_result(client, session, trainee, token, "80").status_code in (403, 404)
    assert client.get(f"/training/sessions/{session.id}/results/import").status_code in (403, 404)
    with client.get(f"/training/sessions/{session.id}/results/template") as response:
        assert response.status_code in (403, 404)
    assert fresh(Application, trainee.id).stage == "assessment"


def test_everyone_concerned_sees_the_result_on_the_session_page(app, client, province, csrf,
                                                                plan):
    clerk_org = create_org("成都测试评价中心")
    session = create_session(plan)
    passed = create_trainee(plan, session, name="本单位合格", seq=61, unit=clerk_org,
                            stage="assessment")
    post_result(client, session, passed, csrf(f"/training/sessions/{session.id}"), "91")
    card = db.session.get(Card, fresh(Application, passed.id).card_id)
    clerk = app.test_client()
    create_user("clerk", ["unit"], org=clerk_org)
    login(clerk, "clerk")
    page = clerk.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "本单位合格" in page and "考核合格，已发证" in page and card.number in page
    assert "91.0" in page and "保存成绩" not in page


# --- XLSX import ------------------------------------------------------------------------------


def filled(template_bytes, scores):
    """The downloaded template with ``scores`` ({申报编号: (成绩, 结果)}) typed in."""
    wb = load_workbook(io.BytesIO(template_bytes))
    ws = wb.active
    header = next(r for r in ws.iter_rows() if r[0].value == "序号")
    columns = {c.value: c.column for c in header}
    for cells in ws.iter_rows(min_row=header[0].row + 1):
        number = cells[columns["申报编号"] - 1].value
        if number in scores:
            score, result = scores[number]
            cells[columns["考核成绩"] - 1].value = score
            cells[columns["考核结果"] - 1].value = result
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook(rows):
    """A results file with rows of (序号, 申报编号, 姓名, 身份证号码, 成绩, 结果)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["考评员资格培训考核成绩"])
    ws.append(list(HEADERS))
    for seq, number, name, id_number, score, result in rows:
        ws.append([seq, number, name, id_number, "成都测试推荐单位", "电工", "考评员", score,
                   result])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, token, session, data, name="成绩.xlsx"):
    file = FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
    boundary, body = encode_multipart({"csrf_token": token, "workbook": file})
    return client.post(f"/training/sessions/{session.id}/results/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def payload_in(html):
    return re.search(r'name="payload" type="hidden" value="([^"]+)"', html).group(1)


def confirm(client, token, session, payload):
    return client.post(f"/training/sessions/{session.id}/results/import/confirm",
                       data={"csrf_token": token, "payload": payload})


@pytest.fixture
def session_with_people(plan, unit):
    session = create_session(plan, starts_on=date(2026, 6, 15), ends_on=date(2026, 6, 17),
                             assessed_on=date(2026, 6, 18))
    people = {
        "good": create_trainee(plan, session, name="张合格", seq=61, unit=unit,
                               stage="assessment"),
        "low": create_trainee(plan, session, name="李补考", seq=62, unit=unit,
                              stage="assessment"),
        "later": create_trainee(plan, session, name="王待定", seq=63, unit=unit,
                                stage="assessment"),
        "absent": create_trainee(plan, session, name="赵缺席", seq=64, unit=unit,
                                 stage="absent"),
        "waiting": create_trainee(plan, session, name="钱未记", seq=65, unit=unit),
    }
    return session, people


def test_the_template_lists_those_who_attended(client, province, session_with_people, june):
    session, people = session_with_people
    with client.get(f"/training/sessions/{session.id}/results/template") as response:
        assert response.status_code == 200
        ws = load_workbook(io.BytesIO(response.data)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    text = "\n".join(str(c) for row in values for c in row if c is not None)
    assert "2026年6月18日" in text and "60 分及以上为合格" in text
    header = next(i for i, row in enumerate(values) if row[0] == "序号")
    assert list(values[header]) == list(HEADERS)
    listed = {row[2]: row[3] for row in values[header + 1:] if row[1]}
    assert set(listed) == {"张合格", "李补考", "王待定"}
    assert listed["张合格"] == people["good"].person.id_number


def test_an_import_previews_then_records_every_result_and_issues_the_cards(
        client, province, csrf, session_with_people, june):
    session, people = session_with_people
    with client.get(f"/training/sessions/{session.id}/results/template") as response:
        template = response.data
    data = filled(template, {people["good"].id: (92.5, "合格"), people["low"].id: (48, None)})
    token = csrf(f"/training/sessions/{session.id}/results/import")
    preview = upload(client, token, session, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "将导入 <strong>2</strong> 行（其中合格 1 人，将发放证卡）" in html
    assert "未填写 1 行" in html and count(Card) == 0
    assert fresh(Application, people["good"].id).stage == "assessment"

    done = confirm(client, token, session, payload_in(html))
    assert done.status_code == 302
    good, low = fresh(Application, people["good"].id), fresh(Application, people["low"].id)
    assert (good.stage, good.score, low.stage, low.score) == (
        "certified", Decimal("92.5"), "failed", Decimal("48.0"))
    card = db.session.get(Card, good.card_id)
    assert (card.issued_on, card.valid_until, card.origin) == (
        date(2026, 6, 18), date(2029, 6, 18), "training")
    assert low.card_id is None and fresh(Application, people["later"].id).stage == "assessment"
    [event] = events("training_session.results_import")
    assert event.after["recorded"] == 2 and event.after["cards"] == [card.number]
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已导入 2 人的考核成绩（合格 1 人，已发放证卡）" in page and card.number in page

    # The same file again changes nothing: every filled row is 无变化, no confirm button.
    again = upload(client, token, session, data)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "无变化 2 行" in html
    assert "文件中没有需要导入的新成绩" in html and 'name="payload"' not in html
    assert count(Card) == 1 and len(events("application.result")) == 2


def test_preview_errors_are_chinese_per_row_and_nothing_is_imported(client, province, csrf,
                                                                    plan, unit,
                                                                    session_with_people, june):
    session, people = session_with_people
    elsewhere = create_trainee(plan, create_session(plan, place="另一场"), name="孙别场", seq=66,
                               unit=unit, stage="assessment")
    stranger = create_person("周陌生", seq=67)
    rows = [
        (1, people["good"].id, "张合格", people["good"].person.id_number, 80, "合格"),
        (2, 99999, "某某", "", 80, ""),
        (3, "", "周陌生", stranger.id_number, 80, ""),
        (4, elsewhere.id, "孙别场", elsewhere.person.id_number, 80, ""),
        (5, people["low"].id, "李补考", people["low"].person.id_number, 120, ""),
        (6, people["later"].id, "王待定", people["later"].person.id_number, 55, "合格"),
        (7, people["absent"].id, "赵缺席", people["absent"].person.id_number, 70, ""),
        (8, people["waiting"].id, "钱未记", people["waiting"].person.id_number, 70, ""),
    ]
    response = upload(client, csrf(f"/training/sessions/{session.id}/results/import"), session,
                      workbook(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("未知的申报编号", "未知的身份证号码", "该申报人不在本场培训中",
                    "考核成绩应在 0–100 分之间", "考核结果“合格”与成绩 55.0 分不符",
                    "未参加培训，不能录入考核成绩", "尚未记录参加培训，不能录入考核成绩"):
        assert message in html, message
    assert "有误 <strong>7</strong> 行" in html and "没有任何成绩被导入" in html
    assert 'name="payload"' not in html
    assert count(Card) == 0 and events("application.result") == []
    assert fresh(Application, people["good"].id).stage == "assessment"


def test_confirm_rechecks_and_imports_nothing_when_a_row_went_stale(client, province, csrf,
                                                                   session_with_people, june):
    session, people = session_with_people
    rows = [(1, people["good"].id, "张合格", people["good"].person.id_number, 80, ""),
            (2, people["low"].id, "李补考", people["low"].person.id_number, 70, "")]
    token = csrf(f"/training/sessions/{session.id}/results/import")
    payload = payload_in(upload(client, token, session, workbook(rows)).get_data(as_text=True))
    # Meanwhile 李补考's result is entered on the session page with another score.
    post_result(client, session, people["low"], token, "65")
    cards_before = count(Card)
    response = confirm(client, token, session, payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "确认导入时重新核对发现以下各行有误" in html
    assert "已录入考核结果（65.0 分，合格），不能更改" in html
    assert fresh(Application, people["good"].id).stage == "assessment"
    assert count(Card) == cards_before and events("training_session.results_import") == []


def test_a_banned_pass_in_the_file_stops_the_whole_import(client, province, csrf,
                                                          session_with_people, june):
    session, people = session_with_people
    ban(people["low"].person)
    rows = [(1, people["good"].id, "张合格", people["good"].person.id_number, 80, ""),
            (2, people["low"].id, "李补考", people["low"].person.id_number, 75, "")]
    response = upload(client, csrf(f"/training/sessions/{session.id}/results/import"), session,
                      workbook(rows))
    assert response.status_code == 422
    assert "该人员已被永久取消申报资格" in response.get_data(as_text=True)
    assert fresh(Application, people["good"].id).stage == "assessment"


def test_a_tampered_or_foreign_payload_is_refused(client, province, csrf, plan,
                                                  session_with_people, june):
    session, people = session_with_people
    rows = [(1, people["good"].id, "张合格", people["good"].person.id_number, 80, "")]
    token = csrf(f"/training/sessions/{session.id}/results/import")
    payload = payload_in(upload(client, token, session, workbook(rows)).get_data(as_text=True))
    other = create_session(plan, place="另一场")
    assert confirm(client, token, other, payload).status_code == 400
    assert confirm(client, token, session, payload[:-3] + "abc").status_code == 400
    assert fresh(Application, people["good"].id).stage == "assessment"


@pytest.mark.parametrize("data, message", [
    (b"not a spreadsheet", "只接受 XLSX 格式"),
    (None, "没有找到模板的表头"),
])
def test_a_file_that_is_not_the_template_is_refused(client, province, csrf, session_with_people,
                                                    june, data, message):
    session, _ = session_with_people
    if data is None:
        wb = Workbook()
        wb.active.append(["姓名", "分数"])
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
    response = upload(client, csrf(f"/training/sessions/{session.id}/results/import"), session,
                      data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)

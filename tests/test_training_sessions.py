"""Training sessions under a plan (notice §二(五)): the province schedules sessions, a unit
requests a 专场 with its training plan, the province schedules or declines it; approved
applicants are put into sessions; attendance moves them on, and an absence without a special
reason takes one place off the unit's next quota (Attachment 1 note)."""

import io
import re
from datetime import date, timedelta

import pytest
from application_factories import (
    create_plan,
    create_quota,
    create_session,
    create_trainee,
)
from factories import create_org, create_user, login
from pypdf import PdfWriter
from sqlalchemy import func, select

from portal.applications.models import (
    Application,
    ApplicationStep,
    TrainingPlan,
    TrainingSession,
    UnitQuota,
)
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.timeutil import local_today

HX = {"HX-Request": "true"}


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "PNG")
    return out.getvalue()


def events(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def download_status(client, upload_id):
    with client.get(f"/files/{upload_id}") as response:
        return response.status_code


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def steps_of(application):
    return list(db.session.scalars(select(ApplicationStep).where(
        ApplicationStep.application_id == application.id).order_by(ApplicationStep.id)))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


@pytest.fixture
def unit():
    return create_org("成都测试推荐单位", training_quota=5)


@pytest.fixture
def plan():
    return create_plan(2026)


# --- sessions ---------------------------------------------------------------------------------


def test_the_province_schedules_a_session_and_the_plan_page_links_to_it(client, login_as, csrf,
                                                                         plan):
    province = login_as("province")
    token = csrf(f"/training/plans/{plan.id}/sessions/new")
    bad = client.post(f"/training/plans/{plan.id}/sessions/new", data={
        "csrf_token": token, "starts_on": "2026-06-03", "ends_on": "2026-06-01",
        "mode": "central", "place": ""})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "培训结束日期不能早于开始日期" in page and "请填写培训地点" in page
    assert count(TrainingSession) == 0

    response = client.post(f"/training/plans/{plan.id}/sessions/new", data={
        "csrf_token": token, "starts_on": "2026-06-01", "ends_on": "2026-06-03",
        "mode": "regional", "place": "绵阳市职业技能鉴定中心", "notes": "8:30 报到"})
    assert response.status_code == 302
    session = db.session.scalars(select(TrainingSession)).one()
    assert (session.plan_id, session.mode, session.status) == (plan.id, "regional", "scheduled")
    assert response.headers["Location"].endswith(f"/training/sessions/{session.id}")
    [event] = events("training_session.create")
    assert event.actor_id == province.id and event.after["place"] == "绵阳市职业技能鉴定中心"

    plan_page = client.get(f"/training/plans/{plan.id}").get_data(as_text=True)
    assert f'href="/training/sessions/{session.id}"' in plan_page
    assert "2026年6月1日" in plan_page and "分片区培训" in plan_page
    show = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "绵阳市职业技能鉴定中心" in show and "8:30 报到" in show


def test_the_province_edits_a_session_with_before_and_after_in_the_audit(client, login_as, csrf,
                                                                         plan):
    login_as("province")
    session = create_session(plan, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2))
    token = csrf(f"/training/sessions/{session.id}/edit")
    response = client.post(f"/training/sessions/{session.id}/edit", data={
        "csrf_token": token, "starts_on": "2026-06-08", "ends_on": "2026-06-09",
        "mode": "online", "place": "线上直播平台", "notes": ""})
    assert response.status_code == 302
    session = fresh(TrainingSession, session.id)
    assert (session.starts_on, session.mode, session.place) == (
        date(2026, 6, 8), "online", "线上直播平台")
    [event] = events("training_session.update")
    assert event.before["starts_on"] == "2026-06-01" and event.after["starts_on"] == "2026-06-08"
    assert event.before["mode"] == "central" and event.after["mode"] == "online"


def test_the_province_deletes_an_empty_session_but_not_one_with_participants(client, login_as,
                                                                            csrf, plan, unit):
    login_as("province")
    empty, full = create_session(plan), create_session(plan, place="有学员的场次")
    create_trainee(plan, full, unit=unit)
    requested = create_session(plan, status="requested", mode="special", requested_by=unit)
    token = csrf(f"/training/sessions/{empty.id}/edit")
    assert "删除本场次" in client.get(f"/training/sessions/{empty.id}/edit").get_data(as_text=True)
    refused = client.post(f"/training/sessions/{full.id}/delete", data={"csrf_token": token},
                          follow_redirects=True)
    assert "本场已有学员，不能删除" in refused.get_data(as_text=True)
    refused = client.post(f"/training/sessions/{requested.id}/delete",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "单位申请的专场培训不能删除" in refused.get_data(as_text=True)
    empty_id, kept = empty.id, {full.id, requested.id}
    done = client.post(f"/training/sessions/{empty_id}/delete", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("#sessions")
    assert fresh(TrainingSession, empty_id) is None
    assert set(db.session.scalars(select(TrainingSession.id))) == kept
    [event] = events("training_session.delete")
    assert event.before["place"] == "成都市人才培训中心"


def test_the_dates_of_a_session_with_recorded_attendance_stay(client, login_as, csrf, plan,
                                                              unit):
    login_as("province")
    session = create_session(plan)
    create_trainee(plan, session, unit=unit, stage="assessment")
    token = csrf(f"/training/sessions/{session.id}/edit")
    data = {"csrf_token": token, "starts_on": (session.starts_on - timedelta(days=1)).isoformat(),
            "ends_on": session.ends_on.isoformat(), "mode": "central", "place": "新地点"}
    refused = client.post(f"/training/sessions/{session.id}/edit", data=data)
    assert refused.status_code == 422 and "培训日期不能再修改" in refused.get_data(as_text=True)
    assert fresh(TrainingSession, session.id).place == "成都市人才培训中心"
    data["starts_on"] = session.starts_on.isoformat()
    assert client.post(f"/training/sessions/{session.id}/edit", data=data).status_code == 302
    assert fresh(TrainingSession, session.id).place == "新地点"


@pytest.mark.parametrize("role", ["unit", "city", "applicant"])
def test_only_the_province_creates_or_edits_sessions(client, login_as, csrf, plan, role):
    login_as(role)
    session = create_session(plan)
    token = csrf("/")
    data = {"csrf_token": token, "starts_on": "2026-06-08", "ends_on": "2026-06-09",
            "mode": "central", "place": "某地"}
    assert client.get(f"/training/plans/{plan.id}/sessions/new").status_code == 403
    assert client.post(f"/training/plans/{plan.id}/sessions/new", data=data).status_code == 403
    assert client.post(f"/training/sessions/{session.id}/edit", data=data).status_code in (403, 404)
    assert client.post(f"/training/sessions/{session.id}/delete",
                       data={"csrf_token": token}).status_code in (403, 404)
    assert count(TrainingSession) == 1 and fresh(TrainingSession, session.id).place != "某地"


def test_who_sees_a_session(app, client, login_as, plan, unit):
    """Scheduled sessions of a published plan: units and cities (their own people only);
    requests: the province and the requesting unit; an applicant: their own session."""
    clerk = login_as("unit")  # the clerk of 成都测试评价中心
    other_unit = create_org("绵阳某单位", "绵阳市")
    scheduled = create_session(plan)
    requested = create_session(plan, status="requested", mode="special", requested_by=other_unit)
    draft_plan = create_plan(2027, published=False)
    unpublished = create_session(draft_plan)
    mine = create_trainee(plan, scheduled, name="本单位学员", seq=81, unit=clerk.organisation)
    create_trainee(plan, scheduled, name="别人的学员", seq=82, unit=unit)

    page = client.get(f"/training/sessions/{scheduled.id}").get_data(as_text=True)
    assert "本单位学员" in page and "别人的学员" not in page
    assert client.get(f"/training/sessions/{requested.id}").status_code == 404
    assert client.get(f"/training/sessions/{unpublished.id}").status_code == 404
    assert client.get("/training/sessions/99999").status_code == 404

    other_clerk = app.test_client()
    create_user("mianyang", ["unit"], org=other_unit)
    login(other_clerk, "mianyang")
    assert other_clerk.get(f"/training/sessions/{requested.id}").status_code == 200

    learner = app.test_client()
    create_user("learner", ["applicant"], person=mine.person)
    login(learner, "learner")
    assert learner.get(f"/training/sessions/{scheduled.id}").status_code == 200
    other_session = create_session(plan, place="另一场")
    assert learner.get(f"/training/sessions/{other_session.id}").status_code == 404


# --- 专场 requests -----------------------------------------------------------------------------


def request_data(token, file_bytes, name="培训方案.pdf", **over):
    data = {"csrf_token": token, "starts_on": "2026-07-06", "ends_on": "2026-07-08",
            "place": "本机构培训楼三楼", "notes": "本单位申报 40 人",
            "request_plan": (io.BytesIO(file_bytes), name)}
    data.update(over)
    return data


def test_a_unit_requests_a_special_session_and_the_province_schedules_it(app, client, login_as,
                                                                         csrf, plan):
    clerk = login_as("unit")
    url = f"/training/plans/{plan.id}/sessions/request"
    token = csrf(url)
    refused = client.post(url, data=request_data(token, png_bytes(), "方案.png"),
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "培训方案须为 PDF 文件" in refused.get_data(as_text=True)
    missing = client.post(url, data={**request_data(token, b""), "request_plan": ""},
                          content_type="multipart/form-data")
    assert missing.status_code == 422 and "请上传培训方案" in missing.get_data(as_text=True)
    assert count(TrainingSession) == 0

    response = client.post(url, data=request_data(token, pdf_bytes()),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    session = db.session.scalars(select(TrainingSession)).one()
    assert (session.status, session.mode, session.requested_by_id) == (
        "requested", "special", clerk.organisation_id)
    assert session.request_plan.mime == "application/pdf"
    page = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "专场申请待省职鉴中心安排" in page and "本单位申报 40 人" in page
    assert download_status(client, session.request_plan_id) == 200
    assert len(events("training_session.request")) == 1

    province = app.test_client()
    create_user("sheng", ["province"])
    login(province, "sheng")
    decide = province.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "处理专场培训申请" in decide and "培训方案.pdf" in decide
    assert download_status(province, session.request_plan_id) == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', decide).group(1)
    done = province.post(f"/training/sessions/{session.id}/schedule", data={
        "csrf_token": token, "starts_on": "2026-07-13", "ends_on": "2026-07-15",
        "place": "本机构培训楼三楼", "notes": "省中心派两名讲师"})
    assert done.status_code == 302
    session = fresh(TrainingSession, session.id)
    assert (session.status, session.starts_on) == ("scheduled", date(2026, 7, 13))
    [event] = events("training_session.schedule")
    assert event.before["starts_on"] == "2026-07-06" and event.after["status"] == "scheduled"
    again = province.post(f"/training/sessions/{session.id}/decline",
                          data={"csrf_token": token, "reason": "晚了"}, follow_redirects=True)
    assert "该专场申请已处理" in again.get_data(as_text=True)
    assert fresh(TrainingSession, session.id).status == "scheduled"
    assert "已安排" in client.get(f"/training/sessions/{session.id}").get_data(as_text=True)


def test_the_province_declines_a_request_with_a_reason_the_unit_reads(app, client, login_as,
                                                                      csrf, plan):
    clerk = login_as("unit")
    upload_token = csrf(f"/training/plans/{plan.id}/sessions/request")
    client.post(f"/training/plans/{plan.id}/sessions/request",
                data=request_data(upload_token, pdf_bytes()), content_type="multipart/form-data")
    session = db.session.scalars(select(TrainingSession)).one()

    province = app.test_client()
    create_user("sheng", ["province"])
    login(province, "sheng")
    page = province.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    empty = province.post(f"/training/sessions/{session.id}/decline",
                          data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422 and "请填写不予安排的理由" in empty.get_data(as_text=True)
    province.post(f"/training/sessions/{session.id}/decline",
                  data={"csrf_token": token, "reason": "参训人数较少，请参加集中培训"})
    session = fresh(TrainingSession, session.id)
    assert (session.status, session.decline_reason) == ("declined", "参训人数较少，请参加集中培训")
    [event] = events("training_session.decline")
    assert event.after["reason"] == "参训人数较少，请参加集中培训"

    seen = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "专场申请未获安排" in seen and "参训人数较少，请参加集中培训" in seen
    assert clerk.organisation_id == session.requested_by_id
    # Another unit's clerk neither sees the request nor downloads its plan.
    other = app.test_client()
    create_user("other", ["unit"], org=create_org("德阳某单位", "德阳市"))
    login(other, "other")
    assert other.get(f"/training/sessions/{session.id}").status_code == 404
    assert download_status(other, session.request_plan_id) == 404


@pytest.mark.parametrize("role", ["city", "applicant"])
def test_only_a_unit_requests_a_special_session(client, login_as, plan, role):
    login_as(role)
    assert client.get(f"/training/plans/{plan.id}/sessions/request").status_code == 403


# --- participants -----------------------------------------------------------------------------


def test_the_province_puts_approved_applicants_of_the_plan_into_a_session(client, login_as,
                                                                          csrf, plan, unit):
    login_as("province")
    session = create_session(plan)
    ready = [create_trainee(plan, name=n, seq=s, unit=unit)
             for n, s in (("甲学员", 61), ("乙学员", 62))]
    waiting = create_trainee(plan, name="复审中", seq=63, unit=unit, stage="province_review")
    elsewhere = create_trainee(create_plan(2025), name="上期学员", seq=64, unit=unit)
    placed = create_trainee(plan, create_session(plan, place="另一场"), name="别场学员", seq=65,
                            unit=unit)

    page = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "甲学员" in page and "乙学员" in page
    assert "复审中" not in page and "上期学员" not in page and "别场学员" not in page
    token = csrf(f"/training/sessions/{session.id}")
    response = client.post(f"/training/sessions/{session.id}/participants", data={
        "csrf_token": token,
        "application_ids": [str(a.id) for a in (*ready, waiting, elsewhere, placed)]},
        follow_redirects=True)
    assert "已将 2 人安排到本场培训" in response.get_data(as_text=True)
    assert "另有 3 人已不能安排" in response.get_data(as_text=True)
    assert [fresh(Application, a.id).session_id for a in ready] == [session.id] * 2
    assert fresh(Application, waiting.id).session_id is None
    assert fresh(Application, elsewhere.id).session_id is None
    assert fresh(Application, placed.id).session_id != session.id
    assert len(events("application.session_assign")) == 2

    none = client.post(f"/training/sessions/{session.id}/participants",
                       data={"csrf_token": token}, follow_redirects=True)
    assert "请至少选择一名学员" in none.get_data(as_text=True)

    removed = client.post(f"/training/sessions/{session.id}/participants/{ready[0].id}/remove",
                          data={"csrf_token": token}, follow_redirects=True)
    assert "已将 甲学员 移出本场培训" in removed.get_data(as_text=True)
    assert fresh(Application, ready[0].id).session_id is None
    [event] = events("application.session_remove")
    assert event.before["session"] == session.id


def test_a_special_session_takes_only_the_requesting_units_applicants(client, login_as, csrf,
                                                                      plan, unit):
    login_as("province")
    other = create_org("绵阳某单位", "绵阳市")
    session = create_session(plan, mode="special", requested_by=unit)
    own = create_trainee(plan, name="本单位", seq=61, unit=unit)
    foreign = create_trainee(plan, name="外单位", seq=62, unit=other, city="绵阳市")
    page = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "本单位" in page and "外单位" not in page
    client.post(f"/training/sessions/{session.id}/participants", data={
        "csrf_token": csrf(f"/training/sessions/{session.id}"),
        "application_ids": [str(own.id), str(foreign.id)]})
    assert fresh(Application, own.id).session_id == session.id
    assert fresh(Application, foreign.id).session_id is None


def test_no_one_is_added_to_a_session_not_yet_scheduled(client, login_as, csrf, plan, unit):
    login_as("province")
    session = create_session(plan, status="requested", mode="special", requested_by=unit)
    trainee = create_trainee(plan, unit=unit)
    response = client.post(f"/training/sessions/{session.id}/participants", data={
        "csrf_token": csrf(f"/training/sessions/{session.id}"),
        "application_ids": [str(trainee.id)]}, follow_redirects=True)
    assert "只能向已安排的培训场次添加学员" in response.get_data(as_text=True)
    assert fresh(Application, trainee.id).session_id is None


# --- attendance -------------------------------------------------------------------------------


def attendance(client, session, application, token, **data):
    return client.post(
        f"/training/sessions/{session.id}/participants/{application.id}/attendance",
        data={"csrf_token": token, **data}, headers=HX)


def test_attendance_moves_each_participant_on_with_a_step_and_an_audit_event(client, login_as,
                                                                             csrf, plan, unit):
    province = login_as("province")
    session = create_session(plan)
    came = create_trainee(plan, session, name="来了", seq=61, unit=unit)
    ill = create_trainee(plan, session, name="病假", seq=62, unit=unit)
    missed = create_trainee(plan, session, name="没来", seq=63, unit=unit)
    token = csrf(f"/training/sessions/{session.id}")

    ok = attendance(client, session, came, token, outcome="attend")
    row = ok.get_data(as_text=True)
    assert ok.status_code == 200 and row.startswith(f'<tr id="participant-{came.id}"')
    assert "已参加培训，待考核" in row and 'hx-swap-oob="true"' in row
    [step] = steps_of(came)
    assert (step.action, step.from_stage, step.to_stage, step.capacity, step.actor_id) == (
        "attend", "training", "assessment", "province", province.id)
    assert "参加培训" in step.comment

    no_reason = attendance(client, session, ill, token, outcome="absent", excused="y", reason="")
    assert no_reason.status_code == 422
    assert "有特殊原因的缺席须填写原因" in no_reason.get_data(as_text=True)
    assert fresh(Application, ill.id).stage == "training" and steps_of(ill) == []

    excused = attendance(client, session, ill, token, outcome="absent", excused="y",
                         reason="住院治疗")
    assert excused.status_code == 200 and "未参加（有特殊原因）" in excused.get_data(as_text=True)
    ill = fresh(Application, ill.id)
    assert (ill.stage, ill.absence_excused) == ("absent", True)
    assert steps_of(ill)[0].comment == "有特殊原因：住院治疗"

    unexcused = attendance(client, session, missed, token, outcome="absent")
    html = unexcused.get_data(as_text=True)
    assert "未参加（无特殊原因）" in html and "缺席将核减 成都测试推荐单位 下期名额 1 人" in html
    missed = fresh(Application, missed.id)
    assert (missed.stage, missed.absence_excused) == ("absent", False)
    assert [e.after["excused"] for e in events("application.absence")] == [True, False]
    assert events("application.absence")[1].after["next_quota_reduced"] is True
    assert len(events("application.attend")) == 1 and len(events("application.absent")) == 2

    page = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert 'id="absence-notes"' in page and "缺席将核减 成都测试推荐单位 下期名额 1 人" in page


def test_bulk_attendance_records_every_ticked_participant(client, login_as, csrf, plan, unit):
    login_as("province")
    session = create_session(plan)
    trainees = [create_trainee(plan, session, name=f"学员{i}", seq=60 + i, unit=unit)
                for i in range(3)]
    response = client.post(f"/training/sessions/{session.id}/attendance", data={
        "csrf_token": csrf(f"/training/sessions/{session.id}"),
        "application_ids": [str(trainees[0].id), str(trainees[2].id)]}, follow_redirects=True)
    assert "已记录 2 人参加培训" in response.get_data(as_text=True)
    assert [fresh(Application, a.id).stage for a in trainees] == [
        "assessment", "training", "assessment"]


def test_a_bulk_attendance_with_one_illegal_move_records_nothing(client, login_as, csrf, plan,
                                                                 unit):
    login_as("province")
    session = create_session(plan)
    first = create_trainee(plan, session, name="学员一", seq=61, unit=unit)
    done = create_trainee(plan, session, name="已考核", seq=62, unit=unit, stage="assessment")
    response = client.post(f"/training/sessions/{session.id}/attendance", data={
        "csrf_token": csrf(f"/training/sessions/{session.id}"),
        "application_ids": [str(first.id), str(done.id)]}, follow_redirects=True)
    assert "未记录任何考勤" in response.get_data(as_text=True)
    assert fresh(Application, first.id).stage == "training" and steps_of(first) == []


@pytest.mark.parametrize("stage", ["province_review", "assessment", "certified", "failed",
                                   "absent", "withdrawn"])
def test_attendance_is_refused_for_an_application_not_awaiting_training(client, login_as, csrf,
                                                                        plan, unit, stage):
    login_as("province")
    session = create_session(plan)
    application = create_trainee(plan, session, unit=unit, stage=stage)
    token = csrf(f"/training/sessions/{session.id}")
    for data in ({"outcome": "attend"}, {"outcome": "absent"}):
        response = attendance(client, session, application, token, **data)
        assert response.status_code == 422, data
        assert "不能" in response.get_data(as_text=True)
    assert fresh(Application, application.id).stage == stage
    assert steps_of(application) == [] and events("application.absence") == []


def test_attendance_is_refused_before_the_session_starts_and_outside_the_session(client,
                                                                                 login_as, csrf,
                                                                                 plan, unit):
    login_as("province")
    later = create_session(plan, starts_on=local_today() + timedelta(days=2))
    early = create_trainee(plan, later, name="早到", seq=61, unit=unit)
    token = csrf(f"/training/sessions/{later.id}")
    response = attendance(client, later, early, token, outcome="attend")
    assert response.status_code == 422 and "培训尚未开始" in response.get_data(as_text=True)
    assert "培训开始后记录" in client.get(f"/training/sessions/{later.id}").get_data(as_text=True)

    session = create_session(plan)
    outsider = create_trainee(plan, name="不在本场", seq=62, unit=unit)
    assert attendance(client, session, outsider, token, outcome="attend").status_code == 404
    assert fresh(Application, early.id).stage == "training"
    assert fresh(Application, outsider.id).stage == "training"


@pytest.mark.parametrize("role", ["unit", "city"])
def test_only_the_province_records_attendance(client, login_as, csrf, plan, role):
    login_as(role)
    session = create_session(plan)
    trainee = create_trainee(plan, session)
    token = csrf(f"/training/sessions/{session.id}")
    assert attendance(client, session, trainee, token, outcome="attend").status_code == 403
    assert client.post(f"/training/sessions/{session.id}/attendance", data={
        "csrf_token": token, "application_ids": [str(trainee.id)]}).status_code == 403
    assert fresh(Application, trainee.id).stage == "training"


# --- absence and the next quota ---------------------------------------------------------------


def next_plan_form(token, occupation_ids):
    return {"csrf_token": token, "year": "2027", "title": "2027年度考评员资格培训",
            "levels": ["考评员"], "occupation_ids": [str(i) for i in occupation_ids],
            "opens_on": "2027-03-01", "closes_on": "2027-03-31", "mode": "central",
            "places": "300", "notes": ""}


def test_an_unexcused_absence_reduces_the_units_next_quota_by_one(client, login_as, csrf, plan,
                                                                  unit):
    login_as("province")
    create_quota(plan, unit, base=5)
    other = create_org("德阳测试推荐单位", "德阳市", training_quota=3)
    create_quota(plan, other, base=3)
    session = create_session(plan)
    missed = create_trainee(plan, session, name="无故缺席", seq=61, unit=unit)
    excused = create_trainee(plan, session, name="因病缺席", seq=62, unit=unit)
    excused_elsewhere = create_trainee(plan, session, name="德阳请假", seq=63, unit=other,
                                       city="德阳市")
    came = create_trainee(plan, session, name="按时参加", seq=64, unit=unit)
    token = csrf(f"/training/sessions/{session.id}")
    attendance(client, session, missed, token, outcome="absent")
    attendance(client, session, excused, token, outcome="absent", excused="y", reason="住院")
    attendance(client, session, excused_elsewhere, token, outcome="absent", excused="y",
               reason="公派出差")
    attendance(client, session, came, token, outcome="attend")

    plan_page = client.get(f"/training/plans/{plan.id}").get_data(as_text=True)
    assert 'id="plan-absences"' in plan_page
    assert "缺席将核减 成都测试推荐单位 下期名额 1 人" in plan_page
    assert "德阳测试推荐单位 下期名额" not in plan_page

    response = client.post("/training/plans/new", data=next_plan_form(
        csrf("/training/plans/new"), [o.id for o in plan.occupations]))
    assert response.status_code == 302
    following = db.session.scalars(select(TrainingPlan).where(TrainingPlan.year == 2027)).one()
    quotas = {q.organisation.name: (q.base, q.absences, q.quota) for q in following.quotas}
    assert quotas["成都测试推荐单位"] == (5, 1, 4)
    assert quotas["德阳测试推荐单位"] == (3, 0, 3)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "−1" in page and "<strong>4</strong>" in page


def test_an_excused_absence_leaves_the_next_quota_alone(client, login_as, csrf, plan, unit):
    login_as("province")
    create_quota(plan, unit, base=5)
    session = create_session(plan)
    excused = create_trainee(plan, session, unit=unit)
    attendance(client, session, excused, csrf(f"/training/sessions/{session.id}"),
               outcome="absent", excused="y", reason="单位抢险任务")
    assert "缺席将核减" not in client.get(f"/training/plans/{plan.id}").get_data(as_text=True)
    client.post("/training/plans/new", data=next_plan_form(
        csrf("/training/plans/new"), [o.id for o in plan.occupations]))
    following = db.session.scalars(select(TrainingPlan).where(TrainingPlan.year == 2027)).one()
    [quota] = db.session.scalars(select(UnitQuota).where(UnitQuota.plan_id == following.id))
    assert (quota.base, quota.absences, quota.quota) == (5, 0, 5)


def test_a_unit_sees_only_its_own_absences_on_the_plan_page(app, client, login_as, plan):
    clerk = login_as("unit")
    own_unit = clerk.organisation
    other = create_org("德阳测试推荐单位", "德阳市")
    session = create_session(plan)
    for name, seq, unit in (("本单位缺席", 61, own_unit), ("他单位缺席", 62, other)):
        application = create_trainee(plan, session, name=name, seq=seq, unit=unit,
                                     stage="absent")
        application.absence_excused = False
    db.session.commit()
    page = client.get(f"/training/plans/{plan.id}").get_data(as_text=True)
    assert f"缺席将核减 {own_unit.name} 下期名额 1 人" in page
    assert "德阳测试推荐单位" not in page


# --- CSRF --------------------------------------------------------------------------------------


def test_every_session_post_needs_the_csrf_token(client, login_as, plan, unit):
    login_as("province")
    session = create_session(plan)
    requested = create_session(plan, status="requested", mode="special", requested_by=unit)
    trainee = create_trainee(plan, session, unit=unit)
    assessed = create_trainee(plan, session, name="待考核", seq=72, unit=unit, stage="assessment")
    free = create_trainee(plan, name="未安排", seq=73, unit=unit)
    before = (count(AuditEvent), count(TrainingSession), count(ApplicationStep))
    posts = [
        (f"/training/plans/{plan.id}/sessions/new", {"starts_on": "2026-06-01",
                                                    "ends_on": "2026-06-01", "mode": "central",
                                                    "place": "某地"}),
        (f"/training/sessions/{session.id}/delete", {}),
        (f"/training/sessions/{session.id}/edit", {"starts_on": "2026-06-01",
                                                  "ends_on": "2026-06-01", "mode": "central",
                                                  "place": "某地"}),
        (f"/training/plans/{plan.id}/sessions/request", {"starts_on": "2026-06-01"}),
        (f"/training/sessions/{requested.id}/schedule", {"starts_on": "2026-06-01",
                                                        "ends_on": "2026-06-01", "place": "某地"}),
        (f"/training/sessions/{requested.id}/decline", {"reason": "不安排"}),
        (f"/training/sessions/{session.id}/participants", {"application_ids": [str(free.id)]}),
        (f"/training/sessions/{session.id}/participants/{trainee.id}/remove", {}),
        (f"/training/sessions/{session.id}/participants/{trainee.id}/attendance",
         {"outcome": "attend"}),
        (f"/training/sessions/{session.id}/attendance", {"application_ids": [str(trainee.id)]}),
        (f"/training/sessions/{session.id}/assessment-date",
         {"assessed_on": local_today().isoformat()}),
        (f"/training/sessions/{session.id}/participants/{assessed.id}/result", {"score": "80"}),
        (f"/training/sessions/{session.id}/results/import", {}),
        (f"/training/sessions/{session.id}/results/import/confirm", {"payload": "x"}),
    ]
    for url, data in posts:
        for headers in ({}, HX):
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 400, url
            assert "页面已过期" in response.get_data(as_text=True)
    assert (count(AuditEvent), count(TrainingSession), count(ApplicationStep)) == before
    assert fresh(Application, free.id).session_id is None
    assert fresh(Application, trainee.id).stage == "training"
    assert fresh(Application, assessed.id).stage == "assessment"
    assert fresh(TrainingSession, session.id).assessed_on is None


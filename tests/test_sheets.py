"""The live evaluation sheet: one click = one stored level, blind until submitted, no lost or
silently overwritten score, exact final score and grade, reopen with history, the PDF."""

import re
from decimal import Decimal

import pytest
from factories import create_user, csrf_in, login
from pypdf import PdfReader
from sheet_factories import create_batch, create_sheet_for
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.sheets import operations
from portal.sheets.models import EvaluationSheet, SheetColumn, SheetMark, SheetRevision
from portal.sheets.rules import SaveOutcome, judge_save, may_see_column, seal

ALL_A = dict.fromkeys(range(1, 16), "A")


def levels_for_total(total: int) -> dict[int, str]:
    """Levels whose rubric-2021 total is ``total`` (55..100), stepping items down from A."""
    from portal.scoring.rubric import RUBRIC_2021, rater_total

    levels = dict(ALL_A)
    for n in range(1, 16):
        for lv in "BCD":
            if rater_total(levels) <= total:
                break
            trial = {**levels, n: lv}
            if rater_total(trial) >= total:
                levels = trial
    assert rater_total(levels, RUBRIC_2021) == total, total
    return levels


def fill(sheet, role, levels, actor_id):
    for item, level in levels.items():
        col = db.session.get(EvaluationSheet, sheet.id).column(role)
        result = operations.save_level(sheet, role, item, level,
                                       based_on_version=col.version, actor_id=actor_id)
        assert result.outcome in (SaveOutcome.APPLY, SaveOutcome.IDEMPOTENT)
    db.session.commit()


@pytest.fixture
def batch():
    return create_batch()


def click(client, csrf_token, sheet, role, item, level, version):
    return client.post(f"/sheets/{sheet.id}/columns/{role}/items/{item}",
                       data={f"item-{item}": level, "version": str(version)},
                       headers={"HX-Request": "true", "X-CSRFToken": csrf_token})


def version_in(html: str, role: str) -> int:
    return int(re.search(rf'id="version-{role}" value="(\d+)"', html).group(1))


# --- pure rules ----------------------------------------------------------------------------
@pytest.mark.parametrize("stored_v, based_v, stored, req, submitted, expected", [
    (3, 3, None, "A", False, SaveOutcome.APPLY),
    (3, 3, "B", "A", False, SaveOutcome.APPLY),
    (4, 3, "A", "A", False, SaveOutcome.IDEMPOTENT),  # a retry that already landed
    (4, 3, "B", "A", False, SaveOutcome.STALE),  # another tab changed it meanwhile
    (4, 3, None, "A", False, SaveOutcome.STALE),
    (5, 5, "B", "A", True, SaveOutcome.LOCKED),
    (5, 4, "A", "A", True, SaveOutcome.IDEMPOTENT),
])
def test_judge_save(stored_v, based_v, stored, req, submitted, expected):
    assert judge_save(stored_version=stored_v, based_on_version=based_v, stored_level=stored,
                      requested_level=req, submitted=submitted) is expected


@pytest.mark.parametrize("viewer, column, own_submitted, final, expected", [
    ("supervisor", "supervisor", False, False, True),
    ("supervisor", "site_lead", False, False, False),
    ("supervisor", "site_lead", True, False, True),
    (None, "site_lead", False, False, False),
    (None, "site_lead", False, True, True),
])
def test_blind_visibility(viewer, column, own_submitted, final, expected):
    assert may_see_column(viewer_is_rater_of=viewer, column_role=column,
                          own_column_submitted=own_submitted, sheet_final=final) is expected


def test_seal_changes_with_any_level():
    a = {"levels": {"1": "A"}, "total": 100}
    assert seal(a) == seal(dict(a)) and seal(a) != seal({"levels": {"1": "B"}, "total": 100})


# --- saving clicks ---------------------------------------------------------------------------
def test_a_click_is_stored_and_returns_the_row_and_the_summary(app, batch):
    sheet = create_sheet_for(batch)
    client = app.test_client()
    login(client, "sup")
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    assert "考评员考评工作评价记录表" in page and "李考评" in page and batch.number in page
    assert page.count('name="item-1"') == 4  # A B C D radios, only in the rater's own column
    token = csrf_in(page)

    response = click(client, token, sheet, "supervisor", 1, "B", version_in(page, "supervisor"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<tr id="item-row-1"')
    assert 'id="sheet-summary"' in body and 'hx-swap-oob="true"' in body
    assert "已评 <strong>1/15</strong>" in body and "已保存" in body
    assert 'value="B" id="r-supervisor-1-B"' in body and "checked" in body
    mark = db.session.scalars(select(SheetMark)).one()
    assert (mark.item, mark.level) == (1, "B")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sheet.level"))


def test_a_stale_save_is_refused_without_changing_the_stored_level(app, batch):
    sheet = create_sheet_for(batch)
    tab1, tab2 = app.test_client(), app.test_client()
    login(tab1, "sup")
    login(tab2, "sup")
    page1 = tab1.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    page2 = tab2.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    v0 = version_in(page1, "supervisor")
    t1 = csrf_in(page1)
    t2 = csrf_in(page2)
    assert click(tab1, t1, sheet, "supervisor", 5, "A", v0).status_code == 200
    stale = click(tab2, t2, sheet, "supervisor", 5, "C", v0)
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "已在其他页面或设备上更新" in body
    assert 'value="A" id="r-supervisor-5-A"\n               checked' in body  # fresh state shown
    assert f'id="version-supervisor" value="{v0 + 1}"' in body
    levels = db.session.get(EvaluationSheet, sheet.id).column("supervisor").levels
    assert levels == {5: "A"}


def test_a_retry_of_a_save_that_already_landed_is_idempotent(app, batch):
    sheet = create_sheet_for(batch)
    client = app.test_client()
    login(client, "sup")
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    token = csrf_in(page)
    v0 = version_in(page, "supervisor")
    assert click(client, token, sheet, "supervisor", 2, "D", v0).status_code == 200
    again = click(client, token, sheet, "supervisor", 2, "D", v0)  # the response was lost
    assert again.status_code == 200 and "已保存" in again.get_data(as_text=True)
    column = db.session.get(EvaluationSheet, sheet.id).column("supervisor")
    assert column.levels == {2: "D"} and column.version == v0 + 1


def test_a_rater_cannot_write_the_other_column_or_someone_elses_sheet(app, batch):
    sheet = create_sheet_for(batch)
    client = app.test_client()
    login(client, "sup")
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    token = csrf_in(page)
    assert click(client, token, sheet, "site_lead", 1, "A", 0).status_code == 403
    other_sup = create_user("sup2", ["supervisor"])
    other = app.test_client()
    login(other, other_sup.username)
    assert other.get(f"/sheets/{sheet.id}").status_code == 404
    assert db.session.scalars(select(SheetMark)).all() == []


def test_a_bad_level_is_refused(app, batch):
    sheet = create_sheet_for(batch)
    client = app.test_client()
    login(client, "sup")
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    token = csrf_in(page)
    assert click(client, token, sheet, "supervisor", 1, "E", 0).status_code == 400
    assert click(client, token, sheet, "supervisor", 16, "A", 0).status_code == 404


# --- blind view, submit, finalise -------------------------------------------------------------
def test_blind_until_own_column_submitted_then_side_by_side(app, batch):
    sheet = create_sheet_for(batch)
    sup = db.session.get(SheetColumn, sheet.column("supervisor").id).rater_id
    lead = sheet.column("site_lead").rater_id
    fill(sheet, "supervisor", ALL_A, sup)
    fill(sheet, "site_lead", {**ALL_A, 3: "C", 7: "B"}, lead)
    lead_client = app.test_client()
    login(lead_client, "lead")
    html = lead_client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    assert "已评 <strong>15/15</strong>" in html
    assert "对方提交前不显示" in html and "A · 7" not in html  # supervisor's levels hidden
    operations.submit_column(sheet, "supervisor", actor_id=sup)
    db.session.commit()
    html = lead_client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    assert "A · 7" not in html  # still hidden: the site lead has not submitted yet
    token = csrf_in(html)
    r = lead_client.post(f"/sheets/{sheet.id}/columns/site_lead/submit", data={"csrf_token": token})
    assert r.status_code == 302
    html = lead_client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    assert "A · 7" in html and "C · 5" in html  # both columns side by side
    assert 'class="disagree"' in html and "第 3 项两位评分人相差两个等级" in html
    sheet = db.session.get(EvaluationSheet, sheet.id)
    assert sheet.final_score == Decimal("98.5") and sheet.grade == "优"  # (100 + 97) / 2


def test_submit_with_a_missing_item_is_refused(app, batch):
    sheet = create_sheet_for(batch)
    sup = sheet.column("supervisor").rater_id
    fill(sheet, "supervisor", {n: "B" for n in range(1, 15)}, sup)
    client = app.test_client()
    login(client, "sup")
    token = csrf_in(client.get(f"/sheets/{sheet.id}").get_data(as_text=True))
    r = client.post(f"/sheets/{sheet.id}/columns/supervisor/submit", data={"csrf_token": token})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "未能提交：还有未评的项目：第 15 项" in page
    assert not db.session.get(EvaluationSheet, sheet.id).column("supervisor").is_submitted


@pytest.mark.parametrize("t1, t2, score, grade", [
    (85, 84, "84.5", "良"), (85, 85, "85.0", "优"), (71, 70, "70.5", "中"),
    (57, 57, "57.0", "中"), (57, 56, "56.5", "差"), (100, 55, "77.5", "良"),
])
def test_finalisation_boundaries(batch, t1, t2, score, grade):
    sheet = create_sheet_for(batch)
    sup, lead = sheet.column("supervisor").rater_id, sheet.column("site_lead").rater_id
    fill(sheet, "supervisor", levels_for_total(t1), sup)
    fill(sheet, "site_lead", levels_for_total(t2), lead)
    operations.submit_column(sheet, "supervisor", actor_id=sup)
    assert not sheet.is_final
    operations.submit_column(sheet, "site_lead", actor_id=lead)
    db.session.commit()
    sheet = db.session.get(EvaluationSheet, sheet.id)
    assert sheet.final_score == Decimal(score) and sheet.grade == grade
    assert sheet.seal_sha256 == seal(operations.content(sheet))
    assert sheet.column("supervisor").total == t1


def test_a_submitted_column_is_locked(app, batch):
    sheet = create_sheet_for(batch)
    sup = sheet.column("supervisor").rater_id
    fill(sheet, "supervisor", ALL_A, sup)
    operations.submit_column(sheet, "supervisor", actor_id=sup)
    db.session.commit()
    client = app.test_client()
    login(client, "sup")
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    assert 'name="item-1"' not in page  # no radios any more
    token = csrf_in(page)
    r = click(client, token, sheet, "supervisor", 1, "D", sheet.column("supervisor").version)
    assert r.status_code == 409 and "此列已提交" in r.get_data(as_text=True)
    assert db.session.get(EvaluationSheet, sheet.id).column("supervisor").levels[1] == "A"


def _final_sheet(batch, name="李考评", seq=11):
    sheet = create_sheet_for(batch, name=name, seq=seq)
    sup, lead = sheet.column("supervisor").rater_id, sheet.column("site_lead").rater_id
    fill(sheet, "supervisor", ALL_A, sup)
    fill(sheet, "site_lead", levels_for_total(80), lead)
    operations.submit_column(sheet, "supervisor", actor_id=sup)
    operations.submit_column(sheet, "site_lead", actor_id=lead)
    db.session.commit()
    return sheet


def test_reopen_needs_an_officer_and_a_reason_and_keeps_history(app, client, login_as, csrf,
                                                                batch):
    sheet = _final_sheet(batch)
    old_seal = sheet.seal_sha256
    lead_client = app.test_client()
    login(lead_client, "lead")
    token = csrf_in(lead_client.get(f"/sheets/{sheet.id}").get_data(as_text=True))
    assert lead_client.post(f"/sheets/{sheet.id}/reopen", data={
        "csrf_token": token, "role": "site_lead", "reason": "x"}).status_code == 403

    login_as("city")  # 成都市: the batch's institution is in Chengdu
    token = csrf(f"/sheets/{sheet.id}")
    no_reason = client.post(f"/sheets/{sheet.id}/reopen",
                            data={"csrf_token": token, "role": "site_lead", "reason": ""})
    assert no_reason.status_code == 422 and "请填写重新打开的原因" in no_reason.get_data(as_text=True)
    ok = client.post(f"/sheets/{sheet.id}/reopen", data={
        "csrf_token": token, "role": "site_lead", "reason": "考场负责人误选第 3 项"})
    assert ok.status_code == 302
    sheet = db.session.get(EvaluationSheet, sheet.id)
    assert not sheet.is_final and sheet.revision == 2 and sheet.grade is None
    assert not sheet.column("site_lead").is_submitted and sheet.column("supervisor").is_submitted
    [rev] = db.session.scalars(select(SheetRevision)).all()
    assert rev.seal_sha256 == old_seal and rev.content["grade"] == "优"  # (100 + 80) / 2
    assert rev.reason == "考场负责人误选第 3 项"
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    assert "历史版本" in page and "考场负责人误选第 3 项" in page


# --- visibility ------------------------------------------------------------------------------
def test_visibility_of_a_sheet_for_every_role(app, batch):
    from factories import create_org, create_person

    sheet = _final_sheet(batch)
    examiner = create_user("examiner", ["applicant"], person=sheet.person)
    create_user("other_examiner", ["applicant"], person=create_person("别人", seq=77))
    create_user("cd", ["city"], city="成都市")
    create_user("my", ["city"], city="绵阳市")
    create_user("prov", ["province"])
    create_user("clerk", ["unit"], org=batch.organisation)
    create_user("other_clerk", ["unit"], org=create_org("别的机构"))
    expected = {"sup": 200, "lead": 200, "cd": 200, "prov": 200, "clerk": 200,
                "examiner": 200, "my": 404, "other_clerk": 404, "other_examiner": 404}
    for username, status in expected.items():
        c = app.test_client()
        login(c, username)
        assert c.get(f"/sheets/{sheet.id}").status_code == status, username
    assert examiner  # the examiner sees only their own final sheet:
    unfinished = create_sheet_for(batch, name="未完成", seq=12)
    unfinished.person_id = sheet.person_id  # same examiner, sheet not final
    db.session.commit()
    c = app.test_client()
    login(c, "examiner")
    assert c.get(f"/sheets/{unfinished.id}").status_code == 404


# --- PDF --------------------------------------------------------------------------------------
def test_sheet_pdf_has_the_title_name_and_grade(app, batch):
    sheet = _final_sheet(batch, name="赵昇")
    client = app.test_client()
    login(client, "lead")
    r = client.get(f"/sheets/{sheet.id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(r.data)).pages)
    assert "考评员考评工作评价记录表" in text and "赵昇" in text and "优" in text
    assert "陈督导" in text and "王考场" in text  # rater names under 评分人员签字
    assert str(sheet.final_score) in text


def test_batch_pdf_has_one_page_per_sheet(app, batch):
    _final_sheet(batch, name="甲一", seq=21)
    _final_sheet(batch, name="乙二", seq=22)
    client = app.test_client()
    login(client, "lead")
    r = client.get(f"/sheets/batch/{batch.id}/pdf")
    reader = PdfReader(__import__("io").BytesIO(r.data))
    assert len(reader.pages) == 2
    names = [next(n for n in ("甲一", "乙二") if n in page.extract_text()) for page in reader.pages]
    assert sorted(names) == ["乙二", "甲一"]  # one sheet per page, ordered by name


def test_batch_xlsx_has_every_level_total_and_grade(app, batch):
    import io

    from openpyxl import load_workbook

    sheet = _final_sheet(batch, name="甲一", seq=21)
    open_sheet = create_sheet_for(batch, name="乙二", seq=22)
    fill(open_sheet, "supervisor", {1: "C"}, open_sheet.column("supervisor").rater_id)
    client = app.test_client()
    create_user("prov", ["province"])
    login(client, "prov")
    r = client.get(f"/sheets/batch/{batch.id}/xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    header = next(row for row in rows if row and row[0] == "考评员姓名")
    data = {row[0]: dict(zip(header, row, strict=False)) for row in rows
            if row and row[0] in ("甲一", "乙二")}
    assert data["甲一"]["督导第1项"] == "A" and data["甲一"]["督导合计"] == 100
    assert data["甲一"]["得分"] == float(sheet.final_score) and data["甲一"]["等次"] == "优"
    # The province is no rater: an unfinished sheet shows progress only, never levels.
    assert data["乙二"]["督导第1项"] in (None, "") and data["乙二"]["督导状态"] == "已评 1/15"


def test_a_signed_scan_is_attached_to_a_final_sheet_and_sealed(app, batch):
    import io

    from PIL import Image

    sheet = _final_sheet(batch)
    seal_before = sheet.seal_sha256
    create_user("clerk", ["unit"], org=batch.organisation)
    client = app.test_client()
    login(client, "clerk")
    page = client.get(f"/sheets/{sheet.id}").get_data(as_text=True)
    token = csrf_in(page)
    img = io.BytesIO()
    Image.new("RGB", (40, 60), "white").save(img, "PNG")
    r = client.post(f"/sheets/{sheet.id}/scan", data={"csrf_token": token,
                    "scan": (io.BytesIO(img.getvalue()), "签字扫描.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    sheet = db.session.get(EvaluationSheet, sheet.id)
    assert sheet.scan_upload_id and sheet.seal_sha256 != seal_before
    assert sheet.seal_sha256 == seal(operations.content(sheet))
    # Whoever may see the sheet may download the scan; the supervisor is one of them.
    sup = app.test_client()
    login(sup, "sup")
    with sup.get(f"/files/{sheet.scan_upload_id}") as download:
        assert download.status_code == 200
    # A rater may not attach scans (the institution's clerk or an officer does).
    token = csrf_in(sup.get(f"/sheets/{sheet.id}").get_data(as_text=True))
    assert sup.post(f"/sheets/{sheet.id}/scan", data={"csrf_token": token}).status_code == 403

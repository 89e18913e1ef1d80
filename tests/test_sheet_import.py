"""Bulk upload of sheet records for offline sites (issue 4): the template, the preview with
every row's errors, all-or-nothing import, idempotence, signed hand-over, permissions."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from factories import create_org, create_user, login
from openpyxl import Workbook, load_workbook
from sheet_factories import create_batch, create_sheet_for, save_levels
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.scoring.rubric import final_score, grade, rater_total
from portal.sheets import imports, operations
from portal.sheets.imports import HEADERS, ParsedRow, rows_from_table, text_of, validate
from portal.sheets.models import RATER_LABELS, EvaluationSheet, SheetColumn, SheetMark

SUP, LEAD = "质量督导员", "评价机构考场负责人"
ALL = {lv: [lv] * 15 for lv in "ABCD"}


# --- helpers ---------------------------------------------------------------------------------
def workbook_bytes(rows, *, headers=HEADERS, title="考评员考评工作评价记录表（批量录入）",
                   footer=("说明：等级只能是 A、B、C、D",)):
    """An XLSX as an institution would fill it: title, a detail line, header, rows, footer."""
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(["评价机构：成都测试评价中心"])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    ws.append([])
    for line in footer:
        ws.append([line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(batch, sheet, role_label, levels, *, rater=None):
    rater = rater if rater is not None else ("陈督导" if role_label == SUP else "王考场")
    return [batch.number, sheet.assignment.card.number, sheet.person.name, role_label, rater,
            *levels]


def upload(client, token, batch, data, filename="录入.xlsx"):
    # Encoded in memory: werkzeug's test client would spool a body over 500 KB to a temporary
    # file it never closes (a ResourceWarning, an error under this suite's warning filter).
    file = FileStorage(io.BytesIO(data), filename=filename,
                       content_type="application/octet-stream")
    boundary, body = encode_multipart({"csrf_token": token, "workbook": file})
    return client.post(f"/sheets/batch/{batch.id}/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def payload_in(html):
    m = re.search(r'name="payload" type="hidden" value="([^"]+)"', html)
    return m.group(1) if m else None


def confirm(client, token, batch, payload):
    return client.post(f"/sheets/batch/{batch.id}/import/confirm",
                       data={"csrf_token": token, "payload": payload})


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def state():
    """What an import may change: marks, audit events, column versions and submissions."""
    columns = db.session.scalars(select(SheetColumn).order_by(SheetColumn.id)).all()
    return (count(SheetMark), count(AuditEvent),
            [(c.version, c.submitted_at, c.imported) for c in columns])


@pytest.fixture
def batch():
    return create_batch()


@pytest.fixture
def sheets(batch):
    return create_sheet_for(batch, name="甲一", seq=21), create_sheet_for(batch, name="乙二", seq=22)


@pytest.fixture
def clerk(client, login_as, batch):
    user = login_as("unit")
    assert user.organisation_id == batch.organisation_id
    return user


@pytest.fixture
def good_rows(batch, sheets):
    a, b = sheets
    return [row(batch, a, SUP, ALL["A"]), row(batch, a, LEAD, ALL["B"]),
            row(batch, b, SUP, ALL["C"]), row(batch, b, LEAD, ALL["D"])]


# --- pure reading and judging ----------------------------------------------------------------
def test_role_labels_agree_with_the_sheet_model():
    assert {v: k for k, v in imports.ROLE_BY_LABEL.items()} == RATER_LABELS


@pytest.mark.parametrize("read, value, expected", [
    (imports.level_of, " Ａ ", "A"), (imports.level_of, "b", "B"), (imports.level_of, "ｃ", "C"),
    (imports.level_of, None, ""), (text_of, 12.0, "12"), (text_of, "  王考场 ", "王考场"),
    (text_of, "川考评－２０２５－000211", "川考评-2025-000211"),
])
def test_cells_are_read_as_normalised_text(read, value, expected):
    assert read(value) == expected


def test_rows_are_found_under_the_header_in_any_column_order_and_footers_are_skipped():
    headers = list(HEADERS)
    headers[1], headers[2] = headers[2], headers[1]  # name before card
    table = [["标题"], ["批次：X"], headers,
             ["B1", "张三", "川考评-2025-000211", SUP, "陈督导", *"abcdabcdabcdabc"],
             [None] * 20, ["填写说明：每人一行"]]
    [parsed] = rows_from_table(table)
    assert (parsed.row, parsed.card, parsed.name) == (4, "川考评-2025-000211", "张三")
    assert parsed.levels == tuple("ABCDABCDABCDABC")


def test_a_sheet_without_the_template_header_is_refused():
    with pytest.raises(imports.ImportFileError, match="没有找到模板的表头"):
        rows_from_table([["姓名", "分数"], ["张三", "A"]])
    with pytest.raises(imports.ImportFileError, match="表头缺少以下列：第15项"):
        rows_from_table([list(HEADERS[:-1])])


def test_a_sheet_with_endless_rows_is_refused_without_reading_them_all():
    def table():
        yield list(HEADERS)
        while True:
            yield [None] * 20

    with pytest.raises(imports.ImportFileError, match="表格超过 5000 行"):
        rows_from_table(table())


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_parsing():
    data = io.BytesIO(workbook_bytes([]))
    with zipfile.ZipFile(data, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.bin", b"\0" * (imports.MAX_UNPACKED_BYTES + 1))
    assert len(data.getvalue()) < 1024 * 1024
    with pytest.raises(imports.ImportFileError, match="文件解压后过大"):
        imports.read_workbook(data.getvalue())


def _lookup(**column):
    base = {"sheet_id": 1, "submitted": False, "rater_id": 5, "rater_name": "陈督导",
            "levels": {}, "examiner_name": "张三"}
    return {"C1": {"supervisor": {**base, **column},
                   "site_lead": {**base, "rater_name": "王考场"}}}


def _parsed(levels="A" * 15, **kw):
    fields = {"row": 4, "batch": "B1", "card": "C1", "name": "张三", "role": SUP,
              "rater": "陈督导", **kw}
    return ParsedRow(levels=tuple(levels), **fields)


def test_validate_plans_an_import_and_says_how_many_online_levels_it_replaces():
    plan = validate([_parsed()], _lookup(levels={1: "B", 2: "A"}), "B1")
    assert plan.ok and [r.status for r in plan.results] == ["import"]
    [change] = plan.changes
    assert (change.sheet_id, change.role, change.overwrites) == (1, "supervisor", (1,))
    # Blind scoring: the note gives the public progress, never which levels differ.
    assert plan.results[0].notes == ["该列在线已评 2 项，导入后以本文件为准"]


def test_validate_a_submitted_column_with_the_same_levels_is_unchanged():
    stored = dict.fromkeys(range(1, 16), "A")
    plan = validate([_parsed()], _lookup(submitted=True, levels=stored), "B1")
    assert plan.ok and plan.results[0].status == "unchanged" and plan.changes == []
    plan = validate([_parsed("B" + "A" * 14)], _lookup(submitted=True, levels=stored), "B1")
    assert not plan.ok and plan.results[0].errors == [imports.E_SUBMITTED]


def test_validate_one_bad_row_means_no_change_at_all():
    rows = [_parsed(), _parsed(role=LEAD, rater="王考场", row=5, levels="A" * 14 + "X")]
    plan = validate(rows, _lookup(), "B1")
    assert not plan.ok and plan.changes == []
    assert [r.status for r in plan.results] == ["import", "error"]
    assert plan.results[1].errors == ["第 15 项：等级只能是 A、B、C、D（填的是“X”）"]


# --- the template ------------------------------------------------------------------------------
def test_the_template_has_a_row_per_open_column_and_no_unsubmitted_levels(client, clerk, batch,
                                                                         sheets):
    a, b = sheets
    save_levels(a, "supervisor", dict.fromkeys(range(1, 16), "A"), submit=True)
    save_levels(a, "site_lead", {1: "B", 7: "C"})
    response = client.get(f"/sheets/batch/{batch.id}/import/template")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    values = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert values[0][0] == f"考评员考评工作评价记录表（批量录入）— {batch.number}"
    top = " ".join(str(r[0]) for r in values[1:5])
    for part in ("考评批次：" + batch.number, "评价机构：成都测试评价中心", "职业（工种）：电工",
                 "级别：四级", "考评日期：2026年6月10日"):
        assert part in top
    header_at = next(i for i, r in enumerate(values) if r[1] == "证卡编号")
    assert list(values[header_at][:20]) == [
        "考评批次", "证卡编号", "考评员姓名", "评分人角色", "评分人",
        *[f"第{n}项" for n in range(1, 16)]]
    body = [r for r in values[header_at + 1:] if r[1]]
    # 甲一's supervisor column is submitted: not in the template.
    assert [(r[2], r[3], r[4]) for r in body] == [
        ("乙二", SUP, "陈督导"), ("乙二", LEAD, "王考场"), ("甲一", LEAD, "王考场")]
    # Levels saved online but not submitted stay hidden from the clerk (blind scoring).
    assert all(cell in (None, "") for cell in body[2][5:20])
    assert body[0][0] == batch.number and body[0][1] == b.assignment.card.number
    footer = " ".join(str(r[0]) for r in values[header_at + 1:] if r[0] and not r[1])
    assert "A、B、C、D" in footer and "每位评分人一行" in footer


def test_the_downloaded_template_filled_in_imports(client, clerk, csrf, batch, sheets):
    wb = load_workbook(io.BytesIO(client.get(f"/sheets/batch/{batch.id}/import/template").data))
    ws = wb.active
    for cells in ws.iter_rows():
        if cells[3].value in (SUP, LEAD):
            for cell in cells[5:20]:
                cell.value = "ａ"  # full-width lower case, as a Chinese IME may type it
    out = io.BytesIO()
    wb.save(out)
    token = csrf(f"/sheets/batch/{batch.id}/import")
    response = upload(client, token, batch, out.getvalue())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert html.count("将导入</span>") == 4
    assert confirm(client, token, batch, payload_in(html)).status_code == 302
    assert all(s.is_final and s.final_score == 100 for s in db.session.scalars(
        select(EvaluationSheet)))


# --- importing -------------------------------------------------------------------------------
def test_a_good_file_imports_every_column_submitted_by_its_rater(client, clerk, csrf, batch,
                                                                   sheets, good_rows):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    response = upload(client, token, batch, workbook_bytes(good_rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "共 4 行：将导入 <strong>4</strong> 行，无变化 0 行，有误 <strong>0</strong> 行" in html and html.count("将导入</span>") == 4
    assert count(SheetMark) == 0  # the preview writes nothing

    response = confirm(client, token, batch, payload_in(html))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sheets/batch/{batch.id}/import")
    assert "已导入 4 列评分，0 行无变化" in client.get(response.headers["Location"]).get_data(
        as_text=True)

    a, b = (db.session.get(EvaluationSheet, s.id) for s in sheets)
    for sheet in (a, b):
        for column in sheet.columns:
            assert column.is_submitted and column.imported and column.marked == 15
            assert column.submitted_by_id == column.rater_id
    assert a.column("supervisor").levels == dict.fromkeys(range(1, 16), "A")
    assert a.final_score == Decimal("92.5") and a.grade == "优"  # (100 + 85) / 2
    expected = final_score(rater_total(dict.fromkeys(range(1, 16), "C")),
                           rater_total(dict.fromkeys(range(1, 16), "D")))
    assert b.final_score == expected and b.grade == grade(expected) == "中"

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sheet.import")).all()
    assert len(events) == 4 and {e.actor_id for e in events} == {clerk.id}
    sup_id = a.column("supervisor").rater_id
    assert {(e.after["role"], e.after["rater_id"]) for e in events if e.entity_id == str(a.id)} \
        == {("supervisor", sup_id), ("site_lead", a.column("site_lead").rater_id)}
    assert all(e.after["file_name"] == "录入.xlsx" and len(e.after["file_sha256"]) == 64
               for e in events)
    submits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sheet.submit"))
    assert {(e.actor_id, e.after["imported"]) for e in submits} == {
        (sup_id, True), (a.column("site_lead").rater_id, True)}


def test_the_same_file_twice_changes_nothing(client, clerk, csrf, batch, sheets, good_rows):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    data = workbook_bytes(good_rows)
    payload = payload_in(upload(client, token, batch, data).get_data(as_text=True))
    assert confirm(client, token, batch, payload).status_code == 302
    before = state()

    again = upload(client, token, batch, data)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and html.count("无变化</span>") == 4
    assert "无需再次导入" in html and payload_in(html) is None
    # Even replaying the first confirmation writes nothing.
    replay = confirm(client, token, batch, payload)
    assert replay.status_code == 302
    assert "已导入 0 列评分，4 行无变化" in client.get(replay.headers["Location"]).get_data(
        as_text=True)
    assert state() == before


def _unassign_site_lead(batch, sheets):
    for sheet in sheets:
        sheet.column("site_lead").rater_id = None
    db.session.commit()


def _submit_a_supervisor_with_b(batch, sheets):
    save_levels(sheets[0], "supervisor", dict.fromkeys(range(1, 16), "B"), submit=True)


def _set(index, value):
    def change(rows):
        rows[0][index] = value
    return change


@pytest.mark.parametrize("change, setup, message", [
    (_set(1, "川考评-2099-999999"), None, "未知证卡编号"),
    (_set(0, "KP2026-5101-9999"), None, "不属于本批次（本批次编号为 KP2026-5101-0001）"),
    (_set(7, "E"), None, "第 3 项：等级只能是 A、B、C、D（填的是“E”）"),
    (_set(7, "优"), None, "第 3 项：等级只能是 A、B、C、D"),
    (_set(3, "督导"), None, "评分人角色无效"),
    (_set(19, None), None, "15 项未填全（缺第 15 项）"),
    (lambda rows: rows.append(list(rows[0])), None, "与第 4 行重复"),
    (_set(2, "别人"), None, "考评员姓名与证卡编号不符（该证卡的持有人是 甲一）"),
    (_set(4, "张督导"), None, "评分人与本批次指派的不一致（指派的是 陈督导）"),
    (lambda rows: None, _unassign_site_lead, "该评分人未指派"),
    (lambda rows: None, _submit_a_supervisor_with_b, "该列已提交（如需更正请联系职鉴中心重新打开）"),
])
def test_each_error_is_shown_in_chinese_and_nothing_is_imported(
        client, clerk, csrf, batch, sheets, good_rows, change, setup, message):
    if setup:
        setup(batch, sheets)
    change(good_rows)
    before = state()
    token = csrf(f"/sheets/batch/{batch.id}/import")
    response = upload(client, token, batch, workbook_bytes(good_rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "没有任何评分被导入" in html
    assert payload_in(html) is None and "确认导入" not in html
    assert "将导入</span>" in html  # the other rows are fine, and still not imported
    assert state() == before


def test_a_column_submitted_online_after_the_preview_stops_the_whole_import(
        client, clerk, csrf, batch, sheets, good_rows):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    html = upload(client, token, batch, workbook_bytes(good_rows)).get_data(as_text=True)
    save_levels(db.session.get(EvaluationSheet, sheets[1].id), "site_lead",
                dict.fromkeys(range(1, 16), "A"), submit=True)  # the rater was online after all
    before = state()
    response = confirm(client, token, batch, payload_in(html))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "确认导入时重新核对" in page and imports.E_SUBMITTED in page
    assert state() == before


def test_a_failure_while_writing_rolls_everything_back(client, clerk, csrf, batch, sheets,
                                                       good_rows, monkeypatch):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    html = upload(client, token, batch, workbook_bytes(good_rows)).get_data(as_text=True)
    real_submit, calls = operations.submit_column, []

    def submit_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise operations.SheetError("模拟的写入失败")
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(operations, "submit_column", submit_then_fail)
    before = state()
    response = confirm(client, token, batch, payload_in(html))
    assert response.status_code == 302 and len(calls) == 3
    assert "未能导入：模拟的写入失败" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert state() == before and count(AuditEvent, AuditEvent.action == "sheet.import") == 0


def test_a_tampered_payload_is_refused(client, clerk, csrf, batch, sheets, good_rows):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    html = upload(client, token, batch, workbook_bytes(good_rows)).get_data(as_text=True)
    payload = payload_in(html)
    data, _, signature = payload.rpartition(".")
    forged = imports.ParsedRow(4, batch.number, sheets[0].assignment.card.number, "甲一", SUP,
                               "陈督导", tuple("D" * 15)).to_json()
    from itsdangerous import URLSafeSerializer
    other_key = URLSafeSerializer("guessed-key", salt="sheet-import").dumps(
        {"batch": batch.id, "sha256": "0" * 64, "name": "x.xlsx", "rows": [forged]})
    before = state()
    for bad in (data[:-2] + "xx." + signature, other_key, "", "not-even-signed"):
        assert confirm(client, token, batch, bad).status_code == 400, bad
    assert state() == before


def test_a_payload_signed_for_another_batch_is_refused(client, clerk, csrf, batch, sheets,
                                                       good_rows):
    other = create_batch(number="KP2026-5101-0002", supervisor=batch.supervisor,
                         site_lead=batch.site_lead)
    token = csrf(f"/sheets/batch/{batch.id}/import")
    payload = payload_in(upload(client, token, batch, workbook_bytes(good_rows)).get_data(
        as_text=True))
    before = state()
    assert confirm(client, token, other, payload).status_code == 400
    assert state() == before


def _png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


def _zip_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "不是表格")
    return out.getvalue()


@pytest.mark.parametrize("make, message", [
    (_png, "只接受 XLSX 格式的 Excel 文件"),
    (lambda: "证卡编号,第1项\n川考评-2025-000211,A\n".encode(), "只接受 XLSX 格式的 Excel 文件"),
    (_zip_not_a_workbook, "只接受 XLSX 格式的 Excel 文件"),
    (lambda: b"", "文件为空"),
    (lambda: b"PK\x03\x04" + b"0" * (1024 * 1024 + 10), "文件超过 1 MB 的大小上限"),
    (lambda: workbook_bytes([]), "文件中没有评分记录行"),
    (lambda: workbook_bytes([["张三", "A"]], headers=("姓名", "等级")), "没有找到模板的表头"),
])
def test_a_file_that_is_not_a_filled_template_is_refused_next_to_the_field(
        client, clerk, csrf, batch, sheets, make, message):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    response = upload(client, token, batch, make(), filename="评分.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="workbook-err">[^<]*' + re.escape(message), html)
    assert 'id="import-preview"' not in html


def test_no_file_chosen(client, clerk, csrf, batch):
    token = csrf(f"/sheets/batch/{batch.id}/import")
    response = client.post(f"/sheets/batch/{batch.id}/import", data={"csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "请选择要上传的 XLSX 文件" in response.get_data(
        as_text=True)


def test_a_formula_is_never_evaluated(client, clerk, csrf, batch, sheets, good_rows):
    good_rows[0][5] = '="A"'  # a formula without a cached value (never opened in a spreadsheet)
    token = csrf(f"/sheets/batch/{batch.id}/import")
    response = upload(client, token, batch, workbook_bytes(good_rows))
    assert response.status_code == 422
    assert "15 项未填全（缺第 1 项）" in response.get_data(as_text=True)


# --- who may import ----------------------------------------------------------------------------
def test_the_import_page_links_the_template_and_counts_open_columns(client, clerk, batch, sheets):
    html = client.get(f"/sheets/batch/{batch.id}/import").get_data(as_text=True)
    assert f"/sheets/batch/{batch.id}/import/template" in html
    assert "2 份评价表中还有 <strong>4</strong> 列评分未提交" in html
    assert 'enctype="multipart/form-data"' in html and 'name="workbook"' in html


@pytest.mark.parametrize("username, status", [
    ("clerk", 200), ("cd", 200), ("prov", 200),
    ("sup", 403), ("lead", 403), ("unit_lead_elsewhere", 403),
    ("other_clerk", 404), ("my", 404),
])
def test_who_may_import(app, batch, sheets, username, status):
    create_user("clerk", ["unit"], org=batch.organisation)
    create_user("cd", ["city"], city="成都市")
    create_user("prov", ["province"])
    create_user("other_clerk", ["unit"], org=create_org("别的机构"))
    create_user("my", ["city"], city="绵阳市")
    # A clerk of another institution who supervises this batch sees it but may not import.
    elsewhere = create_user("unit_lead_elsewhere", ["unit", "supervisor"],
                            org=create_org("又一机构"))
    if username == "unit_lead_elsewhere":
        batch.supervisor_id = elsewhere.id
        db.session.commit()
    client = app.test_client()
    login(client, username)
    for path in ("import", "import/template"):
        assert client.get(f"/sheets/batch/{batch.id}/{path}").status_code == status, path
    if status != 200:
        token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True))
        response = upload(client, token.group(1), batch, workbook_bytes([]))
        assert response.status_code == status
        assert confirm(client, token.group(1), batch, "x").status_code == status


def test_csrf_token_is_required(client, clerk, csrf, batch, sheets, good_rows):
    data = workbook_bytes(good_rows)
    response = client.post(f"/sheets/batch/{batch.id}/import",
                           data={"workbook": (io.BytesIO(data), "录入.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    token = csrf(f"/sheets/batch/{batch.id}/import")
    payload = payload_in(upload(client, token, batch, data).get_data(as_text=True))
    before = state()
    response = client.post(f"/sheets/batch/{batch.id}/import/confirm", data={"payload": payload})
    assert response.status_code == 400
    assert state() == before
    assert confirm(client, token, batch, payload).status_code == 302

"""Import from the old system (issue 5), through the pages: the template, the preview with
every row's errors in Chinese, all-or-nothing import, idempotent re-import, reused persons,
the import report kept with the audit, and who may do it."""

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from factories import create_card, create_org, create_person, create_user, login
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.audit.models import AuditEvent
from portal.card_import import operations, rules
from portal.cards import operations as card_operations
from portal.cards.models import Card
from portal.extensions import db
from portal.people.idcard import make_id_number
from portal.people.models import Person
from portal.timeutil import local_today

ID_A = make_id_number("510104", date(1980, 5, 6), 11)  # 男
ID_B = make_id_number("510703", date(1975, 1, 2), 22)  # 女
ID_C = make_id_number("511302", date(1990, 9, 9), 33)  # 男


# --- helpers -----------------------------------------------------------------------------------
def workbook_bytes(rows, *, headers=rules.HEADERS):
    """An XLSX laid out like the template: title, instructions, header, rows."""
    wb = Workbook()
    ws = wb.active
    ws.append([rules.TEMPLATE_TITLE])
    ws.append(["填写说明：每张证卡一行"])
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def good_rows():
    return [
        ["张三", "男", ID_A, "成都市", "成都天府职业技能评价中心", "13800001234", "电工",
         "考评员", "旧-2024-0001", "2024-05-06", "2024-06-03"],
        ["张三", "男", ID_A, "成都市", "成都天府职业技能评价中心", "13800001234",
         "6-18-02-04", "高级考评员", "旧-2024-0002", date(2024, 9, 2), None],
        ["李四", "", ID_B, "绵阳市", "绵阳某公司", "", "焊工", "考评员", "旧-2023-0107",
         "2023年12月1日", "2024/1/5"],
    ]


def upload(client, token, data, filename="旧系统证卡.xlsx", headers=None):
    # Encoded in memory (see tests/test_sheet_import.py: the test client would spool a large
    # body to a temporary file it never closes).
    file = FileStorage(io.BytesIO(data), filename=filename,
                       content_type="application/octet-stream")
    boundary, body = encode_multipart({"csrf_token": token, "workbook": file})
    return client.post("/cards/import/", data=body, headers=headers or {},
                       content_type=f"multipart/form-data; boundary={boundary}")


def token_in(html):
    m = re.search(r'name="token" type="hidden" value="([^"]+)"', html)
    return m.group(1) if m else None


def confirm(client, csrf_token, token, headers=None):
    return client.post("/cards/import/confirm", headers=headers or {},
                       data={"csrf_token": csrf_token, "token": token})


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def state():
    """What an import may change: persons (with their profile), cards, audit events."""
    persons = db.session.execute(select(Person.id_number, Person.name, Person.employer,
                                        Person.mobile).order_by(Person.id)).all()
    cards = db.session.execute(select(Card.number, Card.person_id, Card.issued_on,
                                      Card.collected_on).order_by(Card.id)).all()
    return persons, cards, count(AuditEvent)


@pytest.fixture
def province(client, login_as):
    return login_as("province")


@pytest.fixture
def token(province, csrf):
    return csrf("/cards/import/")


def preview_then_confirm(client, token, rows, **kw):
    response = upload(client, token, workbook_bytes(rows), **kw)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    return confirm(client, token, token_in(html))


# --- the template ------------------------------------------------------------------------------
def test_the_template_has_instructions_headers_and_an_example(client, province):
    response = client.get("/cards/import/template")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    values = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert values[0][0] == "考评员证卡历史数据导入模板"
    header_at = next(i for i, r in enumerate(values) if r[2] == "身份证号码")
    assert list(values[header_at][:11]) == [
        "姓名", "性别", "身份证号码", "所在城市", "工作单位", "联系手机", "职业（工种）", "证卡级别",
        "证卡编号", "发证日期", "领取日期"]
    example = values[header_at + 1]
    assert example[0] == "张三" and example[8] == rules.EXAMPLE_NUMBER
    instructions = " ".join(str(r[0]) for r in values[1:header_at])
    for part in ("成都市", "凉山彝族自治州", "四川省", "6-31-01-03 电工", "考评员 或 高级考评员",
                 "设为“文本”格式", "一行也不导入"):
        assert part in instructions


def test_the_downloaded_template_filled_in_imports(client, token):
    wb = load_workbook(io.BytesIO(client.get("/cards/import/template").data))
    ws = wb.active
    ws.append(["王五", "男", ID_C, "南充市", "", "", "电工", "考评员", "旧-1", "2025-03-03", ""])
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, token, out.getvalue())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "示例行，不导入" in html and "共 1 行：将导入 <strong>1</strong> 行" in html
    assert confirm(client, token, token_in(html)).status_code == 302
    assert [c.number for c in db.session.scalars(select(Card))] == ["旧-1"]


def test_an_untouched_template_has_nothing_to_import(client, token):
    response = upload(client, token, client.get("/cards/import/template").data)
    assert response.status_code == 422
    assert "文件中没有证卡数据行" in response.get_data(as_text=True)


# --- importing ---------------------------------------------------------------------------------
def test_a_good_file_imports_persons_and_cards_and_keeps_a_report(client, province, token):
    org = create_org("成都天府职业技能评价中心")
    response = upload(client, token, workbook_bytes(good_rows()))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "共 3 行：将导入 <strong>3</strong> 行，已存在跳过 0 行，有误 <strong>0</strong> 行" in html
    assert "新发证卡 <strong>3</strong> 张" in html and "新建人员 <strong>2</strong> 人" in html
    assert "2023年12月1日" in html and "导入后有效" in html
    assert count(Card) == 0 and count(Person) == 0  # the preview writes nothing

    response = confirm(client, token, token_in(html))
    assert response.status_code == 302
    report_url = response.headers["Location"]
    assert re.fullmatch(r"/cards/import/reports/\d+", report_url)

    cards = {c.number: c for c in db.session.scalars(select(Card))}
    assert set(cards) == {"旧-2024-0001", "旧-2024-0002", "旧-2023-0107"}
    first = cards["旧-2024-0001"]
    assert first.origin == "imported" and first.level == "考评员"
    assert (first.issued_on, first.collected_on, first.valid_until) == (
        date(2024, 5, 6), date(2024, 6, 3), date(2027, 5, 6))
    assert cards["旧-2024-0002"].occupation.name == "焊工"
    assert cards["旧-2024-0002"].collected_on is None
    assert cards["旧-2024-0001"].person_id == cards["旧-2024-0002"].person_id
    zhang = first.person
    assert (zhang.name, zhang.gender, zhang.id_number, zhang.region.name, zhang.mobile) == (
        "张三", "男", ID_A, "成都市", "13800001234")
    assert zhang.organisation_id == org.id  # 工作单位 is that registered unit
    li = cards["旧-2023-0107"].person
    assert (li.gender, li.region.name, li.employer, li.organisation_id) == (
        "女", "绵阳市", "绵阳某公司", None)

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card.import"))
    assert event.actor_id == province.id and event.entity_type == "card_import"
    assert event.after == {"file_name": "旧系统证卡.xlsx", "file_sha256": event.after["file_sha256"],
                           "rows": 3, "persons_created": 2, "persons_updated": 0,
                           "persons_reused": 0, "cards_created": 3, "skipped": 0}
    assert len(event.after["file_sha256"]) == 64
    assert count(AuditEvent, AuditEvent.action == "person.create") == 2
    issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card.issue"))
    assert {(e.actor_id, e.after["origin"]) for e in issued} == {(province.id, "imported")}

    page = client.get(report_url).get_data(as_text=True)
    assert "证卡导入报告" in page and "旧系统证卡.xlsx" in page
    assert "已导入 3 张证卡，新建人员 2 人，0 行已存在，跳过。" in page
    assert re.search(r"<dt>新发证卡</dt><dd><strong>3</strong> 张", page)
    assert event.after["file_sha256"] in page
    listing = client.get("/cards/import/").get_data(as_text=True)
    assert report_url in listing and "旧系统证卡.xlsx" in listing


def test_the_same_file_twice_changes_nothing(client, token):
    data = workbook_bytes(good_rows())
    first = token_in(upload(client, token, data).get_data(as_text=True))
    assert confirm(client, token, first).status_code == 302
    before = state()

    again = upload(client, token, data)
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert html.count("已存在，跳过</span>") == 3 and "无需再次导入" in html
    assert token_in(html) is None and 'class="import-confirm"' not in html
    # Replaying the first confirmation writes nothing either.
    replay = confirm(client, token, first)
    assert replay.status_code == 302
    assert "请重新上传" in client.get(replay.headers["Location"]).get_data(as_text=True)
    assert state() == before


def test_a_file_adding_to_an_earlier_import_skips_what_is_there(client, token):
    rows = good_rows()
    preview_then_confirm(client, token, rows[:1])
    response = preview_then_confirm(client, token, rows)
    assert response.status_code == 302
    assert count(Person) == 2 and count(Card) == 3
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card.import")
                               .order_by(AuditEvent.id.desc())).first()
    assert (event.after["cards_created"], event.after["skipped"],
            event.after["persons_created"], event.after["persons_reused"]) == (2, 1, 1, 1)


def test_existing_persons_are_reused_and_only_their_blank_fields_filled(client, token):
    person = create_person("张三", id_number=ID_A, mobile="")
    assert person.employer == "某公司"
    response = upload(client, token, workbook_bytes(good_rows()[:2]))
    html = response.get_data(as_text=True)
    assert "新建人员 <strong>0</strong> 人；已在系统中的人员 1 人沿用原有资料" in html
    assert "工作单位与系统中的不同，保留系统中的“某公司”" in html
    assert confirm(client, token, token_in(html)).status_code == 302
    assert count(Person) == 1
    db.session.refresh(person)
    assert (person.employer, person.mobile) == ("某公司", "13800001234")
    assert {c.person_id for c in db.session.scalars(select(Card))} == {person.id}
    [update] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.update"))
    assert update.before == {"mobile": ""} and update.after == {"mobile": "13800001234"}
    report = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card.import")).one()
    assert (report.after["persons_created"], report.after["persons_updated"],
            report.after["persons_reused"]) == (0, 1, 1)


def _set(index, column, value):
    def change(rows):
        rows[index][column] = value
    return change


BAD_CHECK = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
FUTURE = local_today() + timedelta(days=3)


def _taken_by_someone_else(rows):
    create_card(create_person("王某", id_number=ID_C), number="旧-2024-0002")


def _same_id_other_name(rows):
    create_person("张山", id_number=ID_A)


@pytest.mark.parametrize("change, message", [
    (_set(0, 2, BAD_CHECK), "身份证号码校验位不正确"),
    (_set(0, 2, "510104198002300015"), "身份证号码中的出生日期无效"),
    (_set(0, 2, 510104198005060000), "身份证号码被表格软件存成了数字"),
    (_set(2, 6, "电焊工"), "职业（工种）不在职业目录中"),
    (_set(2, 3, "重庆市"), "所在城市须填写四川省 21 个市（州）之一"),
    (_set(1, 8, "旧-2024-0001"), "证卡编号与第 4 行重复"),
    (_taken_by_someone_else, "证卡编号已存在，属于系统中的“王某”"),
    (_set(2, 9, "2023-13-01"), "发证日期“2023-13-01”无法识别"),
    (_set(2, 10, "下周"), "领取日期“下周”无法识别"),
    (_set(2, 9, FUTURE.isoformat()), "发证日期不能晚于今天"),
    (_set(0, 10, FUTURE), "领取日期不能晚于今天"),
    (_set(0, 10, "2024-05-01"), "领取日期不能早于发证日期（2024年5月6日）"),
    (_same_id_other_name, "身份证号码已登记在系统中的“张山”名下，与本行姓名不一致"),
    (_set(1, 0, "张叁"), "与第 4 行身份证号码相同，但姓名不同"),
    (_set(2, 7, "三级考评员"), "证卡级别只能是“考评员”或“高级考评员”"),
    (_set(2, 1, "男"), "性别与身份证号码不符"),
    (_set(2, 5, "12345"), "联系手机：手机号码应为11位数字"),
])
def test_each_error_is_shown_in_chinese_and_nothing_is_imported(client, token, change,
                                                                  message):
    rows = good_rows()
    change(rows)
    before = state()
    response = upload(client, token, workbook_bytes(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = html[html.index('id="import-errors"'):html.index('id="import-rows"')]
    assert message in errors and "没有任何数据被导入" in html
    assert token_in(html) is None and 'class="import-confirm"' not in html
    assert "将导入</span>" in html  # the other rows are fine, and still not imported
    assert state() == before


def test_the_database_changing_after_the_preview_stops_the_whole_import(client, token):
    html = upload(client, token, workbook_bytes(good_rows())).get_data(as_text=True)
    create_card(create_person("王某", id_number=ID_C), number="旧-2023-0107")  # meanwhile
    before = state()
    response = confirm(client, token, token_in(html))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "确认导入时按系统中的最新数据重新核对" in page
    assert "证卡编号已存在，属于系统中的“王某”" in page
    assert state() == before


def test_a_failure_while_writing_rolls_everything_back(client, token, monkeypatch):
    html = upload(client, token, workbook_bytes(good_rows())).get_data(as_text=True)
    real, calls = card_operations.issue_card, []

    def issue_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise card_operations.CardError("模拟的写入失败")
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "issue_card", issue_then_fail)
    before = state()
    response = confirm(client, token, token_in(html))
    assert response.status_code == 302 and len(calls) == 3
    assert "未能导入：模拟的写入失败。没有任何数据被写入" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert state() == before and count(Person) == 0


def test_a_tampered_or_foreign_token_is_refused(app, client, province, token):
    html = upload(client, token, workbook_bytes(good_rows())).get_data(as_text=True)
    signed = token_in(html)
    from itsdangerous import URLSafeTimedSerializer
    guessed = URLSafeTimedSerializer("guessed-key", salt="card-import").dumps(
        {"sha256": "0" * 64, "name": "x.xlsx", "user": province.id})
    # Another province officer cannot confirm this officer's preview.
    create_user("prov2", ["province"])
    other = app.test_client()
    login(other, "prov2")
    other_token = re.search(r'"X-CSRFToken": "([^"]+)"', other.get("/").get_data(as_text=True))
    before = state()
    for bad in (signed[:-3] + "abc", guessed, "", "not-even-signed"):
        assert confirm(client, token, bad).status_code == 400, bad
    assert confirm(other, other_token.group(1), signed).status_code == 400
    assert state() == before


def test_htmx_requests_get_the_panel_and_a_redirect(client, token):
    response = upload(client, token, workbook_bytes(good_rows()), headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="card-import">') and "<html" not in html
    assert "正在导入 3 行" in html and 'hx-indicator="#confirm-busy"' in html
    response = confirm(client, token, token_in(html), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert re.fullmatch(r"/cards/import/reports/\d+", response.headers["HX-Redirect"])
    assert count(Card) == 3


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
    (lambda: "姓名,身份证号码\n张三,1\n".encode(), "只接受 XLSX 格式的 Excel 文件"),
    (_zip_not_a_workbook, "只接受 XLSX 格式的 Excel 文件"),
    (lambda: b"", "文件为空"),
    (lambda: b"PK\x03\x04" + b"0" * (1024 * 1024 + 10), "文件超过 1 MB 的大小上限"),
    (lambda: workbook_bytes([]), "文件中没有证卡数据行"),
    (lambda: workbook_bytes([["张三"]], headers=("姓名", "证卡")), "没有找到模板的表头"),
    (lambda: workbook_bytes([], headers=rules.HEADERS[:-1]), "表头缺少以下列：领取日期"),
])
def test_a_file_that_is_not_a_filled_template_is_refused_next_to_the_field(client, token, make,
                                                                           message):
    response = upload(client, token, make(), filename="证卡.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="workbook-err">[^<]*' + re.escape(message), html)
    assert 'id="import-preview"' not in html


def test_no_file_chosen(client, token):
    response = client.post("/cards/import/", data={"csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要上传的 XLSX 文件" in response.get_data(as_text=True)


def test_csrf_is_required_on_both_posts(client, token):
    data = workbook_bytes(good_rows())
    response = client.post("/cards/import/", data={"workbook": (io.BytesIO(data), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    signed = token_in(upload(client, token, data).get_data(as_text=True))
    before = state()
    assert client.post("/cards/import/confirm", data={"token": signed}).status_code == 400
    assert state() == before
    assert confirm(client, token, signed).status_code == 302


# --- who may import ----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "city", "unit", "supervisor", "applicant"])
def test_only_the_province_imports(client, login_as, role):
    login_as(role)
    for path in ("/cards/import/", "/cards/import/template"):
        assert client.get(path).status_code == 403, path
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").get_data(as_text=True))
    assert upload(client, token.group(1), workbook_bytes(good_rows())).status_code == 403
    assert confirm(client, token.group(1), "x").status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    for path in ("/cards/import/", "/cards/import/template", "/cards/import/reports/1"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_unknown_report_is_404(client, province):
    assert client.get("/cards/import/reports/999").status_code == 404

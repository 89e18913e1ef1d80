"""The XLSX export of the current registry search: the same rows the search shows, scoped,
ID numbers masked, formula-like text made inert, too-large exports refused, and audited."""

import io
from datetime import date

from factories import create_card, create_person
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.people.idcard import mask_id_number
from portal.registry import routes


def sheet_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "姓名")
    return rows[header], [r for r in rows[header + 1:] if any(v is not None for v in r)]


def test_export_has_the_search_rows_with_masked_id_numbers(client, login_as):
    zhang = create_person("张导出", seq=11, mobile="13800000011")
    create_card(zhang, number="川考评-2025-000011", issued_on=date(2025, 3, 2))
    create_person("李不导出", seq=12)
    login_as("province")
    header, rows = sheet_rows(client.get("/registry/export.xlsx?name=张"))
    assert header[:3] == ["姓名", "性别", "身份证号码"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["姓名"] == "张导出"
    assert row["身份证号码"] == mask_id_number(zhang.id_number)
    assert zhang.id_number not in str(rows)
    assert row["证卡编号"] == "川考评-2025-000011"
    assert row["发证日期"].date() == date(2025, 3, 2)
    assert row["状态"] in ("有效", "即将到期", "已过期")
    assert row["联系手机"] == "13800000011"


def test_export_is_scoped_like_the_search(client, login_as):
    create_person("张成都", "成都市", seq=21)
    create_person("张绵阳", "绵阳市", seq=22)
    login_as("city")
    _, rows = sheet_rows(client.get("/registry/export.xlsx"))
    assert [r[0] for r in rows] == ["张成都"]


def test_formula_like_text_is_exported_as_inert_text(client, login_as):
    person = create_person("=HYPERLINK(\"http://x\")", seq=31)
    person.employer = "+1-2"
    db.session.commit()
    login_as("province")
    header, rows = sheet_rows(client.get("/registry/export.xlsx"))
    row = dict(zip(header, rows[0], strict=True))
    assert row["姓名"] == "'=HYPERLINK(\"http://x\")"
    assert row["工作单位"] == "'+1-2"


def test_export_is_audited_with_its_filters_and_size(client, login_as):
    create_person("张审计", seq=41)
    user = login_as("province")
    client.get("/registry/export.xlsx?name=张&status=无证卡")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "registry.export")).one()
    assert event.actor_id == user.id
    assert event.after == {"filters": {"name": "张", "status": "无证卡"}, "rows": 1}


def test_a_too_large_export_asks_to_narrow_the_search(client, login_as, monkeypatch):
    for seq in range(3):
        create_person(f"王{seq}", seq=50 + seq)
    monkeypatch.setattr(routes, "EXPORT_LIMIT", 2)
    login_as("province")
    response = client.get("/registry/export.xlsx?name=王")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/registry/?name=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "超过单次导出上限 2 条" in page
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "registry.export")).first() is None


def test_the_export_link_carries_the_current_filters(client, login_as):
    create_person("张链接", seq=61)
    login_as("province")
    html = client.get("/registry/?name=张&sort=-name", headers={"HX-Request": "true"}
                      ).get_data(as_text=True)
    assert "/registry/export.xlsx?name=%E5%BC%A0&amp;sort=-name" in html

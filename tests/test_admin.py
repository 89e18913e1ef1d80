"""The admin manages users, organisations and the occupation catalogue; every change is
audited and the audit trail can be browsed and filtered."""

from factories import PASSWORD, create_org, create_user, login, region
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.orgs.models import Organisation


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_admin_creates_a_city_officer_who_must_change_the_password(app, client, login_as, csrf):
    admin = login_as("admin")
    response = client.post("/admin/users/new", data={
        "csrf_token": csrf("/admin/users/new"), "username": "deyang", "display_name": "德阳 王经办",
        "phone": "0838-2222333", "roles": ["city"], "region_id": str(region("德阳市").id),
        "organisation_id": "", "password": "Initial@2026",
    })
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "deyang")).one()
    assert user.roles == {"city"} and user.region.name == "德阳市" and user.must_change_password
    assert "Initial@2026" not in user.password_hash and user.password_hash.startswith("scrypt:")
    assert "已创建用户 deyang" in client.get(response.headers["Location"]).get_data(as_text=True)

    [event] = events("user.create")
    assert event.actor_id == admin.id and event.entity_id == str(user.id)
    assert event.after["username"] == "deyang" and event.after["roles"] == ["city"]
    assert "password" not in str(event.after)

    new_client = app.test_client()
    assert login(new_client, "deyang", "Initial@2026").headers["Location"] == "/password"


def test_user_form_errors_are_chinese_and_next_to_the_field(client, login_as, csrf):
    login_as("admin")
    create_user("taken", ["province"])
    response = client.post("/admin/users/new", data={
        "csrf_token": csrf("/admin/users/new"), "username": "taken", "display_name": "",
        "roles": ["city", "unit"], "region_id": str(region("四川省").id), "organisation_id": "",
        "password": "abc",
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ["该用户名已被使用", "请填写姓名", "密码至少 8 位",
                    "市（州）职鉴中心用户的所属地区必须是一个市（州），不能是四川省",
                    "申报单位经办人和考场负责人必须指定所属机构"]:
        assert message in page
    assert events("user.create") == []


def test_admin_edits_roles_and_scope_with_before_and_after_in_the_audit(client, login_as, csrf):
    login_as("admin")
    org = create_org()
    user = create_user("clerk", ["unit"], org=org)
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "csrf_token": csrf(f"/admin/users/{user.id}/edit"), "display_name": "新名字",
        "phone": "13800001111", "roles": ["unit", "site_lead"], "region_id": "",
        "organisation_id": str(org.id),
    })
    assert response.status_code == 302
    user = db.session.get(User, user.id)
    assert user.roles == {"unit", "site_lead"} and user.display_name == "新名字"
    [event] = events("user.update")
    assert event.before["roles"] == ["unit"] and event.after["roles"] == ["site_lead", "unit"]
    assert "organisation_id" not in event.after  # unchanged fields are not listed


def test_disable_ends_sessions_and_enable_restores_login(app, client, login_as, csrf):
    login_as("admin")
    user = create_user("officer", ["city"], city="成都市")
    their_browser = app.test_client()
    login(their_browser, "officer")
    assert their_browser.get("/").status_code == 200

    client.post(f"/admin/users/{user.id}/active", data={"csrf_token": csrf(f"/users/{user.id}")})
    assert their_browser.get("/").status_code == 302
    assert "该账户已停用" in login(their_browser, "officer").get_data(as_text=True)

    client.post(f"/admin/users/{user.id}/active", data={"csrf_token": csrf(f"/users/{user.id}")})
    assert login(their_browser, "officer").status_code == 302
    assert [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == str(user.id),
                                 AuditEvent.action.like("user.%")).order_by(AuditEvent.id)
    )] == ["user.disable", "user.enable"]


def test_admin_cannot_disable_themself(client, login_as, csrf):
    admin = login_as("admin")
    response = client.post(f"/admin/users/{admin.id}/active",
                           data={"csrf_token": csrf(f"/users/{admin.id}")})
    assert "不能停用自己的账户" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.get(User, admin.id).active


def test_reset_password_forces_a_change_at_next_login(app, client, login_as, csrf):
    login_as("admin")
    user = create_user("forgetful", ["province"])
    response = client.post(f"/admin/users/{user.id}/password",
                           data={"csrf_token": csrf(f"/users/{user.id}"), "password": "Temp@2026"})
    assert response.status_code == 302
    browser = app.test_client()
    assert "用户名或密码不正确" in login(browser, "forgetful", PASSWORD).get_data(as_text=True)
    assert login(browser, "forgetful", "Temp@2026").headers["Location"] == "/password"
    assert events("user.password_reset")


def test_user_list_searches_as_you_type_with_htmx(client, login_as):
    login_as("admin")
    create_user("chengdu_a", ["city"], city="成都市", display_name="成都甲")
    create_user("mianyang_b", ["city"], city="绵阳市", display_name="绵阳乙")
    response = client.get("/admin/users?q=绵阳", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="users-table">') and "<html" not in body
    assert "mianyang_b" in body and "chengdu_a" not in body
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/admin/users?role=city").get_data(as_text=True)
    assert "<html" in full and "chengdu_a" in full and "mianyang_b" in full


def test_admin_creates_and_edits_an_organisation(client, login_as, csrf):
    login_as("admin")
    response = client.post("/orgs/new", data={
        "csrf_token": csrf("/orgs/new"), "name": "攀枝花钒钛职业技能评价中心",
        "org_type": "institution", "region_id": str(region("攀枝花市").id),
        "training_quota": "0", "credit_code": "", "contact_phone": "", "address": "",
        "active": "y",
    })
    assert response.status_code == 302
    org = db.session.scalars(select(Organisation)).one()
    assert org.region.name == "攀枝花市" and not org.provincial_direct and org.training_quota == 0

    response = client.post(f"/orgs/{org.id}/edit", data={
        "csrf_token": csrf(f"/orgs/{org.id}/edit"), "name": org.name, "org_type": "institution",
        "region_id": str(region("攀枝花市").id), "training_quota": "12",
        "provincial_direct": "y", "credit_code": "", "contact_phone": "", "address": "",
        "active": "y",
    })
    assert response.status_code == 302
    org = db.session.get(Organisation, org.id)
    assert org.provincial_direct and org.training_quota == 12
    [event] = events("organisation.update")
    assert event.before == {"provincial_direct": False, "training_quota": 0}
    assert event.after == {"provincial_direct": True, "training_quota": 12}
    page = client.get(f"/orgs/{org.id}").get_data(as_text=True)
    assert "省直备案评价机构" in page


def test_organisation_form_rejects_bad_input_in_chinese(client, login_as, csrf):
    login_as("admin")
    create_org("重名机构")
    response = client.post("/orgs/new", data={
        "csrf_token": csrf("/orgs/new"), "name": "重名机构", "org_type": "institution",
        "region_id": str(region("成都市").id), "training_quota": "abc",
        "credit_code": "123", "active": "y",
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "已有同名机构" in page and "请填写整数" in page
    assert "统一社会信用代码应为18位数字或大写字母" in page


def test_admin_maintains_the_occupation_catalogue(client, login_as, csrf):
    login_as("admin")
    response = client.post("/admin/occupations/", data={
        "csrf_token": csrf("/admin/occupations/"), "code": "4-10-01-06", "name": "家政服务员",
        "active": "y",
    })
    assert response.status_code == 302
    occ = db.session.scalars(select(Occupation).where(Occupation.name == "家政服务员")).one()
    assert occ.active and events("occupation.create")

    dup = client.post("/admin/occupations/", data={
        "csrf_token": csrf("/admin/occupations/"), "code": "bad", "name": "电工",
    })
    page = dup.get_data(as_text=True)
    assert dup.status_code == 422 and "该职业名称已存在" in page and "职业编码格式" in page

    client.post(f"/admin/occupations/{occ.id}/edit", data={
        "csrf_token": csrf(f"/admin/occupations/{occ.id}/edit"), "code": "4-10-01-06",
        "name": "家政服务员", "active": "",
    })
    assert not db.session.get(Occupation, occ.id).active


def test_admin_browses_and_filters_the_audit_trail(client, login_as, csrf):
    login_as("admin")
    create_user("x1", ["province"])
    client.post("/admin/occupations/", data={
        "csrf_token": csrf("/admin/occupations/"), "code": "4-10-01-06", "name": "家政服务员",
        "active": "y",
    })
    everything = client.get("/admin/audit/").get_data(as_text=True)
    assert "新增职业" in everything and "登录" in everything
    only = client.get("/admin/audit/?action=occupation.create",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "新增职业" in only and "登录</td>" not in only and "家政服务员" in only
    none = client.get("/admin/audit/?actor=nobody").get_data(as_text=True)
    assert "没有符合条件的记录" in none

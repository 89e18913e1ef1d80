"""Profiles (Attachment 1): the applicant edits their own, officers correct those in scope;
every field validated with a Chinese message next to it, the ID number unique, a region-code
warning confirmed by saving again, every change audited with before and after, and every
POST needs the CSRF token."""

from datetime import date

import pytest
from factories import create_card, create_org, create_person, get_csrf, region
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.people import operations, rules
from portal.people.idcard import gender_from_id, make_id_number
from portal.people.models import Person


def own_person(user) -> Person:
    """The logged-in applicant's person, its gender made to agree with its ID number (the
    shared factory writes 男 whatever the number says)."""
    person = db.session.get(Person, user.person_id)
    person.gender = gender_from_id(person.id_number)
    db.session.commit()
    return person


def consistent(person) -> Person:
    person.gender = gender_from_id(person.id_number)
    db.session.commit()
    return person


def form_of(person, **changes) -> dict:
    """The profile form as the page fills it in, with ``changes``."""
    values = {
        "name": person.name, "gender": person.gender, "education": person.education,
        "id_number": person.id_number, "employer": person.employer, "title": person.title,
        "position": person.position, "address": person.address, "mobile": person.mobile,
        "region_id": str(person.region_id),
        "years_worked": "" if person.years_worked is None else str(person.years_worked),
    }
    if person.organisation_id:
        values["organisation_id"] = str(person.organisation_id)
    values.update(changes)
    return values


def post(client, path, data):
    return client.post(path, data={**data, "csrf_token": get_csrf(client, path)})


def events(action="person.update") -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def error_next_to(html: str, field: str) -> str:
    marker = f'id="{field}-err">'
    assert marker in html, f"no error next to {field}"
    return html.split(marker, 1)[1].split("<", 1)[0]


# --- the applicant's own profile -------------------------------------------------------------

def test_applicant_edits_own_profile_and_it_is_audited(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    response = post(client, "/me/edit", form_of(
        me, mobile="138 0000 1234", title="高级工程师", years_worked="12", retired="y"))
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    db.session.refresh(me)
    assert (me.mobile, me.title, me.years_worked, me.retired) == ("13800001234", "高级工程师", 12,
                                                                  True)
    (event,) = events()
    assert event.actor_id == user.id and event.entity_id == str(me.id)
    assert event.before == {"mobile": "", "title": "", "years_worked": None, "retired": False}
    assert event.after == {"mobile": "13800001234", "title": "高级工程师", "years_worked": 12,
                           "retired": True}
    page = client.get("/me").get_data(as_text=True)
    assert "资料已保存（修改了：职称" not in page  # flashed once, on the redirect target
    assert "高级工程师" in page and me.id_number in page  # their own number, whole


def test_an_unchanged_form_writes_no_event(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    assert post(client, "/me/edit", form_of(me)).status_code == 302
    assert events() == []


@pytest.mark.parametrize("field,value,message", [
    ("mobile", "1380000123", "手机号码应为11位数字，以13–19开头"),
    ("mobile", "12800001234", "手机号码应为11位数字，以13–19开头"),
    ("id_number", "51010419850618123", "身份证号码应为18位（当前为17位）"),
    ("id_number", "510104198506181235", "身份证号码校验位不正确，请核对后重新填写"),
    ("id_number", "510104198502301234", "身份证号码中的出生日期无效（19850230不是有效日期）"),
    ("name", "", "请填写姓名"),
    ("years_worked", "61", "工龄应为 0–60 年"),
    ("years_worked", "十", "请填写整数"),
    ("region_id", "", "请选择所在城市"),
])
def test_invalid_values_get_a_chinese_message_next_to_the_field(client, login_as, field, value,
                                                                 message):
    user = login_as("applicant")
    me = own_person(user)
    response = post(client, "/me/edit", form_of(me, **{field: value}))
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), field) == message
    assert events() == []


def test_gender_must_agree_with_the_id_number(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    other = "女" if me.gender == "男" else "男"
    response = post(client, "/me/edit", form_of(me, gender=other))
    assert response.status_code == 422
    assert "性别与身份证号码不符" in error_next_to(response.get_data(as_text=True), "gender")


def test_id_number_is_unique_per_person(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    someone = create_person("张别人", seq=5)
    response = post(client, "/me/edit", form_of(me, id_number=someone.id_number,
                                                 gender=gender_from_id(someone.id_number)))
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "id_number") == operations.MSG_ID_TAKEN
    assert "张别人" not in response.get_data(as_text=True)


def test_a_lowercase_x_and_spaces_are_normalised(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    number = next(n for n in (make_id_number("510104", date(1985, 6, 18), s)
                              for s in range(1, 999, 2)) if n.endswith("X"))
    spaced = f" {number[:6]} {number[6:14]} {number[14:-1]}x "
    assert post(client, "/me/edit", form_of(me, id_number=spaced, gender="男")
                ).status_code == 302
    db.session.refresh(me)
    assert me.id_number == number


def test_unknown_region_code_is_a_warning_confirmed_by_saving_again(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    odd = make_id_number("519999", date(1985, 6, 18), 123)  # no such county
    first = post(client, "/me/edit", form_of(me, id_number=odd, gender="男"))
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "未能在行政区划代码表中找到" in html and "再次点击“保存”即按此号码保存" in html
    assert f'name="confirmed_id" type="hidden" value="{odd}"' in html
    db.session.refresh(me)
    assert me.id_number != odd  # not saved yet
    second = post(client, "/me/edit", form_of(me, id_number=odd, gender="男", confirmed_id=odd))
    assert second.status_code == 302
    db.session.refresh(me)
    assert me.id_number == odd


def test_name_and_id_number_are_locked_once_the_person_holds_a_card(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    create_card(me, number="川考评-2025-000900")
    html = client.get("/me/edit").get_data(as_text=True)
    assert 'name="id_number"' not in html and 'name="name"' not in html
    assert "不能自行修改" in html
    response = post(client, "/me/edit", form_of(me, name="改名", mobile="13900001111"))
    assert response.status_code == 302
    db.session.refresh(me)
    assert me.name == "申报人甲" and me.mobile == "13900001111"


def test_the_applicant_cannot_choose_the_registered_unit(client, login_as):
    user = login_as("applicant")
    me = own_person(user)
    org = create_org("想去的单位")
    assert 'name="organisation_id"' not in client.get("/me/edit").get_data(as_text=True)
    post(client, "/me/edit", form_of(me, organisation_id=str(org.id)))
    db.session.refresh(me)
    assert me.organisation_id is None


# --- officers correcting profiles ------------------------------------------------------------

def test_city_officer_corrects_a_profile_in_scope(client, login_as):
    officer = login_as("city")
    person = consistent(create_person("王错名", seq=11))
    org = create_org("成都新单位")
    path = f"/registry/people/{person.id}/edit"
    assert client.get(path).status_code == 200
    response = post(client, path, form_of(person, name="王正名", organisation_id=str(org.id)))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/registry/people/{person.id}"
    db.session.refresh(person)
    assert person.name == "王正名" and person.organisation_id == org.id
    (event,) = events()
    assert event.actor_id == officer.id
    assert event.before == {"name": "王错名", "organisation_id": None}
    assert event.after == {"name": "王正名", "organisation_id": org.id}


def test_moving_a_person_to_another_city_leaves_the_officers_scope(client, login_as):
    login_as("city")
    person = consistent(create_person("李迁出", seq=12))
    path = f"/registry/people/{person.id}/edit"
    response = post(client, path, form_of(person, region_id=str(region("绵阳市").id)))
    assert response.status_code == 302 and response.headers["Location"] == "/registry/"
    assert "已不在您的管辖范围内" in client.get("/registry/").get_data(as_text=True)
    assert client.get(f"/registry/people/{person.id}").status_code == 404


def test_province_corrects_anyone_and_errors_show_on_the_officer_form(client, login_as):
    login_as("province")
    person = consistent(create_person("赵绵阳", "绵阳市", seq=13))
    taken = create_person("钱成都", seq=14)
    path = f"/registry/people/{person.id}/edit"
    response = post(client, path, form_of(person, id_number=taken.id_number,
                                          gender=gender_from_id(taken.id_number)))
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "id_number") == operations.MSG_ID_TAKEN


def test_city_officer_of_another_city_gets_404_and_unit_403(client, login_as):
    person = create_person("孙绵阳", "绵阳市", seq=15)
    login_as("city")
    assert post(client, "/registry/", {}).status_code == 405
    path = f"/registry/people/{person.id}/edit"
    response = client.post(path, data={**form_of(person, name="改"),
                                       "csrf_token": get_csrf(client, "/registry/")})
    assert response.status_code == 404


# --- CSRF ------------------------------------------------------------------------------------

def test_every_profile_post_needs_the_csrf_token(client, login_as):
    user = login_as("applicant", "city")
    me = own_person(user)
    for path in ("/me/edit", f"/registry/people/{me.id}/edit", "/me"):
        response = client.post(path, data=form_of(me, name="无令牌"))
        assert response.status_code == 400, path
        assert "页面已过期" in response.get_data(as_text=True)
    db.session.refresh(me)
    assert me.name != "无令牌"
    assert events() == []


# --- the operations the import will call -----------------------------------------------------

def test_create_person_normalises_derives_gender_and_audits(app):
    number = make_id_number("510104", date(1990, 1, 2), 124)  # even: 女
    person = operations.create_person(
        name=" 张 三 ", id_number=number.lower(), region_id=region("成都市").id,
        mobile="+86 138-0000-1234", actor_id=None)
    db.session.commit()
    assert (person.name, person.gender, person.mobile) == ("张 三", "女", "13800001234")
    (event,) = events("person.create")
    assert event.after["id_number"] == number and event.actor_id is None


def test_create_person_refuses_invalid_and_duplicate_records(app):
    existing = create_person("已有", seq=3)
    with pytest.raises(operations.PersonError) as caught:
        operations.create_person(name="", id_number="123", region_id=None, actor_id=None)
    assert set(caught.value.errors) == {"name", "id_number", "region_id"}
    with pytest.raises(operations.PersonError) as caught:
        operations.create_person(name="重复", id_number=existing.id_number,
                                 region_id=existing.region_id, mobile="12", actor_id=None)
    assert caught.value.errors == {"id_number": operations.MSG_ID_TAKEN,
                                   "mobile": rules.MSG_MOBILE}
    assert "身份证号码：该身份证号码已登记" in str(caught.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1


def test_update_person_changes_nothing_on_an_error(app):
    person = create_person("周原样", seq=4)
    with pytest.raises(operations.PersonError):
        operations.update_person(person, {"mobile": "13800001111", "years_worked": 99},
                                 actor_id=None)
    assert person.mobile == "" and events() == []


# --- pure profile rules ----------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("13800001234", "13800001234"), ("138 0000 1234", "13800001234"),
    ("138-0000-1234", "13800001234"), ("＋８６１３８００００１２３４", "13800001234"),
    ("8613800001234", "13800001234"), ("", ""), (None, ""), ("  ", ""),
])
def test_normalize_mobile(text, expected):
    assert rules.normalize_mobile(text) == expected


@pytest.mark.parametrize("text", ["1380000123", "138000012345", "12800001234", "23800001234",
                                  "1380000123a", "028-85551234"])
def test_normalize_mobile_refuses(text):
    with pytest.raises(ValueError, match="手机号码应为11位数字"):
        rules.normalize_mobile(text)


def test_self_editable_fields():
    assert "organisation_id" not in rules.self_editable_fields(False)
    assert "id_number" in rules.self_editable_fields(False)
    assert "id_number" not in rules.self_editable_fields(True)
    assert "name" not in rules.self_editable_fields(True)
    assert "mobile" in rules.self_editable_fields(True)


def test_clean_profile_reports_every_problem_and_refuses_unknown_fields():
    clean, errors = rules.clean_profile({"name": "  李  四 ", "years_worked": -1, "gender": "X",
                                         "address": "路" * 201})
    assert clean == {"name": "李 四"}
    assert set(errors) == {"years_worked", "gender", "address"}
    with pytest.raises(KeyError):
        rules.clean_profile({"photo_upload_id": 1})

"""The admin's working-day calendar: overrides change deadlines inside the app, a bad pasted
line is reported and nothing is saved, provisional card deadlines are recounted, and admins
are reminded from 1 December to maintain next year."""

from datetime import date

import pytest
from factories import create_card, create_person
from sqlalchemy import func, select

from portal import timeutil
from portal.audit.models import AuditEvent
from portal.calendar.models import CalendarDay, CalendarYear
from portal.calendar.rules import package_special_days, parse_schedule
from portal.cards.models import Card
from portal.extensions import db
from portal.workdays import CalendarNotMaintained, add_workdays, is_workday

SCHEDULE_2027 = """\
# 2027 年部分节假日安排（测试用）
2027-01-01 休 元旦
2027-02-06~2027-02-12 休 春节
2027-02-14 班 春节调休
"""


def test_parse_schedule_reads_ranges_and_kinds():
    entries, errors = parse_schedule(SCHEDULE_2027, 2027)
    assert errors == []
    assert [(e.day.isoformat(), e.is_workday) for e in entries][:3] == [
        ("2027-01-01", False), ("2027-02-06", False), ("2027-02-07", False)]
    assert len(entries) == 1 + 7 + 1
    assert entries[-1].note == "春节调休" and entries[-1].is_workday


@pytest.mark.parametrize("line, message", [
    ("2027-02-30 休 春节", "日期无效"),
    ("2027-01-01 放 元旦", "第二项须为“休”"),
    ("2026-12-31 休 元旦", "日期不在 2027 年内"),
    ("2027-02-12~2027-02-06 休 春节", "结束早于开始"),
    ("元旦放假", "格式应为"),
    ("2027-01-01~2027-03-01 休", "超过 15 天"),
])
def test_parse_schedule_names_the_bad_line(line, message):
    _, errors = parse_schedule(f"2027-10-01 休 国庆节\n{line}", 2027)
    assert len(errors) == 1 and errors[0].line_no == 2 and message in errors[0].message


def test_duplicate_dates_are_an_error():
    _, errors = parse_schedule("2027-01-01 休\n2026-12-31~2027-01-02 休", 2027)
    assert errors  # the range leaves the year; and within the year 1 Jan repeats
    _, errors = parse_schedule("2027-01-01 休\n2027-01-01 班", 2027)
    assert "重复出现" in errors[0].message


def test_package_days_list_holidays_and_adjusted_working_days():
    rows = {r.day: r for r in package_special_days(2026)}
    assert not rows[date(2026, 2, 17)].is_workday and rows[date(2026, 2, 17)].note == "春节"
    assert rows[date(2026, 2, 14)].is_workday and "调休上班" in rows[date(2026, 2, 14)].note
    assert package_special_days(2031) == []


def test_an_override_changes_add_workdays_inside_the_app(client, login_as, csrf):
    login_as("admin")
    assert add_workdays(date(2026, 3, 28), 20) == date(2026, 4, 27)
    response = client.post("/admin/calendar/2026/day", data={
        "csrf_token": csrf("/admin/calendar/?year=2026"), "day": "2026-04-27", "kind": "休",
        "note": "临时停工（测试）"})
    assert response.status_code == 302
    assert not is_workday(date(2026, 4, 27))
    assert add_workdays(date(2026, 3, 28), 20) == date(2026, 4, 28)
    page = client.get("/admin/calendar/?year=2026").get_data(as_text=True)
    assert "临时停工（测试）" in page and "管理员" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar.set"))

    client.post("/admin/calendar/2026/day/2026-04-27/delete",
                data={"csrf_token": csrf("/admin/calendar/?year=2026")})
    assert add_workdays(date(2026, 3, 28), 20) == date(2026, 4, 27)


def test_a_bad_line_is_reported_and_nothing_is_saved(client, login_as, csrf):
    login_as("admin")
    text = SCHEDULE_2027 + "2027-13-01 休 不存在的日子\n"
    response = client.post("/admin/calendar/2027/paste", data={
        "csrf_token": csrf("/admin/calendar/?year=2027"), "text": text, "complete": "y"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "全部内容均未保存" in page and "第 5 行" in page and "日期无效" in page
    assert "2027-02-06~2027-02-12 休 春节" in page  # the pasted text is kept for correction
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 0
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0
    with pytest.raises(CalendarNotMaintained):
        add_workdays(date(2026, 12, 30), 5)


def test_pasting_a_complete_year_settles_provisional_card_deadlines(client, login_as, csrf):
    login_as("admin")
    person = create_person()
    card = create_card(person, issued_on=date(2026, 11, 20), collected=False)
    assert card.deadline_provisional  # 60 working days reach into 2027
    estimate = card.collection_deadline

    response = client.post("/admin/calendar/2027/paste", data={
        "csrf_token": csrf("/admin/calendar/?year=2027"), "text": SCHEDULE_2027,
        "complete": "y"})
    assert response.status_code == 302
    card = db.session.get(Card, card.id)
    assert not card.deadline_provisional
    assert card.collection_deadline == add_workdays(date(2026, 11, 20), 60)
    # The Spring Festival week (7 weekdays incl. the weekend) pushes the real date later.
    assert card.collection_deadline > estimate
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已重新计算 1 张证卡的领取截止日期" in page
    assert card.number in page and "已确认完整" in page
    assert is_workday(date(2027, 2, 14)) and not is_workday(date(2027, 2, 8))
    assert is_workday(date(2027, 3, 1))  # an ordinary Monday of a confirmed year


def test_rows_without_confirmation_keep_deadlines_provisional(client, login_as, csrf):
    login_as("admin")
    card = create_card(create_person(), issued_on=date(2026, 11, 20), collected=False)
    client.post("/admin/calendar/2027/paste", data={
        "csrf_token": csrf("/admin/calendar/?year=2027"), "text": "2027-01-01 休 元旦"})
    assert db.session.get(Card, card.id).deadline_provisional
    page = client.get("/admin/calendar/?year=2027").get_data(as_text=True)
    assert "尚未维护" in page and "确认 2027 年日历已完整" in page
    client.post("/admin/calendar/2027/confirm", data={"csrf_token": csrf("/admin/calendar/")})
    assert not db.session.get(Card, card.id).deadline_provisional


def test_banner_from_1_december_until_next_year_is_maintained(client, login_as, csrf,
                                                              monkeypatch):
    login_as("admin")
    monkeypatch.setattr(timeutil, "local_today", lambda: date(2026, 11, 30))
    assert "calendar-banner" not in client.get("/").get_data(as_text=True)
    monkeypatch.setattr(timeutil, "local_today", lambda: date(2026, 12, 1))
    for path in ["/", "/admin/users", "/orgs/"]:
        html = client.get(path).get_data(as_text=True)
        assert 'id="calendar-banner"' in html and "2027年的工作日历尚未维护" in html
    # The calendar page opens on next year from December.
    assert "工作日历 · 2027 年" in client.get("/admin/calendar/").get_data(as_text=True)
    client.post("/admin/calendar/2027/paste", data={
        "csrf_token": csrf("/admin/calendar/"), "text": SCHEDULE_2027, "complete": "y"})
    assert "calendar-banner" not in client.get("/").get_data(as_text=True)


def test_other_roles_never_see_the_banner(client, login_as, monkeypatch):
    login_as("province")
    monkeypatch.setattr(timeutil, "local_today", lambda: date(2026, 12, 15))
    assert "calendar-banner" not in client.get("/").get_data(as_text=True)

"""Dashboards (issue 8): the figures equal independent counts, every number links to a list
of that length, scope, filters in the URL, SVG charts with their numbers as text, the work
queue and its navigation count, and the XLSX export."""

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from application_factories import create_application, create_plan
from factories import create_assignment, create_batch, create_card, create_org, create_person
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.cards.models import Card
from portal.cards.queries import status_expr
from portal.catalogue.models import Region
from portal.extensions import db
from portal.people.models import Person
from portal.registry.rules import quality_line
from portal.renewals.rules import RefusalRecord, SheetRecord
from portal.sheets.models import EvaluationSheet
from portal.timeutil import local_today, to_local, utcnow
from portal.workdays import WorkdayCalendar

NUMBER_LINK = re.compile(r'<a class="n" href="([^"]+)">(\d+)</a>')
LIST_TOTAL = re.compile(r"共 (?:<strong>)?(\d+)(?:</strong>)? 条")


@pytest.fixture(autouse=True)
def _no_memo(app):
    """Figures are computed afresh in each request (the memo is tested on its own)."""
    before = app.config.get("DASHBOARD_CACHE_SECONDS")
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    app.extensions.pop("dashboard_memo", None)
    app.extensions.pop("dashboard_generations", None)
    yield
    app.config["DASHBOARD_CACHE_SECONDS"] = before
    app.extensions.pop("dashboard_memo", None)
    app.extensions.pop("dashboard_generations", None)


def _workdays_ago(n: int) -> datetime:
    cal, day, count = WorkdayCalendar(), local_today(), 0
    while count < n:
        day -= timedelta(days=1)
        if cal.is_workday(day):
            count += 1
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=3)


def _final(assignment, grade: str, score: str) -> EvaluationSheet:
    sheet = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.assignment_id == assignment.id)).one()
    sheet.grade, sheet.final_score, sheet.finalised_at = grade, Decimal(score), utcnow()
    db.session.commit()
    return sheet


@pytest.fixture
def seeded():
    """Two cities, an institution in each, examiners with cards in every state, sheets of
    this year, refusals, and applications waiting at several stages."""
    today = local_today()
    unit_org = create_org("成都测试评价中心", "成都市")
    mianyang_org = create_org("绵阳测试评价中心", "绵阳市")
    p1 = create_person("成都甲", "成都市", org=unit_org, seq=1)
    p2 = create_person("成都乙", "成都市", org=unit_org, seq=2)
    p3 = create_person("成都丙", "成都市", org=unit_org, seq=3)
    p4 = create_person("绵阳丁", "绵阳市", org=mianyang_org, seq=4)
    create_person("成都戊", "成都市", seq=5)  # no card
    c1 = create_card(p1, issued_on=today - timedelta(days=400))
    create_card(p2, issued_on=today - timedelta(days=3), collected=False)
    expiring_issue = today + timedelta(days=20)
    c3 = create_card(p3, issued_on=expiring_issue.replace(year=expiring_issue.year - 3),
                     level="高级考评员")
    c4 = create_card(p4, issued_on=today - timedelta(days=400), occupation_name="焊工")
    day = max(date(today.year, 1, 5), today - timedelta(days=5))
    sheets = []
    for i, (grade, score) in enumerate((("差", "55.0"), ("良", "80.0"), ("优", "90.0"))):
        batch = create_batch(unit_org, days=(day,), number=f"KP-T-{i}")
        sheets.append(_final(create_assignment(batch, c1, answer="accepted"), grade, score))
        create_assignment(batch, c3, answer="refused", reason="没空", reason_justified=False,
                          answered_at=utcnow() - timedelta(days=2))
    mbatch = create_batch(mianyang_org, days=(day,), number="KP-M-1", occupation_name="焊工")
    sheets.append(_final(create_assignment(mbatch, c4, answer="accepted"), "中", "65.0"))
    plan = create_plan(today.year)
    a1 = create_application(plan, city="成都市", stage="initial_review", seq=61)
    a1.stage_since = _workdays_ago(12)
    create_application(plan, city="绵阳市", stage="initial_review", seq=62,
                       unit=mianyang_org).stage_since = _workdays_ago(2)
    create_application(plan, city="成都市", stage="province_review", seq=63, unit=unit_org)
    create_application(plan, city="成都市", stage="unit_review", seq=64, unit=unit_org)
    db.session.commit()
    return {"unit_org": unit_org, "people": (p1, p2, p3, p4), "sheets": sheets}


def _numbers(html: str) -> list[tuple[str, int]]:
    return [(href.replace("&amp;", "&"), int(n)) for href, n in NUMBER_LINK.findall(html)]


def _list_total(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    m = LIST_TOTAL.search(response.get_data(as_text=True))
    assert m, f"no total on {href}"
    return int(m.group(1))


def _assert_every_number_is_its_list(client, html: str) -> int:
    checked: dict[str, int] = {}
    for href, n in _numbers(html):
        if href not in checked:
            checked[href] = _list_total(client, href)
        assert checked[href] == n, (href, n, checked[href])
    return len(checked)


# --------------------------------------------------------------------------- figures


def test_province_figures_equal_independent_counts(client, login_as, seeded):
    login_as("province")
    html = client.get("/dashboard/").get_data(as_text=True)
    today = local_today()
    status = status_expr(today).label("status")
    statuses = dict(db.session.execute(select(status, func.count()).group_by(status)).all())
    section = html.split('id="dash-cards_status"')[1].split("</section>")[0]
    for status, n in statuses.items():
        assert re.search(rf"<td>{status}</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">"
                         rf"{n}</a>", section), status
    assert "<td>无证卡</td>" in section  # 成都戊
    grades = section_of(html, "sheets_grade")
    for grade in ("差", "良", "优", "中"):
        n = db.session.scalar(select(func.count()).select_from(EvaluationSheet).where(
            EvaluationSheet.grade == grade))
        assert f"<td>{grade}</td><td class=\"num\"><a class=\"n\"" in grades
        assert re.search(rf"<td>{grade}</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">{n}<",
                         grades)
    waiting = section_of(html, "applications")
    initial = db.session.scalar(select(func.count()).select_from(Application).where(
        Application.stage == "initial_review"))
    assert re.search(rf"待初审</td><td>初审单位</td><td class=\"num\"><a class=\"n\" "
                     rf"href=\"[^\"]+\">{initial}</a>", waiting)
    # The Chengdu application arrived 12 working days ago: more than 10 held, so overdue.
    oldest = re.search(r'<td class="num overdue">(\d+) 个工作日</td>', waiting)
    assert oldest and int(oldest.group(1)) > 10
    assert re.search(r'<td class="num overdue"><a class="n" href="[^"]+">1</a>', waiting)


def section_of(html: str, key: str) -> str:
    return html.split(f'id="dash-{key}"')[1].split("</section>")[0]


def test_at_risk_examiners_are_those_the_quality_line_names(client, login_as, seeded):
    login_as("province")
    p1, _p2, p3, _p4 = seeded["people"]
    html = section_of(client.get("/dashboard/").get_data(as_text=True), "at_risk")
    assert f'href="/registry/people/{p1.id}">成都甲</a>' in html  # 1 差 of 3 sheets: 33.3 %
    assert f'href="/registry/people/{p3.id}">成都丙</a>' in html  # 3 unjustified refusals
    assert "33.3%" in html and "绵阳丁" not in html
    today = local_today()
    sheets = [SheetRecord(s.id, to_local(s.finalised_at).date(), s.grade)
              for s in seeded["sheets"] if s.person_id == p1.id]
    assert quality_line(sheets, [], today=today).rule1
    refusals = [RefusalRecord(i, today - timedelta(days=2), False) for i in range(3)]
    assert quality_line([], refusals, today=today).rule2


def test_every_province_number_links_to_a_list_of_that_length(client, login_as, seeded):
    login_as("province")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert _assert_every_number_is_its_list(client, html) > 60


def test_every_number_with_filters_links_to_a_list_of_that_length(client, login_as, seeded):
    login_as("province")
    chengdu = db.session.scalar(select(Region.id).where(Region.name == "成都市"))
    html = client.get(f"/dashboard/?city={chengdu}&level=考评员").get_data(as_text=True)
    assert _assert_every_number_is_its_list(client, html) > 20


def test_city_dashboard_shows_only_its_city(client, login_as, seeded):
    login_as("city")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "成都市数据看板" in html and "各市（州）" not in html
    cards = section_of(html, "cards_status")
    assert re.search(r"<td>有效</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">1</a>",
                     cards)  # 成都甲 only; 绵阳丁 is not counted
    assert "绵阳" not in html
    grades = section_of(html, "sheets_grade")
    assert re.search(r"<td>中</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">0</a>", grades)
    mianyang = db.session.scalar(select(Region.id).where(Region.name == "绵阳市"))
    # A city cannot choose another city: the filter is ignored.
    assert client.get(f"/dashboard/?city={mianyang}").get_data(as_text=True).count("绵阳") == 0
    assert _assert_every_number_is_its_list(client, html) > 30


def test_institution_dashboard_shows_only_itself(client, login_as, seeded):
    login_as("unit")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "成都测试评价中心数据看板" in html
    batches = section_of(html, "batches")
    assert re.search(r"<td>已完成</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">3</a>",
                     batches)
    grades = section_of(html, "sheets_grade")
    assert re.search(r"<td>合计</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">3</a>", grades)
    assert "绵阳" not in html
    assert _assert_every_number_is_its_list(client, html) > 10


def test_site_lead_dashboard_links_to_the_dashboard_lists(client, login_as, seeded):
    login_as("site_lead")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "/registry/" not in html
    assert _assert_every_number_is_its_list(client, html) > 5


@pytest.mark.parametrize("role, status", [("admin", 403), ("supervisor", 403), ("applicant", 200)])
def test_no_dashboard_for_roles_without_one(client, login_as, role, status):
    login_as(role)
    assert client.get("/dashboard/").status_code == status
    assert client.get("/dashboard/cards").status_code == 403


def test_lists_are_scoped_and_out_of_scope_filters_show_nothing(client, login_as, seeded):
    login_as("city")
    assert _list_total(client, "/dashboard/sheets?grade=中") == 0  # 绵阳's sheet
    assert _list_total(client, "/dashboard/waiting/applications?stage=initial_review") == 1
    assert client.get("/dashboard/waiting/applications?stage=nope").status_code == 404
    assert client.get("/dashboard/waiting/other?stage=x").status_code == 404


# --------------------------------------------------------------------------- filters, htmx


def test_filters_are_kept_in_the_url_and_htmx_gets_the_board_alone(client, login_as, seeded):
    login_as("province")
    chengdu = db.session.scalar(select(Region.id).where(Region.name == "成都市"))
    year = local_today().year
    full = client.get(f"/dashboard/?year={year}&city={chengdu}&level=高级考评员")
    html = full.get_data(as_text=True)
    assert f'<option value="{chengdu}" selected>成都市</option>' in html
    assert "<option selected>高级考评员</option>" in html
    assert 'hx-push-url="true"' in html and 'hx-get="/dashboard/"' in html
    assert f"export/cards_status.xlsx?year={year}&amp;city={chengdu}" in html
    partial = client.get(f"/dashboard/?year={year}&city={chengdu}", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="board"') and "<html" not in body
    assert "HX-Request" in partial.headers.get("Vary", "")
    assert "绵阳" not in section_of(body, "cards_status")


def test_charts_are_svg_with_their_numbers_as_text(client, login_as, seeded):
    login_as("province")
    html = client.get("/dashboard/").get_data(as_text=True)
    svgs = re.findall(r'<svg class="chart" role="img".*?</svg>', html, re.S)
    assert len(svgs) >= 6
    for svg in svgs:
        assert "<title" in svg and "<text" in svg
    grades = section_of(html, "sheets_grade")
    assert re.search(r'<text class="value"[^>]*>1</text>', grades)  # one sheet of each grade
    assert "url(#pat-diag)" in html and '<pattern id="pat-diag"' in html
    assert "<script>" not in html


# --------------------------------------------------------------------------- my work


def test_my_work_counts_equal_the_items_and_the_navigation(client, login_as, seeded):
    login_as("city")
    html = client.get("/dashboard/my-work").get_data(as_text=True)
    counts = {k: int(n) for k, n in re.findall(
        r'<h3 id="work-(\w+)">[^<]*<span class="badge" data-count="(\d+)">', html)}
    assert counts == {"applications": 1, "cards": 1}
    assert _list_total(client, "/applications/") == counts["applications"]
    assert _list_total(client, "/cards/?status=待领取") == counts["cards"]
    items = re.findall(r'<ul class="work-items">(.*?)</ul>', html, re.S)
    assert [len(re.findall(r"<li>", i)) for i in items] == [1, 1]
    nav = re.search(r'id="my-work-count"[^>]*><span class="sr-only">我的待办 </span>(\d+)<', html)
    assert nav and int(nav.group(1)) == 2
    home = client.get("/").get_data(as_text=True)
    assert 'id="my-work"' in home and "打开数据看板" in home


def test_unit_work_includes_its_queue_and_refusals_to_judge(client, login_as, seeded):
    login_as("unit")
    a = db.session.scalars(select(Application).where(Application.stage == "unit_review")).one()
    from portal.batches.models import Assignment

    refused = db.session.scalars(select(Assignment).where(Assignment.answer == "refused")).all()
    refused[0].reason_justified = None
    db.session.commit()
    html = client.get("/dashboard/my-work").get_data(as_text=True)
    assert f"/applications/{a.id}" in html
    assert re.search(r'id="work-refusals">[^<]*<span class="badge" data-count="1">', html)


def test_applicant_sees_own_cards_and_work(client, login_as):
    user = login_as("applicant")
    person = db.session.get(Person, user.person_id)
    create_card(person, issued_on=local_today() - timedelta(days=2), collected=False)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "我的证卡" in html and "待领取" in html and "前领取" in html


# --------------------------------------------------------------------------- export, memo


def test_each_table_exports_to_xlsx_with_the_same_numbers(client, login_as, seeded):
    from openpyxl import load_workbook

    login_as("province")
    html = client.get("/dashboard/").get_data(as_text=True)
    keys = re.findall(r'/dashboard/export/(\w+)\.xlsx', html)
    assert {"cards_status", "cards_city", "applications", "sheets_org", "at_risk"} <= set(keys)
    for key in set(keys):
        response = client.get(f"/dashboard/export/{key}.xlsx")
        assert response.status_code == 200
        ws = load_workbook(io.BytesIO(response.data)).active
        cells = [c for row in ws.iter_rows(min_row=5, values_only=True) for c in row
                 if isinstance(c, int)]
        page_numbers = [int(n) for n in re.findall(
            r'<td class="num[^"]*">(?:<a class="n" href="[^"]+">)?(\d+)(?:</a>)?</td>',
            section_of(html, key))]
        assert cells[:len(page_numbers)] == page_numbers, key
    assert client.get("/dashboard/export/nothing.xlsx").status_code == 404


def test_the_memo_serves_until_something_is_recorded(app, client, login_as, seeded):
    from portal.audit.operations import record

    app.config["DASHBOARD_CACHE_SECONDS"] = 300
    login_as("province")

    def valid() -> int:
        section = section_of(client.get("/dashboard/").get_data(as_text=True), "cards_status")
        return int(re.search(r"<td>有效</td><td class=\"num\"><a class=\"n\" href=\"[^\"]+\">"
                             r"(\d+)</a>", section).group(1))

    before = valid()
    create_card(create_person("新人", "成都市", seq=20), issued_on=local_today()
                - timedelta(days=300))
    assert valid() == before  # nothing recorded: the memo still serves
    record("sheet.level", db.session.scalars(select(Card)).first(), after={})
    db.session.commit()
    assert valid() == before  # a level click changes no figure: still served
    record("application.approve", db.session.scalars(select(Card)).first(), after={})
    db.session.commit()
    assert valid() == before  # a review step changes the waiting tables, not the cards
    record("card.test", db.session.scalars(select(Card)).first(), after={})
    db.session.commit()
    assert valid() == before + 1


def test_which_figures_an_action_may_change():
    from portal.dashboards.memo import FAMILIES, families_of

    assert families_of("sheet.level") == () and families_of("auth.login") == ()
    # Today's finalisations are counted afresh; a reopened sheet changes the days before.
    assert families_of("sheet.finalise") == ("board",)
    assert set(families_of("sheet.reopen")) == {"sheets", "risk", "board"}
    assert set(families_of("application.approve")) == {"applications", "board"}
    assert set(families_of("card.collect")) == {"cards", "board"}
    # Anything not listed (a calendar change moves every working-day figure) changes all.
    assert families_of("calendar.set") == FAMILIES and families_of("person.update") == FAMILIES


def test_an_event_committed_out_of_id_order_is_still_seen(app):
    from portal.audit.models import AuditEvent
    from portal.dashboards.memo import _Generations

    def event(event_id: int, action: str) -> None:
        db.session.add(AuditEvent(id=event_id, action=action, entity_type="card",
                                  entity_id="1"))
        db.session.commit()

    state = _Generations()
    with app.test_request_context():
        start = state.look()["cards"]
        newest = (db.session.scalar(select(func.max(AuditEvent.id))) or 0)
        event(newest + 5, "card.collect")  # committed first
        assert state.look()["cards"] == start + 1
        event(newest + 3, "card.issue")  # a lower id, committed later
        assert state.look()["cards"] == start + 2
        assert state.look()["cards"] == start + 2  # counted once


def test_the_memo_keeps_the_days_before_today_and_counts_today_afresh(
        app, client, login_as, seeded):
    """With the memo on: the seeded sheets are moved to yesterday (the memo keeps them);
    sheets finalised today are counted on the next view, at-risk shares included."""
    from portal.audit.operations import record

    today = local_today()
    if (today - timedelta(days=1)).year != today.year:
        pytest.skip("on 1 January yesterday's sheets belong to last year")
    for sheet in seeded["sheets"]:
        sheet.finalised_at -= timedelta(days=1)
    db.session.commit()
    app.config["DASHBOARD_CACHE_SECONDS"] = 300
    login_as("province")
    p1, _p2, _p3, p4 = seeded["people"]

    def board() -> str:
        return client.get("/dashboard/").get_data(as_text=True)

    def grade_count(html: str, grade: str) -> int:
        return int(re.search(rf"<td>{grade}</td><td class=\"num\"><a class=\"n\" "
                             rf"href=\"[^\"]+\">(\d+)<", section_of(html, "sheets_grade")).group(1))

    html = board()
    assert grade_count(html, "差") == 1 and "绵阳丁" not in section_of(html, "at_risk")
    assert "成都甲" in section_of(html, "at_risk")  # 1 差 of 3
    # Today: 绵阳丁's first 差 (with yesterday's 中: 1 of 2) and a 良 for 成都甲 (1 of 4).
    c1 = db.session.scalars(select(Card).where(Card.person_id == p1.id)).one()
    c4 = db.session.scalars(select(Card).where(Card.person_id == p4.id)).one()
    org = seeded["unit_org"]
    for card, grade, score, number in ((c4, "差", "55.0", "KP-T-9"), (c1, "良", "80.0", "KP-T-8")):
        batch = create_batch(org, days=(today,), number=number)
        sheet = _final(create_assignment(batch, card, answer="accepted"), grade, score)
        record("sheet.finalise", sheet, after={})
        db.session.commit()
    html = board()
    assert grade_count(html, "差") == 2 and grade_count(html, "良") == 2
    risk = section_of(html, "at_risk")
    assert "绵阳丁" in risk and "50.0%" in risk  # yesterday's sheet counts in the share
    assert "成都甲" not in risk  # 1 差 of 4: 25 %
    listed = client.get("/dashboard/at-risk").get_data(as_text=True)
    assert "绵阳丁" in listed and "成都甲" not in listed  # the list computes it the same way

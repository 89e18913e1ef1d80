"""The province's renewal plan (复核换证计划, notice §三(二), §三(四)4): its dates from the
working-day calendar, one plan a year, the daily job that creates it on 28 March, the plan
page, scope, and closing it — exactly the eligible cards that were not renewed are revoked,
in one go, and only after every review has ended."""

import re
from datetime import date

import pytest
from factories import create_card, create_org, create_person, csrf_in, region
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cards.models import Card
from portal.extensions import db
from portal.ops.jobs import run_daily
from portal.orgs.models import Organisation
from portal.renewals import plan_operations
from portal.renewals.models import RenewalApplication, RenewalPlan
from portal.renewals.plan_operations import CLOSE_REVOKE_REASON, PlanError, ensure_plan
from portal.renewals.rules import RenewalStage
from portal.timeutil import utcnow

UNMAINTAINED = 2027  # chinesecalendar 1.11.0 ends with 2026; the test database has no 2027


@pytest.fixture
def on_day(monkeypatch):
    """``on_day(d)`` makes the plan pages (and the job command) see ``d`` as today."""

    def _on(day: date):
        monkeypatch.setattr("portal.renewals.plan_routes.local_today", lambda: day)
        monkeypatch.setattr("portal.timeutil.local_today", lambda: day)

    return _on


def plan_of(year: int) -> RenewalPlan | None:
    db.session.expire_all()
    return db.session.scalar(select(RenewalPlan).where(RenewalPlan.year == year))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def create_plan_page(client, year, **data):
    token = csrf_in(client.get("/renewals/plans/new").get_data(as_text=True))
    return client.post("/renewals/plans/new",
                       data={"csrf_token": token, "year": year, "title": "", "notes": "",
                             "expiry_cutoff": "", **data})


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


# --- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("year, closes", [
    (2026, date(2026, 4, 27)),
    (2025, date(2025, 4, 27)),  # a Sunday that was a working day (调休)
])
def test_a_plan_opens_on_28_march_and_closes_on_the_20th_working_day(
        client, login_as, year, closes):
    login_as("province")
    response = create_plan_page(client, year)
    assert response.status_code == 302, text(response)
    plan = plan_of(year)
    assert (plan.opens_on, plan.closes_on, plan.expiry_cutoff) == (date(year, 3, 28), closes,
                                                                  closes)
    assert plan.title == f"{year}年度考评员复核换证计划"
    assert plan.published_at is None and not plan.auto_created
    page = text(client.get(f"/renewals/plans/{plan.id}"))
    assert f"{year}年3月28日 至 {year}年4月27日" in page
    assert "3月28日后第20个工作日" in page


def test_the_form_shows_the_computed_close_date_as_the_year_is_typed(client, login_as):
    login_as("province")
    html = client.get("/renewals/plans/new/dates", query_string={"year": 2025},
                      headers={"HX-Request": "true"})
    assert "2025年4月27日" in text(html) and "3月28日后第20个工作日" in text(html)


def test_an_unmaintained_calendar_is_a_clear_error_and_no_plan(client, login_as):
    login_as("province")
    response = create_plan_page(client, UNMAINTAINED)
    assert response.status_code == 422
    page = text(response)
    assert f"{UNMAINTAINED}年的工作日历尚未维护" in page and "系统管理员" in page
    assert "无法计算" in page
    assert plan_of(UNMAINTAINED) is None
    preview = text(client.get("/renewals/plans/new/dates", query_string={"year": UNMAINTAINED}))
    assert f"{UNMAINTAINED}年的工作日历尚未维护" in preview


def test_one_plan_a_year(client, login_as):
    login_as("province")
    assert create_plan_page(client, 2026).status_code == 302
    again = create_plan_page(client, 2026)
    assert again.status_code == 422
    assert "2026年度的复核换证计划已经存在" in text(again)
    assert db.session.scalar(select(func.count()).select_from(RenewalPlan)) == 1
    with pytest.raises(PlanError, match="已经存在"):
        plan_operations.create_plan(year=2026, actor_id=None)


def test_a_later_cutoff_may_be_set_but_not_one_before_the_opening(client, login_as):
    login_as("province")
    early = create_plan_page(client, 2026, expiry_cutoff="2026-03-27")
    assert early.status_code == 422 and "不能早于报名开始日期（2026年3月28日）" in text(early)
    assert create_plan_page(client, 2026, expiry_cutoff="2026-06-30").status_code == 302
    assert plan_of(2026).expiry_cutoff == date(2026, 6, 30)


@pytest.mark.parametrize("day, is_open", [
    (date(2026, 3, 27), False), (date(2026, 3, 28), True), (date(2026, 4, 27), True),
    (date(2026, 4, 28), False),
])
def test_the_window_is_open_from_28_march_through_the_close_date(
        client, login_as, on_day, day, is_open):
    login_as("province")
    create_plan_page(client, 2026)
    plan = plan_of(2026)
    plan_operations.publish(plan, actor_id=None)
    db.session.commit()
    assert plan.window_open(day) is is_open
    on_day(day)
    page = text(client.get(f"/renewals/plans/{plan.id}"))
    assert ("在报名期内" in page) is is_open
    assert ("报名中" in text(client.get("/renewals/plans/"))) is is_open


def test_2025s_sunday_working_day_is_still_in_the_window(app):
    plan = plan_operations.create_plan(year=2025, actor_id=None)
    plan_operations.publish(plan, actor_id=None)
    assert plan.window_open(date(2025, 4, 27)) and not plan.window_open(date(2025, 4, 28))


def test_an_unpublished_plan_is_not_open(app):
    plan = plan_operations.create_plan(year=2026, actor_id=None)
    assert not plan.window_open(date(2026, 4, 1))


def test_create_edit_publish_are_audited_and_publication_locks_all_but_the_cutoff(
        client, login_as):
    province = login_as("province")
    create_plan_page(client, 2026, title="2026年复核", notes="请按时申报")
    plan = plan_of(2026)
    edit = f"/renewals/plans/{plan.id}/edit"
    token = csrf_in(client.get(edit).get_data(as_text=True))
    response = client.post(edit, data={"csrf_token": token, "title": "2026年度复核换证",
                                       "expiry_cutoff": "2026-05-31", "notes": "说明"})
    assert response.status_code == 302
    plan = plan_of(2026)
    assert (plan.title, plan.expiry_cutoff, plan.notes) == ("2026年度复核换证", date(2026, 5, 31),
                                                           "说明")
    token = csrf_in(client.get(f"/renewals/plans/{plan.id}").get_data(as_text=True))
    assert client.post(f"/renewals/plans/{plan.id}/publish",
                       data={"csrf_token": token}).status_code == 302
    assert plan_of(2026).published_at is not None
    page = client.get(edit).get_data(as_text=True)
    assert 'name="title"' not in page and "只能调整证卡有效期截止日期" in page
    client.post(edit, data={"csrf_token": token, "title": "改名", "expiry_cutoff": "2026-06-30",
                            "notes": "改"})
    plan = plan_of(2026)
    assert (plan.title, plan.expiry_cutoff, plan.notes) == ("2026年度复核换证", date(2026, 6, 30),
                                                           "说明")
    assert [e.actor_id for e in events("renewal_plan.create")] == [province.id]
    assert len(events("renewal_plan.update")) == 2
    assert len(events("renewal_plan.publish")) == 1
    again = client.post(f"/renewals/plans/{plan.id}/publish", data={"csrf_token": token},
                        follow_redirects=True)
    assert "已经发布" in text(again) and len(events("renewal_plan.publish")) == 1


# --- the daily job -------------------------------------------------------------------------------

def test_the_daily_job_creates_and_publishes_the_plan_from_28_march_once(app):
    [(job, summary, ok)] = [r for r in run_daily(date(2026, 3, 27)) if r[0].name == "renewals.plan"]
    assert ok and "未到" in summary and plan_of(2026) is None
    [(_, summary, ok)] = [r for r in run_daily(date(2026, 3, 28)) if r[0].name == "renewals.plan"]
    assert ok and "已自动创建并发布" in summary, summary
    plan = plan_of(2026)
    assert plan.auto_created and plan.created_by_id is None and plan.published_at is not None
    assert (plan.opens_on, plan.closes_on) == (date(2026, 3, 28), date(2026, 4, 27))
    [(_, summary, ok)] = [r for r in run_daily(date(2026, 3, 29)) if r[0].name == "renewals.plan"]
    assert ok and "已存在" in summary
    assert db.session.scalar(select(func.count()).select_from(RenewalPlan)) == 1
    created, published = events("renewal_plan.create"), events("renewal_plan.publish")
    assert len(created) == 1 and len(published) == 1
    assert created[0].actor_id is None and created[0].after["auto_created"] is True


def test_the_daily_job_leaves_an_officers_plan_alone(app):
    plan_operations.create_plan(year=2026, actor_id=None, title="省中心自建")
    db.session.commit()
    assert "已存在（未发布" in ensure_plan(date(2026, 3, 28))
    plan = plan_of(2026)
    assert plan.title == "省中心自建" and plan.published_at is None and not plan.auto_created


def test_the_daily_job_does_not_create_a_plan_after_the_window(app):
    assert "不再自动创建" in ensure_plan(date(2026, 4, 28))
    assert plan_of(2026) is None


def test_the_daily_job_fails_with_the_chinese_message_on_an_unmaintained_calendar(app):
    assert "未到" in ensure_plan(date(UNMAINTAINED, 3, 27))
    [(job, summary, ok)] = [r for r in run_daily(date(UNMAINTAINED, 3, 28))
                            if r[0].name == "renewals.plan"]
    assert not ok and f"{UNMAINTAINED}年的工作日历尚未维护" in summary
    assert plan_of(UNMAINTAINED) is None


def test_the_job_command_creates_the_plan_and_a_second_run_is_harmless(app, on_day):
    on_day(date(2026, 3, 30))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "daily"])
    assert first.exit_code == 0, first.output
    assert "[完成] 复核换证计划：已自动创建并发布2026年度考评员复核换证计划" in first.output
    second = runner.invoke(args=["jobs", "daily"])
    assert second.exit_code == 0 and "2026年度复核换证计划已存在（已发布）" in second.output
    assert db.session.scalar(select(func.count()).select_from(RenewalPlan)) == 1


def test_the_job_command_reports_the_failure(app, on_day):
    on_day(date(UNMAINTAINED, 4, 1))
    result = app.test_cli_runner().invoke(args=["jobs", "daily"])
    assert result.exit_code == 1
    assert f"[失败] 复核换证计划：PlanError: 无法计算{UNMAINTAINED}年" in result.output


# --- scope ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["city", "unit", "applicant", "admin", "supervisor"])
def test_only_the_province_sees_or_changes_plans(client, login_as, role):
    plan = plan_operations.create_plan(year=2026, actor_id=None)
    db.session.commit()
    login_as(role)
    for path in ("/renewals/plans/", "/renewals/plans/new", f"/renewals/plans/{plan.id}",
                 f"/renewals/plans/{plan.id}/edit", f"/renewals/plans/{plan.id}/close"):
        assert client.get(path).status_code == 403, path
    token = csrf_in(client.get("/").get_data(as_text=True))
    assert client.post("/renewals/plans/new",
                       data={"csrf_token": token, "year": 2025}).status_code == 403
    assert client.post(f"/renewals/plans/{plan.id}/publish",
                       data={"csrf_token": token}).status_code == 403
    assert client.post(f"/renewals/plans/{plan.id}/close",
                       data={"csrf_token": token, "expected": 0, "confirm": "y"}
                       ).status_code == 403
    assert plan_of(2025) is None and plan_of(2026).published_at is None
    assert "复核换证计划" not in client.get("/").get_data(as_text=True).split("</nav>")[0]


def test_the_province_has_the_menu_entry(client, login_as):
    login_as("province")
    nav = client.get("/").get_data(as_text=True).split("</nav>")[0]
    assert 'href="/renewals/plans/"' in nav and "复核换证计划" in nav


def test_without_csrf_nothing_is_created(client, login_as):
    login_as("province")
    response = client.post("/renewals/plans/new", data={"year": 2026})
    assert response.status_code in (400, 422) and plan_of(2026) is None


# --- the plan page and closing ---------------------------------------------------------------------

CLOSE_DAY = date(2026, 5, 11)


def holder(name, seq, *, valid_until, city="成都市"):
    """A holder with one collected card whose validity ends on ``valid_until``."""
    person = create_person(name, city, seq=seq)
    card = create_card(person, issued_on=valid_until.replace(year=valid_until.year - 3),
                       number=f"川考评-{valid_until.year - 3}-{seq:06d}")
    return card


def renewal(plan, card, stage):
    unit = (db.session.scalar(select(Organisation).where(Organisation.name == "推荐单位"))
            or create_org("推荐单位"))
    person = card.person
    application = RenewalApplication(
        plan=plan, person=person, card=card, region=region("成都市"), unit=unit,
        name=person.name, gender=person.gender, id_number=person.id_number, stage=stage,
        submitted_at=None if stage == "draft" else utcnow())
    db.session.add(application)
    db.session.commit()
    return application


@pytest.fixture
def closing(app, on_day):
    """The 2026 plan, published, on 11 May 2026 (after its close date 27 April), with:
    not applied, a draft, returned to the holder, rejected, declined by the unit, withdrawn,
    one renewed (old card superseded), one revoked at re-review, one card valid beyond the
    cut-off and one still in province review."""
    plan = plan_operations.create_plan(year=2026, actor_id=None)
    plan_operations.publish(plan, actor_id=None)
    db.session.commit()
    cards = {}
    for seq, (key, stage) in enumerate([
        ("none", None), ("draft", "draft"), ("returned", "returned_by_reviewer"),
        ("rejected", "rejected"), ("declined", "unit_declined"), ("withdrawn", "withdrawn"),
        ("renewed", "renewed"), ("revoked", "revoked"), ("reviewing", "province_review"),
    ], start=31):
        card = holder(f"持证人{key}", seq, valid_until=date(2026, 4, 10))
        cards[key] = card
        if stage:
            renewal(plan, card, stage)
    renewed = cards["renewed"]
    new = create_card(renewed.person, issued_on=date(2026, 4, 20), number="川考评-2026-000999")
    renewed.superseded_on, renewed.superseded_by_id = date(2026, 4, 20), new.id
    cards["revoked"].revoked_on = date(2026, 4, 25)
    cards["revoked"].revoke_reason = "复核换证复审不合格"
    cards["later"] = holder("持证人later", 51, valid_until=date(2026, 9, 1))
    cards["other_city"] = holder("持证人绵阳", 52, valid_until=date(2026, 1, 15), city="绵阳市")
    db.session.commit()
    on_day(CLOSE_DAY)
    return plan, cards


def revoked_numbers() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Card.number).where(
        Card.revoke_reason == CLOSE_REVOKE_REASON)))


def test_the_plan_page_shows_window_cutoff_eligible_cards_and_stages(client, login_as, on_day):
    login_as("province")
    plan = plan_operations.create_plan(year=2026, actor_id=None,
                                       expiry_cutoff=date(2026, 6, 30))
    plan_operations.publish(plan, actor_id=None)
    db.session.commit()
    holder("甲", 31, valid_until=date(2026, 4, 1))
    holder("乙", 32, valid_until=date(2026, 6, 30))
    holder("丙", 33, valid_until=date(2026, 7, 1))  # beyond the cut-off
    renewal(plan, holder("丁", 34, valid_until=date(2026, 5, 1)), "unit_review")
    on_day(date(2026, 4, 2))
    page = text(client.get(f"/renewals/plans/{plan.id}"))
    assert "今天（2026年4月2日）在报名期内" in page
    assert "2026年6月30日" in page
    assert re.search(r"可复核证卡 3 张", page), page
    assert "待申报单位出具意见 1" in page and "合计 1" in page
    assert "报名截止日期（2026年4月27日）之后可在此核对名单" in page


def test_the_stage_links_lead_to_the_review_queue_when_it_exists(app, client, login_as, on_day):
    login_as("province")
    plan = plan_operations.create_plan(year=2026, actor_id=None)
    db.session.commit()
    renewal(plan, holder("丁", 34, valid_until=date(2026, 4, 1)), "initial_review")
    html = client.get(f"/renewals/plans/{plan.id}").get_data(as_text=True)
    if "renewals.queue" in app.view_functions:
        assert f"plan={plan.id}&amp;stage=initial_review" in html
    else:
        assert "stage=initial_review" not in html


def test_close_is_refused_before_the_close_date(client, login_as, on_day):
    login_as("province")
    plan = plan_operations.create_plan(year=2026, actor_id=None)
    plan_operations.publish(plan, actor_id=None)
    db.session.commit()
    holder("甲", 31, valid_until=date(2026, 4, 1))
    on_day(date(2026, 4, 27))
    page = text(client.get(f"/renewals/plans/{plan.id}/close"))
    assert "报名截止日期（2026年4月27日）之后才能结束复核换证" in page
    token = csrf_in(client.get(f"/renewals/plans/{plan.id}").get_data(as_text=True))
    response = client.post(f"/renewals/plans/{plan.id}/close",
                           data={"csrf_token": token, "expected": 1, "confirm": "y"})
    assert response.status_code == 409 and plan_of(2026).closed_at is None
    assert revoked_numbers() == set()


def test_close_is_refused_while_applications_are_in_review(client, login_as, closing):
    plan, cards = closing
    login_as("province")
    page = text(client.get(f"/renewals/plans/{plan.id}"))
    assert "还有 1 份申请在审核中" in page and "请先完成这些审核" in page
    assert cards["reviewing"].number in page and "待省职鉴中心复审" in page
    confirm = client.get(f"/renewals/plans/{plan.id}/close")
    assert "请先完成这些审核，再结束复核换证" in text(confirm)
    token = csrf_in(client.get(f"/renewals/plans/{plan.id}").get_data(as_text=True))
    response = client.post(f"/renewals/plans/{plan.id}/close",
                           data={"csrf_token": token, "expected": 8, "confirm": "y"})
    assert response.status_code == 409 and plan_of(2026).closed_at is None
    assert revoked_numbers() == set()


def test_the_plan_page_lists_the_not_completed_cards_with_the_reason(client, login_as, closing):
    plan, cards = closing
    login_as("province")
    html = client.get(f"/renewals/plans/{plan.id}").get_data(as_text=True)
    rows = {c.number: text_row for text_row in re.findall(r"<tr>.*?</tr>", html, re.S)
            for c in cards.values() if c.number in text_row}
    reasons = {key: re.sub(r"<[^>]+>", " ", rows[c.number]) if c.number in rows else None
               for key, c in cards.items()}
    assert "未申请" in reasons["none"] and "未申请" in reasons["other_city"]
    assert "申请未完成：草稿（未提交）" in reasons["draft"]
    assert "申请未完成：初审退回修改" in reasons["returned"]
    assert "初审不通过" in reasons["rejected"] and "申报单位不同意" in reasons["declined"]
    assert "已撤回" in reasons["withdrawn"]
    assert "申请未完成：待省职鉴中心复审" in reasons["reviewing"]
    for key in ("renewed", "revoked", "later"):
        assert reasons[key] is None, key
    person = cards["none"].person
    assert person.id_number not in html  # masked in the list
    assert person.id_number[:6] in html and person.id_number[-4:] in html


def test_closing_revokes_exactly_the_not_completed_cards_in_one_confirmed_step(
        client, login_as, closing):
    plan, cards = closing
    province = login_as("province")
    # the last review ends: the province rejects (the old card is revoked by that decision)
    reviewing = db.session.scalar(select(RenewalApplication).where(
        RenewalApplication.card_id == cards["reviewing"].id))
    reviewing.stage = RenewalStage.REVOKED.value
    cards["reviewing"].revoked_on, cards["reviewing"].revoke_reason = CLOSE_DAY, "复审不合格"
    db.session.commit()

    confirm = client.get(f"/renewals/plans/{plan.id}/close")
    page = text(confirm)
    assert confirm.status_code == 200
    assert "将注销 7 张证卡" in page and "注销日期 2026年5月11日" in page
    assert CLOSE_REVOKE_REASON in page
    token = csrf_in(confirm.get_data(as_text=True))
    unconfirmed = client.post(f"/renewals/plans/{plan.id}/close",
                              data={"csrf_token": token, "expected": 7})
    assert unconfirmed.status_code == 422 and "请勾选确认" in text(unconfirmed)
    assert plan_of(2026).closed_at is None

    response = client.post(f"/renewals/plans/{plan.id}/close",
                           data={"csrf_token": token, "expected": 7, "confirm": "y"},
                           follow_redirects=True)
    assert "注销未按规定参加复核换证人员的证卡 7 张" in text(response)
    expected = {cards[k].number for k in ("none", "draft", "returned", "rejected", "declined",
                                          "withdrawn", "other_city")}
    assert revoked_numbers() == expected
    assert set(db.session.scalars(select(Card.number).where(
        Card.revoked_on == CLOSE_DAY, Card.revoke_reason == CLOSE_REVOKE_REASON))) == expected
    # a renewed card and a card valid beyond the cut-off are untouched
    for key in ("renewed", "later"):
        card = db.session.get(Card, cards[key].id)
        assert card.revoked_on is None, key
    assert db.session.get(Card, cards["renewed"].id).status(CLOSE_DAY).value == "已换证"
    assert db.session.get(Card, cards["revoked"].id).revoke_reason == "复核换证复审不合格"
    plan = plan_of(2026)
    assert plan.closed_at is not None and plan.closed_by_id == province.id
    [event] = events("renewal_plan.close")
    assert event.actor_id == province.id and event.after["revoked"] == len(expected)
    assert len(events("card.revoke")) == len(expected)
    # closing twice is impossible, and a closed plan cannot be changed
    again = client.post(f"/renewals/plans/{plan.id}/close",
                        data={"csrf_token": token, "expected": 0, "confirm": "y"})
    assert again.status_code == 409 and "已于" in text(again)
    assert len(events("renewal_plan.close")) == 1
    edit = client.get(f"/renewals/plans/{plan.id}/edit", follow_redirects=True)
    assert "已经结束，不能再修改" in text(edit)


def test_a_list_that_changed_since_the_confirmation_is_not_closed(client, login_as, closing):
    plan, cards = closing
    login_as("province")
    reviewing = db.session.scalar(select(RenewalApplication).where(
        RenewalApplication.card_id == cards["reviewing"].id))
    reviewing.stage = RenewalStage.REJECTED.value
    db.session.commit()
    confirm = client.get(f"/renewals/plans/{plan.id}/close")
    assert "将注销 8 张证卡" in text(confirm)
    holder("后来者", 60, valid_until=date(2026, 2, 1))  # appears after the page was read
    response = client.post(f"/renewals/plans/{plan.id}/close",
                           data={"csrf_token": csrf_in(confirm.get_data(as_text=True)),
                                 "expected": 8, "confirm": "y"})
    assert response.status_code == 409
    page = text(response)
    assert "名单已变化" in page and "将注销 9 张证卡" in page
    assert plan_of(2026).closed_at is None and revoked_numbers() == set()


@pytest.mark.pure
@pytest.mark.parametrize("stage, label", [
    (None, "未申请"),
    ("draft", "申请未完成：草稿（未提交）"),
    ("returned_by_unit", "申请未完成：申报单位退回修改"),
    ("returned_by_reviewer", "申请未完成：初审退回修改"),
    ("unit_review", "申请未完成：待申报单位出具意见"),
    ("rejected", "初审不通过"),
    ("unit_declined", "申报单位不同意"),
    ("withdrawn", "已撤回"),
])
def test_why_a_card_is_on_the_close_list(stage, label):
    from portal.renewals.plan_queries import reason_label

    assert reason_label(stage) == label

"""An examiner's page: the profile (whole ID number only for those who review the person),
every card with its status and history, batches and final sheets with grades, refusals, the
quality line of renewal rules 1–2, the violations section; out of scope → 404."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from factories import (
    create_assignment,
    create_batch,
    create_card,
    create_org,
    create_person,
    create_user,
    default_org,
)
from sqlalchemy import select

from portal.cards.operations import issue_card
from portal.extensions import db
from portal.people.idcard import mask_id_number
from portal.registry import rules
from portal.renewals.rules import RefusalRecord, SheetRecord
from portal.sheets.models import EvaluationSheet
from portal.timeutil import local_today, utcnow


def page(client, person) -> str:
    response = client.get(f"/registry/people/{person.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def finalise(assignment, grade: str, score: str, when: datetime) -> EvaluationSheet:
    """Mark the assignment's sheet final with ``grade`` (test data; the sheets feature
    reaches this state through both raters' submissions)."""
    sheet = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.assignment_id == assignment.id)).one()
    sheet.final_score, sheet.grade, sheet.finalised_at = Decimal(score), grade, when
    db.session.commit()
    return sheet


# --- scope and masking ---------------------------------------------------------------------------

def test_out_of_scope_people_answer_404(client, login_as):
    mianyang = create_person("张绵阳", "绵阳市", seq=11)
    login_as("city")
    assert client.get(f"/registry/people/{mianyang.id}").status_code == 404
    assert client.get(f"/registry/people/{mianyang.id}/edit").status_code == 404
    assert client.get("/registry/people/999999").status_code == 404


def test_a_unit_sees_its_own_people_masked_and_no_one_else(client, login_as):
    unit = login_as("unit")
    ours = create_person("李本单位", org=unit.organisation, seq=21)
    theirs = create_person("李别单位", org=create_org("别的单位"), seq=22)
    html = page(client, ours)
    assert mask_id_number(ours.id_number) in html and ours.id_number not in html
    assert "更正资料" not in html
    assert client.get(f"/registry/people/{theirs.id}").status_code == 404
    assert client.get(f"/registry/people/{ours.id}/edit").status_code == 403


@pytest.mark.parametrize("role", ["province", "city"])
def test_reviewers_see_the_whole_id_number(client, login_as, role):
    person = create_person("王成都", seq=31)
    login_as(role)
    html = page(client, person)
    assert person.id_number in html
    assert "更正资料" in html


def test_who_sees_a_whole_number_and_who_corrects_a_profile():
    def user(*roles, region_id=None, person_id=None):
        return type("U", (), {"region_id": region_id, "person_id": person_id,
                              "has_role": lambda self, *r: bool(set(r) & set(roles))})()

    person = type("P", (), {"id": 7, "region_id": 2})()
    assert rules.sees_full_id(user("province"), person)
    assert rules.sees_full_id(user("city", region_id=2), person)
    assert not rules.sees_full_id(user("city", region_id=3), person)
    assert not rules.sees_full_id(user("unit"), person)
    assert rules.sees_full_id(user("applicant", person_id=7), person)
    assert not rules.can_edit_profile(user("applicant", person_id=7), person)  # uses /me
    assert not rules.can_edit_profile(user("unit"), person)
    assert rules.can_edit_profile(user("city", region_id=2), person)


# --- cards ---------------------------------------------------------------------------------------

def test_every_card_with_its_status_and_history(client, login_as):
    from portal.catalogue.models import Occupation

    province = login_as("province")
    person = create_person("赵持证", seq=41)
    old = create_card(person, number="川考评-2021-000041", issued_on=date(2021, 3, 1))
    electrician = db.session.scalars(select(Occupation).where(Occupation.name == "电工")).one()
    issue_card(person, electrician, "高级考评员", local_today() - timedelta(days=2),
               origin="training", actor_id=province.id)
    db.session.commit()
    html = page(client, person)
    assert old.number in html and "已过期" in html
    assert "待领取" in html and "个工作日" in html
    assert "发放证卡" in html and province.display_name in html  # the issue, in the history
    assert "没有记录（系统上线前的数据）" in html  # the old card came without events


# --- work, sheets, refusals and the quality line --------------------------------------------------

@pytest.fixture
def examiner_with_work():
    """An examiner of 成都 with 4 final sheets in the last year (2 差), one old 差 sheet,
    3 unjustified refusals, 1 justified and 1 not yet judged."""
    person = create_person("钱考评", seq=51)
    card = create_card(person, number="川考评-2025-000051", issued_on=date(2024, 3, 4))
    now = utcnow()
    other = create_org("绵阳科技评价中心", "绵阳市")
    grades = [("差", "56.5"), ("差", "55.0"), ("良", "80.0"), ("优", "90.5")]
    for n, (grade, score) in enumerate(grades):
        batch = create_batch(default_org() if n else other, days=(date(2024, 6, 10 + n),))
        finalise(create_assignment(batch, card, answer="accepted"), grade, score,
                 now - timedelta(days=30 * (n + 1)))
    old = create_batch(default_org(), days=(date(2023, 6, 1),))
    finalise(create_assignment(old, card, answer="accepted"), "差", "50.0",
             now - timedelta(days=400))
    for n, justified in enumerate([False, False, False, True, None]):
        batch = create_batch(default_org(), days=(date(2025, 1, 10 + n),))
        create_assignment(batch, card, answer="refused", reason="家中有事",
                          reason_justified=justified, answered_at=now - timedelta(days=10 + n))
    return person


def test_work_and_sheets_with_grades_and_links(client, login_as, examiner_with_work):
    login_as("city")
    html = page(client, examiner_with_work)
    assert html.count("最终得分") == 5
    assert "56.5" in html and "90.5" in html
    assert "绵阳科技评价中心" in html  # the whole work history is listed
    chengdu_sheets = db.session.scalars(select(EvaluationSheet).where(
        EvaluationSheet.person_id == examiner_with_work.id)).all()
    linked = [s for s in chengdu_sheets if f'/sheets/{s.id}"' in html]
    assert len(linked) == 4  # the Mianyang batch's sheet is not the city's to open


def test_refusals_with_their_judgement(client, login_as, examiner_with_work):
    login_as("province")
    html = page(client, examiner_with_work).split('id="refusals"')[1].split("</section>")[0]
    assert html.count("家中有事") == 5
    assert html.count("无正当理由") == 3 and "理由正当" in html and "待认定" in html


def test_quality_line_matches_renewal_rules_1_and_2(client, login_as, examiner_with_work):
    login_as("province")
    html = page(client, examiner_with_work).split('id="quality"')[1].split("</section>")[0]
    assert "<dd>4</dd>" in html  # final sheets in the last 12 months (the 400-day-old is out)
    assert "2 <small>（50.0%）</small>" in html
    assert "3 次" in html and "拒绝调配待认定" in html
    assert "不符合复核换证条件第1项" in html and "不符合复核换证条件第2项" in html


def test_an_examiner_without_work_has_a_clean_quality_line(client, login_as):
    person = create_person("孙新人", seq=61)
    login_as("province")
    html = page(client, person)
    assert "未达到" in html and "不符合复核换证条件" not in html
    assert "尚未被指派参加考评" in html and "没有拒绝调配的记录" in html


def test_violations_section_says_plainly_that_none_are_recorded(client, login_as):
    person = create_person("周无违规", seq=71)
    login_as("province")
    html = page(client, person).split('id="violations"')[1]
    assert "暂无违规记录" in html and "尚未开通" not in html


@pytest.mark.parametrize("poor,total,flag", [(3, 10, True), (2, 7, False), (0, 0, False),
                                             (1, 3, True)])
def test_quality_line_rule_1_uses_the_renewal_comparison(poor, total, flag):
    today = date(2026, 3, 28)
    sheets = [SheetRecord(i, today - timedelta(days=i), "差" if i < poor else "良")
              for i in range(total)]
    line = rules.quality_line(sheets, [], today=today)
    assert (line.sheets, line.poor, line.rule1) == (total, poor, flag)
    assert any(f.rule == 1 for f in line.findings) is flag


def test_quality_line_window_is_the_renewal_term_window():
    today = date(2026, 3, 28)
    sheets = [SheetRecord(1, date(2025, 3, 28), "差"), SheetRecord(2, date(2025, 3, 27), "差"),
              SheetRecord(3, today, "良")]
    refusals = [RefusalRecord(n, date(2025, 3, 28) + timedelta(days=n), False) for n in range(3)]
    line = rules.quality_line(sheets, refusals, pending_refusals=[today], today=today)
    assert line.window == (date(2025, 3, 28), today)
    assert (line.sheets, line.poor, line.poor_share) == (2, 1, Decimal("50.0"))
    assert line.unjustified == 3 and line.rule2 and line.pending_judgement == 1


def test_the_page_links_the_card_page_when_there_is_one(client, login_as):
    person = create_person("吴链接", seq=81)
    card = create_card(person, number="川考评-2025-000081")
    login_as("city")
    html = page(client, person)
    assert f'href="/cards/{card.id}"' in html


def test_site_leads_of_a_batch_do_not_get_the_registry(client, login_as):
    person = create_person("郑某", seq=91)
    create_user("lead2", ["site_lead"], org=default_org())
    login_as("site_lead")
    assert client.get(f"/registry/people/{person.id}").status_code == 403

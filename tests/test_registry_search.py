"""The registry search: scoped (a Chengdu officer never finds a Mianyang examiner, by any
field; a unit only its own people), masked, filtered, sorted and paginated; a partial for htmx
and the whole page without JavaScript; the status filter agrees with ``card_status``."""

import re
from datetime import date, timedelta

import pytest
from factories import create_card, create_org, create_person, default_org, occupation
from sqlalchemy import select

from portal.cards.models import Card
from portal.cards.rules import CardStatus
from portal.extensions import db
from portal.people.idcard import mask_id_number
from portal.registry import queries
from portal.registry.rules import NO_CARD, Filters
from portal.timeutil import local_today

HX = {"HX-Request": "true"}


def names(html: str) -> list[str]:
    """The names in the result rows, in order."""
    body = html.split('id="registry-results"', 1)[1]
    return re.findall(r'href="/registry/people/\d+">([^<]+)</a>', body)


def search(client, **args) -> str:
    response = client.get("/registry/", query_string=args, headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def two_cities():
    """张成都 (成都市, with a card) and 张绵阳 (绵阳市, with a card of another occupation)."""
    chengdu = create_person("张成都", "成都市", seq=11, mobile="13800000011")
    mianyang = create_person("张绵阳", "绵阳市", seq=12, mobile="13800000012")
    create_card(chengdu, number="川考评-2025-000011")
    create_card(mianyang, number="川考评-2025-000012", occupation_name="焊工")
    return chengdu, mianyang


# --- scope ---------------------------------------------------------------------------------------

def test_province_finds_everyone_by_name_prefix(client, login_as, two_cities):
    login_as("province")
    assert sorted(names(search(client, name="张"))) == ["张成都", "张绵阳"]
    assert names(search(client, name="张绵")) == ["张绵阳"]
    assert names(search(client, name="成都")) == []  # a prefix, not "contains"


@pytest.mark.parametrize("field", ["name", "id_number", "card", "occupation", "region", "status"])
def test_chengdu_officer_never_finds_a_mianyang_examiner(client, login_as, two_cities, field):
    _, mianyang = two_cities
    login_as("city")
    card = db.session.scalars(select(Card).where(Card.person_id == mianyang.id)).one()
    value = {
        "name": "张绵阳", "id_number": mianyang.id_number, "card": card.number,
        "occupation": str(card.occupation_id), "region": str(mianyang.region_id),
        "status": CardStatus.VALID.value,
    }[field]
    html = search(client, **{field: value})
    assert "张绵阳" not in html
    assert mianyang.id_number[:6] + "********" not in html
    assert names(search(client)) == ["张成都"]


def test_a_unit_sees_only_its_own_people(client, login_as):
    unit = login_as("unit")
    other = create_org("成都另一评价中心", "成都市")
    ours = create_person("李本单位", org=unit.organisation, seq=21)
    create_person("李别单位", org=other, seq=22)
    create_person("李无单位", seq=23)
    assert names(search(client, name="李")) == ["李本单位"]
    assert names(search(client)) == [ours.name]


def test_a_unit_may_look_up_a_whole_id_number_but_not_a_prefix(client, login_as):
    unit = login_as("unit")
    ours = create_person("王本单位", org=unit.organisation, seq=31)
    assert names(search(client, id_number=ours.id_number)) == ["王本单位"]
    html = search(client, id_number=ours.id_number[:10])
    assert "请填写完整的18位身份证号码" in html
    assert names(html) == ["王本单位"]  # the prefix is ignored, not applied


def test_officers_search_by_id_prefix_and_full_width_input(client, login_as, two_cities):
    chengdu, _ = two_cities
    login_as("province")
    assert sorted(names(search(client, id_number=chengdu.id_number[:6]))) == ["张成都"]
    full_width = chengdu.id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert names(search(client, id_number=" " + full_width)) == ["张成都"]
    assert "至少输入前 4 位" in search(client, id_number="51")


@pytest.mark.parametrize("role", ["admin", "supervisor", "site_lead", "applicant"])
def test_the_registry_is_for_officers_only(client, login_as, role):
    login_as(role)
    assert client.get("/registry/").status_code == 403
    assert client.get("/registry/export.xlsx").status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/registry/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- what a row shows ----------------------------------------------------------------------------

def test_rows_show_masked_id_numbers_for_every_role(client, login_as, two_cities):
    chengdu, mianyang = two_cities
    login_as("province")
    html = search(client)
    for person in (chengdu, mianyang):
        assert person.id_number not in html
        assert mask_id_number(person.id_number) in html


def test_a_person_without_a_card_has_a_row_and_a_filter(client, login_as, two_cities):
    create_person("赵无证", seq=41)
    login_as("province")
    html = search(client, name="赵")
    assert names(html) == ["赵无证"] and NO_CARD in html
    assert names(search(client, status=NO_CARD)) == ["赵无证"]
    assert "赵无证" not in search(client, status=CardStatus.VALID.value)


def test_a_person_with_two_cards_has_two_rows(client, login_as):
    person = create_person("钱两证", seq=51)
    create_card(person, number="川考评-2022-000051", issued_on=date(2022, 3, 1))
    create_card(person, number="川考评-2025-000051", issued_on=date(2025, 3, 2),
                occupation_name="焊工")
    login_as("province")
    html = search(client, name="钱")
    assert names(html) == ["钱两证", "钱两证"]
    assert "川考评-2022-000051" in html and "川考评-2025-000051" in html
    assert names(search(client, occupation=str(occupation("焊工").id))) == ["钱两证"]


def test_card_number_search_with_or_without_the_prefix(client, login_as, two_cities):
    login_as("province")
    assert names(search(client, card="川考评-2025-000011")) == ["张成都"]
    assert names(search(client, card="2025-00001")) == ["张成都", "张绵阳"]
    assert names(search(client, card="川考评-2024")) == []


def test_level_city_and_unit_filters(client, login_as):
    org = default_org()
    senior = create_person("孙高级", seq=61, org=org)
    create_card(senior, number="川考评-2025-000061", level="高级考评员")
    plain = create_person("孙普通", "绵阳市", seq=62)
    create_card(plain, number="川考评-2025-000062")
    login_as("province")
    assert names(search(client, level="高级考评员")) == ["孙高级"]
    assert names(search(client, region=str(plain.region_id))) == ["孙普通"]
    assert names(search(client, organisation=str(org.id))) == ["孙高级"]


# --- statuses, the quick filters, and the days left to collect ----------------------------------

def _card(person, number, issued, **dates):
    card = create_card(person, number=number, issued_on=issued, collected=False)
    for key, value in dates.items():
        setattr(card, key, value)
    db.session.commit()
    return card


def test_status_filter_matches_card_status_on_every_boundary():
    """Every status, with cards on both sides of each date boundary: the registry filter
    (status_expr plus its index range) selects exactly the cards ``card_status`` gives."""
    today = date(2026, 6, 1)
    person = create_person("周边界", seq=71)
    soon = today + timedelta(days=90)
    made = []
    for n, (issued, dates) in enumerate([
        (date(2023, 6, 1), {"collected_on": date(2023, 6, 5)}),               # valid until today
        (date(2023, 5, 31), {"collected_on": date(2023, 6, 5)}),              # expired yesterday
        (soon.replace(year=soon.year - 3), {"collected_on": date(2023, 9, 1)}),  # expires in 90
        (date(2023, 9, 1), {"collected_on": date(2023, 9, 9)}),               # expires in 92
        (date(2026, 5, 20), {}),                                               # pending
        (date(2026, 5, 20), {"collected_on": date(2026, 6, 2)}),              # collected tomorrow
        (date(2026, 1, 5), {"voided_on": date(2026, 4, 1)}),                  # voided
        (date(2026, 1, 5), {"voided_on": date(2026, 6, 2)}),                  # voided tomorrow
        (date(2025, 1, 5), {"collected_on": date(2025, 1, 9), "revoked_on": today,
                            "revoke_reason": "弄虚作假"}),                     # revoked today
        (date(2025, 1, 5), {"collected_on": date(2025, 1, 9), "revoked_on": date(2026, 6, 2),
                            "revoke_reason": "弄虚作假"}),                     # revoked tomorrow
        (date(2022, 1, 5), {"voided_on": date(2022, 4, 9)}),                  # voided, expired
        (date(2023, 6, 1), {"collected_on": date(2023, 6, 5),
                            "superseded_on": today}),                          # renewed today
        (date(2023, 6, 1), {"collected_on": date(2023, 6, 5),
                            "superseded_on": date(2026, 6, 2)}),               # renewed tomorrow
        (date(2022, 1, 5), {"collected_on": date(2022, 1, 9),
                            "superseded_on": date(2025, 1, 5)}),               # renewed, expired
    ]):
        made.append(_card(person, f"川考评-2020-{n + 1:06d}", issued, **dates))
    from portal.auth.models import User

    province = User(username="p", display_name="p")
    province.set_roles({"province"})
    for status in CardStatus:
        rows = queries.search(province, Filters(status=status.value), today, per_page=100).items
        expected = {c.id for c in made if c.status(today) is status}
        assert {r.card_id for r in rows} == expected, status
        assert all(r.status == status.value for r in rows)
    db.session.rollback()


def test_pending_cards_show_working_days_left_and_provisional_deadlines(client, login_as):
    person = create_person("吴待领", seq=81)
    today = local_today()
    card = _card(person, "川考评-2026-000081", today - timedelta(days=1))
    login_as("province")
    html = search(client, status=CardStatus.PENDING_COLLECTION.value)
    assert names(html) == ["吴待领"]
    assert "截止 " in html and "个工作日" in html
    if card.deadline_provisional:
        assert "（预计）" in html


def test_pending_days_left_are_counted_with_the_working_day_calendar(app):
    """2026-04-27 is 20 working days after 2026-03-28 (DESIGN.md); on 2026-03-28 a card with
    that deadline has 20 working days left."""
    rows = [type("Row", (), {"status": CardStatus.PENDING_COLLECTION.value, "card_id": 1,
                             "collection_deadline": date(2026, 4, 27),
                             "deadline_provisional": False})()]
    days = queries.collection_days(rows, date(2026, 3, 28))
    assert days[1].left == 20 and not days[1].overdue and not days[1].provisional


def test_quick_filter_chips_are_offered(client, login_as):
    login_as("city")
    html = client.get("/registry/").get_data(as_text=True)
    for label in ("即将到期（90天内）", "待领取", "已作废"):
        assert label in html


# --- sort, pages, page and partial ---------------------------------------------------------------

def test_sort_by_name_and_by_card_number_both_ways(client, login_as):
    for seq, (name, number) in enumerate([("乙", "川考评-2025-000003"), ("甲", "川考评-2025-000001"),
                                          ("丙", "川考评-2025-000002")], start=90):
        create_card(create_person(name, seq=seq), number=number)
    login_as("province")
    assert names(search(client)) == sorted(["乙", "甲", "丙"])
    assert names(search(client, sort="-name")) == sorted(["乙", "甲", "丙"], reverse=True)
    assert names(search(client, sort="card")) == ["甲", "丙", "乙"]
    assert names(search(client, sort="-card")) == ["乙", "丙", "甲"]
    html = search(client, sort="card")
    assert 'aria-sort="ascending"' in html and "sort=-card" in html


def test_pages_of_thirty(client, login_as):
    for seq in range(35):
        create_person(f"冯{seq:02d}", seq=100 + seq)
    login_as("province")
    first = search(client)
    assert len(names(first)) == 30 and "第 1 / 2 页，共 35 条" in first
    second = search(client, page=2)
    assert names(second) == [f"冯{n:02d}" for n in range(30, 35)]
    assert "page=1" in second  # the link back keeps working


def test_htmx_gets_the_results_alone_and_a_browser_the_whole_page(client, login_as, two_cities):
    login_as("province")
    partial = search(client, name="张")
    assert partial.lstrip().startswith("<div id=\"registry-results\"")
    assert "<html" not in partial
    page = client.get("/registry/?name=张&status=有效").get_data(as_text=True)
    assert "<html" in page and 'id="registry-filters"' in page
    assert 'value="张"' in page  # the filters stay in the form
    assert re.search(r'value="有效" class="status-chip" checked', page)
    response = client.get("/registry/", headers=HX)
    assert "HX-Request" in response.headers.get("Vary", "")


def test_the_search_box_triggers_as_you_type(client, login_as):
    login_as("province")
    html = client.get("/registry/").get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert 'hx-push-url="true"' in html


def test_home_page_counts_lead_to_the_registry(client, login_as, two_cities):
    login_as("city")
    html = client.get("/").get_data(as_text=True)
    assert '/registry/?status=%E6%9C%89%E6%95%88' in html  # 有效


@pytest.mark.parametrize("status", [CardStatus.PENDING_COLLECTION.value, CardStatus.EXPIRING.value])
def test_city_status_searches_stay_in_the_city(client, login_as, status):
    """The narrow statuses take the card index first (a planner hint on SQLite); the scope
    must hold all the same."""
    today = local_today()
    for seq, (name, city) in enumerate([("冯成都", "成都市"), ("冯绵阳", "绵阳市")], start=140):
        person = create_person(name, city, seq=seq)
        if status == CardStatus.PENDING_COLLECTION.value:
            _card(person, f"川考评-2026-{seq:06d}", today - timedelta(days=1))
        else:
            create_card(person, number=f"川考评-2023-{seq:06d}",
                        issued_on=today.replace(year=today.year - 3) + timedelta(days=30))
    login_as("city")
    assert names(search(client, status=status)) == ["冯成都"]
    assert names(search(client, status=status, card="川考评-20")) == ["冯成都"]

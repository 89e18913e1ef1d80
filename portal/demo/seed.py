"""Seed an empty database with demo accounts (password Demo@2026) and a few hundred
examiners whose cards cover every status, relative to the day the seed runs."""

import random
from datetime import date, timedelta

from sqlalchemy import select

from portal.audit.operations import record
from portal.auth.models import User
from portal.cards.models import Card
from portal.cards.numbering import format_card_number
from portal.cards.rules import COLLECTION_WORKDAYS, valid_until
from portal.catalogue.models import Occupation, Region
from portal.demo.batches import seed_batches
from portal.demo.qualification import seed_qualification
from portal.demo.reference import CITIES, OCCUPATIONS, PROVINCE
from portal.demo.renewal import seed_renewal
from portal.extensions import db
from portal.orgs.models import Organisation, OrgType
from portal.people.idcard import make_id_number
from portal.people.models import EDUCATION_CHOICES, Person
from portal.timeutil import local_today
from portal.workdays import deadline_after_workdays

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - documented demo credential

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑谢唐冯邓曾彭肖蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志鹏宇浩凯晨思雨欣怡婷琳博文斌俊峰海燕雪梅丹蓉川蜀锦渝瑶珺昇彧赟堃"

ORGS = [
    # name, type, city, provincial_direct, quota
    ("成都天府职业技能评价中心", OrgType.INSTITUTION, "成都市", False, 30),
    ("四川省交通运输职业技能评价中心", OrgType.INSTITUTION, "成都市", True, 25),
    ("成都市第一职业技能鉴定所", OrgType.STATION, "成都市", False, 20),
    ("成都锦城电力工程有限公司", OrgType.EMPLOYER, "成都市", False, 8),
    ("四川天府烹饪职业技术学校", OrgType.SCHOOL, "成都市", False, 10),
    ("绵阳科技城职业技能评价中心", OrgType.INSTITUTION, "绵阳市", False, 15),
    ("绵阳涪城机械制造有限公司", OrgType.EMPLOYER, "绵阳市", False, 6),
    ("德阳重装职业技能评价中心", OrgType.INSTITUTION, "德阳市", False, 12),
    ("宜宾三江职业技能鉴定所", OrgType.STATION, "宜宾市", False, 8),
    ("南充嘉陵职业技能评价中心", OrgType.INSTITUTION, "南充市", False, 10),
    ("乐山嘉州家政服务职业培训学校", OrgType.SCHOOL, "乐山市", False, 5),
    ("泸州酒城职业技能评价中心", OrgType.INSTITUTION, "泸州市", False, 8),
    ("凉山州民族职业技能鉴定所", OrgType.STATION, "凉山彝族自治州", False, 5),
]

# Share of examiners per city: Chengdu largest, every city represented.
CITY_WEIGHTS = {"成都市": 30, "绵阳市": 8, "德阳市": 6, "宜宾市": 5, "南充市": 5, "泸州市": 5}


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9))


def ensure_reference_data() -> tuple[list[Region], list[Occupation]]:
    """Add Sichuan's regions and the starter occupations that are missing; return them all
    (province first, then the cities in official order; occupations by code)."""
    have_regions = {r.code: r for r in db.session.scalars(select(Region))}
    wanted = [(PROVINCE[0], PROVINCE[1], True)] + [(c, n, False) for c, n in CITIES]
    for order, (code, name, is_province) in enumerate(wanted):
        if code not in have_regions:
            have_regions[code] = Region(code=code, name=name, is_province=is_province,
                                        sort_order=order)
            db.session.add(have_regions[code])
    have_occupations = {o.code: o for o in db.session.scalars(select(Occupation))}
    for code, name in OCCUPATIONS:
        if code not in have_occupations:
            have_occupations[code] = Occupation(code=code, name=name)
            db.session.add(have_occupations[code])
    db.session.flush()
    regions = [have_regions[code] for code, _, _ in wanted]
    return regions, [have_occupations[code] for code, _ in OCCUPATIONS]


def seed_demo(examiners: int = 360, seed: int = 2026) -> dict[str, int]:
    """Create the demo data in one transaction and return counts of what was made."""
    rng = random.Random(seed)
    today = local_today()

    regions, occupations = ensure_reference_data()
    by_name = {r.name: r for r in regions}

    orgs = [
        Organisation(
            name=name, org_type=kind.value, region=by_name[city], provincial_direct=direct,
            training_quota=quota, contact_phone=f"028-{rng.randint(80000000, 89999999)}",
        )
        for name, kind, city, direct, quota in ORGS
    ]
    db.session.add_all(orgs)
    org_by_name = {o.name: o for o in orgs}
    db.session.flush()

    seq_by_year: dict[int, int] = {}
    people, cards = _examiners(rng, today, examiners, regions[1:], orgs, occupations, seq_by_year)
    applicant = _applicant_person(
        rng, today, by_name["成都市"], org_by_name, occupations, cards, seq_by_year
    )
    people.append(applicant)

    users = [
        _user("admin", "系统管理员", {"admin"}),
        _user("sheng", "省职鉴中心 刘审核", {"province"}),
        _user("chengdu", "成都市职鉴中心 张经办", {"city"}, region=by_name["成都市"]),
        _user("mianyang", "绵阳市职鉴中心 李经办", {"city"}, region=by_name["绵阳市"]),
        _user("jigou", "天府评价中心 王经办", {"unit", "site_lead"},
              org=org_by_name["成都天府职业技能评价中心"]),
        _user("shengzhi", "省交通评价中心 赵经办", {"unit"},
              org=org_by_name["四川省交通运输职业技能评价中心"]),
        _user("dudao", "质量督导员 陈督导", {"supervisor"}),
        _user("shenbao", applicant.name, {"applicant"}, person=applicant),
        _user("kaochang_my", "绵阳科技城评价中心 考场负责人", {"site_lead"},
              org=org_by_name["绵阳科技城职业技能评价中心"]),
    ]
    db.session.add_all(users)
    db.session.flush()
    sheets = seed_batches(rng, today, orgs, occupations, users)
    applications = seed_qualification(rng, today, orgs, occupations, regions, users, people)
    renewals = seed_renewal(rng, today, users)
    counts = {
        "regions": len(regions), "occupations": len(occupations), "organisations": len(orgs),
        "users": len(users), "people": len(people), "cards": len(cards),
        "sheets": sheets, "applications": applications, "renewals": renewals,
    }
    record("demo.seed", None, entity_type="system", entity_id="demo", after=counts)
    db.session.commit()
    return counts


def _user(username, display, roles, *, region=None, org=None, person=None) -> User:
    user = User(username=username, display_name=display, region=region, organisation=org)
    if person is not None:
        user.person_id = person.id
    user.set_password(DEMO_PASSWORD, temporary=False)
    user.set_roles(roles)
    return user


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def _person(rng, region, orgs_in_region, seq: int) -> Person:
    birth = date(rng.randint(1966, 1992), rng.randint(1, 12), rng.randint(1, 28))
    id_number = make_id_number(region.code[:4] + f"{rng.choice((2, 3, 4, 5, 6, 7)):02d}",
                               birth, seq % 1000)
    org = rng.choice(orgs_in_region) if orgs_in_region and rng.random() < 0.7 else None
    gender = "男" if int(id_number[16]) % 2 else "女"
    return Person(
        name=_name(rng), gender=gender, education=rng.choice(EDUCATION_CHOICES[1:5]),
        id_number=id_number, employer=org.name if org else f"{region.name}某企业",
        organisation=org, title=rng.choice(("", "工程师", "高级工程师", "技师", "高级技师")),
        position=rng.choice(("", "车间主任", "培训教师", "技术员", "部门经理")),
        address=f"{region.name}{rng.choice('东南西北')}大街{rng.randint(1, 300)}号",
        mobile=_mobile(rng), region=region, years_worked=rng.randint(5, 35),
        retired=rng.random() < 0.03,
    )


# (status wanted, weight): spread the cards over every status a registry shows.
_STATUS_MIX = [("valid", 45), ("expiring", 12), ("expired", 18), ("uncollected", 12),
               ("voided", 6), ("revoked", 3), ("renewed", 4)]


def _issue_date(rng, today: date, wanted: str) -> date:
    if wanted == "valid":
        return today - timedelta(days=rng.randint(150, 3 * 365 - 120))
    if wanted == "expiring":
        return today - timedelta(days=3 * 365 - rng.randint(5, 85))
    if wanted == "expired":
        return today - timedelta(days=rng.randint(3 * 365 + 10, 5 * 365))
    if wanted == "uncollected":
        return today - timedelta(days=rng.randint(3, 60))
    if wanted == "voided":
        return today - timedelta(days=rng.randint(120, 700))
    return today - timedelta(days=rng.randint(200, 900))  # revoked / renewed


def _card(rng, person, occupation, level, issued: date, wanted: str, seq: int, today) -> Card:
    deadline, provisional = deadline_after_workdays(issued, COLLECTION_WORKDAYS)
    card = Card(
        number=format_card_number(issued.year, seq), person=person, occupation=occupation,
        level=level, issued_on=issued, valid_until=valid_until(issued),
        collection_deadline=deadline, deadline_provisional=provisional,
        origin=rng.choice(("training", "training", "renewal", "imported")),
    )
    if wanted == "voided":
        card.voided_on = deadline + timedelta(days=1)
    elif wanted != "uncollected":
        card.collected_on = min(issued + timedelta(days=rng.randint(3, 40)), today)
    if wanted == "revoked":
        card.revoked_on = issued + timedelta(days=rng.randint(120, 180))
        card.revoke_reason = "考评过程中弄虚作假，经查实取消考评资格"
    return card


def _examiners(rng, today, count, cities, orgs, occupations, seq_by_year):
    weights = [CITY_WEIGHTS.get(c.name, 2) for c in cities]
    orgs_by_region: dict[int, list] = {}
    for o in orgs:
        orgs_by_region.setdefault(o.region_id, []).append(o)
    people, cards = [], []
    statuses = [s for s, _ in _STATUS_MIX]
    status_weights = [w for _, w in _STATUS_MIX]
    for i in range(count):
        region = rng.choices(cities, weights)[0]
        person = _person(rng, region, orgs_by_region.get(region.id, []), i)
        people.append(person)
        occupation = rng.choice(occupations)
        level = "高级考评员" if rng.random() < 0.2 else "考评员"
        wanted = rng.choices(statuses, status_weights)[0]
        issued = _issue_date(rng, today, "expired" if wanted == "renewed" else wanted)
        seq_by_year[issued.year] = seq_by_year.get(issued.year, 0) + 1
        cards.append(_card(rng, person, occupation, level, issued,
                           "valid" if wanted == "renewed" else wanted,
                           seq_by_year[issued.year], today))
        if wanted == "renewed":  # an expired card followed by its renewal
            renewed = valid_until(issued) - timedelta(days=rng.randint(10, 60))
            renewed = min(renewed, today - timedelta(days=5))
            seq_by_year[renewed.year] = seq_by_year.get(renewed.year, 0) + 1
            card = _card(rng, person, occupation, level, renewed, "valid",
                         seq_by_year[renewed.year], today)
            card.origin = "renewal"
            cards[-1].superseded_on, cards[-1].superseded_by = renewed, card
            cards.append(card)
    db.session.add_all(people + cards)
    db.session.flush()
    return people, cards


def _applicant_person(rng, today, chengdu, org_by_name, occupations, cards, seq_by_year):
    """The demo applicant 申报人 (account ``shenbao``): a Chengdu electrician whose examiner
    card expires within 90 days, so renewal and new applications both have something to show."""
    org = org_by_name["成都锦城电力工程有限公司"]
    person = Person(
        name="周晓川", gender="男", education="本科",
        id_number=make_id_number("510104", date(1985, 6, 18), 123),
        employer=org.name, organisation=org, title="工程师", position="培训教师",
        address="成都市锦江区东大街100号", mobile="13980001234", region=chengdu,
        years_worked=16,
    )
    db.session.add(person)
    issued = today - timedelta(days=3 * 365 - 60)
    seq_by_year[issued.year] = seq_by_year.get(issued.year, 0) + 1
    card = _card(rng, person, occupations[0], "考评员", issued, "valid",
                 seq_by_year[issued.year], today)
    cards.append(card)
    db.session.add(card)
    db.session.flush()
    return person

"""Demo data of the qualification workflow (issue 6): last year's plan, closed, with one
unexcused absence that shows as a quota reduction; this year's plan, open for registration,
with applications waiting at each office — every move made through ``apply_action`` by the
demo users, so each has its timeline."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

from PIL import Image
from werkzeug.datastructures import FileStorage

from portal.applications.models import Application
from portal.applications.operations import apply_action
from portal.applications.rules import Action, Stage
from portal.auth.models import User
from portal.catalogue.models import Occupation, Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.timeutil import utcnow
from portal.training import operations as plan_ops
from portal.uploads import service

PLAN_OCCUPATIONS = ("电工", "焊工", "中式烹调师", "育婴员", "保育师")


def _material(label: str, rng: random.Random) -> int:
    """A stored PNG standing in for a scanned document."""
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (rng.randint(180, 250),) * 3).save(out, "PNG")
    return service.store(FileStorage(io.BytesIO(out.getvalue()), filename=f"{label}.png")).id


def _application(plan, person, unit, region, occupation, rng, *, level="考评员"):
    upload = _material(f"{person.name}-材料", rng)
    app_ = Application(plan=plan, person=person, level=level, occupation=occupation,
                       region=region, unit=unit, qualification_level=3,
                       qualification_text=f"{occupation.name}三级/高级工",
                       work_summary=f"从事{occupation.name}技能培训与鉴定工作多年，熟悉考评流程。",
                       id_copy_id=upload, certificate_copy_id=upload, photo_id=upload,
                       signed_form_id=upload)
    db.session.add(app_)
    db.session.flush()
    return app_


def _applicant_account(username: str, person: Person) -> User:
    """A demo applicant's own account (password Demo@2026), as every applicant has one."""
    from portal.demo.seed import DEMO_PASSWORD

    user = User(username=username, display_name=person.name, person_id=person.id)
    user.set_password(DEMO_PASSWORD, temporary=False)
    user.set_roles({"applicant"})
    db.session.add(user)
    db.session.flush()
    return user


def _walk(app_, moves, users, today):
    """Make ``moves`` as the users would: a recommendation through the quota check and with
    the opinion Attachment 1 prints, every other move through ``apply_action``."""
    from portal.applications.review import recommend

    for action, who, comment in moves:
        if action is Action.RECOMMEND:
            recommend(app_, user=users[who], opinion=comment, today=today)
        else:
            apply_action(app_, action, user=users[who], comment=comment, today=today)


def seed_qualification(rng: random.Random, today: date, orgs: list[Organisation],
                       occupations: list[Occupation], regions: list[Region],
                       users: list[User], people: list[Person]) -> int:
    """Create the demo plans and applications; returns the number of applications."""
    by_org = {o.name: o for o in orgs}
    by_occ = {o.name: o for o in occupations}
    by_region = {r.name: r for r in regions}
    u = {x.username: x for x in users}
    province = u["sheng"]

    last = plan_ops.create_plan(
        year=today.year - 1, title=f"{today.year - 1}年度考评员资格培训",
        levels=["考评员", "高级考评员"], occupation_ids=[by_occ[n].id for n in PLAN_OCCUPATIONS],
        opens_on=date(today.year - 1, 3, 1), closes_on=date(today.year - 1, 3, 31),
        mode="central", places=200, notes="", actor_id=province.id)
    plan_ops.publish(last, actor_id=province.id)
    # Last year: a 成都锦城电力 applicant approved but absent without a special reason.
    chengdu_people = [p for p in people if p.region.name == "成都市" and p.name != "周晓川"]
    absent = _application(last, chengdu_people[0], by_org["成都锦城电力工程有限公司"],
                          by_region["成都市"], by_occ["电工"], rng)
    absent.stage, absent.absence_excused = Stage.ABSENT.value, False
    db.session.flush()

    current = plan_ops.create_plan(
        year=today.year, title=f"{today.year}年度考评员资格培训（第二期）",
        levels=["考评员", "高级考评员"], occupation_ids=[by_occ[n].id for n in PLAN_OCCUPATIONS],
        opens_on=today - timedelta(days=20), closes_on=today + timedelta(days=25),
        mode="regional", places=300, notes="报名截止前可按审核意见修改后重新提交。",
        actor_id=province.id)
    plan_ops.publish(current, actor_id=province.id)

    tianfu = by_org["成都天府职业技能评价中心"]
    direct = by_org["四川省交通运输职业技能评价中心"]
    chengdu = by_region["成都市"]
    made = 1
    # Waiting for the unit (jigou), for the city (chengdu), returned, and a 四川省 one.
    stages = [
        ("unit", [(Action.SUBMIT, "self", "")]),
        ("city", [(Action.SUBMIT, "self", ""), (Action.RECOMMEND, "jigou", "同意推荐")]),
        ("returned", [(Action.SUBMIT, "self", ""), (Action.RECOMMEND, "jigou", "同意推荐"),
                      (Action.RETURN, "chengdu", "照片不符合要求：请上传近期免冠正面照片")]),
        ("approved", [(Action.SUBMIT, "self", ""), (Action.RECOMMEND, "jigou", "同意推荐"),
                      (Action.APPROVE, "chengdu", "材料齐全，符合申报条件")]),
    ]
    for i, (_, moves) in enumerate(stages):  # accounts shenbao1–shenbao4
        person = chengdu_people[i + 1]
        app_ = _application(current, person, tianfu, chengdu, by_occ[PLAN_OCCUPATIONS[i]], rng)
        _walk(app_, moves, {**u, "self": _applicant_account(f"shenbao{i + 1}", person)}, today)
        made += 1
    direct_app = _application(current, chengdu_people[6], direct, by_region["四川省"],
                              by_occ["电工"], rng)
    _walk(direct_app, [(Action.SUBMIT, "self", ""), (Action.RECOMMEND, "shengzhi", "同意推荐")],
          {**u, "self": _applicant_account("shenbao5", direct_app.person)}, today)
    made += 1
    # Three more 成都 applications approved, put on a summary table, stamped and sent; the
    # province approves two, which go to a session: one attended and passed (its card now
    # waits to be collected), one still to be recorded; the third waits for re-review.
    from decimal import Decimal

    from portal.applications import summary
    from portal.training import session_operations as sessions

    sent = []
    for k in range(3):
        person = chengdu_people[7 + k]
        app_ = _application(current, person, tianfu, chengdu, by_occ["电工"], rng)
        _walk(app_, [(Action.SUBMIT, "self", ""), (Action.RECOMMEND, "jigou", "同意推荐"),
                     (Action.APPROVE, "chengdu", "材料齐全，符合申报条件")],
              {**u, "self": _applicant_account(f"shenbao{6 + k}", person)}, today)
        sent.append(app_)
        made += 1
    office = summary.offices_of(u["chengdu"])[0]
    table = summary.create_table(user=u["chengdu"], office=office, plan=current,
                                 application_ids=[a.id for a in sent], filled_by=office.name,
                                 contact_name="张经办", contact_phone="028-86000000")
    summary.attach_scan(table, _material(f"{table.number}-盖章扫描件", rng), user=u["chengdu"])
    summary.send(table, user=u["chengdu"])
    for app_ in sent[:2]:
        apply_action(app_, Action.APPROVE, user=province, comment="复审通过", today=today)
    session = sessions.create_session(
        current, starts_on=today - timedelta(days=6), ends_on=today - timedelta(days=4),
        place="成都市人才培训中心三楼报告厅", mode="central", notes="", actor_id=province.id)
    sessions.assign(session, sent[:2], actor_id=province.id)
    sessions.record_attendance(session, sent[0], attended=True, user=province, today=today)
    sessions.set_assessment_date(session, today - timedelta(days=3), actor_id=province.id,
                                 today=today)
    sessions.record_result(session, sent[0], Decimal("86.5"), user=province, today=today)
    db.session.flush()

    # The demo applicant (shenbao) has a draft for the current plan.
    shenbao = u["shenbao"]
    draft = Application(plan=current, person_id=shenbao.person_id, level="考评员",
                        occupation=by_occ["焊工"], region=chengdu,
                        unit=by_org["成都锦城电力工程有限公司"], qualification_level=3,
                        stage=Stage.DRAFT.value, stage_since=utcnow())
    db.session.add(draft)
    db.session.flush()
    return made + 1


"""Demo data of renewal (复核换证, issue 7) and the violations register: the plan of the most
recent 28 March, renewal applications of Chengdu holders at every stage — each move made
through :func:`portal.renewals.operations.apply_action` by the demo users, so each has its
timeline — one with a confirmed violation that the city's term report finds, and violations
recorded, confirmed, dismissed and waiting."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.cards.models import Card
from portal.catalogue.models import Region
from portal.demo.qualification import _applicant_account, _material
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.renewals.models import RenewalApplication, RenewalPlan, Violation
from portal.renewals.operations import apply_action
from portal.renewals.queries import eligible_cards_select
from portal.renewals.review import decide_finding
from portal.renewals.rules import RenewalAction as A
from portal.renewals.rules import registration_closes, registration_opens
from portal.timeutil import LOCAL_TZ, utcnow
from portal.workdays import CalendarNotMaintained

SUMMARY = (
    "自取得考评员资格以来，本人严格遵守技能人才评价工作的各项规章制度，按照评价机构和职鉴中心的"
    "调配参加考评工作，坚持客观公正、公平公开的原则，认真执行国家职业技能标准和评价规范。"
    "在每一批次的考评中，本人提前熟悉考核方案和评分细则，检查考场设备和材料，考评过程中严格"
    "执行回避制度，不与考生私下接触，如实记录考生的操作过程和成绩，发现问题及时向考场负责人和"
    "质量督导员报告。三年来，本人累计参与理论和操作技能考核多个批次，未发生评判差错和考评事故。"
    "在工作中，本人注重学习新版国家职业技能标准，参加职鉴中心组织的业务培训和研讨，提高了对"
    "操作技能考核要点的把握能力，并把考评中发现的共性问题反馈给培训机构，促进了培训质量的提升。"
)


def _summary_text() -> str:
    """A work summary of a little over 1000 characters (notice §三(四)1)."""
    text = SUMMARY
    while len(text) < 1050:
        text += "\n" + SUMMARY
    return text


def _at(day: date, hour: int = 10) -> datetime:
    """A naive UTC timestamp (as :func:`portal.timeutil.utcnow` stores) at ``hour`` local time
    on ``day``."""
    local = datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def _plan_year(today: date) -> int:
    return today.year if today >= registration_opens(today.year) else today.year - 1


def seed_renewal(rng: random.Random, today: date, users: list[User]) -> int:
    """Create the demo renewal plan, applications and violations; returns the number of
    renewal applications (0 when the plan year's calendar is not maintained)."""
    u = {x.username: x for x in users}
    province, chengdu_officer, unit = u["sheng"], u["chengdu"], u["jigou"]
    year = _plan_year(today)
    try:
        closes = registration_closes(year)
    except CalendarNotMaintained:
        return 0
    opens = registration_opens(year)
    plan = RenewalPlan(year=year, title=f"{year}年度考评员复核换证", opens_on=opens,
                       closes_on=closes, expiry_cutoff=closes, published_at=_at(opens, 9),
                       created_by_id=province.id,
                       notes="请持证人在报名期内提交申请，申报单位出具意见并上传盖章的申报表。")
    db.session.add(plan)
    db.session.flush()
    in_window = min(opens + timedelta(days=5), closes, today)

    orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
    tianfu = orgs["成都天府职业技能评价中心"]
    chengdu = db.session.scalar(select(Region).where(Region.name == "成都市"))
    cards = [c for c in db.session.scalars(
        eligible_cards_select(plan).join(Person, Person.id == Card.person_id)
        .where(Person.region_id == chengdu.id, Person.retired.is_(False),
               Person.id.not_in(select(User.person_id).where(User.person_id.is_not(None))))
        .order_by(Card.valid_until.desc(), Card.id))]
    cards = cards[:9]
    if len(cards) < 9:
        return 0

    # (account, moves); "self" is the holder.
    paths = [
        ("huanzheng1", []),  # a draft
        ("huanzheng2", [(A.SUBMIT, "self", "")]),
        ("huanzheng3", [(A.SUBMIT, "self", ""), (A.RETURN, "jigou",
                                                 "工作总结未体现本人考评经历，请补充后重新提交")]),
        ("huanzheng4", [(A.SUBMIT, "self", ""), (A.AGREE, "jigou", "")]),
        ("huanzheng5", [(A.SUBMIT, "self", ""), (A.AGREE, "jigou", "")]),  # with a finding
        ("huanzheng6", [(A.SUBMIT, "self", ""), (A.AGREE, "jigou", ""),
                        (A.APPROVE, "chengdu", "任期内工作情况核实无异常")]),
        ("huanzheng7", [(A.SUBMIT, "self", ""), (A.AGREE, "jigou", ""),
                        (A.APPROVE, "chengdu", "任期内工作情况核实无异常"),
                        (A.SEND_TO_PROVINCE, "chengdu", "")]),
        ("huanzheng8", [(A.SUBMIT, "self", ""), (A.AGREE, "jigou", ""),
                        (A.APPROVE, "chengdu", "任期内工作情况核实无异常"),
                        (A.SEND_TO_PROVINCE, "chengdu", ""),
                        (A.APPROVE, "sheng", "复审通过，换发新证")]),
        ("huanzheng9", [(A.SUBMIT, "self", ""), (A.DISAGREE, "jigou",
                                                 "本年度未参加本单位考评工作调配")]),
    ]
    made = 0
    for card, (username, moves) in zip(cards, paths, strict=True):
        person = card.person
        holder = _applicant_account(username, person)
        material = _material(f"{person.name}-复核材料", rng)
        app_ = RenewalApplication(
            plan=plan, person=person, card=card, region=chengdu, unit=tianfu,
            name=person.name, gender=person.gender, education=person.education,
            employer=person.employer, id_number=person.id_number, phone=person.mobile,
            qualification=person.title or f"{card.occupation.name}三级/高级工",
            specialty=card.occupation.name, specialty_years=person.years_worked,
            work_summary=_summary_text(), declares_health=True, declares_no_incident=True,
            photo_id=material, id_copy_id=material, card_scan_id=material,
            created_at=_at(in_window, 9))
        db.session.add(app_)
        db.session.flush()
        if any(action is A.AGREE for action, _, _ in moves):
            app_.stamped_form_id = _material(f"{person.name}-附件3盖章", rng)
        if username == "huanzheng5":
            _violation(person, "fraud_bribery", in_window - timedelta(days=40),
                       "考评期间接受考生家属宴请，经核实属实", status="confirmed",
                       reporter=unit, decider=chengdu_officer, org=tianfu, rng=rng)
        actors = {**u, "self": holder}
        for i, (action, who, comment) in enumerate(moves):
            # Submitted in the window; the offices' moves in the last weeks (the reviews go
            # on after registration closes), so waiting times look like a working office's.
            step_day = in_window if i == 0 else max(in_window, today - timedelta(
                days=4 * (len(moves) - i)))
            if action is A.SEND_TO_PROVINCE:
                _send(app_, actors[who], step_day, rng)
                continue
            apply_action(app_, action, user=actors[who], comment=comment, today=step_day)
            app_.steps[-1].at = _at(step_day, 10 + i)
            app_.stage_since = app_.steps[-1].at
            if action is A.SUBMIT and i == 0:
                app_.submitted_at = app_.steps[-1].at
            if app_.new_card is not None and app_.new_card.collected_on is None:
                app_.new_card.collected_on = min(step_day + timedelta(days=12), today)
        made += 1
    # The application with the confirmed violation: the city confirmed the finding.
    flagged = db.session.scalar(select(RenewalApplication).join(Person).join(
        User, User.person_id == Person.id).where(User.username == "huanzheng5"))
    decide_finding(flagged, 6, "confirmed", "", actor_id=chengdu_officer.id)

    # The register: one waiting for the city, one dismissed, one incident report.
    others = [c.person for c in cards[:3]]
    _violation(others[0], "erroneous_judgment", today - timedelta(days=12),
               "实操考核评分与另一考评员相差较大，考生提出异议", status="reported",
               reporter=unit, org=tianfu, rng=rng)
    _violation(others[1], "refused_recusal", today - timedelta(days=60),
               "被指派考评本单位员工，未主动申请回避", status="dismissed", reporter=unit,
               decider=chengdu_officer, org=tianfu, rng=rng,
               reason="经核实，考评前已口头申请回避并经考场负责人同意，不予认定")
    _violation(others[2], "incident", today - timedelta(days=20),
               "考场停电约20分钟，考评员及时报告并组织考生有序等待，考核顺延进行",
               status="reported", reporter=unit, org=tianfu, rng=rng)
    db.session.flush()
    return made


def _violation(person, kind, on, description, *, status, reporter, org, rng, decider=None,
               reason="经核实属实，予以确认") -> Violation:
    v = Violation(person=person, kind=kind, occurred_on=on, description=description,
                  reported_by_id=reporter.id, reporter_org_id=org.id, status=status,
                  evidence_id=_material(f"{person.name}-证据", rng))
    if status != "reported":
        v.decided_by_id, v.decided_at, v.decision_reason = decider.id, utcnow(), reason
    db.session.add(v)
    db.session.flush()
    return v


def _send(app_, officer, day, rng) -> None:
    """Put the approved application on a summary table, attach the stamped scan and send
    it (:mod:`portal.renewals.summary`)."""
    from portal.renewals import summary

    office = summary.offices_of(officer)[0]
    table = summary.create_table(user=officer, office=office, plan=app_.plan,
                                 application_ids=[app_.id], filled_by=office.name,
                                 contact_name="张经办", contact_phone="028-86000000")
    summary.attach_scan(table, _material(f"{table.number}-盖章扫描件", rng), user=officer)
    summary.send(table, user=officer)
    app_.steps[-1].at = _at(day, 15)
    app_.stage_since = app_.steps[-1].at

"""Demo evaluation batches in every state: a finished batch with grades of every band, one in
progress with sheets waiting for ``dudao`` and ``jigou``, and an open one with answers pending."""

import random
from datetime import date, timedelta

from sqlalchemy import select

from portal.applications.rules import can_evaluate
from portal.batches.models import Assignment, BatchDate, EvaluationBatch
from portal.cards.models import Card
from portal.extensions import db
from portal.scoring.rubric import LEVELS, rater_total
from portal.sheets import operations as sheets

# Rater totals per examiner of the finished batch: (supervisor, site lead) → 优 良 中 差 …
FINISHED_TOTALS = [(95, 92), (86, 83), (78, 75), (66, 63), (57, 56), (52 + 3, 55), (90, 70)]


def levels_for_total(total: int, rng: random.Random) -> dict[int, str]:
    """Levels of the 2021 rubric adding up to ``total`` (55–100), spread over the items."""
    levels = dict.fromkeys(range(1, 16), "A")
    items = list(range(1, 16))
    while rater_total(levels) > total:
        rng.shuffle(items)
        for n in items:
            current = LEVELS.index(levels[n])
            if current < 3:
                trial = {**levels, n: LEVELS[current + 1]}
                if rater_total(trial) >= total:
                    levels = trial
                    break
        else:
            break
    return levels


def _examiners(occupation_id: int, level: int, day: date, exclude: set[int], n: int,
               rng: random.Random) -> list[Card]:
    """Cards valid on ``day`` for the occupation and level, of persons not yet used."""
    cards = db.session.scalars(
        select(Card).where(
            Card.occupation_id == occupation_id, Card.issued_on <= day, Card.valid_until >= day,
            Card.collected_on.is_not(None), Card.collected_on <= day, Card.voided_on.is_(None),
            Card.revoked_on.is_(None),
        ).order_by(Card.id)
    ).all()
    chosen, seen = [], set(exclude)
    for card in rng.sample(cards, len(cards)):
        if card.person_id not in seen and can_evaluate(card.level, level):
            chosen.append(card)
            seen.add(card.person_id)
        if len(chosen) == n:
            break
    exclude |= seen
    return chosen


def _batch(number, org, occupation, level, day, site, supervisor, site_lead, creator):
    batch = EvaluationBatch(
        number=number, organisation=org, occupation=occupation, level=level, site=site,
        candidates=30, first_date=day, last_date=day, supervisor_id=supervisor.id,
        site_lead_id=site_lead.id, created_by_id=creator.id, dates=[BatchDate(day=day)],
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def _assign(batch, card, answer="accepted", reason="", justified=None):
    assignment = Assignment(batch=batch, person_id=card.person_id, card=card, answer=answer,
                            reason=reason, reason_justified=justified,
                            assigned_by_id=batch.created_by_id)
    db.session.add(assignment)
    db.session.flush()
    if answer == "accepted":
        return sheets.create_sheet(assignment)
    return None


def _score(sheet, role, levels, actor_id, submit):
    for item, level in levels.items():
        column = sheet.column(role)
        sheets.save_level(sheet, role, item, level, based_on_version=column.version,
                          actor_id=actor_id)
    if submit:
        sheets.submit_column(sheet, role, actor_id=actor_id)


def seed_batches(rng, today, orgs, occupations, users) -> int:
    """Create the demo batches; returns how many sheets were made."""
    by_org = {o.name: o for o in orgs}
    occ = {o.name: o for o in occupations}
    u = {user.username: user for user in users}
    used: set[int] = set()
    count = 0

    tianfu = by_org["成都天府职业技能评价中心"]
    finished = _batch(f"KP{(today - timedelta(days=40)).year}-5101-0001", tianfu, occ["电工"], 4,
                      today - timedelta(days=40), "成都天府职业技能评价中心第一考场",
                      u["dudao"], u["jigou"], u["jigou"])
    for (t1, t2), card in zip(FINISHED_TOTALS, _examiners(occ["电工"].id, 4, finished.first_date,
                                                        used, len(FINISHED_TOTALS), rng),
                              strict=False):
        sheet = _assign(finished, card)
        _score(sheet, "supervisor", levels_for_total(t1, rng), u["dudao"].id, True)
        _score(sheet, "site_lead", levels_for_total(t2, rng), u["jigou"].id, True)
        count += 1

    live = _batch(f"KP{today.year}-5101-0002", tianfu, occ["中式烹调师"], 3, today,
                  "成都天府职业技能评价中心烹饪实训室", u["dudao"], u["jigou"], u["jigou"])
    for i, card in enumerate(_examiners(occ["中式烹调师"].id, 3, today, used, 4, rng)):
        sheet = _assign(live, card)
        count += 1
        if i == 0:  # both raters half way
            _score(sheet, "supervisor", dict(list(levels_for_total(88, rng).items())[:8]),
                   u["dudao"].id, False)
            _score(sheet, "site_lead", dict(list(levels_for_total(84, rng).items())[:5]),
                   u["jigou"].id, False)
        elif i == 1:  # the site lead has submitted; the supervisor has not started
            _score(sheet, "site_lead", levels_for_total(80, rng), u["jigou"].id, True)
    refused = _examiners(occ["中式烹调师"].id, 3, today, used, 1, rng)
    for card in refused:
        _assign(live, card, "refused", "当日单位有重要生产任务，无法参加", justified=False)

    mianyang = by_org["绵阳科技城职业技能评价中心"]
    upcoming = _batch(f"KP{today.year}-5107-0001", mianyang, occ["焊工"], 5,
                      today + timedelta(days=7), "绵阳科技城职业技能评价中心焊接车间",
                      u["dudao"], u["kaochang_my"], u["kaochang_my"])
    for card in _examiners(occ["焊工"].id, 5, upcoming.first_date, used, 3, rng):
        _assign(upcoming, card, "pending")
    db.session.flush()
    return count

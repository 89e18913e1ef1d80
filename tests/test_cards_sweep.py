"""The daily sweep (``flask cards sweep``, and lazily when cards are listed): it voids exactly
the cards not collected by their real deadline and bans a person on the second consecutive
void (notice §五(一)); a collected card resets the count; a second run changes nothing."""

from datetime import date, timedelta

import pytest
from factories import create_card, create_person
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cards import operations, queries
from portal.cards.models import Card, PersonBan
from portal.cards.rules import collection_deadline
from portal.extensions import db
from portal.timeutil import local_today


def card(person, issued: date, n: int, *, collected=False, **fields) -> Card:
    c = create_card(person, issued_on=issued, collected=collected,
                    number=f"川考评-{issued.year}-{n:06d}")
    for key, value in fields.items():
        setattr(c, key, value)
    db.session.commit()
    return c


def sweep(app, today: date) -> str:
    """Run ``flask cards sweep --today`` as cron would; return what it printed."""
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["cards", "sweep", "--today", today.isoformat()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def bans() -> list[PersonBan]:
    return list(db.session.scalars(select(PersonBan).order_by(PersonBan.id)))


def test_the_sweep_voids_exactly_the_overdue_uncollected_cards(app):
    issued = date(2025, 3, 3)
    deadline = collection_deadline(issued)
    day = deadline + timedelta(days=1)
    people = [create_person(f"持证人{i}", seq=i) for i in range(6)]
    overdue = card(people[0], issued, 1)
    collected = card(people[1], issued, 2, collected=True)
    revoked = card(people[2], issued, 3, revoked_on=issued + timedelta(days=20),
                   revoke_reason="复审不合格")
    provisional = card(people[3], issued, 4, deadline_provisional=True)
    later = card(people[4], issued + timedelta(days=7), 5)  # its deadline is after ``day``
    voided_before = card(people[5], date(2024, 3, 1), 6,
                         voided_on=collection_deadline(date(2024, 3, 1)) + timedelta(days=1))
    first_void = voided_before.voided_on

    output = sweep(app, day)

    assert overdue.voided_on == day
    for untouched in (collected, revoked, provisional, later):
        assert untouched.voided_on is None, untouched.number
    assert voided_before.voided_on == first_void
    assert f"作废 {overdue.number} 持证人0" in output
    assert "作废逾期未领取的证卡 1 张，新增禁止申报 0 人" in output
    [event] = events("card.void")
    assert event.entity_id == str(overdue.id) and event.actor_id is None
    assert event.after == {"voided_on": day.isoformat(), "number": overdue.number,
                           "collection_deadline": deadline.isoformat()}


def test_the_deadline_day_itself_is_still_in_time(app):
    issued = date(2025, 9, 19)  # the National Day holiday lies inside the 60 working days
    deadline = collection_deadline(issued)
    c = card(create_person("最后一天", seq=11), issued, 11)
    sweep(app, deadline)
    assert c.voided_on is None
    sweep(app, deadline + timedelta(days=1))
    assert c.voided_on == deadline + timedelta(days=1)


def test_the_second_consecutive_void_bans_the_person(app):
    person = create_person("两次未领", seq=21)
    first = card(person, date(2024, 3, 1), 21)
    second = card(person, date(2024, 9, 2), 22)

    output = sweep(app, collection_deadline(first.issued_on) + timedelta(days=3))
    assert first.voided_on and second.voided_on is None
    assert bans() == [] and "新增禁止申报 0 人" in output

    output = sweep(app, collection_deadline(second.issued_on) + timedelta(days=1))
    [ban] = bans()
    assert (ban.person_id, ban.first_card_id, ban.second_card_id) == (person.id, first.id,
                                                                        second.id)
    assert ban.banned_on == second.voided_on and ban.active
    assert f"禁止申报 两次未领：连续两次未领取（{first.number}、{second.number}）" in output
    assert "新增禁止申报 1 人" in output
    assert queries.is_banned(person.id)
    assert queries.active_ban(person.id).cards == (first, second)
    [event] = events("person_ban.create")
    assert event.actor_id is None
    assert event.after["cards"] == [first.number, second.number]


def test_two_voids_with_a_collected_card_between_do_not_ban(app):
    person = create_person("隔次未领", seq=31)
    card(person, date(2024, 3, 1), 31)
    card(person, date(2024, 6, 3), 32, collected=True)
    card(person, date(2024, 9, 2), 33)
    sweep(app, date(2026, 1, 5))
    voided = db.session.scalar(select(func.count()).select_from(Card).where(
        Card.person_id == person.id, Card.voided_on.is_not(None)))
    assert voided == 2
    assert bans() == [] and not queries.is_banned(person.id)


def test_a_collection_resets_the_count(app):
    person = create_person("领过一次", seq=41)
    card(person, date(2024, 1, 8), 41)
    pending = card(person, date(2024, 4, 1), 42)
    sweep(app, collection_deadline(date(2024, 1, 8)) + timedelta(days=1))
    operations.record_collection(pending, date(2024, 4, 20), actor_id=None,
                                 today=date(2024, 4, 22))
    db.session.commit()
    third = card(person, date(2024, 8, 1), 43)
    sweep(app, collection_deadline(third.issued_on) + timedelta(days=1))
    assert third.voided_on and bans() == []  # void, collected, void: no ban

    fourth = card(person, date(2025, 1, 6), 44)
    sweep(app, collection_deadline(fourth.issued_on) + timedelta(days=1))
    [ban] = bans()
    assert (ban.first_card_id, ban.second_card_id) == (third.id, fourth.id)


def test_running_the_sweep_twice_changes_nothing(app):
    person = create_person("重复清理", seq=51)
    card(person, date(2024, 3, 1), 51)
    card(person, date(2024, 9, 2), 52)
    card(create_person("另一人", seq=52), date(2025, 3, 3), 53)
    sweep(app, date(2026, 1, 5))
    before = (len(events("card.void")), len(events("person_ban.create")), len(bans()))
    voided = {c.id: c.voided_on for c in db.session.scalars(select(Card))}
    assert before == (3, 1, 1)

    output = sweep(app, date(2026, 1, 5))
    assert "作废逾期未领取的证卡 0 张，新增禁止申报 0 人" in output
    assert (len(events("card.void")), len(events("person_ban.create")), len(bans())) == before
    assert {c.id: c.voided_on for c in db.session.scalars(select(Card))} == voided


def test_a_lifted_ban_stays_lifted_and_two_new_voids_ban_again(app, login_as):
    province = login_as("province")
    person = create_person("解除后", seq=61)
    card(person, date(2024, 1, 8), 61)
    card(person, date(2024, 4, 1), 62)
    sweep(app, date(2025, 1, 6))
    [ban] = bans()
    operations.lift_ban(ban, "经核实第二张证卡已按期发放", actor_id=province.id)
    db.session.commit()
    third = card(person, date(2025, 2, 10), 63)
    sweep(app, date(2026, 1, 5))
    assert third.voided_on and len(bans()) == 1  # one void after the lifted ban: no new ban
    assert not queries.is_banned(person.id)

    fourth = card(person, date(2025, 6, 2), 64)
    sweep(app, date(2026, 1, 5))
    new = queries.active_ban(person.id)
    assert (new.first_card_id, new.second_card_id) == (third.id, fourth.id)


def test_listing_cards_runs_the_sweep_with_the_system_as_actor(app, client, login_as):
    login_as("province")
    overdue = card(create_person("逾期者", seq=71), date(2025, 3, 3), 71)
    pending_page = client.get("/cards/").get_data(as_text=True)
    assert overdue.number not in pending_page
    assert overdue.voided_on == collection_deadline(overdue.issued_on) + timedelta(days=1)
    [event] = events("card.void")
    assert event.actor_id is None  # the province officer only looked
    voided_page = client.get("/cards/?status=已作废").get_data(as_text=True)
    assert overdue.number in voided_page and "逾期者" in voided_page


def test_a_quiet_day_costs_one_lookup(app):
    card(create_person("按时领取", seq=81), date(2025, 3, 3), 81, collected=True)
    assert operations.sweep_if_due(date(2026, 1, 5)) is None
    assert events("card.void") == []


def test_the_command_refuses_a_day_in_the_future(app):
    tomorrow = local_today() + timedelta(days=1)
    result = app.test_cli_runner().invoke(
        args=["cards", "sweep", "--today", tomorrow.isoformat()])
    assert result.exit_code != 0 and "不能按未来的日期清理证卡" in result.output


def test_the_command_defaults_to_today(app):
    result = app.test_cli_runner().invoke(args=["cards", "sweep"])
    assert result.exit_code == 0
    assert f"证卡清理（{local_today().year}年" in result.output


def test_the_overdue_lookup_reads_the_partial_index(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite plan is what the benchmark runs on")
    stmt = queries.overdue_cards(date(2026, 1, 5)).with_only_columns(Card.id).limit(1)
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(r[-1]) for r in db.session.connection().exec_driver_sql(
        f"EXPLAIN QUERY PLAN {sql}"))
    assert "ix_card_awaiting_collection" in plan

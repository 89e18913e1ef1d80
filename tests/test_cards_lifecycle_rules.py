"""Pure rules of the card lifecycle: which two cards ban a person, working days left, when
collection, revocation and issue dates are refused, and who may do what."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.cards.rules import (
    COLLECTION_WORKDAYS,
    can_issue,
    can_lift_ban,
    can_record_collection,
    can_revoke,
    collection_problem,
    consecutive_voids_ban,
    consecutive_voids_pair,
    issue_date_problem,
    new_ban_pair,
    revocation_problem,
    workdays_left,
)
from portal.workdays import WorkdayCalendar

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

NO_DB = settings(database=None)
C, V, P = "collected", "voided", "pending"


@pytest.mark.parametrize("history, pair", [
    ([], None),
    ([V], None),
    ([V, V], (0, 1)),
    ([V, C, V], None),
    ([V, C, V, V], (2, 3)),
    ([C, V, P, V], None),  # a card still inside its window breaks the run
    ([V, V, V], (0, 1)),  # the first pair is the ban
    ([C, C, V, V, C], (2, 3)),
])
def test_consecutive_voids_pair(history, pair):
    assert consecutive_voids_pair(history) == pair
    assert consecutive_voids_ban(history) is (pair is not None)


@given(st.lists(st.sampled_from("CVP"), max_size=12))
@NO_DB
def test_the_pair_is_the_first_vv(letters):
    outcomes = [{"C": C, "V": V, "P": P}[x] for x in letters]
    text = "".join(letters)
    expected = (text.index("VV"), text.index("VV") + 1) if "VV" in text else None
    assert consecutive_voids_pair(outcomes) == expected


@pytest.mark.parametrize("history, lifted, expected", [
    ([("a", V), ("b", V)], set(), ("a", "b")),
    ([("a", V), ("b", V)], {"b"}, None),  # the lifted ban does not come back
    ([("a", V), ("b", V), ("c", V)], {"b"}, None),  # one void after the lifted ban
    ([("a", V), ("b", V), ("c", V), ("d", V)], {"b"}, ("c", "d")),
    ([("a", V), ("b", C), ("c", V)], set(), None),  # a collected card resets the count
    ([("a", C), ("b", V), ("c", V)], set(), ("b", "c")),
])
def test_new_ban_pair(history, lifted, expected):
    assert new_ban_pair(history, lifted) == expected


def _next_weekday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize("today, deadline, left", [
    (date(2026, 3, 2), date(2026, 3, 6), 4),  # Mon → Fri: Tue, Wed, Thu, Fri
    (date(2026, 3, 6), date(2026, 3, 6), 0),  # the deadline day itself
    (date(2026, 3, 9), date(2026, 3, 6), 0),  # past
    (date(2026, 3, 6), date(2026, 3, 9), 1),  # Fri → Mon: the weekend does not count
])
def test_workdays_left_with_plain_weekdays(today, deadline, left):
    assert workdays_left(today, deadline, _next_weekday) == left


def test_on_the_issue_day_sixty_working_days_are_left():
    calendar = WorkdayCalendar.from_overrides({})
    issued = date(2025, 9, 20)  # the National Day week lies inside the window
    deadline = calendar.add_workdays(issued, COLLECTION_WORKDAYS)
    step = lambda day: calendar.provisional_add_workdays(day, 1)  # noqa: E731
    assert workdays_left(issued, deadline, step) == 60
    assert workdays_left(deadline - timedelta(days=1), deadline, step) in (0, 1)
    assert workdays_left(deadline, deadline, step) == 0


ISSUED = date(2026, 3, 2)
DEADLINE = date(2026, 5, 29)


def collect(**kw):
    values = dict(issued_on=ISSUED, collection_deadline=DEADLINE, deadline_provisional=False,
                  collected_on=None, voided_on=None, revoked_on=None, on=date(2026, 4, 1),
                  today=date(2026, 4, 1))
    values.update(kw)
    return collection_problem(**values)


@pytest.mark.parametrize("kw, message", [
    ({}, None),
    ({"on": ISSUED}, None),  # collected on the issue day
    ({"on": DEADLINE, "today": date(2026, 6, 3)}, None),  # recorded late, collected in time
    ({"voided_on": date(2026, 5, 30)}, "作废"),
    ({"revoked_on": date(2026, 4, 1)}, "注销"),
    ({"collected_on": date(2026, 3, 9)}, "已于2026年3月9日登记领取"),
    ({"on": None}, "请填写领取日期"),
    ({"on": date(2026, 4, 2)}, "不能晚于今天"),
    ({"on": date(2026, 3, 1)}, "不能早于发证日期"),
    ({"on": date(2026, 6, 1), "today": date(2026, 6, 2)}, "晚于领取截止日期"),
    # a provisional deadline never makes a collection late
    ({"on": date(2026, 6, 1), "today": date(2026, 6, 2), "deadline_provisional": True}, None),
])
def test_collection_problem(kw, message):
    problem = collect(**kw)
    if message is None:
        assert problem is None
    else:
        assert message in problem


@pytest.mark.parametrize("kw, message", [
    ({}, None),
    ({"revoked_on": date(2026, 4, 1)}, "已于2026年4月1日注销"),
    ({"voided_on": date(2026, 5, 30)}, "无需注销"),
    ({"on": None}, "请填写注销日期"),
    ({"on": date(2026, 9, 2)}, "不能晚于今天"),
    ({"on": date(2026, 3, 1)}, "不能早于发证日期"),
])
def test_revocation_problem(kw, message):
    values = dict(issued_on=ISSUED, voided_on=None, revoked_on=None, on=date(2026, 9, 1),
                  today=date(2026, 9, 1))
    values.update(kw)
    problem = revocation_problem(**values)
    assert problem is None if message is None else message in problem


@pytest.mark.parametrize("issued, deadline, provisional, message", [
    (date(2026, 9, 1), date(2026, 11, 27), False, "已过"),
    (date(2026, 9, 2), date(2026, 11, 28), False, None),  # the deadline is today: still in time
    (date(2026, 9, 3), date(2026, 11, 29), False, None),
    (date(2026, 8, 1), date(2026, 10, 30), False, "领取截止日期（2026年10月30日）已过"),
    (date(2026, 11, 29), date(2027, 2, 26), True, "不能晚于今天"),
    (date(2026, 11, 28), date(2027, 2, 26), True, None),
])
def test_issue_date_problem(issued, deadline, provisional, message):
    problem = issue_date_problem(issued, today=date(2026, 11, 28), deadline=deadline,
                                 deadline_provisional=provisional)
    assert problem is None if message is None else message in problem


def user(*roles, person_id=None, region_id=None):
    return SimpleNamespace(person_id=person_id, region_id=region_id,
                           has_role=lambda *wanted: bool(set(wanted) & set(roles)))


@pytest.mark.parametrize("who, allowed", [
    (user("applicant", person_id=7), True),  # the holder
    (user("applicant", person_id=8), False),  # someone else
    (user("city", region_id=3), True),  # the city centre of the holder's city
    (user("city", region_id=4), False),
    (user("city"), False),  # a city officer without a city
    (user("province"), True),
    (user("unit"), False),
    (user("admin"), False),
])
def test_who_records_collection(who, allowed):
    assert can_record_collection(who, holder_person_id=7, holder_region_id=3) is allowed


@pytest.mark.parametrize("check", [can_issue, can_revoke, can_lift_ban])
def test_only_the_province_issues_revokes_and_lifts(check):
    assert check(user("province"))
    for role in ("city", "unit", "applicant", "admin", "supervisor", "site_lead"):
        assert not check(user(role))

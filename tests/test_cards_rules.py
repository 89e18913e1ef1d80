"""Card rules: validity, collection deadline, derived status, the consecutive-voids ban."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.cards.rules import (
    COLLECTION_WORKDAYS,
    EXPIRING_DAYS,
    VALIDITY_YEARS,
    CardOutcome,
    CardStatus,
    card_outcome,
    card_status,
    collection_deadline,
    collection_overdue,
    consecutive_voids_ban,
    valid_until,
)
from portal.workdays import CalendarNotMaintained

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

NO_DB = settings(database=None)


def test_constants():
    assert (COLLECTION_WORKDAYS, VALIDITY_YEARS, EXPIRING_DAYS) == (60, 3, 90)


@pytest.mark.parametrize(
    "issued_on, expected",
    [
        (date(2026, 4, 10), date(2029, 4, 10)),
        (date(2024, 2, 29), date(2027, 2, 28)),
        (date(2025, 2, 28), date(2028, 2, 28)),
        (date(2025, 3, 1), date(2028, 3, 1)),
        (date(2025, 12, 31), date(2028, 12, 31)),
        (date(2021, 2, 28), date(2024, 2, 28)),
    ],
)
def test_valid_until_is_the_same_date_three_years_later(issued_on, expected):
    assert valid_until(issued_on) == expected


@pytest.mark.parametrize(
    "issued_on, expected",
    [
        (date(2026, 4, 10), date(2026, 7, 8)),
        (date(2025, 3, 28), date(2025, 6, 26)),
    ],
)
def test_collection_deadline_is_60_working_days_after_issue(issued_on, expected):
    assert collection_deadline(issued_on) == expected


def test_collection_deadline_in_an_unpublished_year_is_an_error():
    with pytest.raises(CalendarNotMaintained):
        collection_deadline(date(2026, 11, 10))


def test_card_status_values_are_the_chinese_labels():
    assert [s.value for s in CardStatus] == [
        "待领取",
        "有效",
        "即将到期",
        "已过期",
        "已作废",
        "已注销",
        "已换证",
    ]
    assert CardStatus.VALID == "有效" and str(CardStatus.VOIDED) == "已作废"


UNTIL = date(2029, 4, 10)
ISSUED = date(2026, 4, 10)
COLLECTED = date(2026, 5, 6)


def status(today, *, collected_on=COLLECTED, voided_on=None, revoked_on=None, until=UNTIL,
           superseded_on=None):
    return card_status(
        valid_until=until,
        collected_on=collected_on,
        voided_on=voided_on,
        revoked_on=revoked_on,
        today=today,
        collection_deadline=date(2026, 7, 8),
        superseded_on=superseded_on,
    )


@pytest.mark.parametrize(
    "today, kwargs, expected",
    [
        # precedence: revoked > voided > expired > uncollected > expiring > valid
        (date(2027, 1, 1), {"revoked_on": date(2026, 12, 1)}, CardStatus.REVOKED),
        (date(2030, 1, 1), {"revoked_on": date(2026, 12, 1)}, CardStatus.REVOKED),
        (
            date(2027, 1, 1),
            {"collected_on": None, "voided_on": date(2026, 7, 9), "revoked_on": date(2026, 8, 1)},
            CardStatus.REVOKED,
        ),
        (
            date(2026, 8, 1),
            {"collected_on": None, "voided_on": date(2026, 7, 9)},
            CardStatus.VOIDED,
        ),
        (
            date(2030, 1, 1),
            {"collected_on": None, "voided_on": date(2026, 7, 9)},
            CardStatus.VOIDED,
        ),
        (date(2029, 4, 11), {}, CardStatus.EXPIRED),
        (date(2029, 4, 11), {"collected_on": None}, CardStatus.EXPIRED),
        (date(2026, 4, 10), {"collected_on": None}, CardStatus.PENDING_COLLECTION),
        # past the collection deadline but the sweep has not voided it yet: still 待领取
        (date(2026, 9, 1), {"collected_on": None}, CardStatus.PENDING_COLLECTION),
        (date(2029, 1, 1), {"collected_on": None}, CardStatus.PENDING_COLLECTION),
        (date(2026, 5, 6), {}, CardStatus.VALID),
        (date(2029, 1, 9), {}, CardStatus.VALID),  # 91 days before the last day
        (date(2029, 1, 10), {}, CardStatus.EXPIRING),  # 90 days before
        (date(2029, 4, 10), {}, CardStatus.EXPIRING),  # the last valid day
        # superseded by a renewed card: 已换证 from that day, after 已注销 and 已作废,
        # before 已过期
        (date(2029, 4, 1), {"superseded_on": date(2029, 4, 1)}, CardStatus.SUPERSEDED),
        (date(2029, 3, 31), {"superseded_on": date(2029, 4, 1)}, CardStatus.EXPIRING),
        (date(2030, 1, 1), {"superseded_on": date(2029, 4, 1)}, CardStatus.SUPERSEDED),
        (date(2029, 5, 1), {"superseded_on": date(2029, 4, 20)}, CardStatus.SUPERSEDED),
        (date(2029, 5, 1), {"superseded_on": date(2029, 4, 20), "revoked_on": date(2029, 4, 25)},
         CardStatus.REVOKED),
        (date(2029, 5, 1), {"superseded_on": date(2029, 4, 20), "collected_on": None,
                            "voided_on": date(2026, 7, 9)}, CardStatus.VOIDED),
    ],
)
def test_card_status_truth_table(today, kwargs, expected):
    assert status(today, **kwargs) is expected


def test_expiring_boundary_is_90_days_inclusive():
    assert UNTIL - timedelta(days=EXPIRING_DAYS) == date(2029, 1, 10)


@pytest.mark.parametrize(
    "today, kwargs, expected",
    [
        # events dated after "today" have not happened yet on that day
        (date(2026, 5, 1), {}, CardStatus.PENDING_COLLECTION),
        (
            date(2026, 7, 1),
            {"collected_on": None, "voided_on": date(2026, 7, 9)},
            CardStatus.PENDING_COLLECTION,
        ),
        (date(2027, 3, 1), {"revoked_on": date(2027, 4, 30)}, CardStatus.VALID),
        (date(2027, 4, 30), {"revoked_on": date(2027, 4, 30)}, CardStatus.REVOKED),
    ],
)
def test_card_status_as_of_a_past_day(today, kwargs, expected):
    assert status(today, **kwargs) is expected


@pytest.mark.parametrize(
    "today, kwargs, expected",
    [
        (date(2026, 7, 8), {}, False),  # the deadline day itself is in time
        (date(2026, 7, 9), {}, True),
        (date(2026, 7, 9), {"collected_on": date(2026, 7, 8)}, False),
        (date(2026, 7, 9), {"voided_on": date(2026, 7, 9)}, False),
        (date(2026, 7, 9), {"revoked_on": date(2026, 7, 1)}, False),
    ],
)
def test_collection_overdue(today, kwargs, expected):
    fields = {"collected_on": None, "voided_on": None, "revoked_on": None, **kwargs}
    assert (
        collection_overdue(collection_deadline=date(2026, 7, 8), today=today, **fields) is expected
    )


@pytest.mark.parametrize(
    "collected_on, voided_on, expected",
    [
        (date(2026, 5, 1), None, CardOutcome.COLLECTED),
        (None, date(2026, 7, 9), CardOutcome.VOIDED),
        (None, None, CardOutcome.PENDING),
    ],
)
def test_card_outcome(collected_on, voided_on, expected):
    assert card_outcome(collected_on=collected_on, voided_on=voided_on) is expected


C, V, P = CardOutcome.COLLECTED, CardOutcome.VOIDED, CardOutcome.PENDING


@pytest.mark.parametrize(
    "history, banned",
    [
        ([], False),
        ([V], False),
        ([C], False),
        ([V, V], True),
        ([C, V, V], True),
        ([V, V, C], True),  # permanent: a later collected card does not lift it
        ([V, C, V], False),  # a collected card resets the count
        ([V, C, V, C, V], False),
        ([V, P], False),
        ([V, P, V], False),  # a pending card is not a failure to collect
        (["voided", "voided"], True),
        (["collected", "voided"], False),
    ],
)
def test_consecutive_voids_ban(history, banned):
    assert consecutive_voids_ban(history) is banned


@pytest.mark.parametrize("bad", ["已作废", "VOIDED", None])
def test_consecutive_voids_ban_rejects_unknown_outcomes(bad):
    with pytest.raises(ValueError):
        consecutive_voids_ban([C, bad])


@NO_DB
@given(st.lists(st.sampled_from(["C", "V", "P"]), max_size=12))
def test_consecutive_voids_ban_means_two_adjacent_voids(letters):
    outcomes = [{"C": C, "V": V, "P": P}[letter] for letter in letters]
    assert consecutive_voids_ban(outcomes) is ("VV" in "".join(letters))


@NO_DB
@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
def test_valid_until_is_three_years_minus_at_most_a_day(issued_on):
    until = valid_until(issued_on)
    assert until.year == issued_on.year + 3
    assert until.month == issued_on.month
    assert until.day == issued_on.day or (issued_on.day == 29 and until.day == 28)

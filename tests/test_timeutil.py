"""Dates are shown the Chinese way, in China Standard Time."""

from datetime import date, datetime

import pytest

from portal.timeutil import cn_date, cn_datetime

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup


@pytest.mark.parametrize(
    "value, text",
    [
        (date(2026, 3, 28), "2026年3月28日"),
        (date(2026, 1, 5), "2026年1月5日"),
        (None, ""),
        # Stored timestamps are UTC: 20:30 UTC on 27 March is already 28 March in Chengdu.
        (datetime(2026, 3, 27, 20, 30), "2026年3月28日"),
    ],
)
def test_cn_date(value, text):
    assert cn_date(value) == text


def test_cn_datetime_is_local_time():
    assert cn_datetime(datetime(2026, 3, 28, 1, 5)) == "2026年3月28日 09:05"
    assert cn_datetime(None) == ""

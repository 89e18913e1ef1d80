"""Pure registry rules: reading the search input, the prefix bound that lets an index serve a
prefix search, ID-number search limits, sort orders."""

import pytest

from portal.registry import rules
from portal.registry.rules import Filters

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup


@pytest.mark.parametrize("prefix,bound", [("张", "弡"), ("ab", "ac"), ("5101", "5102"),
                                          ("川考评-2026-", "川考评-2026."), ("a\U0010ffff", "b")])
def test_prefix_upper_bound(prefix, bound):
    assert rules.prefix_upper_bound(prefix) == bound


@pytest.mark.parametrize("text", ["张", "张三", "张三丰", "张\U0010ffff"])
def test_every_string_with_the_prefix_is_inside_the_range(text):
    assert "张" <= text < rules.prefix_upper_bound("张")
    assert not ("张" <= "弡" < rules.prefix_upper_bound("张"))


def test_prefix_upper_bound_refuses_an_empty_prefix():
    with pytest.raises(ValueError):
        rules.prefix_upper_bound("")


@pytest.mark.parametrize("term,may_prefix,problem", [
    ("", False, None),
    ("51010419850618123X", False, None),
    ("510104198506181230", False, None),
    ("5101", False, rules.MSG_ID_FULL_ONLY),
    ("5101", True, None),
    ("510", True, rules.MSG_ID_SHORT),
    ("5101A", True, rules.MSG_ID_CHARS),
    ("5101X", True, rules.MSG_ID_CHARS),  # X only as the 18th character
    ("5101041985061812300", True, rules.MSG_ID_CHARS),
])
def test_id_search_problem(term, may_prefix, problem):
    assert rules.id_search_problem(term, may_search_prefix=may_prefix) == problem


def test_id_search_term_is_written_as_stored():
    assert rules.id_search_term(" ５１０１ ０４x ") == "510104X"


@pytest.mark.parametrize("value,status,expected", [
    ("name", "", ("name", False)),
    ("-card", "", ("card", True)),
    ("bogus", "", ("name", False)),
    ("", "待领取", ("deadline", False)),
    ("", "即将到期", ("valid_until", False)),
    ("-name", "待领取", ("name", True)),
    (None, "", ("name", False)),
])
def test_sort_key(value, status, expected):
    assert rules.sort_key(value, status) == expected


def test_filters_from_request_arguments():
    f = Filters.from_args({"name": "  张  三 ", "id_number": "５１０１", "card": " 2026-0001 ",
                           "occupation": "3", "region": "x", "status": "无证卡",
                           "sort": "-name", "page": "2"})
    assert (f.name, f.id_number, f.card, f.occupation, f.region, f.status) == (
        "张 三", "5101", "2026-0001", "3", "", "无证卡")
    assert f.args() == {"name": "张 三", "id_number": "5101", "card": "2026-0001",
                        "occupation": "3", "status": "无证卡", "sort": "-name"}
    assert f.args(sort="card")["sort"] == "card"
    assert not f.empty and Filters().empty and Filters(sort="card").empty
    assert Filters.from_args({"status": "坏的"}).status == ""

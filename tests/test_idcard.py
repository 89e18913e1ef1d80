"""Resident ID numbers: normalisation, validation messages, masking, derived facts."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from portal.people.idcard import (
    birth_date,
    gender_from_id,
    make_id_number,
    mask_id_number,
    normalize_id_number,
    region_code_warning,
)

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

NO_DB = settings(database=None)
SAMPLE = "11010519491231002X"  # the GB 11643 textbook example
TODAY = date(2026, 4, 10)


def test_make_id_number_builds_the_textbook_example():
    assert make_id_number("110105", date(1949, 12, 31), 2) == SAMPLE


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE,
        "11010519491231002x",
        "  11010519491231002X  ",
        "\u300011010519491231002x\u3000",  # full-width spaces
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２ｘ",  # full-width digits from a Chinese IME
        "11010519491231002X\n",
    ],
)
def test_normalize_accepts_and_canonicalises(text):
    assert normalize_id_number(text, today=TODAY) == SAMPLE


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "身份证号码应为18位"),
        ("1101051949123100", "身份证号码应为18位"),
        ("11010519491231002X1", "身份证号码应为18位"),
        ("110105491231002", "15位旧身份证号码不再受理，请填写18位号码"),
        ("11010519491231002A", "身份证号码只能由数字组成，最后一位可以是X"),
        ("1101051949123100X2", "身份证号码只能由数字组成，最后一位可以是X"),
        ("110105194912310021", "身份证号码校验位不正确"),
        ("110105194913310029", "身份证号码中的出生日期无效"),  # month 13
        ("110105194902300020", "身份证号码中的出生日期无效"),  # 30 February
    ],
)
def test_normalize_rejects_with_chinese_messages(text, message):
    with pytest.raises(ValueError, match=message):
        normalize_id_number(text, today=TODAY)


def test_normalize_rejects_a_future_birth_date():
    future = make_id_number("110105", date(2026, 4, 11), 1)
    with pytest.raises(ValueError, match="身份证号码中的出生日期无效"):
        normalize_id_number(future, today=TODAY)
    assert normalize_id_number(make_id_number("110105", TODAY, 1), today=TODAY)


def test_normalize_defaults_today_to_the_current_date():
    assert normalize_id_number(SAMPLE) == SAMPLE
    with pytest.raises(ValueError):
        normalize_id_number(make_id_number("110105", date(2999, 1, 1), 1))


def test_normalize_rejects_non_text():
    with pytest.raises(TypeError):
        normalize_id_number(11010519491231002)


def test_a_changed_county_code_is_accepted_with_no_error():
    # 330110 余杭区 exists since 2001; a number issued there to someone born in 1980 is real,
    # but python-stdnum's validate() rejects it (DESIGN.md "ID numbers").
    number = make_id_number("330110", date(1980, 1, 1), 1)
    assert not ric.is_valid(number)
    assert normalize_id_number(number, today=TODAY) == number
    assert region_code_warning(number) is None


@pytest.mark.parametrize("region", ["519999", "000000", "990101"])
def test_unknown_region_code_is_only_a_warning(region):
    number = make_id_number(region, date(1985, 6, 15), 123)
    assert normalize_id_number(number, today=TODAY) == number
    warning = region_code_warning(number)
    assert warning and region in warning and "行政区划代码" in warning


@pytest.mark.parametrize("region", ["110105", "510104", "510107", "513401"])
def test_known_region_code_gives_no_warning(region):
    assert region_code_warning(make_id_number(region, date(1985, 6, 15), 123)) is None


def test_mask_id_number():
    assert mask_id_number(SAMPLE) == "110105********002X"
    assert mask_id_number("11010519491231002x") == "110105********002X"
    # a display filter: never reveals or raises on malformed stored data
    assert mask_id_number("110105491231002") == "*" * 15
    assert mask_id_number(None) == ""


@pytest.mark.parametrize(
    "number, born, gender",
    [
        (SAMPLE, date(1949, 12, 31), "女"),  # sequence 002: even
        (make_id_number("510104", date(1980, 2, 29), 1), date(1980, 2, 29), "男"),
        (make_id_number("510104", date(2000, 1, 1), 990), date(2000, 1, 1), "女"),
        (make_id_number("510104", date(2000, 1, 1), 999), date(2000, 1, 1), "男"),
    ],
)
def test_birth_date_and_gender(number, born, gender):
    assert birth_date(number) == born
    assert gender_from_id(number) == gender


@pytest.mark.parametrize(
    "region, seq",
    [
        ("11010", 1),
        ("1101051", 1),
        ("11a105", 1),
        ("110105", -1),
        ("110105", 1000),
        ("110105", True),
    ],
)
def test_make_id_number_rejects_bad_parts(region, seq):
    with pytest.raises(ValueError):
        make_id_number(region, date(1980, 1, 1), seq)


# --- properties -----------------------------------------------------------------------------

regions = st.text(alphabet="0123456789", min_size=6, max_size=6)
births = st.dates(date(1900, 1, 1), TODAY)
sequences = st.integers(0, 999)


@NO_DB
@given(regions, births, sequences)
def test_every_number_with_a_correct_check_character_is_accepted(region, born, seq):
    number = make_id_number(region, born, seq)
    assert normalize_id_number(number, today=TODAY) == number
    assert normalize_id_number(number.lower(), today=TODAY) == number
    assert birth_date(number) == born


@NO_DB
@given(regions, births, sequences, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_every_single_character_change_is_rejected(region, born, seq, position, replacement):
    number = make_id_number(region, born, seq)
    if number[position] == replacement:
        replacement = "0123456789X"[("0123456789X".index(replacement) + 1) % 11]
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValueError):
        normalize_id_number(changed, today=TODAY)


def test_every_single_character_change_of_the_sample_is_rejected_exhaustively():
    for position in range(18):
        for replacement in "0123456789X":
            if SAMPLE[position] == replacement:
                continue
            changed = SAMPLE[:position] + replacement + SAMPLE[position + 1 :]
            with pytest.raises(ValueError):
                normalize_id_number(changed, today=TODAY)

"""Resident identity card numbers (居民身份证号码, GB 11643): normalisation, validation,
masking and the facts encoded in the number (DESIGN.md "ID numbers").

The number is the person's identity in the portal (Attachment 1/2/3 "身份证号码").  We check
length, format, a real past birth date and the ISO 7064 MOD 11-2 check character.  The region
code is only a warning: python-stdnum's ``stdnum.cn.ric.validate`` rejects real numbers whose
county code did not exist in the birth year (330110 余杭区 with birth year 1980), although
GB 11643 assigns the code of the place where the number was issued.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

__all__ = [
    "birth_date",
    "gender_from_id",
    "make_id_number",
    "mask_id_number",
    "normalize_id_number",
    "region_code_warning",
]

_WHITESPACE = re.compile(r"\s+")
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

MSG_LENGTH = "身份证号码应为18位"
MSG_OLD_15 = "15位旧身份证号码不再受理，请填写18位号码"
MSG_FORMAT = "身份证号码只能由数字组成，最后一位可以是X"
MSG_CHECKSUM = "身份证号码校验位不正确"
MSG_BIRTH_DATE = "身份证号码中的出生日期无效"


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"an ID number must be text, got {type(text).__name__}")
    # NFKC turns full-width digits and Ｘ typed with a Chinese IME into ASCII and U+3000 into a
    # space; whitespace anywhere (leading, trailing, or grouping spaces) is dropped.
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).upper()


def _birth_date_or_none(number: str) -> date | None:
    try:
        return ric.get_birth_date(number)
    except (ValidationError, ValueError):
        return None


def normalize_id_number(text: str, *, today: date | None = None) -> str:
    """The canonical 18-character form of an ID number, or ValueError with a Chinese message.

    Normalises: surrounding and inner whitespace (including the full-width space U+3000) is
    removed, full-width digits become ASCII, a final ``x`` becomes ``X``.  Then checks, in this
    order, each failure raising ValueError:

    - 15 digits: the old (pre-1999) format is no longer accepted ("15位旧身份证号码不再受理……");
    - length 18 ("身份证号码应为18位");
    - 17 digits followed by a digit or ``X``;
    - the birth date (positions 7–14) is a real date and not after ``today``
      ("身份证号码中的出生日期无效"), checked before the check character because it tells the
      user where the typo is;
    - the check character (ISO 7064 MOD 11-2, ``stdnum.cn.ric.calc_check_digit``)
      ("身份证号码校验位不正确"); it catches every single-character change.

    The region code is deliberately not checked here; see :func:`region_code_warning`.
    ``today`` defaults to the current date.
    """
    number = _clean(text)
    if len(number) == 15 and number.isdigit():
        raise ValueError(MSG_OLD_15)
    if len(number) != 18:
        raise ValueError(f"{MSG_LENGTH}（当前为{len(number)}位）")
    if not _SHAPE.fullmatch(number):
        raise ValueError(MSG_FORMAT)
    born = _birth_date_or_none(number)
    if born is None:
        raise ValueError(f"{MSG_BIRTH_DATE}（{number[6:14]}不是有效日期）")
    if born > (today or date.today()):
        raise ValueError(f"{MSG_BIRTH_DATE}（{born.year}年{born.month}月{born.day}日晚于今天）")
    if number[-1] != ric.calc_check_digit(number):
        raise ValueError(f"{MSG_CHECKSUM}，请核对后重新填写")
    return number


def region_code_warning(number: str) -> str | None:
    """A Chinese warning when the first six digits are not a region code python-stdnum knows,
    else None.  Never an error: codes change (counties merge, are renamed or created) and the
    library's table is incomplete, so a real number may carry an unknown code.

    A code that is known but was created after the birth year (330110 余杭区, born 1980) is not
    warned about: GB 11643 assigns the code of the place of issue, not of birth.
    """
    from stdnum import numdb

    code = _clean(number)[:6]
    if len(code) != 6 or not code.isdigit():
        return None  # not our concern here; normalize_id_number reports the format
    merged: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        merged.update(props)
    if "province" in merged and "county" in merged:
        return None
    return (
        f"身份证号码前6位行政区划代码“{code}”未能在行政区划代码表中找到，"
        "请核对号码是否填写正确（如确认无误可继续提交）"
    )


def mask_id_number(number: str | None) -> str:
    """The number for display to people who need not see it whole: the first 6 characters
    (region), 8 asterisks over the birth date, and the last 4 — ``110105********002X``.

    Used as a template filter, so it never raises on stored data: anything that is not 18
    characters long is masked completely (same length), None gives "".
    """
    if number is None:
        return ""
    cleaned = _clean(number)
    if len(cleaned) != 18:
        return "*" * len(cleaned)
    return f"{cleaned[:6]}{'*' * 8}{cleaned[-4:]}"


def make_id_number(region6: str, birth: date, seq3: int) -> str:
    """A well-formed number for ``region6`` (six digits), ``birth`` and the sequence code
    ``seq3`` (0–999; odd for men, even for women) with the correct check character.  For demo
    data and tests."""
    if not (
        isinstance(region6, str) and len(region6) == 6 and region6.isascii() and region6.isdigit()
    ):
        raise ValueError(f"region code must be six digits, got {region6!r}")
    if isinstance(seq3, bool) or not isinstance(seq3, int) or not 0 <= seq3 <= 999:
        raise ValueError(f"sequence code must be an int 0–999, got {seq3!r}")
    body = f"{region6}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq3:03d}"
    # calc_check_digit expects the full number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")


def birth_date(number: str) -> date:
    """The birth date encoded in a valid number (positions 7–14)."""
    return ric.get_birth_date(normalize_id_number(number))


def gender_from_id(number: str) -> str:
    """ "男" when the 17th digit (the last of the sequence code) is odd, "女" when even
    (GB 11643)."""
    return "男" if int(normalize_id_number(number)[16]) % 2 else "女"

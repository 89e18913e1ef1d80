"""Profile rules for a person's Attachment 1 data (申报表: 姓名, 性别, 文化程度, 工作单位,
专业技术职称, 职务, 身份证号码, 联系地址, 联系手机, 所在城市, 工龄) plus the retired flag:
what a valid value is, and which fields the person may change on their own.

Pure functions of plain values: no Flask, no database. The ID number rules themselves live in
:mod:`portal.people.idcard`; uniqueness needs the database and is checked in
:mod:`portal.people.operations`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date

from portal.people.idcard import normalize_id_number

__all__ = [
    "FIELD_LABELS",
    "MAX_LENGTHS",
    "MAX_YEARS_WORKED",
    "MSG_MOBILE",
    "PROFILE_FIELDS",
    "SELF_LOCKED_ONCE_CARDED",
    "clean_profile",
    "gender_problem",
    "normalize_mobile",
    "self_editable_fields",
]

#: Every field of a person's profile that can be set, in the order of Attachment 1.
PROFILE_FIELDS = (
    "name", "gender", "education", "id_number", "employer", "organisation_id", "title",
    "position", "address", "mobile", "region_id", "years_worked", "retired",
)

FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "education": "文化程度",
    "id_number": "身份证号码",
    "employer": "工作单位",
    "organisation_id": "所属登记单位",
    "title": "专业技术职称",
    "position": "职务",
    "address": "联系地址",
    "mobile": "联系手机",
    "region_id": "所在城市",
    "years_worked": "工龄",
    "retired": "已退休",
}

#: Column widths of :class:`portal.people.models.Person`.
MAX_LENGTHS = {"name": 40, "education": 20, "employer": 100, "title": 40, "position": 40,
               "address": 200}

#: 工龄 above this is a typo (a working life does not last longer).
MAX_YEARS_WORKED = 60

#: Fields a person may no longer change on their own once they hold a card: the centre
#: verified the name and the ID number before issuing it, so a correction is an officer's
#: (audited) act from then on.
SELF_LOCKED_ONCE_CARDED = ("name", "id_number")

MSG_MOBILE = "手机号码应为11位数字，以13–19开头"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()]+")


def normalize_mobile(text: str | None) -> str:
    """The 11-digit mainland mobile number in ``text``, "" when empty, else ValueError with
    :data:`MSG_MOBILE`.

    Full-width digits (typed with a Chinese IME) become ASCII; spaces, hyphens and
    parentheses are dropped (``138-0000-1234``); a leading ``+86`` or ``86`` country code on a
    13-digit entry is removed. The number must then be 11 digits starting 13–19.
    """
    if text is None:
        return ""
    number = _MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not number:
        return ""
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not _MOBILE.fullmatch(number):
        raise ValueError(MSG_MOBILE)
    return number


def gender_problem(gender: str, id_number: str) -> str | None:
    """Why ``gender`` contradicts the (normalised, valid) ID number, or None.

    GB 11643: the 17th character is odd for men, even for women. A contradiction means a typo
    in one of the two, so it is an error, not a warning.
    """
    if len(id_number) != 18 or not id_number[16].isdigit() or gender not in ("男", "女"):
        return None
    expected = "男" if int(id_number[16]) % 2 else "女"
    if gender != expected:
        return f"性别与身份证号码不符：身份证号码第17位表示“{expected}”"
    return None


def self_editable_fields(has_cards: bool) -> tuple[str, ...]:
    """The fields a person may change on their own profile page (我的资料).

    Everything of Attachment 1 except the registered unit (``organisation_id``, which decides
    which unit sees them and is set by officers) and, once the person holds a card, the
    :data:`SELF_LOCKED_ONCE_CARDED` fields.
    """
    locked = {"organisation_id"} | (set(SELF_LOCKED_ONCE_CARDED) if has_cards else set())
    return tuple(f for f in PROFILE_FIELDS if f not in locked)


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def clean_profile(values: Mapping[str, object], *, today: date | None = None
                  ) -> tuple[dict[str, object], dict[str, str]]:
    """Normalise and check the profile fields present in ``values``.

    Returns ``(clean, errors)``: ``clean`` maps each valid field to its stored form, ``errors``
    maps each invalid field to a Chinese message. Only the keys given are checked, so it
    serves a whole new profile and a partial change alike. Rules:

    - ``name`` required; text fields are trimmed, inner runs of whitespace collapsed, and
      limited to :data:`MAX_LENGTHS`;
    - ``gender`` 男 or 女, and consistent with ``id_number`` when both are given
      (:func:`gender_problem`);
    - ``id_number`` through :func:`portal.people.idcard.normalize_id_number` (length, birth
      date, check character; ``today`` bounds the birth date);
    - ``mobile`` through :func:`normalize_mobile` (empty allowed);
    - ``years_worked`` None or an integer 0–:data:`MAX_YEARS_WORKED`;
    - ``retired`` a bool; ``region_id`` required; ``organisation_id`` None or an id.

    Unknown keys raise KeyError: a caller that sets a field this module does not know about
    has a bug.
    """
    clean: dict[str, object] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        if key not in PROFILE_FIELDS:
            raise KeyError(f"not a profile field: {key!r}")
        try:
            clean[key] = _clean_one(key, value, today)
        except ValueError as exc:
            errors[key] = str(exc)
    if "gender" in clean and "id_number" in clean:
        problem = gender_problem(str(clean["gender"]), str(clean["id_number"]))
        if problem:
            errors["gender"] = problem
            del clean["gender"]
    return clean, errors


def _clean_one(key: str, value: object, today: date | None) -> object:
    if key == "id_number":
        return normalize_id_number(_text(value), today=today)
    if key == "mobile":
        return normalize_mobile(None if value is None else str(value))
    if key == "gender":
        if value not in ("男", "女"):
            raise ValueError("请选择性别")
        return value
    if key == "years_worked":
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("工龄应为整数")
        if not 0 <= value <= MAX_YEARS_WORKED:
            raise ValueError(f"工龄应为 0–{MAX_YEARS_WORKED} 年")
        return value
    if key == "retired":
        return bool(value)
    if key in ("region_id", "organisation_id"):
        if value in (None, ""):
            if key == "region_id":
                raise ValueError("请选择所在城市")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("请从列表中选择")
        return value
    text = _text(value)
    if key == "name" and not text:
        raise ValueError("请填写姓名")
    limit = MAX_LENGTHS[key]
    if len(text) > limit:
        raise ValueError(f"不能超过 {limit} 个字符")
    return text

"""Registry rules: who sees a whole ID number and who corrects a profile, how the search box
input is read, the sort orders, and the quality line of an examiner (DESIGN.md "Who uses it",
"ID numbers", "Renewal disqualification"; issue 5).

Pure functions of plain values (a user or person here is anything with the attributes used):
no Flask, no database. :mod:`portal.registry.queries` turns them into SQL.

Masking (issue 5: "masked in every list and export for roles that do not review that
person"): lists and exports always show the masked number (``110105********002X``), for every
role — a list mixes people the viewer reviews with people they do not, and an export leaves
the portal. The whole number is shown only on one person's page, and only to those who review
that person (:func:`reviews_person`) and to the person themself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portal.cards.rules import CardStatus
from portal.renewals.rules import (
    RULE_TITLES,
    Finding,
    RefusalRecord,
    SheetRecord,
    disqualification_findings,
    poor_share_disqualifies,
    term_window,
)

__all__ = [
    "NO_CARD",
    "REGISTRY_ROLES",
    "SORTS",
    "STATUS_FILTERS",
    "Filters",
    "QualityLine",
    "can_edit_profile",
    "id_search_problem",
    "id_search_term",
    "prefix_upper_bound",
    "quality_line",
    "reviews_person",
    "sees_full_id",
    "single_city",
    "sort_key",
]

#: Roles that use the registry: the province (everyone), a city centre (its city), a unit
#: (its own people, by ``Person.organisation_id``). The system administrator manages
#: accounts and reference data, not examiners' personal data, so has no registry.
REGISTRY_ROLES = ("province", "city", "unit")

#: The status of a registry row for a person who holds no card (yet).
NO_CARD = "无证卡"

#: The status filter: every card status, and people without a card. Labels for the chips;
#: 即将到期, 待领取 and 已作废 are the quick filters of issue 5.
STATUS_FILTERS: dict[str, str] = {
    CardStatus.EXPIRING.value: "即将到期（90天内）",
    CardStatus.PENDING_COLLECTION.value: "待领取",
    CardStatus.VOIDED.value: "已作废",
    CardStatus.VALID.value: "有效",
    CardStatus.EXPIRED.value: "已过期",
    CardStatus.REVOKED.value: "已注销",
    CardStatus.SUPERSEDED.value: "已换证",
    NO_CARD: "无证卡",
}

#: Sort orders: key → column label. The key ``-x`` sorts by ``x`` descending.
SORTS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号码",
    "card": "证卡编号",
    "occupation": "职业（工种）",
    "level": "级别",
    "city": "所在城市",
    "employer": "工作单位",
    "status": "状态",
    "valid_until": "有效期至",
    "deadline": "领取截止",
}

#: Shortest ID prefix searched (the province code alone, 51, would list everybody).
MIN_ID_PREFIX = 4
MSG_ID_FULL_ONLY = "请填写完整的18位身份证号码（部分号码查询仅限职鉴中心）"
MSG_ID_SHORT = f"身份证号码至少输入前 {MIN_ID_PREFIX} 位"
MSG_ID_CHARS = "身份证号码只能由数字组成，最后一位可以是X"


# --- who sees and corrects what ---------------------------------------------------------------

def reviews_person(user, person) -> bool:
    """Whether ``user`` reviews ``person``'s applications: the province (re-review, notice
    §二(三)) and the city centre of the person's city (initial review).

    A unit recommends its people but does not review them (a provincial-direct institution's
    initial review is of applications, which bring their own copy of the ID card), so a unit
    sees masked numbers everywhere.
    """
    if user.has_role("province"):
        return True
    return (user.has_role("city") and user.region_id is not None
            and user.region_id == person.region_id)


def sees_full_id(user, person) -> bool:
    """Whether the person's page shows ``user`` the whole ID number: the reviewers
    (:func:`reviews_person`) and the person themself. Lists and exports never do."""
    return reviews_person(user, person) or (
        user.person_id is not None and user.person_id == person.id)


def single_city(user) -> bool:
    """Whether everyone ``user`` sees lives in one city (a city centre officer who is not
    also the province): the registry then needs no city column and no city filter."""
    return user.has_role("city") and not user.has_role("province", "unit")


def can_edit_profile(user, person) -> bool:
    """Who corrects a person's Attachment 1 data, audited (issue 5 "officers see and correct
    those in scope"): the reviewers (:func:`reviews_person`). The person edits their own
    profile on 我的资料, with the name and ID number locked once they hold a card
    (:func:`portal.people.rules.self_editable_fields`)."""
    return reviews_person(user, person)


# --- the search box ---------------------------------------------------------------------------

def _clean(text: str | None) -> str:
    """NFKC (full-width digits and letters typed with a Chinese IME become ASCII), no
    whitespace anywhere."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def id_search_term(text: str | None) -> str:
    """The ID number search input as stored numbers are written: no spaces, ASCII digits,
    upper-case ``X``."""
    return _clean(text).upper()


def id_search_problem(term: str, *, may_search_prefix: bool) -> str | None:
    """Why an ID number search cannot run (a Chinese message), or None.

    Digits with an optional final ``X``. A whole number (18 characters) may be looked up by
    anyone using the registry. A prefix of at least :data:`MIN_ID_PREFIX` characters only by
    those who see whole numbers (``may_search_prefix``, the reviewers): otherwise a prefix
    search would reveal, digit by digit, the birth date the masked list hides.
    """
    if not term:
        return None
    body = term[:-1] if term.endswith("X") else term
    if not body.isdigit() or len(term) > 18 or (term.endswith("X") and len(term) != 18):
        return MSG_ID_CHARS
    if len(term) == 18:
        return None
    if not may_search_prefix:
        return MSG_ID_FULL_ONLY
    if len(term) < MIN_ID_PREFIX:
        return MSG_ID_SHORT
    return None


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix`` (in code
    point order): ``"张"`` → ``"弡"`` (U+5F20 → U+5F21). ``x >= prefix AND x < bound`` is then
    exactly "starts with ``prefix``" under binary (code point) collation, and can use an
    index where ``LIKE 'prefix%'`` cannot (SQLite's LIKE is case-insensitive, its indexes
    are not). ValueError for an empty prefix."""
    if not prefix:
        raise ValueError("empty prefix")
    head = prefix.rstrip(chr(0x10FFFF))
    if not head:
        raise ValueError("prefix has no upper bound")
    return head[:-1] + chr(ord(head[-1]) + 1)


def sort_key(value: str | None, status: str = "") -> tuple[str, bool]:
    """``(key, descending)`` for the ``sort`` argument (``"name"``, ``"-valid_until"``, …).

    Without a valid value the order suits the list: 待领取 by collection deadline (soonest
    first), 即将到期 by expiry, everything else by name.
    """
    text = (value or "").strip()
    descending = text.startswith("-")
    key = text.lstrip("-")
    if key in SORTS:
        return key, descending
    if status == CardStatus.PENDING_COLLECTION.value:
        return "deadline", False
    if status == CardStatus.EXPIRING.value:
        return "valid_until", False
    return "name", False


@dataclass(frozen=True)
class Filters:
    """The registry search, as it appears in the URL (every value a string, "" = any).

    ``name`` prefix of the name; ``id_number`` a whole number or a prefix
    (:func:`id_search_problem`); ``card`` prefix of the card number; ``occupation``,
    ``region`` and ``organisation`` ids; ``level`` a card level; ``status`` a key of
    :data:`STATUS_FILTERS`; ``sort`` see :func:`sort_key`.
    """

    name: str = ""
    id_number: str = ""
    card: str = ""
    occupation: str = ""
    level: str = ""
    region: str = ""
    organisation: str = ""
    status: str = ""
    sort: str = ""

    FIELDS = ("name", "id_number", "card", "occupation", "level", "region", "organisation",
              "status", "sort")

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """From request arguments: text trimmed (names keep inner spaces of foreign names
        collapsed), ids kept only when numeric, unknown statuses dropped."""
        def text(key: str) -> str:
            return " ".join((args.get(key) or "").split())[:40]

        def number(key: str) -> str:
            value = (args.get(key) or "").strip()
            return value if value.isdigit() else ""

        status = (args.get("status") or "").strip()
        return cls(
            name=unicodedata.normalize("NFKC", text("name")),
            id_number=id_search_term(args.get("id_number"))[:24],
            card=_clean(args.get("card"))[:30],
            occupation=number("occupation"), level=text("level"), region=number("region"),
            organisation=number("organisation"),
            status=status if status in STATUS_FILTERS else "",
            sort=(args.get("sort") or "").strip()[:20],
        )

    def args(self, **override: str) -> dict[str, str]:
        """The non-empty arguments, for links (``override`` replaces some)."""
        values = {f: getattr(self, f) for f in self.FIELDS}
        values.update(override)
        return {k: v for k, v in values.items() if v}

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f) for f in self.FIELDS if f != "sort")


# --- the quality line -------------------------------------------------------------------------

@dataclass(frozen=True)
class QualityLine:
    """An examiner's figures for renewal rules 1–2 of notice §三(五) over the 12 months up
    to ``today`` (:func:`portal.renewals.rules.term_window`): the same numbers the city's
    initial review of a renewal would see if it were submitted today."""

    window: tuple[date, date]
    sheets: int
    poor: int
    unjustified: int
    pending_judgement: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def poor_share(self) -> Decimal | None:
        """Share of 差 among finalised sheets in %, one decimal (None without a sheet)."""
        if not self.sheets:
            return None
        return (Decimal(self.poor * 100) / self.sheets).quantize(Decimal("0.1"))

    @property
    def rule1(self) -> bool:
        """Rule 1 met: 差 ≥ 30 % of the finalised sheets (:func:`poor_share_disqualifies`)."""
        return poor_share_disqualifies(self.poor, self.sheets)

    @property
    def rule2(self) -> bool:
        """Rule 2 met: three or more refusals without a justified reason."""
        return any(f.rule == 2 for f in self.findings)

    @property
    def titles(self) -> dict[int, str]:
        return {1: RULE_TITLES[1], 2: RULE_TITLES[2]}


def quality_line(sheets: Iterable[SheetRecord], refusals: Iterable[RefusalRecord], *,
                 pending_refusals: Iterable[date] = (), today: date) -> QualityLine:
    """The quality line of an examiner on ``today``.

    ``sheets`` are the examiner's finalised sheets, ``refusals`` their refusals whose reason
    has been judged (justified or not), ``pending_refusals`` the dates of refusals not judged
    yet (shown, never counted: only the assigner's judgement makes a refusal unjustified).
    The window and both rules come from :mod:`portal.renewals.rules`
    (:func:`disqualification_findings` with ``applied_on=today``), so the figures match what
    the renewal review applies; violations (rules 3–7) are not part of this line.
    """
    sheets, refusals = list(sheets), list(refusals)
    start, end = term_window(today)
    findings = disqualification_findings(sheets=sheets, refusals=refusals, violations=(),
                                         applied_on=today)
    in_window = [s for s in sheets if start <= s.finalised_on <= end]
    return QualityLine(
        window=(start, end),
        sheets=len(in_window),
        poor=sum(1 for s in in_window if s.grade == "差"),
        unjustified=sum(1 for r in refusals if not r.justified and start <= r.on <= end),
        pending_judgement=sum(1 for d in pending_refusals if start <= d <= end),
        findings=[f for f in findings if f.rule in (1, 2)],
    )

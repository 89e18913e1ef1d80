"""Import of persons and cards from the old system: reading the filled template and judging
every row, with no Flask and no database.

The province exports its register from the old system into the template (one row per card:
the holder's Attachment 1 basics, the occupation, the level, the old card number and its
dates) and uploads it. :func:`rows_from_table` turns the first worksheet into
:class:`CardRow` values (every cell as normalised text, never a formula); :func:`validate`
judges every row against what the portal already holds (:class:`Known`, a plain lookup built
by the caller) and returns one :class:`ImportPlan`: each row's status with its Chinese errors
and notes, the persons to create, the blank profile fields to fill and the cards to issue.
The plan is all-or-nothing: one error anywhere and nothing is imported.

Idempotence: a row whose card number already exists for the same holder with the same
occupation, level and dates is 已存在，跳过, so importing the same file twice changes nothing
the second time. A holder already in the portal (matched by ID number) is reused, never
duplicated; their profile is not overwritten, only blank 工作单位 / 联系手机 are filled in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from portal.cards.rules import CardStatus, card_status, valid_until
from portal.people.idcard import make_id_number, region_code_warning
from portal.people.rules import FIELD_LABELS, clean_profile
from portal.timeutil import cn_date
from portal.workdays import Deadline
from portal.xlsx_read import ImportFileError, header_key, text_of

#: Card levels (as :data:`portal.cards.models.CARD_LEVELS`, kept here so this module stays
#: free of the database layer; a test checks they agree).
LEVELS = ("考评员", "高级考评员")
#: Longest card number the register stores (``card.number`` is 30 characters).
MAX_NUMBER_LENGTH = 30
#: Most data rows one upload may hold: the whole register of a province fits in a few files.
MAX_ROWS = 20_000
#: Columns read from the sheet: the template has 11; extra columns are ignored.
MAX_COLUMNS = 30
#: Rows searched for the header row (the template's is below its instructions).
HEADER_SEARCH_ROWS = 40
#: Rows read below the header at most (data and blank rows).
MAX_SCAN_ROWS = MAX_ROWS + 5_000

# The template's columns, in order. Reading maps columns by these header texts, so a sheet
# whose columns were moved is read correctly.
H_NAME, H_GENDER, H_ID, H_CITY, H_EMPLOYER, H_MOBILE = (
    "姓名", "性别", "身份证号码", "所在城市", "工作单位", "联系手机")
H_OCCUPATION, H_LEVEL, H_NUMBER, H_ISSUED, H_COLLECTED = (
    "职业（工种）", "证卡级别", "证卡编号", "发证日期", "领取日期")
HEADERS = (H_NAME, H_GENDER, H_ID, H_CITY, H_EMPLOYER, H_MOBILE, H_OCCUPATION, H_LEVEL,
           H_NUMBER, H_ISSUED, H_COLLECTED)
#: Attribute of :class:`CardRow` for each header.
FIELDS = ("name", "gender", "id_number", "city", "employer", "mobile", "occupation", "level",
          "number", "issued_on", "collected_on")

#: The template's filled example row, recognised by its card number and never imported.
EXAMPLE_NUMBER = "示例-2023-000123"
EXAMPLE_ROW = ("张三", "男", make_id_number("510104", date(1980, 5, 6), 123), "成都市",
               "成都市示例职业技能评价中心", "13800001234", "电工", "考评员", EXAMPLE_NUMBER,
               "2023-05-06", "2023-06-01")

# Row statuses.
IMPORT, SKIP, EXAMPLE, ERROR = "import", "skip", "example", "error"
STATUS_LABELS = {IMPORT: "将导入", SKIP: "已存在，跳过", EXAMPLE: "示例行，不导入", ERROR: "有误"}

# The Chinese messages (tests and the page use the same texts).
E_NO_NUMBER = "未填写证卡编号"
E_NUMBER_SPACE = "证卡编号中不能有空格"
E_NUMBER_LONG = f"证卡编号不能超过 {MAX_NUMBER_LENGTH} 个字符"
E_ID_AS_NUMBER = ("身份证号码被表格软件存成了数字，后几位可能已经丢失：请把该列设为“文本”格式，"
                  "重新填写号码后再上传")
E_CITY = "所在城市须填写四川省 21 个市（州）之一或“四川省”的全称（如“成都市”“凉山彝族自治州”）"
E_OCCUPATION = "职业（工种）不在职业目录中（请填写目录中的名称或编码，如“电工”或“6-31-01-03”）"
E_LEVEL = "证卡级别只能是“考评员”或“高级考评员”"
E_NO_ISSUED = "未填写发证日期"
E_ISSUED_FUTURE = "发证日期不能晚于今天"
E_COLLECTED_FUTURE = "领取日期不能晚于今天"
E_COLLECTED_EARLY = "领取日期不能早于发证日期"
DATE_HINT = "请填写如 2023-05-06 或 2023年5月6日 的日期"


TEMPLATE_TITLE = "考评员证卡历史数据导入模板"
TEMPLATE_WIDTHS = [10, 6, 22, 14, 30, 14, 18, 12, 22, 13, 13]


def template_instructions(regions: Sequence[str], occupations: Sequence[tuple[str, str]]
                          ) -> list[str]:
    """The instructions printed above the template's header row (rows above the header are
    never read as data): what each column takes, with the region names and the occupation
    catalogue (code, name) of this installation."""
    return [
        "填写说明（请勿改动表头；表头以上各行不会导入；第一行数据是示例，导入时自动忽略，可以删除）：",
        "1. 每张证卡一行。同一人有多张证卡（不同职业或级别、换证前后）时填写多行，姓名和身份证号码须一致。",
        "2. 身份证号码：18 位，最后一位可以是 X。请将该列设为“文本”格式，否则表格软件会把号码存成数字、"
        "丢失后几位。",
        "3. 性别：男 或 女，可不填（按身份证号码确定）。联系手机：11 位手机号码，可不填。",
        "4. 所在城市：填写全称，只能是以下之一：" + "、".join(regions) + "。",
        "5. 职业（工种）：填写职业目录中的名称或编码：" + "；".join(
            f"{code} {name}" for code, name in occupations) + "。",
        "6. 证卡级别：考评员 或 高级考评员。证卡编号：按旧系统中的编号原样填写，不能重复。",
        "7. 发证日期必填，领取日期可不填（未领取）；日期填写如 2023-05-06，不能晚于今天，"
        "领取日期不能早于发证日期。",
        "8. 上传后先显示预览，每行的问题都会列出；全部无误后确认，才一次全部导入，有任何一行出错则一行也不导入。"
        "已在系统中的人员（按身份证号码）不会重复建立；已导入过的证卡（证卡编号、持证人和内容相同）自动跳过。",
    ]


# --- reading --------------------------------------------------------------------------------
# Headers as read (NFKC: "职业（工种）" reads as "职业(工种)", typed either way).
_KEYS = {h: header_key(h) for h in HEADERS}


@dataclass(frozen=True)
class CardRow:
    """One data row of the upload, every cell as normalised text. ``row`` is the row number
    the user sees in the spreadsheet. ``id_was_number`` is set when the ID number cell held a
    number rather than text: a spreadsheet keeps only 15 significant digits of a number, so
    the last digits of an 18-digit ID number are lost."""

    row: int
    name: str = ""
    gender: str = ""
    id_number: str = ""
    city: str = ""
    employer: str = ""
    mobile: str = ""
    occupation: str = ""
    level: str = ""
    number: str = ""
    issued_on: str = ""
    collected_on: str = ""
    id_was_number: bool = False


def rows_from_table(table: Iterable[Sequence[Any]]) -> list[CardRow]:
    """The data rows of a sheet given as rows of cell values (row 1 first).

    The header row is the first one holding ``身份证号码`` and ``证卡编号``; every template
    header must be in it. Rows above it (title, instructions) are skipped, and so are rows
    below it with every template cell blank. Raises :class:`ImportFileError` (Chinese) for a
    sheet without the header or with more than :data:`MAX_ROWS` data rows.
    """
    rows = iter(table)
    columns: dict[str, int] | None = None
    header_row = 0
    for number, values in enumerate(rows, start=1):
        keys = [header_key(v) for v in values]
        if _KEYS[H_ID] in keys and _KEYS[H_NUMBER] in keys:
            missing = [h for h in HEADERS if _KEYS[h] not in keys]
            if missing:
                raise ImportFileError("表头缺少以下列：" + "、".join(missing)
                                      + "。请使用本页下载的模板填写")
            columns = {h: keys.index(_KEYS[h]) for h in HEADERS}
            header_row = number
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if columns is None:
        raise ImportFileError("没有找到模板的表头（姓名、性别、身份证号码 … 领取日期）。"
                              "请使用本页下载的模板填写")

    indexes = [columns[h] for h in HEADERS]
    id_index = columns[H_ID]
    parsed: list[CardRow] = []
    for number, values in enumerate(rows, start=header_row + 1):
        if number > header_row + MAX_SCAN_ROWS:
            raise ImportFileError(f"表格超过 {MAX_SCAN_ROWS} 行，请删除多余的行或分开上传")
        cells = [values[i] if i < len(values) else None for i in indexes]
        texts = [text_of(c) for c in cells]
        if not any(texts):
            continue
        if len(parsed) >= MAX_ROWS:
            raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行，请分开上传")
        raw_id = values[id_index] if id_index < len(values) else None
        as_number = isinstance(raw_id, int | float) and not isinstance(raw_id, bool)
        parsed.append(CardRow(number, **dict(zip(FIELDS, texts, strict=True)),
                              id_was_number=as_number))
    return parsed


# --- dates ------------------------------------------------------------------------------------
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
#: Excel stores a date as days since 1899-12-30 (in the 1900 date system, from 1 March 1900
#: on); a date cell formatted as a number reads as such a serial.
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL = re.compile(r"\d{5}")


def parse_date(text: str) -> date:
    """The date written in a cell, or ValueError.

    Accepted: ``2023-05-06``, ``2023/5/6``, ``2023.5.6``, ``2023年5月6日`` (a time after the
    date is ignored, as a spreadsheet date-time cell reads ``2023-05-06T08:00:00``), the
    compact ``20230506``, and a five-digit Excel serial number (``45052`` is 2023-05-06: a
    date cell that was formatted as a number).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    match = _YMD.fullmatch(text) or _COMPACT.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day)  # ValueError for 2023-02-30
    if _SERIAL.fullmatch(text):
        return _EXCEL_EPOCH + timedelta(days=int(text))
    raise ValueError(text)


# --- what the portal holds --------------------------------------------------------------------
@dataclass(frozen=True)
class KnownPerson:
    """A person already in the portal, found by the ID number of a row."""

    id: int
    name: str
    region: str
    employer: str
    mobile: str
    organisation_id: int | None = None


@dataclass(frozen=True)
class KnownCard:
    """A card already in the portal, found by the card number of a row."""

    number: str
    holder_id_number: str
    holder_name: str
    occupation_id: int
    occupation: str
    level: str
    issued_on: date
    collected_on: date | None


@dataclass(frozen=True)
class Known:
    """What :func:`validate` needs to know of the portal, read by the caller.

    ``regions``: region name → id (the 21 cities/prefectures and 四川省); ``occupations``:
    catalogue code and name → (id, name); ``organisations``: registered organisation name →
    id (a new person whose 工作单位 is exactly one of them is linked to it, which decides the
    unit that sees them); ``persons``: ID number → :class:`KnownPerson` for the ID numbers of
    the file; ``cards``: number → :class:`KnownCard` for the card numbers of the file.
    """

    regions: Mapping[str, int]
    occupations: Mapping[str, tuple[int, str]]
    organisations: Mapping[str, int] = field(default_factory=dict)
    persons: Mapping[str, KnownPerson] = field(default_factory=dict)
    cards: Mapping[str, KnownCard] = field(default_factory=dict)


# --- judging ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewPerson:
    """A person to create (from the first row naming their ID number): fields for
    :func:`portal.people.operations.create_person`."""

    row: int
    fields: Mapping[str, object]


@dataclass(frozen=True)
class PersonFill:
    """Blank profile fields of an existing person to fill in from the file."""

    row: int
    person_id: int
    changes: Mapping[str, object]


@dataclass(frozen=True)
class NewCard:
    """A card to issue through :func:`portal.cards.operations.issue_card` with
    ``origin="imported"``, its old number and dates."""

    row: int
    id_number: str
    occupation_id: int
    level: str
    number: str
    issued_on: date
    collected_on: date | None


@dataclass
class RowResult:
    row: CardRow
    status: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The card's status on the import day, for the rows to import.
    card_status: CardStatus | None = None
    #: The dates as read (None when blank or unreadable), for the preview.
    issued_on: date | None = None
    collected_on: date | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ImportPlan:
    """Every row's result in file order, and what to write (nothing when any row has an
    error: all or nothing)."""

    results: list[RowResult]
    new_persons: list[NewPerson] = field(default_factory=list)
    fills: list[PersonFill] = field(default_factory=list)
    cards: list[NewCard] = field(default_factory=list)
    #: Existing persons who receive at least one new card.
    reused_persons: int = 0

    def _count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        """True when there is at least one card row and no row has an error."""
        return (any(r.status in (IMPORT, SKIP) for r in self.results)
                and not any(r.status == ERROR for r in self.results))

    @property
    def data_rows(self) -> int:
        """Rows of the file other than the template's example."""
        return sum(r.status != EXAMPLE for r in self.results)

    @property
    def import_rows(self) -> int:
        return self._count(IMPORT)

    @property
    def skip_rows(self) -> int:
        return self._count(SKIP)

    @property
    def error_rows(self) -> int:
        return self._count(ERROR)

    @property
    def errors_first(self) -> list[RowResult]:
        return [r for r in self.results if r.status == ERROR]

    def summary(self) -> dict[str, int]:
        """The counts of the import report (kept with the audit)."""
        return {"rows": self.data_rows, "persons_created": len(self.new_persons),
                "persons_updated": len(self.fills), "persons_reused": self.reused_persons,
                "cards_created": len(self.cards), "skipped": self.skip_rows}


def find_occupation(text: str, occupations: Mapping[str, tuple[int, str]]
                    ) -> tuple[int, str] | None:
    """The catalogue occupation a cell names: its exact name or code (``电工``,
    ``6-31-01-03``), or both (``6-31-01-03 电工``, ``电工（6-31-01-03）``) when they agree;
    else None."""
    if text in occupations:
        return occupations[text]
    parts = [p for p in re.split(r"[\s()（）\[\]【】/]+", text) if p]
    found = {occupations[p] for p in parts if p in occupations}
    return found.pop() if len(found) == 1 and len(parts) <= 2 else None


def _same_name(a: str, b: str) -> bool:
    return "".join(unicodedata.normalize("NFKC", a).split()) == "".join(
        unicodedata.normalize("NFKC", b).split())


def _gender(text: str) -> str:
    """``男性`` reads as ``男``; blank stays blank (the ID number then decides)."""
    return text[:-1] if text in ("男性", "女性") else text


def _date_cell(label: str, text: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        errors.append(f"{label}“{text[:20]}”无法识别（{DATE_HINT}）")
        return None


def _person_errors(row: CardRow, today: date) -> tuple[dict[str, object], list[str]]:
    """The row's person fields checked by the profile rules (one message per field)."""
    values: dict[str, object] = {"name": row.name, "mobile": row.mobile,
                                 "employer": row.employer}
    errors = []
    if row.id_was_number:
        errors.append(E_ID_AS_NUMBER)
    elif not row.id_number:
        errors.append("未填写身份证号码")
    else:
        values["id_number"] = row.id_number
    gender = _gender(row.gender)
    if gender in ("男", "女"):
        values["gender"] = gender
    elif gender:
        errors.append(f"性别只能填写“男”或“女”（填的是“{gender[:10]}”）")
    clean, problems = clean_profile(values, today=today)
    for key, message in problems.items():
        label = FIELD_LABELS[key]
        errors.append(message if message.startswith((label, "请")) else f"{label}：{message}")
    return clean, errors


def validate(rows: Sequence[CardRow], known: Known, *, today: date,
             deadline_for: Callable[[date], Deadline] | None = None) -> ImportPlan:
    """Judge every row of an upload against what the portal holds (``known``).

    A row is an error when: a person field breaks the profile rules (name missing or too
    long, ID number with a bad length, birth date or check character — notice Attachment 1,
    DESIGN.md "ID numbers" —, a mobile that is not 11 digits, a gender that contradicts the ID
    number); the ID number cell held a number; the city or the occupation is unknown; the
    level is neither 考评员 nor 高级考评员; the card number is missing, has spaces, is too
    long, repeats an earlier row's, or exists in the portal for another holder or with other
    data; a date does not parse, the issue date is missing, a date lies after ``today`` or
    the collection date before the issue date; the ID number belongs to a person in the
    portal with another name, or repeats an earlier row's with another name.

    A row whose card exists for the same holder with the same occupation, level, issue date
    (and collection date, when the row gives one) is :data:`SKIP`. The template's example row
    is :data:`EXAMPLE`. Every other row is imported.

    Notes (not errors): an ID number whose region code is unknown; person details that
    differ from the portal's (the portal's are kept) or from an earlier row's; a card
    without a collection date whose real collection deadline (``deadline_for(issued_on)``,
    60 working days) has passed, which the next void sweep will void (notice §五(一)); a
    collection after that deadline.
    """
    results: list[RowResult] = []
    plan = ImportPlan(results)
    numbers_seen: dict[str, int] = {}
    persons_seen: dict[str, CardRow] = {}
    created: dict[str, NewPerson] = {}
    filled: dict[int, PersonFill] = {}
    reused: set[int] = set()
    pending_cards: list[tuple[RowResult, NewCard, str]] = []

    for row in rows:
        if row.number == EXAMPLE_NUMBER:
            results.append(RowResult(row, EXAMPLE))
            continue
        errors: list[str] = []
        notes: list[str] = []
        clean, person_errors = _person_errors(row, today)
        errors.extend(person_errors)
        id_number = str(clean.get("id_number", ""))
        if id_number and region_code_warning(id_number):
            notes.append(f"身份证号码前 6 位“{id_number[:6]}”不在行政区划代码表中，请核对"
                         "（不影响导入）")

        region_id = known.regions.get(row.city)
        if region_id is None:
            errors.append(E_CITY if row.city else "未填写所在城市")
        occupation = find_occupation(row.occupation, known.occupations) if row.occupation \
            else None
        if occupation is None:
            errors.append(f"{E_OCCUPATION}：“{row.occupation[:20]}”" if row.occupation
                          else "未填写职业（工种）")
        if row.level not in LEVELS:
            errors.append(E_LEVEL if row.level else "未填写证卡级别")

        number = row.number
        if not number:
            errors.append(E_NO_NUMBER)
        elif any(ch.isspace() for ch in number):
            errors.append(E_NUMBER_SPACE)
        elif len(number) > MAX_NUMBER_LENGTH:
            errors.append(E_NUMBER_LONG)
        elif number in numbers_seen:
            errors.append(f"证卡编号与第 {numbers_seen[number]} 行重复")
        else:
            numbers_seen[number] = row.row

        issued = _date_cell("发证日期", row.issued_on, errors)
        collected = _date_cell("领取日期", row.collected_on, errors)
        if not row.issued_on:
            errors.append(E_NO_ISSUED)
        if issued and issued > today:
            errors.append(f"{E_ISSUED_FUTURE}（填的是 {cn_date(issued)}）")
        if collected and collected > today:
            errors.append(f"{E_COLLECTED_FUTURE}（填的是 {cn_date(collected)}）")
        if issued and collected and collected < issued:
            errors.append(f"{E_COLLECTED_EARLY}（{cn_date(issued)}）")

        # The holder: in the portal already, earlier in the file, or new.
        person = known.persons.get(id_number) if id_number else None
        earlier = persons_seen.get(id_number) if id_number else None
        if person is not None and row.name and not _same_name(row.name, person.name):
            errors.append(f"身份证号码已登记在系统中的“{person.name}”名下，与本行姓名不一致")
        elif earlier is not None and row.name and not _same_name(row.name, earlier.name):
            errors.append(f"与第 {earlier.row} 行身份证号码相同，但姓名不同")
        elif person is not None:
            for label, mine, theirs in (("所在城市", row.city, person.region),
                                        ("工作单位", row.employer, person.employer),
                                        ("联系手机", clean.get("mobile", ""), person.mobile)):
                if mine and theirs and mine != theirs:
                    notes.append(f"{label}与系统中的不同，保留系统中的“{theirs}”")
        elif earlier is not None and (row.city, row.employer, row.mobile) != (
                earlier.city, earlier.employer, earlier.mobile):
            notes.append(f"人员资料以第 {earlier.row} 行为准")

        # The card: new, already there (skip), or in conflict.
        existing = known.cards.get(number) if number else None
        if existing is not None and id_number:
            if existing.holder_id_number != id_number:
                errors.append(f"证卡编号已存在，属于系统中的“{existing.holder_name}”")
            else:
                differences = []
                if occupation is not None and occupation[0] != existing.occupation_id:
                    differences.append(f"职业（工种）（系统中为{existing.occupation}）")
                if row.level in LEVELS and row.level != existing.level:
                    differences.append(f"证卡级别（系统中为{existing.level}）")
                if issued and issued != existing.issued_on:
                    differences.append(f"发证日期（系统中为{cn_date(existing.issued_on)}）")
                if collected and collected != existing.collected_on:
                    differences.append("领取日期（系统中为"
                                       f"{cn_date(existing.collected_on) or '未领取'}）")
                if differences:
                    errors.append("证卡编号已存在，但与系统中的记录不一致："
                                  + "、".join(differences))

        dates = {"issued_on": issued, "collected_on": collected}
        if errors:
            results.append(RowResult(row, ERROR, errors, notes, **dates))
            if id_number and earlier is None:
                persons_seen[id_number] = row
            continue
        if existing is not None:
            results.append(RowResult(row, SKIP, notes=notes, **dates))
            if earlier is None:
                persons_seen[id_number] = row
            continue

        assert issued is not None and occupation is not None and region_id is not None
        if deadline_for is not None and collected is None:
            deadline = deadline_for(issued)
            if not deadline.provisional and deadline.day < today:
                notes.append(f"未填写领取日期，领取期限（{cn_date(deadline.day)}）已过："
                             "导入后将按规定作废（连续两次作废将取消申报资格）")
        elif deadline_for is not None and collected is not None:
            deadline = deadline_for(issued)
            if not deadline.provisional and collected > deadline.day:
                notes.append(f"领取日期晚于领取期限（{cn_date(deadline.day)}），按旧系统记录导入为已领取")
        status = card_status(valid_until=valid_until(issued), collected_on=collected,
                             voided_on=None, revoked_on=None, today=today)
        result = RowResult(row, IMPORT, notes=notes, card_status=status, **dates)
        results.append(result)
        card = NewCard(row.row, id_number, occupation[0], row.level, number, issued, collected)
        pending_cards.append((result, card, id_number))

        if person is not None:
            reused.add(person.id)
            fill = {}
            if not person.employer and clean.get("employer"):
                fill["employer"] = clean["employer"]
                org_id = known.organisations.get(str(clean["employer"]))
                if person.organisation_id is None and org_id is not None:
                    fill["organisation_id"] = org_id
            if not person.mobile and clean.get("mobile"):
                fill["mobile"] = clean["mobile"]
            if fill and person.id not in filled:
                filled[person.id] = PersonFill(row.row, person.id, fill)
        elif earlier is None and id_number not in created:
            fields: dict[str, object] = {
                "name": clean["name"], "id_number": id_number, "region_id": region_id,
                "employer": clean.get("employer", ""), "mobile": clean.get("mobile", ""),
                "organisation_id": known.organisations.get(str(clean.get("employer", ""))),
            }
            if "gender" in clean:
                fields["gender"] = clean["gender"]
            created[id_number] = NewPerson(row.row, fields)
        if earlier is None:
            persons_seen[id_number] = row

    # A later row of a person whose first row was skipped or had an error has no creator;
    # with an error the plan is void anyway, and a skipped row means the person exists.
    if any(r.status == ERROR for r in results):
        return plan
    plan.new_persons = list(created.values())
    plan.fills = list(filled.values())
    plan.cards = [card for _, card, _ in pending_cards]
    plan.reused_persons = len(reused)
    return plan

"""Bulk upload of Attachment 4 records from offline sites: reading the filled template and
judging every row, with no Flask and no database.

An institution whose site had no network fills the template (one row per examiner per rater,
levels of items 1–15) from the signed paper forms and uploads it. :func:`read_workbook` turns
the XLSX into :class:`ParsedRow` values (every cell as normalised text, never as a formula);
:func:`validate` judges every row against what the batch holds (a plain lookup built by the
caller) and returns one :class:`ImportPlan`: each row's status with its Chinese errors, and the
columns to write. The plan is all-or-nothing: one error anywhere and nothing is imported.

A submitted column whose stored levels equal the row's is "无变化", not an error, so importing
the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Re-exported: the reading helpers every import shares live in portal.xlsx_read.
from portal.xlsx_read import (  # noqa: F401
    MAX_UNPACKED_BYTES,
    XLSX_MAGIC,
    ImportFileError,
    find_header,
    read_first_sheet,
    text_of,
)

ITEM_COUNT = 15
LEVELS = ("A", "B", "C", "D")
#: Most data rows one upload may hold (a batch has a few dozen examiners, two rows each).
MAX_ROWS = 500
#: Columns read from the sheet: the template has 20; extra columns are ignored.
MAX_COLUMNS = 40
#: Rows searched for the header row (the template's is row 6).
HEADER_SEARCH_ROWS = 30
#: Rows read below the header at most (data, blank rows, the footer).
MAX_SCAN_ROWS = 5000

#: The role column's texts (as :data:`portal.sheets.models.RATER_LABELS`, kept here so this
#: module stays free of the database layer; a test checks they agree).
ROLE_BY_LABEL = {"质量督导员": "supervisor", "评价机构考场负责人": "site_lead"}

# The template's columns, in order. Reading maps columns by these header texts, so a sheet
# whose columns were moved is read correctly.
H_BATCH, H_CARD, H_NAME, H_ROLE, H_RATER = "考评批次", "证卡编号", "考评员姓名", "评分人角色", "评分人"
ITEM_HEADERS = tuple(f"第{n}项" for n in range(1, ITEM_COUNT + 1))
HEADERS = (H_BATCH, H_CARD, H_NAME, H_ROLE, H_RATER, *ITEM_HEADERS)

# Row statuses.
IMPORT, UNCHANGED, ERROR = "import", "unchanged", "error"
STATUS_LABELS = {IMPORT: "将导入", UNCHANGED: "无变化", ERROR: "有误"}

# The Chinese messages (tests and the page use the same texts).
E_UNKNOWN_CARD = "未知证卡编号（本批次没有该证卡的考评员）"
E_NO_CARD = "未填写证卡编号"
E_WRONG_BATCH = "不属于本批次"
E_ROLE = "评分人角色无效（只能是“质量督导员”或“评价机构考场负责人”）"
E_NOT_ASSIGNED = "该评分人未指派（请先为本批次指派该评分人）"
E_SUBMITTED = "该列已提交（如需更正请联系职鉴中心重新打开）"
E_INCOMPLETE = "15 项未填全"
E_LEVEL = "等级只能是 A、B、C、D"


# --- reading --------------------------------------------------------------------------------
def level_of(value: Any) -> str:
    """A level cell as text: ``" ａ "`` → ``"A"``. Whether it is a level is :func:`validate`'s
    question."""
    return text_of(value).upper()


@dataclass(frozen=True)
class ParsedRow:
    """One data row of the upload, every cell as normalised text. ``row`` is the row number
    the user sees in the spreadsheet; ``levels`` holds items 1–15 in order ("" when blank)."""

    row: int
    batch: str
    card: str
    name: str
    role: str
    rater: str
    levels: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "batch": self.batch, "card": self.card, "name": self.name,
                "role": self.role, "rater": self.rater, "levels": list(self.levels)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParsedRow:
        """The row back from :meth:`to_json`; raises ``ValueError`` on anything else."""
        texts = [data[k] for k in ("batch", "card", "name", "role", "rater")]
        levels = data["levels"]
        if (not isinstance(data["row"], int) or isinstance(data["row"], bool)
                or not all(isinstance(t, str) for t in texts)
                or not isinstance(levels, list) or len(levels) != ITEM_COUNT
                or not all(isinstance(lv, str) for lv in levels)):
            raise ValueError("malformed import row")
        return cls(data["row"], *texts, levels=tuple(levels))


def rows_from_table(table: Iterable[Sequence[Any]]) -> list[ParsedRow]:
    """The data rows of a sheet given as rows of cell values (row 1 first).

    The header row is the first one holding every template header (``证卡编号``, ``第1项`` …);
    rows above it (title, batch details) are skipped, and so are rows below it with nothing
    in the card, name, role, rater or level cells (blank rows, the explanatory footer).
    """
    rows = iter(table)
    columns, header_row = find_header(
        rows, markers=(H_CARD, ITEM_HEADERS[0]), required=HEADERS, search_rows=HEADER_SEARCH_ROWS,
        not_found="没有找到模板的表头（考评批次、证卡编号 … 第15项）。请使用本页下载的模板填写")

    parsed: list[ParsedRow] = []
    for number, values in enumerate(rows, start=header_row + 1):
        if number > header_row + MAX_SCAN_ROWS:
            raise ImportFileError(f"表格超过 {MAX_SCAN_ROWS} 行，请删除多余的行或分开上传")
        def cell(header: str, values: Sequence[Any] = values) -> Any:
            index = columns[header]
            return values[index] if index < len(values) else None

        card, name, role, rater = (text_of(cell(h)) for h in (H_CARD, H_NAME, H_ROLE, H_RATER))
        levels = tuple(level_of(cell(h)) for h in ITEM_HEADERS)
        if not (card or name or role or rater or any(levels)):
            continue
        if len(parsed) >= MAX_ROWS:
            raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行评分，请分开上传")
        parsed.append(ParsedRow(number, text_of(cell(H_BATCH)), card, name, role, rater,
                                levels))
    return parsed


def read_workbook(data: bytes) -> list[ParsedRow]:
    """The data rows of the first worksheet of an XLSX file given as bytes.

    The file must be a real XLSX; formulas are never evaluated
    (:func:`portal.xlsx_read.read_first_sheet`). Raises :class:`ImportFileError` with a
    Chinese message for anything else.
    """
    return read_first_sheet(data, rows_from_table, max_columns=MAX_COLUMNS)


# --- judging --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedChange:
    """One column to import: store ``levels`` and submit it as its rater's, flagged imported.
    ``overwrites`` lists the items whose level, saved online earlier, the row changes."""

    row: int
    sheet_id: int
    role: str
    levels: dict[int, str]
    overwrites: tuple[int, ...] = ()


@dataclass
class RowResult:
    row: ParsedRow
    status: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def role_label(self) -> str:
        return self.row.role


@dataclass
class ImportPlan:
    """Every row's result, in file order, and the columns to write (empty when any row has
    an error: all or nothing)."""

    results: list[RowResult]
    changes: list[PlannedChange]

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.status != ERROR for r in self.results)

    @property
    def import_rows(self) -> int:
        """Rows that are good and change something (imported once no row has an error)."""
        return sum(r.status == IMPORT for r in self.results)

    @property
    def error_rows(self) -> int:
        return sum(r.status == ERROR for r in self.results)

    @property
    def unchanged_rows(self) -> int:
        return sum(r.status == UNCHANGED for r in self.results)


def validate(rows: Sequence[ParsedRow], sheets: Mapping[str, Mapping[str, Mapping[str, Any]]],
             batch_number: str) -> ImportPlan:
    """Judge every row of an upload for the batch numbered ``batch_number``.

    ``sheets`` describes the batch's sheets as they stand:
    ``{card_number: {role: {"sheet_id", "submitted", "rater_id", "rater_name", "levels",
    "examiner_name"}}}`` with ``levels`` ``{item: level}`` of what is stored, ``rater_id``
    None when no rater is assigned to the column (``rater_name`` and ``examiner_name`` are
    optional: when given, a row naming someone else is refused).

    A row is an error when its batch is not this one, its card is not in the batch, its role
    is unknown, a level is not A–D, an item is blank, the column has no rater, it repeats an
    earlier row's card and role, it names a different examiner or rater, or the column is
    submitted with different levels. A submitted column with the same levels is 无变化; any
    other good row will be imported. Errors say which item or which earlier row.
    """
    batch_number = text_of(batch_number)
    results: list[RowResult] = []
    changes: list[PlannedChange] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        errors: list[str] = []
        notes: list[str] = []
        if row.batch != batch_number:
            errors.append(f"{E_WRONG_BATCH}（本批次编号为 {batch_number}）")
        by_role = sheets.get(row.card) if row.card else None
        if not row.card:
            errors.append(E_NO_CARD)
        elif by_role is None:
            errors.append(E_UNKNOWN_CARD)
        role = ROLE_BY_LABEL.get(row.role)
        if role is None:
            errors.append(E_ROLE)

        levels: dict[int, str] = {}
        missing: list[int] = []
        for number, level in enumerate(row.levels, start=1):
            if not level:
                missing.append(number)
            elif level not in LEVELS:
                errors.append(f"第 {number} 项：{E_LEVEL}（填的是“{level[:10]}”）")
            else:
                levels[number] = level
        if missing:
            errors.append(f"{E_INCOMPLETE}（缺第 " + "、".join(map(str, missing)) + " 项）")
        complete = len(levels) == ITEM_COUNT

        column = by_role.get(role) if by_role is not None and role is not None else None
        if by_role is not None and role is not None and column is None:
            errors.append(E_NOT_ASSIGNED)
        if role is not None and row.card:
            key = (row.card, role)
            if key in seen:
                errors.append(f"与第 {seen[key]} 行重复（同一证卡、同一评分人角色只能有一行）")
            else:
                seen[key] = row.row
        if column is not None:
            examiner = column.get("examiner_name")
            if row.name and examiner and row.name != examiner:
                errors.append(f"考评员姓名与证卡编号不符（该证卡的持有人是 {examiner}）")
            if column.get("rater_id") is None:
                errors.append(E_NOT_ASSIGNED)
            else:
                rater = column.get("rater_name")
                if row.rater and rater and row.rater != rater:
                    errors.append(f"评分人与本批次指派的不一致（指派的是 {rater}）")
            stored = {int(k): v for k, v in (column.get("levels") or {}).items()}
            if column.get("submitted"):
                if not (complete and stored == levels):
                    errors.append(E_SUBMITTED)
            elif complete and stored:
                # Progress is public, the levels are not (blind scoring): say how many, not which.
                notes.append(f"该列在线已评 {len(stored)} 项，导入后以本文件为准")

        if errors:
            results.append(RowResult(row, ERROR, errors))
        elif column is not None and column.get("submitted"):
            results.append(RowResult(row, UNCHANGED))
        else:
            assert column is not None and role is not None
            results.append(RowResult(row, IMPORT, notes=notes))
            stored = {int(k): v for k, v in (column.get("levels") or {}).items()}
            changes.append(PlannedChange(
                row=row.row, sheet_id=column["sheet_id"], role=role, levels=levels,
                overwrites=tuple(n for n in sorted(stored) if stored[n] != levels.get(n)),
            ))
    if any(r.status == ERROR for r in results):
        changes = []
    return ImportPlan(results, changes)


"""Importing a session's assessment results from XLSX: reading the filled template and judging
every row, with no Flask and no database.

The province downloads the session's template (one row per participant who attended), types
each score (and, if it likes, 合格/不合格), and uploads it. :func:`read_workbook` turns the
XLSX into :class:`ParsedRow` values (cells as normalised text, never evaluated);
:func:`validate` judges every row against what the caller looked up and returns an
:class:`ImportPlan`: every row's status with its Chinese errors, and the results to record.
One error anywhere and nothing is recorded (all or nothing).

A row whose participant already has this very result is "无变化", and a row with no score and
no verdict is "未填写" (left for later), so importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portal.applications.rules import Stage
from portal.training.session_rules import (
    PASS_MARK,
    Result,
    ScoreError,
    parse_result,
    parse_score,
    result_for,
    result_problem,
)
from portal.xlsx_read import ImportFileError, find_header, read_first_sheet, text_of

__all__ = [
    "HEADERS",
    "ImportFileError",
    "ImportPlan",
    "ParsedRow",
    "PlannedResult",
    "RowResult",
    "Participant",
    "read_workbook",
    "rows_from_table",
    "validate",
]

#: Most data rows one upload may hold (a session has at most a few hundred participants).
MAX_ROWS = 1000
MAX_COLUMNS = 20
HEADER_SEARCH_ROWS = 30
MAX_SCAN_ROWS = 5000

H_SEQ, H_APP, H_NAME, H_ID = "序号", "申报编号", "姓名", "身份证号码"
H_UNIT, H_OCCUPATION, H_LEVEL = "推荐单位", "职业（工种）", "级别"
H_SCORE, H_RESULT = "考核成绩", "考核结果"
#: The template's columns, in order; reading finds them by header text. 序号 comes first so
#: that the explanatory footer, written in column A, lands in a column nobody reads.
HEADERS = (H_SEQ, H_APP, H_NAME, H_ID, H_UNIT, H_OCCUPATION, H_LEVEL, H_SCORE, H_RESULT)
#: The columns a file must have (the others are for the reader's eyes).
REQUIRED_HEADERS = (H_APP, H_NAME, H_ID, H_SCORE, H_RESULT)

IMPORT, UNCHANGED, BLANK, ERROR = "import", "unchanged", "blank", "error"
STATUS_LABELS = {IMPORT: "将导入", UNCHANGED: "无变化", BLANK: "未填写，跳过", ERROR: "有误"}

E_NO_KEY = "未填写申报编号或身份证号码"
E_UNKNOWN_APPLICATION = "未知的申报编号（本培训计划中没有该申报）"
E_UNKNOWN_ID = "未知的身份证号码（本培训计划中没有该人员的申报）"
E_ID_MISMATCH = "身份证号码与申报编号不符"
E_NOT_IN_SESSION = "该申报人不在本场培训中"
E_RESULT_TEXT = "考核结果只能填“合格”或“不合格”（也可不填，按成绩判定）"
E_BANNED = "该人员已被永久取消申报资格（连续两次未领取证卡），不能发证"
E_NOT_ATTENDED = "尚未记录参加培训，不能录入考核成绩"
E_ABSENT = "未参加培训，不能录入考核成绩"


@dataclass(frozen=True)
class ParsedRow:
    """One data row of the upload as normalised text; ``row`` is the spreadsheet's row."""

    row: int
    application: str
    name: str
    id_number: str
    score: str
    result: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "application": self.application, "name": self.name,
                "id_number": self.id_number, "score": self.score, "result": self.result}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParsedRow:
        """The row back from :meth:`to_json`; ValueError on anything else."""
        texts = [data[k] for k in ("application", "name", "id_number", "score", "result")]
        if (not isinstance(data["row"], int) or isinstance(data["row"], bool)
                or not all(isinstance(t, str) for t in texts)):
            raise ValueError("malformed import row")
        return cls(data["row"], *texts)


def rows_from_table(table: Iterable[Sequence[Any]]) -> list[ParsedRow]:
    """The data rows of a sheet given as rows of cell values (row 1 first).

    The header row is the first holding 申报编号 and 考核成绩; rows above it (title, session
    details) are skipped, and so are rows below it with nothing in the 申报编号, 姓名, 身份证号码,
    成绩 and 结果 cells (blank rows, the explanatory footer).
    """
    rows = iter(table)
    columns, header_row = find_header(
        rows, markers=(H_APP, H_SCORE), required=REQUIRED_HEADERS,
        search_rows=HEADER_SEARCH_ROWS,
        not_found="没有找到模板的表头（申报编号、姓名、身份证号码 … 考核结果）。请使用本页下载的模板填写")
    parsed: list[ParsedRow] = []
    for number, values in enumerate(rows, start=header_row + 1):
        if number > header_row + MAX_SCAN_ROWS:
            raise ImportFileError(f"表格超过 {MAX_SCAN_ROWS} 行，请删除多余的行")

        def cell(header: str, values: Sequence[Any] = values) -> str:
            index = columns[header]
            return text_of(values[index]) if index < len(values) else ""

        texts = [cell(h) for h in (H_APP, H_NAME, H_ID, H_SCORE, H_RESULT)]
        if not any(texts):
            continue
        if len(parsed) >= MAX_ROWS:
            raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行成绩")
        application, name, id_number, score, result = texts
        parsed.append(ParsedRow(number, application, name, id_number.upper(), score, result))
    return parsed


def read_workbook(data: bytes) -> list[ParsedRow]:
    """The data rows of the first worksheet of an XLSX file given as bytes; formulas are never
    evaluated. :class:`ImportFileError` with a Chinese message for anything else."""
    return read_first_sheet(data, rows_from_table, max_columns=MAX_COLUMNS)


@dataclass(frozen=True)
class Participant:
    """What the caller knows of one application of the session's plan (looked up by the
    application ids and ID numbers the file names)."""

    application_id: int
    name: str
    id_number: str
    session_id: int | None
    stage: str
    score: Decimal | None
    banned: bool


@dataclass(frozen=True)
class PlannedResult:
    """One result to record: the application and its score (the verdict follows)."""

    row: int
    application_id: int
    score: Decimal

    @property
    def result(self) -> Result:
        return result_for(self.score)


@dataclass
class RowResult:
    row: ParsedRow
    status: str
    errors: list[str] = field(default_factory=list)
    score: Decimal | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def verdict(self) -> str:
        return result_for(self.score).value if self.score is not None else ""


@dataclass
class ImportPlan:
    """Every row's result in file order, and the results to record (none when any row has an
    error: all or nothing)."""

    results: list[RowResult]
    changes: list[PlannedResult]

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.status != ERROR for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def passes(self) -> int:
        return sum(c.result is Result.PASS for c in self.changes)


def _identify(row: ParsedRow, by_id: Mapping[int, Participant],
              by_id_number: Mapping[str, Participant], errors: list[str]) -> Participant | None:
    """The participant a row names, by 申报编号 or else 身份证号码; errors when unknown or when
    the two disagree."""
    found = None
    if row.application:
        number = int(row.application) if row.application.isdigit() else None
        found = by_id.get(number) if number is not None else None
        if found is None:
            errors.append(E_UNKNOWN_APPLICATION)
        elif row.id_number and row.id_number != found.id_number:
            errors.append(E_ID_MISMATCH)
    elif row.id_number:
        found = by_id_number.get(row.id_number)
        if found is None:
            errors.append(E_UNKNOWN_ID)
    else:
        errors.append(E_NO_KEY)
    if found is not None and row.name and row.name != found.name:
        errors.append(f"姓名与申报不符（该申报的申报人是 {found.name}）")
    return found


def validate(rows: Sequence[ParsedRow], participants: Iterable[Participant],
             session_id: int) -> ImportPlan:
    """Judge every row of an upload for the session ``session_id``.

    ``participants`` are the applications of the session's plan the file may name (any
    session, or none). A row is an error when its application or ID number is unknown, the
    two (or the name) disagree, the application is not in this session, it repeats an earlier
    row's application, the score is not a number in 0–100 with at most one decimal, the
    written verdict is not 合格/不合格 or contradicts the score, the participant has not
    attended (or was absent), already has a different result, or would pass while banned
    from applying. A row with no score and no verdict is left out (未填写); a row equal to the
    recorded result is 无变化; any other good row will be recorded.
    """
    people = list(participants)
    by_id = {p.application_id: p for p in people}
    by_id_number = {p.id_number: p for p in people}
    results: list[RowResult] = []
    changes: list[PlannedResult] = []
    seen: dict[int, int] = {}
    for row in rows:
        errors: list[str] = []
        who = _identify(row, by_id, by_id_number, errors)
        if who is not None:
            if who.session_id != session_id:
                errors.append(E_NOT_IN_SESSION)
            elif who.application_id in seen:
                errors.append(f"与第 {seen[who.application_id]} 行重复（同一申报只能有一行）")
            else:
                seen[who.application_id] = row.row
        if not row.score and not row.result and not errors:
            results.append(RowResult(row, BLANK))
            continue
        score = None
        try:
            score = parse_score(row.score)
        except ScoreError as exc:
            errors.append(str(exc))
        try:
            stated = parse_result(row.result)
        except ValueError:
            errors.append(E_RESULT_TEXT)
            stated = None
        if score is not None and (problem := result_problem(score, stated)):
            errors.append(problem)
        status = IMPORT
        if who is not None and who.session_id == session_id and score is not None:
            stage = Stage(who.stage)
            if stage in (Stage.CERTIFIED, Stage.FAILED):
                recorded = Result.PASS if stage is Stage.CERTIFIED else Result.FAIL
                if who.score == score and recorded is result_for(score):
                    status = UNCHANGED
                else:
                    shown = f"{who.score} 分，" if who.score is not None else ""
                    errors.append(f"已录入考核结果（{shown}{recorded.value}），不能更改")
            elif stage is Stage.TRAINING:
                errors.append(E_NOT_ATTENDED)
            elif stage is Stage.ABSENT:
                errors.append(E_ABSENT)
            elif stage is not Stage.ASSESSMENT:
                errors.append(f"申报处于“{stage.label}”，不能录入考核成绩")
            elif who.banned and score >= PASS_MARK:
                errors.append(E_BANNED)
        if errors:
            results.append(RowResult(row, ERROR, errors, score))
            continue
        results.append(RowResult(row, status, score=score))
        if status == IMPORT:
            assert who is not None and score is not None
            changes.append(PlannedResult(row.row, who.application_id, score))
    if any(r.status == ERROR for r in results):
        changes = []
    return ImportPlan(results, changes)

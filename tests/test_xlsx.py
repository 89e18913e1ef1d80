"""The XLSX exporter: formula text stays inert, numbers and dates keep their types, the layout is
the one the summary tables need (title, 填报单位, frozen header row, 经办人 footer)."""

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from portal.xlsx import XLSX_MIMETYPE, build_xlsx, safe_cell, xlsx_response

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

HEADERS = ["序号", "姓名", "职业（工种）", "发证日期", "得分", "备注"]


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def _build(rows, **kw) -> bytes:
    """Title in row 1, 填报单位 in row 2, headers in row 3, data from row 4."""
    kw.setdefault("header_lines", ["填报单位：成都市测试评价中心（盖章）"])
    return build_xlsx("2026年度考评员考评结果汇总表", HEADERS, rows, **kw)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ('=HYPERLINK("http://evil.example","点我")', '\'=HYPERLINK("http://evil.example","点我")'),
        ("  =1+1", "'  =1+1"),
        ("\u3000=1+1", "'\u3000=1+1"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("张堃", "张堃"),
        ("028-12345678", "028-12345678"),
        ("a\x00b\x1fc", "abc"),
        ("", ""),
        (None, None),
        (True, True),
        (7, 7),
        (84.5, 84.5),
        (Decimal("84.50"), 84.5),
        (Decimal("90"), 90),
        (Decimal("NaN"), "NaN"),
        (float("inf"), "inf"),
        (date(2026, 3, 2), date(2026, 3, 2)),
        (datetime(2026, 3, 2, 1, 30, tzinfo=UTC), datetime(2026, 3, 2, 9, 30)),
        (time(8, 30), time(8, 30)),
    ],
)
def test_safe_cell(value, expected):
    result = safe_cell(value)
    assert result == expected
    assert type(result) is type(expected)


def test_safe_cell_cuts_text_at_excel_cell_limit():
    assert len(safe_cell("字" * 40_000)) == 32_767


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "=cmd|' /C calc'!A0", "  =1+1", "\t=1", "\r=1"]
)
def test_formula_text_comes_back_as_literal_text(text):
    ws = _sheet(_build([[1, "张三", "电工", None, None, text]]))

    cell = ws["F4"]
    assert cell.data_type == "s"  # not "f": Excel will not evaluate it
    assert cell.value.startswith("'")
    assert cell.value[1:].strip() == text.strip()


def test_numbers_and_dates_keep_their_types_and_formats():
    rows = [
        [1, "张堃", "电工", date(2026, 3, 2), Decimal("84.50"), None],
        [2, "李珺", "焊工", datetime(2026, 3, 3, 14, 5), 90, "补考"],
    ]
    ws = _sheet(_build(rows))

    assert ws["A4"].value == 1 and ws["A4"].data_type == "n"
    assert ws["E4"].value == 84.5 and ws["E4"].data_type == "n"
    assert ws["E5"].value == 90
    assert ws["D4"].is_date and ws["D4"].value == datetime(2026, 3, 2)
    assert ws["D4"].number_format == "yyyy-mm-dd"
    assert ws["D5"].is_date and ws["D5"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["F4"].value is None
    assert ws["F5"].value == "补考"


def test_layout_title_header_lines_frozen_header_and_footer():
    data = _build(
        [[1, "王昇", "电工", date(2026, 1, 5), 88, ""], [2, "赵彧", "电工", None, 76, ""]],
        header_lines=["填报单位：成都市测试评价中心（盖章）"],
        footer_lines=["经办人：钱赟", "联系电话：028-12345678", "填报时间：2026年11月28日"],
    )
    ws = _sheet(data)

    assert ws.title == "2026年度考评员考评结果汇总表"
    assert ws["A1"].value == "2026年度考评员考评结果汇总表" and ws["A1"].font.b
    assert ws["A2"].value == "填报单位：成都市测试评价中心（盖章）"
    assert [c.value for c in ws[3]] == HEADERS
    assert all(c.font.b for c in ws[3])
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert [ws["B4"].value, ws["B5"].value] == ["王昇", "赵彧"]
    assert ws["A6"].value is None
    assert [ws["A7"].value, ws["A8"].value, ws["A9"].value] == [
        "经办人：钱赟", "联系电话：028-12345678", "填报时间：2026年11月28日"]
    assert ws["B4"].border.left.style == "thin"


def test_a_long_generator_is_written_in_full_and_in_order():
    count = 1_234
    rows = ([i, f"考评员{i}", "电工", date(2026, 1, 1), i / 2, None] for i in range(1, count + 1))
    ws = _sheet(_build(rows))

    assert ws.max_row == 3 + count
    assert [ws.cell(3 + i, 1).value for i in (1, 200, 201, count)] == [1, 200, 201, count]


def test_column_widths_fit_chinese_text_or_follow_the_caller():
    long_org = "成都市人力资源和社会保障局职业技能鉴定指导中心"
    ws = _sheet(_build([[1, "张三", long_org, date(2026, 1, 1), 80, None]]))
    assert ws.column_dimensions["C"].width >= 2 * len(long_org)
    assert ws.column_dimensions["B"].width >= 2 * len("姓名")
    assert ws.column_dimensions["D"].width >= len("2026-01-01")

    ws = _sheet(_build([[1, "张三", long_org, None, 80, None]],
                       column_widths=[5, 10, 20, 12, 8, 30]))
    assert [ws.column_dimensions[c].width for c in "ABCDEF"] == [5, 10, 20, 12, 8, 30]


def test_xlsx_response_carries_the_chinese_file_name():
    response = xlsx_response(b"PK\x03\x04", "考评员汇总表（2026）")

    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Cache-Control"] == "private, no-store"
    kind, params = parse_options_header(response.headers["Content-Disposition"])
    assert kind == "attachment"
    assert params["filename"] == "考评员汇总表（2026）.xlsx"


def test_without_header_lines_the_header_row_follows_the_title():
    ws = _sheet(build_xlsx("考评员名册", ["姓名"], [["张堃"]]))

    assert [ws["A1"].value, ws["A2"].value, ws["A3"].value] == ["考评员名册", "姓名", "张堃"]
    assert ws.freeze_panes == "A3"

"""The one XLSX exporter: a titled, ruled sheet with a frozen header row, as bytes.

Every spreadsheet the portal hands out (summary tables of Attachment 2, registry exports) is
built by :func:`build_xlsx` and sent by :func:`xlsx_response`. Every value goes through
:func:`safe_cell`, which keeps text that a spreadsheet would read as a formula
(``= + - @``, tab, CR — OWASP "CSV injection") as inert text, keeps dates as dates and turns
``Decimal`` scores into numbers.

The workbook is written in openpyxl's write-only (streaming) mode: a registry export may run
to thousands of rows, and streaming keeps memory flat. Column widths, when not given, are
measured on the headers and the first :data:`WIDTH_SAMPLE_ROWS` rows before any row is
written (write-only sheets need their widths first).
"""

from __future__ import annotations

import io
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from types import SimpleNamespace

from flask import Response

from portal.downloads import download_response
from portal.timeutil import LOCAL_TZ

__all__ = [
    "XLSX_MIMETYPE",
    "build_xlsx",
    "safe_cell",
    "xlsx_response",
]

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: A text cell whose first non-blank character is one of these is read as a formula by Excel,
#: WPS or LibreOffice (or, for tab and CR, can shift a CSV re-import into one).
FORMULA_TRIGGERS = ("=", "+", "-", "@")
CONTROL_TRIGGERS = ("\t", "\r", "\n")
#: Excel's limit on the characters in one cell.
MAX_CELL_CHARS = 32_767
#: Rows measured for automatic column widths.
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 6, 60

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"

# Control characters XML 1.0 cannot carry; openpyxl refuses them with IllegalCharacterError.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")



@cache
def _styles() -> SimpleNamespace:
    """The cell styles, made on the first export: openpyxl (~14 MB per process) is imported
    when a spreadsheet is first built or read, not when the app starts."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return SimpleNamespace(
        border=Border(left=thin, right=thin, top=thin, bottom=thin),
        title_font=Font(bold=True, size=14),
        header_font=Font(bold=True),
        header_fill=PatternFill("solid", fgColor="EEEEEE"),
        header_align=Alignment(horizontal="center", vertical="center", wrap_text=True),
        text_align=Alignment(vertical="center", wrap_text=True),
        value_align=Alignment(vertical="center"),
    )


def safe_cell(value: object) -> object:
    """``value`` as something a spreadsheet stores and shows but never evaluates.

    * text whose first non-blank character is ``= + - @``, or that starts with a tab, CR or
      LF, gets a leading apostrophe (``'=1+1``), the OWASP remedy: the cell is plain text in
      Excel, WPS and LibreOffice and stays so if the sheet is saved as CSV and opened again;
    * characters XML cannot carry are dropped, and text is cut at Excel's 32,767 characters;
    * ``Decimal`` becomes ``int`` or ``float``; ``bool``, ``int``, ``float``, ``date``,
      ``time`` and ``None`` are kept (NaN and infinity become text);
    * a timezone-aware ``datetime`` is shown in China Standard Time (Excel has no time
      zones). A naive one is written as it is: convert stored UTC with
      :func:`portal.timeutil.to_local` first;
    * anything else is written as its ``str()``, under the text rules.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        return value
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    text = _ILLEGAL_XML.sub("", value if isinstance(value, str) else str(value))
    if text.startswith(CONTROL_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return text[:MAX_CELL_CHARS]


def _display_width(value: object) -> int:
    """Roughly how many Excel width units ``value`` needs: CJK and full-width count two."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    longest = max((line for line in text.splitlines()), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _auto_widths(headers: Sequence[str], sample: Sequence[Sequence[object]]) -> list[int]:
    widths = [_display_width(h) for h in headers]
    for row in sample:
        for index, value in enumerate(row):
            width = _display_width(value)
            if index >= len(widths):
                widths.append(width)
            elif width > widths[index]:
                widths[index] = width
    return [min(max(w + 2, MIN_WIDTH), MAX_WIDTH) for w in widths]


def _sheet_title(title: str) -> str:
    """An Excel sheet name from ``title``: no ``[]:*?/\\``, at most 31 characters."""
    name = _SHEET_TITLE_FORBIDDEN.sub("", _ILLEGAL_XML.sub("", title)).strip().strip("'")
    return name[:31] or "Sheet1"


def build_xlsx(
    title: str,
    headers: list[str],
    rows: Iterable[Sequence[object]],
    *,
    header_lines: Sequence[str] = (),
    footer_lines: Sequence[str] = (),
    column_widths: list[int] | None = None,
) -> bytes:
    """One worksheet as XLSX bytes.

    Layout, top to bottom: ``title`` (bold, large) in A1; each of ``header_lines`` (e.g.
    ``填报单位：…``) in column A; the bold, shaded, frozen ``headers`` row; ``rows`` with thin
    borders (dates as ``yyyy-mm-dd``, date-times as ``yyyy-mm-dd hh:mm``); a blank row and
    each of ``footer_lines`` (e.g. ``经办人：…　联系电话：…　填报时间：…``). The header
    row repeats on every printed page; the sheet prints on A4, fitted to the page width.

    ``rows`` may be any iterable (a generator over a query is fine); it is consumed once.
    ``column_widths`` are in Excel units (about one Latin character; a Chinese character
    takes two); without it widths come from the headers and the first rows.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    style = _styles()
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
    sample_cells = [[safe_cell(v) for v in row] for row in sample]
    widths = column_widths or _auto_widths(headers, sample_cells)

    wb = Workbook(write_only=True)
    wb.properties.creator = "考评员管理与考评评价平台"
    wb.properties.title = _ILLEGAL_XML.sub("", title)
    ws = wb.create_sheet(_sheet_title(title))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width

    header_row = 2 + len(header_lines)
    # Both must be set before the first row is streamed.
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sum(widths) > 100 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    ws.append([_styled(ws, title, font=style.title_font)])
    for line in header_lines:
        ws.append([_styled(ws, line)])
    ws.append([
        _styled(ws, h, font=style.header_font, fill=style.header_fill,
                alignment=style.header_align, border=style.border)
        for h in headers
    ])
    for values in itertools.chain(sample_cells, ([safe_cell(v) for v in r] for r in rows)):
        ws.append([_data_cell(ws, v, style) for v in values])
    if footer_lines:
        ws.append([])
        for line in footer_lines:
            ws.append([_styled(ws, line)])

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _styled(ws, value: object, **style: object):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=safe_cell(value))
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _data_cell(ws, value: object, style: SimpleNamespace):
    """A bordered body cell for a value that has already been through :func:`safe_cell`."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.border = style.border
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, time):
        cell.number_format = TIME_FORMAT
    cell.alignment = style.text_align if isinstance(value, str) else style.value_align
    return cell


def xlsx_response(data: bytes, filename: str) -> Response:
    """A download of XLSX bytes named ``filename`` (Chinese is fine; ``.xlsx`` is added)."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    return download_response(data, filename, XLSX_MIMETYPE)

"""Reading uploaded spreadsheets (the counterpart of :mod:`portal.xlsx`, the one exporter).

Every bulk import of the portal (sheet records from offline sites, cards from the old system)
reads its upload through here: :func:`read_upload` takes the bytes in memory up to the upload
size limit, :func:`read_first_sheet` checks that they are a real XLSX (a zip that openpyxl
opens as a workbook, not too big once unpacked) and hands the first worksheet's rows, values
only, to the import's own parser. Cells are read with :func:`text_of`, never evaluated.
Failures raise :class:`ImportFileError` with a Chinese message for the upload field.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from werkzeug.datastructures import FileStorage

__all__ = [
    "MAX_UNPACKED_BYTES",
    "XLSX_MAGIC",
    "ImportFileError",
    "find_header",
    "header_key",
    "read_first_sheet",
    "read_upload",
    "text_of",
]

XLSX_MAGIC = b"PK\x03\x04"
#: Most bytes the workbook's parts may unpack to (a filled template of 20,000 card rows is
#: about 10 MB): a small upload must not unpack into gigabytes of XML.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024

T = TypeVar("T")


class ImportFileError(ValueError):
    """The uploaded file cannot be read as the template; ``str(exc)`` is Chinese, for the
    upload field."""


def text_of(value: Any) -> str:
    """A cell as plain text: NFKC-normalised (full-width ``Ａ`` and ``－`` become ``A`` and
    ``-``) and stripped. A whole number typed into a cell reads as its digits (``12.0`` →
    ``"12"``), a date as ``YYYY-MM-DD``; nothing is ever evaluated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        value = value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def read_upload(file: FileStorage, max_mb: int) -> bytes:
    """The uploaded bytes, read in memory up to ``max_mb`` megabytes (the portal's
    ``UPLOAD_MAX_MB``); :class:`ImportFileError` for an empty or a too large file."""
    data = file.stream.read(max_mb * 1024 * 1024 + 1)
    if not data:
        raise ImportFileError("文件为空，请重新选择")
    if len(data) > max_mb * 1024 * 1024:
        raise ImportFileError(f"文件超过 {max_mb} MB 的大小上限，请分开上传")
    return data


def read_first_sheet(data: bytes, parse: Callable[[Iterator[tuple[Any, ...]]], T], *,
                     max_columns: int) -> T:
    """``parse`` applied to the rows of the first worksheet of an XLSX file given as bytes
    (row 1 first, each a tuple of at most ``max_columns`` cell values).

    The file must be a real XLSX (a zip that openpyxl opens as a workbook) that unpacks to at
    most :data:`MAX_UNPACKED_BYTES`; it is read in read-only mode with cached values only
    (``data_only``), so a formula is never evaluated — a formula cell reads as the value the
    spreadsheet last showed. Raises :class:`ImportFileError` with a Chinese message for
    anything else; an :class:`ImportFileError` raised by ``parse`` passes through.
    """
    from openpyxl import load_workbook

    not_xlsx = ImportFileError("只接受 XLSX 格式的 Excel 文件（.xlsx）；此文件的内容不是有效的 "
                               "XLSX。请使用本页下载的模板，填好后另存为 .xlsx 再上传")
    if not data.startswith(XLSX_MAGIC):
        raise not_xlsx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise not_xlsx from exc
    if unpacked > MAX_UNPACKED_BYTES:  # zipfile never unpacks a part beyond its stated size
        raise ImportFileError("文件解压后过大，不像是填好的录入模板。请使用本页下载的模板")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns on harmless oddities of other tools
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                return parse(sheet.iter_rows(max_col=max_columns, values_only=True))
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a real workbook"
        raise not_xlsx from exc


def header_key(value: Any) -> str:
    """A header cell as compared: its text without any whitespace ("第 1 项" reads "第1项")."""
    return "".join(text_of(value).split())


def find_header(rows: Iterator[Sequence[Any]], *, markers: Sequence[str],
                required: Sequence[str], search_rows: int,
                not_found: str) -> tuple[dict[str, int], int]:
    """Find a template's header row in the first ``search_rows`` rows of ``rows`` (the rows
    above it — title, instructions — are consumed): the first row holding every one of
    ``markers``. Returns each of ``required``'s column index and the header's row number.

    :class:`ImportFileError` when a header lacks a ``required`` column, or with ``not_found``
    when no row is the header.
    """
    for number, values in enumerate(rows, start=1):
        keys = [header_key(v) for v in values]
        if all(m in keys for m in markers):
            missing = [h for h in required if h not in keys]
            if missing:
                raise ImportFileError("表头缺少以下列：" + "、".join(missing)
                                      + "。请使用本页下载的模板填写")
            return {h: keys.index(h) for h in required}, number
        if number >= search_rows:
            break
    raise ImportFileError(not_found)

"""The one PDF renderer: a Jinja template under ``templates/pdf/`` → HTML → xhtml2pdf → bytes.

What this module owns (measured facts in ``/work/shared/notes/PDF.md``):

* the Chinese font. WenQuanYi Micro Hei (``static/fonts/wqy-microhei.ttc``, or ``PDF_FONT_PATH``)
  is registered with ReportLab once per process and mapped to the CSS family ``PortalCJK``
  (:data:`FONT_FAMILY`) in xhtml2pdf's font table, so every PDF embeds a subset of it and
  prints the same on any reader. It covers name characters outside GB2312 (堃 珺 昇 彧 赟).
* safety. Every render runs under ``ResourceAccessPolicy.server(base_dir=None,
  allow_remote=False)``: a template can read no file and fetch no URL, and per-render limits
  (time, size, depth) are on. A photo goes in as a ``data:`` URI (:func:`data_uri`).
* loud failure. xhtml2pdf only *logs* a refused resource or a character no font can draw and
  still returns a PDF with blanks or boxes. :func:`render_pdf_string` listens to its logger
  during the render and raises :class:`PdfRenderError` (with a Chinese message) instead.

PDF templates extend ``pdf/base.html`` (A4, the font, ruled tables, page-number footer).
"""

from __future__ import annotations

import base64
import gc
import io
import logging
import os
import re
import threading
from functools import cache
from pathlib import Path

from flask import Flask, Response, current_app, has_app_context, render_template

from portal.downloads import download_response

__all__ = [
    "DEFAULT_FONT_PATH",
    "FONT_FAMILY",
    "PdfRenderError",
    "data_uri",
    "font_registered",
    "init_app",
    "pdf_response",
    "register_font",
    "render_pdf",
    "resource_policy",
    "render_pdf_string",
]

#: The CSS ``font-family`` PDF templates use (``pdf/base.html`` sets it on ``body``).
FONT_FAMILY = "PortalCJK"
#: The vendored font, used when the ``PDF_FONT_PATH`` setting is empty.
DEFAULT_FONT_PATH = (
    Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei.ttc"
)

#: The first bytes of a TrueType font, a TrueType collection or an OpenType font.
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"ttcf", b"OTTO")

#: Image types a PDF may embed: what the upload service accepts for photos.
EMBEDDABLE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})

#: HTML at least this long (a batch of sheets, a long summary table) is followed by a heap
#: trim (:func:`_release_memory`); one sheet is ~6,000 characters, 30 sheets ~190,000.
LARGE_DOCUMENT_CHARS = 100_000

_XHTML2PDF_LOGGER = "xhtml2pdf"
# xhtml2pdf, ReportLab and the font cost ~50 MB per process; they are imported and the font
# registered on the first PDF, not at start-up, so a worker that never renders one stays small.
_font_lock = threading.Lock()
_registered_fonts: dict[str, Path] = {}
# xhtml2pdf already renders one document at a time per process; this lock also covers the
# log capture and the logger-level check around the render.
_render_lock = threading.RLock()

log = logging.getLogger(__name__)


class PdfRenderError(Exception):
    """The PDF could not be made faithfully. ``str(error)`` is a Chinese message for the user;
    ``problems`` holds xhtml2pdf's own (English) messages for the log."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


# --------------------------------------------------------------------------- the font


def register_font(path: str | os.PathLike[str], family: str = FONT_FAMILY) -> str:
    """Register the TrueType font (or collection's first face) at ``path`` as ``family``.

    Registers the face with ReportLab (``TTFont(family, path, subfontIndex=0)``), maps normal,
    bold, italic and bold-italic to it (the font has one weight, so bold prints as regular),
    and adds ``family`` to xhtml2pdf's default font table, which every render copies. Safe to
    call again with the same path, from any thread; another path for a registered family
    raises :class:`RuntimeError` (one process, one font per family). Returns ``family``.
    """
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from xhtml2pdf import default as xhtml2pdf_default

    resolved = Path(path).resolve()
    with _font_lock:
        known = _registered_fonts.get(family)
        if known is not None:
            if known == resolved:
                return family
            msg = (
                f"PDF 字体 {family} 已从 {known} 注册，不能在同一进程中改用 {resolved}。"
                f" / PDF font family {family!r} is already registered from {known}; "
                f"cannot re-register it from {resolved} in the same process."
            )
            raise RuntimeError(msg)
        try:
            font = TTFont(family, str(resolved), subfontIndex=0)
        except Exception as exc:  # ReportLab raises TTFError, OSError, struct.error …
            msg = (
                f"PDF 字体文件无法读取：{resolved}（{exc}）。请检查 PDF_FONT_PATH 设置。"
                f" / Cannot read the PDF font file {resolved}: {exc}. Check PDF_FONT_PATH."
            )
            raise RuntimeError(msg) from exc
        pdfmetrics.registerFont(font)
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(family, bold, italic, family)
        # xhtml2pdf looks CSS families up lower-cased in a copy of this table per document.
        xhtml2pdf_default.DEFAULT_FONT[family.lower()] = family
        _registered_fonts[family] = resolved
    log.debug("Registered PDF font %s from %s", family, resolved)
    return family


def font_registered(family: str = FONT_FAMILY) -> bool:
    """Whether :func:`register_font` has registered ``family`` in this process."""
    return family in _registered_fonts


@cache
def resource_policy():
    """xhtml2pdf's policy for every render: deny every file read and network fetch, and
    switch on the per-render limits (time, size, depth)."""
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    return ResourceAccessPolicy.server(base_dir=None, allow_remote=False)


def init_app(app: Flask) -> None:
    """Check the PDF font at start-up and fail now, clearly, if it is missing or not a font.

    Reads ``PDF_FONT_PATH`` (empty or absent: :data:`DEFAULT_FONT_PATH`). The font is
    registered (:func:`register_font`) on the first render in each process.
    """
    path = Path(app.config.get("PDF_FONT_PATH") or DEFAULT_FONT_PATH)
    if not path.is_file():
        msg = (
            f"找不到 PDF 中文字体文件：{path}。请恢复 static/fonts/wqy-microhei.ttc，"
            f"或用 PDF_FONT_PATH 指向一个 TrueType 中文字体（.ttf/.ttc）。"
            f" / PDF font file not found: {path}. Restore static/fonts/wqy-microhei.ttc "
            f"or set PDF_FONT_PATH to a TrueType CJK font (.ttf/.ttc)."
        )
        raise RuntimeError(msg)
    with path.open("rb") as font_file:
        magic = font_file.read(4)
    if magic not in _FONT_MAGIC:
        msg = (
            f"PDF 字体文件无法读取：{path} 不是 TrueType/OpenType 字体。请检查 PDF_FONT_PATH 设置。"
            f" / Cannot read the PDF font file {path}: not a TrueType/OpenType font."
        )
        raise RuntimeError(msg)
    app.extensions["portal_pdf"] = {"font_family": FONT_FAMILY, "font_path": str(path)}


# --------------------------------------------------------------------------- rendering

# What xhtml2pdf logs (as a warning) when the PDF would silently come out wrong, and what the
# user is told. Any ERROR record from xhtml2pdf is a failure too.
_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("No font this document has can draw", "含有字体无法显示的字符"),
    ("None of the font families", "模板使用了未注册的字体"),
    ("Blocked by the resource policy", "模板引用了外部文件或网址，已被拒绝"),
    ("Could not get image data", "图片无法读取"),
    ("Could not read the imported stylesheet", "样式表无法读取"),
)
_MISSING_GLYPH = re.compile(r"can draw '(.+?)' \(U\+([0-9A-Fa-f]{4,6})\)")


class _Collector(logging.Handler):
    """Keeps the xhtml2pdf records of one thread (the rendering one) at WARNING or above."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


def _failure(records: list[logging.LogRecord]) -> PdfRenderError | None:
    """A :class:`PdfRenderError` describing the records that make the PDF unfaithful."""
    reasons: list[str] = []
    problems: list[str] = []
    characters: list[str] = []
    for record in records:
        message = record.getMessage()
        reason = next((zh for en, zh in _PROBLEMS if en in message), None)
        if reason is None and record.levelno < logging.ERROR:
            continue
        problems.append(message)
        if match := _MISSING_GLYPH.search(message):
            characters.append(f"“{match.group(1)}”(U+{match.group(2).upper()})")
        reason = reason or "排版出错"
        if reason not in reasons:
            reasons.append(reason)
    if not problems:
        return None
    detail = "；".join(reasons)
    if characters:
        detail += "：" + "、".join(characters)
    return PdfRenderError(f"PDF 生成失败：{detail}。", problems)


@cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_memory() -> None:
    """Hand the heap a render leaves free back to the system: a 30-sheet batch PDF grows a
    worker by ~80 MB of short-lived objects, which glibc otherwise keeps (measured in
    bench/README.md). A full collection costs ~80 ms in a worker, so only large documents
    (:data:`LARGE_DOCUMENT_CHARS`) pay it; a one-page sheet (0.1 s) does not."""
    gc.collect()  # the layout objects form reference cycles
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def render_pdf_string(html: str) -> bytes:
    """Turn a complete HTML document into PDF bytes, or raise :class:`PdfRenderError`.

    The document must be self-contained: the resource policy refuses every file and URL,
    and a refusal fails the render rather than leaving a hole in the PDF.
    """
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import RenderLimitError, ResourceAccessError

    if not font_registered():
        settings = current_app.extensions.get("portal_pdf") if has_app_context() else None
        if settings is None:
            msg = (
                "PDF 字体尚未设置：请在 create_app 中调用 portal.pdf.init_app(app)。"
                " / No PDF font: call portal.pdf.init_app(app) in create_app."
            )
            raise RuntimeError(msg)
        register_font(settings["font_path"])
    logger = logging.getLogger(_XHTML2PDF_LOGGER)
    collector = _Collector()
    out = io.BytesIO()
    with _render_lock:
        # The warnings are how a wrong PDF shows itself; make sure they are not filtered out.
        saved_level = logger.level
        if not logger.isEnabledFor(logging.WARNING):
            logger.setLevel(logging.WARNING)
        logger.addHandler(collector)
        try:
            result = pisa.CreatePDF(
                html, dest=out, encoding="utf-8", resource_policy=resource_policy()
            )
        except (RenderLimitError, ResourceAccessError) as exc:
            raise PdfRenderError(
                "PDF 生成失败：内容过多或耗时过长，请缩小范围后重试。", [str(exc)]
            ) from exc
        finally:
            logger.removeHandler(collector)
            logger.setLevel(saved_level)
    errors, problems = result.err, [str(entry) for entry in getattr(result, "log", [])]
    del result  # the document tree: let it go before the heap is trimmed
    if len(html) >= LARGE_DOCUMENT_CHARS:
        _release_memory()
    if failure := _failure(collector.records):
        log.warning("PDF render refused: %s", failure.problems)
        raise failure
    if errors:
        raise PdfRenderError(f"PDF 生成失败：排版出错（{errors} 处）。", problems)
    return out.getvalue()


def render_pdf(template_name: str, **context: object) -> bytes:
    """Render ``templates/<template_name>`` with Flask's Jinja environment, then to PDF.

    Needs an app context. Only ``.html`` templates, so Jinja autoescapes every value.
    """
    if not template_name.endswith(".html"):
        msg = f"PDF templates must be .html (autoescaped): {template_name!r}"
        raise ValueError(msg)
    return render_pdf_string(render_template(template_name, **context))


def pdf_response(data: bytes, filename: str, *, inline: bool = False) -> Response:
    """A download (or, with ``inline``, an in-browser view) of PDF bytes named ``filename``."""
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    return download_response(data, filename, "application/pdf", inline=inline)


def data_uri(upload_bytes: bytes, mime: str) -> str:
    """``upload_bytes`` (a PNG or JPEG, e.g. a stored photo) as a ``data:`` URI for ``<img>``.

    Embedding keeps the resource policy shut: a template never names a file in the upload
    store. Use it as ``<img src="{{ photo_uri }}">`` (autoescaping leaves base64 intact).
    """
    if mime not in EMBEDDABLE_IMAGE_TYPES:
        msg = f"PDF 只能嵌入 PNG 或 JPEG 图片，不支持 {mime!r}"
        raise ValueError(msg)
    return f"data:{mime};base64,{base64.b64encode(upload_bytes).decode('ascii')}"

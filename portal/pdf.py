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
import io
import logging
import os
import re
import threading
from pathlib import Path

from flask import Flask, Response, render_template
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as xhtml2pdf_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import (
    RenderLimitError,
    ResourceAccessError,
    ResourceAccessPolicy,
)

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
    "render_pdf_string",
]

#: The CSS ``font-family`` PDF templates use (``pdf/base.html`` sets it on ``body``).
FONT_FAMILY = "PortalCJK"
#: The vendored font, used when the ``PDF_FONT_PATH`` setting is empty.
DEFAULT_FONT_PATH = (
    Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei.ttc"
)

#: Deny every file read and network fetch; switch on the per-render limits.
RESOURCE_POLICY = ResourceAccessPolicy.server(base_dir=None, allow_remote=False)

#: Image types a PDF may embed: what the upload service accepts for photos.
EMBEDDABLE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})

_XHTML2PDF_LOGGER = "xhtml2pdf"
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


def init_app(app: Flask) -> None:
    """Register the PDF font at start-up; fail now, clearly, if the font file is missing.

    Reads ``PDF_FONT_PATH`` (empty or absent: :data:`DEFAULT_FONT_PATH`).
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
    register_font(path)
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


def render_pdf_string(html: str) -> bytes:
    """Turn a complete HTML document into PDF bytes, or raise :class:`PdfRenderError`.

    The document must be self-contained: the resource policy refuses every file and URL,
    and a refusal fails the render rather than leaving a hole in the PDF.
    """
    if not font_registered():
        msg = (
            "PDF 字体尚未注册：请在 create_app 中调用 portal.pdf.init_app(app)。"
            " / The PDF font is not registered: call portal.pdf.init_app(app) in create_app."
        )
        raise RuntimeError(msg)
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
                html, dest=out, encoding="utf-8", resource_policy=RESOURCE_POLICY
            )
        except (RenderLimitError, ResourceAccessError) as exc:
            raise PdfRenderError(
                "PDF 生成失败：内容过多或耗时过长，请缩小范围后重试。", [str(exc)]
            ) from exc
        finally:
            logger.removeHandler(collector)
            logger.setLevel(saved_level)
    if failure := _failure(collector.records):
        log.warning("PDF render refused: %s", failure.problems)
        raise failure
    if result.err:
        problems = [str(entry) for entry in getattr(result, "log", [])]
        raise PdfRenderError(f"PDF 生成失败：排版出错（{result.err} 处）。", problems)
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

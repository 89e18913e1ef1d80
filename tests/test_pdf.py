"""The PDF renderer: Chinese text that extracts and embeds, templates that cannot reach files or
the network, and failures that are loud instead of boxes and blanks."""

import io
import struct
import threading
import zlib

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader
from pypdf import PdfReader
from werkzeug.http import parse_options_header
from xhtml2pdf import pisa

from portal import pdf
from portal.pdf import PdfRenderError

PROJECT_TEMPLATES = pdf.DEFAULT_FONT_PATH.parent.parent.parent / "templates"
RARE_NAMES = ["张堃", "李珺", "王昇", "赵彧", "钱赟"]

SHEET = """{% extends "pdf/base.html" %}
{% block title %}考评评价表{% endblock %}
{% block content %}
<h1>考评员考评评价表</h1>
<table class="plain"><tr><td>考评员：{{ examiner }}</td><td>职业（工种）：电工</td></tr></table>
<table repeat="1">
  <tr><th style="width:10%">序号</th><th style="width:60%">考评内容</th>
      <th style="width:12%">得分</th><th style="width:18%">考评员</th></tr>
  {% for row in rows %}
  <tr><td class="center">{{ loop.index }}</td><td>{{ row.item }}</td>
      <td class="num">{{ row.score }}</td><td>{{ row.name }}</td></tr>
  {% endfor %}
</table>
{% endblock %}
"""


def _document(body: str, head: str = "") -> str:
    return (
        '<html><head><meta charset="utf-8">' + head
        + "<style>body { font-family: PortalCJK; }</style></head>"
        + f"<body>{body}</body></html>"
    )


def _text(data: bytes) -> str:
    """All page text with whitespace removed (table cells extract with spaces in between)."""
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def _png(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid red PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def pdf_app(tmp_path):
    """A bare Flask app over the real templates plus a temporary folder for test templates."""
    app = Flask(__name__, template_folder=str(PROJECT_TEMPLATES))
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(tmp_path)), app.jinja_loader])
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "test_sheet.html").write_text(SHEET, encoding="utf-8")
    pdf.init_app(app)
    with app.app_context():
        yield app


def _rows(count: int) -> list[dict]:
    return [
        {"item": f"第{i}项：遵守考评纪律，按评分标准独立评分，不与考生交流与考评无关的内容",
         "score": f"{i % 10}.5", "name": RARE_NAMES[i % len(RARE_NAMES)]}
        for i in range(1, count + 1)
    ]


def test_a_chinese_sheet_with_rare_name_characters_renders_extracts_and_embeds_the_font(pdf_app):
    data = pdf.render_pdf("pdf/test_sheet.html", examiner="张堃", rows=_rows(15))

    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1  # 15 wrapped rows fit one A4 page
    assert reader.metadata.title == "考评评价表"
    text = _text(data)
    assert "考评员考评评价表" in text
    assert "考评员：张堃" in text
    for name in RARE_NAMES:
        assert name in text
    assert "第15项：遵守考评纪律" in text
    assert "第1页/共1页" in text

    embedded = []
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is None and "/DescendantFonts" in font:
            descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            embedded.append(str(font["/BaseFont"]))
    assert embedded
    assert all("WenQuanYiMicroHei" in name for name in embedded)


def test_the_table_header_repeats_and_pages_are_numbered(pdf_app):
    data = pdf.render_pdf("pdf/test_sheet.html", examiner="李珺", rows=_rows(120))

    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages > 1
    for number, page in enumerate(reader.pages, start=1):
        text = "".join(page.extract_text().split())
        assert "序号考评内容得分考评员" in text
        assert f"第{number}页/共{pages}页" in text


def test_user_text_is_escaped_not_interpreted(pdf_app):
    data = pdf.render_pdf("pdf/test_sheet.html", examiner='<img src="/etc/passwd">王昇',
                          rows=[{"item": "<b>粗体</b>&amp;", "score": "1", "name": "赵彧"}])

    text = _text(data)
    assert '<imgsrc="/etc/passwd">王昇' in text
    assert "<b>粗体</b>&amp;" in text


@pytest.mark.parametrize(
    "markup",
    [
        '<p>照片<img src="file:///etc/passwd"></p>',
        '<p>照片<img src="/etc/passwd"></p>',
        '<p>照片<img src="../../../../../../etc/passwd"></p>',
        '<p>照片<img src="http://127.0.0.1/"></p>',
        '<p>照片<img src="http://169.254.169.254/latest/meta-data/"></p>',
        '<p>照片<img src="https://example.com/logo.png"></p>',
        '<style>@import url("file:///etc/passwd");</style><p>样式</p>',
        '<style>@import url("http://127.0.0.1/x.css");</style><p>样式</p>',
        '<link rel="stylesheet" href="/etc/passwd"><p>样式</p>',
        '<p style="background-image: url(/etc/passwd)">背景</p>',
    ],
)
def test_a_template_cannot_read_files_or_fetch_urls(pdf_app, markup):
    with pytest.raises(PdfRenderError, match="外部文件或网址") as excinfo:
        pdf.render_pdf_string(_document(markup))
    assert any("Blocked by the resource policy" in p for p in excinfo.value.problems)


def test_even_a_real_image_next_to_the_app_is_refused_but_a_data_uri_is_embedded(
        pdf_app, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(_png())
    with pytest.raises(PdfRenderError):
        pdf.render_pdf_string(_document(f'<img src="{photo}" width="40" height="30">'))

    data = pdf.render_pdf_string(
        _document(f'<p>照片</p><img src="{pdf.data_uri(_png(), "image/png")}" '
                  'width="40" height="30">')
    )
    xobjects = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/XObject"]
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())


def test_xhtml2pdf_alone_leaves_a_blocked_resource_out_silently(pdf_app):
    """Why the renderer raises: under the policy xhtml2pdf drops the file and reports success."""
    out = io.BytesIO()
    result = pisa.CreatePDF(_document('<p>内容</p><link rel="stylesheet" href="/etc/passwd">'),
                            dest=out, resource_policy=pdf.resource_policy())
    assert result.err == 0
    assert "root:" not in _text(out.getvalue())


@pytest.mark.parametrize("character", ["😀", "\U0010fffd", "\u4dae"])
def test_a_character_no_font_can_draw_fails_loudly_and_names_it(pdf_app, character):
    with pytest.raises(PdfRenderError, match=f"U\\+{ord(character):04X}"):
        pdf.render_pdf_string(_document(f"<p>考评员：张三{character}</p>"))


def test_an_unregistered_font_family_fails_instead_of_falling_back(pdf_app):
    with pytest.raises(PdfRenderError, match="未注册的字体"):
        pdf.render_pdf_string(_document('<p style="font-family: SimSun">宋体</p>'))


def test_renders_on_two_threads_do_not_mix_their_failures(pdf_app):
    results: dict[str, object] = {}

    def render(key: str, body: str) -> None:
        try:
            results[key] = pdf.render_pdf_string(_document(body))
        except PdfRenderError as error:
            results[key] = error

    threads = [threading.Thread(target=render, args=(f"good{i}", "<p>正常内容</p>"))
               for i in range(3)]
    threads.append(threading.Thread(target=render, args=("bad", "<p>坏😀</p>")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert isinstance(results.pop("bad"), PdfRenderError)
    assert all(isinstance(value, bytes) for value in results.values())


def test_a_missing_font_stops_the_app_at_start_up(tmp_path):
    app = Flask(__name__)
    app.config["PDF_FONT_PATH"] = str(tmp_path / "missing.ttc")
    with pytest.raises(RuntimeError, match="找不到 PDF 中文字体文件.*PDF_FONT_PATH"):
        pdf.init_app(app)


def test_a_file_that_is_not_a_font_is_refused(tmp_path):
    bogus = tmp_path / "bogus.ttc"
    bogus.write_bytes(b"not a font at all")
    app = Flask(__name__)
    app.config["PDF_FONT_PATH"] = str(bogus)
    with pytest.raises(RuntimeError, match="PDF 字体文件无法读取"):
        pdf.init_app(app)
    with pytest.raises(RuntimeError, match="PDF 字体文件无法读取"):
        pdf.register_font(bogus, family="PortalBogus")
    assert not pdf.font_registered("PortalBogus")


def test_registering_the_font_is_idempotent_but_one_family_has_one_file(pdf_app, tmp_path):
    assert pdf.register_font(pdf.DEFAULT_FONT_PATH) == pdf.FONT_FAMILY
    pdf.init_app(pdf_app)
    other = tmp_path / "other.ttc"
    other.write_bytes(pdf.DEFAULT_FONT_PATH.read_bytes())
    with pytest.raises(RuntimeError, match="已从"):
        pdf.register_font(other)


def test_pdf_templates_must_be_autoescaped_html(pdf_app):
    with pytest.raises(ValueError, match="autoescaped"):
        pdf.render_pdf("pdf/test_sheet.txt")


@pytest.mark.parametrize("inline, disposition", [(False, "attachment"), (True, "inline")])
def test_pdf_response_carries_the_chinese_file_name(pdf_app, inline, disposition):
    response = pdf.pdf_response(b"%PDF-1.4 test", "考评评价表-张堃", inline=inline)

    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.content_length == len(b"%PDF-1.4 test")
    kind, params = parse_options_header(response.headers["Content-Disposition"])
    assert kind == disposition
    assert params["filename"] == "考评评价表-张堃.pdf"
    assert 'filename="download.pdf"' in response.headers["Content-Disposition"]


def test_data_uri_embeds_only_png_and_jpeg():
    assert pdf.data_uri(b"\x89PNG", "image/png") == "data:image/png;base64,iVBORw=="
    with pytest.raises(ValueError, match="PNG 或 JPEG"):
        pdf.data_uri(b"<svg/>", "image/svg+xml")

"""Download headers: a Chinese file name survives, and no file name can break the header."""

import pytest
from werkzeug.http import parse_options_header

from portal.downloads import ascii_fallback, attachment_headers, content_disposition


@pytest.mark.parametrize(
    "filename, shown, fallback",
    [
        ("考评评价表-张堃.pdf", "考评评价表-张堃.pdf", "download.pdf"),
        ("2026年 汇总表 (成都).xlsx", "2026年 汇总表 (成都).xlsx", "2026.xlsx"),
        ("summary 2026.xlsx", "summary 2026.xlsx", "summary_2026.xlsx"),
        ("it's 100%;x=1.pdf", "it's 100%;x=1.pdf", "it_s_100_x_1.pdf"),
        ("../../etc/passwd", "etcpasswd", "etcpasswd"),
        ('a\r\nSet-Cookie: x=1"b.pdf', "aSet-Cookie x=1b.pdf", "aSet-Cookie_x_1b.pdf"),
        ("", "download", "download"),
    ],
)
def test_content_disposition_parses_back_to_the_name(filename, shown, fallback):
    value = content_disposition(filename)

    assert "\r" not in value and "\n" not in value
    kind, params = parse_options_header(value)
    assert kind == "attachment"
    assert params["filename"] == shown  # what browsers use (filename*)
    assert f'filename="{fallback}"' in value  # what old clients use
    assert value.isascii()


def test_inline_disposition_and_cache_headers():
    headers = attachment_headers("考评评价表.pdf", inline=True)

    assert headers["Content-Disposition"].startswith("inline; ")
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_ascii_fallback_keeps_the_extension():
    assert ascii_fallback("张三.pdf") == "download.pdf"
    assert ascii_fallback("Zhang San 张三.pdf") == "Zhang_San.pdf"
    assert ascii_fallback("noext") == "noext"
